//! The VM: binds each record to slots, evaluates the rules under the policy's
//! hit policy by the policy's plan, and turns the actions of the deciding
//! rules into a decision (`actions.rs`).

mod actions;
mod bind;
pub mod decision;
mod errors;
mod eval;
pub mod explain;
pub mod plan;
mod policy;
pub mod record;
mod stream;

use jiff::Timestamp;

use crate::bytecode::program::{HitPolicy, Program};
use crate::bytecode::value::Value;
use actions::{Actions, Operands};
use bind::SlotTree;
pub(crate) use bind::shorten;
pub use decision::{Action, ActionOut, Decided, Decision, RecordError};
use errors::{eval_error, rule_name};
use eval::{EvalError, Machine};
use plan::{Env, Plan};
pub use policy::Policy;
pub use record::{Record, RecordId};

/// A record validated against the subject type, its fields in the program's slots.
#[derive(Clone, Debug)]
pub struct BoundRecord {
    slots: Vec<Value>,
}

/// Decides records with one policy at one `now`. Reuse it across records.
#[derive(Debug)]
pub struct Vm<'p> {
    program: &'p Program,
    plan: &'p Plan,
    tree: SlotTree,
    machine: Machine,
    slots: Vec<Value>,
    now: Timestamp,
    /// Field names by record type, for binding from JSON text: made on the
    /// first line bound that way, so a VM for one record does not pay for it.
    names: Option<stream::FieldNames>,
    /// Makes the decisions and keeps the shared ones.
    actions: Actions<'p>,
}

/// A decision as the VM reaches it: shared by every record its rule decides
/// alike (kept by rule, see [`Actions::shared`]), or made for this record.
enum Reached {
    Shared(usize),
    Own(Decision),
}

impl<'p> Vm<'p> {
    /// A VM deciding with `policy` at `now`.
    pub fn new(policy: &'p Policy, now: Timestamp) -> Vm<'p> {
        let program = policy.program();
        let parts = program.parts();
        Vm {
            program,
            plan: policy.plan(),
            tree: SlotTree::new(program),
            machine: Machine::new(program),
            slots: vec![Value::Missing; parts.slots.len()],
            now,
            names: None,
            actions: Actions::new(program, now),
        }
    }

    /// The VM, with business-time SLOs also given in the calendar's zone when
    /// `on`: `due_local` beside `due`, `at_local` beside `at`. Off by default,
    /// since the contract's decisions have only the keys of LANGUAGE.md §12.
    pub fn with_local_times(mut self, on: bool) -> Vm<'p> {
        self.actions.set_local_times(on);
        self
    }

    /// Decides the records that follow at `now`, exactly as a VM made at
    /// `now` by [`Policy::vm`] would: for records that each carry their own
    /// instant, such as lines of a pipe decided when they arrive. Setting
    /// the instant it has already costs nothing; another one drops the
    /// deadlines and decisions kept between records, made at the old one.
    pub fn set_now(&mut self, now: Timestamp) {
        self.now = now;
        self.actions.set_now(now);
    }

    /// Decides one record: validates and binds it, then runs the rules.
    pub fn decide(&mut self, record: &serde_json::Value) -> Result<Decision, RecordError> {
        let mut slots = std::mem::take(&mut self.slots);
        let decision = self
            .bind_into(record, &mut slots)
            .and_then(|()| self.decide_slots(&slots))
            .and_then(|reached| self.to_decision(reached));
        self.slots = slots;
        decision
    }

