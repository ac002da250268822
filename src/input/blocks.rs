//! Reading records from a file or a stream a block at a time, so an input
//! of any size is decided in bounded memory: a block holds at most
//! [`BlockSize::records`] records or about [`BlockSize::bytes`] bytes of
//! input (one record more than that if a single record is larger), and
//! [`crate::batch::in_order`] takes at most a window of blocks ahead of
//! the first one not yet written.
//!
//! JSON Lines blocks are text the worker binds itself (parsing is most of
//! the work, so it is spread over the cores); CSV blocks are rows split by
//! the csv reader, made records by the worker ([`CsvColumns::record`]). A
//! JSON array is read element by element (`array.rs`), its elements bound
//! to `Value`s as they are read.

use std::io::{BufRead, Read};
use std::sync::Arc;

use crate::bytecode::schema::Schema;
use crate::diagnostics::codes;
use crate::source::without_byte_order_mark;
use crate::vm::RecordError;

use super::array::ArrayElements;
use super::{CsvColumns, Footer, InputFormat, InputRecord};

/// How large a block may grow: it ends at whichever limit it reaches first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockSize {
    /// Records in a block at most.
    pub records: usize,
    /// Bytes of input in a block, about: a block ends with the record that
    /// reaches this.
    pub bytes: usize,
}

impl BlockSize {
    /// 2,048 records or 1 MiB: large enough that handing out blocks costs
    /// nothing beside deciding them, small enough that a few per core stay
    /// a few MiB.
    pub const DEFAULT: BlockSize = BlockSize {
        records: 2_048,
        bytes: 1 << 20,
    };
}

/// A block of records, in input order.
#[derive(Debug)]
pub struct Block {
    /// The index of its first record in the input.
    pub first: usize,
    /// How many bytes of the input are read with this block (for progress).
    pub read_to: u64,
    /// Its records.
    pub records: Records,
}

/// The records of a block, in the form a worker decides them from.
#[derive(Debug)]
pub enum Records {
    /// JSON Lines, each a record (blank lines left out).
    Lines(Lines),
    /// CSV rows, each a record once made one by the columns; an unreadable
    /// row is its error already.
    Rows(Arc<CsvColumns>, Vec<Result<csv::StringRecord, RecordError>>),
    /// Records read already (the elements of a JSON array).
    Read(Vec<InputRecord>),
}

impl Records {
    /// How many records the block holds.
    pub fn len(&self) -> usize {
        match self {
            Records::Lines(lines) => lines.ranges.len(),
            Records::Rows(_, rows) => rows.len(),
            Records::Read(read) => read.len(),
        }
    }

    /// Whether the block holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records, each read: a line parsed, a row made a record.
    pub fn read(&self) -> Box<dyn Iterator<Item = InputRecord> + '_> {
        match self {
            Records::Lines(lines) => Box::new(lines.iter().map(super::jsonl_record)),
            Records::Rows(columns, rows) => Box::new(rows.iter().map(|row| match row {
                Ok(row) => columns.record(row),
                Err(e) => Err(e.clone()),
            })),
            Records::Read(read) => Box::new(read.iter().cloned()),
        }
    }

    /// How many bytes of input the block holds (the text of its lines, for
    /// JSON Lines; the cells of its rows, for CSV).
    pub fn bytes(&self) -> usize {
        match self {
            Records::Lines(lines) => lines.text.len(),
            Records::Rows(_, rows) => rows
                .iter()
                .map(|row| row.as_ref().map_or(0, |r| r.as_slice().len()))
                .sum(),
            Records::Read(_) => 0,
        }
    }
}

/// JSON Lines text and where each non-blank line of it is.
#[derive(Debug)]
pub struct Lines {
    text: String,
    ranges: Vec<(usize, usize)>,
}

impl Lines {
    /// The lines, each one record, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.ranges
            .iter()
            .map(|(start, end)| self.text.get(*start..*end).unwrap_or_default())
    }
}

