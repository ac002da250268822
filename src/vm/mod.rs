//! The VM: binds each record to slots, evaluates the rules under the policy's
//! hit policy, and turns the actions of the deciding rules into a decision.

mod bind;
mod condition;
pub mod decision;
mod eval;
pub mod explain;
mod index;
mod probe;
mod stream;

use std::sync::Arc;

use jiff::Timestamp;

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{ActionTemplate, Block, HitPolicy, Program, Sla, SlaLength, Target};
use crate::bytecode::value::{self, OpError, Value};
use crate::diagnostics::codes;
use bind::SlotTree;
use condition::{Condition, Env};
pub use decision::{ActionOut, Decided, Decision, RecordError};
use eval::{EvalError, Machine};

/// A record validated against the subject type, its fields in the program's slots.
#[derive(Clone, Debug)]
pub struct Bound {
    slots: Vec<Value>,
}

/// Decides records with one program at one `now`. Reuse it across records.
#[derive(Debug)]
pub struct Vm<'p> {
    program: &'p Program,
    tree: SlotTree,
    machine: Machine,
    /// The program lowered for deciding: made once per program and shared
    /// by every VM that decides with it.
    lowered: Arc<Lowered>,
    slots: Vec<Value>,
    now: Timestamp,
    /// Field names by record type, for binding from JSON text: made on the
    /// first line bound that way, so a VM for one record does not pay for it.
    names: Option<stream::FieldNames>,
    /// Deadlines computed so far: they depend only on `now` and the SLO, so
    /// every record with the same SLO shares them.
    deadlines: Vec<(SlaLength, Deadline)>,
    /// The decision of each rule alone (and last, of `otherwise`), kept once
    /// made when the rule's actions do not read the record.
    decisions: Vec<Option<Decision>>,
    /// The last decision lent by [`Vm::decide_bound_ref`] that is not kept.
    lent: Option<Decision>,
    /// Team names, shared by every decision that names a team.
    team_names: Vec<Arc<str>>,
    /// Program texts decisions repeat (SLOs as written, field paths).
    texts: Vec<Arc<str>>,
    /// Whether business-time SLOs also give their instants in the calendar's zone.
    local_times: bool,
}

/// A program lowered for deciding: its rules as condition trees and probes,
/// maybe indexed, with what the VM may keep between records. Without shortcuts
/// (see [`fuel_suffices`]) every condition is its bytecode block.
#[derive(Debug)]
pub(crate) struct Lowered {
    /// Each rule's condition, as a tree of tests where it can be one.
    conditions: Vec<Condition>,
    /// Each let, as a tree where it can be one (none without shortcuts).
    lets: Vec<Condition>,
    /// The rules worth evaluating by the value of one slot, when a table pays.
    index: Option<index::RuleIndex>,
    /// Each rule's condition compiled, where it reads only slots.
    probes: Option<probe::Probes>,
    /// Whether the probes find the first rule that holds on their own: under
    /// first match, without an index.
    probes_find_first: bool,
    /// Which rules' actions (and last, `otherwise`'s) read the record; all
    /// of them without shortcuts, so that no decision is kept.
    reads_record: Vec<bool>,
}

impl Lowered {
    /// `program` lowered, with the shortcuts that spend no fuel when
    /// `shortcuts`, and its rule index when also `index`.
    pub(crate) fn new(program: &Program, shortcuts: bool, index: bool) -> Lowered {
        let parts = program.parts();
        let conditions: Vec<Condition> = match shortcuts {
            true => Condition::decompile_rules(program),
            false => parts
                .rules
                .iter()
                .map(|r| Condition::Block(r.condition))
                .collect(),
        };
        let index = (shortcuts && index)
            .then(|| index::RuleIndex::new(&conditions))
            .flatten();
        let probes = match shortcuts {
            true => probe::Probes::new(&conditions),
            false => None,
        };
        Lowered {
            probes_find_first: parts.hit_policy == HitPolicy::First && index.is_none(),
            lets: match shortcuts {
                true => Condition::decompile_lets(program),
                false => Vec::new(),
            },
            reads_record: match shortcuts {
                true => reads_record(program),
                false => vec![true; parts.rules.len() + 1],
            },
            conditions,
            index,
            probes,
        }
    }

