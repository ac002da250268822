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
use super::bind::{Found, Path, SlotTree, Want, leaf, null_element, wrong_type};
use super::record::RecordId;
use crate::bytecode::schema::{Schema, Type};
use crate::bytecode::value::Value;

/// The keys of every record type's fields (names, then sources), sorted,
/// for looking keys up; and, per field, the field that followed it in the
/// last record, since the records of one file mostly list their keys in one
/// order (a guess the schema confirms before it is used).
#[derive(Debug, Default)]
pub struct FieldNames {
    by_record: Vec<Vec<(String, Named)>>,
    /// Per record type: the field that last followed field `i` (the last
    /// entry: the field that came first).
    next: Vec<Vec<Cell<usize>>>,
}

/// The field a key names, and how: `rank` 0 is its name, `1 + i` its
/// source `i`. When a record gives a field under several keys, the key of
/// the lowest rank counts (and of equal keys the last, as for any key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Named {
    pub field: usize,
    pub rank: usize,
}

impl FieldNames {
    /// The lookup tables of a schema.
    pub fn new(schema: &Schema) -> FieldNames {
        let by_record = schema
            .records
            .iter()
            .map(|r| {
                let mut names: Vec<(String, Named)> = Vec::new();
                for (field, f) in r.fields.iter().enumerate() {
                    for (rank, key) in f.keys().enumerate() {
                        names.push((key.to_owned(), Named { field, rank }));
                    }
                }
                // A key that names two fields (a source equal to another
                // field's name, from a `.roec` the checker never saw) names
                // the one it names first.
                names.sort();
                names.dedup_by(|b, a| a.0 == b.0);
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

    /// The field key `name` of `record` names, which came after field
    /// `after` (`None`: first in its object).
    fn find(
        &self,
        schema: &Schema,
        record: u32,
        after: Option<usize>,
        name: &str,
    ) -> Option<Named> {
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
                return Some(Named {
                    field: guess,
                    rank: 0,
                });
            }
        }
        let names = self.by_record.get(record)?;
        let found = names
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .and_then(|i| names.get(i))
            .map(|(_, named)| *named)?;
        if let Some(hint) = hint {
            hint.set(found.field);
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
        // The rank of the key each field's outcome came from.
        let mut ranks = vec![usize::MAX; record_type.fields.len()];
        let key_field = record_type.key.map(|k| k as usize);
        let mut id = None;
        let mut previous = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let found = ctx.names.find(ctx.schema, self.record, previous, &key);
            if let Some(found) = found {
                previous = Some(found.field);
            }
            // A key of lower rank than the one a field was given by is not read.
            let counts = found.map(|f| ranks.get(f.field).is_some_and(|r| f.rank <= *r));
            if counts == Some(false) {
                map.next_value::<Skip>()?;
                continue;
            }
            let is_id = self.top
                && match (found, key_field) {
                    (Some(found), Some(k)) => found.field == k,
                    (_, None) => key == "id",
                    (None, Some(_)) => false,
                };
            if is_id {
                // The output line repeats the id as given (a number as
                // written); it is checked as a value.
                let raw: &'de RawValue = map.next_value()?;
                let value: serde_json::Value =
                    serde_json::from_str(raw.get()).map_err(serde::de::Error::custom)?;
                if let Some(found) = found {
                    // A later key replaces an earlier one entirely.
                    if let Some(node) = self.tree.and_then(|t| t.child(found.field)) {
                        node.clear(self.slots);
                    }
                    let outcome = self.value_outcome(found.field, &value);
                    if let Some(o) = outcomes.get_mut(found.field) {
                        *o = Some(outcome);
                    }
                    if let Some(r) = ranks.get_mut(found.field) {
                        *r = found.rank;
                    }
                }
                // A number is kept as written under `id` only, as the
                // `Value` path keeps it (`Vm::id_of`).
                id = match &*key {
                    "id" => RecordId::written(raw, &value),
                    _ => RecordId::of(&value),
                };
                continue;
            }
            let Some(found) = found else {
                map.next_value::<Skip>()?;
                continue;
            };
            let index = found.field;
            let Some(field) = record_type.fields.get(index) else {
                map.next_value::<Skip>()?;
                continue;
            };
            let node = self.tree.and_then(|t| t.child(index));
            // A later key for the field replaces the earlier one entirely.
            if let Some(node) = node {
                node.clear(self.slots);
            }
            let outcome = map.next_value_seed(FieldSeed {
                ctx,
                want: Want::field(field),
                prefix: &self.prefix,
                name: &field.name,
                node,
                slots: self.slots,
            })?;
            if let Some(o) = outcomes.get_mut(index) {
                *o = Some(outcome);
            }
            if let Some(r) = ranks.get_mut(index) {
                *r = found.rank;
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
                    Want::field(field),
                    &at,
                    node,
                    self.slots,
                ) {
                    Ok(()) => Outcome::Valid,
                    Err(e) => Outcome::Wrong(e),
                }
            }
            (ty, found) => match leaf(
                self.ctx.schema,
                found,
                Want {
                    ty,
                    read: &field.read,
                },
                &at,
                slot.is_some(),
            ) {
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

/// The record's answer from its fields' outcomes, as [`super::bind`] gives
/// it: every wrong field in schema order, then every required field missing
/// or null.
fn settle(
    prefix: &str,
    record_type: &crate::bytecode::schema::RecordType,
    outcomes: Vec<Option<Outcome>>,
) -> Result<(), RecordError> {
    let mut wrong = Vec::new();
    let mut missing = Vec::new();
    for (field, outcome) in record_type.fields.iter().zip(outcomes) {
        match outcome {
            Some(Outcome::Wrong(e)) => wrong.push(e),
            Some(Outcome::Valid) => {}
            None | Some(Outcome::Null) if field.ty.is_optional() => {}
            absent => {
                let how = if absent.is_some() { "null" } else { "missing" };
                let path = Path::Field {
                    prefix,
                    name: &field.name,
                }
                .text();
                missing.push(RecordError::at(
                    crate::diagnostics::codes::RECORD_MISSING_FIELD,
                    format!("field `{path}`: required, but {how}"),
                    path,
                ));
            }
        }
    }
    wrong.extend(missing);
    RecordError::of_all(wrong).map_or(Ok(()), Err)
}

/// One field's value: validated against its type, stored in its slot.
struct FieldSeed<'a, 's> {
    ctx: Ctx<'a>,
    want: Want<'a>,
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
        match leaf(
            self.ctx.schema,
            found,
            self.want,
            &self.at(),
            slot.is_some(),
        ) {
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
        Outcome::Wrong(wrong_type(self.ctx.schema, self.want.ty, found, &self.at()))
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
        let Type::Record(record) = self.want.ty else {
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
                self.want.ty,
                "an object",
                &Path::Field {
                    prefix: self.prefix,
                    name: self.name,
                },
            )),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Outcome, A::Error> {
        let Type::List(element) = self.want.ty else {
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
            want: self.want.of(element),
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
    want: Want<'a>,
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
            return Ok(Err(null_element(self.ctx.schema, self.want.ty, &at)));
        }
        Ok(super::bind::element_value(
            self.ctx.schema,
            &json,
            self.want,
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

    /// Sources, labels, formats and the key bind from the text exactly as
    /// from the parsed `Value`: the lowest-ranked key of a field counts, and
    /// the id comes from the key field under the key that counts.
    #[test]
    fn sources_labels_formats_and_the_key_bind_as_parsed() {
        let policy = "policy p for export\n\
            enum status fresh \"Open - Not Contacted\", won \"Closed Won\" \"Won\"\n\
            record export key lead_id\n  lead_id: string from \"Lead ID\", \"ID\"\n  \
            size: int? from \"No. of Employees\", \"NumberOfEmployees\"\n  status: status from \"Lead Status\"\n  \
            created: time from \"Created Date\" format \"%m/%d/%Y %I:%M %p\" timezone \"America/New_York\"\n\
            rule big when size is set and size >= 100 then tag \"big\"\n\
            rule won when status = won then tag \"won\"\n\
            rule recent when created > 2026-11-30T14:00:00Z then tag \"recent\"\n";
        let compilation = crate::compile_source("p.roe", policy);
        let program = compilation
            .program
            .unwrap_or_else(|| panic!("{:?}", compilation.diagnostics));
        let policy = Policy::new(program);
        let now = jiff::Timestamp::UNIX_EPOCH;
        let lines = [
            r#"{"Lead ID":"L-1","No. of Employees":150,"Lead Status":"Closed Won","Created Date":"11/30/2026 9:15 AM"}"#,
            r#"{"ID":"L-2","lead_id":"L-2b","size":5,"NumberOfEmployees":500,"status":"fresh","created":"2026-11-30T09:15:00.000Z"}"#,
            r#"{"NumberOfEmployees":500,"No. of Employees":5,"Lead ID":"L-3","status":"Won","created":"11/30/2026 9:15 PM"}"#,
            r#"{"Lead ID":"L-4","ID":"L-4b","status":"Open","created":"11/30/2026 9:15"}"#,
            r#"{"Lead ID":"L-5","Lead ID":"L-5b","status":"fresh","created":"30/11/2026"}"#,
            r#"{"lead_id":18446744073709551616,"status":"fresh","created":"2026-11-30T09:15:00Z"}"#,
            r#"{"ID":1e2,"status":"won","created":"2026-11-30T09:15:00Z","size":null,"No. of Employees":3}"#,
        ];
        for line in lines {
            let mut from_text = policy.vm(now);
            let mut parsed = policy.vm(now);
            let expected = match crate::input::jsonl_line(line) {
                Some(Ok(record)) => (parsed.id_of(&record), parsed.decide(&record.json)),
                Some(Err(e)) => (None, Err(e)),
                None => continue,
            };
            assert_eq!(from_text.decide_line(line), expected, "{line}");
        }
        let mut vm = policy.vm(now);
        let mut line = |n: usize| {
            let (id, outcome) = vm.decide_line(lines[n]);
            crate::vm::decision::line(n, id.as_ref(), &outcome)
        };
        // Sources, a label, a report time in New York (14:15Z).
        assert!(
            line(0).starts_with(r#"{"index":0,"id":"L-1","rule":"big""#),
            "{}",
            line(0)
        );
        // The name counts over a source, an earlier source over a later one.
        assert!(
            line(1).starts_with(r#"{"index":1,"id":"L-2b","rule":null"#),
            "{}",
            line(1)
        );
        assert!(
            line(2).starts_with(r#"{"index":2,"id":"L-3","rule":"won""#),
            "{}",
            line(2)
        );
        // A label is matched exactly; a time with no AM/PM is not the format.
        assert!(
            line(3).contains(r#""code":"R0203""#) && line(3).contains("did you mean"),
            "{}",
            line(3)
        );
        assert!(
            line(4).contains(r#""code":"R0205""#) && line(4).contains(r#""id":"L-5b""#),
            "{}",
            line(4)
        );
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
