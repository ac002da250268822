//! Rule conditions as compiled Rust: the plan's lowering of each condition
//! tree that reads only slots (tests, `and`, `or`, `not`) into one value of a
//! type made for its shape, so that checking a rule costs one dynamic call
//! and the inlined tests, as a closure written by hand for it would.
//!
//! A leaf is an [`Is`] over its test's check, each check a type of its own
//! (see `plan/test.rs`), and an `and` or `or` of two leaves is a type generic
//! over both, so the compiler inlines the pair into one function; longer or
//! nested conditions are built from such pieces.
//!
//! A probe answers exactly as the condition's tree does, or not at all:
//! `None` when a slot it reads holds a value of another type than its
//! constant (or a test the tree leaves to the interpreter's operator fails
//! there). It reads the slots in the tree's order and stops where the
//! tree's short-circuits would, so the VM then evaluates that one rule by its
//! tree, which gives the answer or the error of plain evaluation. Probes
//! read nothing but the slots, so a rule with a let or a block has none.

use std::fmt::Debug;

use crate::bytecode::value::Value;
use crate::vm::plan::test::{BoolIs, Check, WithCheck};
use crate::vm::plan::tree::{Condition, Leaf};

/// Every rule's probe, in file order.
#[derive(Debug)]
pub struct Probes {
    rules: Box<[Option<Box<dyn Probe>>]>,
}

impl Probes {
    /// The probes of `conditions`, when at least one rule has one.
    pub fn new(conditions: &[Condition]) -> Option<Probes> {
        let rules: Box<[_]> = conditions.iter().map(probe).collect();
        rules
            .iter()
            .any(Option::is_some)
            .then_some(Probes { rules })
    }

    /// Whether rule `rule` holds for the record in `slots`, when its probe
    /// can tell.
    #[inline]
    pub fn holds(&self, rule: usize, slots: &[Value]) -> Option<bool> {
        self.rules.get(rule)?.as_ref()?.holds(slots)
    }

    /// The first rule that holds for the record in `slots` (the rule count
    /// when none does), or else the first rule whose probe cannot tell.
    #[inline]
    pub fn first_held(&self, slots: &[Value]) -> Result<usize, usize> {
        for (at, rule) in self.rules.iter().enumerate() {
            match rule.as_ref().and_then(|probe| probe.holds(slots)) {
                Some(false) => {}
                Some(true) => return Ok(at),
                None => return Err(at),
            }
        }
        Ok(self.rules.len())
    }

    /// Whether every rule has a probe.
    pub fn complete(&self) -> bool {
        self.rules.iter().all(Option::is_some)
    }

    /// The rules that hold for the record in `slots` as a set of bits (see
    /// `rule_set` in the VM), or `None` when some probe cannot tell or there
    /// are more than 64 rules.
    #[inline]
    pub fn held_set(&self, slots: &[Value]) -> Option<u64> {
        if self.rules.len() > 64 {
            return None;
        }
        let mut set = 0u64;
        for (at, rule) in self.rules.iter().enumerate() {
            if rule.as_ref()?.holds(slots)? {
                set |= 1 << at;
            }
        }
        Some(set)
    }
}

/// A condition that reads only slots, compiled.
trait Probe: Debug + Send + Sync {
    /// Whether it holds, or `None` when the tree must tell: a slot has a
    /// value of another type, or a test the tree leaves to the interpreter's
    /// operator fails.
    fn holds(&self, slots: &[Value]) -> Option<bool>;

    /// The probe's own type, for tests of what a condition compiles to.
    #[cfg(all(test, feature = "compiler"))]
    fn kind(&self) -> &'static str {
        std::any::type_name::<Self>()
    }
}

impl Probe for Box<dyn Probe> {
    #[inline]
    fn holds(&self, slots: &[Value]) -> Option<bool> {
        (**self).holds(slots)
    }

    #[cfg(all(test, feature = "compiler"))]
    fn kind(&self) -> &'static str {
        (**self).kind()
    }
}

/// The probe of a condition, when it reads only slots.
fn probe(condition: &Condition) -> Option<Box<dyn Probe>> {
    match condition {
        Condition::Leaf(leaf) => Some(with_leaf(leaf, true, Alone)),
        Condition::Not(inner) => match &**inner {
            Condition::Leaf(leaf) => Some(with_leaf(leaf, false, Alone)),
            other => Some(Box::new(Negated(probe(other)?))),
        },
        Condition::All(parts) => junction::<false>(parts),
        Condition::Any(parts) => junction::<true>(parts),
        Condition::Let(_) | Condition::Block(_) => None,
    }
}

