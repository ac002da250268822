//! Searching further for an example record. A record drawn from a finding's
//! region shows the finding whenever the region is exact; where the region
//! reads what the analysis does not model (an atom: a function, arithmetic,
//! `matches`, a let it cannot see through), the drawn record may not. Then
//! records near it are tried: each field the policy reads set, one at a time
//! and then two at a time, to values made from the policy's own constants
//! (`1000`, `999` and `1001` for `size >= 1000`; `"x@gmail.com"` for
//! `domain(email) = "gmail.com"`; a time 4 hours before `now` for
//! `hours_since(created_at) > 4`), until the VM shows the finding or the
//! budget runs out. Whatever is found is confirmed by the VM before it is
//! printed; nothing here claims anything.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value as Json;

use super::space::Space;
use crate::bytecode::program::Program;
use crate::bytecode::schema::{Schema, Type};
use crate::bytecode::value::{self, Value};

/// Records tried at most per finding, beyond those drawn from its region.
pub(super) const TRIES: usize = 256;

/// The values worth trying for each field the policy reads.
#[derive(Debug, Default)]
pub(super) struct Pool {
    /// Per field path: the values to try (JSON `null` stands for leaving
    /// an optional field out).
    fields: Vec<(Vec<String>, Vec<Json>)>,
}

impl Pool {
    /// The values of `program`'s constants, as each field it reads can take
    /// them, at the instant `now`.
    pub(super) fn new(
        space: &Space,
        slots: &[Vec<String>],
        program: &Program,
        now: Timestamp,
    ) -> Pool {
        let schema = program.schema();
        let mut constants = Vec::new();
        for c in &program.parts().constants {
            match c {
                Value::List(items) => constants.extend(items.iter().cloned()),
                other => constants.push(other.clone()),
            }
        }
        let fields = slots
            .iter()
            .zip(&space.slots)
            .filter(|(_, dims)| !matches!(dims.ty, Type::Record(_) | Type::List(_)))
            .map(|(path, dims)| {
                let mut values: Vec<Json> = candidates(&dims.ty, &constants, schema, now)
                    .iter()
                    .map(|v| value::to_json(v, &dims.ty, schema))
                    .collect();
                if !dims.presence.is_empty() {
                    values.push(Json::Null);
                }
                dedup(&mut values);
                (path.clone(), values)
            })
            .filter(|(_, values)| !values.is_empty())
            .collect();
        Pool { fields }
    }

    /// Records near `base`: one field changed, then two, at most [`TRIES`].
    pub(super) fn near<'a>(&'a self, base: &'a Json) -> impl Iterator<Item = Json> + 'a {
        let singles = self
            .changes()
            .map(move |(path, v)| with(base, &[(path, v)]));
        let pairs = self.changes().enumerate().flat_map(move |(i, first)| {
            self.changes()
                .skip(i + 1)
                .filter(move |second| second.0 != first.0)
                .map(move |second| with(base, &[first, second]))
        });
        singles.chain(pairs).flatten().take(TRIES)
    }

    /// Every field with every value to try.
    fn changes(&self) -> impl Iterator<Item = (&[String], &Json)> + '_ {
        self.fields
            .iter()
            .flat_map(|(path, values)| values.iter().map(move |v| (path.as_slice(), v)))
    }
}

/// `base` with each path set to its value (`null`: left out); `None` when
/// a path's enclosing record is not in `base`.
fn with(base: &Json, changes: &[(&[String], &Json)]) -> Option<Json> {
    let mut record = base.clone();
    for (path, v) in changes {
        let (last, parents) = path.split_last()?;
        let mut object = record.as_object_mut()?;
        for name in parents {
            object = object.get_mut(name)?.as_object_mut()?;
        }
        match v {
            Json::Null => object.remove(last),
            v => object.insert(last.clone(), (*v).clone()),
        };
    }
    (record != *base).then_some(record)
}

