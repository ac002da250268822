//! Running a policy's `test` blocks, and measuring what they cover.
//!
//! Each test decides its record at its `at` instant (or when the run
//! started) and checks each `expect`: the rule that decided, an action the
//! decision must contain (only the keys the expectation writes are
//! compared), or the code of a record error. Coverage counts, per rule,
//! whether some test made it decide and, per clause of its condition,
//! whether the tests saw it both true and false.

mod cases;

pub use cases::test_cases;

use jiff::Timestamp;
use serde::Serialize;

use crate::source::Span;
use crate::vm::{ActionOut, Decided, Decision, Policy, RecordError};

/// A test ready to run.
#[derive(Clone, Debug)]
pub struct TestCase {
    /// Its description.
    pub name: String,
    /// The whole `test` block.
    pub span: Span,
    /// The record it decides, or why it has none.
    pub record: Result<crate::vm::Record, String>,
    /// The `now` it runs at.
    pub at: Option<Timestamp>,
    /// Its `expect` lines.
    pub expects: Vec<Expectation>,
}

/// One `expect` line.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// Where it is written.
    pub span: Span,
    /// What it expects.
    pub expected: Expected,
}

/// What an `expect` line expects.
#[derive(Clone, Debug)]
pub enum Expected {
    /// This rule decided (or is among the rules that held, under `all match`).
    Rule(String),
    /// The record is an error with this code.
    Error(String),
    /// The decision contains each of these actions.
    Actions(Vec<ActionOut>),
}

/// The result of one test.
#[derive(Clone, Debug, Serialize)]
pub struct TestOutcome {
    /// The test's description.
    pub name: String,
    /// Where the test is.
    #[serde(skip)]
    pub span: Span,
    /// The expectations that failed; empty when the test passed.
    pub failures: Vec<Failure>,
    /// The decision line the record got.
    pub decision: String,
    /// How the decision came about, rule by rule.
    pub explanation: Option<String>,
}

impl TestOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// An expectation that did not hold.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    /// The `expect` that failed.
    #[serde(skip)]
    pub span: Span,
    /// What was expected and what happened instead.
    pub message: String,
}

/// What the tests exercised.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Coverage {
    /// Each rule and whether a test made it decide.
    pub rules: Vec<RuleCoverage>,
}

/// Coverage of one rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleCoverage {
    /// The rule.
    pub rule: String,
    /// Whether some test made it decide.
    pub decided: bool,
    /// Each clause of its condition: seen true, seen false.
    pub clauses: Vec<ClauseCoverage>,
}

/// Coverage of one clause.
#[derive(Clone, Debug, Serialize)]
pub struct ClauseCoverage {
    /// The clause as written.
    pub clause: String,
    /// Some test saw it true.
    pub seen_true: bool,
    /// Some test saw it false.
    pub seen_false: bool,
}

impl Coverage {
    /// The share of goals met, in percent: each rule deciding, and each clause
    /// seen true and seen false. A policy with no rules is fully covered.
    pub fn percent(&self) -> f64 {
        let goals = self
            .rules
            .iter()
            .map(|r| 1 + 2 * r.clauses.len())
            .sum::<usize>();
        let met = self
            .rules
            .iter()
            .map(|r| {
                usize::from(r.decided)
                    + r.clauses
                        .iter()
                        .map(|c| usize::from(c.seen_true) + usize::from(c.seen_false))
                        .sum::<usize>()
            })
            .sum::<usize>();
        if goals == 0 {
            100.0
        } else {
            met as f64 * 100.0 / goals as f64
        }
    }
}

/// Runs every case; `started` is the `now` of tests without `at`.
pub fn run(
    policy: &Policy,
    cases: &[TestCase],
    started: Timestamp,
) -> (Vec<TestOutcome>, Coverage) {
    let parts = policy.program().parts();
    let mut coverage = Coverage {
        rules: parts
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| RuleCoverage {
                rule: rule.name.clone(),
                decided: false,
                clauses: parts
                    .debug
                    .iter()
                    .flat_map(|d| {
                        d.clauses
                            .iter()
                            .filter(move |c| c.rule as usize == i)
                            .map(move |c| (d, c))
                    })
                    .map(|(d, c)| ClauseCoverage {
                        clause: crate::vm::explain::unparenthesized(
                            d.files
                                .get(c.span.file.0 as usize)
                                .and_then(|f| f.text.get(c.span.range()))
                                .unwrap_or("?"),
                        ),
                        seen_true: false,
                        seen_false: false,
                    })
                    .collect(),
            })
            .collect(),
    };
    let outcomes = cases
        .iter()
        .map(|case| run_one(policy, case, started, &mut coverage))
        .collect();
    (outcomes, coverage)
}