/// The probe of `and` (`ANY` false) or `or` (`ANY` true) of `parts`, left
/// to right. A pair of leaves is one type, and three or four parts are
/// two such halves; a longer run is a loop over its pairs, so that a probe
/// nests no deeper than twice its tree, whatever a loaded program's runs.
fn junction<const ANY: bool>(parts: &[Condition]) -> Option<Box<dyn Probe>> {
    match parts {
        [] => None,
        [one] => probe(one),
        [a, b] => two::<ANY>(a, b),
        [a, b, rest @ ..] if rest.len() <= 2 => Some(Box::new(Pair::<_, _, ANY>(
            two::<ANY>(a, b)?,
            junction::<ANY>(rest)?,
        ))),
        _ => {
            let pairs = parts.chunks(2).map(|pair| match pair {
                [a, b] => two::<ANY>(a, b),
                _ => junction::<ANY>(pair),
            });
            Some(Box::new(Run::<ANY>(pairs.collect::<Option<_>>()?)))
        }
    }
}

/// The probe of `a and b` (`ANY` false) or `a or b` (`ANY` true).
fn two<const ANY: bool>(a: &Condition, b: &Condition) -> Option<Box<dyn Probe>> {
    match (as_leaf(a), as_leaf(b)) {
        (Some((a, a_holds)), Some(second)) => Some(with_leaf(a, a_holds, Then::<ANY> { second })),
        _ => Some(Box::new(Pair::<_, _, ANY>(probe(a)?, probe(b)?))),
    }
}

/// A leaf, or a negated one, with whether it must hold.
fn as_leaf(condition: &Condition) -> Option<(&Leaf, bool)> {
    match condition {
        Condition::Leaf(leaf) => Some((leaf, true)),
        Condition::Not(inner) => match &**inner {
            Condition::Leaf(leaf) => Some((leaf, false)),
            _ => None,
        },
        _ => None,
    }
}

/// What to make of a leaf's probe once its type is known.
trait Make {
    /// The probe made of `probe`.
    fn make<P: Probe + 'static>(self, probe: P) -> Box<dyn Probe>;
}

/// The probe of `leaf` (negated unless `holds`), handed to `make` as a
/// value of its own type: an [`Is`] of its test's check, where the leaf
/// compares a slot's own value with a prepared check; else the leaf's own code.
fn with_leaf<M: Make>(leaf: &Leaf, holds: bool, make: M) -> Box<dyn Probe> {
    let is = |slot, make| IsOf { slot, holds, make };
    let make = match leaf {
        Leaf::Test(test) => match test.value_shape() {
            Some(shape) => match shape.with_check(is(test.slot(), make)) {
                Ok(probe) => return probe,
                Err(unchecked) => unchecked.make,
            },
            None => make,
        },
        Leaf::Flag(slot) => return is(*slot, make).with(BoolIs::TRUE),
        Leaf::Present(_) => make,
    };
    match holds {
        true => make.make(Other(leaf.clone())),
        false => make.make(Negated(Other(leaf.clone()))),
    }
}

/// A slot and whether its check must hold, with what to make of the [`Is`]
/// once the check's type is known.
struct IsOf<M> {
    slot: u32,
    holds: bool,
    make: M,
}

impl<M: Make> WithCheck for IsOf<M> {
    type Out = Box<dyn Probe>;

    fn with<C: Check>(self, check: C) -> Box<dyn Probe> {
        self.make.make(Is {
            slot: self.slot,
            check: match self.holds {
                true => check,
                false => check.negated(),
            },
        })
    }
}

/// A leaf's probe on its own.
struct Alone;

impl Make for Alone {
    fn make<P: Probe + 'static>(self, probe: P) -> Box<dyn Probe> {
        Box::new(probe)
    }
}

/// The first of two leaves joined by `and` or `or`: makes the second.
struct Then<'a, const ANY: bool> {
    second: (&'a Leaf, bool),
}

impl<const ANY: bool> Make for Then<'_, ANY> {
    fn make<P: Probe + 'static>(self, first: P) -> Box<dyn Probe> {
        let (leaf, holds) = self.second;
        with_leaf(leaf, holds, Joined::<P, ANY>(first))
    }
}

/// The first of two leaves joined, its type known: joins the second.
struct Joined<P, const ANY: bool>(P);

impl<P: Probe + 'static, const ANY: bool> Make for Joined<P, ANY> {
    fn make<Q: Probe + 'static>(self, second: Q) -> Box<dyn Probe> {
        Box::new(Pair::<P, Q, ANY>(self.0, second))
    }
}

