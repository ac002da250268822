//! Rule conditions as trees of typed tests: the VM's lowering of a condition's
//! bytecode for the common shapes — `and`, `or` and `not` over `field OP
//! constant`, `domain(field) OP constant`, `field is set`, bool lets — so that
//! deciding a record runs no stack machine for them.
//!
//! A condition (and each bool let) is decompiled from its block once per VM.
//! Every node stands for a range of the block's code where a bool is required
//! (the condition itself, an operand of `and`, `or`, `not`) and gives the
//! interpreter's answer for that range: its bool, or its error (a range whose
//! value is not a bool is an error either way). A test compares the bound
//! slot with its constant in place when both have the expected type and
//! otherwise calls the very operator the interpreter calls; `and` and `or`
//! stop where the interpreter's jumps would; and any range the decompiler
//! does not recognise (arithmetic, other calls, `default`, ...) stays a block
//! the interpreter runs. A block that does not decompile cleanly (only a
//! damaged program's) is run whole by the interpreter.
//!
//! Tests spend no fuel. That changes no outcome: the VM uses trees only when
//! every block a record may run, each counted once per use, is shorter than
//! a record's fuel together (see `fuel_suffices` in the VM), so no record can
//! run out of it.

use std::sync::Arc;

use jiff::Timestamp;

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{Block, Program};
use crate::bytecode::value::{self, OpError, Value};
use crate::vm::eval::{EvalError, Machine};

/// A condition, or part of one, that gives a bool.
#[derive(Clone, Debug)]
pub enum Condition {
    /// A test of one slot.
    Literal(Literal),
    /// A bool let, by index: its tree, evaluated once per record.
    Let(u32),
    /// `not`.
    Not(Box<Condition>),
    /// `and` of two or more, left to right.
    All(Box<[Condition]>),
    /// `or` of two or more, left to right.
    Any(Box<[Condition]>),
    /// Code the interpreter runs.
    Block(Block),
}

/// A condition that reads one slot and nothing else: what a probe (see
/// `vm::probe`) checks in place.
#[derive(Clone, Debug)]
pub enum Literal {
    /// `slot OP constant`.
    Test(Test),
    /// A bool slot on its own.
    Flag(u32),
    /// Whether a slot has a value (`is set`).
    Present(u32),
}

impl Literal {
    /// Whether it holds, or why it has no value (as the interpreter says).
    #[inline]
    pub fn holds(&self, slots: &[Value]) -> Result<bool, EvalError> {
        match self {
            Literal::Test(test) => test.holds(slots),
            Literal::Flag(slot) => bool_of(slot_value(slots, *slot)?),
            Literal::Present(slot) => Ok(*slot_value(slots, *slot)? != Value::Missing),
        }
    }

    /// The literal as a plain check of a slot's value, when it is one of the
    /// kinds the VM checks without dispatching on the literal.
    pub fn plain(&self) -> Option<Plain<'_>> {
        match self {
            Literal::Test(Test {
                slot,
                of: Of::Value,
                fast: Fast::Ints { lo, hi, inside },
                ..
            }) => Some(Plain::Ints {
                slot: *slot,
                lo: *lo,
                hi: *hi,
                inside: *inside,
            }),
            Literal::Test(Test {
                slot,
                of: Of::Value,
                fast: Fast::Enums { mask, inside },
                ..
            }) => Some(Plain::Enums {
                slot: *slot,
                mask: *mask,
                inside: *inside,
            }),
            Literal::Flag(slot) => Some(Plain::Flag { slot: *slot }),
            Literal::Test(Test {
                slot,
                of: Of::Value,
                fast: Fast::Strs { items, inside },
                ..
            }) => Some(Plain::Strs {
                slot: *slot,
                items,
                inside: *inside,
            }),
            Literal::Test(Test {
                slot,
                of: Of::Value,
                fast: Fast::Contains(finder),
                ..
            }) => Some(Plain::Contains {
                slot: *slot,
                finder,
            }),
            _ => None,
        }
    }

    /// Whether it holds, when it has a value: [`Literal::holds`] without the
    /// error, for a probe that leaves errors to the tree.
    #[inline(always)]
    pub fn known(&self, slots: &[Value]) -> Option<bool> {
        match self {
            Literal::Test(test) => {
                let v = slots.get(test.slot as usize)?;
                test.fast(v).or_else(|| test.generic(v).ok())
            }
            Literal::Flag(slot) => match slots.get(*slot as usize)? {
                Value::Bool(b) => Some(*b),
                _ => None,
            },
            Literal::Present(slot) => Some(*slots.get(*slot as usize)? != Value::Missing),
        }
    }
}

