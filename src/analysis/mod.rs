//! Static analysis behind `roe lint`: shadowed rules, overlaps, gaps,
//! conditions that never or always hold, unused declarations, hand-offs to
//! nobody and SLOs with no escalation.
//!
//! Conditions become unions of cubes over per-field domains ([`space`],
//! [`condition`]); questions about sets of records become cover questions
//! ([`cover`]), answered without enumerating records; every finding about
//! records carries an example drawn from the region it is about ([`witness`])
//! and decided by the VM. docs/analysis.md states the exact fragment.

pub mod condition;
pub mod cover;
mod declarations;
pub mod domain;
pub mod levels;
mod rules;
mod search;
pub mod space;
pub mod witness;

use jiff::Timestamp;

use crate::bytecode::program::{HitPolicy, Program};
use crate::check::tir::Checked;
use crate::diagnostics::Diagnostic;
use crate::source::SourceMap;
use crate::vm::Policy;
use condition::Translator;
use rules::RuleAnalysis;
use space::Cube;

/// Every finding about a checked policy, in source order, at its default
/// severity. Examples are decided at `now`.
pub fn analyse(
    checked: &Checked,
    program: &Program,
    sources: &SourceMap,
    now: Timestamp,
) -> Vec<Diagnostic> {
    let mut out = with_rules(checked, program, sources, now, |rules| {
        rules.never_and_always();
        let shadowed = rules.shadowed();
        rules.overlaps(&shadowed);
        rules.gaps();
    });
    out.extend(declarations::findings(checked));
    out.sort_by_key(|d| (d.span.file, d.span.start, d.span.end, d.code));
    out
}

/// Under `unique match`, the pairs of rules that can hold for one record:
/// what `roe check` reports of the analysis.
pub fn unique_overlaps(
    checked: &Checked,
    program: &Program,
    sources: &SourceMap,
    now: Timestamp,
) -> Vec<Diagnostic> {
    if checked.hit_policy != HitPolicy::Unique {
        return Vec::new();
    }
    with_rules(checked, program, sources, now, |rules| {
        rules.overlaps(&vec![false; checked.rules.len()]);
    })
}

/// Runs `questions` over the policy's rules and returns what they found.
fn with_rules(
    checked: &Checked,
    program: &Program,
    sources: &SourceMap,
    now: Timestamp,
    questions: impl FnOnce(&mut RuleAnalysis),
) -> Vec<Diagnostic> {
    let (space, conditions) = conditions(checked);
    // Examples are confirmed by the VM that decides records.
    let policy = Policy::new(program.clone());
    let mut rules = RuleAnalysis {
        checked,
        sources,
        space: &space,
        sigs: conditions.iter().map(|c| rules::Sig::of(c)).collect(),
        left: std::cell::Cell::new(rules::TOTAL_BUDGET),
        conditions: &conditions,
        pool: search::Pool::new(&space, &checked.slots, program, now),
        now,
        vm: policy.vm(now),
        out: Vec::new(),
    };
    questions(&mut rules);
    rules.out
}

/// The space of the policy's records and each rule's condition in it.
fn conditions(checked: &Checked) -> (space::Space, Vec<Vec<Cube>>) {
    let mut translator = Translator::new(checked);
    translator.lets_first();
    let conditions = checked
        .rules
        .iter()
        .map(|r| translator.condition(&r.condition))
        .collect();
    (translator.space, conditions)
}
