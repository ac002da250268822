//! Picking the person: a stage after the decision. The decision stays pure
//! (same record, same `now`, same decision); the [`Assigner`] then gives each
//! hand-off to a staffed team one of its members, by the team's strategy,
//! skipping members who are away (the [`Roster`]) or at their cap, and
//! overflowing to another team when no member can take the record. It reads
//! and changes the assignment [`State`], and records each assignment in the
//! state's ledger by policy and record id: deciding a record that was
//! assigned already gives the same person again and takes no new turn.
//!
//! Given the same state, roster and records in the same order, the
//! assignees are the same: assignment runs in input order, in one place.

pub mod pick;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod roster;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod state;

use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::bytecode::program::{Cap, CapWindow, Pick, Program};
use crate::vm::decision::{Action, ActionOut, Decided};
use crate::vm::{Decision, RecordId};
pub use roster::Roster;
pub use state::{Entry, State, Store, StoreError};

/// Whether a `--state` value names a PostgreSQL database rather than a file.
pub fn is_database_url(state: &str) -> bool {
    state.starts_with("postgres://") || state.starts_with("postgresql://")
}

/// Opens the state a `--state` value names: a PostgreSQL database for a
/// `postgres://` URL, else an SQLite file (created when missing).
#[cfg(all(feature = "sqlite", feature = "postgres"))]
pub fn open_store(state: &std::path::Path) -> Result<Box<dyn Store>, StoreError> {
    Ok(match state.to_str().filter(|s| is_database_url(s)) {
        Some(url) => Box::new(postgres::PostgresStore::open(url)?),
        None => Box::new(sqlite::SqliteStore::open(state)?),
    })
}

/// A team as the assigner works with it.
#[derive(Debug)]
struct Team {
    name: Arc<str>,
    members: Vec<Arc<str>>,
    weights: Option<Vec<u32>>,
    cap: Option<Cap>,
    overflow: Option<usize>,
    zone: TimeZone,
}

/// Gives hand-offs their assignees, in input order, keeping state in `S`.
#[derive(Debug)]
pub struct Assigner<S: Store = State> {
    policy: String,
    teams: Vec<Team>,
    /// Each team's index, by name.
    by_name: rustc_hash::FxHashMap<Arc<str>, usize>,
    roster: Roster,
    store: S,
    /// The last decision instant, and its text for the ledger.
    at: Option<(Timestamp, String)>,
    /// What happened, per team, since the assigner was made.
    tally: Vec<TeamTally>,
}

/// What assignment did for one team.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TeamTally {
    /// The team's name.
    pub team: String,
    /// Records each member took, in member order: (member, count).
    pub taken: Vec<(String, u64)>,
    /// Records the team could not take that went on along its overflow.
    pub overflowed: u64,
    /// Records handed to the team that nobody of it or its overflow could take.
    pub unassigned: u64,
    /// Times a member was passed over for being at the cap.
    pub cap_skips: u64,
    /// Times a member was passed over for being away.
    pub away_skips: u64,
    /// Records given again to the member the ledger had.
    pub again: u64,
    /// The team's weights, in hundredths of a percent, when it has them.
    pub weights: Option<Vec<u32>>,
}

/// Who one hand-off went to.
struct Picked {
    assignee: Option<Arc<str>>,
    overflow: Option<Arc<str>>,
    unassigned: Option<Arc<str>>,
}

impl<S: Store> Assigner<S> {
    /// An assigner for `program`'s teams with `roster`, keeping state in `store`.
    pub fn new(program: &Program, roster: Roster, store: S) -> Assigner<S> {
        let parts = program.parts();
        let teams: Vec<Team> = parts
            .teams
            .iter()
            .map(|t| Team {
                name: Arc::from(t.name.as_str()),
                members: t.members.iter().map(|m| Arc::from(m.as_str())).collect(),
                weights: match &t.pick {
                    Pick::RoundRobin => None,
                    Pick::Weighted(w) => Some(w.clone()),
                },
                cap: t.cap,
                overflow: t.overflow.map(|o| o as usize),
                zone: t
                    .calendar
                    .and_then(|c| parts.calendars.get(c as usize))
                    .and_then(|c| TimeZone::get(&c.zone).ok())
                    .unwrap_or(TimeZone::UTC),
            })
            .collect();
        let by_name = teams
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        let tally = teams
            .iter()
            .map(|t| TeamTally {
                team: t.name.to_string(),
                taken: t.members.iter().map(|m| (m.to_string(), 0)).collect(),
                weights: t.weights.clone(),
                ..TeamTally::default()
            })
            .collect();
        Assigner {
            policy: parts.name.clone(),
            teams,
            by_name,
            roster,
            store,
            at: None,
            tally,
        }
    }