/// The commonest literals as plain data: an int in a range, an enum in a
/// set, a bool slot, a string in a set or containing a constant. Each holds
/// exactly as the literal does when the slot has a value of its type, and
/// has no value otherwise.
#[derive(Clone, Copy, Debug)]
pub enum Plain<'a> {
    /// Whether an int slot lies in `lo..=hi` is `inside`.
    Ints {
        /// The slot.
        slot: u32,
        /// Lowest value in the range.
        lo: i64,
        /// Highest value in the range.
        hi: i64,
        /// Whether the literal holds inside the range.
        inside: bool,
    },
    /// Whether an enum slot's variant is in `mask` is `inside`.
    Enums {
        /// The slot.
        slot: u32,
        /// The variants, as bits.
        mask: u64,
        /// Whether the literal holds for the variants in the mask.
        inside: bool,
    },
    /// A bool slot.
    Flag {
        /// The slot.
        slot: u32,
    },
    /// Whether a string slot is one of `items` (see [`one_of`]) is `inside`.
    Strs {
        /// The slot.
        slot: u32,
        /// The strings.
        items: &'a [Word],
        /// Whether the literal holds for the strings listed.
        inside: bool,
    },
    /// Whether a string slot contains the finder's needle (see [`contains`]).
    Contains {
        /// The slot.
        slot: u32,
        /// The searcher for the needle.
        finder: &'a memchr::memmem::Finder<'static>,
    },
}

/// `slot OP constant` (or `domain(slot) OP constant`), with the comparison
/// prepared for the constant's type.
#[derive(Clone, Debug)]
pub struct Test {
    slot: u32,
    of: Of,
    op: value::Op,
    constant: Value,
    fast: Fast,
}

/// What of the slot's value a test compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Of {
    /// The value itself.
    Value,
    /// `domain(...)` of the string: the part after the last `@`, trimmed and
    /// in lower case, read in place when that changes nothing.
    Domain,
}

/// The comparison a test makes when the slot holds a value of the constant's type.
#[derive(Clone, Debug)]
enum Fast {
    /// Whether an int lies in `lo..=hi` is `inside`.
    Ints { lo: i64, hi: i64, inside: bool },
    /// Whether an int is one of these (sorted) is `inside`.
    IntSet { items: Box<[i64]>, inside: bool },
    /// Whether an enum variant is in the mask is `inside`.
    Enums { mask: u64, inside: bool },
    /// Whether a bool equals `value` is `equal`.
    Bool { value: bool, equal: bool },
    /// Whether a string is one of these is `inside`.
    Strs { items: Box<[Word]>, inside: bool },
    /// Whether a string contains this (found with a searcher made once).
    Contains(Box<memchr::memmem::Finder<'static>>),
    /// Whether a string starts with this.
    StartsWith(Arc<str>),
    /// Whether a string ends with this.
    EndsWith(Arc<str>),
    /// No shortcut: the interpreter's operator.
    Generic,
}

/// What a condition reads: the record's slots, and for blocks the interpreter.
pub struct Env<'a> {
    /// The interpreter, with this record's lets.
    pub machine: &'a mut Machine,
    /// The program the blocks belong to.
    pub program: &'a Program,
    /// Every let's tree, by index.
    pub lets: &'a [Condition],
    /// The record's bound slots.
    pub slots: &'a [Value],
    /// The evaluation instant.
    pub now: Timestamp,
    /// How deep in lets the evaluation is, as the interpreter counts it.
    pub depth: u32,
}

/// Lets whose tree nests deeper than this are run by the interpreter, so that
/// a chain of lets, which may be 256 long, nests few calls per let.
const MAX_LET_TREE_DEPTH: u32 = 8;