/// The values made from `constants` that a field of type `ty` can take.
fn candidates(ty: &Type, constants: &[Value], schema: &Schema, now: Timestamp) -> Vec<Value> {
    let seconds = |s: i64| SignedDuration::from_secs(s);
    let before_now = |d: SignedDuration| now.checked_sub(d).ok().map(Value::Time);
    let mut out = Vec::new();
    match ty {
        Type::Bool => out.extend([Value::Bool(true), Value::Bool(false)]),
        Type::Enum(id) => {
            let variants = schema.enum_type(*id).map_or(0, |e| e.variants.len());
            out.extend((0..variants).filter_map(|v| u32::try_from(v).ok().map(Value::Enum)));
        }
        Type::Int => {
            out.push(Value::Int(0));
            for c in constants {
                let n = match c {
                    Value::Int(n) => *n,
                    Value::Number(x) if x.is_finite() => *x as i64,
                    _ => continue,
                };
                out.extend(
                    [Some(n), n.checked_sub(1), n.checked_add(1)]
                        .into_iter()
                        .flatten()
                        .map(Value::Int),
                );
            }
        }
        Type::Number => {
            for c in constants {
                let x = match c {
                    Value::Int(n) => *n as f64,
                    Value::Number(x) if x.is_finite() => *x,
                    _ => continue,
                };
                out.extend([x, x - 1.0, x + 1.0].map(Value::Number));
            }
        }
        Type::String => {
            for c in constants {
                if let Value::Str(s) = c {
                    out.extend(
                        [
                            s.to_string(),
                            format!("x@{s}"),
                            format!("x{s}"),
                            format!("{s}x"),
                        ]
                        .iter()
                        .map(|t| Value::str(t)),
                    );
                }
            }
        }
        Type::Time => {
            for c in constants {
                match c {
                    Value::Time(t) => out.extend(
                        [
                            Some(*t),
                            t.checked_sub(seconds(1)).ok(),
                            t.checked_add(seconds(1)).ok(),
                        ]
                        .into_iter()
                        .flatten()
                        .map(Value::Time),
                    ),
                    Value::Duration(d) => {
                        out.extend(before_now(*d));
                        out.extend(before_now(d.saturating_add(seconds(1))));
                        out.extend(now.checked_add(*d).ok().map(Value::Time));
                    }
                    // An int read against a time is mostly hours or days since it.
                    Value::Int(n) if (0..=100_000).contains(n) => {
                        for unit in [3_600, 86_400] {
                            out.extend(before_now(seconds(n.saturating_mul(unit))));
                            out.extend(before_now(seconds(
                                n.saturating_add(1).saturating_mul(unit),
                            )));
                        }
                    }
                    _ => {}
                }
            }
        }
        Type::Date => {
            for c in constants {
                if let Value::Date(d) = c {
                    out.extend(
                        [Some(*d), d.yesterday().ok(), d.tomorrow().ok()]
                            .into_iter()
                            .flatten()
                            .map(Value::Date),
                    );
                }
            }
        }
        Type::Duration => {
            for c in constants {
                if let Value::Duration(d) = c {
                    out.extend(
                        [
                            *d,
                            d.saturating_sub(seconds(1)),
                            d.saturating_add(seconds(1)),
                        ]
                        .map(Value::Duration),
                    );
                }
            }
        }
        Type::Optional(inner) => return candidates(inner, constants, schema, now),
        Type::Record(_) | Type::List(_) => {}
    }
    out
}

/// `values` without repeats, in first-seen order.
fn dedup(values: &mut Vec<Json>) {
    let mut seen = Vec::new();
    values.retain(|v| {
        let new = !seen.contains(v);
        if new {
            seen.push(v.clone());
        }
        new
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn changes_set_and_leave_out_fields_inside_records_that_are_there() {
        let base = serde_json::json!({"a": 1, "acct": {"b": "x"}});
        let (a, b, c) = (path("a"), path("acct.b"), path("other.c"));
        let two = with(&base, &[(&a, &Json::from(2)), (&b, &Json::Null)]);
        assert_eq!(two, Some(serde_json::json!({"a": 2, "acct": {}})));
        assert_eq!(with(&base, &[(&c, &Json::from(3))]), None);
        // A change that changes nothing is no new record.
        assert_eq!(with(&base, &[(&a, &Json::from(1))]), None);
    }

    #[test]
    fn constants_give_values_around_them_of_each_type() {
        let schema = Schema::default();
        let now = Timestamp::UNIX_EPOCH;
        let constants = [Value::Int(1000), Value::str("gmail.com")];
        let ints = candidates(&Type::Int, &constants, &schema, now);
        for n in [0, 999, 1000, 1001] {
            assert!(ints.contains(&Value::Int(n)), "{n}");
        }
        let strs = candidates(&Type::String, &constants, &schema, now);
        assert!(strs.contains(&Value::str("x@gmail.com")));
        let times = candidates(&Type::Time, &[Value::Int(4)], &schema, now);
        let four_hours = now
            .checked_sub(SignedDuration::from_hours(4))
            .expect("in range");
        assert!(times.contains(&Value::Time(four_hours)));
    }
}
