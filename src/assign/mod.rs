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

use rustc_hash::FxHashMap;

use crate::bytecode::program::{Cap, Pick, Program};
use crate::vm::decision::{Action, Decided};
use crate::vm::{Decision, RecordId};
use roster::Person;
pub use roster::Roster;
pub use state::{Entry, State, Store, StoreError, Turn, Window};

/// Whether a `--state` value names a PostgreSQL database rather than a file.
pub fn is_database_url(state: &str) -> bool {
    state.starts_with("postgres://") || state.starts_with("postgresql://")
}

/// Opens the state a `--state` value names: a PostgreSQL database for a
/// `postgres://` URL, else an SQLite file (created when missing).
#[cfg(all(feature = "sqlite", feature = "postgres"))]
pub fn open_store(state: &std::path::Path) -> Result<Box<dyn Store + Send>, StoreError> {
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
    /// What the roster knows of each member, in member order.
    people: Vec<Person>,
    weights: Option<Vec<u32>>,
    cap: Option<Cap>,
    zone: TimeZone,
    /// The team and the teams its overflow leads to, each once, in order.
    chain: Vec<usize>,
    /// Why no member of the chain could take a record.
    nobody: Arc<str>,
    /// The cap window of the last instant asked about.
    window: Option<(Timestamp, Window)>,
}

/// Gives hand-offs their assignees, in input order, keeping state in `S`.
#[derive(Debug)]
pub struct Assigner<S: Store = State> {
    policy: String,
    teams: Vec<Team>,
    /// Each team's index, by name.
    by_name: FxHashMap<Arc<str>, usize>,
    /// Members' user ids; absences are with each team's members.
    roster: Roster,
    store: S,
    /// The last decision instant, and its text for the ledger.
    at: Option<(Timestamp, Arc<str>)>,
    /// What happened, per team, since the assigner was made.
    tally: Vec<TeamTally>,
    /// The decisions given lately, by [`Decision::address`]: a VM hands
    /// every record a rule decides alike the same decision.
    given_at: FxHashMap<usize, usize>,
    given: Vec<Given>,
    /// Room reused from pick to pick: the turn read, who can take the
    /// record, each member's credit, the picks for one decision.
    turn: Turn,
    can_take: Vec<bool>,
    credit: Vec<i64>,
    picks: Vec<Picked>,
    /// Ledger entries made lately, by the addresses of their parts: most
    /// records share team, person, instant and rule with others.
    entries: FxHashMap<[usize; 4], Entry>,
}

/// How many given decisions, and ledger entries, are kept for reuse
/// before they are forgotten together.
const KEPT: usize = 4_096;

/// What the assigner made of one decision it was given.
#[derive(Debug)]
struct Given {
    /// The decision (held, so its address is not another's while kept).
    decision: Decision,
    /// What it asks the assigner for, in action order.
    hand_offs: Vec<HandOff>,
    /// The rule that decided it, as the ledger writes it.
    rule: Arc<str>,
    /// The decision with each set of picks for its hand-offs.
    assigned: FxHashMap<Vec<Picked>, Decision>,
}

/// An action the assigner completes: a hand-off to a team with members,
/// or an assignment with a team to fall back on.
#[derive(Debug)]
struct HandOff {
    /// The action's index in the decision.
    action: usize,
    /// The team's index.
    team: usize,
    /// For `assign to PERSON or hand off to TEAM`, the person, who takes
    /// the record unless away.
    instead_of: Option<Arc<str>>,
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

/// Who one hand-off went to (nobody, by default). Picks are told apart by the addresses of
/// their names, which the assigner shares, not by the names' text: as a
/// cache key, two equal names at two addresses only cost a second entry.
#[derive(Clone, Debug, Default)]
struct Picked {
    assignee: Option<Arc<str>>,
    overflow: Option<Arc<str>>,
    unassigned: Option<Arc<str>>,
}

impl Picked {
    fn addresses(&self) -> [usize; 3] {
        [
            state::address(self.assignee.as_ref()),
            state::address(self.overflow.as_ref()),
            state::address(self.unassigned.as_ref()),
        ]
    }
}

impl PartialEq for Picked {
    fn eq(&self, other: &Picked) -> bool {
        self.addresses() == other.addresses()
    }
}

impl Eq for Picked {}

impl std::hash::Hash for Picked {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.addresses().hash(state);
    }
}

