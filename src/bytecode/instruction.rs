//! The instruction set of the stack machine. Operands are narrow indices into
//! the Program's pools; jump targets are absolute positions in its code.

use crate::bytecode::value::{Builtin, Op};

/// One instruction. Every rule condition, let and action operand is a block of
/// these that leaves exactly one value on the stack.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instruction {
    /// Push constant `n` of the pool.
    Const(u32),
    /// Push the value bound to slot `n` (`Missing` when the record has none).
    Slot(u32),
    /// Push let `n`, evaluating its block the first time a record needs it.
    Let(u32),
    /// Push the evaluation instant.
    Now,
    /// Replace the bool on top with its negation.
    Not,
    /// Replace the int, number or duration on top with its negation.
    Neg,
    /// Replace the int on top with the same number.
    ToNumber,
    /// Pop `b`, pop `a`, push `a op b`.
    Binary(Op),
    /// Replace the string on top with whether pattern `n` finds a match in it.
    Matches(u32),
    /// Replace the value on top with whether it is present.
    IsSet,
    /// Pop the built-in's one argument, push its result.
    Call(Builtin),
    /// Pop `n` values, push them as a list (first pushed first).
    MakeList(u32),
    /// If the bool on top is false jump to the target keeping it, else pop it (`and`).
    JumpIfFalseOrPop(u32),
    /// If the bool on top is true jump to the target keeping it, else pop it (`or`).
    JumpIfTrueOrPop(u32),
    /// If the value on top is present jump to the target keeping it, else pop it (`default`).
    JumpIfPresentOrPop(u32),
    /// Push whether calendar `n` is open at the evaluation instant.
    IsOpen(u32),
    /// Pop `b`, pop `a` (times), push the open hours of calendar `n` between them, as a number.
    OpenHoursBetween(u32),
    /// Replace the time on top with its weekday (`mon` … `sun`) in calendar `n`'s zone.
    LocalWeekday(u32),
    /// Replace the time on top with its hour (0–23) in calendar `n`'s zone.
    LocalHour(u32),
}

impl Instruction {
    /// How many values it takes from the stack. Every instruction but a jump
    /// then pushes one; a jump keeps its value when it jumps and pops it when
    /// it falls through.
    pub fn pops(self) -> u32 {
        match self {
            Instruction::Const(_)
            | Instruction::Slot(_)
            | Instruction::Let(_)
            | Instruction::Now
            | Instruction::IsOpen(_) => 0,
            Instruction::Not
            | Instruction::Neg
            | Instruction::ToNumber
            | Instruction::Matches(_)
            | Instruction::IsSet
            | Instruction::Call(_)
            | Instruction::LocalWeekday(_)
            | Instruction::LocalHour(_)
            | Instruction::JumpIfFalseOrPop(_)
            | Instruction::JumpIfTrueOrPop(_)
            | Instruction::JumpIfPresentOrPop(_) => 1,
            Instruction::Binary(_) | Instruction::OpenHoursBetween(_) => 2,
            Instruction::MakeList(n) => n,
        }
    }
}