    /// What assignment did for each team since the assigner was made.
    pub fn tally(&self) -> &[TeamTally] {
        &self.tally
    }

    /// The store, with every assignment made so far.
    pub fn store(&mut self) -> &mut S {
        &mut self.store
    }

    /// Makes the assignments made so far durable; a caller writes a
    /// record's decision line only after the commit that follows it.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        self.store.commit()
    }

    /// `decision` with an assignee on each of its hand-offs to a staffed
    /// team, picked at `now` for the record with `id`.
    pub fn assign(
        &mut self,
        id: Option<&RecordId>,
        decision: &Decision,
        now: Timestamp,
    ) -> Result<Decision, StoreError> {
        let hands_off = decision
            .actions()
            .iter()
            .any(|a| a.action == Action::HandOff && self.staffed(a));
        if !hands_off {
            return Ok(decision.clone());
        }
        let key = id.map(|id| format!("{}\u{1f}{}", self.policy, id.json()));
        let rule = match decision.decided() {
            Decided::Rule(rule) => rule.clone().unwrap_or_default(),
            Decided::Rules(rules) => rules.join(","),
        };
        let mut picked: Vec<(Arc<str>, Arc<Picked>)> = Vec::new();
        let mut actions = Vec::with_capacity(decision.actions().len());
        for a in decision.actions() {
            let Some(team) = a
                .team
                .clone()
                .filter(|_| a.action == Action::HandOff && self.staffed(a))
            else {
                actions.push(a.clone());
                continue;
            };
            let made = match picked.iter().find(|(t, _)| *t == team) {
                Some((_, made)) => made.clone(),
                None => {
                    let made = Arc::new(self.pick(&team, key.as_deref(), now, &rule)?);
                    picked.push((team, made.clone()));
                    made
                }
            };
            let mut out = a.clone();
            out.assignee_id = made
                .assignee
                .as_deref()
                .and_then(|m| self.roster.user_id(m))
                .map(Arc::from);
            out.assignee = made.assignee.clone();
            out.overflow = made.overflow.clone();
            out.unassigned = made.unassigned.clone();
            actions.push(out);
        }
        Ok(decision.with_assignments(actions))
    }

    /// Whether a hand-off's team has members to pick from.
    fn staffed(&self, action: &ActionOut) -> bool {
        action
            .team
            .as_deref()
            .and_then(|name| self.by_name.get(name))
            .and_then(|t| self.teams.get(*t))
            .is_some_and(|t| !t.members.is_empty())
    }

    /// The member of `team` (or of a team it overflows to) who takes the
    /// record with ledger key `key` at `now`.
    fn pick(
        &mut self,
        team: &str,
        key: Option<&str>,
        now: Timestamp,
        rule: &str,
    ) -> Result<Picked, StoreError> {
        let Some(start) = self.by_name.get(team).copied() else {
            return Ok(Picked {
                assignee: None,
                overflow: None,
                unassigned: Some(Arc::from("the team is not in the policy")),
            });
        };
        let chain: Vec<usize> = self.chain(start).collect();
        // A record assigned before keeps its assignee, in the team it went to.
        if let Some(key) = key
            && let Some(entry) = self.store.recorded(key)?
            && chain
                .iter()
                .any(|t| self.teams.get(*t).is_some_and(|t| *t.name == entry.team))
        {
            if let Some(tally) = self.tally.get_mut(start) {
                tally.again += 1;
            }
            return Ok(Picked {
                overflow: (entry.team != team).then(|| Arc::from(entry.team.as_str())),
                unassigned: entry.assignee.is_none().then(|| self.nobody(start)),
                assignee: entry.assignee.as_deref().map(Arc::from),
            });
        }
        let mut went = None;
        for t in chain {
            if let Some(member) = self.take(t, now)? {
                went = Some((t, member));
                break;
            }
            if let Some(tally) = self.tally.get_mut(t) {
                tally.overflowed +=
                    u64::from(self.teams.get(t).is_some_and(|x| x.overflow.is_some()));
            }
        }
        if went.is_none()
            && let Some(tally) = self.tally.get_mut(start)
        {
            tally.unassigned += 1;
        }
        let entry = Entry {
            team: went
                .as_ref()
                .and_then(|(t, _)| self.teams.get(*t))
                .map_or_else(|| team.to_owned(), |t| t.name.to_string()),
            assignee: went.as_ref().map(|(_, m)| m.to_string()),
            at: self.at_text(now),
            rule: rule.to_owned(),
        };
        if let Some(key) = key {
            self.store.record(key, &entry)?;
        }
        Ok(match went {
            Some((_, member)) => Picked {
                assignee: Some(member),
                overflow: (entry.team != team).then(|| Arc::from(entry.team.as_str())),
                unassigned: None,
            },
            None => Picked {
                assignee: None,
                overflow: None,
                unassigned: Some(self.nobody(start)),
            },
        })
    }

    /// `now` as the ledger writes it, formatted once for a run of records
    /// decided at one instant.
    fn at_text(&mut self, now: Timestamp) -> String {
        match &self.at {
            Some((at, text)) if *at == now => text.clone(),
            _ => {
                let text = now.to_string();
                self.at = Some((now, text.clone()));
                text
            }
        }
    }

    /// Team `start` and the teams its overflow leads to, each once.
    fn chain(&self, start: usize) -> impl Iterator<Item = usize> + '_ {
        let mut at = Some(start);
        let mut seen = Vec::new();
        std::iter::from_fn(move || {
            let t = at.filter(|t| !seen.contains(t))?;
            seen.push(t);
            at = self.teams.get(t).and_then(|x| x.overflow);
            Some(t)
        })
    }

    /// Picks and counts a member of team `t` who can take a record at
    /// `now`, moving the team's turn.
    fn take(&mut self, t: usize, now: Timestamp) -> Result<Option<Arc<str>>, StoreError> {
        let Some(team) = self.teams.get(t) else {
            return Ok(None);
        };
        let window = team.cap.map(|cap| window(cap.window, &team.zone, now));
        let mut can_take = Vec::with_capacity(team.members.len());
        let (mut away, mut capped) = (0, 0);
        for m in &team.members {
            let able = if self.roster.is_away(m, now) {
                away += 1;
                false
            } else {
                match (team.cap, &window) {
                    (Some(cap), Some(w)) if self.store.count(m, w)? >= cap.limit => {
                        capped += 1;
                        false
                    }
                    _ => true,
                }
            };
            can_take.push(able);
        }
        if let Some(tally) = self.tally.get_mut(t) {
            tally.away_skips += away;
            tally.cap_skips += capped;
        }
        let able = |m: usize| can_take.get(m).copied().unwrap_or(false);
        let mut turn = self.store.turn(&team.name)?;
        let picked = match &team.weights {
            None => {
                let next = turn
                    .last
                    .as_deref()
                    .and_then(|l| team.members.iter().position(|m| &**m == l))
                    .map_or(0, |i| i + 1);
                pick::round_robin(team.members.len(), able, next)
            }
            Some(weights) => {
                let mut credit: Vec<i64> = team
                    .members
                    .iter()
                    .map(|m| turn.credit.get(&**m).copied().unwrap_or(0))
                    .collect();
                let picked = pick::smooth_weighted(weights, able, &mut credit);
                turn.credit = team
                    .members
                    .iter()
                    .zip(credit)
                    .map(|(m, c)| (m.to_string(), c))
                    .collect();
                picked
            }
        };
        let Some(member) = picked.and_then(|p| team.members.get(p)).cloned() else {
            return Ok(None);
        };
        if let Some(count) =
            picked.and_then(|p| self.tally.get_mut(t).and_then(|x| x.taken.get_mut(p)))
        {
            count.1 += 1;
        }
        turn.last = Some(member.to_string());
        let name = team.name.clone();
        self.store.save_turn(&name, &turn)?;
        if let Some(w) = &window {
            self.store.take(&member, w)?;
        }
        Ok(Some(member))
    }

    /// Why no member of team `start` or its overflow could take a record.
    fn nobody(&self, start: usize) -> Arc<str> {
        let names: Vec<String> = self
            .chain(start)
            .filter_map(|t| self.teams.get(t).map(|t| format!("`{}`", t.name)))
            .collect();
        Arc::from(format!(
            "no member of {} can take it: every one is away or at their cap",
            names.join(" or ")
        ))
    }
}

/// The cap window `now` falls in, in `zone`: its day, or the Monday that
/// starts its week, as a date.
fn window(window: CapWindow, zone: &TimeZone, now: Timestamp) -> String {
    let day = zone.to_datetime(now).date();
    match window {
        CapWindow::Day => day.to_string(),
        CapWindow::Week => {
            let back = i64::from(day.weekday().to_monday_zero_offset());
            let monday = day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day);
            format!("week of {monday}")
        }
    }
}
