//! Binding: each input record is validated against the subject record type
//! (every field, read or not) and the fields the program reads are stored in
//! their slots. This is the only place JSON keys are looked up; evaluation
//! then reads slots by index.

use std::collections::HashMap;

use crate::bytecode::program::Program;
use crate::bytecode::schema::{Schema, Type};
use crate::bytecode::value::Value;
use crate::diagnostics::codes;
use crate::vm::RecordError;

/// The slots of a program arranged as a tree of field names.
#[derive(Debug, Default)]
pub struct SlotTree {
    slot: Option<usize>,
    children: HashMap<String, SlotTree>,
}

impl SlotTree {
    /// The tree of a program's slot paths.
    pub fn new(program: &Program) -> SlotTree {
        let mut root = SlotTree::default();
        for (i, path) in program.parts().slots.iter().enumerate() {
            let mut node = &mut root;
            for name in path {
                node = node.children.entry(name.clone()).or_default();
            }
            node.slot = Some(i);
        }
        root
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
    // A wrong value is reported before a missing field: it is the more specific mistake.
    let mut missing: Option<RecordError> = None;
    for field in &record_type.fields {
        let path = if prefix.is_empty() {
            field.name.clone()
        } else {
            format!("{prefix}.{}", field.name)
        };
        let node = tree.and_then(|t| t.children.get(&field.name));
        let given = object.get(&field.name);
        let Some(json) = given.filter(|v| !v.is_null()) else {
            if !field.ty.is_optional() && missing.is_none() {
                let how = if given.is_some() { "null" } else { "missing" };
                missing = Some(RecordError::at(
                    codes::RECORD_MISSING_FIELD,
                    format!("field `{path}`: required, but {how}"),
                    path,
                ));
            }
            continue;
        };
        let value = convert(schema, json, field.ty.required(), &path, node, slots)?;
        if let Some(slot) = node.and_then(|n| n.slot).and_then(|s| slots.get_mut(s)) {
            *slot = value;
        }
    }
    missing.map_or(Ok(()), Err)
}

fn convert(
    schema: &Schema,
    json: &serde_json::Value,
    ty: &Type,
    path: &str,
    node: Option<&SlotTree>,
    slots: &mut [Value],
) -> Result<Value, RecordError> {
    use serde_json::Value as J;
    let wrong = |expected: &str| {
        RecordError::at(
            codes::RECORD_WRONG_TYPE,
            format!(
                "field `{path}`: expected {expected}, found {}",
                describe(json)
            ),
            path.to_owned(),
        )
    };
    Ok(match (ty, json) {
        (Type::Int, J::Number(n)) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None if n.is_u64()
                || n.as_f64()
                    .is_some_and(|x| x.fract() == 0.0 && x.abs() >= 9.2e18) =>
            {
                return Err(RecordError::at(
                    codes::RECORD_INTEGER_RANGE,
                    format!("field `{path}`: the integer is outside the 64-bit range"),
                    path.to_owned(),
                ));
            }
            None => return Err(wrong("int")),
        },
        (Type::Number, J::Number(n)) => Value::Number(n.as_f64().ok_or_else(|| wrong("number"))?),
        (Type::String, J::String(s)) => Value::str(s),
        (Type::Bool, J::Bool(b)) => Value::Bool(*b),
        (Type::Time, J::String(s)) => Value::Time(s.parse().map_err(|_| {
            RecordError::at(
                codes::RECORD_BAD_TIME,
                format!(
                    "field `{path}`: {} is not an RFC 3339 time such as \"2026-11-30T09:15:00Z\"",
                    shorten(s)
                ),
                path.to_owned(),
            )
        })?),
        (Type::Date, J::String(s)) => Value::Date(s.parse().map_err(|_| {
            RecordError::at(
                codes::RECORD_BAD_TIME,
                format!(
                    "field `{path}`: {} is not a date such as \"2026-12-25\"",
                    shorten(s)
                ),
                path.to_owned(),
            )
        })?),
        (Type::Duration, J::String(s)) => {
            Value::Duration(parse_duration(s).ok_or_else(|| wrong("duration such as \"4h\""))?)
        }
        (Type::Enum(e), J::String(s)) => {
            let Some(enum_type) = schema.enum_type(*e) else {
                return Err(wrong("enum"));
            };
            match enum_type.variants.iter().position(|v| v == s) {
                Some(i) => Value::Enum(u32::try_from(i).unwrap_or(u32::MAX)),
                None => {
                    return Err(RecordError::at(
                        codes::RECORD_UNKNOWN_VARIANT,
                        format!(
                            "field `{path}`: {} is not a `{}` (expected one of {})",
                            shorten(s),
                            enum_type.name,
                            enum_type.variants.join(", ")
                        ),
                        path.to_owned(),
                    ));
                }
            }
        }
        (Type::List(element), J::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                if item.is_null() {
                    let at = format!("{path}[{i}]");
                    return Err(RecordError::at(
                        codes::RECORD_WRONG_TYPE,
                        format!(
                            "field `{at}`: expected {}, found null",
                            schema.display(element)
                        ),
                        at,
                    ));
                }
                out.push(convert(
                    schema,
                    item,
                    element,
                    &format!("{path}[{i}]"),
                    None,
                    slots,
                )?);
            }
            Value::List(out.into())
        }
        (Type::Record(r), J::Object(object)) => {
            bind_record(schema, *r, object, path, node, slots)?;
            Value::Present
        }
        (Type::Record(r), _) => {
            let name = schema.record(*r).map_or("record", |r| r.name.as_str());
            return Err(wrong(&format!("a JSON object for `{name}`")));
        }
        _ => return Err(wrong(&schema.display(ty))),
    })
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

fn shorten(s: &str) -> String {
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
