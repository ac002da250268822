//! Binding straight from JSON text: one pass of serde_json's parser over a
//! JSON Lines record that validates every field and fills the slots, without
//! building a `serde_json::Value` for the record. It answers exactly as
//! parsing into a `Value` and then [`super::bind`] would — the same value or
//! the same error, chosen by the same precedence (the first wrong field in
//! schema order, then the first missing one; the last of duplicate keys
//! counts) — and where it would not know the exact answer (text that is not
//! JSON, a record that is not an object) it says so, and the caller takes
//! the `Value` path. A property test holds the two paths together.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use serde_json::value::RawValue;

use super::RecordError;
use super::bind::{Found, Path, SlotTree, leaf, null_element, wrong_type};
use super::record::RecordId;
use crate::bytecode::schema::{Schema, Type};
use crate::bytecode::value::Value;

/// The fields of every record type, sorted by name, for looking keys up;
/// and, per field, the field that followed it in the last record, since the
/// records of one file mostly list their keys in one order (a guess the
/// schema confirms before it is used).
#[derive(Debug, Default)]
pub struct FieldNames {
    by_record: Vec<Vec<(String, usize)>>,
    /// Per record type: the field that last followed field `i` (the last
    /// entry: the field that came first).
    next: Vec<Vec<Cell<usize>>>,
}

impl FieldNames {
    /// The lookup tables of a schema.
    pub fn new(schema: &Schema) -> FieldNames {
        let by_record = schema
            .records
            .iter()
            .map(|r| {
                let mut names: Vec<(String, usize)> = r
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.name.clone(), i))
                    .collect();
                names.sort();
                names
            })
            .collect();
        FieldNames {
            by_record,
            next: schema
                .records
                .iter()
                .map(|r| {
                    (0..=r.fields.len())
                        .map(|_| Cell::new(usize::MAX))
                        .collect()
                })
                .collect(),
        }
    }

    /// The index of field `name` of `record`, which came after field `after`
    /// (`None`: first in its object).
    fn find(
        &self,
        schema: &Schema,
        record: u32,
        after: Option<usize>,
        name: &str,
    ) -> Option<usize> {
        let fields = schema.record(record).map(|r| &r.fields);
        let record = record as usize;
        let hint = self.next.get(record).and_then(|next| {
            let at = after.unwrap_or(next.len().saturating_sub(1));
            next.get(at)
        });
        if let Some(hint) = hint {
            let guess = hint.get();
            if fields
                .and_then(|f| f.get(guess))
                .is_some_and(|f| f.name == name)
            {
                return Some(guess);
            }
        }
        let names = self.by_record.get(record)?;
        let found = names
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .and_then(|i| names.get(i))
            .map(|(_, field)| *field)?;
        if let Some(hint) = hint {
            hint.set(found);
        }
        Some(found)
    }
}

/// The outcome of binding a line from its text.
pub enum TextBinding {
    /// The record, valid or not, and its top-level `id` as given.
    Record {
        /// `Ok` when every field is valid; the slots are filled.
        result: Result<(), RecordError>,
        /// The `id` member, for the output line.
        id: Option<RecordId>,
    },
    /// The text is not a JSON object: the caller parses it into a `Value`,
    /// whose error message is the one to give.
    NotARecord,
}

/// Binds one line of JSON Lines. `slots` must hold `Missing`s.
pub fn bind_text(
    schema: &Schema,
    names: &FieldNames,
    subject: u32,
    tree: &SlotTree,
    text: &str,
    slots: &mut [Value],
) -> TextBinding {
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = RecordSeed {
        ctx: Ctx { schema, names },
        record: subject,
        prefix: String::new(),
        tree: Some(tree),
        slots,
        top: true,
    };
    match seed.deserialize(&mut de).and_then(|outcome| {
        de.end()?;
        Ok(outcome)
    }) {
        Ok(Some((result, id))) => TextBinding::Record { result, id },
        _ => TextBinding::NotARecord,
    }
}

#[derive(Clone, Copy)]
struct Ctx<'a> {
    schema: &'a Schema,
    names: &'a FieldNames,
}

/// What one field turned out to be.
enum Outcome {
    /// Present and valid.
    Valid,
    /// `null`.
    Null,
    /// Present and wrong.
    Wrong(RecordError),
}

/// A record: its fields validated, its slots filled. `None` when the JSON
/// value is not an object (only asked of the top level).
struct RecordSeed<'a, 's> {
    ctx: Ctx<'a>,
    record: u32,
    prefix: String,
    tree: Option<&'a SlotTree>,
    slots: &'s mut [Value],
    top: bool,
}

