//! Rule indexing: the plan's lowering of the rules' condition trees for `first match`
//! (and the rule scans of the other hit policies) so that the cost per record
//! does not grow with every rule.
//!
//! A rule's *guards* are the tests its condition begins with, `slot = const`,
//! `slot in [consts]` or `slot < const` (any order comparison of an int slot),
//! each joined by `and` so that a false guard makes the whole condition false.
//! Such tests cannot fail on a value of their type, so when a guard is false
//! the rule can only be false: it need not be evaluated. For each slot that
//! guards enough rules, the index keeps a table from the slot's value to the
//! rules that may hold — equality guards by value, order guards by sorted
//! bounds — as bit sets in file order, where rules without a guard on the
//! slot are always present. A record's candidates are the intersection of its
//! slots' sets. A slot whose value has another type than its guards (a
//! missing value, say) falls back to evaluating every rule, as plain
//! evaluation would, errors included.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::bytecode::value::{Op, Value};
use crate::vm::plan::test::Test;
use crate::vm::plan::tree::{Condition, Leaf};

/// Fewer guarded rules than this are not worth a table.
const MIN_GUARDED: usize = 4;
/// At most this many slots get a table.
const MAX_TABLES: usize = 4;

/// A value an equality table can be keyed by.
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

/// The kind of a key, so that a value of another kind is never looked up.
fn same_kind(a: &Key, b: &Key) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Rules as a bit set in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RuleSet(Box<[u64]>);

impl RuleSet {
    fn empty(rules: usize) -> RuleSet {
        RuleSet(vec![0; rules.div_ceil(64)].into_boxed_slice())
    }

    fn insert(&mut self, rule: usize) {
        if let Some(w) = self.0.get_mut(rule / 64) {
            *w |= 1 << (rule % 64);
        }
    }

    fn union(&mut self, other: &RuleSet) {
        for (w, o) in self.0.iter_mut().zip(other.0.iter()) {
            *w |= o;
        }
    }
}

/// One guard: what it says of its slot's value.
#[derive(Clone, Debug)]
enum Guard {
    /// The value is one of these.
    OneOf(Vec<Key>),
    /// The int value is in `lo..=hi`.
    Between(i64, i64),
}

/// The table of one slot.
#[derive(Debug)]
enum Table {
    /// By value; `others` for values no guard names.
    Equal {
        /// Looked up once per record: a fast hash, not a DoS-resistant one
        /// (the keys are the policy's own constants).
        by_value: FxHashMap<Key, RuleSet>,
        others: RuleSet,
        kind: Key,
    },
    /// By sorted bounds: `sets[i]` holds for values in `bounds[i-1]..bounds[i]`
    /// (`sets[0]` below `bounds[0]`, the last one from the last bound up).
    Range {
        bounds: Vec<i64>,
        sets: Vec<RuleSet>,
    },
}

impl Table {
    /// The rules that may hold for `value`, or `None` when the value is not of the
    /// guards' type (every rule must then be evaluated).
    fn lookup(&self, value: &Value) -> Option<&RuleSet> {
        match self {
            Table::Equal {
                by_value,
                others,
                kind,
            } => {
                let k = key(value)?;
                if !same_kind(&k, kind) {
                    return None;
                }
                Some(by_value.get(&k).unwrap_or(others))
            }
            Table::Range { bounds, sets } => {
                let Value::Int(n) = value else { return None };
                let at = bounds.partition_point(|b| b <= n);
                sets.get(at)
            }
        }
    }
}

/// The rules worth evaluating, by the values of the slots that guard them.
#[derive(Debug)]
pub struct RuleIndex {
    tables: Vec<(usize, Table)>,
    rules: usize,
}

/// The candidate rules of one record: the set bits of the tables' sets, in
/// file order, computed a word at a time.
pub struct Candidates<'a> {
    /// The sets of the tables, without allocating: at most [`MAX_TABLES`].
    sets: [Option<&'a RuleSet>; MAX_TABLES],
    word: usize,
    bits: u64,
    words: usize,
}

