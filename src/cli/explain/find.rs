//! Finding the record of `--records FILE` that has `--id ID`, reading the
//! file a block at a time.

use std::path::Path;

use roe::bytecode::schema::Schema;
use roe::input::BlockSize;
use roe::vm::Record;

use super::{UsageError, output, run};

/// Ids named when none matches: at most this many, the nearest first.
const NEAREST: usize = 3;

/// The record found, and its index in the file.
pub struct Found {
    /// Its index, as `roe run` numbers it.
    pub index: usize,
    /// The record.
    pub record: Record,
}

/// The first record of `file` whose id is `id`; a note on stderr when
/// later ones have it too; a usage error naming the nearest ids when none has.
pub fn by_id(file: &Path, id: &str, schema: &Schema, subject: u32) -> Result<Found, UsageError> {
    let format = run::format_of(file)?;
    let input = run::open(file)?;
    let mut search = Search::new(id);
    for block in roe::input::blocks(input, format, schema, subject, BlockSize::DEFAULT) {
        let block = block.map_err(|e| UsageError(format!("`{}` {e}", file.display())))?;
        for (index, record) in (block.first..).zip(block.records.read()) {
            if let Ok(record) = record {
                search.see(index, record);
            }
        }
    }
    search.result(file)
}

/// What is known of the search so far.
struct Search<'a> {
    id: &'a str,
    found: Option<Found>,
    /// The indexes of later records with the id.
    again: Vec<usize>,
    /// The ids nearest the one sought, with their distances, nearest first.
    nearest: Vec<(usize, String)>,
}

impl<'a> Search<'a> {
    fn new(id: &'a str) -> Search<'a> {
        Search {
            id,
            found: None,
            again: Vec::new(),
            nearest: Vec::new(),
        }
    }

    /// Looks at the record at `index`.
    fn see(&mut self, index: usize, record: Record) {
        let Some(text) = record.id.as_ref().map(run::id_text) else {
            return;
        };
        if text == self.id {
            match self.found {
                None => self.found = Some(Found { index, record }),
                Some(_) => self.again.push(index),
            }
        } else if self.found.is_none() {
            self.near(text);
        }
    }

    /// Keeps `text` among the nearest ids, if it is near enough.
    fn near(&mut self, text: String) {
        let distance = strsim::levenshtein(&text.to_lowercase(), &self.id.to_lowercase());
        if distance > self.id.chars().count().div_ceil(3).max(2)
            || self.nearest.iter().any(|(_, seen)| *seen == text)
        {
            return;
        }
        let at = self.nearest.partition_point(|(d, _)| *d <= distance);
        if at < NEAREST {
            self.nearest.insert(at, (distance, text));
            self.nearest.truncate(NEAREST);
        }
    }

    /// The record found, or why there is none.
    fn result(self, file: &Path) -> Result<Found, UsageError> {
        let Some(found) = self.found else {
            let nearest: Vec<String> = self
                .nearest
                .iter()
                .map(|(_, id)| format!("`{id}`"))
                .collect();
            let help = match nearest.as_slice() {
                [] => "; ids are matched as decision lines show them (`L-1003` for \"L-1003\")"
                    .to_owned(),
                _ => format!("; the nearest: {}", nearest.join(", ")),
            };
            return Err(UsageError(format!(
                "no record of `{}` has the id `{}`{help}",
                file.display(),
                self.id
            )));
        };
        if !self.again.is_empty() {
            let later: Vec<String> = self.again.iter().map(usize::to_string).collect();
            output::error_line(&format!(
                "roe: note: the id `{}` is also the id of the record at index {} of `{}`; this explains the first, at index {}",
                self.id,
                later.join(", "),
                file.display(),
                found.index
            ));
        }
        Ok(found)
    }
}
