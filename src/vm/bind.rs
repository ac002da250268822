//! Binding: each input record is validated against the subject record type
//! (every field, read or not) and the fields the program reads are stored in
//! their slots. This is the only place JSON keys are looked up; evaluation
//! then reads slots by index.

use crate::bytecode::program::Program;
use crate::bytecode::schema::{EnumType, Field, ReadAs, Schema, Type};
use crate::bytecode::value::Value;
use crate::diagnostics::codes;
use crate::diagnostics::suggest::did_you_mean;
use crate::time::rfc3339::{self, TextError};
use crate::vm::RecordError;

/// The slots of a program arranged as a tree that follows the schema: a
/// node's children are indexed like its record type's fields, so binding
/// finds a field's slot without hashing its name.
#[derive(Debug, Default)]
pub struct SlotTree {
    slot: Option<usize>,
    fields: Vec<Option<SlotTree>>,
}

impl SlotTree {
    /// The tree of a program's slot paths.
    pub fn new(program: &Program) -> SlotTree {
        let parts = program.parts();
        let mut root = SlotTree::default();
        'slots: for (i, path) in parts.slots.iter().enumerate() {
            let mut node = &mut root;
            let mut record = Some(parts.subject);
            for name in path {
                // A verified program's slot paths name fields of its schema.
                let Some((index, field)) = record
                    .and_then(|r| parts.schema.record(r))
                    .and_then(|r| r.field(name))
                else {
                    continue 'slots;
                };
                record = match field.ty.required() {
                    Type::Record(r) => Some(*r),
                    _ => None,
                };
                if node.fields.len() <= index {
                    node.fields.resize_with(index + 1, || None);
                }
                let Some(child) = node.fields.get_mut(index) else {
                    continue 'slots;
                };
                node = child.get_or_insert_with(SlotTree::default);
            }
            node.slot = Some(i);
        }
        root
    }

    /// The node of a record's field, by the field's index.
    pub(crate) fn child(&self, field: usize) -> Option<&SlotTree> {
        self.fields.get(field).and_then(Option::as_ref)
    }

    /// The slot this node's field is bound to, if the program reads it.
    pub(crate) fn slot(&self) -> Option<usize> {
        self.slot
    }

    /// Empties the slots of this node and every node below it.
    pub(crate) fn clear(&self, slots: &mut [Value]) {
        if let Some(s) = self.slot.and_then(|s| slots.get_mut(s)) {
            *s = Value::Missing;
        }
        for child in self.fields.iter().flatten() {
            child.clear(slots);
        }
    }
}

/// Validates `record` as a `subject` and fills `slots` (which must hold `Missing`s).
pub fn bind(
    schema: &Schema,
    subject: u32,
    tree: &SlotTree,
    record: &serde_json::Value,
    slots: &mut [Value],
) -> Result<(), RecordError> {
    let Some(object) = record.as_object() else {
        return Err(RecordError::new(
            codes::RECORD_MALFORMED,
            format!("expected a JSON object, found {}", describe(record)),
        ));
    };
    bind_record(schema, subject, object, "", Some(tree), slots)
}

/// `prefix.name`, or `name` at the top.
fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn bind_record(
    schema: &Schema,
    record: u32,
    object: &serde_json::Map<String, serde_json::Value>,
    prefix: &str,
    tree: Option<&SlotTree>,
    slots: &mut [Value],
) -> Result<(), RecordError> {
    let Some(record_type) = schema.record(record) else {
        return Err(RecordError::new(
            codes::RECORD_MALFORMED,
            "the program's schema is damaged",
        ));
    };
    // Every problem, wrong values before missing fields: a wrong value is
    // the more specific mistake, so it comes first.
    let mut wrong: Vec<RecordError> = Vec::new();
    let mut missing: Vec<RecordError> = Vec::new();
    for (index, field) in record_type.fields.iter().enumerate() {
        let node = tree.and_then(|t| t.child(index));
        // The key of the lowest rank the record gives the field under.
        let given = field.keys().find_map(|key| object.get(key));
        let Some(json) = given.filter(|v| !v.is_null()) else {
            if !field.ty.is_optional() {
                let how = if given.is_some() { "null" } else { "missing" };
                let path = join(prefix, &field.name);
                missing.push(RecordError::at(
                    codes::RECORD_MISSING_FIELD,
                    format!("field `{path}`: required, but {how}"),
                    path,
                ));
            }
            continue;
        };
        let at = Path::Field {
            prefix,
            name: &field.name,
        };
        let slot = node.and_then(|n| n.slot);
        match convert(
            schema,
            json,
            Want::field(field),
            &at,
            node,
            slot.is_some(),
            slots,
        ) {
            Ok(value) => {
                if let Some(slot) = slot.and_then(|s| slots.get_mut(s)) {
                    *slot = value;
                }
            }
            Err(e) => wrong.push(e),
        }
    }
    wrong.extend(missing);
    RecordError::of_all(wrong).map_or(Ok(()), Err)
}