impl Iterator for Candidates<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        loop {
            if self.bits != 0 {
                let bit = self.bits.trailing_zeros() as usize;
                self.bits &= self.bits - 1;
                return Some((self.word - 1) * 64 + bit);
            }
            if self.word >= self.words {
                return None;
            }
            self.bits = self.sets.iter().flatten().fold(u64::MAX, |acc, s| {
                acc & s.0.get(self.word).copied().unwrap_or(0)
            });
            self.word += 1;
        }
    }
}

impl RuleIndex {
    /// An index for rules with these conditions (in file order), or `None`
    /// when no slot guards enough rules.
    pub fn new(conditions: &[Condition]) -> Option<RuleIndex> {
        let n = conditions.len();
        let guards: Vec<Vec<(u32, Guard)>> = conditions.iter().map(guards).collect();
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for rule in &guards {
            let mut slots: Vec<u32> = rule.iter().map(|(s, _)| *s).collect();
            slots.sort_unstable();
            slots.dedup();
            for s in slots {
                *counts.entry(s).or_default() += 1;
            }
        }
        let mut slots: Vec<(u32, usize)> = counts
            .into_iter()
            .filter(|(_, c)| *c >= MIN_GUARDED)
            .collect();
        slots.sort_by_key(|(s, c)| (std::cmp::Reverse(*c), *s));
        let tables: Vec<(usize, Table)> = slots
            .iter()
            .take(MAX_TABLES)
            .filter_map(|(slot, _)| Some((*slot as usize, table(*slot, &guards, n)?)))
            .collect();
        (!tables.is_empty()).then_some(RuleIndex { tables, rules: n })
    }

    /// The rules that may hold for a record with these slots, in file order;
    /// `None` means every rule.
    pub fn candidates(&self, slots: &[Value]) -> Option<Candidates<'_>> {
        let mut sets = [None; MAX_TABLES];
        for (set, (slot, table)) in sets.iter_mut().zip(&self.tables) {
            *set = Some(table.lookup(slots.get(*slot)?)?);
        }
        Some(Candidates {
            sets,
            word: 0,
            bits: 0,
            words: self.rules.div_ceil(64),
        })
    }
}

/// The table of `slot` over every rule's guards, when its guards agree on one kind.
fn table(slot: u32, guards: &[Vec<(u32, Guard)>], n: usize) -> Option<Table> {
    let on_slot = |rule: &Vec<(u32, Guard)>| -> Vec<Guard> {
        rule.iter()
            .filter(|(s, _)| *s == slot)
            .map(|(_, t)| t.clone())
            .collect()
    };
    let tests: Vec<Vec<Guard>> = guards.iter().map(on_slot).collect();
    let all_equal = tests.iter().flatten().all(|t| matches!(t, Guard::OneOf(_)));
    let all_range = tests
        .iter()
        .flatten()
        .all(|t| matches!(t, Guard::Between(..)));
    if all_equal {
        // A rule with several equality guards on one slot keeps the values in all of them.
        let mut kind = None;
        let mut others = RuleSet::empty(n);
        let mut by_value: FxHashMap<Key, RuleSet> = FxHashMap::default();
        for (i, rule) in tests.iter().enumerate() {
            let mut keys: Option<Vec<Key>> = None;
            for t in rule {
                if let Guard::OneOf(k) = t {
                    keys = Some(match keys {
                        None => k.clone(),
                        Some(prev) => prev.into_iter().filter(|x| k.contains(x)).collect(),
                    });
                }
            }
            if keys.is_none() {
                others.insert(i);
            }
            for k in keys.iter().flatten() {
                match &kind {
                    None => kind = Some(k.clone()),
                    Some(kind) if !same_kind(kind, k) => return None,
                    Some(_) => {}
                }
                by_value
                    .entry(k.clone())
                    .or_insert_with(|| RuleSet::empty(n))
                    .insert(i);
            }
        }
        for set in by_value.values_mut() {
            set.union(&others);
        }
        return Some(Table::Equal {
            by_value,
            others,
            kind: kind?,
        });
    }
    if !all_range {
        return None;
    }
    let intervals: Vec<Option<(i64, i64)>> = tests
        .iter()
        .map(|rule| {
            rule.iter()
                .fold(None, |acc: Option<(i64, i64)>, t| match t {
                    Guard::Between(lo, hi) => Some(match acc {
                        None => (*lo, *hi),
                        Some((a, b)) => (a.max(*lo), b.min(*hi)),
                    }),
                    Guard::OneOf(_) => acc,
                })
        })
        .collect();
    // Segment starts: every lower bound and every upper bound + 1.
    let mut bounds: Vec<i64> = intervals
        .iter()
        .flatten()
        .flat_map(|&(lo, hi)| [Some(lo), hi.checked_add(1)])
        .flatten()
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let segment_start = |at: usize| {
        if at == 0 {
            i64::MIN
        } else {
            bounds.get(at - 1).copied().unwrap_or(i64::MAX)
        }
    };
    let sets = (0..=bounds.len())
        .map(|at| {
            let start = segment_start(at);
            let mut set = RuleSet::empty(n);
            for (i, interval) in intervals.iter().enumerate() {
                match interval {
                    None => set.insert(i),
                    Some((lo, hi)) if *lo <= start && start <= *hi => set.insert(i),
                    Some(_) => {}
                }
            }
            set
        })
        .collect();
    Some(Table::Range { bounds, sets })
}

