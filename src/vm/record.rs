//! A record read from JSON text: its value, and its `id` as the output line
//! repeats it. A `serde_json::Value` cannot always hold a number as written
//! (an integer beyond 64 bits becomes a float, `1e2` becomes `100.0`), so the
//! reader keeps the text of a top-level `id` while it builds the value, and a
//! number id is echoed exactly as given. Everything else about the value is
//! what `serde_json::from_str::<Value>` would give, errors included: where
//! the reader fails (only ever where that parse fails too), the error is
//! that parse's own.

use std::fmt;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// A record's `id` as its output line repeats it: JSON text, a number exactly
/// as the input wrote it and any other value written compactly.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct RecordId(Box<RawValue>);

impl RecordId {
    /// The id of a value as serde_json holds it (a number it read as a
    /// float prints as one): for records given as values.
    pub fn of(value: &Value) -> Option<RecordId> {
        serde_json::value::to_raw_value(value).ok().map(RecordId)
    }

    /// The id of `value`, whose JSON text is `raw`: a number keeps its text.
    /// (So does a string with no escapes, which is already written compactly.)
    pub fn written(raw: &RawValue, value: &Value) -> Option<RecordId> {
        match value {
            Value::Number(_) => Some(RecordId(raw.to_owned())),
            Value::String(_) if !raw.get().contains('\\') => Some(RecordId(raw.to_owned())),
            _ => RecordId::of(value),
        }
    }

    /// The id as JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RecordId {
    fn eq(&self, other: &RecordId) -> bool {
        self.json() == other.json()
    }
}

impl Eq for RecordId {}

impl std::hash::Hash for RecordId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.json().hash(state);
    }
}

/// A record as read: its JSON value (an object, unless the input held
/// something else there) and its top-level `id`.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The record's value.
    pub json: Value,
    /// Its top-level `id`, as the output line repeats it.
    pub id: Option<RecordId>,
}

impl Record {
    /// A record given as a value, its `id` as the value holds it.
    pub fn from_json(json: Value) -> Record {
        let id = json.get("id").and_then(RecordId::of);
        Record { json, id }
    }
}

/// Reads `text`, one JSON value and nothing after it, as a record.
pub fn read(text: &str) -> Result<Record, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    match RecordSeed
        .deserialize(&mut de)
        .and_then(|record| de.end().map(|()| record))
    {
        Ok(record) => Ok(record),
        Err(e) => Err(serde_json::from_str::<Value>(text).err().unwrap_or(e)),
    }
}

/// Reads one JSON value as a [`Record`], keeping the text of its `id`; for
/// reading records inside a larger document (the elements of an array). It
/// borrows from the text, so it reads from `serde_json::Deserializer::from_str`.
/// Its error may differ from serde_json's for the same text (an `id` such as
/// `1e400` is read twice): a reader that reports it takes serde_json's.
pub struct RecordSeed;

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = Record;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Record, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut object = serde_json::Map::new();
        let mut id = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "id" {
                // A later `id` replaces an earlier one, as in a `Value`.
                let raw: &'de RawValue = map.next_value()?;
                let value: Value = serde_json::from_str(raw.get()).map_err(de::Error::custom)?;
                id = RecordId::written(raw, &value);
                object.insert(key, value);
            } else {
                let value: Value = map.next_value()?;
                object.insert(key, value);
            }
        }
        Ok(Record {
            json: Value::Object(object),
            id,
        })
    }

    // Anything but an object is a value with no `id`.
    fn visit_bool<E>(self, b: bool) -> Result<Record, E> {
        Ok(Record::from_json(Value::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Record, E> {
        Ok(Record::from_json(Value::from(n)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Record, E> {
        Ok(Record::from_json(Value::from(n)))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Record, E> {
        Ok(Record::from_json(Value::from(x)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Record, E> {
        Ok(Record::from_json(Value::from(s)))
    }
    fn visit_unit<E>(self) -> Result<Record, E> {
        Ok(Record::from_json(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Record, A::Error> {
        let value = serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Record::from_json(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value is what serde_json gives; the id keeps a number's text.
    #[test]
    fn records_read_as_values_with_their_ids_as_written() {
        for (text, id) in [
            (r#"{"id":"L-1","n":1}"#, Some(r#""L-1""#)),
            (
                r#"{"id":18446744073709551616}"#,
                Some("18446744073709551616"),
            ),
            (
                r#"{"id": -12345678901234567890123 }"#,
                Some("-12345678901234567890123"),
            ),
            (r#"{"id":1e2}"#, Some("1e2")),
            (r#"{"id":1.50}"#, Some("1.50")),
            (r#"{"id":-0}"#, Some("-0")),
            (r#"{"id":"\u0041"}"#, Some(r#""A""#)),
            (r#"{"id":[1, 2]}"#, Some("[1,2]")),
            (r#"{"id":1,"id":"x"}"#, Some(r#""x""#)),
            (r#"{"id":null}"#, Some("null")),
            (r#"{"n":1}"#, None),
            (r#"[{"id":1}]"#, None),
            ("7", None),
        ] {
            let record = read(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let parsed: Value = serde_json::from_str(text).unwrap();
            assert_eq!(record.json, parsed, "{text}");
            assert_eq!(record.id.as_ref().map(RecordId::json), id, "{text}");
        }
    }

    /// Errors are serde_json's own, at the same place.
    #[test]
    fn errors_are_those_of_parsing_into_a_value() {
        for text in [
            r#"{"id":1e400}"#,
            r#"{"id":1e400,"n":1}"#,
            r#"{"n":1e400}"#,
            r#"{"id":"L-1""#,
            r#"{"id":"L-1"} x"#,
            "",
            "[1,",
        ] {
            let expected = serde_json::from_str::<Value>(text)
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert_eq!(
                read(text).map(|_| ()).map_err(|e| e.to_string()),
                expected,
                "{text}"
            );
        }
    }
}
