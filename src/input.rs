//! Reading input records: JSON Lines, a JSON array, or CSV with a header row.
//! Each record becomes a JSON object with its `id` as written (a [`Record`])
//! or, when it cannot be read, a [`RecordError`] in its place, so every record
//! yields one output line.

mod array;
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

/// A CSV column: the path of the field its header names (dotted for a
/// nested field) and the field's type; an unknown header keeps its own path
/// and is ignored as an unknown key is.
#[derive(Debug)]
struct Column {
    path: Vec<String>,
    ty: Option<Type>,
}

/// The column a header names: the whole header as a key of the subject (a
/// source such as "No. of Employees" may hold dots), or else a dotted path
/// whose every part is a key of its record; with the rank of the key
/// ([`crate::bytecode::schema::Field::keys`]) at the top.
fn column(schema: &Schema, subject: u32, header: &str) -> (Column, usize) {
    let header = header.trim();
    let unknown = || {
        let path = header.split('.').map(str::to_owned).collect();
        (Column { path, ty: None }, 0)
    };
    let Some(top) = schema.record(subject) else {
        return unknown();
    };
    if let Some((i, rank)) = top.field_by_header(header)
        && let Some(field) = top.fields.get(i)
    {
        let path = vec![field.name.clone()];
        return (
            Column {
                path,
                ty: Some(field.ty.clone()),
            },
            rank,
        );
    }
    let mut record = Some(top);
    let (mut path, mut ty, mut top_rank) = (Vec::new(), None, 0);
    for part in header.split('.') {
        // A part after a field that is not a record names nothing.
        let Some((field, rank)) = record
            .and_then(|r| r.field_by_header(part).map(|(i, rank)| (r, i, rank)))
            .and_then(|(r, i, rank)| r.fields.get(i).map(|f| (f, rank)))
        else {
            return unknown();
        };
        if path.is_empty() {
            top_rank = rank;
        }
        path.push(field.name.clone());
        ty = Some(field.ty.clone());
        record = match field.ty.required() {
            Type::Record(next) => schema.record(*next),
            _ => None,
        };
    }
    (Column { path, ty }, top_rank)
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
        Some(Type::Bool) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => J::Bool(true),
            "false" | "0" => J::Bool(false),
            _ => J::String(text.to_owned()),
        },
        Some(Type::List(_)) => as_json()
            .filter(J::is_array)
            .unwrap_or_else(|| J::String(text.to_owned())),
        _ => J::String(text.to_owned()),
    }
}

fn csv_records(text: &str, schema: &Schema, subject: u32) -> Vec<InputRecord> {
    // Rows of another width are errors, found by `CsvColumns::record`, so
    // that a report's footer can be told from them.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
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
    let mut footer = Footer::default();
    let mut out = Vec::new();
    for row in reader.records() {
        match row {
            Ok(row) => out.extend(
                footer
                    .pass(row, columns.width())
                    .iter()
                    .map(|r| columns.record(r)),
            ),
            Err(e) => {
                out.extend(footer.flush().iter().map(|r| columns.record(r)));
                out.push(Err(csv_row_error(&e)));
            }
        }
    }
    out
}

/// The error of a CSV row the reader could not read.
fn csv_row_error(e: &csv::Error) -> RecordError {
    RecordError::new(codes::RECORD_MALFORMED, format!("unreadable CSV row: {e}"))
}

/// The columns of a CSV header: the field each names (by name or source,
/// ignoring case; of two headers naming one field, the key of lower rank is
/// read and the other ignored) and that field's type, by which its cells
/// are read; and the column of the record's key, which gives its id.
#[derive(Debug)]
pub struct CsvColumns {
    columns: Vec<Option<Column>>,
    /// The name of the subject's key field (`id` when it has none).
    key: String,
}

impl CsvColumns {
    /// The columns `header` names, in the schema of `subject`.
    pub fn new(header: &csv::StringRecord, schema: &Schema, subject: u32) -> CsvColumns {
        let named: Vec<(Column, usize)> =
            header.iter().map(|h| column(schema, subject, h)).collect();
        let beaten = |i: usize| {
            named.get(i).is_some_and(|(col, rank)| {
                col.ty.is_some()
                    && named.iter().enumerate().any(|(j, (other, other_rank))| {
                        j != i
                            && other.ty.is_some()
                            && other.path == col.path
                            && (*other_rank, j) < (*rank, i)
                    })
            })
        };
        let keep: Vec<bool> = (0..named.len()).map(|i| !beaten(i)).collect();
        let columns = named
            .into_iter()
            .zip(keep)
            .map(|((col, _), keep)| keep.then_some(col))
            .collect();
        let key = schema
            .record(subject)
            .and_then(|r| r.key_field())
            .map_or_else(|| "id".to_owned(), |f| f.name.clone());
        CsvColumns { columns, key }
    }

    /// How many cells a row has.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// A row as a record: its cells converted by their fields' types; a row
    /// of another width than the header is an error.
    pub fn record(&self, row: &csv::StringRecord) -> InputRecord {
        if row.len() != self.width() {
            return Err(RecordError::new(
                codes::RECORD_MALFORMED,
                format!(
                    "unreadable CSV row: the row has {} cells, the header {}",
                    row.len(),
                    self.width()
                ),
            ));
        }
        let mut object = serde_json::Map::new();
        let mut id = None;
        for (column, text) in self.columns.iter().zip(row.iter()) {
            let Some(Column { path, ty }) = column else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            let value = cell(text, ty.as_ref());
            if matches!(path.as_slice(), [name] if *name == self.key) {
                // A later id column replaces an earlier one, as in the object.
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

/// How the footer of a Salesforce report export begins: a row of one cell,
/// "Confidential Information - Do Not Distribute".
const FOOTER_START: &str = "Confidential Information";

/// Holds back the footer a Salesforce report export appends after its
/// records: a row of one cell that starts with [`FOOTER_START`], and after it
/// only rows of one cell (the copyright, "Generated By: ...", the company's
/// name) to the end of the file. Rows that looked like a footer but are
/// followed by a row of several cells are passed on after all, and are
/// errors of their width as any such row; at the end of the file the rows
/// held back are the footer, and are not records.
#[derive(Debug, Default)]
pub struct Footer {
    held: Vec<csv::StringRecord>,
}

impl Footer {
    /// The rows to read now that `row` came, under a header of `width` cells.
    pub fn pass(&mut self, row: csv::StringRecord, width: usize) -> Vec<csv::StringRecord> {
        let may_be_footer = width > 1
            && row.len() == 1
            && (!self.held.is_empty()
                || row
                    .get(0)
                    .is_some_and(|c| c.trim().starts_with(FOOTER_START)));
        if may_be_footer {
            self.held.push(row);
            return Vec::new();
        }
        let mut out = self.flush();
        out.push(row);
        out
    }

    /// The rows held back, passed on: something other than a footer row
    /// came after them.
    pub fn flush(&mut self) -> Vec<csv::StringRecord> {
        std::mem::take(&mut self.held)
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
