//! Reading input records: JSON Lines, a JSON array, or CSV with a header row.
//! Each record becomes a JSON object with its `id` as written (a [`Record`])
//! or, when it cannot be read, a [`RecordError`] in its place, so every record
//! yields one output line.

mod blocks;

use std::fmt;

use serde::de::{Deserializer as _, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::bytecode::schema::{Schema, Type};
use crate::diagnostics::codes;
use crate::source::without_byte_order_mark;
use crate::vm::RecordError;
use crate::vm::record::{self, Record, RecordId, RecordSeed};

pub use blocks::{Block, BlockSize, Lines, ReadError, Records, blocks};

/// A format of input records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    Jsonl,
    /// One JSON array of objects (`.json`).
    Json,
    /// A header row of field names (dotted for nested fields), then one record per row (`.csv`).
    Csv,
}

impl InputFormat {
    /// The format a file's extension implies.
    pub fn from_extension(path: &std::path::Path) -> Option<InputFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(InputFormat::Jsonl),
            "json" => Some(InputFormat::Json),
            "csv" => Some(InputFormat::Csv),
            _ => None,
        }
    }
}

/// One input record, read or not.
pub type InputRecord = Result<Record, RecordError>;

/// Reads one JSONL line: `None` for a blank line, which is not a record.
pub fn jsonl_line(line: &str) -> Option<InputRecord> {
    // As `Vm::decide_line` does: no JSON starts with a byte-order mark.
    let line = without_byte_order_mark(line).trim();
    if line.is_empty() {
        return None;
    }
    Some(json_record(line))
}

/// Reads a text that holds one JSON value as a record (`roe explain --record`).
pub fn json_record(text: &str) -> InputRecord {
    record::read(text).map_err(|e| {
        RecordError::new(
            codes::RECORD_MALFORMED,
            format!("not valid JSON: {}", plain_json_error(&e)),
        )
    })
}

/// A JSON Lines line its caller has already found not to be blank, as a
/// record (a blank one, should it come, is a malformed record).
pub fn jsonl_record(line: &str) -> InputRecord {
    jsonl_line(line).unwrap_or_else(|| {
        Err(RecordError::new(
            codes::RECORD_MALFORMED,
            "a blank line is not a record",
        ))
    })
}

/// Every record of `text` in `format`; the schema converts CSV cells. A
/// byte-order mark at the start of `text` is skipped.
pub fn read(format: InputFormat, text: &str, schema: &Schema, subject: u32) -> Vec<InputRecord> {
    let text = without_byte_order_mark(text);
    match format {
        InputFormat::Jsonl => text.lines().filter_map(jsonl_line).collect(),
        InputFormat::Json => json_array(text),
        InputFormat::Csv => csv_records(text, schema, subject),
    }
}

/// serde_json's message without its line (a record is one line): `... (column N)`.
fn plain_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => format!("{} (column {})", &text[..i], e.column()),
        None => text,
    }
}

/// Reads a JSON array element by element; a break stops reading with an error in its place.
pub(crate) fn json_array(text: &str) -> Vec<InputRecord> {
    /// Collects elements into a vector owned by the caller, so the elements read
    /// before a break survive the error serde reports for the whole array.
    struct Elements<'a>(&'a mut Vec<InputRecord>);
    impl<'de> Visitor<'de> for Elements<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON array of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(record) = seq.next_element_seed(RecordSeed)? {
                self.0.push(Ok(record));
            }
            Ok(())
        }
    }
    if text.trim_start().starts_with('{') {
        // A single object is one record.
        return vec![record::read(text).map_err(|e| {
            RecordError::new(codes::RECORD_MALFORMED, format!("not valid JSON: {e}"))
        })];
    }
    let mut records = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let result = (&mut de).deserialize_seq(Elements(&mut records));
    if result.is_ok()
        && let Err(e) = de.end()
    {
        // The array is whole and its elements are decided; what follows it is
        // one error line, so nothing in the file passes unseen.
        // serde_json counts lines by `\n` and columns in bytes from 1.
        let after = text
            .split('\n')
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum::<usize>()
            + e.column().saturating_sub(1);
        let rest = text.get(after..).unwrap_or_default().trim_end();
        records.push(Err(RecordError::new(
            codes::RECORD_MALFORMED,
            format!(
                "text after the end of the JSON array (line {} column {}): {}",
                e.line(),
                e.column(),
                crate::vm::shorten(rest)
            ),
        )));
    } else if let Err(e) = result {
        let message = if records.is_empty() && !text.trim_start().starts_with('[') {
            format!("expected a JSON array of records: {e}")
        } else {
            // serde_json's own error, where reading the elements into `Value`s
            // finds it (the records reader fails at the same element).
            let e = serde_json::from_str::<Vec<serde_json::Value>>(text)
                .err()
                .unwrap_or(e);
            format!("the JSON array breaks off here: {e}")
        };
        records.push(Err(RecordError::new(codes::RECORD_MALFORMED, message)));
    }
    records
}

/// The type of the field at a dotted path of the subject record.
fn field_type<'s>(schema: &'s Schema, subject: u32, path: &[&str]) -> Option<&'s Type> {
    let mut record = schema.record(subject)?;
    let mut ty = None;
    for (i, name) in path.iter().enumerate() {
        let (_, field) = record.field(name)?;
        ty = Some(&field.ty);
        if i + 1 < path.len() {
            let Type::Record(next) = field.ty.required() else {
                return None;
            };
            record = schema.record(*next)?;
        }
    }
    ty
}

