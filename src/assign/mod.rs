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
pub mod roster;
pub mod state;

use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::bytecode::program::{Cap, CapWindow, Pick, Program};
use crate::vm::decision::{Action, ActionOut};
use crate::vm::{Decision, RecordId};
pub use roster::Roster;
use state::Entry;
pub use state::State;

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

/// Gives hand-offs their assignees, in input order.
#[derive(Debug)]
pub struct Assigner {
    policy: String,
    teams: Vec<Team>,
    roster: Roster,
    state: State,
}

/// Who one hand-off went to.
struct Picked {
    assignee: Option<Arc<str>>,
    overflow: Option<Arc<str>>,
    unassigned: Option<Arc<str>>,
}

impl Assigner {
    /// An assigner for `program`'s teams with `roster` and `state`.
    pub fn new(program: &Program, roster: Roster, state: State) -> Assigner {
        let parts = program.parts();
        let teams = parts
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
        Assigner {
            policy: parts.name.clone(),
            teams,
            roster,
            state,
        }
    }

    /// The state, with every assignment made so far.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// `decision` with an assignee on each of its hand-offs to a staffed
    /// team, picked at `now` for the record with `id`.
    pub fn assign(
        &mut self,
        id: Option<&RecordId>,
        decision: &Decision,
        now: Timestamp,
    ) -> Decision {
        let hands_off = decision
            .actions()
            .iter()
            .any(|a| a.action == Action::HandOff && self.staffed(a));
        if !hands_off {
            return decision.clone();
        }
        let key = id.map(|id| format!("{}\u{1f}{}", self.policy, id.json()));
        let mut picked: Vec<(Arc<str>, Arc<Picked>)> = Vec::new();
        let actions: Vec<ActionOut> = decision
            .actions()
            .iter()
            .map(|a| {
                let Some(team) = a
                    .team
                    .clone()
                    .filter(|_| a.action == Action::HandOff && self.staffed(a))
                else {
                    return a.clone();
                };
                let made = match picked.iter().find(|(t, _)| *t == team) {
                    Some((_, made)) => made.clone(),
                    None => {
                        let made = Arc::new(self.pick(&team, key.as_deref(), now));
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
                out
            })
            .collect();
        decision.with_actions(actions)
    }

    /// Whether a hand-off's team has members to pick from.
    fn staffed(&self, action: &ActionOut) -> bool {
        action
            .team
            .as_deref()
            .and_then(|name| self.teams.iter().find(|t| &*t.name == name))
            .is_some_and(|t| !t.members.is_empty())
    }

    /// The member of `team` (or of a team it overflows to) who takes the
    /// record with ledger key `key` at `now`.
    fn pick(&mut self, team: &str, key: Option<&str>, now: Timestamp) -> Picked {
        let Some(start) = self.teams.iter().position(|t| &*t.name == team) else {
            return Picked {
                assignee: None,
                overflow: None,
                unassigned: Some(Arc::from("the team is not in the policy")),
            };
        };
        // A record assigned before keeps its assignee, in the team it went to.
        if let Some(entry) = key.and_then(|k| self.state.recorded(k)).cloned()
            && self
                .chain(start)
                .any(|t| self.teams.get(t).is_some_and(|t| t.name == entry.team))
        {
            return Picked {
                overflow: (*entry.team != *team).then(|| entry.team.clone()),
                unassigned: entry.assignee.is_none().then(|| self.nobody(start)),
                assignee: entry.assignee,
            };
        }
        let chain: Vec<usize> = self.chain(start).collect();
        for t in chain {
            if let Some(member) = self.take(t, now) {
                let team_name = self.teams.get(t).map(|x| x.name.clone());
                if let (Some(key), Some(name)) = (key, team_name.clone()) {
                    self.state.record(
                        key.to_owned(),
                        Entry {
                            team: name,
                            assignee: Some(member.clone()),
                        },
                    );
                }
                return Picked {
                    assignee: Some(member),
                    overflow: team_name.filter(|n| **n != *team),
                    unassigned: None,
                };
            }
        }
        let reason = self.nobody(start);
        if let Some(key) = key {
            self.state.record(
                key.to_owned(),
                Entry {
                    team: Arc::from(team),
                    assignee: None,
                },
            );
        }
        Picked {
            assignee: None,
            overflow: None,
            unassigned: Some(reason),
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

    /// Picks and counts a member of team `t` who can take a record at `now`.
    fn take(&mut self, t: usize, now: Timestamp) -> Option<Arc<str>> {
        let team = self.teams.get(t)?;
        let window = team.cap.map(|cap| window(cap.window, &team.zone, now));
        let can_take: Vec<bool> = team
            .members
            .iter()
            .map(|m| {
                !self.roster.is_away(m, now)
                    && match (team.cap, &window) {
                        (Some(cap), Some(w)) => self.state.count(m, w) < cap.limit,
                        _ => true,
                    }
            })
            .collect();
        let able = |m: usize| can_take.get(m).copied().unwrap_or(false);
        let name = team.name.clone();
        let members = team.members.len();
        let weights = team.weights.clone();
        let turn = self.state.turn(&name);
        let picked = match &weights {
            None => round_robin_turn(members, able, turn),
            Some(weights) => {
                turn.credit.resize(weights.len(), 0);
                pick::smooth_weighted(weights, able, &mut turn.credit)
            }
        }?;
        let member = self.teams.get(t)?.members.get(picked)?.clone();
        if let Some(w) = &window {
            self.state.take(&member, w);
        }
        Some(member)
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

/// Round robin from the team's turn, moving the turn past the member picked.
fn round_robin_turn(
    members: usize,
    able: impl Fn(usize) -> bool,
    turn: &mut state::Turn,
) -> Option<usize> {
    let picked = pick::round_robin(members, able, turn.next)?;
    turn.next = (picked + 1) % members.max(1);
    Some(picked)
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
