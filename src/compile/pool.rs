//! The constant pool: each distinct value once, in the order the code first
//! uses it. Values are keyed by themselves, structurally, with numbers by
//! their bits (every NaN as one): `0.0` and `-0.0` stay two constants, as do
//! the int `1` and the number `1.0`, while equal lists share one.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::index;
use crate::bytecode::value::Value;

/// The constants of one program and the index of each.
#[derive(Default)]
pub(super) struct ConstantPool {
    values: Vec<Value>,
    indices: HashMap<ConstKey, u32>,
}

impl ConstantPool {
    /// The index of `value`, which is added unless an equal constant is there.
    pub(super) fn index_of(&mut self, value: Value) -> u32 {
        let key = ConstKey(value);
        if let Some(i) = self.indices.get(&key) {
            return *i;
        }
        let i = index(self.values.len());
        self.values.push(key.0.clone());
        self.indices.insert(key, i);
        i
    }

    /// The constants, by index.
    pub(super) fn into_values(self) -> Vec<Value> {
        self.values
    }
}

/// A value as a pool key: two keys are equal when their constants are
/// interchangeable.
struct ConstKey(Value);

impl PartialEq for ConstKey {
    fn eq(&self, other: &Self) -> bool {
        same(&self.0, &other.0)
    }
}

impl Eq for ConstKey {}

impl Hash for ConstKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_value(&self.0, state);
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_bits(*x) == number_bits(*y),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
        }
        (Value::Number(_) | Value::List(_), _) => false,
        // Every other kind of value is equal exactly when it is the same.
        _ => a == b,
    }
}

fn hash_value<H: Hasher>(v: &Value, state: &mut H) {
    std::mem::discriminant(v).hash(state);
    match v {
        Value::Missing | Value::Present => {}
        Value::Bool(b) => b.hash(state),
        Value::Int(n) => n.hash(state),
        Value::Number(x) => number_bits(*x).hash(state),
        Value::Str(s) => s.hash(state),
        Value::Time(t) => t.hash(state),
        Value::Date(d) => d.hash(state),
        Value::Duration(d) => d.hash(state),
        Value::Enum(i) => i.hash(state),
        Value::List(items) => {
            items.len().hash(state);
            items.iter().for_each(|item| hash_value(item, state));
        }
    }
}

/// A number's bits, with every NaN as one.
fn number_bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::{SignedDuration, Timestamp};

    #[test]
    fn equal_values_share_an_index_and_distinct_ones_do_not() {
        let list = |items: &[Value]| Value::List(items.into());
        let values = [
            Value::Number(0.0),
            Value::Number(-0.0),
            Value::Int(1),
            Value::Number(1.0),
            Value::Int(0),
            Value::Enum(0),
            Value::Bool(false),
            Value::Missing,
            Value::Present,
            Value::str("1"),
            list(&[Value::Int(1)]),
            list(&[Value::Number(1.0)]),
            list(&[Value::Number(-0.0)]),
            list(&[list(&[Value::Int(1)])]),
            list(&[]),
            Value::Duration(SignedDuration::from_secs(1)),
            Value::Duration(SignedDuration::new(1, 1)),
            Value::Duration(SignedDuration::new(-1, -1)),
            Value::Time(Timestamp::UNIX_EPOCH),
            Value::Time(Timestamp::from_nanosecond(1).unwrap_or(Timestamp::UNIX_EPOCH)),
        ];
        let mut pool = ConstantPool::default();
        let first: Vec<u32> = values.iter().map(|v| pool.index_of(v.clone())).collect();
        let expected: Vec<u32> = (0..index(values.len())).collect();
        assert_eq!(first, expected, "every value is its own constant");
        // The same values again, rebuilt, find their constants.
        let again: Vec<u32> = values.iter().map(|v| pool.index_of(v.clone())).collect();
        assert_eq!(again, expected);
        assert_eq!(pool.index_of(list(&[Value::Number(-0.0)])), 12);
        assert_eq!(pool.into_values().len(), values.len());
    }

    #[test]
    fn every_nan_is_one_constant() {
        let mut pool = ConstantPool::default();
        let nan = pool.index_of(Value::Number(f64::NAN));
        assert_eq!(pool.index_of(Value::Number(-f64::NAN)), nan);
    }
}
