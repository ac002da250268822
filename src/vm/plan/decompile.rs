//! Condition trees read back from bytecode: the one place that recognises
//! the compiler's shapes of code (`Slot, Const, Binary` is a test, jumps are
//! `and` and `or`, ...). A block that does not decompile cleanly (only a
//! damaged program's) is run whole by the interpreter.

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{Block, Program};
use crate::bytecode::value;
use crate::vm::plan::test::{Operand, Test};
use crate::vm::plan::tree::{Condition, Leaf};

/// Lets whose tree nests deeper than this are run by the interpreter, so that
/// a chain of lets, which may be 256 long, nests few calls per let.
const MAX_LET_TREE_DEPTH: u32 = 8;

/// The condition of `block`, decompiled; the whole block when it does not decompile.
pub fn decompile(program: &Program, block: Block) -> Condition {
    Decompiler { program }
        .range(block.start, block.end, 0)
        .map_or(Condition::Block(block), |node| node.condition)
}

/// Every rule condition of `program` as a tree, in file order.
pub fn rules(program: &Program) -> Vec<Condition> {
    program
        .parts()
        .rules
        .iter()
        .map(|r| decompile(program, r.condition))
        .collect()
}

/// Every let of `program` as a tree (a let whose tree would nest deeply
/// is its block), by index.
pub fn lets(program: &Program) -> Vec<Condition> {
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
                    condition: Condition::Leaf(Leaf::Test(test)),
                });
                pc += len;
                continue;
            }
            let next = pc + 1;
            let node = match instruction {
                Instruction::Slot(slot) => Node {
                    start: pc,
                    depth: 0,
                    condition: Condition::Leaf(Leaf::Flag(slot)),
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
                            Condition::Leaf(Leaf::Flag(slot)) => {
                                Condition::Leaf(Leaf::Present(slot))
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
            ] => (*slot, Operand::Value, *c, *op, 3),
            [
                Instruction::Slot(slot),
                Instruction::Call(value::Builtin::Domain),
                Instruction::Const(c),
                Instruction::Binary(op),
                ..,
            ] => (*slot, Operand::Domain, *c, *op, 4),
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
        decompile(&program, rule.condition)
    }

    /// The shape of a condition: `T` a test, `F` a flag, `B` a block.
    fn shape(c: &Condition) -> String {
        let list = |parts: &[Condition], op: &str| {
            let inner: Vec<String> = parts.iter().map(shape).collect();
            format!("({})", inner.join(op))
        };
        match c {
            Condition::Leaf(Leaf::Test(_)) => "T".to_owned(),
            Condition::Leaf(Leaf::Flag(_)) => "F".to_owned(),
            Condition::Leaf(Leaf::Present(_)) => "P".to_owned(),
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
        assert!(matches!(decompile(&crossed, block), Condition::Block(b) if b == block));
    }
}
