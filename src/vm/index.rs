//! Rule indexing: the VM's lowering of a verified Program for `first match`
//! (and the rule scans of the other hit policies) so that the cost per record
//! does not grow with every rule.
//!
//! A rule is *guarded* on a slot when its condition begins with `slot = const`
//! or `slot in [consts]` and a false guard makes the whole condition false
//! (its `and` jumps lead to the end of the condition). Evaluating such a rule
//! when the guard is false can only give false, and cannot fail: so for the
//! slot that guards the most rules, a table from its value to the rules that
//! may hold (the rules guarded on that value, and every unguarded rule, in
//! file order) gives exactly the rules worth evaluating.

use std::collections::HashMap;
use std::sync::Arc;

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{Block, Program};
use crate::bytecode::value::{Op, Value};

/// Fewer guarded rules than this are not worth a table.
const MIN_GUARDED: usize = 4;

/// A value a table can be keyed by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Str(Arc<str>),
    Int(i64),
    Enum(u32),
    Bool(bool),
}

fn key(v: &Value) -> Option<Key> {
    match v {
        Value::Str(s) => Some(Key::Str(s.clone())),
        Value::Int(n) => Some(Key::Int(*n)),
        Value::Enum(i) => Some(Key::Enum(*i)),
        Value::Bool(b) => Some(Key::Bool(*b)),
        _ => None,
    }
}

/// The rules worth evaluating, by the value of one slot.
#[derive(Debug)]
pub struct RuleIndex {
    slot: usize,
    by_value: HashMap<Key, Vec<usize>>,
    /// For a value no guard names: the unguarded rules only.
    others: Vec<usize>,
}

impl RuleIndex {
    /// An index for `program`, or `None` when too few rules are guarded on one slot.
    pub fn new(program: &Program) -> Option<RuleIndex> {
        let parts = program.parts();
        let guards: Vec<Option<(u32, Vec<Key>)>> = parts
            .rules
            .iter()
            .map(|r| guard(program, r.condition))
            .collect();
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for (slot, _) in guards.iter().flatten() {
            *counts.entry(*slot).or_default() += 1;
        }
        let (&slot, &count) = counts
            .iter()
            .max_by_key(|(slot, count)| (**count, std::cmp::Reverse(**slot)))?;
        if count < MIN_GUARDED {
            return None;
        }
        let guarded = |i: usize| {
            guards[i]
                .as_ref()
                .filter(|(s, _)| *s == slot)
                .map(|(_, keys)| keys)
        };
        let others: Vec<usize> = (0..parts.rules.len())
            .filter(|i| guarded(*i).is_none())
            .collect();
        let mut by_value: HashMap<Key, Vec<usize>> = HashMap::new();
        for i in 0..parts.rules.len() {
            for k in guarded(i).into_iter().flatten() {
                by_value.entry(k.clone()).or_default().push(i);
            }
        }
        for rules in by_value.values_mut() {
            rules.extend(&others);
            rules.sort_unstable();
            rules.dedup();
        }
        Some(RuleIndex {
            slot: slot as usize,
            by_value,
            others,
        })
    }

    /// The rules that may hold for a record with these slots, in file order.
    pub fn candidates(&self, slots: &[Value]) -> &[usize] {
        slots
            .get(self.slot)
            .and_then(key)
            .and_then(|k| self.by_value.get(&k))
            .map_or(&self.others, |rules| rules)
    }
}

/// The guard of a condition: its first test, `slot = const` or `slot in const`,
/// when a false guard makes the whole condition false.
fn guard(program: &Program, block: Block) -> Option<(u32, Vec<Key>)> {
    let parts = program.parts();
    let code = parts.code.get(block.start as usize..block.end as usize)?;
    let (slot, constant, op) = match code {
        [
            Instruction::Slot(s),
            Instruction::Const(c),
            Instruction::Binary(op),
            ..,
        ] => (*s, *c, *op),
        _ => return None,
    };
    let keys: Vec<Key> = match (op, parts.constants.get(constant as usize)?) {
        (Op::Eq, v) => vec![key(v)?],
        (Op::In, Value::List(items)) => items.iter().map(key).collect::<Option<_>>()?,
        _ => return None,
    };
    // The guard is all of the condition, or its false value jumps through
    // `and`s straight to the end.
    let mut at = block.start as usize + 3;
    if at == block.end as usize {
        return Some((slot, keys));
    }
    loop {
        match parts.code.get(at)? {
            Instruction::JumpIfFalseOrPop(target) => {
                at = *target as usize;
                if at == block.end as usize {
                    return Some((slot, keys));
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    use super::*;

    fn program(rules: &str) -> Program {
        let text = format!("policy p for lead\nuse crm\n{rules}");
        crate::compile_source("p.roe", &text)
            .program
            .expect("compiles")
    }

    fn slots_with_country(program: &Program, country: &str) -> Vec<Value> {
        let parts = program.parts();
        parts
            .slots
            .iter()
            .map(|path| {
                if path == &["country"] {
                    Value::str(country)
                } else {
                    Value::Missing
                }
            })
            .collect()
    }

    #[test]
    fn guarded_rules_are_found_by_their_value_and_unguarded_ones_always() {
        let p = program(
            "rule a when country = \"DE\" and score > 1 then tag \"a\"\n\
             rule b when country in [\"FR\", \"DE\"] then tag \"b\"\n\
             rule c when score > 5 then tag \"c\"\n\
             rule d when country = \"US\" and score > 1 and score < 9 then tag \"d\"\n\
             rule e when country = \"FR\" then tag \"e\"\n\
             rule f when country = \"JP\" or score > 3 then tag \"f\"\n",
        );
        let index = RuleIndex::new(&p).expect("four rules are guarded on country");
        assert_eq!(
            index.candidates(&slots_with_country(&p, "DE")),
            [0, 1, 2, 5]
        );
        assert_eq!(
            index.candidates(&slots_with_country(&p, "FR")),
            [1, 2, 4, 5]
        );
        assert_eq!(
            index.candidates(&slots_with_country(&p, "IT")),
            [2, 5],
            "only rules without a guard"
        );
    }

    #[test]
    fn a_guard_under_or_is_no_guard() {
        let p = program(
            "rule a when (country = \"DE\" and score > 1) or score > 90 then tag \"a\"\n\
             rule b when (country = \"FR\" and score > 1) or score > 90 then tag \"b\"\n\
             rule c when (country = \"US\" and score > 1) or score > 90 then tag \"c\"\n\
             rule d when (country = \"JP\" and score > 1) or score > 90 then tag \"d\"\n",
        );
        assert!(RuleIndex::new(&p).is_none());
    }
}