/// A CSV cell as JSON, guided by the field's type; a cell that does not parse
/// stays a string so the binder reports it with the field's name.
fn cell(text: &str, ty: Option<&Type>) -> serde_json::Value {
    use serde_json::Value as J;
    let as_json = || serde_json::from_str::<J>(text).ok();
    match ty.map(Type::required) {
        Some(Type::Int | Type::Number) => as_json()
            .filter(J::is_number)
            .unwrap_or_else(|| J::String(text.to_owned())),
        Some(Type::Bool) => match text.to_ascii_lowercase().as_str() {
            "true" => J::Bool(true),
            "false" => J::Bool(false),
            _ => J::String(text.to_owned()),
        },
        Some(Type::List(_)) => as_json()
            .filter(J::is_array)
            .unwrap_or_else(|| J::String(text.to_owned())),
        _ => J::String(text.to_owned()),
    }
}

fn csv_records(text: &str, schema: &Schema, subject: u32) -> Vec<InputRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let columns = match reader.headers() {
        Ok(header) => CsvColumns::new(header, schema, subject),
        Err(e) => {
            return vec![Err(RecordError::new(
                codes::RECORD_MALFORMED,
                format!("cannot read the CSV header: {e}"),
            ))];
        }
    };
    reader
        .records()
        .map(|row| match row {
            Ok(row) => columns.record(&row),
            Err(e) => Err(csv_row_error(&e)),
        })
        .collect()
}

/// The error of a CSV row the reader could not read.
fn csv_row_error(e: &csv::Error) -> RecordError {
    let detail = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("the row has {len} cells, the header {expected_len}")
        }
        _ => e.to_string(),
    };
    RecordError::new(
        codes::RECORD_MALFORMED,
        format!("unreadable CSV row: {detail}"),
    )
}

/// The columns of a CSV header: the field path each names and that
/// field's type, by which its cells are read.
#[derive(Debug)]
pub struct CsvColumns {
    paths: Vec<Vec<String>>,
    types: Vec<Option<Type>>,
}

impl CsvColumns {
    /// The columns `header` names, in the schema of `subject`.
    pub fn new(header: &csv::StringRecord, schema: &Schema, subject: u32) -> CsvColumns {
        let paths: Vec<Vec<String>> = header
            .iter()
            .map(|name| name.trim().split('.').map(str::to_owned).collect())
            .collect();
        let types = paths
            .iter()
            .map(|path| {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                field_type(schema, subject, &path).cloned()
            })
            .collect();
        CsvColumns { paths, types }
    }

    /// A row as a record: its cells converted by their fields' types.
    pub fn record(&self, row: &csv::StringRecord) -> InputRecord {
        let mut object = serde_json::Map::new();
        let mut id = None;
        for ((path, ty), text) in self.paths.iter().zip(&self.types).zip(row.iter()) {
            if text.is_empty() {
                continue;
            }
            let value = cell(text, ty.as_ref());
            if matches!(path.as_slice(), [name] if name == "id") {
                // A later `id` column replaces an earlier one, as in the object.
                id = match &value {
                    // A number cell is JSON text already (`cell` read it as JSON).
                    serde_json::Value::Number(_) => RawValue::from_string(text.trim().to_owned())
                        .ok()
                        .and_then(|raw| RecordId::written(&raw, &value)),
                    _ => RecordId::of(&value),
                };
            }
            insert(&mut object, path, value);
        }
        Ok(Record {
            json: serde_json::Value::Object(object),
            id,
        })
    }
}

fn insert(
    object: &mut serde_json::Map<String, serde_json::Value>,
    path: &[String],
    value: serde_json::Value,
) {
    match path {
        [] => {}
        [last] => {
            object.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = object
                .entry(first.clone())
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let serde_json::Value::Object(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(record: &InputRecord) -> Result<String, String> {
        record
            .as_ref()
            .map(|r| r.json.to_string())
            .map_err(|e| format!("{}: {}", e.code, e.message))
    }

    /// A whole array is decided; text after it is one error line that names
    /// the text, at the index after the last element.
    #[test]
    fn text_after_a_json_array_is_one_error_line() {
        let read = json_array("[{\"id\":1},\n {\"id\":2}]\r\n\r\n  [{\"id\":3}]  \n");
        let read: Vec<_> = read.iter().map(outcome).collect();
        assert_eq!(
            read,
            [
                Ok(r#"{"id":1}"#.to_owned()),
                Ok(r#"{"id":2}"#.to_owned()),
                Err(r#"R0101: text after the end of the JSON array (line 4 column 3): "[{\"id\":3}]""#.to_owned()),
            ]
        );
        // Whitespace after the array is nothing.
        assert_eq!(json_array("[{\"id\":1}]\n\n  \n").len(), 1);
    }

    /// A break inside the array stops reading there, with serde_json's own
    /// message, also when the element that breaks has an id `1e400`.
    #[test]
    fn an_array_that_breaks_off_gives_serde_json_s_message() {
        for (text, message) in [
            (
                "[{\"id\":1}, {\"id\":1e400}]",
                "R0101: the JSON array breaks off here: number out of range at line 1 column 22",
            ),
            (
                "[{\"id\":1}, {\"id\":,}]",
                "R0101: the JSON array breaks off here: expected value at line 1 column 18",
            ),
        ] {
            let read: Vec<_> = json_array(text).iter().map(outcome).collect();
            assert_eq!(
                read,
                [Ok(r#"{"id":1}"#.to_owned()), Err(message.to_owned())],
                "{text}"
            );
        }
    }
}
