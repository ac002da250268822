//! The plan's one vocabulary for a test: `slot OP constant` (or
//! `domain(slot) OP constant`), with the comparison prepared once for the
//! constant's type. Condition trees evaluate a [`Test`], the rule index reads
//! its slot, operator and constant, and probes take its [`Shape`]'s check as
//! a type of its own.
//!
//! Each shape is a type implementing [`Check`]; [`Shape`] lists them, and
//! [`Shape::with_check`] hands each to a probe maker as its own type. A new
//! kind of fast test is a type and an arm in [`Shape`] and [`shape`], here.

use std::fmt::Debug;
use std::sync::Arc;

use jiff::Timestamp;

use crate::bytecode::value::{self, Op, OpError, Value};
use crate::vm::eval::EvalError;

/// `slot OP constant` (or `domain(slot) OP constant`), with the comparison
/// prepared for the constant's type.
#[derive(Clone, Debug)]
pub struct Test {
    slot: u32,
    operand: Operand,
    op: Op,
    constant: Value,
    shape: Shape,
}

/// What of the slot's value a test compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// The value itself.
    Value,
    /// `domain(...)` of the string: the part after the last `@`, trimmed and
    /// in lower case, read in place when that changes nothing.
    Domain,
}

impl Test {
    /// The test of `operand OP constant` on `slot`.
    pub fn new(slot: u32, operand: Operand, op: Op, constant: Value) -> Test {
        let shape = shape(op, &constant);
        Test {
            slot,
            operand,
            op,
            constant,
            shape,
        }
    }

    /// The slot the test reads.
    pub fn slot(&self) -> u32 {
        self.slot
    }

    /// The slot, operator and constant of `slot OP constant` (not of a test
    /// through `domain`).
    pub fn of_slot(&self) -> Option<(u32, Op, &Value)> {
        (self.operand == Operand::Value).then_some((self.slot, self.op, &self.constant))
    }

    /// The prepared comparison, when the test compares the value itself.
    pub fn value_shape(&self) -> Option<&Shape> {
        (self.operand == Operand::Value).then_some(&self.shape)
    }

    /// Whether it holds, or why it has no value (as the interpreter says).
    #[inline]
    pub fn holds(&self, slots: &[Value]) -> Result<bool, EvalError> {
        let v = slot_value(slots, self.slot)?;
        match self.shortcut(v) {
            Some(holds) => Ok(holds),
            None => self.by_operator(v),
        }
    }

    /// Whether it holds, when it has a value: [`Test::holds`] without the
    /// error, for a probe that leaves errors to the tree.
    #[inline(always)]
    pub fn known(&self, slots: &[Value]) -> Option<bool> {
        let v = slots.get(self.slot as usize)?;
        self.shortcut(v).or_else(|| self.by_operator(v).ok())
    }

    /// The test's answer by its shape, when it has one for this value.
    #[inline(always)]
    fn shortcut(&self, v: &Value) -> Option<bool> {
        match (self.operand, v) {
            (Operand::Value, v) => self.shape.check(v),
            (Operand::Domain, Value::Str(s)) => self.shape.check_str(plain_domain(s)?),
            (Operand::Domain, _) => None,
        }
    }

    /// The test's answer by the interpreter's operator.
    #[cold]
    #[inline(never)]
    fn by_operator(&self, v: &Value) -> Result<bool, EvalError> {
        match self.operand {
            Operand::Value => bool_of(&value::binary(self.op, v, &self.constant)?),
            Operand::Domain => {
                // `domain` does not read the evaluation instant.
                let domain = value::call(
                    value::Builtin::Domain,
                    std::slice::from_ref(v),
                    Timestamp::UNIX_EPOCH,
                )?;
                bool_of(&value::binary(self.op, &domain, &self.constant)?)
            }
        }
    }
}

/// A value that must be a bool, as the interpreter's jumps and conditions require.
pub fn bool_of(v: &Value) -> Result<bool, EvalError> {
    match v {
        Value::Bool(b) => Ok(*b),
        _ => Err(OpError::Type.into()),
    }
}

