//! Small policies as one table: the VM's lowering for policies whose rules
//! are mostly conjunctions of tests, such as a typical inbound policy.
//!
//! Each distinct *literal* of the rules — a test of a slot against a
//! constant, a bool slot, `is set` — is evaluated once per record, in a fixed
//! order and without short-circuits, into a bit set of the literals that
//! hold. A rule that is a conjunction of literals and negated literals then
//! holds exactly when its bits are set and its negated bits clear: no
//! per-rule evaluation at all. Any other rule is evaluated by its tree when
//! its turn comes, in file order.
//!
//! Literals are pure, so evaluating one the short-circuits would have skipped
//! changes nothing, unless it fails: when any literal has no value for a
//! record (a slot of another type than its constant, say), the VM decides
//! that record by the trees instead, so errors stay exactly those of plain
//! evaluation.

use crate::bytecode::value::Value;
use crate::vm::condition::{Condition, Literal, Plain};

/// Policies with more distinct literals than this are decided by the trees:
/// evaluating every literal would cost more than the short-circuits save.
const MAX_LITERALS: usize = 32;

/// The rules of a small policy as literals and bit masks.
#[derive(Debug)]
pub struct Matrix {
    /// The literals that are plain checks, each with its bit: evaluated in
    /// one loop of their own per kind, with no dispatch on the literal.
    ints: Vec<(u32, i64, i64, bool, u32)>,
    enums: Vec<(u32, u64, bool, u32)>,
    flags: Vec<(u32, u32)>,
    /// The other literals, with their bits.
    others: Vec<(Literal, u32)>,
    rows: Vec<Row>,
    /// Whether every rule is a conjunction of literals, and at most 64.
    all_literals: bool,
}

/// How one rule is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// Holds exactly when the literals of `yes` hold and those of `no` do not.
    Literals {
        /// Literals that must hold.
        yes: u32,
        /// Literals that must not hold.
        no: u32,
    },
    /// Evaluated by its tree.
    Tree,
}

impl Matrix {
    /// The table of `conditions`, when at least one rule is a conjunction of
    /// literals and the policy has few enough of them.
    pub fn new(conditions: &[Condition]) -> Option<Matrix> {
        let mut literals: Vec<Literal> = Vec::new();
        let mut rows = Vec::with_capacity(conditions.len());
        for condition in conditions {
            let row = match condition.literals() {
                Some(parts) => {
                    let (mut yes, mut no) = (0u32, 0u32);
                    for (literal, holds) in parts {
                        let at = match literals.iter().position(|l| *l == literal) {
                            Some(at) => at,
                            None => {
                                literals.push(literal);
                                literals.len() - 1
                            }
                        };
                        if at >= MAX_LITERALS {
                            return None;
                        }
                        let bit = 1u32 << at;
                        if holds {
                            yes |= bit;
                        } else {
                            no |= bit;
                        }
                    }
                    Row::Literals { yes, no }
                }
                None => Row::Tree,
            };
            rows.push(row);
        }
        if !rows.iter().any(|r| matches!(r, Row::Literals { .. })) {
            return None;
        }
        let (mut ints, mut enums, mut flags, mut others) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (bit, literal) in (0u32..).zip(&literals) {
            match literal.plain() {
                Some(Plain::Ints {
                    slot,
                    lo,
                    hi,
                    inside,
                }) => ints.push((slot, lo, hi, inside, bit)),
                Some(Plain::Enums { slot, mask, inside }) => enums.push((slot, mask, inside, bit)),
                Some(Plain::Flag { slot }) => flags.push((slot, bit)),
                None => others.push((literal.clone(), bit)),
            }
        }
        let all_literals =
            rows.len() <= 64 && rows.iter().all(|r| matches!(r, Row::Literals { .. }));
        Some(Matrix {
            ints,
            enums,
            flags,
            others,
            rows,
            all_literals,
        })
    }

    /// Which literals hold for the record in `slots`, or `None` when one of
    /// them has no value (the record is then decided by the trees).
    #[inline]
    pub fn truth(&self, slots: &[Value]) -> Option<u32> {
        let mut truth = 0u32;
        for &(slot, lo, hi, inside, bit) in &self.ints {
            let Value::Int(x) = slots.get(slot as usize)? else {
                return None;
            };
            truth |= u32::from(((lo <= *x) & (*x <= hi)) == inside) << bit;
        }
        for &(slot, mask, inside, bit) in &self.enums {
            let Value::Enum(k) = slots.get(slot as usize)? else {
                return None;
            };
            let member = mask & 1u64.checked_shl(*k).unwrap_or(0) != 0;
            truth |= u32::from(member == inside) << bit;
        }
        for &(slot, bit) in &self.flags {
            let Value::Bool(b) = slots.get(slot as usize)? else {
                return None;
            };
            truth |= u32::from(*b) << bit;
        }
        for (literal, bit) in &self.others {
            truth |= u32::from(literal.known(slots)?) << bit;
        }
        Some(truth)
    }

    /// How each rule is decided, in file order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The first rule that holds for the record in `slots` (the rule count
    /// when none does), when every rule is a conjunction of literals and
    /// there are at most 64: found with no branch on the record's values.
    /// `None` when the table cannot tell.
    #[inline]
    pub fn first_held(&self, slots: &[Value]) -> Option<usize> {
        if !self.all_literals {
            return None;
        }
        let truth = self.truth(slots)?;
        let mut held = 0u64;
        for (at, row) in (0u32..).zip(&self.rows) {
            held |= u64::from(row.holds(truth)?) << at;
        }
        Some((held.trailing_zeros() as usize).min(self.rows.len()))
    }
}

impl Row {
    /// Whether the rule holds given the literals that do, if that tells.
    #[inline]
    pub fn holds(self, truth: u32) -> Option<bool> {
        match self {
            Row::Literals { yes, no } => Some(truth & yes == yes && truth & no == 0),
            Row::Tree => None,
        }
    }
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    use super::*;
    use crate::bytecode::program::Program;

    fn program(rules: &str) -> Program {
        let text = format!("policy p for lead\nuse crm\nlet hot = score > 60\n{rules}");
        crate::compile_source("p.roe", &text)
            .program
            .expect("compiles")
    }

    fn matrix(program: &Program) -> Option<Matrix> {
        Matrix::new(&Condition::decompile_rules(program))
    }

    #[test]
    fn conjunctions_become_masks_and_shared_literals_one_bit() {
        let p = program(
            "rule a when score > 50 and segment = smb then tag \"a\"\n\
             rule b when not do_not_route and score > 50 then tag \"b\"\n\
             rule c when score > 50 or hot then tag \"c\"\n\
             rule d when employees is set then tag \"d\"\n",
        );
        let m = matrix(&p).expect("a table");
        assert_eq!(
            (m.ints.len(), m.enums.len(), m.flags.len(), m.others.len()),
            (1, 1, 1, 1)
        );
        assert_eq!(
            m.rows(),
            [
                Row::Literals { yes: 0b11, no: 0 },
                Row::Literals {
                    yes: 0b01,
                    no: 0b100
                },
                Row::Tree,
                Row::Literals { yes: 0b1000, no: 0 },
            ]
        );
    }

    #[test]
    fn policies_without_conjunctions_or_with_many_literals_get_no_table() {
        assert!(matrix(&program("rule a when score > 1 or hot then tag \"a\"\n")).is_none());
        let many: String = (0..40)
            .map(|i| format!("rule r{i} when score = {i} then tag \"r\"\n"))
            .collect();
        assert!(matrix(&program(&many)).is_none());
    }
}
