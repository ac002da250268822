//! Decisions from the deciding rules' actions: each action's operands
//! evaluated, SLO deadlines computed, owners checked under `all match`; and
//! the decisions the plan lets a VM share between records.

use std::sync::Arc;

use jiff::Timestamp;
use rustc_hash::FxHashMap;

use crate::bytecode::program::{ActionTemplate, Block, Program, Slo, SloLength, Target};
use crate::bytecode::value::{self, OpError, Value};
use crate::diagnostics::codes;
use crate::time::rfc3339;
use crate::vm::decision::{Action, ActionOut, Decided, Decision, RecordError};
use crate::vm::errors::{damaged, eval_error, rule_name, rule_names};
use crate::vm::eval::EvalError;
use crate::vm::eval::Machine;

/// A deadline in UTC and, for business time, in the calendar's zone.
type Deadline = (Arc<str>, Option<Arc<str>>);

/// At most this many distinct SLOs and texts are kept between records.
const KEPT: usize = 32;

/// At most this many sets of rules that hold together are kept.
const KEPT_TOGETHER: usize = 256;

/// Rules as a set of bits (rule `i` is bit `i`), when each is one of the
/// first 64.
fn rule_set(rules: &[usize]) -> Option<u64> {
    rules.iter().try_fold(0u64, |set, at| {
        Some(set | 1u64.checked_shl(u32::try_from(*at).ok()?)?)
    })
}

/// Makes one VM's decisions, keeping what later records share.
#[derive(Debug)]
pub(super) struct Actions<'p> {
    program: &'p Program,
    now: Timestamp,
    /// Whether business-time SLOs also give their instants in the calendar's zone.
    local_times: bool,
    /// The decision of each rule alone (and last, `otherwise`'s), once made,
    /// when the plan keeps it.
    shared: Vec<Option<Decision>>,
    /// Under `all match`, the decision of rules that hold together, each of
    /// which the plan keeps; under `unique match`, their error: by the set
    /// of rules (see [`rule_set`]).
    together: FxHashMap<u64, Result<Decision, RecordError>>,
    /// The last decision lent out that is not shared.
    on_loan: Option<Decision>,
    /// The rules that hold for the record being decided (reused).
    pub(super) held: Vec<usize>,
    /// Deadlines computed so far: they depend only on `now` and the SLO, so
    /// every record with the same SLO shares them.
    deadlines: Vec<(SloLength, Deadline)>,
    /// Team names, shared by every decision that names a team.
    team_names: Vec<Arc<str>>,
    /// Program texts decisions repeat (SLOs as written, field paths).
    texts: Vec<Arc<str>>,
}