/// The value in `slot`.
pub fn slot_value(slots: &[Value], slot: u32) -> Result<&Value, EvalError> {
    slots
        .get(slot as usize)
        .ok_or(EvalError::Damaged("slot index"))
}

/// A comparison prepared for values of one type: the answer for such a
/// value, exactly as the operator gives it, and none for a value of another
/// type (the operator then answers, or fails).
pub trait Check: Clone + Debug + Send + Sync + 'static {
    /// The answer for `v`, when it has the type the check is made for.
    fn check(&self, v: &Value) -> Option<bool>;

    /// The answer for the string `s`, when the check is made for strings.
    #[inline(always)]
    fn check_str(&self, s: &str) -> Option<bool> {
        let _ = s;
        None
    }

    /// The check that holds exactly where this one does not (on values of
    /// its type), so that a probe of `not` costs nothing more.
    fn negated(self) -> Self;
}

/// Whether an int lies in `lo..=hi` is `inside`.
#[derive(Clone, Copy, Debug)]
pub struct IntRange {
    lo: i64,
    hi: i64,
    inside: bool,
}

impl Check for IntRange {
    #[inline(always)]
    fn check(&self, v: &Value) -> Option<bool> {
        let Value::Int(x) = v else { return None };
        Some((self.lo <= *x && *x <= self.hi) == self.inside)
    }

    fn negated(self) -> IntRange {
        IntRange {
            inside: !self.inside,
            ..self
        }
    }
}

/// Whether an int is one of these (sorted) is `inside`.
#[derive(Clone, Debug)]
pub struct IntSet {
    items: Box<[i64]>,
    inside: bool,
}

impl Check for IntSet {
    #[inline(always)]
    fn check(&self, v: &Value) -> Option<bool> {
        let Value::Int(x) = v else { return None };
        Some(self.items.binary_search(x).is_ok() == self.inside)
    }

    fn negated(self) -> IntSet {
        IntSet {
            inside: !self.inside,
            ..self
        }
    }
}

/// Whether an enum variant is in the mask (bit `k` for variant `k`) is `inside`.
#[derive(Clone, Copy, Debug)]
pub struct EnumMask {
    mask: u64,
    inside: bool,
}

impl Check for EnumMask {
    #[inline(always)]
    fn check(&self, v: &Value) -> Option<bool> {
        let Value::Enum(k) = v else { return None };
        let member = self.mask & 1u64.checked_shl(*k).unwrap_or(0) != 0;
        Some(member == self.inside)
    }

    fn negated(self) -> EnumMask {
        EnumMask {
            inside: !self.inside,
            ..self
        }
    }
}

/// Whether a bool is `value` (`!= c` is `= not c`).
#[derive(Clone, Copy, Debug)]
pub struct BoolIs {
    value: bool,
}

impl BoolIs {
    /// A bool slot read on its own: it holds when true.
    pub const TRUE: BoolIs = BoolIs { value: true };
}

impl Check for BoolIs {
    #[inline(always)]
    fn check(&self, v: &Value) -> Option<bool> {
        let Value::Bool(b) = v else { return None };
        Some(*b == self.value)
    }

    fn negated(self) -> BoolIs {
        BoolIs { value: !self.value }
    }
}

/// Whether a string is one of these is `inside`.
#[derive(Clone, Debug)]
pub struct StrSet {
    items: Box<[StrConst]>,
    inside: bool,
}

impl Check for StrSet {
    #[inline(always)]
    fn check(&self, v: &Value) -> Option<bool> {
        self.check_str(text(v)?)
    }

    #[inline(always)]
    fn check_str(&self, s: &str) -> Option<bool> {
        let (len, head) = (s.len(), head(s));
        let found = self.items.iter().any(|item| item.is(len, head, s));
        Some(found == self.inside)
    }

    fn negated(self) -> StrSet {
        StrSet {
            inside: !self.inside,
            ..self
        }
    }
}

