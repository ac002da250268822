//! The space of records the analysis reasons over: one dimension per field
//! value the policy reads, one per optional field or record it may find
//! missing, and one per condition outside the exact fragment (an *atom*, free
//! to be true or false). A [`Cube`] fixes a [`Domain`] per dimension; a
//! condition is a union of cubes.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::{SignedDuration, Span as CalendarSpan, Timestamp};

use super::domain::{Choices, Domain, Text};
use crate::bytecode::schema::{Schema, Type};
use crate::bytecode::value::Value;
use crate::time::rfc3339;

/// Presence choices: index 0 is absent, 1 present.
pub const ABSENT: u32 = 0;
/// See [`ABSENT`].
pub const PRESENT: u32 = 1;

/// What a dimension stands for.
#[derive(Clone, Debug)]
pub enum Kind {
    /// The value of a field the policy reads, by slot.
    Value {
        /// The slot.
        slot: u32,
    },
    /// Whether an optional field or record is present.
    Presence {
        /// The field path.
        path: Vec<String>,
        /// The presence dimension of the nearest optional record around it.
        parent: Option<usize>,
    },
    /// A condition outside the exact fragment, by its typed tree.
    Atom {
        /// The typed tree's shape: two atoms with one shape are one question.
        text: String,
        /// Where the condition is first written, to show it.
        span: crate::source::Span,
    },
}

/// One dimension: what it stands for and every value it may take.
#[derive(Clone, Debug)]
pub struct Dim {
    /// What it stands for.
    pub kind: Kind,
    /// Every value.
    pub full: Domain,
}

/// How a slot maps onto dimensions.
#[derive(Clone, Debug)]
pub struct SlotDims {
    /// The dimension of its value.
    pub value: usize,
    /// The presence dimensions it needs, outermost first.
    pub presence: Vec<usize>,
    /// Its type without `?`.
    pub ty: Type,
}

/// An ordered kind of value, mapped onto integer keys that keep its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// `int`: the value itself.
    Int,
    /// `number`: finite floats in order, `-0` and `0` as one key.
    Number,
    /// `date`: days from 1970-01-01.
    Date,
    /// `time`: nanoseconds from the Unix epoch.
    Time,
    /// `duration`: seconds (records write whole seconds).
    Duration,
}

const EPOCH: Date = jiff::civil::date(1970, 1, 1);

impl Scalar {
    /// The scalar kind of a type, if it is ordered.
    pub fn of(ty: &Type) -> Option<Scalar> {
        Some(match ty {
            Type::Int => Scalar::Int,
            Type::Number => Scalar::Number,
            Type::Date => Scalar::Date,
            Type::Time => Scalar::Time,
            Type::Duration => Scalar::Duration,
            _ => return None,
        })
    }

    /// The smallest and largest key.
    pub fn bounds(self) -> (i128, i128) {
        match self {
            Scalar::Int => (i64::MIN.into(), i64::MAX.into()),
            Scalar::Number => {
                let max = i128::from(f64::MAX.to_bits());
                (-max, max)
            }
            // The dates and instants a record may hold, so examples read back.
            Scalar::Date => (
                Scalar::date_key(rfc3339::FIRST_DATE).unwrap_or(0),
                Scalar::date_key(rfc3339::LAST_DATE).unwrap_or(0),
            ),
            Scalar::Time => (
                rfc3339::FIRST_INSTANT.as_nanosecond(),
                rfc3339::LAST_INSTANT.as_nanosecond(),
            ),
            Scalar::Duration => (
                SignedDuration::MIN.as_secs().into(),
                SignedDuration::MAX.as_secs().into(),
            ),
        }
    }

    fn date_key(d: Date) -> Option<i128> {
        EPOCH.until(d).ok().map(|s| i128::from(s.get_days()))
    }