/// `a and b` (`ANY` false) or `a or b` (`ANY` true), `b` only when `a`
/// does not decide.
#[derive(Debug)]
struct Pair<P, Q, const ANY: bool>(P, Q);

impl<P: Probe, Q: Probe, const ANY: bool> Probe for Pair<P, Q, ANY> {
    #[inline]
    fn holds(&self, slots: &[Value]) -> Option<bool> {
        if self.0.holds(slots)? == ANY {
            return Some(ANY);
        }
        self.1.holds(slots)
    }
}

/// `and` (`ANY` false) or `or` (`ANY` true) of three or more, in order.
#[derive(Debug)]
struct Run<const ANY: bool>(Box<[Box<dyn Probe>]>);

impl<const ANY: bool> Probe for Run<ANY> {
    #[inline]
    fn holds(&self, slots: &[Value]) -> Option<bool> {
        for part in &self.0 {
            if part.holds(slots)? == ANY {
                return Some(ANY);
            }
        }
        Some(!ANY)
    }
}

/// `not`.
#[derive(Debug)]
struct Negated<P>(P);

impl<P: Probe> Probe for Negated<P> {
    #[inline]
    fn holds(&self, slots: &[Value]) -> Option<bool> {
        self.0.holds(slots).map(|holds| !holds)
    }
}

/// Whether a slot's value passes `check` (negated already where the
/// condition says `not`).
struct Is<C> {
    slot: u32,
    check: C,
}

impl<C: Check> Probe for Is<C> {
    #[inline]
    fn holds(&self, slots: &[Value]) -> Option<bool> {
        self.check.check(slots.get(self.slot as usize)?)
    }
}

impl<C> Debug for Is<C> {
    /// The check's type by its own name, as `IntRange { slot: 2 }`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = std::any::type_name::<C>();
        f.debug_struct(name.rsplit("::").next().unwrap_or(name))
            .field("slot", &self.slot)
            .finish()
    }
}

/// Any other leaf, checked by the tree's own code.
#[derive(Debug)]
struct Other(Leaf);

impl Probe for Other {
    #[inline]
    fn holds(&self, slots: &[Value]) -> Option<bool> {
        self.0.known(slots)
    }
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::bytecode::program::Program;
    use crate::vm::eval::Machine;
    use crate::vm::plan::decompile;
    use crate::vm::plan::slots_with as slots;
    use crate::vm::plan::tree::Env;

    /// Rule conditions of every shape a probe takes, each with the shape (its
    /// kinds and how they nest, as `Debug` shows them) and the type of its
    /// outermost probe; and one condition that has no probe.
    const RULES: [(&str, &str, &str); 19] = [
        ("score > 50", "IntRange", "Is<IntRange>"),
        (
            "score > 50 and segment = large",
            "Pair(IntRange,EnumMask)",
            "Pair<Is<IntRange>, Is<EnumMask>, false>",
        ),
        (
            "not do_not_route and country in [\"DE\", \"FR\"]",
            "Pair(BoolIs,StrSet)",
            "Pair<Is<BoolIs>, Is<StrSet>, false>",
        ),
        (
            "email contains \"vp\" or score <= 10",
            "Pair(Contains,IntRange)",
            "Pair<Is<Contains>, Is<IntRange>, true>",
        ),
        (
            "not score > 50 or not segment = large",
            "Pair(IntRange,EnumMask)",
            "Pair<Is<IntRange>, Is<EnumMask>, true>",
        ),
        ("not email contains \"vp\"", "Contains", "Is<Contains>"),
        (
            "not (score > 5 and segment = smb)",
            "Negated(Pair(IntRange,EnumMask))",
            "Negated<Box<dyn Probe>>",
        ),
        (
            "score > 1 and segment = smb and country = \"DE\" and do_not_route",
            "Pair(Pair(IntRange,EnumMask),Pair(StrSet,BoolIs))",
            "Pair<Box<dyn Probe>, Box<dyn Probe>, false>",
        ),
        (
            "score > 60 or segment = smb or do_not_route",
            "Pair(Pair(IntRange,EnumMask),BoolIs)",
            "Pair<Box<dyn Probe>, Box<dyn Probe>, true>",
        ),
        (
            "score > 1 and segment = smb and country = \"DE\" and do_not_route and email contains \"vp\"",
            "Run([Pair(IntRange,EnumMask),Pair(StrSet,BoolIs),Contains])",
            "Run<false>",
        ),
        (
            "score > 60 or segment = smb or do_not_route or country = \"FR\" or score < 3",
            "Run([Pair(IntRange,EnumMask),Pair(BoolIs,StrSet),IntRange])",
            "Run<true>",
        ),
        (
            "(score > 1 or do_not_route) and (segment = smb or not country = \"DE\")",
            "Pair(Pair(IntRange,BoolIs),Pair(EnumMask,StrSet))",
            "Pair<Box<dyn Probe>, Box<dyn Probe>, false>",
        ),
        (
            "score in [1, 50] and do_not_route = false",
            "Pair(IntSet,BoolIs)",
            "Pair<Is<IntSet>, Is<BoolIs>, false>",
        ),
        (
            "email starts with \"vp\" or email ends with \".example\"",
            "Pair(Affix,Affix)",
            "Pair<Is<Affix>, Is<Affix>, true>",
        ),
        (
            "domain(email) = \"acme.example\" and employees is set",
            "Pair(Other(Test(Test)),Other(Present()))",
            "Pair<Other, Other, false>",
        ),
        (
            "not domain(email) = \"acme.example\"",
            "Negated(Other(Test(Test)))",
            "Negated<Other>",
        ),
        (
            "not (employees is set)",
            "Negated(Other(Present()))",
            "Negated<Other>",
        ),
        (
            "employees is set and employees >= 200",
            "Pair(Other(Present()),IntRange)",
            "Pair<Other, Is<IntRange>, false>",
        ),
        ("hot", "none", "none"),
    ];