/// The guards of a condition: the tests of a slot with a constant it begins
/// with, each joined by `and` so that a false test makes the whole condition
/// false.
fn guards(condition: &Condition) -> Vec<(u32, Guard)> {
    let parts = match condition {
        Condition::All(parts) => parts,
        single => std::slice::from_ref(single),
    };
    parts
        .iter()
        .map_while(|part| match part {
            Condition::Leaf(Leaf::Test(test)) => guard(test),
            _ => None,
        })
        .collect()
}

/// `slot OP const` as a guard on the slot's value, if it is one the index keeps.
fn guard(test: &Test) -> Option<(u32, Guard)> {
    let (slot, op, constant) = test.of_slot()?;
    let test = match (op, constant) {
        (Op::Eq, v) => Guard::OneOf(vec![key(v)?]),
        (Op::In, Value::List(items)) => Guard::OneOf(items.iter().map(key).collect::<Option<_>>()?),
        (Op::Lt, Value::Int(k)) => Guard::Between(i64::MIN, k.checked_sub(1)?),
        (Op::Le, Value::Int(k)) => Guard::Between(i64::MIN, *k),
        (Op::Gt, Value::Int(k)) => Guard::Between(k.checked_add(1)?, i64::MAX),
        (Op::Ge, Value::Int(k)) => Guard::Between(*k, i64::MAX),
        _ => return None,
    };
    Some((slot, test))
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    use super::*;
    use crate::bytecode::program::Program;
    use crate::vm::plan::slots_with as slots;

    fn program(rules: &str) -> Program {
        let text = format!("policy p for lead\nuse crm\n{rules}");
        crate::compile_source("p.roe", &text)
            .program
            .expect("compiles")
    }

    /// The index of a program's rules, from their decompiled conditions.
    fn index_of(program: &Program) -> Option<RuleIndex> {
        RuleIndex::new(&crate::vm::plan::decompile::rules(program))
    }

    fn candidates(index: &RuleIndex, slots: &[Value]) -> Option<Vec<usize>> {
        index.candidates(slots).map(Iterator::collect)
    }

    #[test]
    fn guarded_rules_are_found_by_their_value_and_unguarded_ones_always() {
        let p = program(
            "rule a when country = \"DE\" and score > 1 then tag \"a\"\n\
             rule b when country in [\"FR\", \"DE\"] then tag \"b\"\n\
             rule c when segment = smb then tag \"c\"\n\
             rule d when country = \"US\" and score > 1 and score < 9 then tag \"d\"\n\
             rule e when country = \"FR\" then tag \"e\"\n\
             rule f when country = \"JP\" or score > 3 then tag \"f\"\n",
        );
        let index = index_of(&p).expect("five rules are guarded on country");
        let de = slots(
            &p,
            &[("country", Value::str("DE")), ("score", Value::Int(5))],
        );
        assert_eq!(candidates(&index, &de), Some(vec![0, 1, 2, 5]));
        let fr = slots(
            &p,
            &[("country", Value::str("FR")), ("score", Value::Int(5))],
        );
        assert_eq!(candidates(&index, &fr), Some(vec![1, 2, 4, 5]));
        let it = slots(
            &p,
            &[("country", Value::str("IT")), ("score", Value::Int(5))],
        );
        assert_eq!(
            candidates(&index, &it),
            Some(vec![2, 5]),
            "only rules without a guard"
        );
    }

    #[test]
    fn a_test_that_is_not_simple_ends_the_guards() {
        // W2's shape, but `employees is set` first: only `country` guards.
        let mut rules = String::new();
        for (i, (country, lo, hi, industry)) in [
            ("DE", 0, 100, "web"),
            ("DE", 100, 1000, "web"),
            ("DE", 0, 100, "partner"),
            ("FR", 0, 100, "web"),
            ("FR", 100, 1000, "partner"),
        ]
        .iter()
        .enumerate()
        {
            rules.push_str(&format!(
                "rule r{i} when country = \"{country}\" and employees is set and employees >= {lo} and employees < {hi} and source = {industry} then tag \"x\"\n"
            ));
        }
        rules.push_str("rule any when score > 50 then tag \"y\"\n");
        let p = program(&rules);
        let index = index_of(&p).expect("guarded on country");
        // `employees is set` is not a simple test: only `country` guards here.
        let record = slots(
            &p,
            &[
                ("country", Value::str("DE")),
                ("employees", Value::Int(150)),
                ("source", Value::Enum(0)),
            ],
        );
        assert_eq!(candidates(&index, &record), Some(vec![0, 1, 2, 5]));
    }

    #[test]
    fn sorted_bounds_pick_the_band() {
        let mut rules = String::new();
        for (i, (lo, hi)) in [(0, 10), (10, 100), (100, 1000), (50, 60)]
            .iter()
            .enumerate()
        {
            rules.push_str(&format!(
                "rule r{i} when score >= {lo} and score < {hi} and segment = smb then tag \"x\"\n"
            ));
        }
        let p = program(&rules);
        let index = index_of(&p).expect("guarded on score");
        let at = |score: i64| {
            candidates(
                &index,
                &slots(
                    &p,
                    &[("score", Value::Int(score)), ("segment", Value::Enum(0))],
                ),
            )
        };
        assert_eq!(at(-5), Some(vec![]));
        assert_eq!(at(0), Some(vec![0]));
        assert_eq!(at(9), Some(vec![0]));
        assert_eq!(at(10), Some(vec![1]));
        assert_eq!(at(55), Some(vec![1, 3]));
        assert_eq!(at(60), Some(vec![1]));
        assert_eq!(at(999), Some(vec![2]));
        assert_eq!(at(1000), Some(vec![]));
    }

    #[test]
    fn a_value_of_another_type_means_every_rule() {
        let p = program(
            "rule a when country = \"DE\" then tag \"a\"\n\
             rule b when country = \"FR\" then tag \"b\"\n\
             rule c when country = \"US\" then tag \"c\"\n\
             rule d when country = \"JP\" then tag \"d\"\n",
        );
        let index = index_of(&p).expect("guarded on country");
        assert_eq!(
            candidates(&index, &slots(&p, &[])),
            None,
            "a missing country"
        );
        assert_eq!(
            candidates(&index, &slots(&p, &[("country", Value::Int(3))])),
            None
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
        assert!(index_of(&p).is_none());
    }
}
