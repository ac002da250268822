//! The runtime value model shared by the constant pool, the compiler's folding
//! and the VM, and the semantics of every operator and built-in on it. Integer
//! overflow, division by zero and out-of-range time arithmetic are errors,
//! never a panic and never a wrong answer.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp, civil::Date};

/// A runtime value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An optional field that has no value.
    Missing,
    /// A nested record that is present (its fields live in their own slots).
    Present,
    /// A bool.
    Bool(bool),
    /// An int.
    Int(i64),
    /// A number.
    Number(f64),
    /// A string.
    Str(Arc<str>),
    /// An instant.
    Time(Timestamp),
    /// A calendar date.
    Date(Date),
    /// A duration.
    Duration(SignedDuration),
    /// An enum variant, by index.
    Enum(u32),
    /// A list.
    List(Arc<[Value]>),
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }
}

/// Why an operation has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpError {
    /// An int result beyond 64 bits, or a number result that is not finite.
    Overflow,
    /// Division by zero.
    DivisionByZero,
    /// A time or duration beyond the representable range.
    TimeRange,
    /// Operands of types the operator does not take (a program the checker did not produce).
    Type,
}

/// Binary operators of the bytecode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`, always a number (or a duration divided by a number).
    Div,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `contains`: substring or list element.
    Contains,
    /// `starts with`
    StartsWith,
    /// `ends with`
    EndsWith,
}

impl Op {
    /// The operator as written in source.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::Contains => "contains",
            Op::StartsWith => "starts with",
            Op::EndsWith => "ends with",
        }
    }
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `lower(string) -> string`
    Lower,
    /// `upper(string) -> string`
    Upper,
    /// `len(string | list) -> int`, counting characters or elements.
    Len,
    /// `days_since(time | date) -> int`: whole days from the argument to `now`.
    DaysSince,
    /// `hours_since(time) -> int`: whole hours from the argument to `now`.
    HoursSince,
    /// `domain(string) -> string`: the lower-cased part after the last `@`.
    Domain,
    /// `weekday(time | date) -> string`: `mon` … `sun` (UTC for a time).
    Weekday,
}

impl Builtin {
    /// Every built-in.
    pub const ALL: [Builtin; 7] = [
        Builtin::Lower,
        Builtin::Upper,
        Builtin::Len,
        Builtin::DaysSince,
        Builtin::HoursSince,
        Builtin::Domain,
        Builtin::Weekday,
    ];

    /// The function's name in source.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Lower => "lower",
            Builtin::Upper => "upper",
            Builtin::Len => "len",
            Builtin::DaysSince => "days_since",
            Builtin::HoursSince => "hours_since",
            Builtin::Domain => "domain",
            Builtin::Weekday => "weekday",
        }
    }

    /// The built-in called `name`.
    pub fn by_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// Applies a binary operator.