/// Why reading the input stopped.
#[derive(Debug)]
pub enum ReadError {
    /// The input is not UTF-8: the first invalid byte is at `offset`.
    NotUtf8 {
        /// The byte offset in the input (a CSV row's start, for CSV).
        offset: u64,
        /// For CSV, the line of the row that holds it.
        line: Option<u64>,
    },
    /// Reading failed.
    Io(std::io::Error),
}

/// What to do about input that is not UTF-8.
const CONVERT: &str = "name its encoding, such as `--encoding windows-1252` for a CSV file Excel saved on Windows, or save it as UTF-8 (Excel: CSV UTF-8)";

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotUtf8 { offset, line: None } => {
                write!(
                    f,
                    "is not UTF-8 text (invalid byte at offset {offset}); {CONVERT}"
                )
            }
            ReadError::NotUtf8 {
                offset,
                line: Some(line),
            } => write!(
                f,
                "is not UTF-8 text (an invalid byte in the row at offset {offset}, line {line}); {CONVERT}"
            ),
            ReadError::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// The blocks of `input` in `format`, read as they are taken: a block, or
/// the error that stops reading (the last item then). A byte-order mark at
/// the start is skipped; the schema of `subject` converts CSV cells.
pub fn blocks<'s, R: Read + Send + 's>(
    input: R,
    format: InputFormat,
    schema: &'s Schema,
    subject: u32,
    size: BlockSize,
) -> Box<dyn Iterator<Item = Result<Block, ReadError>> + Send + 's> {
    let capacity = size.bytes.clamp(8 << 10, 1 << 20);
    let reader = std::io::BufReader::with_capacity(capacity, input);
    match format {
        InputFormat::Jsonl => Box::new(JsonLines {
            reader,
            size,
            read: 0,
            next: 0,
            stop: None,
            done: false,
        }),
        InputFormat::Csv => Box::new(CsvRows::new(reader, schema, subject, size)),
        InputFormat::Json => {
            let mut reader = reader;
            let skipped = skip_byte_order_mark(&mut reader);
            Box::new(ArrayElements::new(reader, size, skipped))
        }
    }
}

/// JSON Lines, a block of lines at a time.
struct JsonLines<R> {
    reader: R,
    size: BlockSize,
    /// Bytes read so far.
    read: u64,
    /// The index of the next record.
    next: usize,
    /// The error reading stopped at, given after the lines before it.
    stop: Option<ReadError>,
    done: bool,
}

impl<R: BufRead> JsonLines<R> {
    /// The raw bytes of the next lines, up to the block's limits.
    fn raw(&mut self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut lines = 0;
        while lines < self.size.records && bytes.len() < self.size.bytes {
            match self.reader.read_until(b'\n', &mut bytes) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => lines += 1,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.stop = Some(ReadError::Io(e));
                    break;
                }
            }
        }
        bytes
    }

    /// The next block's text: valid UTF-8 up to the last whole line before
    /// an invalid byte, whose offset then stops reading.
    fn text(&mut self, bytes: Vec<u8>) -> String {
        let start = self.read;
        self.read += bytes.len() as u64;
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                self.stop = Some(ReadError::NotUtf8 {
                    offset: start + valid as u64,
                    line: None,
                });
                let mut bytes = e.into_bytes();
                let cut = bytes[..valid]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |at| at + 1);
                bytes.truncate(cut);
                String::from_utf8(bytes).unwrap_or_default()
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Result<Block, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.stop.is_some() {
            self.done = true;
            return self.stop.take().map(Err);
        }
        let first_bytes = self.read == 0;
        let raw = self.raw();
        let text = self.text(raw);
        // A byte-order mark starts the input, not a record.
        let from = match first_bytes {
            true => text.len() - without_byte_order_mark(&text).len(),
            false => 0,
        };
        let base = text.as_ptr() as usize;
        let ranges: Vec<(usize, usize)> = text
            .get(from..)
            .unwrap_or_default()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let start = line.as_ptr() as usize - base;
                (start, start + line.len())
            })
            .collect();
        let first = self.next;
        self.next += ranges.len();
        Some(Ok(Block {
            first,
            read_to: self.read,
            records: Records::Lines(Lines { text, ranges }),
        }))
    }
}

