//! Rule conditions as trees of typed tests: `and`, `or` and `not` over
//! [`Leaf`]s (`field OP constant`, `domain(field) OP constant`, `field is
//! set`, a bool field), bool lets and ranges of bytecode, so that deciding a
//! record runs no stack machine for the common shapes.
//!
//! Every node stands for a range of a block's code where a bool is required
//! (the condition itself, an operand of `and`, `or`, `not`) and gives the
//! interpreter's answer for that range: its bool, or its error (a range whose
//! value is not a bool is an error either way). A test compares the bound
//! slot with its constant in place when both have the expected type and
//! otherwise calls the very operator the interpreter calls; `and` and `or`
//! stop where the interpreter's jumps would; and any range the decompiler
//! (`plan/decompile.rs`) does not recognise stays a block the interpreter
//! runs.
//!
//! Tests spend no fuel. That changes no outcome: the plan has trees only
//! when every block a record may run, each counted once per use, is shorter
//! than a record's fuel together (see `fuel_suffices` in the plan), so no
//! record can run out of it.

use jiff::Timestamp;

use crate::bytecode::program::{Block, Program};
use crate::bytecode::value::Value;
use crate::vm::eval::{EvalError, Machine};
use crate::vm::plan::test::{Test, bool_of, slot_value};

/// A condition, or part of one, that gives a bool.
#[derive(Clone, Debug)]
pub enum Condition {
    /// A test of one slot.
    Leaf(Leaf),
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
/// `plan/probe.rs`) checks in place.
#[derive(Clone, Debug)]
pub enum Leaf {
    /// `slot OP constant`.
    Test(Test),
    /// A bool slot on its own.
    Flag(u32),
    /// Whether a slot has a value (`is set`).
    Present(u32),
}

impl Leaf {
    /// Whether it holds, or why it has no value (as the interpreter says).
    #[inline]
    pub fn holds(&self, slots: &[Value]) -> Result<bool, EvalError> {
        match self {
            Leaf::Test(test) => test.holds(slots),
            Leaf::Flag(slot) => bool_of(slot_value(slots, *slot)?),
            Leaf::Present(slot) => Ok(*slot_value(slots, *slot)? != Value::Missing),
        }
    }

    /// Whether it holds, when it has a value: [`Leaf::holds`] without the
    /// error, for a probe that leaves errors to the tree.
    #[inline(always)]
    pub fn known(&self, slots: &[Value]) -> Option<bool> {
        match self {
            Leaf::Test(test) => test.known(slots),
            Leaf::Flag(slot) => match slots.get(*slot as usize)? {
                Value::Bool(b) => Some(*b),
                _ => None,
            },
            Leaf::Present(slot) => Some(*slots.get(*slot as usize)? != Value::Missing),
        }
    }
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

impl Condition {
    /// Whether the condition holds, or why it has no value (as the interpreter says).
    pub fn holds(&self, env: &mut Env<'_>) -> Result<bool, EvalError> {
        match self {
            Condition::Leaf(leaf) => leaf.holds(env.slots),
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

    /// [`Condition::holds`], with the commonest part of `and` and `or`, a
    /// leaf, evaluated in place rather than through a call.
    #[inline]
    fn holds_inline(&self, env: &mut Env<'_>) -> Result<bool, EvalError> {
        match self {
            Condition::Leaf(leaf) => leaf.holds(env.slots),
            other => other.holds(env),
        }
    }
}