/// Whether a string contains the needle (found with a searcher made once)
/// is `holds`.
#[derive(Clone, Debug)]
pub struct Contains {
    finder: Box<memchr::memmem::Finder<'static>>,
    holds: bool,
}

impl Check for Contains {
    #[inline(always)]
    fn check(&self, v: &Value) -> Option<bool> {
        self.check_str(text(v)?)
    }

    #[inline(always)]
    fn check_str(&self, s: &str) -> Option<bool> {
        Some(contains(&self.finder, s.as_bytes()) == self.holds)
    }

    fn negated(self) -> Contains {
        Contains {
            holds: !self.holds,
            ..self
        }
    }
}

/// Whether a string starts (or ends) with `affix` is `holds`.
#[derive(Clone, Debug)]
pub struct Affix {
    affix: Arc<str>,
    at_end: bool,
    holds: bool,
}

impl Check for Affix {
    #[inline(always)]
    fn check(&self, v: &Value) -> Option<bool> {
        self.check_str(text(v)?)
    }

    #[inline(always)]
    fn check_str(&self, s: &str) -> Option<bool> {
        let found = match self.at_end {
            true => s.ends_with(&*self.affix),
            false => s.starts_with(&*self.affix),
        };
        Some(found == self.holds)
    }

    fn negated(self) -> Affix {
        Affix {
            holds: !self.holds,
            ..self
        }
    }
}

/// The text of a string value.
#[inline(always)]
fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// The comparison a test makes when the slot holds a value of the
/// constant's type: one of the checks above, or none.
#[derive(Clone, Debug)]
pub enum Shape {
    /// An int in a range.
    IntRange(IntRange),
    /// An int in a set.
    IntSet(IntSet),
    /// An enum variant in a set.
    EnumMask(EnumMask),
    /// A bool equal to a constant.
    BoolIs(BoolIs),
    /// A string in a set.
    StrSet(StrSet),
    /// A string containing a constant.
    Contains(Contains),
    /// A string starting or ending with a constant.
    Affix(Affix),
    /// No shortcut: the interpreter's operator.
    Generic,
}

/// What to make of a check once its type is known (see [`Shape::with_check`]).
pub trait WithCheck {
    /// What is made.
    type Out;

    /// Makes it of `check`.
    fn with<C: Check>(self, check: C) -> Self::Out;
}

impl Shape {
    /// The answer for `v`, when the shape has one for its type.
    #[inline(always)]
    pub fn check(&self, v: &Value) -> Option<bool> {
        match self {
            Shape::IntRange(c) => c.check(v),
            Shape::IntSet(c) => c.check(v),
            Shape::EnumMask(c) => c.check(v),
            Shape::BoolIs(c) => c.check(v),
            Shape::StrSet(c) => c.check(v),
            Shape::Contains(c) => c.check(v),
            Shape::Affix(c) => c.check(v),
            Shape::Generic => None,
        }
    }

    /// The answer for the string `s`, when the shape is made for strings.
    #[inline(always)]
    fn check_str(&self, s: &str) -> Option<bool> {
        match self {
            Shape::StrSet(c) => c.check_str(s),
            Shape::Contains(c) => c.check_str(s),
            Shape::Affix(c) => c.check_str(s),
            _ => None,
        }
    }

    /// The shape that holds exactly where this one does not, on values of
    /// its type.
    pub fn negated(self) -> Shape {
        match self {
            Shape::IntRange(c) => Shape::IntRange(c.negated()),
            Shape::IntSet(c) => Shape::IntSet(c.negated()),
            Shape::EnumMask(c) => Shape::EnumMask(c.negated()),
            Shape::BoolIs(c) => Shape::BoolIs(c.negated()),
            Shape::StrSet(c) => Shape::StrSet(c.negated()),
            Shape::Contains(c) => Shape::Contains(c.negated()),
            Shape::Affix(c) => Shape::Affix(c.negated()),
            Shape::Generic => Shape::Generic,
        }
    }