    fn program() -> Program {
        let rules: String = RULES
            .iter()
            .enumerate()
            .map(|(i, (c, _, _))| format!("rule r{i} when {c} then tag \"r{i}\"\n"))
            .collect();
        let text = format!("policy p for lead\nuse crm\nlet hot = score > 60\n{rules}");
        crate::compile_source("p.roe", &text)
            .program
            .expect("compiles")
    }

    /// Records over the values each test tells apart, with edges.
    fn records(program: &Program) -> Vec<Vec<Value>> {
        let mut records = Vec::new();
        for score in [0, 5, 10, 11, 50, 51, 61] {
            for segment in 0..3 {
                for country in ["DE", "FR", "US", ""] {
                    for email in ["ana@acme.example", "vp.bo@ACME.example", "noat"] {
                        for employees in [Value::Missing, Value::Int(199), Value::Int(200)] {
                            for do_not_route in [false, true] {
                                records.push(slots(
                                    program,
                                    &[
                                        ("score", Value::Int(score)),
                                        ("segment", Value::Enum(segment)),
                                        ("country", Value::str(country)),
                                        ("email", Value::str(email)),
                                        ("employees", employees.clone()),
                                        ("do_not_route", Value::Bool(do_not_route)),
                                    ],
                                ));
                            }
                        }
                    }
                }
            }
        }
        records
    }

