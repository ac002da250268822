//! Helpers shared by the integration tests.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};

/// The evaluation instant every test uses.
pub const NOW: &str = "2026-11-30T10:00:00Z";

/// `path` relative to the crate root, so snapshots do not depend on where the clone is.
pub fn relative(path: &Path) -> PathBuf {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Compiles a file by its crate-relative path and renders its diagnostics without colour.
pub fn compile(path: &Path) -> (roe::Compilation, String) {
    let compilation = roe::compile_file(&relative(path)).expect("the test file is readable");
    let rendered =
        roe::diagnostics::render::human(&compilation.sources, &compilation.diagnostics, false);
    (compilation, rendered)
}

/// Decides every record of `records` with `program` at [`NOW`], as output lines.
pub fn decide_file(program: &roe::bytecode::program::Program, records: &Path) -> Vec<String> {
    decide_file_at(program, records, NOW.parse().expect("NOW is an instant"))
}

/// Decides every record of `records` with `program` at `now`, as output lines.
pub fn decide_file_at(
    program: &roe::bytecode::program::Program,
    records: &Path,
    now: jiff::Timestamp,
) -> Vec<String> {
    let text = std::fs::read_to_string(records).expect("the records are readable");
    let format =
        roe::input::InputFormat::from_extension(records).expect("a known record extension");
    let parts = program.parts();
    let policy = roe::Policy::new(program.clone());
    let mut vm = policy.vm(now);
    roe::input::read(format, &text, &parts.schema, parts.subject)
        .into_iter()
        .enumerate()
        .map(|(index, record)| {
            let (id, outcome) = match &record {
                Ok(record) => (vm.id_of(record), vm.decide(&record.json)),
                Err(e) => (None, Err(e.clone())),
            };
            roe::vm::decision::line(index, id.as_ref(), &outcome)
        })
        .collect()
}

/// The program of a policy that checked, and its analysis findings at [`NOW`].
/// The program is compiled from the checked policy, so a `unique match`
/// policy that `roe check` rejects for a proven overlap still has one to
/// decide the examples with.
pub fn analyse(
    compilation: &roe::Compilation,
) -> (
    roe::bytecode::program::Program,
    Vec<roe::diagnostics::Diagnostic>,
) {
    let Some(checked) = compilation.checked.as_ref() else {
        let rendered =
            roe::diagnostics::render::human(&compilation.sources, &compilation.diagnostics, false);
        panic!("the policy does not check:\n{rendered}");
    };
    let program = roe::compile::compile(checked, &compilation.sources).expect("compiles");
    let now = NOW.parse().expect("NOW is an instant");
    let findings = roe::analysis::analyse(checked, &program, &compilation.sources, now);
    (program, findings)
}

/// The index of the rule a label points at, by the name under it.
pub fn rule_at(
    program: &roe::bytecode::program::Program,
    compilation: &roe::Compilation,
    span: roe::source::Span,
) -> usize {
    let name = compilation.sources.snippet(span);
    program
        .parts()
        .rules
        .iter()
        .position(|r| r.name == name)
        .unwrap_or_else(|| panic!("`{name}` is not a rule"))
}

/// Checks one finding's example against the VM: every example printed shows
/// its finding; a finding that only "may" hold prints none and says why.
pub fn check_witness(
    compilation: &roe::Compilation,
    program: &roe::bytecode::program::Program,
    finding: &roe::diagnostics::Diagnostic,
) {
    let unshown = finding.notes.iter().any(|n| n.starts_with("no example: "));
    let Some(record) = &finding.witness else {
        if finding.message.contains(" may ") {
            assert!(
                unshown,
                "`{}` says may but not why: {:?}",
                finding.message, finding.notes
            );
        }
        return;
    };
    assert!(
        !unshown && !finding.message.contains(" may "),
        "`{}` prints an example it does not confirm",
        finding.message
    );
    let vm_policy = roe::Policy::new(program.clone());
    let mut vm = vm_policy.vm(NOW.parse().expect("instant"));
    let decision = vm.decide(record);
    let policy = program.parts().hit_policy;
    let rule_of = |i: usize| {
        finding
            .labels
            .get(i)
            .map(|l| rule_at(program, compilation, l.span))
    };
    let bound = vm.bind(record).expect("a witness is a valid record");
    let holds = |vm: &mut roe::vm::Vm, i: usize| vm.rule_holds(&bound, i).expect("evaluates");
    let name = |i: usize| program.parts().rules[i].name.clone();
    match (finding.code, policy) {
        (roe::diagnostics::codes::SHADOWED_RULE, _) => {
            let shadowed = rule_of(0).expect("labelled");
            let decided = decision.expect("decided");
            assert_ne!(
                *decided.decided(),
                roe::vm::Decided::Rule(Some(name(shadowed)))
            );
            assert!(
                holds(&mut vm, shadowed),
                "{record} should match the shadowed rule"
            );
            let takers: Vec<roe::vm::Decided> = (1..finding.labels.len())
                .map(|i| roe::vm::Decided::Rule(Some(name(rule_of(i).expect("labelled")))))
                .collect();
            assert!(
                takers.contains(decided.decided()),
                "{record}: {:?}",
                decided.decided()
            );
        }
        (roe::diagnostics::codes::OVERLAP, roe::bytecode::program::HitPolicy::First) => {
            let first = rule_of(0).expect("labelled");
            let decided = decision.expect("decided");
            assert_eq!(
                *decided.decided(),
                roe::vm::Decided::Rule(Some(name(first))),
                "{record}"
            );
            let below_holds =
                (1..finding.labels.len()).any(|i| holds(&mut vm, rule_of(i).expect("labelled")));
            assert!(below_holds, "{record} should match a rule below");
        }
        (roe::diagnostics::codes::OVERLAP, roe::bytecode::program::HitPolicy::Unique) => {
            let error = decision.expect_err("two rules hold");
            assert_eq!(
                error.code,
                roe::diagnostics::codes::RUNTIME_NOT_UNIQUE,
                "{record}"
            );
        }
        (roe::diagnostics::codes::OVERLAP, roe::bytecode::program::HitPolicy::All) => {
            let error = decision.expect_err("two owners");
            assert_eq!(
                error.code,
                roe::diagnostics::codes::RUNTIME_OWNERSHIP_CONFLICT,
                "{record}"
            );
        }
        (roe::diagnostics::codes::GAP, roe::bytecode::program::HitPolicy::All) => {
            let decided = decision.expect("decided");
            assert!(
                !decided.actions().iter().any(|a| a.action.owns()),
                "{record} should get no owner"
            );
        }
        (roe::diagnostics::codes::GAP, _) => {
            assert_eq!(
                *decision.expect("decided").decided(),
                roe::vm::Decided::Rule(None),
                "{record}"
            );
        }
        (code, _) => panic!("`{code}` carries an example this test does not check"),
    }
}