    /// The value of a key.
    pub fn value(self, key: i128) -> Option<Value> {
        Some(match self {
            Scalar::Int => Value::Int(i64::try_from(key).ok()?),
            Scalar::Number => {
                let bits = u64::try_from(key.unsigned_abs()).ok()?;
                let magnitude = f64::from_bits(bits);
                Value::Number(if key < 0 { -magnitude } else { magnitude })
            }
            Scalar::Date => Value::Date(
                EPOCH
                    .checked_add(
                        CalendarSpan::new()
                            .try_days(i64::try_from(key).ok()?)
                            .ok()?,
                    )
                    .ok()?,
            ),
            Scalar::Time => Value::Time(Timestamp::from_nanosecond(key).ok()?),
            Scalar::Duration => {
                Value::Duration(SignedDuration::from_secs(i64::try_from(key).ok()?))
            }
        })
    }

    /// The key of a value of this kind.
    pub fn key(self, value: &Value) -> Option<i128> {
        match (self, value) {
            (Scalar::Int, Value::Int(i)) => Some((*i).into()),
            (Scalar::Number, Value::Number(x)) if x.is_finite() => {
                let bits = i128::from(x.abs().to_bits());
                Some(if *x < 0.0 { -bits } else { bits })
            }
            (Scalar::Date, Value::Date(d)) => Scalar::date_key(*d),
            (Scalar::Time, Value::Time(t)) => Some(t.as_nanosecond()),
            (Scalar::Duration, Value::Duration(d)) => Some(d.as_secs().into()),
            _ => None,
        }
    }

    /// Keys an example record would rather use, most readable first.
    pub fn preferred(self) -> Vec<Value> {
        match self {
            Scalar::Int => vec![Value::Int(0)],
            Scalar::Number => vec![Value::Number(0.0)],
            Scalar::Date => vec![Value::Date(jiff::civil::date(2026, 1, 1))],
            Scalar::Time => vec![Value::Time(
                Timestamp::from_second(1_767_225_600).unwrap_or(Timestamp::UNIX_EPOCH),
            )],
            Scalar::Duration => vec![Value::Duration(SignedDuration::ZERO)],
        }
    }

    /// A readable key in `lo..=hi`: a preferred value, else a round one near
    /// an end, else the end itself.
    pub fn pick(self, ranges: &[(i128, i128)]) -> Option<i128> {
        let inside = |k: i128| ranges.iter().any(|&(lo, hi)| lo <= k && k <= hi);
        if let Some(k) = self
            .preferred()
            .iter()
            .filter_map(|v| self.key(v))
            .find(|&k| inside(k))
        {
            return Some(k);
        }
        // The range end nearest the preferred value, rounded inwards when the kind has a unit.
        let anchor = self
            .preferred()
            .first()
            .and_then(|v| self.key(v))
            .unwrap_or(0);
        let &(lo, hi) = ranges
            .iter()
            .min_by_key(|&&(lo, hi)| (lo - anchor).abs().min((hi - anchor).abs()))?;
        let end = if (lo - anchor).abs() <= (hi - anchor).abs() {
            lo
        } else {
            hi
        };
        let rounded = match (self, self.value(end)) {
            (Scalar::Number, Some(Value::Number(x))) => {
                let r = if end == lo { x.ceil() } else { x.floor() };
                self.key(&Value::Number(r))
            }
            (Scalar::Time, _) => {
                let second = 1_000_000_000;
                Some(if end == lo {
                    lo.div_euclid(second) * second + if lo % second == 0 { 0 } else { second }
                } else {
                    hi.div_euclid(second) * second
                })
            }
            _ => None,
        };
        Some(rounded.filter(|&k| inside(k)).unwrap_or(end))
    }
}

/// A region of records: a domain per constrained dimension, sorted by
/// dimension; a dimension not listed takes every value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cube {
    entries: Vec<(usize, Domain)>,
}

impl Cube {
    /// Every record.
    pub fn everything() -> Cube {
        Cube::default()
    }

    /// The records whose dimension `dim` is in `domain`.
    pub fn with(dim: usize, domain: Domain) -> Cube {
        Cube {
            entries: vec![(dim, domain)],
        }
    }