/// Where a value is, spelled out only when an error names it.
pub(crate) enum Path<'a> {
    /// A record field: `prefix.name`.
    Field { prefix: &'a str, name: &'a str },
    /// A list element, spelled out already: `tags[2]`.
    Element(String),
}

impl Path<'_> {
    /// The path as error messages spell it.
    pub(crate) fn text(&self) -> String {
        match self {
            Path::Field { prefix, name } => join(prefix, name),
            Path::Element(text) => text.clone(),
        }
    }
}

/// What a value must be: its type, and how the field it is given for may
/// write it (a list's elements are written as the list's field says).
#[derive(Clone, Copy)]
pub(crate) struct Want<'a> {
    /// The type, without `?`.
    pub ty: &'a Type,
    /// The field's keys and formats.
    pub read: &'a ReadAs,
}

impl<'a> Want<'a> {
    /// What a value of `field` must be.
    pub(crate) fn field(field: &'a Field) -> Want<'a> {
        Want {
            ty: field.ty.required(),
            read: &field.read,
        }
    }

    /// The same, for a value of type `ty` (a list's element).
    pub(crate) fn of(self, ty: &'a Type) -> Want<'a> {
        Want {
            ty,
            read: self.read,
        }
    }
}

/// Validates one value against its type; builds the value only when `keep`
/// (a slot reads it), so fields the policy does not read cost no allocation.
fn convert(
    schema: &Schema,
    json: &serde_json::Value,
    want: Want,
    at: &Path,
    node: Option<&SlotTree>,
    keep: bool,
    slots: &mut [Value],
) -> Result<Value, RecordError> {
    use serde_json::Value as J;
    match (want.ty, json) {
        (Type::List(element), J::Array(items)) => {
            let mut out = Vec::with_capacity(if keep { items.len() } else { 0 });
            for (i, item) in items.iter().enumerate() {
                let item_at = Path::Element(format!("{}[{i}]", at.text()));
                if item.is_null() {
                    return Err(null_element(schema, element, &item_at));
                }
                let value = convert(schema, item, want.of(element), &item_at, None, keep, slots)?;
                if keep {
                    out.push(value);
                }
            }
            Ok(if keep {
                Value::List(out.into())
            } else {
                Value::Missing
            })
        }
        (Type::Record(r), J::Object(object)) => {
            bind_record(schema, *r, object, &at.text(), node, slots)?;
            Ok(Value::Present)
        }
        (_, J::String(s)) => leaf(schema, Found::Str(s), want, at, keep),
        _ => leaf(schema, Found::Other(json), want, at, keep),
    }
}

/// Validates a whole field value and stores it in the field's slot, if any.
pub(crate) fn convert_value(
    schema: &Schema,
    json: &serde_json::Value,
    want: Want,
    at: &Path,
    node: Option<&SlotTree>,
    slots: &mut [Value],
) -> Result<(), RecordError> {
    let slot = node.and_then(SlotTree::slot);
    let value = convert(schema, json, want, at, node, slot.is_some(), slots)?;
    if let Some(s) = slot.and_then(|s| slots.get_mut(s)) {
        *s = value;
    }
    Ok(())
}

/// Validates a list element (never null here); builds it when `keep`.
pub(crate) fn element_value(
    schema: &Schema,
    json: &serde_json::Value,
    want: Want,
    at: &Path,
    keep: bool,
) -> Result<Value, RecordError> {
    convert(schema, json, want, at, None, keep, &mut [])
}

/// A JSON value as a leaf check needs it: a string, borrowed, or any other value.
#[derive(Clone, Copy)]
pub(crate) enum Found<'a> {
    /// A string.
    Str(&'a str),
    /// Anything else (a string never comes this way).
    Other(&'a serde_json::Value),
}

impl Found<'_> {
    fn describe(self) -> String {
        match self {
            Found::Str(s) => format!("string {}", shorten(s)),
            Found::Other(json) => describe(json),
        }
    }
}

/// The error of a list element that is null.
pub(crate) fn null_element(schema: &Schema, element: &Type, at: &Path) -> RecordError {
    let at = at.text();
    RecordError::at(
        codes::RECORD_WRONG_TYPE,
        format!(
            "field `{at}`: expected {}, found null",
            schema.display(element)
        ),
        at,
    )
}

/// The error of a value of the wrong type.
pub(crate) fn wrong_type(schema: &Schema, ty: &Type, found: &str, at: &Path) -> RecordError {
    let expected = match ty {
        Type::Duration => "duration such as \"4h\"".to_owned(),
        Type::Record(r) => {
            let name = schema.record(*r).map_or("record", |r| r.name.as_str());
            format!("a JSON object for `{name}`")
        }
        other => schema.display(other),
    };
    let path = at.text();
    RecordError::at(
        codes::RECORD_WRONG_TYPE,
        format!("field `{path}`: expected {expected}, found {found}"),
        path,
    )
}

/// 2^63, the first int beyond the 64-bit range.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// Validates a value that is not a list or a record for them: scalars, and
/// anything of the wrong type.
pub(crate) fn leaf(
    schema: &Schema,
    found: Found,
    want: Want,
    at: &Path,
    keep: bool,
) -> Result<Value, RecordError> {
    use serde_json::Value as J;
    let ty = want.ty;
    let wrong = || wrong_type(schema, ty, &found.describe(), at);
    Ok(match (ty, found) {
        (Type::Int, Found::Other(J::Number(n))) => match n.as_i64() {
            Some(i) => Value::Int(i),
            // The JSON integer `-0`, which serde_json reads as the float -0.0
            // (and so cannot tell from `-0.0`). Only the negative zero: `0.0`
            // is a number with `.0`, refused like `80.0` (§8.2).
            None if n.as_f64().is_some_and(|x| x == 0.0 && x.is_sign_negative()) => Value::Int(0),
            // Beyond the 64-bit range: an integer above i64::MAX (a u64), or
            // one serde_json could only read as a rounded float (above
            // u64::MAX, below i64::MIN). A float inside the range was
            // written with a fraction or `.0`, however large (R0201); only
            // -2^63 itself is taken as out of range, being what
            // `-9223372036854775809` rounds to.
            None if n.is_u64() || n.as_f64().is_some_and(|x| !(-TWO_63 < x && x < TWO_63)) => {
                let path = at.text();
                return Err(RecordError::at(
                    codes::RECORD_INTEGER_RANGE,
                    format!("field `{path}`: the integer is outside the 64-bit range"),
                    path,
                ));
            }
            None => return Err(wrong()),
        },
        (Type::Number, Found::Other(J::Number(n))) => Value::Number(n.as_f64().ok_or_else(wrong)?),
        (Type::String, Found::Str(s)) if keep => Value::str(s),
        (Type::String, Found::Str(_)) => Value::Missing,
        (Type::Bool, Found::Other(J::Bool(b))) => Value::Bool(*b),
        (Type::Time, Found::Str(s)) => Value::Time(want.read.formats().instant(s).map_err(|e| {
            let path = at.text();
            let why = match e {
                TextError::Invalid if want.read.formats.is_empty() => {
                    "is not an RFC 3339 time such as \"2026-11-30T09:15:00Z\"".to_owned()
                }
                TextError::Invalid => format!(
                    "is neither an RFC 3339 time such as \"2026-11-30T09:15:00Z\" nor written as {}",
                    quoted_list(&want.read.formats)
                ),
                TextError::OutOfRange => rfc3339::outside_range(),
                TextError::NoZone => "is written with no offset, and the field declares no time zone to read it in: add one, such as `timezone \"America/New_York\"` after the field's type (under `extend record` for a shipped schema)".to_owned(),
            };
            RecordError::at(
                codes::RECORD_BAD_TIME,
                format!("field `{path}`: {} {why}", shorten(s)),
                path,
            )
        })?),
        (Type::Date, Found::Str(s)) => Value::Date(want.read.formats().date(s).map_err(|_| {
            let path = at.text();
            let formats = match want.read.formats.is_empty() {
                true => String::new(),
                false => format!(" or written as {}", quoted_list(&want.read.formats)),
            };
            RecordError::at(
                codes::RECORD_BAD_TIME,
                format!(
                    "field `{path}`: {} is not a date such as \"2026-12-25\"{formats}",
                    shorten(s)
                ),
                path,
            )
        })?),
        (Type::Duration, Found::Str(s)) => Value::Duration(parse_duration(s).ok_or_else(wrong)?),
        (Type::Enum(e), Found::Str(s)) => {
            let Some(enum_type) = schema.enum_type(*e) else {
                let path = at.text();
                return Err(RecordError::at(
                    codes::RECORD_WRONG_TYPE,
                    format!("field `{path}`: expected enum, found {}", found.describe()),
                    path,
                ));
            };
            match enum_type.variant_of(s) {
                Some(i) => Value::Enum(i),
                None => return Err(unknown_variant(enum_type, s, at)),
            }
        }
        _ => return Err(wrong()),
    })
}

/// The error of an enum value that names no variant, with the closest
/// variants (by name or label) first.
fn unknown_variant(enum_type: &EnumType, text: &str, at: &Path) -> RecordError {
    let path = at.text();
    let names = enum_type
        .variants
        .iter()
        .map(String::as_str)
        .chain(enum_type.labels.iter().map(|l| l.text.as_str()));
    let close = match did_you_mean(text, names) {
        Some(close) => format!("did you mean {}? ", shorten(close)),
        None => String::new(),
    };
    let listed: Vec<&str> = enum_type
        .variants
        .iter()
        .take(12)
        .map(String::as_str)
        .collect();
    let more = match enum_type.variants.len().saturating_sub(listed.len()) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    // A picklist (an enum with labels) takes a value of the user's own CRM
    // with `extend enum`.
    let own = match enum_type.labels.is_empty() {
        true => String::new(),
        false => format!(
            "; a value of your own is added with `extend enum {} NAME {}`",
            enum_type.name,
            shorten(text)
        ),
    };
    RecordError::at(
        codes::RECORD_UNKNOWN_VARIANT,
        format!(
            "field `{path}`: {} is not a `{}` ({close}expected one of {}{more}){own}",
            shorten(text),
            enum_type.name,
            listed.join(", ")
        ),
        path,
    )
}

/// `"a", "b"`: declared formats as an error message lists them.
fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Parses a duration field in the source form: `90s`, `30m`, `4h`, `2d`, `1w`.
fn parse_duration(s: &str) -> Option<jiff::SignedDuration> {
    let unit = s.chars().last()?;
    let amount: i64 = s.get(..s.len() - 1)?.parse().ok()?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    Some(jiff::SignedDuration::from_secs(
        amount.checked_mul(seconds)?,
    ))
}

/// A text as JSON, cut short (with `…`) when long, for messages that quote it.
pub(crate) fn shorten(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    if quoted.chars().count() > 42 {
        let short: String = s.chars().take(36).collect();
        format!(
            "{}…\"",
            serde_json::to_string(&short)
                .unwrap_or_default()
                .trim_end_matches('"')
        )
    } else {
        quoted
    }
}

/// A JSON value as a record error names it: `string "high"`, `number 3.5`.
pub(crate) fn describe(json: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match json {
        J::Null => "null".into(),
        J::Bool(b) => format!("bool {b}"),
        J::Number(n) => format!("number {n}"),
        J::String(s) => format!("string {}", shorten(s)),
        J::Array(_) => "a list".into(),
        J::Object(_) => "an object".into(),
    }
}