    /// Hands the shape's check to `make` as a value of its own type; for
    /// [`Shape::Generic`], which has no check, gives `make` back.
    pub fn with_check<M: WithCheck>(&self, make: M) -> Result<M::Out, M> {
        Ok(match self {
            Shape::IntRange(c) => make.with(*c),
            Shape::IntSet(c) => make.with(c.clone()),
            Shape::EnumMask(c) => make.with(*c),
            Shape::BoolIs(c) => make.with(*c),
            Shape::StrSet(c) => make.with(c.clone()),
            Shape::Contains(c) => make.with(c.clone()),
            Shape::Affix(c) => make.with(c.clone()),
            Shape::Generic => return Err(make),
        })
    }
}

/// The shape of `OP constant`, where one gives the operator's answer.
fn shape(op: Op, constant: &Value) -> Shape {
    let range = |lo, hi, inside| Shape::IntRange(IntRange { lo, hi, inside });
    match (op, constant) {
        (Op::Eq | Op::Ne, Value::Int(c)) => range(*c, *c, op == Op::Eq),
        (Op::Lt, Value::Int(c)) => range(*c, i64::MAX, false),
        (Op::Le, Value::Int(c)) => range(i64::MIN, *c, true),
        (Op::Gt, Value::Int(c)) => range(i64::MIN, *c, false),
        (Op::Ge, Value::Int(c)) => range(*c, i64::MAX, true),
        (Op::Eq | Op::Ne, Value::Enum(k)) if *k < 64 => Shape::EnumMask(EnumMask {
            mask: 1 << k,
            inside: op == Op::Eq,
        }),
        (Op::Eq | Op::Ne, Value::Bool(b)) => Shape::BoolIs(BoolIs {
            value: *b == (op == Op::Eq),
        }),
        (Op::Eq | Op::Ne, Value::Str(s)) => Shape::StrSet(StrSet {
            items: Box::new([StrConst::new(s)]),
            inside: op == Op::Eq,
        }),
        (Op::In | Op::NotIn, Value::List(items)) => members(items, op == Op::In),
        (Op::Contains, Value::Str(s)) => Shape::Contains(Contains {
            finder: Box::new(memchr::memmem::Finder::new(s.as_bytes()).into_owned()),
            holds: true,
        }),
        (Op::StartsWith | Op::EndsWith, Value::Str(s)) => Shape::Affix(Affix {
            affix: s.clone(),
            at_end: op == Op::EndsWith,
            holds: true,
        }),
        _ => Shape::Generic,
    }
}

/// The shape of `in` a constant list whose items all have one type.
fn members(items: &[Value], inside: bool) -> Shape {
    if let Some(strs) = items
        .iter()
        .map(|v| match v {
            Value::Str(s) => Some(StrConst::new(s)),
            _ => None,
        })
        .collect::<Option<Box<[StrConst]>>>()
    {
        return Shape::StrSet(StrSet {
            items: strs,
            inside,
        });
    }
    if let Some(mask) = items.iter().try_fold(0u64, |mask, v| match v {
        Value::Enum(k) if *k < 64 => Some(mask | 1 << k),
        _ => None,
    }) {
        return Shape::EnumMask(EnumMask { mask, inside });
    }
    if let Some(mut ints) = items
        .iter()
        .map(|v| match v {
            Value::Int(n) => Some(*n),
            _ => None,
        })
        .collect::<Option<Vec<i64>>>()
    {
        ints.sort_unstable();
        return Shape::IntSet(IntSet {
            items: ints.into(),
            inside,
        });
    }
    Shape::Generic
}

/// `domain(s)` when it is a part of `s` as it stands (ASCII, no capitals),
/// so that no new string is made for it.
#[inline]
fn plain_domain(s: &str) -> Option<&str> {
    let domain = s.rsplit_once('@').map_or(s, |(_, d)| d).trim();
    (domain.is_ascii() && !domain.bytes().any(|b| b.is_ascii_uppercase())).then_some(domain)
}