    /// A program's rule conditions and lets as the VM's trees.
    struct Trees<'p> {
        program: &'p Program,
        conditions: Vec<Condition>,
        lets: Vec<Condition>,
    }

    impl Trees<'_> {
        fn of(program: &Program) -> Trees<'_> {
            Trees {
                program,
                conditions: decompile::rules(program),
                lets: decompile::lets(program),
            }
        }

        /// Whether each rule holds for `slots` by its tree (`None`: an error).
        fn holds(&self, slots: &[Value]) -> Vec<Option<bool>> {
            let mut machine = Machine::new(self.program);
            machine.reset();
            let mut env = Env {
                machine: &mut machine,
                program: self.program,
                lets: &self.lets,
                slots,
                now: Timestamp::UNIX_EPOCH,
                depth: 0,
            };
            self.conditions
                .iter()
                .map(|c| c.holds(&mut env).ok())
                .collect()
        }
    }

    /// The probes find the first rule as the trees do: the one that holds,
    /// or the first they cannot tell, where the tree answers or fails.
    fn assert_first_held(probes: &Probes, trees: &[Option<bool>], slots: &[Value]) {
        let first = trees.iter().position(|t| *t != Some(false));
        match (probes.first_held(slots), first) {
            (Ok(found), Some(at)) => assert!(found == at && trees[at] == Some(true)),
            (Ok(found), None) => assert_eq!(found, RULES.len()),
            (Err(untold), Some(at)) => {
                assert!(untold == at && probes.holds(at, slots).is_none())
            }
            (Err(untold), None) => panic!("rule {untold} untold where every tree answers"),
        }
    }

    /// The kinds in a probe's `Debug` text and how they nest, without
    /// their fields or slot numbers (the compiler's to choose).
    fn shape(text: &str) -> String {
        let mut shape = String::new();
        let mut depth = 0;
        for c in text.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ if depth == 0 && c != ' ' && !c.is_ascii_digit() => shape.push(c),
                _ => {}
            }
        }
        shape
    }

    /// A probe's type name without module paths.
    fn kind_name(kind: &str) -> String {
        kind.replace("roe::vm::plan::probe::", "")
            .replace("roe::vm::plan::test::", "")
            .replace("alloc::boxed::", "")
    }

    #[test]
    fn each_check_kind_is_a_type_of_its_own_and_pairs_are_one() {
        let program = program();
        let probes = Probes::new(&decompile::rules(&program)).expect("probes");
        for (rule, (condition, expected_shape, expected_kind)) in probes.rules.iter().zip(RULES) {
            let (shape, kind) = match rule {
                Some(p) => (shape(&format!("{p:?}")), kind_name(p.kind())),
                None => ("none".to_owned(), "none".to_owned()),
            };
            assert_eq!(shape, expected_shape, "{condition}");
            assert_eq!(kind, expected_kind, "{condition}");
        }
    }

    #[test]
    fn probes_answer_as_the_trees_on_every_record_the_trees_answer() {
        let program = program();
        let trees = Trees::of(&program);
        let probes = Probes::new(&trees.conditions).expect("probes");
        for slots in &records(&program) {
            let by_trees = trees.holds(slots);
            for (rule, tree) in by_trees.iter().enumerate() {
                let (condition, _, kind) = RULES[rule];
                let expected = if kind == "none" { None } else { *tree };
                assert_eq!(
                    probes.holds(rule, slots),
                    expected,
                    "`{condition}` on {slots:?}"
                );
            }
            assert_first_held(&probes, &by_trees, slots);
        }
    }

    #[test]
    fn a_slot_of_another_type_leaves_the_rule_to_its_tree() {
        let program = program();
        let trees = Trees::of(&program);
        let probes = Probes::new(&trees.conditions).expect("probes");
        let wrong = [
            ("score", Value::str("50")),
            ("segment", Value::Int(1)),
            ("country", Value::Int(3)),
            ("email", Value::Bool(true)),
            ("do_not_route", Value::Missing),
            ("employees", Value::Number(250.0)),
        ];
        for (field, value) in wrong {
            let at = program
                .parts()
                .slots
                .iter()
                .position(|p| p.len() == 1 && p[0] == field)
                .expect("a slot of the field");
            for mut slots in records(&program) {
                slots[at] = value.clone();
                let by_trees = trees.holds(&slots);
                for (rule, tree) in by_trees.iter().enumerate() {
                    if let Some(holds) = probes.holds(rule, &slots) {
                        let condition = RULES[rule].0;
                        assert_eq!(Some(holds), *tree, "`{condition}`, {field} {value:?}");
                    }
                }
                assert_first_held(&probes, &by_trees, &slots);
            }
        }
    }

    #[test]
    fn a_long_run_of_ands_nests_no_deeper_than_its_tree() {
        // Only a hand-made program has a run this long; the parser bounds
        // nesting. Built and checked on the test thread's small stack.
        let flags = |n: usize| Condition::All(vec![Condition::Leaf(Leaf::Flag(0)); n].into());
        let probes = Probes::new(&[flags(100_000), flags(3)]).expect("probes");
        let long = probes.rules[0].as_ref().expect("a probe");
        assert_eq!(kind_name(long.kind()), "Run<false>");
        let text = format!("{long:?}");
        let mut depth = 0;
        let deepest = text
            .chars()
            .map(|c| {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => depth -= 1,
                    _ => {}
                }
                depth
            })
            .max();
        // Run( [ Pair( BoolIs {
        assert_eq!(deepest, Some(4));
        assert_eq!(probes.holds(0, &[Value::Bool(true)]), Some(true));
        assert_eq!(probes.holds(1, &[Value::Bool(false)]), Some(false));
        assert_eq!(probes.holds(0, &[Value::Int(1)]), None);
        assert_eq!(probes.first_held(&[Value::Bool(false)]), Ok(2));
    }

    #[test]
    fn a_policy_of_lets_and_blocks_has_no_probes() {
        let text = "policy p for lead\nuse crm\nlet hot = score > 60\n\
                    rule a when hot then tag \"a\"\n\
                    rule b when score + 1 > 2 then tag \"b\"\n";
        let program = crate::compile_source("p.roe", text)
            .program
            .expect("compiles");
        assert!(Probes::new(&decompile::rules(&program)).is_none());
    }
}
