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

use roe::bytecode::program::Program;
use roe::diagnostics::Diagnostic;

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
    // Every other policy of the test suite that checks (tests/ui holds
    // policies with errors, which have no analysis).
    for dir in [
        "tests/run",
        "tests/spec",
        "tests/policy_tests",
        "tests/roec",
    ] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        policies.extend(
            entries
                .map(|e| e.expect("entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "roe")),
        );
    }
    for path in policies {
        let (compilation, _) = common::compile(&path);
        if compilation.checked.is_none() || compilation.program.is_none() {
            continue;
        }
        let (compilation, program, findings) = analyse(&path);
        for finding in &findings {
            common::check_witness(&compilation, &program, finding);
            checked += usize::from(finding.witness.is_some());
        }
    }
    assert!(checked >= 20, "only {checked} witnesses were checked");
}