/// Whether `haystack` contains the finder's needle. Short strings, such as
/// titles, are searched byte by byte: quicker than setting up the searcher.
#[inline]
fn contains(finder: &memchr::memmem::Finder<'_>, haystack: &[u8]) -> bool {
    let needle = finder.needle();
    if haystack.len() > 64 {
        return finder.find(haystack).is_some();
    }
    let Some((first, rest)) = needle.split_first() else {
        return true;
    };
    haystack.iter().enumerate().any(|(at, b)| {
        b == first
            && haystack
                .get(at + 1..at + needle.len())
                .is_some_and(|w| w.iter().zip(rest).all(|(x, y)| x == y))
    })
}

/// A string constant, with its length and head (see [`head`]) at hand so
/// that most strings it is not are told apart without comparing bytes one
/// by one.
#[derive(Clone, Debug)]
struct StrConst {
    len: usize,
    head: u64,
    text: Arc<str>,
}

impl StrConst {
    fn new(text: &Arc<str>) -> StrConst {
        StrConst {
            len: text.len(),
            head: head(text),
            text: text.clone(),
        }
    }

    /// Whether `s`, of length `len` and head `head`, is this string.
    #[inline(always)]
    fn is(&self, len: usize, head: u64, s: &str) -> bool {
        self.len == len
            && self.head == head
            && (len <= 8 || self.text.as_bytes().get(8..) == s.as_bytes().get(8..))
    }
}