    /// The domain of `dim`, when constrained.
    pub fn get(&self, dim: usize) -> Option<&Domain> {
        self.entries
            .binary_search_by_key(&dim, |(d, _)| *d)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, domain)| domain)
    }

    /// The constrained dimensions with their domains.
    pub fn entries(&self) -> &[(usize, Domain)] {
        &self.entries
    }

    /// The same cube with `dim` set to `domain`.
    pub fn set(&self, dim: usize, domain: Domain) -> Cube {
        let mut entries = self.entries.clone();
        match entries.binary_search_by_key(&dim, |(d, _)| *d) {
            Ok(i) => {
                if let Some(e) = entries.get_mut(i) {
                    e.1 = domain;
                }
            }
            Err(i) => entries.insert(i, (dim, domain)),
        }
        Cube { entries }
    }

    /// The records in both.
    pub fn intersect(&self, other: &Cube) -> Cube {
        let (x, y) = (&self.entries, &other.entries);
        let mut entries = Vec::with_capacity(x.len() + y.len());
        let (mut i, mut j) = (0, 0);
        loop {
            match (x.get(i), y.get(j)) {
                (Some((da, a)), Some((db, b))) if da == db => {
                    entries.push((*da, a.intersect(b)));
                    i += 1;
                    j += 1;
                }
                (Some(e), Some((db, _))) if e.0 < *db => {
                    entries.push(e.clone());
                    i += 1;
                }
                (Some(e), None) => {
                    entries.push(e.clone());
                    i += 1;
                }
                (_, Some(e)) => {
                    entries.push(e.clone());
                    j += 1;
                }
                (None, None) => break,
            }
        }
        Cube { entries }
    }

    /// Whether every record of `other` is in `self` (as regions of the
    /// product of dimensions, which is enough to prove it for records).
    pub fn contains(&self, other: &Cube) -> bool {
        self.entries.iter().all(|(d, mine)| match other.get(*d) {
            Some(theirs) => theirs.is_subset(mine),
            None => matches!(mine, Domain::Any),
        })
    }
}

/// The dimensions of one policy's subject.
#[derive(Clone, Debug, Default)]
pub struct Space {
    /// Every dimension, by index.
    pub dims: Vec<Dim>,
    /// The dimensions of each slot, by slot.
    pub slots: Vec<SlotDims>,
    presence: HashMap<Vec<String>, usize>,
    atoms: HashMap<String, usize>,
}

impl Space {
    /// The dimensions of the slots of a policy over `subject`.
    pub fn new(schema: &Schema, subject: u32, slots: &[Vec<String>]) -> Space {
        let mut space = Space::default();
        for (slot, path) in slots.iter().enumerate() {
            let mut record = Some(subject);
            let mut presence = Vec::new();
            let mut ty = Type::Bool;
            for depth in 0..path.len() {
                let Some(name) = path.get(depth) else { break };
                let field = record
                    .and_then(|r| schema.record(r))
                    .and_then(|r| r.field(name))
                    .map(|(_, f)| f.ty.clone());
                let Some(field_ty) = field else {
                    ty = Type::List(Box::new(Type::Bool));
                    break;
                };
                if field_ty.is_optional() {
                    let prefix: Vec<String> = path.iter().take(depth + 1).cloned().collect();
                    presence.push(space.presence_dim(prefix, presence.last().copied()));
                }
                ty = field_ty.required().clone();
                record = match ty {
                    Type::Record(r) => Some(r),
                    _ => None,
                };
            }
            let full = full_domain(schema, &ty);
            let value = space.dims.len();
            space.dims.push(Dim {
                kind: Kind::Value {
                    slot: u32::try_from(slot).unwrap_or(u32::MAX),
                },
                full,
            });
            space.slots.push(SlotDims {
                value,
                presence,
                ty,
            });
        }
        space
    }

