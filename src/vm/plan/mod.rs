//! The plan: a verified program lowered once for deciding, the one home of
//! the VM's fast paths. The bytecode is the program and its interpreter the
//! reference semantics; a plan adds, by [`PlanOptions`]:
//!
//! - condition trees (`tree.rs`, read back from the bytecode by
//!   `decompile.rs`): each rule condition and bool let as `and`, `or`, `not`
//!   over tests of a slot against a constant (`test.rs`, the one vocabulary
//!   of a test: slot, operator, constant, shape);
//! - the rule index (`index.rs`), made from the trees' leading tests;
//! - probes (`probe.rs`), the trees that read only slots as compiled Rust;
//! - kept decisions: which rules decide every record alike.
//!
//! Every option gives exactly the interpreter's decisions; a plan with none
//! ([`PlanOptions::INTERPRETED`]) is the interpreter itself. Tests and a
//! fuzz target hold the two to the same decisions.

mod decompile;
mod index;
mod probe;
mod test;
mod tree;

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{ActionTemplate, Block, HitPolicy, Program};
use crate::bytecode::value::Value;
use crate::vm::eval;
pub use probe::Probes;
pub use tree::{Condition, Env};

/// Which of the plan's shortcuts to take. Each gives the interpreter's
/// decisions; they differ only in speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Rule conditions and bool lets as trees of typed tests; without them
    /// every condition is its bytecode block, and neither index nor probes
    /// can be made.
    pub trees: bool,
    /// The rule index, for policies where a field guards enough rules.
    pub index: bool,
    /// Conditions that read only slots compiled to probes.
    pub probes: bool,
    /// One decision kept per rule whose actions read nothing of the record,
    /// shared by every record it decides.
    pub keep_decisions: bool,
}

impl PlanOptions {
    /// Every shortcut: what [`crate::Policy::new`] plans with.
    pub const ALL: PlanOptions = PlanOptions {
        trees: true,
        index: true,
        probes: true,
        keep_decisions: true,
    };

    /// No shortcut: every condition through the bytecode interpreter, in
    /// order, every decision made anew.
    pub const INTERPRETED: PlanOptions = PlanOptions {
        trees: false,
        index: false,
        probes: false,
        keep_decisions: false,
    };
}

impl Default for PlanOptions {
    fn default() -> PlanOptions {
        PlanOptions::ALL
    }
}

/// A program lowered for deciding: its rules as condition trees and probes,
/// maybe indexed, with what a VM may keep between records.
#[derive(Debug)]
pub struct Plan {
    /// The options the plan was made with, less those the program could
    /// not take (see [`fuel_suffices`]).
    options: PlanOptions,
    /// Each rule's condition, as a tree of tests where it can be one.
    conditions: Vec<Condition>,
    /// Each let, as a tree where it can be one (none without trees).
    lets: Vec<Condition>,
    /// The rules worth evaluating by the value of one slot, when a table pays.
    index: Option<index::RuleIndex>,
    /// Each rule's condition compiled, where it reads only slots.
    probes: Option<Probes>,
    /// Whether the probes find the first rule that holds on their own: under
    /// first match, without an index.
    probes_find_first: bool,
    /// Whether the probes find every rule that holds on their own: under
    /// `all match` and `unique match`, without an index, each of at most 64
    /// rules probed.
    probes_find_all: bool,
    /// Which rules' decisions (and last, `otherwise`'s) may be kept: those
    /// whose actions read nothing of the record.
    keeps: Vec<bool>,
}

impl Plan {
    /// `program` planned with `options`. Shortcuts spend no fuel, so a
    /// program some record could run out of fuel on gets none.
    pub fn new(program: &Program, options: PlanOptions) -> Plan {
        let options = match fuel_suffices(program) {
            true => PlanOptions {
                index: options.trees && options.index,
                probes: options.trees && options.probes,
                ..options
            },
            false => PlanOptions::INTERPRETED,
        };
        let parts = program.parts();
        let conditions: Vec<Condition> = match options.trees {
            true => decompile::rules(program),
            false => parts
                .rules
                .iter()
                .map(|r| Condition::Block(r.condition))
                .collect(),
        };
        let index = options
            .index
            .then(|| index::RuleIndex::new(&conditions))
            .flatten();
        let probes = options.probes.then(|| Probes::new(&conditions)).flatten();
        Plan {
            options,
            probes_find_first: parts.hit_policy == HitPolicy::First && index.is_none(),
            probes_find_all: parts.hit_policy != HitPolicy::First
                && index.is_none()
                && parts.rules.len() <= 64
                && probes.as_ref().is_some_and(Probes::complete),
            lets: match options.trees {
                true => decompile::lets(program),
                false => Vec::new(),
            },
            keeps: match options.keep_decisions {
                true => reads_record(program).into_iter().map(|r| !r).collect(),
                false => vec![false; parts.rules.len() + 1],
            },
            conditions,
            index,
            probes,
        }
    }

