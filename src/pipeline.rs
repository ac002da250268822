//! The compiler's stages in order: load and parse, check, compile.

use std::path::{Path, PathBuf};

use crate::bytecode::program::Program;
use crate::diagnostics::{self, Diagnostic};
use crate::policy_tests::TestCase;
use crate::source::SourceMap;
use crate::{analysis, check, compile, syntax};

/// The outcome of compiling a policy: its sources, every diagnostic, and the
/// program when there were no errors and the file is a policy (not a library).
#[derive(Debug)]
pub struct Compilation {
    /// Every file read, for rendering diagnostics.
    pub sources: SourceMap,
    /// Every problem found, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The program, when the policy compiled.
    pub program: Option<Program>,
    /// The policy's `test` blocks, ready to run (with the program).
    pub tests: Vec<TestCase>,
    /// The typed policy the program was compiled from, for the analysis.
    pub checked: Option<check::Checked>,
}

impl Compilation {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        diagnostics::has_errors(&self.diagnostics)
    }

    /// The compiled policy, planned for deciding, when it compiled.
    pub fn into_policy(self) -> Option<crate::Policy> {
        self.program.map(crate::Policy::new)
    }
}

/// Compiles policy text; `use "file"` is resolved against the current directory.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let compilation = roe::compile_source(
///     "inbound.roe",
///     "policy inbound for lead\nuse crm\nrule hot when score > 50 then tag \"hot\"",
/// );
/// let policy = compilation.into_policy().ok_or("the policy has errors")?;
/// let mut vm = policy.vm("2026-11-30T10:00:00Z".parse()?);
/// let record = serde_json::json!({
///     "id": "L-1", "email": "a@b.example", "country": "DE", "segment": "smb",
///     "source": "web", "status": "raw", "score": 80,
///     "created_at": "2026-11-30T09:00:00Z", "do_not_route": false
/// });
/// let decision = vm.decide(&record)?;
/// assert_eq!(decision.actions()[0].tag.as_deref(), Some("hot"));
/// # Ok(())
/// # }
/// ```
pub fn compile_source(name: &str, text: &str) -> Compilation {
    compile_text(name, text.to_owned(), None, None)
}

/// Reads a policy together with its tests: `FILE` may be a policy (its tests
/// are the ones in it and in `NAME.test.roe` beside it) or a test file that
/// starts with `tests for "NAME.roe"`.
pub fn compile_with_tests(path: &Path) -> Result<Compilation, String> {
    // A file that cannot be read as text is reported by `compile_file` (E0006 for bytes).
    let Ok(text) = syntax::modules::read_source(path) else {
        return compile_file(path);
    };
    let header = test_file_header(&text);
    let (policy, tests) = match header {
        Some(policy) => (
            path.parent().unwrap_or(Path::new("")).join(policy),
            Some((path.to_path_buf(), text)),
        ),
        None => {
            let sibling = test_file_beside(path);
            let tests = sibling
                .exists()
                .then(|| syntax::modules::read_source(&sibling).map(|t| (sibling, t)))
                .transpose()?;
            (path.to_path_buf(), tests)
        }
    };
    let policy_text = syntax::modules::read_source(&policy)
        .map_err(|e| format!("`{}`: {e}", policy.display()))?;
    let tests = tests.map(|(p, t)| (p.display().to_string(), t));
    Ok(compile_text(
        &policy.display().to_string(),
        policy_text,
        Some(&policy),
        tests,
    ))
}

/// Where the tests of the policy at `path` are read from besides the policy
/// itself: `NAME.test.roe` beside `NAME.roe`.
pub fn test_file_beside(path: &Path) -> PathBuf {
    path.with_extension("test.roe")
}

/// Files beside the policy at `path` that look meant to hold its tests but
/// are not read: `.roe` files whose names hold the policy's name and `test`
/// in any case (`NAME.tests.roe`, `NAME_test.roe`, `test_NAME.roe`,
/// `Name.Test.roe`), other than `NAME.test.roe`. Sorted by name.
pub fn misnamed_test_files(path: &Path) -> Vec<PathBuf> {
    let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().to_lowercase()) else {
        return Vec::new();
    };
    let read = test_file_beside(path);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let lower = name.to_lowercase();
            let near = lower.ends_with(".roe")
                && lower.contains(&stem)
                && lower.contains("test")
                && Some(name.as_str()) != read.file_name().and_then(|n| n.to_str())
                && Some(name.as_str()) != path.file_name().and_then(|n| n.to_str());
            near.then(|| path.with_file_name(name))
        })
        .collect();
    found.sort();
    found
}

