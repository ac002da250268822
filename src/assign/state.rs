//! Assignment state: per team the turn (round robin's next member, smooth
//! weights' credit), per member the records taken in each cap window, and
//! the ledger of who was given which record. [`State`] keeps it in memory;
//! a store that keeps it in a database (SQLite, PostgreSQL) keeps the same
//! facts, changed in the same steps.

use std::collections::HashMap;
use std::sync::Arc;

/// A team's turn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Turn {
    /// Round robin: the position to count from next.
    pub next: usize,
    /// Smooth weights: each member's credit.
    pub credit: Vec<i64>,
}

/// What the ledger holds of one record's assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The team the record went to (after any overflow).
    pub team: Arc<str>,
    /// Who took it, if anyone could.
    pub assignee: Option<Arc<str>>,
}

/// Assignment state in memory: it starts empty and lives as long as the run.
#[derive(Debug, Default)]
pub struct State {
    turns: HashMap<Arc<str>, Turn>,
    counts: HashMap<(Arc<str>, String), u32>,
    ledger: HashMap<String, Entry>,
}

impl State {
    /// Empty state.
    pub fn new() -> State {
        State::default()
    }

    /// Team `team`'s turn.
    pub fn turn(&mut self, team: &Arc<str>) -> &mut Turn {
        self.turns.entry(team.clone()).or_default()
    }

    /// How many records `member` took in cap window `window`.
    pub fn count(&self, member: &Arc<str>, window: &str) -> u32 {
        self.counts
            .get(&(member.clone(), window.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Counts one more record for `member` in `window`.
    pub fn take(&mut self, member: &Arc<str>, window: &str) {
        *self
            .counts
            .entry((member.clone(), window.to_owned()))
            .or_insert(0) += 1;
    }

    /// The ledger's entry for record key `key`.
    pub fn recorded(&self, key: &str) -> Option<&Entry> {
        self.ledger.get(key)
    }

    /// Records the assignment of record key `key`.
    pub fn record(&mut self, key: String, entry: Entry) {
        self.ledger.insert(key, entry);
    }

    /// Every ledger entry, by record key, in key order.
    pub fn ledger(&self) -> Vec<(&str, &Entry)> {
        let mut entries: Vec<(&str, &Entry)> =
            self.ledger.iter().map(|(k, e)| (k.as_str(), e)).collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries
    }
}