    /// The options the plan was made with, less those the program could not take.
    pub fn options(&self) -> PlanOptions {
        self.options
    }

    /// Each rule's condition, in file order.
    pub(crate) fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Each bool let's tree, by index (empty without trees).
    pub(crate) fn lets(&self) -> &[Condition] {
        &self.lets
    }

    /// The probes, when the plan has them.
    pub(crate) fn probes(&self) -> Option<&Probes> {
        self.probes.as_ref()
    }

    /// The probes, when they find the first rule that holds on their own.
    #[inline]
    pub(crate) fn first_probes(&self) -> Option<&Probes> {
        self.probes.as_ref().filter(|_| self.probes_find_first)
    }

    /// The probes, when they find every rule that holds on their own.
    #[inline]
    pub(crate) fn all_probes(&self) -> Option<&Probes> {
        self.probes.as_ref().filter(|_| self.probes_find_all)
    }

    /// The rules from `from` on that may hold for a record with these
    /// slots, in file order; `None` means every rule.
    pub(crate) fn candidates<'a>(
        &'a self,
        slots: &[Value],
    ) -> Option<impl Iterator<Item = usize> + 'a> {
        self.index.as_ref()?.candidates(slots)
    }

    /// Whether the decision of rule `at` (`otherwise` past the last rule)
    /// may be kept for every record it decides.
    pub(crate) fn keeps(&self, at: usize) -> bool {
        self.keeps.get(at) == Some(&true)
    }
}

/// Whether each rule's actions, and last `otherwise`'s, read the record
/// (a field or a let, or an SLO that counts from a field); actions that do
/// not decide every record alike.
fn reads_record(program: &Program) -> Vec<bool> {
    let parts = program.parts();
    let reads = |templates: &[ActionTemplate]| {
        let anchored = templates
            .iter()
            .any(|t| t.slo().is_some_and(|s| s.anchor.is_some()));
        anchored
            || templates.iter().filter_map(ActionTemplate::block).any(|b| {
                parts
                    .code
                    .get(b.start as usize..b.end as usize)
                    .is_none_or(|code| {
                        code.iter()
                            .any(|i| matches!(i, Instruction::Slot(_) | Instruction::Let(_)))
                    })
            })
    };
    parts
        .rules
        .iter()
        .map(|r| reads(&r.actions))
        .chain([parts.otherwise.as_deref().is_some_and(reads)])
        .collect()
}

/// Whether no record can run out of fuel: every block one record may run
/// (each rule condition, let and action operand, each at most once per
/// record) together are shorter than a record's fuel. Only then may a plan
/// take shortcuts, which spend none. A compiled program's blocks are
/// disjoint, so this is its length; a hand-made `.roec` may share one block
/// among rules.
fn fuel_suffices(program: &Program) -> bool {
    runnable_per_record(program) < eval::FUEL_PER_RECORD
}

/// The instructions of every block one record may run, a shared block once
/// per use.
fn runnable_per_record(program: &Program) -> u64 {
    let parts = program.parts();
    let len = |b: Block| u64::from(b.end.saturating_sub(b.start));
    let actions = |templates: &[ActionTemplate]| -> u64 {
        templates
            .iter()
            .filter_map(ActionTemplate::block)
            .map(len)
            .sum()
    };
    let rules: u64 = parts
        .rules
        .iter()
        .map(|r| len(r.condition) + actions(&r.actions))
        .sum();
    let lets: u64 = parts.lets.iter().map(|l| len(l.block)).sum();
    let otherwise = parts.otherwise.as_deref().map_or(0, actions);
    rules + lets + otherwise
}

