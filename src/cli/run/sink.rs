//! A block's output as a worker makes it: JSON lines or CSV rows, and
//! whether any record was an error.

use jiff::Timestamp;
use roe::vm::decision::{self, Decision, RecordError};
use roe::vm::explain::WhyOf;
use roe::vm::record::RecordId;

use super::summary::Tally;
use super::table::Table;

/// How each record's outcome is written.
#[derive(Clone, Copy, Debug)]
pub enum Shape<'t> {
    /// One JSON line per record (LANGUAGE.md §12).
    Lines,
    /// One CSV row per record, under the table's header.
    Rows(&'t Table),
}

/// The output of one block, made record by record.
pub struct Sink<'t> {
    text: Text<'t>,
    failed: bool,
    tally: Option<Tally>,
    /// With assignment on, outcomes kept for the serial stage to assign
    /// and write, in input order, and the instant they were decided at.
    held: Option<(Vec<Held>, Timestamp)>,
}

/// A record's outcome, held until its hand-offs are assigned.
pub struct Held {
    /// The record's position.
    pub index: usize,
    /// Its id.
    pub id: Option<RecordId>,
    /// Its decision or error.
    pub outcome: Result<Decision, RecordError>,
    /// Its explanation, with `--explain`.
    pub why: Option<WhyOf>,
    /// The instant it was decided at, which assignment counts caps in.
    pub now: Timestamp,
}

/// The output of a block, and what is known of it.
pub struct Made {
    /// The lines or rows.
    pub text: Vec<u8>,
    /// Whether any record was an error.
    pub failed: bool,
    /// The block's counts, when the run prints a summary.
    pub tally: Option<Tally>,
    /// The outcomes held for assignment (nothing written for them yet).
    pub held: Vec<Held>,
}

/// The text made so far.
enum Text<'t> {
    Lines(Vec<u8>),
    Rows(Box<csv::Writer<Vec<u8>>>, &'t Table),
}

impl<'t> Sink<'t> {
    /// An empty sink for about `records` records, counting them for a
    /// summary when `summary`.
    pub fn new(shape: Shape<'t>, records: usize, summary: bool) -> Sink<'t> {
        let buffer = Vec::with_capacity(records * 160);
        let text = match shape {
            Shape::Lines => Text::Lines(buffer),
            Shape::Rows(table) => Text::Rows(Box::new(csv::Writer::from_writer(buffer)), table),
        };
        Sink {
            text,
            failed: false,
            tally: summary.then(Tally::default),
            held: None,
        }
    }

    /// The same sink, holding outcomes decided at `now` for assignment
    /// instead of writing them.
    pub fn holding(mut self, now: Timestamp) -> Sink<'t> {
        self.held = Some((Vec::new(), now));
        self
    }

    /// The CSV header row, for a sink of rows (nothing for lines).
    pub fn header(shape: Shape<'t>) -> Vec<u8> {
        let mut sink = Sink::new(shape, 1, false);
        if let Text::Rows(rows, table) = &mut sink.text {
            // Writing to memory cannot fail.
            let _ = rows.write_record(table.header());
        }
        sink.finish().text
    }

    /// Writes the outcome of the record at `index`, with its `why` when explained.
    pub fn push(
        &mut self,
        index: usize,
        id: Option<&RecordId>,
        outcome: &Result<Decision, RecordError>,
        why: Option<&WhyOf>,
    ) {
        if let Some((held, now)) = &mut self.held {
            held.push(Held {
                index,
                id: id.cloned(),
                outcome: outcome.clone(),
                why: why.cloned(),
                now: *now,
            });
            return;
        }
        self.failed |= outcome.is_err();
        if let Some(tally) = &mut self.tally {
            tally.count(outcome);
        }
        match &mut self.text {
            Text::Lines(lines) => {
                let line = match why {
                    None => decision::line(index, id, outcome),
                    Some(why) => decision::explained_line(index, id, outcome, Some(why)),
                };
                lines.extend_from_slice(line.as_bytes());
                lines.push(b'\n');
            }
            Text::Rows(rows, table) => {
                // Writing to memory cannot fail.
                let _ = rows.write_record(table.row(index, id, outcome));
            }
        }
    }

    /// The output made.
    pub fn finish(self) -> Made {
        let text = match self.text {
            Text::Lines(lines) => lines,
            // Flushing to memory cannot fail.
            Text::Rows(rows, _) => rows.into_inner().unwrap_or_default(),
        };
        Made {
            text,
            failed: self.failed,
            tally: self.tally,
            held: self.held.map(|(held, _)| held).unwrap_or_default(),
        }
    }
}