pub fn binary(op: Op, a: &Value, b: &Value) -> Result<Value, OpError> {
    use Value as V;
    Ok(match op {
        Op::Add => match (a, b) {
            (V::Int(x), V::Int(y)) => V::Int(x.checked_add(*y).ok_or(OpError::Overflow)?),
            (V::Number(x), V::Number(y)) => finite(x + y)?,
            (V::Str(x), V::Str(y)) => V::Str(Arc::from(format!("{x}{y}"))),
            (V::Time(t), V::Duration(d)) | (V::Duration(d), V::Time(t)) => {
                V::Time(in_range(t.checked_add(*d))?)
            }
            (V::Duration(x), V::Duration(y)) => {
                V::Duration(x.checked_add(*y).ok_or(OpError::TimeRange)?)
            }
            _ => return Err(OpError::Type),
        },
        Op::Sub => match (a, b) {
            (V::Int(x), V::Int(y)) => V::Int(x.checked_sub(*y).ok_or(OpError::Overflow)?),
            (V::Number(x), V::Number(y)) => finite(x - y)?,
            (V::Time(t), V::Duration(d)) => V::Time(in_range(t.checked_sub(*d))?),
            (V::Time(x), V::Time(y)) => V::Duration(x.duration_since(*y)),
            (V::Date(x), V::Date(y)) => {
                let days = i64::from(x.since(*y).map_err(|_| OpError::TimeRange)?.get_days());
                V::Duration(SignedDuration::from_hours(
                    days.checked_mul(24).ok_or(OpError::TimeRange)?,
                ))
            }
            (V::Duration(x), V::Duration(y)) => {
                V::Duration(x.checked_sub(*y).ok_or(OpError::TimeRange)?)
            }
            _ => return Err(OpError::Type),
        },
        Op::Mul => match (a, b) {
            (V::Int(x), V::Int(y)) => V::Int(x.checked_mul(*y).ok_or(OpError::Overflow)?),
            (V::Number(x), V::Number(y)) => finite(x * y)?,
            (V::Duration(d), V::Int(n)) | (V::Int(n), V::Duration(d)) => {
                let n = i32::try_from(*n).map_err(|_| OpError::TimeRange)?;
                V::Duration(d.checked_mul(n).ok_or(OpError::TimeRange)?)
            }
            _ => return Err(OpError::Type),
        },
        Op::Div => match (a, b) {
            (V::Number(x), V::Number(y)) => {
                if *y == 0.0 {
                    return Err(OpError::DivisionByZero);
                }
                finite(x / y)?
            }
            _ => return Err(OpError::Type),
        },
        Op::Eq => V::Bool(equal(a, b)?),
        Op::Ne => V::Bool(!equal(a, b)?),
        Op::Lt => V::Bool(order(a, b)?.is_lt()),
        Op::Le => V::Bool(order(a, b)?.is_le()),
        Op::Gt => V::Bool(order(a, b)?.is_gt()),
        Op::Ge => V::Bool(order(a, b)?.is_ge()),
        Op::In => V::Bool(member(a, b)?),
        Op::NotIn => V::Bool(!member(a, b)?),
        Op::Contains => match (a, b) {
            (V::Str(x), V::Str(y)) => V::Bool(x.contains(&**y)),
            (V::List(_), _) => V::Bool(member(b, a)?),
            _ => return Err(OpError::Type),
        },
        Op::StartsWith => match (a, b) {
            (V::Str(x), V::Str(y)) => V::Bool(x.starts_with(&**y)),
            _ => return Err(OpError::Type),
        },
        Op::EndsWith => match (a, b) {
            (V::Str(x), V::Str(y)) => V::Bool(x.ends_with(&**y)),
            _ => return Err(OpError::Type),
        },
    })
}

/// The result of time arithmetic, if it lies in the range of instants roe
/// supports (`crate::time::rfc3339`), so every instant printed reads back.
fn in_range(t: Result<Timestamp, jiff::Error>) -> Result<Timestamp, OpError> {
    t.ok()
        .and_then(crate::time::rfc3339::in_range)
        .ok_or(OpError::TimeRange)
}

fn finite(x: f64) -> Result<Value, OpError> {
    if x.is_finite() {
        Ok(Value::Number(x))
    } else {
        Err(OpError::Overflow)
    }
}

/// `a = b` for two values of one type.
pub fn equal(a: &Value, b: &Value) -> Result<bool, OpError> {
    use Value as V;
    Ok(match (a, b) {
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Int(x), V::Int(y)) => x == y,
        (V::Number(x), V::Number(y)) => x == y,
        (V::Str(x), V::Str(y)) => x == y,
        (V::Time(x), V::Time(y)) => x == y,
        (V::Date(x), V::Date(y)) => x == y,
        (V::Duration(x), V::Duration(y)) => x == y,
        (V::Enum(x), V::Enum(y)) => x == y,
        (V::List(x), V::List(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .try_fold(true, |all, (p, q)| Ok(all && equal(p, q)?))?
        }
        _ => return Err(OpError::Type),
    })
}

fn order(a: &Value, b: &Value) -> Result<std::cmp::Ordering, OpError> {
    use Value as V;
    match (a, b) {
        (V::Int(x), V::Int(y)) => Ok(x.cmp(y)),
        (V::Number(x), V::Number(y)) => x.partial_cmp(y).ok_or(OpError::Type),
        (V::Time(x), V::Time(y)) => Ok(x.cmp(y)),
        (V::Date(x), V::Date(y)) => Ok(x.cmp(y)),
        (V::Duration(x), V::Duration(y)) => Ok(x.cmp(y)),
        _ => Err(OpError::Type),
    }
}