/// The slots of a record with the given top-level fields, every other slot
/// missing: records for the plan's unit tests.
#[cfg(all(test, feature = "compiler"))]
fn slots_with(program: &Program, fields: &[(&str, Value)]) -> Vec<Value> {
    program
        .parts()
        .slots
        .iter()
        .map(|path| {
            fields
                .iter()
                .find(|(name, _)| path.len() == 1 && path[0] == *name)
                .map_or(Value::Missing, |(_, v)| v.clone())
        })
        .collect()
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    use super::*;

    /// A hand-made `.roec` may give many rules one block: each use counts,
    /// since the interpreter spends fuel on each.
    #[test]
    fn blocks_count_once_per_use_against_the_fuel() {
        let text = "policy p for lead\nuse crm\nlet hot = score > 60\n\
                    rule a when hot and segment = smb then tag \"a\"\n\
                    rule b when score = 1 then drop \"b\"\n\
                    otherwise tag \"c\"\n";
        let program = crate::compile_source("p.roe", text)
            .program
            .expect("compiles");
        // Conditions (5 + 3), the let (3), three action operands (1 each).
        assert_eq!(runnable_per_record(&program), 14);
        let mut parts = program.stripped().parts().clone();
        let shared = parts.rules[0].condition;
        parts.rules[1].condition = shared;
        let sharing = Program::new(parts).expect("verifies");
        assert_eq!(runnable_per_record(&sharing), 16);
        assert!(fuel_suffices(&sharing));
    }

    /// Index and probes need trees; the interpreted plan has none of them.
    #[test]
    fn options_without_trees_take_no_index_or_probes() {
        let text = "policy p for lead\nuse crm\nrule a when score > 1 then tag \"a\"\n";
        let program = crate::compile_source("p.roe", text)
            .program
            .expect("compiles");
        let no_trees = PlanOptions {
            trees: false,
            ..PlanOptions::ALL
        };
        let plan = Plan::new(&program, no_trees);
        assert_eq!(
            plan.options(),
            PlanOptions {
                keep_decisions: true,
                ..PlanOptions::INTERPRETED
            }
        );
        assert!(plan.probes().is_none() && plan.lets().is_empty());
        assert!(matches!(plan.conditions(), [Condition::Block(_)]));
        let all = Plan::new(&program, PlanOptions::ALL);
        assert!(all.probes().is_some() && all.keeps(0) && all.keeps(1));
        assert!(!Plan::new(&program, PlanOptions::INTERPRETED).keeps(0));
    }

    /// A chain of lets deeper than the interpreter allows stops with the same
    /// error with and without trees, on a worker thread's stack; one within
    /// the limit decides alike.
    #[test]
    fn chains_of_lets_stop_at_the_same_depth_with_and_without_trees() {
        let run = || {
            for (n, too_deep) in [(250, false), (300, true)] {
                let mut text = "policy p for lead\nuse crm\n".to_owned();
                for i in 0..n {
                    text.push_str(&format!("let l{i} = not l{}\n", i + 1));
                }
                text.push_str(&format!(
                    "let l{n} = score > 5\nrule r when l0 then tag \"r\"\n"
                ));
                let program = crate::compile_source("p.roe", &text)
                    .program
                    .expect("compiles");
                let now = jiff::Timestamp::UNIX_EPOCH;
                let lead = serde_json::json!({"id":"L","email":"a@b.example","country":"DE","segment":"smb","source":"web","status":"raw","score":9,"created_at":"2026-11-30T09:00:00Z","do_not_route":false});
                let planned = crate::vm::Policy::new(program.clone());
                let interpreted =
                    crate::vm::Policy::with_options(program, PlanOptions::INTERPRETED);
                let trees = planned.vm(now).decide(&lead);
                let plain = interpreted.vm(now).decide(&lead);
                assert_eq!(trees, plain, "{n} lets");
                match trees {
                    Err(e) => assert!(
                        too_deep && e.code == crate::diagnostics::codes::RUNTIME_FUEL,
                        "{e:?}"
                    ),
                    Ok(_) => assert!(!too_deep),
                }
            }
        };
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(run)
            .expect("a thread")
            .join()
            .expect("no overflow, no failure");
    }
}
