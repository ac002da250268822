//! Constant folding: evaluates expressions that read no field, let or `now`,
//! with the operator semantics of [`crate::bytecode::value`] that the VM uses.
//! The consts of a policy are folded once, each after the consts it reads;
//! the compiler, the test cases and `roe lint` all read them from here.

use crate::bytecode::value::{self, Builtin, OpError, Value};
use crate::check::tir::{Checked, TExpr, TKind};
use crate::source::Span;

/// The values of a policy's consts.
#[derive(Default)]
pub(crate) struct ConstValues {
    values: Vec<Value>,
}

/// A const whose value cannot be computed.
pub(crate) struct ConstError {
    /// Why not.
    pub(crate) error: OpError,
    /// The const's expression.
    pub(crate) span: Span,
}

impl ConstValues {
    /// Folds every const of `checked` in dependency order. A const that
    /// cannot be folded is `Missing`, and an error says why.
    pub(crate) fn fold(checked: &Checked) -> (ConstValues, Vec<ConstError>) {
        let mut consts = ConstValues {
            values: vec![Value::Missing; checked.consts.len()],
        };
        let mut errors = Vec::new();
        for &i in &checked.const_order {
            let Some(binding) = checked.consts.get(i) else {
                continue;
            };
            match consts.evaluate(&binding.value) {
                Ok(value) => {
                    if let Some(slot) = consts.values.get_mut(i) {
                        *slot = value;
                    }
                }
                Err(error) => errors.push(ConstError {
                    error,
                    span: binding.value.span,
                }),
            }
        }
        (consts, errors)
    }

    /// The value of const `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&Value> {
        self.values.get(i)
    }

    /// Evaluates a constant expression.
    pub(crate) fn evaluate(&self, e: &TExpr) -> Result<Value, OpError> {
        evaluate(e, &self.values)
    }

    /// The value of `e` if it reads nothing that changes from record to
    /// record (`None` if it does).
    pub(crate) fn constant(&self, e: &TExpr) -> Option<Result<Value, OpError>> {
        is_constant(e).then(|| self.evaluate(e))
    }
}

/// Whether `e` reads nothing that changes from record to record.
fn is_constant(e: &TExpr) -> bool {
    match &e.kind {
        TKind::Literal(_) | TKind::Const(_) => true,
        TKind::Let(_) | TKind::Slot(_) | TKind::Now => false,
        // Calendar functions need the calendar at run time (and `is_open`, `now`).
        TKind::IsOpen(_) | TKind::OpenHoursBetween(..) | TKind::LocalPart(..) => false,
        // `days_since` and `hours_since` read `now`; the others fold like operators.
        TKind::Call(b, arg) => {
            !matches!(b, Builtin::DaysSince | Builtin::HoursSince) && is_constant(arg)
        }
        TKind::List(items) => items.iter().all(is_constant),
        TKind::Not(x)
        | TKind::Neg(x)
        | TKind::ToNumber(x)
        | TKind::Matches(x, _)
        | TKind::IsSet(x) => is_constant(x),
        TKind::And(a, b) | TKind::Or(a, b) | TKind::Binary(_, a, b) | TKind::Default(a, b) => {
            is_constant(a) && is_constant(b)
        }
    }
}

/// Evaluates a constant expression; `consts` holds the values of consts folded so far.
fn evaluate(e: &TExpr, consts: &[Value]) -> Result<Value, OpError> {
    let bool_of = |v: Value| match v {
        Value::Bool(b) => Ok(b),
        _ => Err(OpError::Type),
    };
    Ok(match &e.kind {
        TKind::Literal(v) => v.clone(),
        TKind::Const(i) => consts.get(*i).cloned().ok_or(OpError::Type)?,
        TKind::List(items) => Value::List(
            items
                .iter()
                .map(|item| evaluate(item, consts))
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        ),
        TKind::Not(x) => Value::Bool(!bool_of(evaluate(x, consts)?)?),
        TKind::Neg(x) => value::negate(&evaluate(x, consts)?)?,
        TKind::ToNumber(x) => value::to_number(&evaluate(x, consts)?)?,
        TKind::And(a, b) => {
            Value::Bool(bool_of(evaluate(a, consts)?)? && bool_of(evaluate(b, consts)?)?)
        }
        TKind::Or(a, b) => {
            Value::Bool(bool_of(evaluate(a, consts)?)? || bool_of(evaluate(b, consts)?)?)
        }
        TKind::Binary(op, a, b) => {
            value::binary(*op, &evaluate(a, consts)?, &evaluate(b, consts)?)?
        }
        TKind::Matches(x, pattern) => match evaluate(x, consts)? {
            Value::Str(s) => Value::Bool(
                regex::Regex::new(pattern)
                    .map_err(|_| OpError::Type)?
                    .is_match(&s),
            ),
            _ => return Err(OpError::Type),
        },
        TKind::IsSet(x) => Value::Bool(evaluate(x, consts)? != Value::Missing),
        TKind::Default(a, b) => match evaluate(a, consts)? {
            Value::Missing => evaluate(b, consts)?,
            v => v,
        },
        TKind::Call(b, arg) if !matches!(b, Builtin::DaysSince | Builtin::HoursSince) => {
            // The instant is never read by the built-ins that reach here.
            value::call(*b, &[evaluate(arg, consts)?], jiff::Timestamp::UNIX_EPOCH)?
        }
        TKind::Let(_)
        | TKind::Slot(_)
        | TKind::Now
        | TKind::Call(..)
        | TKind::IsOpen(_)
        | TKind::OpenHoursBetween(..)
        | TKind::LocalPart(..) => return Err(OpError::Type),
    })
}