impl Condition {
    /// The condition of `block`, decompiled; the whole block when it does not decompile.
    pub fn decompile(program: &Program, block: Block) -> Condition {
        Decompiler { program }
            .range(block.start, block.end, 0)
            .map_or(Condition::Block(block), |node| node.condition)
    }

    /// Every rule condition of `program` as a tree, in file order.
    pub fn decompile_rules(program: &Program) -> Vec<Condition> {
        program
            .parts()
            .rules
            .iter()
            .map(|r| Condition::decompile(program, r.condition))
            .collect()
    }

    /// Every let of `program` as a tree (a let whose tree would nest deeply
    /// is its block), by index.
    pub fn decompile_lets(program: &Program) -> Vec<Condition> {
        program
            .parts()
            .lets
            .iter()
            .map(
                |l| match (Decompiler { program }).range(l.block.start, l.block.end, 0) {
                    Some(node) if node.depth <= MAX_LET_TREE_DEPTH => node.condition,
                    _ => Condition::Block(l.block),
                },
            )
            .collect()
    }

    /// Whether the condition holds, or why it has no value (as the interpreter says).
    pub fn holds(&self, env: &mut Env<'_>) -> Result<bool, EvalError> {
        match self {
            Condition::Literal(literal) => literal.holds(env.slots),
            Condition::Let(n) => {
                if let Some(v) = env.machine.begin_let(*n, env.depth)? {
                    return bool_of(&v);
                }
                let tree = env
                    .lets
                    .get(*n as usize)
                    .ok_or(EvalError::Damaged("let index"))?;
                env.depth += 1;
                let holds = tree.holds(env);
                env.depth -= 1;
                let holds = holds?;
                env.machine.finish_let(*n, Value::Bool(holds));
                Ok(holds)
            }
            Condition::Not(inner) => Ok(!inner.holds(env)?),
            Condition::All(parts) => {
                for part in parts {
                    if !part.holds_inline(env)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Condition::Any(parts) => {
                for part in parts {
                    if part.holds_inline(env)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Condition::Block(block) => {
                bool_of(
                    &env.machine
                        .run(env.program, *block, env.slots, env.now, env.depth)?,
                )
            }
        }
    }
}

impl Condition {
    /// [`Condition::holds`], with the commonest part of `and` and `or`, a
    /// test, evaluated in place rather than through a call.
    #[inline]
    fn holds_inline(&self, env: &mut Env<'_>) -> Result<bool, EvalError> {
        match self {
            Condition::Literal(literal) => literal.holds(env.slots),
            other => other.holds(env),
        }
    }
}

/// A value that must be a bool, as the interpreter's jumps and conditions require.
fn bool_of(v: &Value) -> Result<bool, EvalError> {
    match v {
        Value::Bool(b) => Ok(*b),
        _ => Err(OpError::Type.into()),
    }
}

fn slot_value(slots: &[Value], slot: u32) -> Result<&Value, EvalError> {
    slots
        .get(slot as usize)
        .ok_or(EvalError::Damaged("slot index"))
}

impl Test {
    /// The slot, operator and constant of `slot OP constant` (not of a test
    /// through `domain`).
    pub fn of_slot(&self) -> Option<(u32, value::Op, &Value)> {
        (self.of == Of::Value).then_some((self.slot, self.op, &self.constant))
    }

    fn new(slot: u32, of: Of, op: value::Op, constant: Value) -> Test {
        let fast = fast(op, &constant);
        Test {
            slot,
            of,
            op,
            constant,
            fast,
        }
    }

    #[inline]
    fn holds(&self, slots: &[Value]) -> Result<bool, EvalError> {
        let v = slot_value(slots, self.slot)?;
        match self.fast(v) {
            Some(holds) => Ok(holds),
            None => self.generic(v),
        }
    }

    /// The test's answer by the shortcut, when it has one for this value.
    #[inline(always)]
    fn fast(&self, v: &Value) -> Option<bool> {
        match (self.of, v) {
            (Of::Value, v) => self.fast_value(v),
            (Of::Domain, Value::Str(s)) => self.fast_str(plain_domain(s)?),
            (Of::Domain, _) => None,
        }
    }

    /// The test's answer for a value of its constant's type, by the shortcut.
    #[inline(always)]
    fn fast_value(&self, v: &Value) -> Option<bool> {
        Some(match (&self.fast, v) {
            (Fast::Ints { lo, hi, inside }, Value::Int(x)) => (lo <= x && x <= hi) == *inside,
            (Fast::IntSet { items, inside }, Value::Int(x)) => {
                items.binary_search(x).is_ok() == *inside
            }
            (Fast::Enums { mask, inside }, Value::Enum(k)) => {
                let bit = 1u64.checked_shl(*k).unwrap_or(0);
                (mask & bit != 0) == *inside
            }
            (Fast::Bool { value, equal }, Value::Bool(b)) => (b == value) == *equal,
            (_, Value::Str(s)) => return self.fast_str(s),
            _ => return None,
        })
    }

    /// The test's answer for a string, by the shortcut.
    #[inline(always)]
    fn fast_str(&self, s: &str) -> Option<bool> {
        Some(match &self.fast {
            Fast::Strs { items, inside } => one_of(items, s) == *inside,
            Fast::Contains(finder) => contains(finder, s.as_bytes()),
            Fast::StartsWith(prefix) => s.starts_with(&**prefix),
            Fast::EndsWith(suffix) => s.ends_with(&**suffix),
            _ => return None,
        })
    }

    /// The test's answer by the interpreter's operator.
    #[cold]
    #[inline(never)]
    fn generic(&self, v: &Value) -> Result<bool, EvalError> {
        match self.of {
            Of::Value => bool_of(&value::binary(self.op, v, &self.constant)?),
            Of::Domain => {
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
pub fn contains(finder: &memchr::memmem::Finder<'_>, haystack: &[u8]) -> bool {
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

/// A string constant, with its length and head (see `head`) at hand so that
/// most strings it is not are told apart without comparing bytes one by one.
#[derive(Clone, Debug)]
pub struct Word {
    len: usize,
    head: u64,
    text: Arc<str>,
}

impl Word {
    fn new(text: &Arc<str>) -> Word {
        Word {
            len: text.len(),
            head: head(text),
            text: text.clone(),
        }
    }

    /// Whether `s`, of length `len` and head `head`, is this string.
    fn is(&self, len: usize, head: u64, s: &str) -> bool {
        self.len == len
            && self.head == head
            && (len <= 8 || self.text.as_bytes().get(8..) == s.as_bytes().get(8..))
    }
}

/// Whether `s` is one of `items`.
#[inline]
pub fn one_of(items: &[Word], s: &str) -> bool {
    let (len, head) = (s.len(), head(s));
    items.iter().any(|item| item.is(len, head, s))
}

/// The first eight bytes of `s` as a number. A shorter string's bytes are
/// read as two overlapping halves that cover each byte, so that two strings
/// of one length have one head only when they are equal.
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

/// The shortcut for `OP constant`, where one gives the operator's answer.
fn fast(op: value::Op, constant: &Value) -> Fast {
    use value::Op;
    match (op, constant) {
        (Op::Eq | Op::Ne, Value::Int(c)) => Fast::Ints {
            lo: *c,
            hi: *c,
            inside: op == Op::Eq,
        },
        (Op::Lt, Value::Int(c)) => Fast::Ints {
            lo: *c,
            hi: i64::MAX,
            inside: false,
        },
        (Op::Le, Value::Int(c)) => Fast::Ints {
            lo: i64::MIN,
            hi: *c,
            inside: true,
        },
        (Op::Gt, Value::Int(c)) => Fast::Ints {
            lo: i64::MIN,
            hi: *c,
            inside: false,
        },
        (Op::Ge, Value::Int(c)) => Fast::Ints {
            lo: *c,
            hi: i64::MAX,
            inside: true,
        },
        (Op::Eq | Op::Ne, Value::Enum(k)) if *k < 64 => Fast::Enums {
            mask: 1 << k,
            inside: op == Op::Eq,
        },
        (Op::Eq | Op::Ne, Value::Bool(b)) => Fast::Bool {
            value: *b,
            equal: op == Op::Eq,
        },
        (Op::Eq | Op::Ne, Value::Str(s)) => Fast::Strs {
            items: Box::new([Word::new(s)]),
            inside: op == Op::Eq,
        },
        (Op::In | Op::NotIn, Value::List(items)) => members(items, op == Op::In),
        (Op::Contains, Value::Str(s)) => Fast::Contains(Box::new(
            memchr::memmem::Finder::new(s.as_bytes()).into_owned(),
        )),
        (Op::StartsWith, Value::Str(s)) => Fast::StartsWith(s.clone()),
        (Op::EndsWith, Value::Str(s)) => Fast::EndsWith(s.clone()),
        _ => Fast::Generic,
    }
}

/// The shortcut for `in` a constant list whose items all have one type.
fn members(items: &[Value], inside: bool) -> Fast {
    if let Some(strs) = items
        .iter()
        .map(|v| match v {
            Value::Str(s) => Some(Word::new(s)),
            _ => None,
        })
        .collect::<Option<Box<[Word]>>>()
    {
        return Fast::Strs {
            items: strs,
            inside,
        };
    }
    if let Some(mask) = items.iter().try_fold(0u64, |mask, v| match v {
        Value::Enum(k) if *k < 64 => Some(mask | 1 << k),
        _ => None,
    }) {
        return Fast::Enums { mask, inside };
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
        return Fast::IntSet {
            items: ints.into(),
            inside,
        };
    }
    Fast::Generic
}

/// Reads a block's code back into a condition, one value-giving range at a time.
struct Decompiler<'p> {
    program: &'p Program,
}

/// A range of code that leaves one value, read as a condition.
struct Node {
    start: u32,
    /// How deep the condition nests (a leaf is 0).
    depth: u32,
    condition: Condition,
}

/// Trees nest at most this deep, counting `not`s and joins of ranges (a
/// checked policy's expressions nest at most 200 deep), so neither
/// decompiling nor evaluating nor dropping a tree can exhaust the stack.
const MAX_DEPTH: u32 = 256;

impl Decompiler<'_> {
    /// The condition of the code in `start..end`, if it leaves exactly one
    /// value; `nesting` counts the ranges this one lies in.
    fn range(&self, start: u32, end: u32, nesting: u32) -> Option<Node> {
        if nesting > MAX_DEPTH {
            return None;
        }
        let code = &self.program.parts().code;
        let mut stack: Vec<Node> = Vec::new();
        let mut pc = start;
        while pc < end {
            let instruction = *code.get(pc as usize)?;
            if let Some((test, len)) = self.test_at(pc, end) {
                stack.push(Node {
                    start: pc,
                    depth: 0,
                    condition: Condition::Literal(Literal::Test(test)),
                });
                pc += len;
                continue;
            }
            let next = pc + 1;
            let node = match instruction {
                Instruction::Slot(slot) => Node {
                    start: pc,
                    depth: 0,
                    condition: Condition::Literal(Literal::Flag(slot)),
                },
                Instruction::Let(n) => Node {
                    start: pc,
                    depth: 0,
                    condition: Condition::Let(n),
                },
                Instruction::IsSet => {
                    let inner = stack.pop()?;
                    Node {
                        start: inner.start,
                        depth: 0,
                        condition: match inner.condition {
                            Condition::Literal(Literal::Flag(slot)) => {
                                Condition::Literal(Literal::Present(slot))
                            }
                            _ => Condition::Block(Block {
                                start: inner.start,
                                end: next,
                            }),
                        },
                    }
                }
                Instruction::Not => {
                    let inner = stack.pop()?;
                    Node {
                        start: inner.start,
                        depth: deeper(inner.depth)?,
                        condition: Condition::Not(Box::new(inner.condition)),
                    }
                }
                Instruction::JumpIfFalseOrPop(target) | Instruction::JumpIfTrueOrPop(target) => {
                    if target <= pc || target > end {
                        return None;
                    }
                    let left = stack.pop()?;
                    let right = self.range(next, target, nesting + 1)?;
                    let and = matches!(instruction, Instruction::JumpIfFalseOrPop(_));
                    pc = target;
                    stack.push(Node {
                        start: left.start,
                        depth: deeper(left.depth.max(right.depth))?,
                        condition: join(and, left.condition, right.condition),
                    });
                    continue;
                }
                Instruction::JumpIfPresentOrPop(target) => {
                    if target <= pc || target > end {
                        return None;
                    }
                    let left = stack.pop()?;
                    self.range(next, target, nesting + 1)?;
                    pc = target;
                    stack.push(Node {
                        start: left.start,
                        depth: 0,
                        condition: Condition::Block(Block {
                            start: left.start,
                            end: target,
                        }),
                    });
                    continue;
                }
                other => {
                    let mut from = pc;
                    for _ in 0..other.pops() {
                        from = stack.pop()?.start;
                    }
                    Node {
                        start: from,
                        depth: 0,
                        condition: Condition::Block(Block {
                            start: from,
                            end: next,
                        }),
                    }
                }
            };
            stack.push(node);
            pc = next;
        }
        match (stack.pop(), stack.is_empty()) {
            (Some(node), true) => Some(node),
            _ => None,
        }
    }

    /// The test `slot OP constant` or `domain(slot) OP constant` starting at
    /// `pc`, if the instructions up to `end` begin with one, and its length.
    fn test_at(&self, pc: u32, end: u32) -> Option<(Test, u32)> {
        let parts = self.program.parts();
        let code = parts.code.get(pc as usize..end as usize)?;
        let (slot, of, c, op, len) = match code {
            [
                Instruction::Slot(slot),
                Instruction::Const(c),
                Instruction::Binary(op),
                ..,
            ] => (*slot, Of::Value, *c, *op, 3),
            [
                Instruction::Slot(slot),
                Instruction::Call(value::Builtin::Domain),
                Instruction::Const(c),
                Instruction::Binary(op),
                ..,
            ] => (*slot, Of::Domain, *c, *op, 4),
            _ => return None,
        };
        let gives_bool = !matches!(
            op,
            value::Op::Add | value::Op::Sub | value::Op::Mul | value::Op::Div
        );
        let constant = parts.constants.get(c as usize)?;
        gives_bool.then(|| (Test::new(slot, of, op, constant.clone()), len))
    }
}

/// One level deeper than `depth`, unless that is too deep.
fn deeper(depth: u32) -> Option<u32> {
    (depth < MAX_DEPTH).then_some(depth + 1)
}

/// `left and right` (or `or`), flattening chains of the same operator.
fn join(and: bool, left: Condition, right: Condition) -> Condition {
    let mut parts = Vec::new();
    for side in [left, right] {
        match (and, side) {
            (true, Condition::All(inner)) | (false, Condition::Any(inner)) => {
                parts.extend(inner.into_vec());
            }
            (_, other) => parts.push(other),
        }
    }
    if and {
        Condition::All(parts.into())
    } else {
        Condition::Any(parts.into())
    }
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    use super::*;

    /// The first rule's condition of a lead policy, decompiled.
    fn first(condition: &str) -> Condition {
        let text = format!(
            "policy p for lead\nuse crm\nlet hot = score > 60\nrule r when {condition} then tag \"r\"\n"
        );
        let program = crate::compile_source("p.roe", &text)
            .program
            .expect("compiles");
        let rule = program.parts().rules.first().expect("one rule");
        Condition::decompile(&program, rule.condition)
    }

    /// The shape of a condition: `T` a test, `F` a flag, `B` a block.
    fn shape(c: &Condition) -> String {
        let list = |parts: &[Condition], op: &str| {
            let inner: Vec<String> = parts.iter().map(shape).collect();
            format!("({})", inner.join(op))
        };
        match c {
            Condition::Literal(Literal::Test(_)) => "T".to_owned(),
            Condition::Literal(Literal::Flag(_)) => "F".to_owned(),
            Condition::Literal(Literal::Present(_)) => "P".to_owned(),
            Condition::Let(_) => "L".to_owned(),
            Condition::Not(inner) => format!("!{}", shape(inner)),
            Condition::All(parts) => list(parts, " & "),
            Condition::Any(parts) => list(parts, " | "),
            Condition::Block(_) => "B".to_owned(),
        }
    }

    #[test]
    fn chains_of_and_and_or_flatten_into_one_node() {
        let c = first("score > 1 and segment = smb and country = \"DE\" and do_not_route");
        assert_eq!(shape(&c), "(T & T & T & F)");
        let c = first("score > 1 or (segment = smb and not do_not_route) or country = \"DE\"");
        assert_eq!(shape(&c), "(T | (T & !F) | T)");
    }

    #[test]
    fn what_is_not_a_test_stays_a_block_for_the_interpreter() {
        assert_eq!(shape(&first("score + 1 > 2 and hot")), "(B & L)");
        assert_eq!(shape(&first("employees is set and hot")), "(P & L)");
        assert_eq!(shape(&first("default(employees, 0) > 5")), "B");
        assert_eq!(shape(&first("created_at < now - 2h")), "B");
        // `domain` is the one call a test reads through; others stay blocks.
        assert_eq!(shape(&first("domain(email) in [\"a.example\"]")), "T");
        assert_eq!(shape(&first("lower(email) = \"a\"")), "B");
    }

    #[test]
    fn tests_take_the_shortcut_of_their_constant() {
        let fast = |condition: &str| match first(condition) {
            Condition::Literal(Literal::Test(t)) => std::mem::discriminant(&t.fast),
            other => panic!("{condition}: not a test but {}", shape(&other)),
        };
        let ints = std::mem::discriminant(&Fast::Ints {
            lo: 0,
            hi: 0,
            inside: true,
        });
        assert_eq!(fast("score >= 3"), ints);
        assert_eq!(fast("score != 3"), ints);
        assert!(matches!(
            first("score in [1, 2]"),
            Condition::Literal(Literal::Test(Test {
                fast: Fast::IntSet { .. },
                ..
            }))
        ));
        assert!(matches!(
            first("segment in [smb, large]"),
            Condition::Literal(Literal::Test(Test {
                fast: Fast::Enums {
                    mask: 0b101,
                    inside: true
                },
                ..
            }))
        ));
        assert!(matches!(
            first("country not in [\"DE\"]"),
            Condition::Literal(Literal::Test(Test {
                fast: Fast::Strs { inside: false, .. },
                ..
            }))
        ));
        assert!(matches!(
            first("email contains \"@\""),
            Condition::Literal(Literal::Test(Test {
                fast: Fast::Contains(_),
                ..
            }))
        ));
        assert!(matches!(
            first("do_not_route = false"),
            Condition::Literal(Literal::Test(Test {
                fast: Fast::Bool {
                    value: false,
                    equal: true
                },
                ..
            }))
        ));
    }

    /// `v OP constant` as the interpreter's operator answers it.
    fn by_operator(op: value::Op, v: &Value, constant: &Value) -> Result<bool, EvalError> {
        bool_of(&value::binary(op, v, constant)?)
    }

    /// Every shortcut gives the operator's answer on every value of its type,
    /// edges included.
    #[test]
    fn shortcuts_agree_with_the_operators() {
        use value::Op;
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
            let test = Test::new(0, Of::Value, op, constant.clone());
            let emails = [
                "ana@acme.example",
                " Ana@ACME.example ",
                "noat",
                "a@b@DE",
                "ü@straße.de",
                "x@de\u{a0}",
                "",
            ];
            let of_domain = Test::new(0, Of::Domain, op, constant.clone());
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
                assert_eq!(
                    test.holds(std::slice::from_ref(&v)),
                    expected,
                    "{v:?} {op:?} {constant:?}"
                );
            }
        }
    }

    #[test]
    fn code_not_shaped_as_the_compiler_writes_is_left_to_the_interpreter_whole() {
        let text = "policy p for lead\nuse crm\n\
                    rule r when do_not_route and (do_not_route or not do_not_route) then tag \"r\"\n";
        let program = crate::compile_source("p.roe", text)
            .program
            .expect("compiles");
        let mut parts = program.parts().clone();
        // The `and` now lands on the `not` inside its right side: the stack
        // depths still agree, so the program verifies, but the ranges cross.
        let not = parts
            .code
            .iter()
            .position(|i| *i == Instruction::Not)
            .expect("a not");
        for i in parts.code.iter_mut() {
            if let Instruction::JumpIfFalseOrPop(target) = i {
                *target = not as u32;
            }
        }
        let block = parts.rules[0].condition;
        let crossed = Program::new(parts).expect("verifies");
        assert!(matches!(Condition::decompile(&crossed, block), Condition::Block(b) if b == block));
    }
}