impl<'p> Actions<'p> {
    /// Nothing made yet for `program` at `now`.
    pub(super) fn new(program: &'p Program, now: Timestamp) -> Actions<'p> {
        let parts = program.parts();
        Actions {
            program,
            now,
            local_times: false,
            shared: vec![None; parts.rules.len() + 1],
            together: FxHashMap::default(),
            on_loan: None,
            held: Vec::new(),
            deadlines: Vec::new(),
            team_names: parts
                .teams
                .iter()
                .map(|t| Arc::from(t.name.as_str()))
                .collect(),
            texts: Vec::new(),
        }
    }

    /// Gives business-time SLOs also in the calendar's zone when `on`.
    pub(super) fn set_local_times(&mut self, on: bool) {
        self.local_times = on;
        // Nothing decided before may stand with the other setting.
        self.forget();
    }

    /// Decides from now on at `now`; what was made at another instant is
    /// forgotten (deadlines count from `now`).
    pub(super) fn set_now(&mut self, now: Timestamp) {
        if now != self.now {
            self.now = now;
            self.forget();
        }
    }

    /// Forgets the deadlines and decisions kept so far.
    fn forget(&mut self) {
        self.deadlines.clear();
        self.shared.iter_mut().for_each(|d| *d = None);
        self.together.clear();
    }

    /// Whether rule `at`'s decision is made and shared.
    #[inline]
    pub(super) fn has_shared(&self, at: usize) -> bool {
        matches!(self.shared.get(at), Some(Some(_)))
    }

    /// Rule `at`'s shared decision.
    pub(super) fn shared(&self, at: usize) -> Result<&Decision, RecordError> {
        self.shared
            .get(at)
            .and_then(Option::as_ref)
            .ok_or_else(|| damaged(rule_name(self.program, at)))
    }

    /// Shares `decision` as rule `at`'s for every later record.
    pub(super) fn share(&mut self, at: usize, decision: Decision) {
        if let Some(slot) = self.shared.get_mut(at) {
            *slot = Some(decision);
        }
    }

    /// Lends `decision` until the next one is lent.
    pub(super) fn lend(&mut self, decision: Decision) -> &Decision {
        self.on_loan.insert(decision)
    }

    /// The decision of `rules` (`otherwise` past the last rule) under the
    /// program's hit policy (`all`: `all match`), their actions run on
    /// `operands`; under `all match` an error when they give the record
    /// two owners.
    pub(super) fn decision(
        &mut self,
        operands: &mut Operands<'_>,
        rules: &[usize],
        all: bool,
    ) -> Result<Decision, RecordError> {
        let parts = self.program.parts();
        let mut actions = Vec::new();
        let mut names = Vec::new();
        for &at in rules {
            let (name, templates) = match parts.rules.get(at) {
                Some(rule) => (rule.name.as_str(), rule.actions.as_slice()),
                None => match &parts.otherwise {
                    Some(templates) => ("otherwise", templates.as_slice()),
                    None => continue,
                },
            };
            self.run(operands, templates, name, &mut actions)?;
            names.push(name.to_owned());
        }
        // `otherwise` alone owns the record as its actions say.
        if all && rules.iter().any(|at| *at < parts.rules.len()) {
            owners_agree(&actions, || rule_names(self.program, rules).join(", "))?;
        }
        let decided = match all {
            true => Decided::Rules(names),
            false => Decided::Rule(names.into_iter().next()),
        };
        Ok(Decision::new(decided, actions))
    }

    /// Under `all match`, the decision of several `rules` that hold at once:
    /// kept for every record they decide together when `keep`.
    pub(super) fn together(
        &mut self,
        operands: &mut Operands<'_>,
        rules: &[usize],
        keep: bool,
    ) -> Result<Decision, RecordError> {
        let set = rule_set(rules);
        if let Some(kept) = set.and_then(|set| self.kept_together(set)) {
            return kept.clone();
        }
        let decision = self.decision(operands, rules, true);
        if let Some(set) = set.filter(|_| keep) {
            self.keep_together(set, &decision);
        }
        decision
    }

    /// The decision (or error) of the rules in `set` that hold together,
    /// kept from an earlier record.
    #[inline]
    pub(super) fn kept_together(&self, set: u64) -> Option<&Result<Decision, RecordError>> {
        self.together.get(&set)
    }

    /// Keeps the decision (or error) of the rules in `set` for later records.
    fn keep_together(&mut self, set: u64, decided: &Result<Decision, RecordError>) {
        if self.together.len() < KEPT_TOGETHER {
            self.together.insert(set, decided.clone());
        }
    }

    /// Under `unique match`, the error of several `rules` that hold at once:
    /// the same for every record they hold for together.
    pub(super) fn not_unique(&mut self, rules: &[usize]) -> RecordError {
        let set = rule_set(rules);
        if let Some(Err(kept)) = set.and_then(|set| self.kept_together(set)) {
            return kept.clone();
        }
        let error = RecordError::new(
            codes::RUNTIME_NOT_UNIQUE,
            format!(
                "rules {} hold at once, but under `unique match` at most one may",
                rule_names(self.program, rules).join(" and ")
            ),
        );
        if let Some(set) = set {
            self.keep_together(set, &Err(error.clone()));
        }
        error
    }

    /// Runs `templates`, the actions of rule `rule`, onto `out`.
    fn run(
        &mut self,
        operands: &mut Operands<'_>,
        templates: &[ActionTemplate],
        rule: &str,
        out: &mut Vec<ActionOut>,
    ) -> Result<(), RecordError> {
        out.reserve(templates.len());
        for template in templates {
            let action = match template {
                ActionTemplate::HandOff { team, within } => {
                    let mut a = ActionOut::new(Action::HandOff);
                    a.team = self.team(*team);
                    self.slo(&mut a, within.as_ref(), operands.slots, rule)?;
                    a
                }
                ActionTemplate::Assign {
                    to,
                    within,
                    fallback: None,
                } => {
                    let mut a = ActionOut::new(Action::Assign);
                    a.to = Some(string(operands, *to, rule)?);
                    self.slo(&mut a, within.as_ref(), operands.slots, rule)?;
                    a
                }
                ActionTemplate::Assign {
                    to,
                    within,
                    fallback: Some(team),
                } => {
                    // With no one to assign, the record is the team's.
                    let mut a = match operands.eval(*to, rule)? {
                        Value::Str(to) => {
                            let mut a = ActionOut::new(Action::Assign);
                            a.to = Some(to);
                            a.fallback = self.team(*team);
                            a
                        }
                        Value::Missing => {
                            let mut a = ActionOut::new(Action::HandOff);
                            a.team = self.team(*team);
                            a
                        }
                        _ => return Err(damaged(rule)),
                    };
                    self.slo(&mut a, within.as_ref(), operands.slots, rule)?;
                    a
                }
                ActionTemplate::Escalate { target, after } => {
                    let mut a = ActionOut::new(Action::Escalate);
                    self.target(operands, &mut a, target, rule)?;
                    self.after(&mut a, after, operands.slots, rule)?;
                    a
                }
                ActionTemplate::Reassign { team, after } => {
                    let mut a = ActionOut::new(Action::Reassign);
                    a.team = self.team(*team);
                    self.after(&mut a, after, operands.slots, rule)?;
                    a
                }
                ActionTemplate::Notify { target } => {
                    let mut a = ActionOut::new(Action::Notify);
                    self.target(operands, &mut a, target, rule)?;
                    a
                }
                ActionTemplate::Tag { tag } => {
                    let mut a = ActionOut::new(Action::Tag);
                    a.tag = Some(string(operands, *tag, rule)?);
                    a
                }
                ActionTemplate::Set { field, value, ty } => {
                    let mut a = ActionOut::new(Action::Set);
                    a.field = Some(self.text(field));
                    let v = operands.eval(*value, rule)?;
                    a.value = Some(value::to_json(&v, ty, self.program.schema()));
                    a
                }
                ActionTemplate::Drop { reason } => {
                    let mut a = ActionOut::new(Action::Drop);
                    a.reason = Some(string(operands, *reason, rule)?);
                    a
                }
            };
            out.push(action);
        }
        Ok(())
    }

    fn team(&self, n: u32) -> Option<Arc<str>> {
        self.team_names.get(n as usize).cloned()
    }

    /// Text of the program (an SLO as written, a field path), shared by every decision.
    fn text(&mut self, text: &str) -> Arc<str> {
        if let Some(kept) = self.texts.iter().find(|t| ***t == *text) {
            return kept.clone();
        }
        let made: Arc<str> = Arc::from(text);
        if self.texts.len() < KEPT {
            self.texts.push(made.clone());
        }
        made
    }

    /// When an SLO runs out: in UTC, and for business time also in the
    /// calendar's zone. An SLO that counts from `now` runs out alike for
    /// every record, so its deadline is kept.
    fn deadline(
        &mut self,
        slo: &Slo,
        slots: &[Value],
        rule: &str,
    ) -> Result<Deadline, RecordError> {
        let start = match &slo.anchor {
            None => self.now,
            Some(anchor) => match slots.get(anchor.slot as usize) {
                Some(Value::Time(t)) => *t,
                // A verified program counts only from a time that is present.
                _ => return Err(damaged(rule)),
            },
        };
        if slo.anchor.is_none()
            && let Some((_, kept)) = self.deadlines.iter().find(|(k, _)| *k == slo.length)
        {
            return Ok(kept.clone());
        }
        let (utc, local) = self.compute_deadline(slo, start, rule)?;
        let computed: Deadline = (Arc::from(utc), local.map(Arc::from));
        if slo.anchor.is_none() && self.deadlines.len() < KEPT {
            self.deadlines.push((slo.length.clone(), computed.clone()));
        }
        Ok(computed)
    }

    fn compute_deadline(
        &self,
        slo: &Slo,
        start: Timestamp,
        rule: &str,
    ) -> Result<(String, Option<String>), RecordError> {
        let out_of_range = || eval_error(&EvalError::Op(OpError::TimeRange), rule);
        match &slo.length {
            SloLength::Wall(d) => start
                .checked_add(*d)
                .ok()
                .and_then(rfc3339::in_range)
                .map(|t| (t.to_string(), None))
                .ok_or_else(out_of_range),
            SloLength::Business {
                amount,
                days,
                calendar,
            } => {
                let calendar = self
                    .program
                    .calendar(*calendar)
                    .ok_or_else(|| damaged(rule))?;
                let due = if *days {
                    calendar.add_days(start, *amount)
                } else {
                    calendar.add_hours(start, *amount)
                }
                .ok()
                .and_then(rfc3339::in_range)
                .ok_or_else(out_of_range)?;
                let local = self.local_times.then(|| calendar.local_rfc3339(due));
                Ok((due.to_string(), local))
            }
        }
    }

    /// The `within` of an ownership action: the SLO, what it counts from
    /// and when it is due.
    fn slo(
        &mut self,
        a: &mut ActionOut,
        within: Option<&Slo>,
        slots: &[Value],
        rule: &str,
    ) -> Result<(), RecordError> {
        if let Some(slo) = within {
            a.within = Some(self.text(&slo.text));
            a.of = slo.anchor.as_ref().map(|anchor| self.text(&anchor.path));
            (a.due, a.due_local) = self
                .deadline(slo, slots, rule)
                .map(|(utc, local)| (Some(utc), local))?;
        }
        Ok(())
    }

    /// The `after` of an escalation or reassignment: how long, from what,
    /// and when it falls.
    fn after(
        &mut self,
        a: &mut ActionOut,
        after: &Slo,
        slots: &[Value],
        rule: &str,
    ) -> Result<(), RecordError> {
        a.after = Some(self.text(&after.text));
        a.of = after.anchor.as_ref().map(|anchor| self.text(&anchor.path));
        (a.at, a.at_local) = self
            .deadline(after, slots, rule)
            .map(|(utc, local)| (Some(utc), local))?;
        Ok(())
    }

    fn target(
        &mut self,
        operands: &mut Operands<'_>,
        a: &mut ActionOut,
        target: &Target,
        rule: &str,
    ) -> Result<(), RecordError> {
        match target {
            Target::Team(n) => a.team = self.team(*n),
            Target::Person(block) => a.to = Some(string(operands, *block, rule)?),
        }
        Ok(())
    }
}

/// What an action's operands are evaluated with: the interpreter and this record.
pub(super) struct Operands<'a> {
    /// The interpreter.
    pub(super) machine: &'a mut Machine,
    /// The program the operands belong to.
    pub(super) program: &'a Program,
    /// The record's bound slots.
    pub(super) slots: &'a [Value],
    /// The evaluation instant.
    pub(super) now: Timestamp,
}

