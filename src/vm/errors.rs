//! The record errors of evaluation, each naming the rule it happened in.

use crate::bytecode::program::Program;
use crate::bytecode::value::OpError;
use crate::diagnostics::codes;
use crate::vm::RecordError;
use crate::vm::eval::EvalError;

/// The name of rule `at`: `otherwise` past the last rule.
pub(super) fn rule_name(program: &Program, at: usize) -> &str {
    program
        .parts()
        .rules
        .get(at)
        .map_or("otherwise", |r| r.name.as_str())
}

/// The names of `rules`, quoted.
pub(super) fn rule_names(program: &Program, rules: &[usize]) -> Vec<String> {
    rules
        .iter()
        .map(|i| format!("`{}`", rule_name(program, *i)))
        .collect()
}

/// The error of a compiled program that does not hold what the VM needs
/// for rule `rule`; only a damaged `.roec` gives it.
pub(super) fn damaged(rule: &str) -> RecordError {
    RecordError::new(
        codes::RECORD_MALFORMED,
        format!("rule `{rule}`: the compiled program is damaged; recompile the policy"),
    )
}

/// The record error of `e`, raised by rule `rule`.
pub(super) fn eval_error(e: &EvalError, rule: &str) -> RecordError {
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