    /// The probes, when they find the first rule that holds on their own.
    #[inline]
    fn first_probes(&self) -> Option<&probe::Probes> {
        self.probes.as_ref().filter(|_| self.probes_find_first)
    }
}

/// A decision as the VM makes it: kept for every record a rule decides
/// alike (by its index in `Vm::decisions`), or made for this record.
enum Made {
    Kept(usize),
    New(Decision),
}

/// A deadline in UTC and, for business time, in the calendar's zone.
type Deadline = (Arc<str>, Option<Arc<str>>);

/// At most this many distinct SLOs keep their deadline between records.
const DEADLINES_KEPT: usize = 32;

impl<'p> Vm<'p> {
    /// A VM for `program` evaluating at `now`. The program is lowered for
    /// deciding the first time a VM is made for it; later VMs share that.
    pub fn new(program: &'p Program, now: Timestamp) -> Vm<'p> {
        let lowered = program
            .lowered()
            .get_or_init(|| Arc::new(Lowered::new(program, fuel_suffices(program), true)))
            .clone();
        Vm::with(program, now, lowered)
    }

    /// A VM that evaluates every rule in order, without the rule index; the two
    /// decide alike, and tests hold them to it.
    pub fn without_index(program: &'p Program, now: Timestamp) -> Vm<'p> {
        let lowered = Lowered::new(program, fuel_suffices(program), false);
        Vm::with(program, now, Arc::new(lowered))
    }

    /// A VM that runs every rule's condition through the bytecode interpreter,
    /// in order, and makes every decision anew: no rule index, no condition
    /// trees, no probes, no kept decisions. It decides exactly as
    /// [`Vm::new`] does, only slower; tests and a fuzz target hold the two to it.
    pub fn interpreted(program: &'p Program, now: Timestamp) -> Vm<'p> {
        Vm::with(program, now, Arc::new(Lowered::new(program, false, false)))
    }

    fn with(program: &'p Program, now: Timestamp, lowered: Arc<Lowered>) -> Vm<'p> {
        let parts = program.parts();
        Vm {
            program,
            tree: SlotTree::new(program),
            machine: Machine::new(program),
            lowered,
            slots: vec![Value::Missing; parts.slots.len()],
            now,
            names: None,
            decisions: vec![None; parts.rules.len() + 1],
            lent: None,
            deadlines: Vec::new(),
            team_names: parts.teams.iter().map(|t| Arc::from(t.as_str())).collect(),
            texts: Vec::new(),
            local_times: false,
        }
    }

    /// The VM, with business-time SLOs also given in the calendar's zone when
    /// `on`: `due_local` beside `due`, `at_local` beside `at`. Off by default,
    /// since the contract's decisions have only the keys of LANGUAGE.md §12.
    pub fn with_local_times(mut self, on: bool) -> Vm<'p> {
        self.local_times = on;
        // Nothing decided before may stand with the other setting.
        self.deadlines.clear();
        self.decisions.iter_mut().for_each(|d| *d = None);
        self
    }

    /// Decides one record: validates and binds it, then runs the rules.
    pub fn decide(&mut self, record: &serde_json::Value) -> Result<Decision, RecordError> {
        let mut slots = std::mem::take(&mut self.slots);
        let decision = self
            .bind_into(record, &mut slots)
            .and_then(|()| self.decide_slots(&slots))
            .and_then(|made| self.owned(made));
        self.slots = slots;
        decision
    }

    /// Decides one line of JSON Lines, validating and binding it straight from
    /// its text; returns the record's `id` (for the output line) with the
    /// decision. Decides exactly as parsing the line and calling
    /// [`Vm::decide`] would, only faster.
    pub fn decide_line(
        &mut self,
        line: &str,
    ) -> (Option<serde_json::Value>, Result<Decision, RecordError>) {
        let mut slots = std::mem::take(&mut self.slots);
        slots.iter_mut().for_each(|s| *s = Value::Missing);
        let parts = self.program.parts();
        let names = self
            .names
            .get_or_insert_with(|| stream::FieldNames::new(&parts.schema));
        let bound = stream::bind_text(
            &parts.schema,
            names,
            parts.subject,
            &self.tree,
            line,
            &mut slots,
        );
        match bound {
            stream::Bound::Record { result, id } => {
                let outcome = result
                    .and_then(|()| self.decide_slots(&slots))
                    .and_then(|made| self.owned(made));
                self.slots = slots;
                (id, outcome)
            }
            stream::Bound::NotARecord => {
                self.slots = slots;
                self.decide_parsed(line)
            }
        }
    }

    /// Decides a line the slow way: parsed into a `Value` first.
    fn decide_parsed(
        &mut self,
        line: &str,
    ) -> (Option<serde_json::Value>, Result<Decision, RecordError>) {
        match crate::input::jsonl_record(line) {
            Ok(json) => (json.get("id").cloned(), self.decide(&json)),
            Err(e) => (None, Err(e)),
        }
    }

    /// Validates a record against the subject type and binds the fields the program reads.
    pub fn bind(&self, record: &serde_json::Value) -> Result<Bound, RecordError> {
        let mut slots = vec![Value::Missing; self.program.parts().slots.len()];
        self.bind_into(record, &mut slots)?;
        Ok(Bound { slots })
    }

    /// Decides a record bound earlier with [`Vm::bind`].
    pub fn decide_bound(&mut self, bound: &Bound) -> Result<Decision, RecordError> {
        let made = self.decide_slots(&bound.slots)?;
        self.owned(made)
    }

    /// Decides a record bound earlier, lending the decision until the VM's
    /// next use: the cheapest way to decide, for callers that read the
    /// decision and move on (clone it to keep it).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let program = roe::load(include_bytes!("../../tests/roec/inbound_routing.roec"))?;
    /// let mut vm = roe::vm::Vm::new(&program, "2026-11-30T10:00:00Z".parse()?);
    /// let lead = serde_json::json!({
    ///     "id": "L-1", "email": "ana@bigco.example", "country": "DE", "segment": "strategic",
    ///     "source": "web", "status": "mql", "score": 80, "employees": 9000,
    ///     "created_at": "2026-11-30T09:00:00Z", "do_not_route": false
    /// });
    /// let bound = vm.bind(&lead).map_err(|e| e.message)?;
    /// let decision = vm.decide_bound_ref(&bound).map_err(|e| e.message)?;
    /// assert_eq!(
    ///     decision.decided(),
    ///     &roe::vm::Decided::Rule(Some("enterprise_hot_emea".to_owned()))
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn decide_bound_ref(&mut self, bound: &Bound) -> Result<&Decision, RecordError> {
        match self.decide_slots(&bound.slots)? {
            Made::Kept(at) => self
                .decisions
                .get(at)
                .and_then(Option::as_ref)
                .ok_or_else(|| damaged("?")),
            Made::New(decision) => Ok(self.lent.insert(decision)),
        }
    }

    /// A decision the VM made, as one the caller owns.
    fn owned(&self, made: Made) -> Result<Decision, RecordError> {
        match made {
            Made::Kept(at) => self
                .decisions
                .get(at)
                .and_then(Option::clone)
                .ok_or_else(|| damaged("?")),
            Made::New(decision) => Ok(decision),
        }
    }

    /// A decision the VM made, to read.
    fn made<'m>(&'m self, made: &'m Made) -> Option<&'m Decision> {
        match made {
            Made::Kept(at) => self.decisions.get(*at).and_then(Option::as_ref),
            Made::New(decision) => Some(decision),
        }
    }

    /// Whether the rule at `index` holds for a record bound earlier.
    pub fn rule_holds(&mut self, bound: &Bound, index: usize) -> Result<bool, RecordError> {
        self.machine.reset();
        self.holds(&bound.slots, index)
    }

    fn bind_into(
        &self,
        record: &serde_json::Value,
        slots: &mut [Value],
    ) -> Result<(), RecordError> {
        let parts = self.program.parts();
        slots.iter_mut().for_each(|s| *s = Value::Missing);
        bind::bind(&parts.schema, parts.subject, &self.tree, record, slots)
    }

    #[inline]
    fn decide_slots(&mut self, slots: &[Value]) -> Result<Made, RecordError> {
        // Under first match without an index, the probes alone decide most
        // records, and a kept decision needs nothing of the interpreter.
        let from = match self.lowered.first_probes() {
            Some(probes) => match probes.first_held(slots) {
                Ok(first) if matches!(self.decisions.get(first), Some(Some(_))) => {
                    return Ok(Made::Kept(first));
                }
                Ok(first) => return self.decide_first(slots, first),
                Err(untold) => untold,
            },
            None => 0,
        };
        self.decide_from(slots, from)
    }

    /// The decision of rule `first`, found by the probes, made now. (Kept out
    /// of line, as is `decide_from`, so that the probes' path inlines.)
    #[inline(never)]
    fn decide_first(&mut self, slots: &[Value], first: usize) -> Result<Made, RecordError> {
        self.machine.reset();
        self.alone(slots, first, false)
    }

    /// The decision, the rules before `from` known not to hold under first match.
    #[inline(never)]
    fn decide_from(&mut self, slots: &[Value], from: usize) -> Result<Made, RecordError> {
        self.machine.reset();
        match self.program.parts().hit_policy {
            HitPolicy::First => self.first_match(slots, from),
            HitPolicy::All => self.all_match(slots),
            HitPolicy::Unique => self.unique_match(slots),
        }
    }

    fn holds(&mut self, slots: &[Value], rule: usize) -> Result<bool, RecordError> {
        let mut env = Env {
            machine: &mut self.machine,
            program: self.program,
            lets: &self.lowered.lets,
            slots,
            now: self.now,
            depth: 0,
        };
        match self.lowered.conditions.get(rule) {
            Some(condition) => condition
                .holds(&mut env)
                .map_err(|e| condition_error(self.program, rule, &e)),
            None => Ok(false),
        }
    }

    fn eval(&mut self, slots: &[Value], block: Block, rule: &str) -> Result<Value, RecordError> {
        self.machine
            .run(self.program, block, slots, self.now, 0)
            .map_err(|e| eval_error(&e, rule))
    }

    /// Evaluates the rules from `from` on that may hold, in file order (all
    /// of them, or those the index leaves), calling `found` with each that
    /// holds until it says stop.
    fn scan(
        &mut self,
        slots: &[Value],
        from: usize,
        mut found: impl FnMut(usize) -> bool,
    ) -> Result<(), RecordError> {
        let program = self.program;
        let mut env = Env {
            machine: &mut self.machine,
            program,
            lets: &self.lowered.lets,
            slots,
            now: self.now,
            depth: 0,
        };
        let lowered = &*self.lowered;
        let conditions = &lowered.conditions;
        let probes = lowered.probes.as_ref();
        // Whether to go on after rule `i`, by its probe or else its tree; the
        // error names no rule until one fails.
        let mut visit = |i: usize| -> Result<(), Option<(usize, EvalError)>> {
            let holds = match (probes.and_then(|p| p.holds(i, slots)), conditions.get(i)) {
                (Some(holds), _) => holds,
                (None, Some(condition)) => condition.holds(&mut env).map_err(|e| Some((i, e)))?,
                (None, None) => false,
            };
            if holds && !found(i) {
                Err(None)
            } else {
                Ok(())
            }
        };
        let scanned = match lowered
            .index
            .as_ref()
            .and_then(|index| index.candidates(slots))
        {
            Some(candidates) => candidates
                .into_iter()
                .filter(|i| *i >= from)
                .try_for_each(&mut visit),
            None => (from..conditions.len()).try_for_each(visit),
        };
        match scanned {
            Ok(()) | Err(None) => Ok(()),
            Err(Some((rule, e))) => Err(condition_error(program, rule, &e)),
        }
    }

    fn held(&mut self, slots: &[Value]) -> Result<Vec<usize>, RecordError> {
        let mut held = Vec::new();
        self.scan(slots, 0, |i| {
            held.push(i);
            true
        })?;
        Ok(held)
    }

    /// The first rule from `from` on that holds (rules before it are known not to).
    fn first_match(&mut self, slots: &[Value], from: usize) -> Result<Made, RecordError> {
        let otherwise = self.program.parts().rules.len();
        let mut first = otherwise;
        self.scan(slots, from, |i| {
            first = i;
            false
        })?;
        self.alone(slots, first, false)
    }

    fn unique_match(&mut self, slots: &[Value]) -> Result<Made, RecordError> {
        let held = self.held(slots)?;
        let otherwise = self.program.parts().rules.len();
        match held.as_slice() {
            [] => self.alone(slots, otherwise, false),
            [one] => self.alone(slots, *one, false),
            many => {
                let names = self.names(many);
                Err(RecordError::new(
                    codes::RUNTIME_NOT_UNIQUE,
                    format!(
                        "rules {} hold at once, but under `unique match` at most one may",
                        names.join(" and ")
                    ),
                ))
            }
        }
    }

    fn all_match(&mut self, slots: &[Value]) -> Result<Made, RecordError> {
        let held = self.held(slots)?;
        let otherwise = self.program.parts().rules.len();
        let made = match held.as_slice() {
            [] => return self.alone(slots, otherwise, true),
            [one] => self.alone(slots, *one, true)?,
            many => Made::New(self.decision_of(slots, many, true)?),
        };
        let owners: Vec<(String, &ActionOut)> = self
            .made(&made)
            .map(Decision::actions)
            .unwrap_or_default()
            .iter()
            .filter_map(|a| owner(a).map(|o| (o, a)))
            .collect();
        if let Some((first, _)) = owners.first()
            && let Some((other, _)) = owners.iter().find(|(o, _)| o != first)
        {
            let names = self.names(&held);
            return Err(RecordError::new(
                codes::RUNTIME_OWNERSHIP_CONFLICT,
                format!(
                    "rules {} give the record two owners: {first} and {other}",
                    names.join(", ")
                ),
            ));
        }
        Ok(made)
    }

    fn names(&self, rules: &[usize]) -> Vec<String> {
        let program = self.program;
        let parts = program.parts();
        rules
            .iter()
            .filter_map(|i| parts.rules.get(*i))
            .map(|r| format!("`{}`", r.name))
            .collect()
    }

    /// The decision of rule `at` alone (`otherwise` past the last rule): the
    /// one kept from an earlier record when its actions read nothing of the
    /// record, else made now (and kept, when it may be).
    fn alone(&mut self, slots: &[Value], at: usize, all: bool) -> Result<Made, RecordError> {
        if let Some(Some(_)) = self.decisions.get(at) {
            return Ok(Made::Kept(at));
        }
        let decision = if at == self.program.parts().rules.len() {
            self.fallback_made(slots, all)?
        } else {
            self.decision_of(slots, &[at], all)?
        };
        match self.decisions.get_mut(at) {
            Some(kept) if self.lowered.reads_record.get(at) == Some(&false) => {
                *kept = Some(decision);
                Ok(Made::Kept(at))
            }
            _ => Ok(Made::New(decision)),
        }
    }

    fn fallback_made(&mut self, slots: &[Value], all: bool) -> Result<Decision, RecordError> {
        let program = self.program;
        let parts = program.parts();
        let (name, actions) = match &parts.otherwise {
            Some(actions) => (
                Some("otherwise".to_owned()),
                self.actions(slots, actions, "otherwise")?,
            ),
            None => (None, Vec::new()),
        };
        let decided = if all {
            Decided::Rules(name.into_iter().collect())
        } else {
            Decided::Rule(name)
        };
        Ok(Decision::new(decided, actions))
    }

    fn decision_of(
        &mut self,
        slots: &[Value],
        rules: &[usize],
        all: bool,
    ) -> Result<Decision, RecordError> {
        let program = self.program;
        let parts = program.parts();
        let mut actions = Vec::new();
        let mut names = Vec::new();
        for &i in rules {
            let Some(rule) = parts.rules.get(i) else {
                continue;
            };
            actions.extend(self.actions(slots, &rule.actions, &rule.name)?);
            names.push(rule.name.clone());
        }
        let decided = if all {
            Decided::Rules(names)
        } else {
            Decided::Rule(names.into_iter().next())
        };
        Ok(Decision::new(decided, actions))
    }

    fn string(
        &mut self,
        slots: &[Value],
        block: Block,
        rule: &str,
    ) -> Result<Arc<str>, RecordError> {
        match self.eval(slots, block, rule)? {
            Value::Str(s) => Ok(s),
            _ => Err(damaged(rule)),
        }
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
        if self.texts.len() < DEADLINES_KEPT {
            self.texts.push(made.clone());
        }
        made
    }

    /// When an SLO runs out: in UTC, and for business time also in the calendar's zone.
    fn deadline(&mut self, sla: &Sla, rule: &str) -> Result<Deadline, RecordError> {
        if let Some((_, kept)) = self.deadlines.iter().find(|(k, _)| *k == sla.length) {
            return Ok(kept.clone());
        }
        let (utc, local) = self.compute_deadline(sla, rule)?;
        let computed: Deadline = (Arc::from(utc), local.map(Arc::from));
        if self.deadlines.len() < DEADLINES_KEPT {
            self.deadlines.push((sla.length.clone(), computed.clone()));
        }
        Ok(computed)
    }

    fn compute_deadline(
        &self,
        sla: &Sla,
        rule: &str,
    ) -> Result<(String, Option<String>), RecordError> {
        let out_of_range = || eval_error(&EvalError::Op(OpError::TimeRange), rule);
        match &sla.length {
            SlaLength::Wall(d) => self
                .now
                .checked_add(*d)
                .map(|t| (t.to_string(), None))
                .map_err(|_| out_of_range()),
            SlaLength::Business {
                amount,
                days,
                calendar,
            } => {
                let calendar = self
                    .program
                    .calendar(*calendar)
                    .ok_or_else(|| damaged(rule))?;
                let due = if *days {
                    calendar.add_days(self.now, *amount)
                } else {
                    calendar.add_hours(self.now, *amount)
                }
                .map_err(|_| out_of_range())?;
                let local = self.local_times.then(|| calendar.local_rfc3339(due));
                Ok((due.to_string(), local))
            }
        }
    }

    fn actions(
        &mut self,
        slots: &[Value],
        templates: &[ActionTemplate],
        rule: &str,
    ) -> Result<Vec<ActionOut>, RecordError> {
        let mut out = Vec::with_capacity(templates.len());
        for template in templates {
            let mut a = ActionOut::default();
            match template {
                ActionTemplate::HandOff { team, within } => {
                    a.action = "hand_off";
                    a.team = self.team(*team);
                    self.slo(&mut a, within.as_ref(), rule)?;
                }
                ActionTemplate::Assign { to, within } => {
                    a.action = "assign";
                    a.to = Some(self.string(slots, *to, rule)?);
                    self.slo(&mut a, within.as_ref(), rule)?;
                }
                ActionTemplate::Escalate { target, after } => {
                    a.action = "escalate";
                    self.target(slots, &mut a, target, rule)?;
                    a.after = Some(self.text(&after.text));
                    (a.at, a.at_local) = self
                        .deadline(after, rule)
                        .map(|(utc, local)| (Some(utc), local))?;
                }
                ActionTemplate::Reassign { team, after } => {
                    a.action = "reassign";
                    a.team = self.team(*team);
                    a.after = Some(self.text(&after.text));
                    (a.at, a.at_local) = self
                        .deadline(after, rule)
                        .map(|(utc, local)| (Some(utc), local))?;
                }
                ActionTemplate::Notify { target } => {
                    a.action = "notify";
                    self.target(slots, &mut a, target, rule)?;
                }
                ActionTemplate::Tag { tag } => {
                    a.action = "tag";
                    a.tag = Some(self.string(slots, *tag, rule)?);
                }
                ActionTemplate::Set { field, value, ty } => {
                    a.action = "set";
                    a.field = Some(self.text(field));
                    let v = self.eval(slots, *value, rule)?;
                    a.value = Some(value::to_json(&v, ty, self.program.schema()));
                }
                ActionTemplate::Drop { reason } => {
                    a.action = "drop";
                    a.reason = Some(self.string(slots, *reason, rule)?);
                }
            }
            out.push(a);
        }
        Ok(out)
    }

    fn slo(
        &mut self,
        a: &mut ActionOut,
        within: Option<&Sla>,
        rule: &str,
    ) -> Result<(), RecordError> {
        if let Some(sla) = within {
            a.within = Some(self.text(&sla.text));
            (a.due, a.due_local) = self
                .deadline(sla, rule)
                .map(|(utc, local)| (Some(utc), local))?;
        }
        Ok(())
    }

    fn target(
        &mut self,
        slots: &[Value],
        a: &mut ActionOut,
        target: &Target,
        rule: &str,
    ) -> Result<(), RecordError> {
        match target {
            Target::Team(n) => a.team = self.team(*n),
            Target::Person(block) => a.to = Some(self.string(slots, *block, rule)?),
        }
        Ok(())
    }
}

/// Who owns the record after an ownership action, for conflict checks.
fn owner(a: &ActionOut) -> Option<String> {
    match a.action {
        "hand_off" => a.team.as_ref().map(|t| format!("team `{t}`")),
        "assign" => a.to.as_ref().map(|t| format!("`{t}`")),
        "drop" => Some("nobody (dropped)".to_owned()),
        _ => None,
    }
}

/// Whether each rule's actions, and last `otherwise`'s, read the record
/// (a field or a let); actions that do not decide every record alike.
fn reads_record(program: &Program) -> Vec<bool> {
    let parts = program.parts();
    let reads = |templates: &[ActionTemplate]| {
        templates.iter().filter_map(ActionTemplate::block).any(|b| {
            parts
                .code
                .get(b.start as usize..b.end as usize)
                .is_none_or(|code| {
                    code.iter()
                        .any(|i| matches!(i, Instruction::Slot(_) | Instruction::Let(_)))
                })
        })
    };
    parts
        .rules
        .iter()
        .map(|r| reads(&r.actions))
        .chain([parts.otherwise.as_deref().is_some_and(reads)])
        .collect()
}

/// Whether no record can run out of fuel: every block one record may run
/// (each rule condition, let and action operand, each at most once per
/// record) together are shorter than a record's fuel. Only then may the VM
/// take shortcuts that spend none: condition trees, the index and the
/// probes, kept decisions. A compiled program's blocks are disjoint, so
/// this is its length; a hand-made `.roec` may share one block among rules.
fn fuel_suffices(program: &Program) -> bool {
    runnable_per_record(program) < eval::FUEL_PER_RECORD
}

/// The instructions of every block one record may run, a shared block once
/// per use.
fn runnable_per_record(program: &Program) -> u64 {
    let parts = program.parts();
    let len = |b: Block| u64::from(b.end.saturating_sub(b.start));
    let actions = |templates: &[ActionTemplate]| -> u64 {
        templates
            .iter()
            .filter_map(ActionTemplate::block)
            .map(len)
            .sum()
    };
    let rules: u64 = parts
        .rules
        .iter()
        .map(|r| len(r.condition) + actions(&r.actions))
        .sum();
    let lets: u64 = parts.lets.iter().map(|l| len(l.block)).sum();
    let otherwise = parts.otherwise.as_deref().map_or(0, actions);
    rules + lets + otherwise
}

/// The error of rule `rule`'s condition, naming the rule.
fn condition_error(program: &Program, rule: usize, e: &EvalError) -> RecordError {
    let name = program
        .parts()
        .rules
        .get(rule)
        .map_or("?", |r| r.name.as_str());
    eval_error(e, name)
}

fn damaged(rule: &str) -> RecordError {
    RecordError::new(
        codes::RECORD_MALFORMED,
        format!("rule `{rule}`: the compiled program is damaged; recompile the policy"),
    )
}

fn eval_error(e: &EvalError, rule: &str) -> RecordError {
    let (code, what) = match e {
        EvalError::Op(OpError::Overflow) => (
            codes::RUNTIME_OVERFLOW,
            "arithmetic overflow (beyond 64-bit integers, or an infinite number)",
        ),
        EvalError::Op(OpError::DivisionByZero) => {
            (codes::RUNTIME_DIVISION_BY_ZERO, "division by zero")
        }
        EvalError::Op(OpError::TimeRange) => (
            codes::RUNTIME_TIME_RANGE,
            "a time beyond the supported range",
        ),
        EvalError::OutOfFuel => (codes::RUNTIME_FUEL, "evaluation took too many steps"),
        EvalError::LetsTooDeep => (
            codes::RUNTIME_FUEL,
            "lets use each other more than 256 deep",
        ),
        EvalError::Op(OpError::Type) | EvalError::Damaged(_) => return damaged(rule),
    };
    RecordError::new(code, format!("rule `{rule}`: {what}"))
}

/// The slots of a record with the given top-level fields, every other slot
/// missing: records for the lowerings' unit tests.
#[cfg(all(test, feature = "compiler"))]
fn slots_with(program: &Program, fields: &[(&str, Value)]) -> Vec<Value> {
    program
        .parts()
        .slots
        .iter()
        .map(|path| {
            fields
                .iter()
                .find(|(name, _)| path.len() == 1 && path[0] == *name)
                .map_or(Value::Missing, |(_, v)| v.clone())
        })
        .collect()
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    use super::*;

    /// A chain of lets deeper than the interpreter allows stops with the same
    /// error with and without trees, on a worker thread's stack; one within
    /// the limit decides alike.
    #[test]
    fn chains_of_lets_stop_at_the_same_depth_with_and_without_trees() {
        let run = || {
            for (n, too_deep) in [(250, false), (300, true)] {
                let mut text = "policy p for lead\nuse crm\n".to_owned();
                for i in 0..n {
                    text.push_str(&format!("let l{i} = not l{}\n", i + 1));
                }
                text.push_str(&format!(
                    "let l{n} = score > 5\nrule r when l0 then tag \"r\"\n"
                ));
                let program = crate::compile_source("p.roe", &text)
                    .program
                    .expect("compiles");
                let now = Timestamp::UNIX_EPOCH;
                let lead = serde_json::json!({"id":"L","email":"a@b.example","country":"DE","segment":"smb","source":"web","status":"raw","score":9,"created_at":"2026-11-30T09:00:00Z","do_not_route":false});
                let trees = Vm::new(&program, now).decide(&lead);
                let plain = Vm::interpreted(&program, now).decide(&lead);
                assert_eq!(trees, plain, "{n} lets");
                match trees {
                    Err(e) => assert!(too_deep && e.code == codes::RUNTIME_FUEL, "{e:?}"),
                    Ok(_) => assert!(!too_deep),
                }
            }
        };
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(run)
            .expect("a thread")
            .join()
            .expect("no overflow, no failure");
    }

    /// A hand-made `.roec` may give many rules one block: each use counts,
    /// since the interpreter spends fuel on each.
    #[test]
    fn blocks_count_once_per_use_against_the_fuel() {
        let text = "policy p for lead\nuse crm\nlet hot = score > 60\n\
                    rule a when hot and segment = smb then tag \"a\"\n\
                    rule b when score = 1 then drop \"b\"\n\
                    otherwise tag \"c\"\n";
        let program = crate::compile_source("p.roe", text)
            .program
            .expect("compiles");
        // Conditions (5 + 3), the let (3), three action operands (1 each).
        assert_eq!(runnable_per_record(&program), 14);
        let mut parts = program.stripped().parts().clone();
        let shared = parts.rules[0].condition;
        parts.rules[1].condition = shared;
        let sharing = Program::new(parts).expect("verifies");
        assert_eq!(runnable_per_record(&sharing), 16);
        assert!(fuel_suffices(&sharing));
    }
}