    /// Decides one line of JSON Lines, validating and binding it straight from
    /// its text; returns the record's `id` (for the output line) with the
    /// decision. Decides exactly as parsing the line and calling
    /// [`Vm::decide`] would, only faster.
    pub fn decide_line(&mut self, line: &str) -> (Option<RecordId>, Result<Decision, RecordError>) {
        // The first line of a file a Windows tool wrote may start with a
        // byte-order mark; no JSON does, so it is skipped wherever it is.
        let line = crate::source::without_byte_order_mark(line);
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
            stream::TextBinding::Record { result, id } => {
                let outcome = result
                    .and_then(|()| self.decide_slots(&slots))
                    .and_then(|reached| self.to_decision(reached));
                self.slots = slots;
                (id, outcome)
            }
            stream::TextBinding::NotARecord => {
                self.slots = slots;
                match crate::input::jsonl_record(line) {
                    Ok(record) => (self.id_of(&record), self.decide(&record.json)),
                    Err(e) => (None, Err(e)),
                }
            }
        }
    }

    /// The id a record's decision line repeats: the value of the subject's
    /// key field under the first of the field's keys the record gives (a
    /// number under `id` exactly as written); the `id` member when the
    /// subject has no key field.
    pub fn id_of(&self, record: &Record) -> Option<RecordId> {
        let parts = self.program.parts();
        let Some(key) = parts
            .schema
            .record(parts.subject)
            .and_then(|r| r.key_field())
        else {
            return record.id.clone();
        };
        let object = record.json.as_object()?;
        let (name, value) = key.keys().find_map(|k| object.get(k).map(|v| (k, v)))?;
        match name {
            "id" => record.id.clone(),
            _ => RecordId::of(value),
        }
    }

    /// Validates a record against the subject type and binds the fields the program reads.
    pub fn bind(&self, record: &serde_json::Value) -> Result<BoundRecord, RecordError> {
        let mut slots = vec![Value::Missing; self.program.parts().slots.len()];
        self.bind_into(record, &mut slots)?;
        Ok(BoundRecord { slots })
    }

    /// Decides a record bound earlier with [`Vm::bind`].
    pub fn decide_bound(&mut self, bound: &BoundRecord) -> Result<Decision, RecordError> {
        let reached = self.decide_slots(&bound.slots)?;
        self.to_decision(reached)
    }

    /// Decides a record bound earlier, lending the decision until the VM's
    /// next use: the cheapest way to decide, for callers that read the
    /// decision and move on (clone it to keep it).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let policy = roe::load(include_bytes!("../../tests/roec/inbound_routing.roec"))?;
    /// let mut vm = policy.vm("2026-11-30T10:00:00Z".parse()?);
    /// let lead = serde_json::json!({
    ///     "id": "L-1", "email": "ana@bigco.example", "country": "DE", "segment": "strategic",
    ///     "source": "web", "status": "mql", "score": 80, "employees": 9000,
    ///     "created_at": "2026-11-30T09:00:00Z", "do_not_route": false
    /// });
    /// let bound = vm.bind(&lead)?;
    /// let decision = vm.decide_bound_ref(&bound)?;
    /// assert_eq!(
    ///     decision.decided(),
    ///     &roe::vm::Decided::Rule(Some("enterprise_hot_emea".to_owned()))
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn decide_bound_ref(&mut self, bound: &BoundRecord) -> Result<&Decision, RecordError> {
        match self.decide_slots(&bound.slots)? {
            Reached::Shared(rule) => self.actions.shared(rule),
            Reached::Own(decision) => Ok(self.actions.lend(decision)),
        }
    }

    /// A decision the VM reached, as one the caller owns.
    fn to_decision(&self, reached: Reached) -> Result<Decision, RecordError> {
        match reached {
            Reached::Shared(rule) => self.actions.shared(rule).cloned(),
            Reached::Own(decision) => Ok(decision),
        }
    }

    /// Whether the rule at `index` holds for a record bound earlier.
    pub fn rule_holds(&mut self, bound: &BoundRecord, index: usize) -> Result<bool, RecordError> {
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
    fn decide_slots(&mut self, slots: &[Value]) -> Result<Reached, RecordError> {
        // Under first match without an index, the probes alone decide most
        // records, and a shared decision needs nothing of the interpreter.
        let from = match self.plan.first_probes() {
            Some(probes) => match probes.first_held(slots) {
                Ok(first) if self.actions.has_shared(first) => {
                    return Ok(Reached::Shared(first));
                }
                Ok(first) => return self.decide_first(slots, first),
                Err(untold) => untold,
            },
            None if self.plan.all_probes().is_some() => return self.decide_all_probed(slots),
            None => 0,
        };
        self.decide_from(slots, from)
    }

    /// Under `all match` or `unique match`, the rules that hold found by the
    /// probes alone when they can tell (a decision kept for them returned as
    /// it is), else by scanning.
    #[inline(never)]
    fn decide_all_probed(&mut self, slots: &[Value]) -> Result<Reached, RecordError> {
        let Some(set) = self.plan.all_probes().and_then(|p| p.held_set(slots)) else {
            return self.decide_from(slots, 0);
        };
        let one = match set.count_ones() {
            0 => Some(self.program.parts().rules.len()),
            1 => Some(set.trailing_zeros() as usize),
            _ => None,
        };
        match one {
            Some(at) if self.actions.has_shared(at) => return Ok(Reached::Shared(at)),
            None => {
                if let Some(kept) = self.actions.kept_together(set) {
                    return kept.clone().map(Reached::Own);
                }
            }
            Some(_) => {}
        }
        self.machine.reset();
        let mut held = std::mem::take(&mut self.actions.held);
        held.clear();
        held.extend((0..64).filter(|at| set >> at & 1 == 1));
        let reached = self.decide_held(slots, &held);
        self.actions.held = held;
        reached
    }

    /// The decision of rule `first`, found by the probes, made now. (Kept out
    /// of line, as is `decide_from`, so that the probes' path inlines.)
    #[inline(never)]
    fn decide_first(&mut self, slots: &[Value], first: usize) -> Result<Reached, RecordError> {
        self.machine.reset();
        self.decision_of_rule(slots, first, false)
    }

    /// The decision, the rules before `from` known not to hold under first match.
    #[inline(never)]
    fn decide_from(&mut self, slots: &[Value], from: usize) -> Result<Reached, RecordError> {
        self.machine.reset();
        match self.program.parts().hit_policy {
            HitPolicy::First => self.first_match(slots, from),
            HitPolicy::All | HitPolicy::Unique => {
                let held = self.held(slots)?;
                let reached = self.decide_held(slots, &held);
                self.actions.held = held;
                reached
            }
        }
    }

    fn holds(&mut self, slots: &[Value], rule: usize) -> Result<bool, RecordError> {
        let mut env = Env {
            machine: &mut self.machine,
            program: self.program,
            lets: self.plan.lets(),
            slots,
            now: self.now,
            depth: 0,
        };
        match self.plan.conditions().get(rule) {
            Some(condition) => condition
                .holds(&mut env)
                .map_err(|e| eval_error(&e, rule_name(self.program, rule))),
            None => Ok(false),
        }
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
        let plan = self.plan;
        let mut env = Env {
            machine: &mut self.machine,
            program,
            lets: plan.lets(),
            slots,
            now: self.now,
            depth: 0,
        };
        let conditions = plan.conditions();
        let probes = plan.probes();
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
        let scanned = match plan.candidates(slots) {
            Some(candidates) => candidates.filter(|i| *i >= from).try_for_each(&mut visit),
            None => (from..conditions.len()).try_for_each(visit),
        };
        match scanned {
            Ok(()) | Err(None) => Ok(()),
            Err(Some((rule, e))) => Err(eval_error(&e, rule_name(program, rule))),
        }
    }

    /// The first rule from `from` on that holds (rules before it are known not to).
    fn first_match(&mut self, slots: &[Value], from: usize) -> Result<Reached, RecordError> {
        let otherwise = self.program.parts().rules.len();
        let mut first = otherwise;
        self.scan(slots, from, |i| {
            first = i;
            false
        })?;
        self.decision_of_rule(slots, first, false)
    }

    /// The rules that hold, in file order, in the VM's list of them.
    fn held(&mut self, slots: &[Value]) -> Result<Vec<usize>, RecordError> {
        let mut held = std::mem::take(&mut self.actions.held);
        held.clear();
        let scanned = self.scan(slots, 0, |i| {
            held.push(i);
            true
        });
        scanned.map(|()| held)
    }

    /// Under `all match` or `unique match`, the decision of the rules that
    /// hold, `held`.
    fn decide_held(&mut self, slots: &[Value], held: &[usize]) -> Result<Reached, RecordError> {
        let all = self.program.parts().hit_policy == HitPolicy::All;
        let otherwise = self.program.parts().rules.len();
        match held {
            [] => self.decision_of_rule(slots, otherwise, all),
            [one] => self.decision_of_rule(slots, *one, all),
            many if all => self.decision_of_rules(slots, many),
            many => Err(self.actions.not_unique(many)),
        }
    }

    /// The decision of rule `at` alone (`otherwise` past the last rule): the
    /// shared one when the plan keeps it, made now otherwise.
    fn decision_of_rule(
        &mut self,
        slots: &[Value],
        at: usize,
        all: bool,
    ) -> Result<Reached, RecordError> {
        if self.actions.has_shared(at) {
            return Ok(Reached::Shared(at));
        }
        let decision = self.run_actions(slots, &[at], all)?;
        match self.plan.keeps(at) {
            true => {
                self.actions.share(at, decision);
                Ok(Reached::Shared(at))
            }
            false => Ok(Reached::Own(decision)),
        }
    }

    /// The decision of several rules that hold at once under `all match`:
    /// kept for every record they decide together when the plan keeps each.
    #[inline(never)]
    fn decision_of_rules(
        &mut self,
        slots: &[Value],
        rules: &[usize],
    ) -> Result<Reached, RecordError> {
        let keep = rules.iter().all(|at| self.plan.keeps(*at));
        let mut operands = Operands {
            machine: &mut self.machine,
            program: self.program,
            slots,
            now: self.now,
        };
        self.actions
            .together(&mut operands, rules, keep)
            .map(Reached::Own)
    }

    /// The decision of `rules` (`otherwise` past the last rule), their
    /// actions run with this record's slots.
    fn run_actions(
        &mut self,
        slots: &[Value],
        rules: &[usize],
        all: bool,
    ) -> Result<Decision, RecordError> {
        let mut operands = Operands {
            machine: &mut self.machine,
            program: self.program,
            slots,
            now: self.now,
        };
        self.actions.decision(&mut operands, rules, all)
    }
}
