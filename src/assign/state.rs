//! Assignment state: per team the turn (who round robin picked last, each
//! member's credit under smooth weights), per member the records taken in
//! each cap window, and the ledger of who was given which record. A
//! [`Store`] keeps it: [`State`] in memory; `roe::assign::sqlite` in a file.
//! Turns and credits are kept by member name, so adding or removing a
//! member keeps everyone else's place.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rustc_hash::FxHashMap as HashMap;

use crate::bytecode::program::CapWindow;
use crate::vm::RecordId;

/// A team's turn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Turn {
    /// The member round robin picked last.
    pub last: Option<String>,
    /// Each member's credit under smooth weights, by name.
    pub credit: Vec<(String, i64)>,
}

impl Turn {
    /// The turn a store keeps as `last` and the credit's JSON object text.
    pub fn from_stored(last: Option<String>, credit: &str) -> Result<Turn, serde_json::Error> {
        let credit: BTreeMap<String, i64> = serde_json::from_str(credit)?;
        Ok(Turn {
            last,
            credit: credit.into_iter().collect(),
        })
    }

    /// The credit as a store keeps it: a JSON object of member to credit.
    pub fn credit_json(&self) -> String {
        let credit: BTreeMap<&str, i64> = self.credit.iter().map(|(m, c)| (&**m, *c)).collect();
        serde_json::to_string(&credit).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// The cap window an instant falls in: its day, or the week that starts on
/// the Monday, in a team's zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    /// One day.
    Day(Date),
    /// The week starting on this Monday.
    Week(Date),
}

impl Window {
    /// The `window` that `now` falls in, in `zone`.
    pub fn of(window: CapWindow, zone: &TimeZone, now: Timestamp) -> Window {
        let day = zone.to_datetime(now).date();
        match window {
            CapWindow::Day => Window::Day(day),
            CapWindow::Week => {
                let back = i64::from(day.weekday().to_monday_zero_offset());
                Window::Week(day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day))
            }
        }
    }
}

impl fmt::Display for Window {
    /// As stores keep it: `2026-12-07`, or `week of 2026-12-07`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::Day(day) => write!(f, "{day}"),
            Window::Week(monday) => write!(f, "week of {monday}"),
        }
    }
}

/// What the ledger holds of one record's assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The team the record went to (after any overflow).
    pub team: Arc<str>,
    /// Who took it, if anyone could.
    pub assignee: Option<Arc<str>>,
    /// When it was assigned (the decision's `now`, RFC 3339).
    pub at: Arc<str>,
    /// The rule that handed it off.
    pub rule: Arc<str>,
}

/// Where a shared text lives (0 for none): equal addresses are one text,
/// kept alive by whoever holds the address as a key.
pub(crate) fn address(text: Option<&Arc<str>>) -> usize {
    text.map_or(0, |t| Arc::as_ptr(t).cast::<u8>() as usize)
}

/// The ledger's key of record `id` under policy `policy`, as stores keep
/// it: the policy's name and the id's JSON text, apart.
pub fn ledger_key(policy: &str, id: &RecordId) -> String {
    format!("{policy}\u{1f}{}", id.json())
}

/// A ledger key apart: the policy's name and the record id's JSON text.
pub fn split_ledger_key(key: &str) -> (&str, &str) {
    key.split_once('\u{1f}').unwrap_or(("", key))
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
    /// Reads team `team`'s turn into `turn` (a team never seen has the
    /// default turn), reusing its room.
    fn turn(&mut self, team: &str, turn: &mut Turn) -> Result<(), StoreError>;
    /// Keeps team `team`'s turn.
    fn save_turn(&mut self, team: &str, turn: &Turn) -> Result<(), StoreError>;
    /// How many records `member` took in cap window `window`.
    fn count(&mut self, member: &str, window: Window) -> Result<u32, StoreError>;
    /// Counts one more record for `member` in `window`.
    fn take(&mut self, member: &str, window: Window) -> Result<(), StoreError>;
    /// The ledger's entry for record `id` under policy `policy`.
    fn recorded(&mut self, policy: &str, id: &RecordId) -> Result<Option<Entry>, StoreError>;
    /// Records the assignment of record `id` under policy `policy`.
    fn record(&mut self, policy: &str, id: &RecordId, entry: &Entry) -> Result<(), StoreError>;
    /// Makes every change since the last commit durable, together.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Every ledger entry, by [`ledger_key`], in key order.
    fn ledger(&mut self) -> Result<Vec<(String, Entry)>, StoreError>;
    /// The roster the state keeps (its JSON text), if one was saved.
    fn roster(&mut self) -> Result<Option<String>, StoreError>;
    /// Keeps `roster` (JSON text a [`crate::assign::Roster`] was read from)
    /// as the state's roster, for every process sharing the state.
    fn save_roster(&mut self, roster: &str) -> Result<(), StoreError>;
}