    fn presence_dim(&mut self, path: Vec<String>, parent: Option<usize>) -> usize {
        if let Some(&d) = self.presence.get(&path) {
            return d;
        }
        let d = self.dims.len();
        self.dims.push(Dim {
            kind: Kind::Presence {
                path: path.clone(),
                parent,
            },
            full: Domain::Choices(Choices::all(2)),
        });
        self.presence.insert(path, d);
        d
    }

    /// The presence dimension of a field path, if the policy may find it missing.
    pub fn presence_of(&self, path: &[String]) -> Option<usize> {
        self.presence.get(path).copied()
    }

    /// The dimension of the atom of shape `text` (first written at `span`),
    /// made on first use.
    pub fn atom(&mut self, text: String, span: crate::source::Span) -> usize {
        if let Some(&d) = self.atoms.get(&text) {
            return d;
        }
        let d = self.dims.len();
        self.dims.push(Dim {
            kind: Kind::Atom {
                text: text.clone(),
                span,
            },
            full: Domain::Choices(Choices::all(2)),
        });
        self.atoms.insert(text, d);
        d
    }

    /// Every value of `dim`.
    pub fn full(&self, dim: usize) -> Domain {
        self.dims.get(dim).map_or(Domain::Any, |d| d.full.clone())
    }

    /// Whether a cube holds no record: a dimension is empty, or an optional
    /// field must be present inside a record that must be missing.
    pub fn is_empty(&self, cube: &Cube) -> bool {
        cube.entries().iter().any(|(d, domain)| {
            domain.is_empty() || (only(domain, PRESENT) && self.absent_around(cube, *d))
        })
    }

    /// Whether a record around presence dimension `dim` must be missing.
    fn absent_around(&self, cube: &Cube, dim: usize) -> bool {
        let mut parent = self.parent(dim);
        while let Some(p) = parent {
            if cube.get(p).is_some_and(|domain| only(domain, ABSENT)) {
                return true;
            }
            parent = self.parent(p);
        }
        false
    }

    fn parent(&self, dim: usize) -> Option<usize> {
        match self.dims.get(dim).map(|d| &d.kind) {
            Some(Kind::Presence { parent, .. }) => *parent,
            _ => None,
        }
    }

    /// Whether two cubes share a record.
    pub fn meet(&self, a: &Cube, b: &Cube) -> bool {
        let shared = a.entries().iter().all(|(d, x)| match b.get(*d) {
            Some(y) => x.meets(y),
            None => !x.is_empty(),
        }) && b.entries().iter().all(|(_, y)| !y.is_empty());
        let presence = |c: &Cube| {
            c.entries().iter().any(|(d, _)| {
                matches!(
                    self.dims.get(*d).map(|x| &x.kind),
                    Some(Kind::Presence { .. })
                )
            })
        };
        // Presence dimensions constrain each other; only then is the whole intersection needed.
        if shared && (presence(a) || presence(b)) {
            !self.is_empty(&a.intersect(b))
        } else {
            shared
        }
    }

    /// The records in both unions of cubes: each pair that meets, intersected.
    pub fn both(&self, a: &[Cube], b: &[Cube]) -> Vec<Cube> {
        a.iter()
            .flat_map(|x| b.iter().map(move |y| (x, y)))
            .filter(|(x, y)| self.meet(x, y))
            .map(|(x, y)| x.intersect(y))
            .collect()
    }

    /// `piece` without the records of `cut`, as cubes whose union is the
    /// difference (empty ones left out).
    pub fn minus(&self, piece: &Cube, cut: &Cube) -> Vec<Cube> {
        let mut out = Vec::new();
        let mut inside = piece.clone();
        for (d, domain) in cut.entries() {
            let full = self.full(*d);
            let mine = inside.get(*d).cloned().unwrap_or_else(|| full.clone());
            for part in mine.minus(domain, &full) {
                let c = inside.set(*d, part);
                if !self.is_empty(&c) {
                    out.push(c);
                }
            }
            inside = inside.set(*d, mine.intersect(domain));
            if self.is_empty(&inside) {
                break;
            }
        }
        out
    }

