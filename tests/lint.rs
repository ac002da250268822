//! Static analysis: each `tests/lint/*.roe` policy with the findings `roe lint`
//! draws for it, uncoloured, in `tests/snapshots/lint__findings@*.snap`; and
//! every example record a finding carries is decided by the VM to check that
//! it shows what the finding claims.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use roe::bytecode::program::{HitPolicy, Program};
use roe::diagnostics::{Diagnostic, codes};
use roe::vm::{Decided, Vm};

/// The policy's findings, and its program (compiled even when `roe check`
/// rejects a `unique match` overlap, so the example can be decided).
fn analyse(path: &std::path::Path) -> (roe::Compilation, Program, Vec<Diagnostic>) {
    let (compilation, _) = common::compile(path);
    let (program, findings) = common::analyse(&compilation);
    (compilation, program, findings)
}

#[test]
fn findings() {
    insta::glob!("lint/*.roe", |path| {
        let source = std::fs::read_to_string(path).expect("readable");
        let (compilation, _, findings) = analyse(path);
        assert!(
            !findings.is_empty(),
            "{} should have findings",
            path.display()
        );
        let rendered = roe::diagnostics::render::human(&compilation.sources, &findings, false);
        let codes: Vec<&str> = findings.iter().map(|d| d.code).collect();
        insta::assert_snapshot!(format!(
            "{source}\n──── codes: {} ────\n{rendered}",
            codes.join(", ")
        ));
    });
}

/// The index of the rule a label points at, by the name under it.
fn rule_at(program: &Program, compilation: &roe::Compilation, span: roe::source::Span) -> usize {
    let name = compilation.sources.snippet(span);
    program
        .parts()
        .rules
        .iter()
        .position(|r| r.name == name)
        .unwrap_or_else(|| panic!("`{name}` is not a rule"))
}

/// Checks one finding's example against the VM.
fn check_witness(compilation: &roe::Compilation, program: &Program, finding: &Diagnostic) {
    let Some(record) = &finding.witness else {
        return;
    };
    let vm_policy = roe::Policy::new(program.clone());
    let mut vm = vm_policy.vm(common::NOW.parse().expect("instant"));
    let decision = vm.decide(record);
    let certain = !finding.message.contains(" may ");
    let policy = program.parts().hit_policy;
    let rule_of = |i: usize| {
        finding
            .labels
            .get(i)
            .map(|l| rule_at(program, compilation, l.span))
    };
    let bound = vm.bind(record).expect("a witness is a valid record");
    let holds = |vm: &mut Vm, i: usize| vm.rule_holds(&bound, i).expect("evaluates");
    let name = |i: usize| program.parts().rules[i].name.clone();
    match (finding.code, policy) {
        (codes::SHADOWED_RULE, _) => {
            let shadowed = rule_of(0).expect("labelled");
            let decided = decision.expect("decided");
            assert_ne!(*decided.decided(), Decided::Rule(Some(name(shadowed))));
            if certain && !finding.notes.iter().any(|n| n.contains("may not match")) {
                assert!(
                    holds(&mut vm, shadowed),
                    "{record} should match the shadowed rule"
                );
                let takers: Vec<Decided> = (1..finding.labels.len())
                    .map(|i| Decided::Rule(Some(name(rule_of(i).expect("labelled")))))
                    .collect();
                assert!(
                    takers.contains(decided.decided()),
                    "{record}: {:?}",
                    decided.decided()
                );
            }
        }
        (codes::OVERLAP, HitPolicy::First) if certain => {
            let first = rule_of(0).expect("labelled");
            let decided = decision.expect("decided");
            assert_eq!(
                *decided.decided(),
                Decided::Rule(Some(name(first))),
                "{record}"
            );
            let below_holds =
                (1..finding.labels.len()).any(|i| holds(&mut vm, rule_of(i).expect("labelled")));
            assert!(below_holds, "{record} should match a rule below");
        }
        (codes::OVERLAP, HitPolicy::Unique) if certain => {
            let error = decision.expect_err("two rules hold");
            assert_eq!(error.code, codes::RUNTIME_NOT_UNIQUE, "{record}");
        }
        (codes::OVERLAP, HitPolicy::All) if certain => {
            let error = decision.expect_err("two owners");
            assert_eq!(error.code, codes::RUNTIME_OWNERSHIP_CONFLICT, "{record}");
        }
        (codes::GAP, HitPolicy::All) if certain => {
            let decided = decision.expect("decided");
            assert!(
                !decided.actions().iter().any(|a| a.action.owns()),
                "{record} should get no owner"
            );
        }
        (codes::GAP, _) if certain => {
            assert_eq!(
                *decision.expect("decided").decided(),
                Decided::Rule(None),
                "{record}"
            );
        }
        _ => {}
    }
}

#[test]
fn every_witness_shows_its_finding() {
    let mut checked = 0;
    let mut policies: Vec<std::path::PathBuf> = std::fs::read_dir("tests/lint")
        .expect("tests/lint")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "roe"))
        .collect();
    policies.extend(
        std::fs::read_dir("examples")
            .expect("examples")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "roe")),
    );
    for path in policies {
        let (compilation, program, findings) = analyse(&path);
        for finding in &findings {
            check_witness(&compilation, &program, finding);
            checked += usize::from(finding.witness.is_some());
        }
    }
    assert!(checked >= 20, "only {checked} witnesses were checked");
}