impl<S: Store> Assigner<S> {
    /// An assigner for `program`'s teams with `roster`, keeping state in `store`.
    pub fn new(program: &Program, roster: Roster, store: S) -> Assigner<S> {
        let parts = program.parts();
        let overflow: Vec<Option<usize>> = parts
            .teams
            .iter()
            .map(|t| t.overflow.map(|o| o as usize))
            .collect();
        let chain = |start: usize| {
            let mut chain = vec![start];
            let mut at = start;
            while let Some(next) = overflow.get(at).copied().flatten() {
                if chain.contains(&next) {
                    break;
                }
                chain.push(next);
                at = next;
            }
            chain
        };
        let nobody = |chain: &[usize]| {
            let names: Vec<String> = chain
                .iter()
                .filter_map(|t| parts.teams.get(*t).map(|t| format!("`{}`", t.name)))
                .collect();
            Arc::from(format!(
                "no member of {} can take it: every one is away or at their cap",
                names.join(" or ")
            ))
        };
        let teams: Vec<Team> = parts
            .teams
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let chain = chain(i);
                Team {
                    name: Arc::from(t.name.as_str()),
                    members: t.members.iter().map(|m| Arc::from(m.as_str())).collect(),
                    people: t.members.iter().map(|m| roster.person(m)).collect(),
                    weights: match &t.pick {
                        Pick::RoundRobin => None,
                        Pick::Weighted(w) => Some(w.clone()),
                    },
                    cap: t.cap,
                    zone: t
                        .calendar
                        .and_then(|c| parts.calendars.get(c as usize))
                        .and_then(|c| TimeZone::get(&c.zone).ok())
                        .unwrap_or(TimeZone::UTC),
                    nobody: nobody(&chain),
                    chain,
                    window: None,
                }
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
            given_at: FxHashMap::default(),
            given: Vec::new(),
            turn: Turn::default(),
            can_take: Vec::new(),
            credit: Vec::new(),
            picks: Vec::new(),
            entries: FxHashMap::default(),
        }
    }

    /// Picks with `roster` from now on: who is away, and members' user ids.
    pub fn set_roster(&mut self, roster: Roster) {
        for team in &mut self.teams {
            team.people = team.members.iter().map(|m| roster.person(m)).collect();
        }
        // Assigned decisions kept carry the old roster's user ids.
        self.given.clear();
        self.given_at.clear();
        self.roster = roster;
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

    /// `decision` with an assignee on each of its hand-offs to a team with
    /// members, picked at `now` for the record with `id`, and on each
    /// `assign to PERSON or hand off to TEAM`: the person, or a member of
    /// the team picked when the roster has the person away.
    pub fn assign(
        &mut self,
        id: Option<&RecordId>,
        decision: &Decision,
        now: Timestamp,
    ) -> Result<Decision, StoreError> {
        let g = self.given(decision);
        let Some(given) = self.given.get(g).filter(|g| !g.hand_offs.is_empty()) else {
            return Ok(decision.clone());
        };
        let rule = given.rule.clone();
        self.picks.clear();
        for h in 0.. {
            let Some((team, person, earlier)) = self.given.get(g).and_then(|given| {
                let hand_off = given.hand_offs.get(h)?;
                // A record handed twice to one team gets one member.
                let earlier = given.hand_offs.iter().take(h).position(|e| {
                    e.team == hand_off.team
                        && e.instead_of.is_none()
                        && hand_off.instead_of.is_none()
                });
                Some((hand_off.team, hand_off.instead_of.clone(), earlier))
            }) else {
                break;
            };
            let staffed = self.teams.get(team).is_some_and(|t| !t.members.is_empty());
            let picked = match (earlier.and_then(|e| self.picks.get(e)), person) {
                (Some(picked), _) => picked.clone(),
                (None, Some(person)) if !self.roster.is_away(&person, now) => Picked {
                    assignee: Some(person),
                    ..Picked::default()
                },
                (None, Some(person)) if !staffed => Picked {
                    unassigned: Some(Arc::from(format!(
                        "`{person}` is away and `{}` has no members to take it",
                        self.teams.get(team).map_or("", |t| &*t.name)
                    ))),
                    ..Picked::default()
                },
                (None, _) => self.pick(team, id, now, &rule)?,
            };
            self.picks.push(picked);
        }
        let Some(given) = self.given.get_mut(g) else {
            return Ok(decision.clone());
        };
        if let Some(made) = given.assigned.get(self.picks.as_slice()) {
            return Ok(made.clone());
        }
        let mut actions = given.decision.actions().to_vec();
        for (hand_off, picked) in given.hand_offs.iter().zip(&self.picks) {
            if let Some(out) = actions.get_mut(hand_off.action) {
                out.assignee_id = picked
                    .assignee
                    .as_deref()
                    .and_then(|m| self.roster.user_id(m))
                    .map(Arc::from);
                out.assignee = picked.assignee.clone();
                out.overflow = picked.overflow.clone();
                out.unassigned = picked.unassigned.clone();
            }
        }
        let made = given.decision.with_assignments(actions);
        given.assigned.insert(self.picks.clone(), made.clone());
        Ok(made)
    }

    /// The index in `given` of what this assigner makes of `decision`.
    fn given(&mut self, decision: &Decision) -> usize {
        let address = decision.address();
        if let Some(g) = self.given_at.get(&address) {
            return *g;
        }
        if self.given.len() >= KEPT {
            self.given.clear();
            self.given_at.clear();
        }
        let hand_offs = decision
            .actions()
            .iter()
            .enumerate()
            .filter_map(|(action, a)| match a.action {
                Action::HandOff => {
                    let team = *self.by_name.get(a.team.as_deref()?)?;
                    let staffed = self.teams.get(team).is_some_and(|t| !t.members.is_empty());
                    staffed.then_some(HandOff {
                        action,
                        team,
                        instead_of: None,
                    })
                }
                Action::Assign => Some(HandOff {
                    action,
                    team: *self.by_name.get(a.fallback.as_deref()?)?,
                    instead_of: Some(a.to.clone()?),
                }),
                _ => None,
            })
            .collect();
        let rule = match decision.decided() {
            Decided::Rule(rule) => Arc::from(rule.as_deref().unwrap_or_default()),
            Decided::Rules(rules) => Arc::from(rules.join(",")),
        };
        self.given.push(Given {
            decision: decision.clone(),
            hand_offs,
            rule,
            assigned: FxHashMap::default(),
        });
        let g = self.given.len() - 1;
        self.given_at.insert(address, g);
        g
    }

    /// The member of team `start` (or of a team it overflows to) who takes
    /// the record with `id` at `now`, handed off by `rule`.
    fn pick(
        &mut self,
        start: usize,
        id: Option<&RecordId>,
        now: Timestamp,
        rule: &Arc<str>,
    ) -> Result<Picked, StoreError> {
        let Some(team) = self.teams.get(start) else {
            return Ok(Picked::default());
        };
        // A record assigned before keeps its assignee, in the team it went to.
        if let Some(id) = id
            && let Some(entry) = self.store.recorded(&self.policy, id)?
            && team
                .chain
                .iter()
                .any(|t| self.teams.get(*t).is_some_and(|t| t.name == entry.team))
        {
            if let Some(tally) = self.tally.get_mut(start) {
                tally.again += 1;
            }
            return Ok(Picked {
                overflow: (entry.team != team.name).then(|| entry.team.clone()),
                unassigned: entry.assignee.is_none().then(|| team.nobody.clone()),
                assignee: entry.assignee,
            });
        }
        let mut went = None;
        for step in 0.. {
            let Some(t) = self
                .teams
                .get(start)
                .and_then(|x| x.chain.get(step))
                .copied()
            else {
                break;
            };
            if let Some(member) = self.take(t, now)? {
                went = Some((t, member));
                break;
            }
            let overflows = self.teams.get(t).is_some_and(|x| x.chain.len() > 1);
            if let Some(tally) = self.tally.get_mut(t) {
                tally.overflowed += u64::from(overflows);
            }
        }
        let (team_went, member) = match went {
            Some((t, m)) => {
                let team = self.teams.get(t);
                (team, team.and_then(|team| team.members.get(m)))
            }
            None => (self.teams.get(start), None),
        };
        let Some(team_went) = team_went else {
            return Ok(Picked::default());
        };
        let picked = Picked {
            assignee: member.cloned(),
            overflow: (went.is_some_and(|(t, _)| t != start)).then(|| team_went.name.clone()),
            unassigned: member
                .is_none()
                .then(|| self.teams.get(start).map(|t| t.nobody.clone()))
                .flatten(),
        };
        if member.is_none()
            && let Some(tally) = self.tally.get_mut(start)
        {
            tally.unassigned += 1;
        }
        if let Some(id) = id {
            let at = at_text(&mut self.at, now);
            let parts = [
                state::address(Some(&team_went.name)),
                state::address(member),
                state::address(Some(at)),
                state::address(Some(rule)),
            ];
            if self.entries.len() >= KEPT && !self.entries.contains_key(&parts) {
                self.entries.clear();
            }
            let entry = self.entries.entry(parts).or_insert_with(|| Entry {
                team: team_went.name.clone(),
                assignee: member.cloned(),
                at: at.clone(),
                rule: rule.clone(),
            });
            self.store.record(&self.policy, id, entry)?;
        }
        Ok(picked)
    }

    /// Picks and counts a member of team `t` who can take a record at
    /// `now`, moving the team's turn: the member's index.
    fn take(&mut self, t: usize, now: Timestamp) -> Result<Option<usize>, StoreError> {
        let Some(team) = self.teams.get_mut(t) else {
            return Ok(None);
        };
        let window = team.cap.map(|cap| match team.window {
            Some((at, window)) if at == now => window,
            _ => {
                let window = Window::of(cap.window, &team.zone, now);
                team.window = Some((now, window));
                window
            }
        });
        let team = &self.teams[t];
        self.can_take.clear();
        let (mut away, mut capped) = (0, 0);
        for (m, person) in team.members.iter().zip(&team.people) {
            let able = if person.is_away(now) {
                away += 1;
                false
            } else {
                match (team.cap, window) {
                    (Some(cap), Some(w)) if self.store.count(m, w)? >= cap.limit => {
                        capped += 1;
                        false
                    }
                    _ => true,
                }
            };
            self.can_take.push(able);
        }
        if let Some(tally) = self.tally.get_mut(t) {
            tally.away_skips += away;
            tally.cap_skips += capped;
        }
        let can_take = &self.can_take;
        let able = |m: usize| can_take.get(m).copied().unwrap_or(false);
        let turn = &mut self.turn;
        self.store.turn(&team.name, turn)?;
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
                credits_in_order(&mut turn.credit, &team.members, &mut self.credit);
                let picked = pick::smooth_weighted(weights, able, &mut self.credit);
                for ((_, kept), credit) in turn.credit.iter_mut().zip(&self.credit) {
                    *kept = *credit;
                }
                picked
            }
        };
        let Some((p, member)) = picked.and_then(|p| Some((p, team.members.get(p)?))) else {
            return Ok(None);
        };
        if let Some(count) = self.tally.get_mut(t).and_then(|x| x.taken.get_mut(p)) {
            count.1 += 1;
        }
        match &mut turn.last {
            Some(last) => {
                last.clear();
                last.push_str(member);
            }
            None => turn.last = Some(member.to_string()),
        }
        self.store.save_turn(&team.name, turn)?;
        if let Some(w) = window {
            self.store.take(member, w)?;
        }
        Ok(Some(p))
    }
}

/// `now` as the ledger writes it, formatted once for a run of records
/// decided at one instant (`last`).
fn at_text(last: &mut Option<(Timestamp, Arc<str>)>, now: Timestamp) -> &Arc<str> {
    if last.as_ref().is_none_or(|(at, _)| *at != now) {
        *last = Some((now, Arc::from(now.to_string())));
    }
    &last
        .get_or_insert_with(|| (now, Arc::from(now.to_string())))
        .1
}

/// Puts `kept` (credit by member name, as a store keeps it) in the order of
/// `members`, one entry each (a member never seen has none), and copies the
/// credits into `credit`.
fn credits_in_order(kept: &mut Vec<(String, i64)>, members: &[Arc<str>], credit: &mut Vec<i64>) {
    let in_order =
        kept.len() == members.len() && kept.iter().zip(members).all(|((k, _), m)| **k == **m);
    if !in_order {
        let ordered = members
            .iter()
            .map(|m| {
                let c = kept.iter().find(|(k, _)| **k == **m).map_or(0, |(_, c)| *c);
                (m.to_string(), c)
            })
            .collect();
        *kept = ordered;
    }
    credit.clear();
    credit.extend(kept.iter().map(|(_, c)| *c));
}