fn member(item: &Value, list: &Value) -> Result<bool, OpError> {
    match list {
        Value::List(items) => {
            for candidate in items.iter() {
                if equal(item, candidate)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(OpError::Type),
    }
}

/// Negates an int, number or duration.
pub fn negate(v: &Value) -> Result<Value, OpError> {
    match v {
        Value::Int(x) => Ok(Value::Int(x.checked_neg().ok_or(OpError::Overflow)?)),
        Value::Number(x) => Ok(Value::Number(-x)),
        Value::Duration(d) => Ok(Value::Duration(d.checked_neg().ok_or(OpError::TimeRange)?)),
        _ => Err(OpError::Type),
    }
}

/// Calls a built-in; `now` is the evaluation instant.
pub fn call(builtin: Builtin, args: &[Value], now: Timestamp) -> Result<Value, OpError> {
    use Value as V;
    let arg = args.first().ok_or(OpError::Type)?;
    Ok(match (builtin, arg) {
        (Builtin::Lower, V::Str(s)) => V::Str(Arc::from(s.to_lowercase())),
        (Builtin::Upper, V::Str(s)) => V::Str(Arc::from(s.to_uppercase())),
        (Builtin::Len, V::Str(s)) => {
            V::Int(i64::try_from(s.chars().count()).map_err(|_| OpError::Overflow)?)
        }
        (Builtin::Len, V::List(items)) => {
            V::Int(i64::try_from(items.len()).map_err(|_| OpError::Overflow)?)
        }
        (Builtin::DaysSince, V::Time(t)) => {
            V::Int(floor_seconds(now.duration_since(*t)).div_euclid(86_400))
        }
        (Builtin::DaysSince, V::Date(d)) => {
            let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
            V::Int(i64::from(
                today.since(*d).map_err(|_| OpError::TimeRange)?.get_days(),
            ))
        }
        (Builtin::HoursSince, V::Time(t)) => {
            V::Int(floor_seconds(now.duration_since(*t)).div_euclid(3_600))
        }
        (Builtin::Domain, V::Str(s)) => {
            let domain = s.rsplit_once('@').map_or(&**s, |(_, d)| d);
            V::Str(Arc::from(domain.trim().to_lowercase()))
        }
        (Builtin::Weekday, V::Time(t)) => V::str(weekday_name(
            t.to_zoned_datetime(jiff::tz::TimeZone::UTC).weekday(),
        )),
        (Builtin::Weekday, V::Date(d)) => V::str(weekday_name(d.weekday())),
        _ => return Err(OpError::Type),
    })
}

/// The whole seconds of a duration, rounded down: −0.5 s is −1 s, so
/// `hours_since` and `days_since` of a time a moment ahead are −1, not 0.
fn floor_seconds(d: SignedDuration) -> i64 {
    d.as_secs() - i64::from(d.subsec_nanos() < 0)
}

/// `mon` … `sun`, the names calendars use for days.
pub fn weekday_name(day: jiff::civil::Weekday) -> &'static str {
    use jiff::civil::Weekday as W;
    match day {
        W::Monday => "mon",
        W::Tuesday => "tue",
        W::Wednesday => "wed",
        W::Thursday => "thu",
        W::Friday => "fri",
        W::Saturday => "sat",
        W::Sunday => "sun",
    }
}

/// Widens an int to a number. A missing value stays missing: `default(count,
/// 0.5)` widens the optional int before `default` gives its fallback.
pub fn to_number(v: &Value) -> Result<Value, OpError> {
    match v {
        Value::Missing => Ok(Value::Missing),
        #[expect(
            clippy::cast_precision_loss,
            reason = "ints widen to 64-bit floats by the language's definition"
        )]
        Value::Int(n) => Ok(Value::Number(*n as f64)),
        Value::Number(x) => Ok(Value::Number(*x)),
        _ => Err(OpError::Type),
    }
}

/// A duration as a literal writes it, in the largest of `d`, `h`, `m` and `s`
/// that divides it: `set wait to 4h` prints `"4h"` and `90m` prints `"90m"`
/// (LANGUAGE.md §6: durations print as written), and a record's duration
/// field reads it back.
fn duration_text(d: SignedDuration) -> String {
    // Whole seconds, as durations are written; a part of a second is dropped.
    let whole = d.as_secs();
    let sign = if whole < 0 { "-" } else { "" };
    let seconds = whole.unsigned_abs();
    match [(86_400, 'd'), (3_600, 'h'), (60, 'm')]
        .into_iter()
        .find(|(unit, _)| seconds != 0 && seconds.is_multiple_of(*unit))
    {
        Some((unit, letter)) => format!("{sign}{}{letter}", seconds / unit),
        None => format!("{sign}{seconds}s"),
    }
}