impl<T: Store + ?Sized> Store for Box<T> {
    fn turn(&mut self, team: &str, turn: &mut Turn) -> Result<(), StoreError> {
        (**self).turn(team, turn)
    }
    fn save_turn(&mut self, team: &str, turn: &Turn) -> Result<(), StoreError> {
        (**self).save_turn(team, turn)
    }
    fn count(&mut self, member: &str, window: Window) -> Result<u32, StoreError> {
        (**self).count(member, window)
    }
    fn take(&mut self, member: &str, window: Window) -> Result<(), StoreError> {
        (**self).take(member, window)
    }
    fn recorded(&mut self, policy: &str, id: &RecordId) -> Result<Option<Entry>, StoreError> {
        (**self).recorded(policy, id)
    }
    fn record(&mut self, policy: &str, id: &RecordId, entry: &Entry) -> Result<(), StoreError> {
        (**self).record(policy, id, entry)
    }
    fn commit(&mut self) -> Result<(), StoreError> {
        (**self).commit()
    }
    fn ledger(&mut self) -> Result<Vec<(String, Entry)>, StoreError> {
        (**self).ledger()
    }
    fn roster(&mut self) -> Result<Option<String>, StoreError> {
        (**self).roster()
    }
    fn save_roster(&mut self, roster: &str) -> Result<(), StoreError> {
        (**self).save_roster(roster)
    }
}

/// Assignment state in memory: it starts empty and lives as long as the run.
#[derive(Debug, Default)]
pub struct State {
    turns: HashMap<String, Turn>,
    counts: HashMap<Window, HashMap<String, u32>>,
    /// By policy, then record id: the entry's index in `entries`.
    ledger: HashMap<String, HashMap<RecordId, usize>>,
    /// Each entry recorded, once: most records share their team, person,
    /// instant and rule with many others.
    entries: Vec<Entry>,
    /// Each entry's index, by the addresses of its shared parts.
    entry_at: HashMap<[usize; 4], usize>,
    /// The roster's JSON text, once saved.
    roster: Option<String>,
}

impl State {
    /// Empty state.
    pub fn new() -> State {
        State::default()
    }
}

impl Store for State {
    fn turn(&mut self, team: &str, turn: &mut Turn) -> Result<(), StoreError> {
        match self.turns.get(team) {
            Some(kept) => turn.clone_from(kept),
            None => {
                turn.last = None;
                turn.credit.clear();
            }
        }
        Ok(())
    }

    fn save_turn(&mut self, team: &str, turn: &Turn) -> Result<(), StoreError> {
        match self.turns.get_mut(team) {
            Some(kept) => kept.clone_from(turn),
            None => {
                self.turns.insert(team.to_owned(), turn.clone());
            }
        }
        Ok(())
    }

    fn count(&mut self, member: &str, window: Window) -> Result<u32, StoreError> {
        Ok(self
            .counts
            .get(&window)
            .and_then(|members| members.get(member))
            .copied()
            .unwrap_or(0))
    }

    fn take(&mut self, member: &str, window: Window) -> Result<(), StoreError> {
        let members = self.counts.entry(window).or_default();
        match members.get_mut(member) {
            Some(taken) => *taken += 1,
            None => {
                members.insert(member.to_owned(), 1);
            }
        }
        Ok(())
    }

    fn recorded(&mut self, policy: &str, id: &RecordId) -> Result<Option<Entry>, StoreError> {
        Ok(self
            .ledger
            .get(policy)
            .and_then(|records| records.get(id))
            .and_then(|e| self.entries.get(*e))
            .cloned())
    }

    fn record(&mut self, policy: &str, id: &RecordId, entry: &Entry) -> Result<(), StoreError> {
        let records = match self.ledger.get_mut(policy) {
            Some(records) => records,
            None => self.ledger.entry(policy.to_owned()).or_default(),
        };
        let parts = [
            address(Some(&entry.team)),
            address(entry.assignee.as_ref()),
            address(Some(&entry.at)),
            address(Some(&entry.rule)),
        ];
        let index = match self.entry_at.get(&parts) {
            Some(index) => *index,
            None => {
                let index = self.entries.len();
                self.entries.push(entry.clone());
                self.entry_at.insert(parts, index);
                index
            }
        };
        records.insert(id.clone(), index);
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn ledger(&mut self) -> Result<Vec<(String, Entry)>, StoreError> {
        let mut entries: Vec<(String, Entry)> = self
            .ledger
            .iter()
            .flat_map(|(policy, records)| {
                records.iter().filter_map(|(id, e)| {
                    Some((ledger_key(policy, id), self.entries.get(*e)?.clone()))
                })
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(entries)
    }

    fn roster(&mut self) -> Result<Option<String>, StoreError> {
        Ok(self.roster.clone())
    }

    fn save_roster(&mut self, roster: &str) -> Result<(), StoreError> {
        self.roster = Some(roster.to_owned());
        Ok(())
    }
}