    /// Whether a cube constrains an atom, so that a record drawn from it only
    /// *may* show what the cube claims.
    pub fn uses_atoms(&self, cube: &Cube) -> bool {
        cube.entries().iter().any(|(d, domain)| {
            matches!(self.dims.get(*d).map(|x| &x.kind), Some(Kind::Atom { .. }))
                && !self.full(*d).is_subset(domain)
        })
    }
}

/// Whether a presence domain allows exactly `choice`.
fn only(domain: &Domain, choice: u32) -> bool {
    matches!(domain, Domain::Choices(c) if c.count() == 1 && c.has(choice))
}

/// Every value of a type.
pub fn full_domain(schema: &Schema, ty: &Type) -> Domain {
    match ty {
        Type::Bool => Domain::Choices(Choices::all(2)),
        Type::Enum(e) => Domain::Choices(Choices::all(
            schema
                .enum_type(*e)
                .map_or(0, |e| u32::try_from(e.variants.len()).unwrap_or(u32::MAX)),
        )),
        Type::String => Domain::Text(Text::all()),
        other => match Scalar::of(other) {
            Some(s) => {
                let (lo, hi) = s.bounds();
                Domain::Ranges(vec![(lo, hi)])
            }
            None => Domain::Any,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picked(scalar: Scalar, ranges: &[(i128, i128)]) -> Option<Value> {
        scalar.value(scalar.pick(ranges)?)
    }

    fn key(scalar: Scalar, v: Value) -> i128 {
        scalar.key(&v).unwrap_or_default()
    }

    #[test]
    fn keys_keep_the_order_of_values() {
        let n = |x: f64| key(Scalar::Number, Value::Number(x));
        assert!(n(-2.5) < n(-0.0) && n(-0.0) == n(0.0) && n(0.0) < n(f64::MIN_POSITIVE));
        assert!(n(1.0) < n(1.0 + f64::EPSILON));
        assert_eq!(
            Scalar::Number.value(n(2.5) + 1),
            Some(Value::Number(2.5_f64.next_up()))
        );
        let d = |y, m, day| key(Scalar::Date, Value::Date(jiff::civil::date(y, m, day)));
        assert_eq!(d(1970, 1, 2) - d(1970, 1, 1), 1);
        assert!(d(2026, 12, 31) < d(2027, 1, 1));
    }

    #[test]
    fn picks_are_readable_and_inside() {
        // `score > 50`: the bound itself, not some huge number.
        assert_eq!(
            picked(Scalar::Int, &[(51, i64::MAX.into())]),
            Some(Value::Int(51))
        );
        // `employees < 200`: zero is inside.
        assert_eq!(
            picked(Scalar::Int, &[(i64::MIN.into(), 199)]),
            Some(Value::Int(0))
        );
        // `amount > 2.5`: the next whole number, not 2.5000000000000004.
        let above = key(Scalar::Number, Value::Number(2.5)) + 1;
        let (_, max) = Scalar::Number.bounds();
        assert_eq!(
            picked(Scalar::Number, &[(above, max)]),
            Some(Value::Number(3.0))
        );
        // `amount < -1.5`: the whole number nearest zero below it.
        let below = key(Scalar::Number, Value::Number(-1.5)) - 1;
        let (min, _) = Scalar::Number.bounds();
        assert_eq!(
            picked(Scalar::Number, &[(min, below)]),
            Some(Value::Number(-2.0))
        );
        // `created_at > 2030-01-01T00:00:00Z`: the next whole second.
        let t = jiff::Timestamp::from_second(1_893_456_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let after = key(Scalar::Time, Value::Time(t)) + 1;
        let (_, last) = Scalar::Time.bounds();
        let expected = jiff::Timestamp::from_second(1_893_456_001).unwrap_or(t);
        assert_eq!(
            picked(Scalar::Time, &[(after, last)]),
            Some(Value::Time(expected))
        );
        assert_eq!(picked(Scalar::Int, &[]), None);
    }
}
