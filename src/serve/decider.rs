//! Deciding a request's records with a served policy and, in shadow mode,
//! with its candidate too: the answer is the live decision, and each record
//! the candidate would decide differently is counted and logged.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::assigning::{Assigning, Outcome};
use super::catalog::Served;
use crate::assign::StoreError;
use crate::vm::decision::{Decided, line};
use crate::vm::{Decision, RecordError, RecordId, Vm};

/// How many differing records one request logs, at most.
const LOGGED: usize = 10;

/// What one request decided.
#[derive(Debug, Default)]
pub struct Outcomes {
    /// Records by the rule that decided them (`otherwise`, or `none`).
    pub rules: BTreeMap<String, u64>,
    /// Records that could not be decided, by code.
    pub errors: BTreeMap<&'static str, u64>,
    /// In shadow mode, records the candidate decided alike.
    pub same: u64,
    /// In shadow mode, records the candidate decided differently.
    pub different: u64,
}

impl Outcomes {
    /// Adds `more` (a later block's) to these.
    pub fn merge(&mut self, more: Outcomes) {
        for (rule, n) in more.rules {
            *self.rules.entry(rule).or_insert(0) += n;
        }
        for (code, n) in more.errors {
            *self.errors.entry(code).or_insert(0) += n;
        }
        self.same += more.same;
        self.different += more.different;
    }
}

/// The VMs of a served policy and of its candidate, at one instant.
pub struct Decider<'p> {
    served: &'p Served,
    now: Timestamp,
    /// The request's id, for the log.
    request_id: String,
    live: Vm<'p>,
    candidate: Option<Vm<'p>>,
    /// What was decided so far.
    pub outcomes: Outcomes,
}

impl<'p> Decider<'p> {
    /// Decides with `served` (and its candidate) at `now`, for the request
    /// with id `request_id`.
    pub fn new(served: &'p Served, now: Timestamp, request_id: String) -> Decider<'p> {
        Decider {
            served,
            now,
            request_id,
            live: served.policy.vm(now),
            candidate: served.candidate.as_ref().map(|c| c.policy.vm(now)),
            outcomes: Outcomes::default(),
        }
    }

    /// The lines of `records`, the first at index `first`, in order, each
    /// with its error's code if it could not be decided; with assignment
    /// on, assigned and committed first (the error is the state's).
    pub fn lines(
        &mut self,
        first: usize,
        records: &[&str],
        assigning: Option<&Assigning>,
    ) -> Result<Vec<(String, Option<&'static str>)>, StoreError> {
        let at = |i: usize| first + i;
        let Some(assigning) = assigning else {
            return Ok(records
                .iter()
                .enumerate()
                .map(|(i, record)| self.line(at(i), record))
                .collect());
        };
        let mut decided: Vec<Outcome> = records
            .iter()
            .enumerate()
            .map(|(i, record)| self.decide(at(i), record))
            .collect();
        assigning.assign(self.served, &mut decided, self.now)?;
        Ok(decided
            .iter()
            .enumerate()
            .map(|(i, (id, outcome))| {
                let code = outcome.as_ref().err().map(|e| e.code);
                (line(at(i), id.as_ref(), outcome), code)
            })
            .collect())
    }

    /// The line of the record at `index` given as JSON `text`, and the code
    /// of its error if it could not be decided.
    pub fn line(&mut self, index: usize, text: &str) -> (String, Option<&'static str>) {
        let (id, outcome) = self.decide(index, text);
        let code = outcome.as_ref().err().map(|e| e.code);
        (line(index, id.as_ref(), &outcome), code)
    }

    /// The record at `index` given as JSON `text`, decided (and compared
    /// with the candidate's decision, in shadow mode).
    pub fn decide(
        &mut self,
        index: usize,
        text: &str,
    ) -> (Option<RecordId>, Result<Decision, RecordError>) {
        let (id, outcome) = self.live.decide_line(text);
        self.count(&outcome);
        if let Some(candidate) = &mut self.candidate {
            let made = line(index, id.as_ref(), &outcome);
            let (_, theirs) = candidate.decide_line(text);
            let their_line = line(index, id.as_ref(), &theirs);
            if their_line == made {
                self.outcomes.same += 1;
            } else {
                self.outcomes.different += 1;
                if self.outcomes.different <= LOGGED as u64 {
                    tracing::warn!(
                        request_id = %self.request_id,
                        shadow = %self.served.name,
                        version = %self.served.version,
                        candidate = %self.served.candidate.as_ref().map_or("", |c| &c.version),
                        live_line = %made,
                        candidate_line = %their_line,
                        "the candidate decides differently"
                    );
                }
            }
        }
        (id, outcome)
    }

    /// Counts one record's outcome.
    fn count(&mut self, outcome: &Result<Decision, RecordError>) {
        match outcome {
            Ok(decision) => {
                let rule = match decision.decided() {
                    Decided::Rule(rule) => rule.as_deref().unwrap_or("none"),
                    Decided::Rules(rules) => rules.first().map_or("none", String::as_str),
                };
                match self.outcomes.rules.get_mut(rule) {
                    Some(n) => *n += 1,
                    None => {
                        self.outcomes.rules.insert(rule.to_owned(), 1);
                    }
                }
            }
            Err(e) => *self.outcomes.errors.entry(e.code).or_insert(0) += 1,
        }
    }
}