type RecordOutcome = Option<(Result<(), RecordError>, Option<RecordId>)>;

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = RecordOutcome;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RecordOutcome, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_> {
    type Value = RecordOutcome;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<RecordOutcome, A::Error> {
        let ctx = self.ctx;
        let Some(record_type) = ctx.schema.record(self.record) else {
            return Ok(None);
        };
        let mut outcomes: Vec<Option<Outcome>> = std::iter::repeat_with(|| None)
            .take(record_type.fields.len())
            .collect();
        let mut id = None;
        let mut previous = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let found = ctx.names.find(ctx.schema, self.record, previous, &key);
            if found.is_some() {
                previous = found;
            }
            if self.top && key == "id" {
                // The output line repeats the `id` as given (a number as
                // written); it is checked as a value.
                let raw: &'de RawValue = map.next_value()?;
                let value: serde_json::Value =
                    serde_json::from_str(raw.get()).map_err(serde::de::Error::custom)?;
                if let Some(index) = found {
                    // A later `id` replaces an earlier one entirely, as for any key.
                    if let Some(node) = self.tree.and_then(|t| t.child(index)) {
                        node.clear(self.slots);
                    }
                    let outcome = self.value_outcome(index, &value);
                    if let Some(o) = outcomes.get_mut(index) {
                        *o = Some(outcome);
                    }
                }
                id = RecordId::written(raw, &value);
                continue;
            }
            let Some(index) = found else {
                map.next_value::<Skip>()?;
                continue;
            };
            let Some(field) = record_type.fields.get(index) else {
                map.next_value::<Skip>()?;
                continue;
            };
            let node = self.tree.and_then(|t| t.child(index));
            // A later duplicate key replaces the earlier one entirely.
            if let Some(node) = node {
                node.clear(self.slots);
            }
            let outcome = map.next_value_seed(FieldSeed {
                ctx,
                ty: field.ty.required(),
                prefix: &self.prefix,
                name: &field.name,
                node,
                slots: self.slots,
            })?;
            if let Some(o) = outcomes.get_mut(index) {
                *o = Some(outcome);
            }
        }
        let result = settle(&self.prefix, record_type, outcomes);
        Ok(Some((result, id)))
    }

    // Anything but an object: the caller takes the `Value` path for its message.
    fn visit_bool<E>(self, _: bool) -> Result<RecordOutcome, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<RecordOutcome, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<RecordOutcome, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<RecordOutcome, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<RecordOutcome, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<RecordOutcome, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RecordOutcome, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(None)
    }
}

impl RecordSeed<'_, '_> {
    /// The outcome of a field given as a whole value (the top-level `id`).
    fn value_outcome(&mut self, index: usize, value: &serde_json::Value) -> Outcome {
        let Some(field) = self
            .ctx
            .schema
            .record(self.record)
            .and_then(|r| r.fields.get(index))
        else {
            return Outcome::Null;
        };
        if value.is_null() {
            return Outcome::Null;
        }
        let node = self.tree.and_then(|t| t.child(index));
        let at = Path::Field {
            prefix: &self.prefix,
            name: &field.name,
        };
        let found = match value {
            serde_json::Value::String(s) => Found::Str(s),
            other => Found::Other(other),
        };
        let slot = node.and_then(SlotTree::slot);
        match (field.ty.required(), found) {
            (Type::List(_) | Type::Record(_), _) => {
                // An `id` that is a list or record: rare enough to check the slow way.
                match super::bind::convert_value(
                    self.ctx.schema,
                    value,
                    field.ty.required(),
                    &at,
                    node,
                    self.slots,
                ) {
                    Ok(()) => Outcome::Valid,
                    Err(e) => Outcome::Wrong(e),
                }
            }
            (ty, found) => match leaf(self.ctx.schema, found, ty, &at, slot.is_some()) {
                Ok(v) => {
                    if let Some(s) = slot.and_then(|s| self.slots.get_mut(s)) {
                        *s = v;
                    }
                    Outcome::Valid
                }
                Err(e) => Outcome::Wrong(e),
            },
        }
    }
}

/// The record's answer from its fields' outcomes: the first wrong field in
/// schema order, else the first required field missing or null.
fn settle(
    prefix: &str,
    record_type: &crate::bytecode::schema::RecordType,
    outcomes: Vec<Option<Outcome>>,
) -> Result<(), RecordError> {
    let mut missing = None;
    for (field, outcome) in record_type.fields.iter().zip(outcomes) {
        match outcome {
            Some(Outcome::Wrong(e)) => return Err(e),
            Some(Outcome::Valid) => {}
            None | Some(Outcome::Null) if field.ty.is_optional() => {}
            absent => {
                if missing.is_none() {
                    let how = if absent.is_some() { "null" } else { "missing" };
                    let path = Path::Field {
                        prefix,
                        name: &field.name,
                    }
                    .text();
                    missing = Some(RecordError::at(
                        crate::diagnostics::codes::RECORD_MISSING_FIELD,
                        format!("field `{path}`: required, but {how}"),
                        path,
                    ));
                }
            }
        }
    }
    missing.map_or(Ok(()), Err)
}

