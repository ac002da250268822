//! Reading input records: JSON Lines, a JSON array, or CSV with a header row.
//! Each record becomes a JSON object or, when it cannot be read, a
//! [`RecordError`] in its place, so every record yields one output line.

use std::fmt;

use serde::de::{Deserializer as _, SeqAccess, Visitor};

use crate::bytecode::schema::{Schema, Type};
use crate::diagnostics::codes;
use crate::source::without_byte_order_mark;
use crate::vm::RecordError;

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
pub type InputRecord = Result<serde_json::Value, RecordError>;

/// Reads one JSONL line: `None` for a blank line, which is not a record.
pub fn jsonl_line(line: &str) -> Option<InputRecord> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    Some(
        serde_json::from_str::<serde_json::Value>(line).map_err(|e| {
            RecordError::new(
                codes::RECORD_MALFORMED,
                format!("not valid JSON: {}", plain_json_error(&e)),
            )
        }),
    )
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
pub fn plain_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => format!("{} (column {})", &text[..i], e.column()),
        None => text,
    }
}

/// Reads a JSON array element by element; a break stops reading with an error in its place.
fn json_array(text: &str) -> Vec<InputRecord> {
    /// Collects elements into a vector owned by the caller, so the elements read
    /// before a break survive the error serde reports for the whole array.
    struct Elements<'a>(&'a mut Vec<InputRecord>);
    impl<'de> Visitor<'de> for Elements<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON array of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                self.0.push(Ok(v));
            }
            Ok(())
        }
    }
    if text.trim_start().starts_with('{') {
        // A single object is one record.
        return vec![serde_json::from_str(text).map_err(|e| {
            RecordError::new(codes::RECORD_MALFORMED, format!("not valid JSON: {e}"))
        })];
    }
    let mut records = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let result = (&mut de)
        .deserialize_seq(Elements(&mut records))
        .and_then(|()| de.end());
    if let Err(e) = result {
        let message = if records.is_empty() && !text.trim_start().starts_with('[') {
            format!("expected a JSON array of records: {e}")
        } else {
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
    let headers: Vec<Vec<String>> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|name| name.trim().split('.').map(str::to_owned).collect())
            .collect(),
        Err(e) => {
            return vec![Err(RecordError::new(
                codes::RECORD_MALFORMED,
                format!("cannot read the CSV header: {e}"),
            ))];
        }
    };
    let types: Vec<Option<&Type>> = headers
        .iter()
        .map(|path| {
            field_type(
                schema,
                subject,
                &path.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
        .collect();
    let mut out = Vec::new();
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let detail = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("the row has {len} cells, the header {expected_len}")
                    }
                    _ => e.to_string(),
                };
                out.push(Err(RecordError::new(
                    codes::RECORD_MALFORMED,
                    format!("unreadable CSV row: {detail}"),
                )));
                continue;
            }
        };
        let mut object = serde_json::Map::new();
        for ((path, ty), value) in headers.iter().zip(&types).zip(row.iter()) {
            if value.is_empty() {
                continue;
            }
            insert(&mut object, path, cell(value, *ty));
        }
        out.push(Ok(serde_json::Value::Object(object)));
    }
    out
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