fn run_one(
    policy: &Policy,
    case: &TestCase,
    started: Timestamp,
    coverage: &mut Coverage,
) -> TestOutcome {
    let mut vm = policy.vm(case.at.unwrap_or(started));
    let (outcome, explanation) = match &case.record {
        Err(problem) => (
            Err(RecordError::new(
                crate::diagnostics::codes::RECORD_MALFORMED,
                problem.clone(),
            )),
            None,
        ),
        Ok(record) => match vm.explain(&record.json) {
            Ok((explanation, outcome)) => {
                for (rule, traced) in coverage.rules.iter_mut().zip(&explanation.rules) {
                    for (clause, seen) in rule.clauses.iter_mut().zip(&traced.clauses) {
                        clause.seen_true |= seen.value.as_deref() == Some("true");
                        clause.seen_false |= seen.value.as_deref() == Some("false");
                    }
                }
                (outcome, Some(explanation.render()))
            }
            Err(crate::vm::explain::ExplainError::Record(e)) => (Err(e), None),
            Err(crate::vm::explain::ExplainError::NoDebugInfo) => (vm.decide(&record.json), None),
        },
    };
    if let Ok(decision) = &outcome {
        let decided: Vec<&String> = match decision.decided() {
            Decided::Rule(r) => r.iter().collect(),
            Decided::Rules(r) => r.iter().collect(),
        };
        for rule in &mut coverage.rules {
            rule.decided |= decided.contains(&&rule.rule);
        }
    }
    let failures = case
        .expects
        .iter()
        .filter_map(|e| {
            check(&e.expected, &outcome).map(|message| Failure {
                span: e.span,
                message,
            })
        })
        .collect();
    let id = case.record.as_ref().ok().and_then(|r| r.id.as_ref());
    TestOutcome {
        name: case.name.clone(),
        span: case.span,
        failures,
        decision: crate::vm::decision::line(0, id, &outcome),
        explanation,
    }
}

/// `None` when the expectation holds, else what went wrong.
fn check(expected: &Expected, outcome: &Result<Decision, RecordError>) -> Option<String> {
    match (expected, outcome) {
        (Expected::Error(code), Err(e)) if e.code == code.as_str() => None,
        (Expected::Error(code), Err(e)) => Some(format!(
            "expected error {code}, the record got {}: {}",
            e.code, e.message
        )),
        (Expected::Error(code), Ok(_)) => {
            Some(format!("expected error {code}, but the record was decided"))
        }
        (_, Err(e)) => Some(format!("the record got error {}: {}", e.code, e.message)),
        (Expected::Rule(name), Ok(decision)) => {
            let decided = match decision.decided() {
                Decided::Rule(r) => r.iter().any(|r| r == name),
                Decided::Rules(r) => r.contains(name),
            };
            if decided {
                return None;
            }
            let actual = match decision.decided() {
                Decided::Rule(Some(r)) => format!("rule `{r}` decided"),
                Decided::Rule(None) => "no rule decided".to_owned(),
                Decided::Rules(r) if r.is_empty() => "no rule held".to_owned(),
                Decided::Rules(r) => format!(
                    "rules {} held",
                    r.iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            Some(format!("expected rule `{name}`, but {actual}"))
        }
        (Expected::Actions(actions), Ok(decision)) => {
            let missing: Vec<String> = actions
                .iter()
                .filter(|want| !decision.actions().iter().any(|got| matches(want, got)))
                .map(|want| missing_action(want, decision.actions()))
                .collect();
            if missing.is_empty() {
                None
            } else {
                Some(format!("the decision has {}", missing.join(", and ")))
            }
        }
    }
}

/// What the decision has instead of `want`: the action at another instant,
/// when only its `due` or `at` differs, else no such action.
fn missing_action(want: &ActionOut, actions: &[ActionOut]) -> String {
    let json = |a: &ActionOut| serde_json::to_string(a).unwrap_or_default();
    let mut timeless = want.clone();
    (timeless.due, timeless.at) = (None, None);
    let Some(got) = actions.iter().find(|got| matches(&timeless, got)) else {
        return format!("no action {}", json(want));
    };
    let instant = |t: &Option<std::sync::Arc<str>>| t.as_deref().unwrap_or("none").to_owned();
    let (key, wanted, given) = match &want.due {
        Some(_) => ("due", instant(&want.due), instant(&got.due)),
        None => ("at", instant(&want.at), instant(&got.at)),
    };
    format!("{} {key} {given}, not {wanted}", json(&timeless))
}

/// Whether `got` has the kind of `want` and every key `want` sets, equal.
fn matches(want: &ActionOut, got: &ActionOut) -> bool {
    fn same<T: PartialEq>(want: &Option<T>, got: &Option<T>) -> bool {
        want.is_none() || want == got
    }
    want.action == got.action
        && same(&want.team, &got.team)
        && same(&want.to, &got.to)
        && same(&want.field, &got.field)
        && same(&want.value, &got.value)
        && same(&want.tag, &got.tag)
        && same(&want.reason, &got.reason)
        && same(&want.within, &got.within)
        && same(&want.of, &got.of)
        && same(&want.due, &got.due)
        && same(&want.after, &got.after)
        && same(&want.at, &got.at)
}