/// The first eight bytes of `s` as a number. A shorter string's bytes are
/// read as two overlapping halves that cover each byte, so that two strings
/// of one length have one head only when they are equal.
#[inline]
fn head(s: &str) -> u64 {
    let bytes = s.as_bytes();
    if let Some(first) = bytes.first_chunk::<8>() {
        return u64::from_le_bytes(*first);
    }
    if let (Some(low), Some(high)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        return u64::from(u32::from_le_bytes(*low)) | u64::from(u32::from_le_bytes(*high)) << 32;
    }
    if let (Some(low), Some(high)) = (bytes.first_chunk::<2>(), bytes.last_chunk::<2>()) {
        return u64::from(u16::from_le_bytes(*low)) | u64::from(u16::from_le_bytes(*high)) << 16;
    }
    bytes.first().map_or(0, |b| u64::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `v OP constant` as the interpreter's operator answers it.
    fn by_operator(op: Op, v: &Value, constant: &Value) -> Result<bool, EvalError> {
        bool_of(&value::binary(op, v, constant)?)
    }

    /// Every shape gives the operator's answer on every value of its type,
    /// edges included, directly and through `domain`.
    #[test]
    fn shapes_agree_with_the_operators() {
        let ints = [i64::MIN, -1, 0, 1, 2, 3, i64::MAX];
        let strs = [
            "",
            "D",
            "DE",
            "DEU",
            "abcdefgh",
            "abcdefghi",
            "abcdefghj",
            "xDEx",
            "xDEy",
            "yDEx",
            // Shorter than eight bytes: each length, and near misses of one.
            "DF",
            "EE",
            "DEV",
            "DFU",
            "abcde",
            "abdde",
            "abcdf",
            "abcdef",
            "abcdeg",
            "abcdefg",
            "bbcdefg",
            "abcddfg",
        ];
        let mut cases: Vec<(Op, Value, Vec<Value>)> = Vec::new();
        for op in [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge] {
            for c in ints {
                cases.push((
                    op,
                    Value::Int(c),
                    ints.iter().map(|i| Value::Int(*i)).collect(),
                ));
            }
        }
        let text = |s: &[&str]| s.iter().map(|t| Value::str(t)).collect::<Vec<_>>();
        for op in [Op::Eq, Op::Ne, Op::Contains, Op::StartsWith, Op::EndsWith] {
            for c in strs.iter().chain(&["acme.example", "de"]) {
                cases.push((op, Value::str(c), text(&strs)));
            }
        }
        for op in [Op::Eq, Op::Ne] {
            for c in [true, false] {
                cases.push((
                    op,
                    Value::Bool(c),
                    vec![Value::Bool(true), Value::Bool(false)],
                ));
            }
        }
        for op in [Op::In, Op::NotIn] {
            let list = |items: Vec<Value>| Value::List(items.into());
            cases.push((op, list(text(&["DE", "abcdefghi"])), text(&strs)));
            cases.push((op, list(text(&["acme.example", "straße.de"])), text(&strs)));
            cases.push((
                op,
                list(vec![Value::Int(2), Value::Int(-1)]),
                ints.iter().map(|i| Value::Int(*i)).collect(),
            ));
            cases.push((
                op,
                list(vec![Value::Enum(0), Value::Enum(3)]),
                (0..5).map(Value::Enum).collect(),
            ));
            cases.push((op, list(Vec::new()), vec![Value::Int(1), Value::str("a")]));
        }
        for (op, constant, values) in cases {
            let test = Test::new(0, Operand::Value, op, constant.clone());
            let emails = [
                "ana@acme.example",
                " Ana@ACME.example ",
                "noat",
                "a@b@DE",
                "ü@straße.de",
                "x@de\u{a0}",
                "",
            ];
            let of_domain = Test::new(0, Operand::Domain, op, constant.clone());
            for v in emails.iter().map(|e| Value::str(e)).chain([Value::Int(1)]) {
                let expected = value::call(
                    value::Builtin::Domain,
                    std::slice::from_ref(&v),
                    Timestamp::UNIX_EPOCH,
                )
                .map_err(EvalError::Op)
                .and_then(|d| by_operator(op, &d, &constant));
                assert_eq!(
                    of_domain.holds(std::slice::from_ref(&v)),
                    expected,
                    "domain({v:?}) {op:?} {constant:?}"
                );
            }
            for v in values
                .into_iter()
                .chain([Value::Missing, Value::Bool(true)])
            {
                let expected = by_operator(op, &v, &constant);
                let slots = std::slice::from_ref(&v);
                assert_eq!(test.holds(slots), expected, "{v:?} {op:?} {constant:?}");
                assert_eq!(
                    test.known(slots),
                    expected.ok(),
                    "{v:?} {op:?} {constant:?}"
                );
            }
        }
    }

    /// The shape each operator and constant type is prepared as.
    #[test]
    fn constants_are_prepared_by_their_type() {
        let of = |op, c: Value| shape(op, &c);
        assert!(matches!(of(Op::Ge, Value::Int(3)), Shape::IntRange(_)));
        assert!(matches!(of(Op::Ne, Value::Int(3)), Shape::IntRange(_)));
        let list = |items: Vec<Value>| Value::List(items.into());
        assert!(matches!(
            of(Op::In, list(vec![Value::Int(1), Value::Int(2)])),
            Shape::IntSet(_)
        ));
        assert!(matches!(
            of(Op::In, list(vec![Value::Enum(0), Value::Enum(2)])),
            Shape::EnumMask(EnumMask {
                mask: 0b101,
                inside: true
            })
        ));
        assert!(matches!(
            of(Op::NotIn, list(vec![Value::str("DE")])),
            Shape::StrSet(StrSet { inside: false, .. })
        ));
        assert!(matches!(
            of(Op::Contains, Value::str("@")),
            Shape::Contains(_)
        ));
        assert!(matches!(
            of(Op::Eq, Value::Bool(false)),
            Shape::BoolIs(BoolIs { value: false })
        ));
        assert!(matches!(
            of(Op::Ne, Value::Bool(false)),
            Shape::BoolIs(BoolIs { value: true })
        ));
        assert!(matches!(of(Op::Add, Value::Int(1)), Shape::Generic));
        assert!(matches!(
            of(Op::In, list(vec![Value::Int(1), Value::str("a")])),
            Shape::Generic
        ));
    }
}
