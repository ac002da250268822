//! Assignment state: per team the turn (who round robin picked last, each
//! member's credit under smooth weights), per member the records taken in
//! each cap window, and the ledger of who was given which record. A
//! [`Store`] keeps it: [`State`] in memory; `roe::assign::sqlite` in a file.
//! Turns and credits are kept by member name, so adding or removing a
//! member keeps everyone else's place.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::fmt;

/// A team's turn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Turn {
    /// The member round robin picked last.
    pub last: Option<String>,
    /// Each member's credit under smooth weights.
    pub credit: BTreeMap<String, i64>,
}

/// What the ledger holds of one record's assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The team the record went to (after any overflow).
    pub team: String,
    /// Who took it, if anyone could.
    pub assignee: Option<String>,
    /// When it was assigned (the decision's `now`, RFC 3339).
    pub at: String,
    /// The rule that handed it off.
    pub rule: String,
}

/// A store that cannot be read or written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    /// The `S` code.
    pub code: &'static str,
    /// What went wrong, naming the store.
    pub message: String,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for StoreError {}

/// Where assignment state is kept. Changes since the last [`Store::commit`]
/// are seen by this store at once and made durable together.
pub trait Store {
    /// Team `team`'s turn.
    fn turn(&mut self, team: &str) -> Result<Turn, StoreError>;
    /// Keeps team `team`'s turn.
    fn save_turn(&mut self, team: &str, turn: &Turn) -> Result<(), StoreError>;
    /// How many records `member` took in cap window `window`.
    fn count(&mut self, member: &str, window: &str) -> Result<u32, StoreError>;
    /// Counts one more record for `member` in `window`.
    fn take(&mut self, member: &str, window: &str) -> Result<(), StoreError>;
    /// The ledger's entry for record key `key`.
    fn recorded(&mut self, key: &str) -> Result<Option<Entry>, StoreError>;
    /// Records the assignment of record key `key`.
    fn record(&mut self, key: &str, entry: &Entry) -> Result<(), StoreError>;
    /// Makes every change since the last commit durable, together.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Every ledger entry, by record key, in key order.
    fn ledger(&mut self) -> Result<Vec<(String, Entry)>, StoreError>;
}

impl<T: Store + ?Sized> Store for Box<T> {
    fn turn(&mut self, team: &str) -> Result<Turn, StoreError> {
        (**self).turn(team)
    }
    fn save_turn(&mut self, team: &str, turn: &Turn) -> Result<(), StoreError> {
        (**self).save_turn(team, turn)
    }
    fn count(&mut self, member: &str, window: &str) -> Result<u32, StoreError> {
        (**self).count(member, window)
    }
    fn take(&mut self, member: &str, window: &str) -> Result<(), StoreError> {
        (**self).take(member, window)
    }
    fn recorded(&mut self, key: &str) -> Result<Option<Entry>, StoreError> {
        (**self).recorded(key)
    }
    fn record(&mut self, key: &str, entry: &Entry) -> Result<(), StoreError> {
        (**self).record(key, entry)
    }
    fn commit(&mut self) -> Result<(), StoreError> {
        (**self).commit()
    }
    fn ledger(&mut self) -> Result<Vec<(String, Entry)>, StoreError> {
        (**self).ledger()
    }
}

/// Assignment state in memory: it starts empty and lives as long as the run.
#[derive(Debug, Default)]
pub struct State {
    turns: HashMap<String, Turn>,
    counts: HashMap<(String, String), u32>,
    ledger: HashMap<String, Entry>,
}

impl State {
    /// Empty state.
    pub fn new() -> State {
        State::default()
    }
}

impl Store for State {
    fn turn(&mut self, team: &str) -> Result<Turn, StoreError> {
        Ok(self.turns.get(team).cloned().unwrap_or_default())
    }

    fn save_turn(&mut self, team: &str, turn: &Turn) -> Result<(), StoreError> {
        self.turns.insert(team.to_owned(), turn.clone());
        Ok(())
    }

    fn count(&mut self, member: &str, window: &str) -> Result<u32, StoreError> {
        Ok(self
            .counts
            .get(&(member.to_owned(), window.to_owned()))
            .copied()
            .unwrap_or(0))
    }

    fn take(&mut self, member: &str, window: &str) -> Result<(), StoreError> {
        *self
            .counts
            .entry((member.to_owned(), window.to_owned()))
            .or_insert(0) += 1;
        Ok(())
    }

    fn recorded(&mut self, key: &str) -> Result<Option<Entry>, StoreError> {
        Ok(self.ledger.get(key).cloned())
    }

    fn record(&mut self, key: &str, entry: &Entry) -> Result<(), StoreError> {
        self.ledger.insert(key.to_owned(), entry.clone());
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn ledger(&mut self) -> Result<Vec<(String, Entry)>, StoreError> {
        let mut entries: Vec<(String, Entry)> = self
            .ledger
            .iter()
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(entries)
    }
}
