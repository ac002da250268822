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
                Ok(record) => (record.id.as_ref(), vm.decide(&record.json)),
                Err(e) => (None, Err(e.clone())),
            };
            roe::vm::decision::line(index, id, &outcome)
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