/// The policy a test file is for, from its `tests for "NAME.roe"` header.
fn test_file_header(text: &str) -> Option<String> {
    let probe = SourceMap::new().add("probe", "");
    let parsed = syntax::parser::parse(probe, crate::source::without_byte_order_mark(text));
    parsed.items.iter().find_map(|item| match item {
        syntax::ast::Item::TestsFor(policy) => Some(policy.node.clone()),
        _ => None,
    })
}

/// Reads and compiles a policy file and the files it uses.
/// Errors reading the file itself are returned as a sentence.
pub fn compile_file(path: &Path) -> Result<Compilation, String> {
    let bytes = std::fs::read(path).map_err(|e| diagnostics::io::io_problem(&e))?;
    if bytes.len() > syntax::modules::MAX_SOURCE_BYTES {
        return Err(format!(
            "the file is {} bytes; roe reads sources up to {} bytes",
            bytes.len(),
            syntax::modules::MAX_SOURCE_BYTES
        ));
    }
    let name = path.display().to_string();
    match String::from_utf8(bytes) {
        Ok(text) => Ok(compile_text(&name, text, Some(path), None)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let mut sources = SourceMap::new();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let file = sources.add(name, text);
            Ok(Compilation {
                diagnostics: vec![syntax::modules::not_utf8(file, valid)],
                sources,
                program: None,
                tests: Vec::new(),
                checked: None,
            })
        }
    }
}

fn compile_text(
    name: &str,
    text: String,
    path: Option<&Path>,
    tests: Option<(String, String)>,
) -> Compilation {
    let mut sources = SourceMap::new();
    let (mut modules, mut diagnostics) = syntax::modules::load(&mut sources, name, text, path);
    // A test file's fixtures and tests join the policy's own.
    if let Some((test_name, test_text)) = tests {
        let file = sources.add(test_name, test_text);
        let stored = sources
            .get(file)
            .map(|f| f.text.as_str())
            .unwrap_or_default();
        let parsed = syntax::parser::parse(file, stored);
        diagnostics.extend(parsed.diagnostics);
        modules.unparsed_names.extend(parsed.unparsed_names);
        for item in &parsed.items {
            let kept = matches!(
                item,
                syntax::ast::Item::Fixture(_)
                    | syntax::ast::Item::Test(_)
                    | syntax::ast::Item::TestsFor(_)
                    | syntax::ast::Item::Error(_)
            );
            if let (false, Some(span)) = (kept, item.span()) {
                diagnostics.push(
                    Diagnostic::error(
                        diagnostics::codes::RULES_IN_LIBRARY,
                        "a test file holds only fixtures and tests",
                        span,
                    )
                    .label(span, "declare this in the policy itself")
                    .help("move it to the policy file the `tests for` line names"),
                );
            }
        }
        if let Some(root) = modules.modules.first_mut() {
            root.items.extend(parsed.items.into_iter().filter(|item| {
                matches!(
                    item,
                    syntax::ast::Item::Fixture(_) | syntax::ast::Item::Test(_)
                )
            }));
        }
    }
    let (checked, check_diagnostics) = check::check(&sources, &modules);
    diagnostics.extend(check_diagnostics);
    let mut program = None;
    let mut tests = Vec::new();
    let mut kept = None;
    if let Some(checked) = checked
        && !diagnostics::has_errors(&diagnostics)
    {
        match compile::compile(&checked, &sources) {
            Ok(p) => {
                // Two rules that can hold at once break `unique match` for
                // every such record: an error here, not a surprise at run time.
                let overlaps =
                    analysis::unique_overlaps(&checked, &p, &sources, jiff::Timestamp::now());
                let failed = diagnostics::has_errors(&overlaps);
                diagnostics.extend(overlaps);
                if !failed {
                    program = Some(p);
                    tests = crate::policy_tests::test_cases(&checked);
                }
                kept = Some(checked);
            }
            Err(errors) => diagnostics.extend(errors),
        }
    }
    sort(&mut diagnostics);
    Compilation {
        sources,
        diagnostics,
        program,
        tests,
        checked: kept,
    }
}

/// Orders diagnostics by file and position, so output follows the source.
fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| (d.span.file, d.span.start, d.span.end));
}