/// CSV, a block of rows at a time.
struct CsvRows<R> {
    reader: csv::Reader<R>,
    columns: Result<Arc<CsvColumns>, RecordError>,
    size: BlockSize,
    next: usize,
    /// Bytes skipped before the csv reader (a byte-order mark).
    skipped: u64,
    /// The error reading stopped at, given after the rows before it.
    stop: Option<ReadError>,
    done: bool,
    /// Rows that may be a report's footer, held back across blocks.
    footer: Footer,
}

impl<R: BufRead> CsvRows<R> {
    fn new(mut input: R, schema: &Schema, subject: u32, size: BlockSize) -> CsvRows<R> {
        let skipped = skip_byte_order_mark(&mut input);
        // Rows of another width are errors found by `CsvColumns::record`,
        // so that a report's footer can be told from them.
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let columns = match reader.headers() {
            Ok(header) => Ok(Arc::new(CsvColumns::new(header, schema, subject))),
            Err(e) => Err(RecordError::new(
                codes::RECORD_MALFORMED,
                format!("cannot read the CSV header: {e}"),
            )),
        };
        CsvRows {
            reader,
            columns,
            size,
            next: 0,
            skipped,
            stop: None,
            done: false,
            footer: Footer::default(),
        }
    }

    /// A UTF-8 error of the csv reader as where reading stops.
    fn not_utf8(&self, e: &csv::Error) -> Option<ReadError> {
        match e.kind() {
            csv::ErrorKind::Utf8 { pos, .. } => Some(ReadError::NotUtf8 {
                offset: pos.as_ref().map_or(0, |p| p.byte()) + self.skipped,
                line: pos.as_ref().map(csv::Position::line),
            }),
            csv::ErrorKind::Io(_) => Some(ReadError::Io(std::io::Error::other(e.to_string()))),
            _ => None,
        }
    }
}

impl<R: BufRead> Iterator for CsvRows<R> {
    type Item = Result<Block, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.stop.is_some() {
            self.done = true;
            return self.stop.take().map(Err);
        }
        let columns = match &self.columns {
            Ok(columns) => Arc::clone(columns),
            Err(header) => {
                self.done = true;
                let header = header.clone();
                return Some(Ok(Block {
                    first: 0,
                    read_to: self.reader.position().byte() + self.skipped,
                    records: Records::Read(vec![Err(header)]),
                }));
            }
        };
        let mut rows = Vec::new();
        let mut bytes = 0;
        while rows.len() < self.size.records && bytes < self.size.bytes {
            let mut row = csv::StringRecord::new();
            match self.reader.read_record(&mut row) {
                Ok(true) => {
                    bytes += row.as_slice().len();
                    rows.extend(self.footer.pass(row, columns.width()).into_iter().map(Ok));
                }
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => match self.not_utf8(&e) {
                    // The rows before it first; the error comes next time.
                    Some(stop) => {
                        self.stop = Some(stop);
                        break;
                    }
                    None => {
                        rows.extend(self.footer.flush().into_iter().map(Ok));
                        rows.push(Err(super::csv_row_error(&e)));
                    }
                },
            }
        }
        let first = self.next;
        self.next += rows.len();
        Some(Ok(Block {
            first,
            read_to: self.reader.position().byte() + self.skipped,
            records: Records::Rows(columns, rows),
        }))
    }
}

/// Skips a UTF-8 byte-order mark at the start of `input`; the bytes skipped.
fn skip_byte_order_mark(input: &mut impl BufRead) -> u64 {
    const MARK: &[u8] = b"\xEF\xBB\xBF";
    match input.fill_buf() {
        Ok(start) if start.starts_with(MARK) => {
            input.consume(MARK.len());
            MARK.len() as u64
        }
        _ => 0,
    }
}
