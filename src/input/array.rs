//! A JSON array read element by element, so a file of any size is decided
//! in bounded memory. A small scanner finds where each element ends (depth,
//! strings, escapes) and each element is read as a record on its own. Where
//! the array breaks, the error is serde_json's for the text from the
//! element that broke, moved to where that text stands in the file: the
//! message a reader of the whole file would give, and what
//! [`super::json_array`] gives.

use std::io::BufRead;

use super::blocks::{Block, BlockSize, ReadError, Records};
use super::{InputRecord, json_array};
use crate::diagnostics::codes;
use crate::vm::RecordError;
use crate::vm::record;

/// Where in the file the reader is: a byte offset, and serde_json's line
/// (counted by `\n`) and column (in bytes, from 1).
#[derive(Clone, Copy, Debug)]
struct Position {
    offset: u64,
    line: usize,
    column: usize,
}

/// A JSON array's elements, a block at a time.
pub(super) struct ArrayElements<R> {
    reader: R,
    size: BlockSize,
    at: Position,
    /// The index of the next record.
    next: usize,
    /// Whether the `[` was read.
    started: bool,
    /// Whether the array (or the input) ended, or reading stopped.
    done: bool,
    /// The error reading stopped at, given after the records before it.
    stop: Option<ReadError>,
}