/// A value as JSON, as decisions print it and records carry it: enum variants
/// by name, instants in RFC 3339, dates `YYYY-MM-DD`, durations as a literal writes them (`"4h"`, `"90s"`).
pub fn to_json(
    v: &Value,
    ty: &crate::bytecode::schema::Type,
    schema: &crate::bytecode::schema::Schema,
) -> serde_json::Value {
    use crate::bytecode::schema::Type;
    use serde_json::Value as J;
    match v {
        Value::Missing => J::Null,
        Value::Present => J::Bool(true),
        Value::Bool(b) => J::Bool(*b),
        Value::Int(n) => J::from(*n),
        Value::Number(x) => J::from(*x),
        Value::Str(s) => J::String(s.to_string()),
        Value::Time(t) => J::String(t.to_string()),
        Value::Date(d) => J::String(d.to_string()),
        Value::Duration(d) => J::String(duration_text(*d)),
        Value::Enum(i) => {
            let name = match ty.required() {
                Type::Enum(e) => schema
                    .enum_type(*e)
                    .and_then(|t| t.variants.get(*i as usize))
                    .cloned(),
                _ => None,
            };
            J::String(name.unwrap_or_else(|| i.to_string()))
        }
        Value::List(items) => {
            let element = match ty.required() {
                Type::List(t) => (**t).clone(),
                other => other.clone(),
            };
            J::Array(
                items
                    .iter()
                    .map(|item| to_json(item, &element, schema))
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_a_literal_writes_them() {
        let text = |secs: i64| duration_text(SignedDuration::from_secs(secs));
        assert_eq!(text(4 * 3_600), "4h");
        assert_eq!(text(90 * 60), "90m");
        assert_eq!(text(86_400), "1d");
        assert_eq!(text(121 * 86_400), "121d");
        assert_eq!(text(61), "61s");
        assert_eq!(text(0), "0s");
        assert_eq!(text(-2 * 3_600), "-2h");
        // Whole seconds, the part of a second dropped toward zero.
        assert_eq!(duration_text(SignedDuration::new(0, -500_000_000)), "0s");
        assert_eq!(duration_text(SignedDuration::new(0, 999_999_999)), "0s");
        assert_eq!(duration_text(SignedDuration::new(1, 500_000_000)), "1s");
        assert_eq!(duration_text(SignedDuration::new(-1, -500_000_000)), "-1s");
        // The extremes print without overflow.
        assert_eq!(duration_text(SignedDuration::MIN), "-9223372036854775808s");
        assert_eq!(duration_text(SignedDuration::MAX), "9223372036854775807s");
    }

    /// `hours_since` and `days_since` round down, also for a time a moment
    /// ahead of `now` (truncating toward zero gave 0, and a spurious R0302 to
    /// anything that divided by it).
    #[test]
    fn days_and_hours_since_round_down() {
        let now: Timestamp = "2026-11-30T10:00:00Z".parse().unwrap();
        let since = |builtin, t: &str| call(builtin, &[Value::Time(t.parse().unwrap())], now);
        let (hours, days) = (Builtin::HoursSince, Builtin::DaysSince);
        assert_eq!(since(hours, "2026-11-30T10:00:00.5Z"), Ok(Value::Int(-1)));
        assert_eq!(since(days, "2026-11-30T10:00:00.5Z"), Ok(Value::Int(-1)));
        assert_eq!(since(hours, "2026-11-30T10:00:00Z"), Ok(Value::Int(0)));
        assert_eq!(since(hours, "2026-11-30T09:59:59.5Z"), Ok(Value::Int(0)));
        assert_eq!(since(hours, "2026-11-30T08:59:59.999Z"), Ok(Value::Int(1)));
        assert_eq!(since(hours, "2026-11-30T11:00:00Z"), Ok(Value::Int(-1)));
        assert_eq!(since(hours, "2026-11-30T11:00:00.001Z"), Ok(Value::Int(-2)));
        assert_eq!(since(days, "2026-11-29T10:00:00Z"), Ok(Value::Int(1)));
        assert_eq!(since(days, "2026-12-01T10:00:00.5Z"), Ok(Value::Int(-2)));
    }
}