impl Operands<'_> {
    /// The value of an action's operand `block`, errors naming `rule`.
    pub(super) fn eval(&mut self, block: Block, rule: &str) -> Result<Value, RecordError> {
        self.machine
            .run(self.program, block, self.slots, self.now, 0)
            .map_err(|e| eval_error(&e, rule))
    }
}

/// The string an action's operand `block` gives.
fn string(
    operands: &mut Operands<'_>,
    block: crate::bytecode::program::Block,
    rule: &str,
) -> Result<Arc<str>, RecordError> {
    match operands.eval(block, rule)? {
        Value::Str(s) => Ok(s),
        _ => Err(damaged(rule)),
    }
}

/// Under `all match`, an error when `actions` give the record two owners;
/// `rules` names the rules that hold.
fn owners_agree(actions: &[ActionOut], rules: impl FnOnce() -> String) -> Result<(), RecordError> {
    let mut owners = actions.iter().filter_map(owner);
    let Some(first) = owners.next() else {
        return Ok(());
    };
    match owners.find(|o| *o != first) {
        None => Ok(()),
        Some(other) => Err(RecordError::new(
            codes::RUNTIME_OWNERSHIP_CONFLICT,
            format!(
                "rules {} give the record two owners: {first} and {other}",
                rules()
            ),
        )),
    }
}

/// Who owns the record after an ownership action, for conflict checks.
fn owner(a: &ActionOut) -> Option<String> {
    match a.action {
        Action::HandOff => a.team.as_ref().map(|t| format!("team `{t}`")),
        Action::Assign => a.to.as_ref().map(|t| format!("`{t}`")),
        Action::Drop => Some("nobody (dropped)".to_owned()),
        _ => None,
    }
}