impl<R: BufRead> ArrayElements<R> {
    /// Reads `reader`, which is past any byte-order mark (`skipped` bytes).
    pub(super) fn new(reader: R, size: BlockSize, skipped: u64) -> ArrayElements<R> {
        ArrayElements {
            reader,
            size,
            at: Position {
                offset: skipped,
                line: 1,
                column: 1,
            },
            next: 0,
            started: false,
            done: false,
            stop: None,
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        match self.reader.fill_buf() {
            Ok(buf) => Ok(buf.first().copied()),
            Err(e) => Err(ReadError::Io(e)),
        }
    }

    /// Takes the next byte, keeping the position.
    fn bump(&mut self, keep: &mut Vec<u8>) -> Result<Option<u8>, ReadError> {
        let Some(byte) = self.peek()? else {
            return Ok(None);
        };
        self.reader.consume(1);
        self.at.offset += 1;
        if byte == b'\n' {
            self.at.line += 1;
            self.at.column = 1;
        } else {
            self.at.column += 1;
        }
        keep.push(byte);
        Ok(Some(byte))
    }

    /// Skips whitespace, keeping it in `keep`.
    fn skip_space(&mut self, keep: &mut Vec<u8>) -> Result<(), ReadError> {
        while matches!(self.peek()?, Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump(keep)?;
        }
        Ok(())
    }

    /// The rest of the input, read whole (for input that is not an array).
    fn rest(&mut self, mut text: Vec<u8>) -> Result<String, ReadError> {
        let start = self.at.offset - text.len() as u64;
        std::io::Read::read_to_end(&mut self.reader, &mut text).map_err(ReadError::Io)?;
        String::from_utf8(text).map_err(|e| ReadError::NotUtf8 {
            offset: start + e.utf8_error().valid_up_to() as u64,
            line: None,
        })
    }

    /// One element's text, from here to where it ends (not consumed).
    fn element(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut text = Vec::new();
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        while let Some(byte) = self.peek()? {
            if in_string {
                self.bump(&mut text)?;
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                    if depth == 0 {
                        break;
                    }
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => break,
                b'}' | b']' => {
                    depth -= 1;
                    self.bump(&mut text)?;
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => break,
                _ => {}
            }
            self.bump(&mut text)?;
        }
        Ok(text)
    }

    /// The error of an array that breaks in `text` (read from `start`, and
    /// a few bytes more): serde_json's, at its place in the file.
    fn breaks(&mut self, start: Position, mut text: Vec<u8>) -> InputRecord {
        // Reading stops here, so what follows may be taken: serde_json may
        // need a few bytes past the break to name it (the four of a `\u`).
        for _ in 0..64 {
            if !matches!(self.bump(&mut text), Ok(Some(_))) {
                break;
            }
        }
        let mut doc = b"[".to_vec();
        doc.extend_from_slice(&text);
        let doc = String::from_utf8_lossy(&doc);
        let message = match serde_json::from_str::<Vec<serde_json::Value>>(&doc) {
            Err(e) => {
                let what = e.to_string();
                let what = what.split(" at line ").next().unwrap_or(&what).to_owned();
                // `[` stands one column before `start` on its line.
                let (line, column) = match e.line() {
                    1 => (start.line, (start.column + e.column()).saturating_sub(2)),
                    l => (start.line + l - 1, e.column()),
                };
                format!("{what} at line {line} column {column}")
            }
            Ok(_) => "the array is cut short".to_owned(),
        };
        Err(RecordError::new(
            codes::RECORD_MALFORMED,
            format!("the JSON array breaks off here: {message}"),
        ))
    }

    /// The next records, up to a block: the array's elements, or the error
    /// it breaks at (after which nothing more is read).
    fn fill(&mut self, out: &mut Vec<InputRecord>) -> Result<(), ReadError> {
        let mut space = Vec::new();
        if !self.started {
            self.skip_space(&mut space)?;
            if self.peek()? != Some(b'[') {
                // A single object, or something that is not an array at all:
                // read as the whole text is.
                let text = self.rest(space)?;
                out.extend(json_array(&text));
                self.done = true;
                return Ok(());
            }
            self.bump(&mut space)?;
            self.started = true;
            space.clear();
            self.skip_space(&mut space)?;
            if self.peek()? == Some(b']') {
                self.bump(&mut space)?;
                return self.after_end(out);
            }
        }
        while out.len() < self.size.records.max(1) {
            let start = self.at;
            let mut since = Vec::new();
            self.skip_space(&mut since)?;
            let element_start = self.at;
            let element = self.element()?;
            let text = match String::from_utf8(element) {
                Ok(text) => text,
                Err(e) => {
                    return Err(ReadError::NotUtf8 {
                        offset: element_start.offset + e.utf8_error().valid_up_to() as u64,
                        line: None,
                    });
                }
            };
            since.extend_from_slice(text.as_bytes());
            // The scanner ends a bare value at a separator; serde_json ends
            // it where the value ends (`0true` is `0`, then a broken array).
            let end = value_end(&text);
            let record = end
                .and_then(|end| text.get(..end))
                .and_then(|value| record::read(value).ok());
            let Some(record) = record else {
                out.push(self.breaks(start, since));
                self.done = true;
                return Ok(());
            };
            if end.is_some_and(|end| end < text.len()) {
                out.push(Ok(record));
                out.push(self.breaks(start, since));
                self.done = true;
                return Ok(());
            }
            self.skip_space(&mut since)?;
            match self.peek()? {
                Some(b',') => {
                    self.bump(&mut since)?;
                    out.push(Ok(record));
                    // A comma must be followed by another element.
                    let mut more = Vec::new();
                    self.skip_space(&mut more)?;
                    if matches!(self.peek()?, Some(b']') | None) {
                        since.extend_from_slice(&more);
                        out.push(self.breaks(start, since));
                        self.done = true;
                        return Ok(());
                    }
                }
                Some(b']') => {
                    self.bump(&mut since)?;
                    out.push(Ok(record));
                    return self.after_end(out);
                }
                _ => {
                    // The element is read; the array breaks after it.
                    out.push(Ok(record));
                    out.push(self.breaks(start, since));
                    self.done = true;
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// After the `]`: whitespace is nothing; any other text is one error.
    fn after_end(&mut self, out: &mut Vec<InputRecord>) -> Result<(), ReadError> {
        self.done = true;
        let mut space = Vec::new();
        self.skip_space(&mut space)?;
        let at = self.at;
        if self.peek()?.is_none() {
            return Ok(());
        }
        // The message quotes the start of the text, cut short when all of
        // it (less trailing whitespace) is long: keep 256 bytes, and look
        // through the rest only for whether more than whitespace follows.
        let mut rest = Vec::new();
        while rest.len() < 256 && self.bump(&mut rest)?.is_some() {}
        // Not in the middle of a character.
        while std::str::from_utf8(&rest).is_err_and(|e| e.error_len().is_none())
            && rest.len() < 260
            && self.bump(&mut rest)?.is_some()
        {}
        let rest = match String::from_utf8(rest) {
            Ok(rest) => rest,
            Err(e) => {
                return Err(ReadError::NotUtf8 {
                    offset: at.offset + e.utf8_error().valid_up_to() as u64,
                    line: None,
                });
            }
        };
        let more = self.more_than_space(at.offset + rest.len() as u64)?;
        let shown = if more { rest.as_str() } else { rest.trim_end() };
        out.push(Err(RecordError::new(
            codes::RECORD_MALFORMED,
            format!(
                "text after the end of the JSON array (line {} column {}): {}",
                at.line,
                at.column,
                crate::vm::shorten(shown)
            ),
        )));
        Ok(())
    }

    /// Reads the input to its end: whether anything but whitespace is left
    /// (and that it is UTF-8, as a whole-text read would require; `offset`
    /// is where it starts).
    fn more_than_space(&mut self, offset: u64) -> Result<bool, ReadError> {
        let (mut more, mut read, mut carry) = (false, 0u64, Vec::new());
        loop {
            let chunk = self.reader.fill_buf().map_err(ReadError::Io)?;
            if chunk.is_empty() {
                break;
            }
            let taken = chunk.len();
            carry.extend_from_slice(chunk);
            self.reader.consume(taken);
            let valid = match std::str::from_utf8(&carry) {
                Ok(_) => carry.len(),
                // A character cut at the end of the chunk: keep its bytes.
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(e) => {
                    return Err(ReadError::NotUtf8 {
                        offset: offset + read + e.valid_up_to() as u64,
                        line: None,
                    });
                }
            };
            more |= carry[..valid]
                .iter()
                .any(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
            read += valid as u64;
            carry.drain(..valid);
        }
        match carry.is_empty() {
            true => Ok(more),
            false => Err(ReadError::NotUtf8 {
                offset: offset + read,
                line: None,
            }),
        }
    }
}

/// Where the first JSON value of `text` ends, as serde_json reads it; `None`
/// when `text` does not start with one.
fn value_end(text: &str) -> Option<usize> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    let first = values.next()?;
    let end = values.byte_offset();
    match first {
        Ok(_) => Some(end),
        // A number with letters after it: the number, then the letters.
        Err(e) if end > 0 && e.to_string().starts_with("trailing characters") => Some(end),
        Err(_) => None,
    }
}

impl<R: BufRead> Iterator for ArrayElements<R> {
    type Item = Result<Block, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(stop) = self.stop.take() {
            return Some(Err(stop));
        }
        if self.done {
            return None;
        }
        let mut records = Vec::new();
        if let Err(stop) = self.fill(&mut records) {
            self.done = true;
            if records.is_empty() {
                return Some(Err(stop));
            }
            self.stop = Some(stop);
        }
        if records.is_empty() {
            return None;
        }
        let first = self.next;
        self.next += records.len();
        Some(Ok(Block {
            first,
            read_to: self.at.offset,
            records: Records::Read(records),
        }))
    }
}