/// One field's value: validated against its type, stored in its slot.
struct FieldSeed<'a, 's> {
    ctx: Ctx<'a>,
    ty: &'a Type,
    prefix: &'s str,
    name: &'s str,
    node: Option<&'a SlotTree>,
    slots: &'s mut [Value],
}

impl FieldSeed<'_, '_> {
    fn at(&self) -> Path<'_> {
        Path::Field {
            prefix: self.prefix,
            name: self.name,
        }
    }

    /// A scalar's outcome, stored in the slot when valid.
    fn scalar(self, found: Found) -> Outcome {
        let slot = self.node.and_then(SlotTree::slot);
        match leaf(self.ctx.schema, found, self.ty, &self.at(), slot.is_some()) {
            Ok(v) => {
                if let Some(s) = slot.and_then(|s| self.slots.get_mut(s)) {
                    *s = v;
                }
                Outcome::Valid
            }
            Err(e) => Outcome::Wrong(e),
        }
    }

    fn wrong(&self, found: &str) -> Outcome {
        Outcome::Wrong(wrong_type(self.ctx.schema, self.ty, found, &self.at()))
    }
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = Outcome;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Outcome, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_> {
    type Value = Outcome;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Outcome, E> {
        Ok(self.scalar(Found::Other(&serde_json::Value::Bool(b))))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Outcome, E> {
        Ok(self.scalar(Found::Other(&serde_json::Value::Number(n.into()))))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Outcome, E> {
        Ok(self.scalar(Found::Other(&serde_json::Value::Number(n.into()))))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Outcome, E> {
        // serde_json gives only finite floats; a `Value` would hold the same number.
        let json = serde_json::Number::from_f64(x)
            .map_or(serde_json::Value::Null, serde_json::Value::Number);
        Ok(self.scalar(Found::Other(&json)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Outcome, E> {
        Ok(self.scalar(Found::Str(s)))
    }
    fn visit_unit<E>(self) -> Result<Outcome, E> {
        Ok(Outcome::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outcome, A::Error> {
        let Type::Record(record) = self.ty else {
            while map.next_entry::<Skip, Skip>()?.is_some() {}
            return Ok(self.wrong("an object"));
        };
        let prefix = self.at().text();
        let seed = RecordSeed {
            ctx: self.ctx,
            record: *record,
            prefix,
            tree: self.node,
            slots: self.slots,
            top: false,
        };
        let outcome = seed.visit_map(map)?;
        let slot = self.node.and_then(SlotTree::slot);
        Ok(match outcome {
            Some((Ok(()), _)) => {
                if let Some(s) = slot.and_then(|s| self.slots.get_mut(s)) {
                    *s = Value::Present;
                }
                Outcome::Valid
            }
            Some((Err(e), _)) => Outcome::Wrong(e),
            None => Outcome::Wrong(wrong_type(
                self.ctx.schema,
                self.ty,
                "an object",
                &Path::Field {
                    prefix: self.prefix,
                    name: self.name,
                },
            )),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Outcome, A::Error> {
        let Type::List(element) = self.ty else {
            while seq.next_element::<Skip>()?.is_some() {}
            return Ok(self.wrong("a list"));
        };
        let slot = self.node.and_then(SlotTree::slot);
        let keep = slot.is_some();
        let base = self.at().text();
        let mut items = Vec::new();
        let mut first_error = None;
        let mut index = 0usize;
        while let Some(item) = seq.next_element_seed(Element {
            ctx: self.ctx,
            ty: element,
            at: format!("{base}[{index}]"),
            keep: keep && first_error.is_none(),
            check: first_error.is_none(),
        })? {
            match item {
                Ok(v) => {
                    if keep {
                        items.push(v);
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
            index += 1;
        }
        Ok(match first_error {
            Some(e) => Outcome::Wrong(e),
            None => {
                if let Some(s) = slot.and_then(|s| self.slots.get_mut(s)) {
                    *s = Value::List(items.into());
                }
                Outcome::Valid
            }
        })
    }
}

/// A list element, checked like a `Value` path would check it (elements are
/// never records with slots of their own). Parsed into a `Value`: lists in
/// records are rare, and their elements may nest.
struct Element<'a> {
    ctx: Ctx<'a>,
    ty: &'a Type,
    at: String,
    keep: bool,
    check: bool,
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = Result<Value, RecordError>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let json = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
        if !self.check {
            return Ok(Ok(Value::Missing));
        }
        let at = Path::Element(self.at);
        if json.is_null() {
            return Ok(Err(null_element(self.ctx.schema, self.ty, &at)));
        }
        Ok(super::bind::element_value(
            self.ctx.schema,
            &json,
            self.ty,
            &at,
            self.keep,
        ))
    }
}

/// An object key, borrowed from the text unless it holds escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Any JSON value, parsed as fully as a `Value` would be (so that the same
/// texts are errors) and dropped.
struct Skip;

impl<'de> serde::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    use crate::vm::Policy;

    /// Every line decides from its text exactly as from its parsed `Value`.
    #[test]
    fn lists_nested_records_and_duplicates_bind_as_parsed() {
        let policy = "policy p for deal\n\
            enum stage draft, won, lost\n\
            record owner\n  email: string\n  group: string?\n\
            record deal\n  id: string\n  tags: list of string\n  amounts: list of int?\n  stage: stage\n  owner: owner?\n  note: string?\n\
            rule tagged when \"vip\" in tags and owner is set and owner.email = \"a@x\" then tag \"vip\"\n\
            rule staged when stage = won then tag \"won\"\n\
            rule named when id = \"twice\" then tag \"twice\"\n";
        let compilation = crate::compile_source("p.roe", policy);
        let program = compilation
            .program
            .unwrap_or_else(|| panic!("{:?}", compilation.diagnostics));
        let policy = Policy::new(program);
        let now = jiff::Timestamp::UNIX_EPOCH;
        let lines = [
            r#"{"id":"1","tags":["vip"],"stage":"draft","owner":{"email":"a@x"}}"#,
            r#"{"id":"2","tags":["vip",3],"stage":"draft"}"#,
            r#"{"id":"3","tags":["vip",null],"stage":"won"}"#,
            r#"{"id":"4","tags":[],"amounts":[1,2.5],"stage":"won"}"#,
            r#"{"id":"5","tags":[],"stage":"won","owner":{"group":"x"}}"#,
            r#"{"id":"6","tags":[],"stage":"won","owner":{"email":7}}"#,
            r#"{"id":"7","tags":[],"stage":"won","stage":"nope"}"#,
            r#"{"id":"8","tags":[],"stage":"nope","stage":"won"}"#,
            r#"{"id":"9","tags":["vip"],"stage":"draft","owner":{"email":"a@x"},"owner":null}"#,
            r#"{"id":"10","tags":"vip","stage":"draft","extra":{"deep":[1,{"x":null}]}}"#,
            r#"{"id":11,"tags":[],"stage":"lost","owner":[]}"#,
            r#"{"tags":[],"stage":"lost","id":null}"#,
            r#"{"id":"13","tags":[],"stage":"lost","note":"\u00e9\"","owner":{"email":"a@x","email":"b@x"}}"#,
            r#"[1,2]"#,
            r#""text""#,
            r#"{"id":"16","tags":[],"stage":"won"} trailing"#,
            r#"{"id":"17","tags":[],"stage":"won","n":1e400}"#,
            r#"{"id":"18","id":null,"tags":["vip"],"stage":"draft","owner":{"email":"a@x"}}"#,
            r#"{"id":"19","id":"twice","tags":[],"stage":"won"}"#,
            r#"{"id":"20","tags":[],"amounts":[-0,0,-0.0],"stage":"won"}"#,
            r#"{"id":"21","tags":[],"amounts":[-1.0],"stage":"won"}"#,
        ];
        for line in lines {
            let mut from_text = policy.vm(now);
            let mut parsed = policy.vm(now);
            let expected = match crate::input::jsonl_line(line) {
                Some(Ok(record)) => (record.id, parsed.decide(&record.json)),
                Some(Err(e)) => (None, Err(e)),
                None => continue,
            };
            assert_eq!(from_text.decide_line(line), expected, "{line}");
        }
    }

    /// A line that starts with a byte-order mark decides as the line without it.
    #[test]
    fn a_byte_order_mark_before_a_line_is_skipped() {
        let program = crate::compile_source(
            "p.roe",
            "policy p for deal\nrecord deal\n  id: string\nrule any when id = \"1\" then tag \"one\"\n",
        )
        .program
        .expect("compiles");
        let policy = Policy::new(program);
        let mut vm = policy.vm(jiff::Timestamp::UNIX_EPOCH);
        let plain = vm.decide_line(r#"{"id":"1"}"#);
        assert!(plain.1.is_ok());
        assert_eq!(vm.decide_line("\u{feff}{\"id\":\"1\"}"), plain);
    }
}
