//! The contract's own policies and every shipped example check clean, and the
//! examples still produce the decisions committed beside them.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::path::Path;

fn roe_files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the directory exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "roe"))
        .collect();
    files.sort();
    files
}

/// Compiles `file`, failing with the rendered diagnostics unless there are none.
fn checks_clean(file: &std::path::Path) -> roe::Compilation {
    let (compilation, rendered) = common::compile(file);
    assert!(
        compilation.diagnostics.is_empty(),
        "{}:\n{rendered}",
        file.display()
    );
    compilation
}

#[test]
fn language_reference_policies_check_clean() {
    let files = roe_files("tests/spec");
    assert!(
        files.len() >= 3,
        "the three complete policies of LANGUAGE.md"
    );
    for file in files {
        checks_clean(&file);
    }
}

#[test]
fn examples_check_clean() {
    let files = roe_files("examples");
    assert!(files.len() >= 3);
    for file in files {
        let compilation = checks_clean(&file);
        assert!(
            compilation.program.is_some(),
            "{} is a policy",
            file.display()
        );
    }
}

/// Each example names its records and its decisions in a `# records:` line;
/// the decisions file is what `roe run` printed at the `# now:` instant.
#[test]
fn examples_produce_their_committed_decisions() {
    for file in roe_files("examples") {
        let source = std::fs::read_to_string(&file).expect("readable");
        let field = |key: &str| {
            source
                .lines()
                .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
                .unwrap_or_else(|| panic!("{} has no `# {key}:` line", file.display()))
                .trim()
                .to_owned()
        };
        let records = Path::new("examples").join(field("records"));
        let decisions = Path::new("examples").join(field("decisions"));
        let now: jiff::Timestamp = field("now").parse().expect("an instant");
        let (compilation, _) = common::compile(&file);
        let program = compilation.program.expect("compiles");
        let lines = common::decide_file_at(&program, &records, now);
        let expected = std::fs::read_to_string(&decisions).expect("the decisions file exists");
        let expected: Vec<&str> = expected.lines().collect();
        assert_eq!(
            lines,
            expected,
            "{} no longer produces {}",
            file.display(),
            decisions.display()
        );
        let total = std::fs::read_to_string(&records).expect("readable");
        assert!(
            lines.len() >= 50,
            "{} has at least 50 records ({} in {})",
            file.display(),
            lines.len(),
            total.len()
        );
    }
}

/// A snapshot whose input file is gone is stale; fail instead of keeping it.
#[test]
fn no_stale_snapshots() {
    for entry in std::fs::read_dir("tests/snapshots").expect("snapshots exist") {
        let path = entry.expect("readable").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        // Pending `.snap.new` files are insta's, not ours to judge.
        if !name.ends_with(".snap") {
            continue;
        }
        let Some((suite, rest)) = name.split_once("__") else {
            continue;
        };
        let Some((_, input)) = rest.split_once('@') else {
            continue;
        };
        let input = input.trim_end_matches(".snap");
        let dir = match suite {
            "ui" => "tests/ui",
            "run" | "disasm" | "explain" => "tests/run",
            "lint" => "tests/lint",
            other => panic!("unknown snapshot suite `{other}` in {name}"),
        };
        assert!(
            Path::new(dir).join(input).exists(),
            "{name} belongs to {dir}/{input}, which no longer exists: delete the snapshot"
        );
    }
}

/// The README's tour: its policy reports exactly the two mistakes it shows,
/// and the fixes it describes make the policy clean.
#[test]
fn readme_tour_policy_behaves_as_described() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let policy = readme
        .split("```roe\n")
        .nth(2)
        .and_then(|b| b.split("```").next())
        .expect("the tour's policy is the README's second roe block");
    let compilation = roe::compile_source("inbound.roe", policy);
    let codes: Vec<&str> = compilation.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E1003", "E2010"]);
    let rendered =
        roe::diagnostics::render::human(&compilation.sources, &compilation.diagnostics, false);
    for line in rendered
        .lines()
        .filter(|l| l.contains("Error") || l.contains("Help"))
    {
        assert!(
            readme.contains(line.trim_end()),
            "the README no longer shows `{line}`"
        );
    }
    let fixed = policy
        .replace("scroe", "score")
        .replace("employees >= 200", "employees is set and employees >= 200");
    assert!(
        roe::compile_source("inbound.roe", &fixed)
            .diagnostics
            .is_empty()
    );
}

/// `stdlib/crm.roe` declares every type and field of LANGUAGE.md §11, with the
/// same names and types (it may add more, never change these).
#[test]
fn shipped_crm_schema_contains_the_contract_schema() {
    fn declarations(text: &str) -> Vec<(String, String)> {
        let mut current = String::new();
        let mut out = Vec::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if line.starts_with("enum ") {
                out.push((line.to_owned(), String::new()));
            } else if let Some(name) = line.strip_prefix("record ") {
                current = name.to_owned();
            } else {
                let normalised: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
                out.push((current.clone(), normalised));
            }
        }
        out
    }
    let contract = std::fs::read_to_string("tests/spec/crm_schema.roe").expect("the §11 schema");
    let shipped = std::fs::read_to_string("stdlib/crm.roe").expect("the shipped schema");
    let shipped = declarations(&shipped);
    let wanted = declarations(&contract);
    assert_eq!(
        wanted.len(),
        50,
        "5 enums and the 45 fields of account, lead and opportunity"
    );
    for declaration in wanted {
        assert!(
            shipped.contains(&declaration),
            "stdlib/crm.roe lacks {declaration:?}"
        );
    }
}

/// The README's test file passes against the tour's fixed policy.
#[test]
fn readme_tour_tests_pass() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let block = |n: usize| {
        readme
            .split("```roe\n")
            .nth(n)
            .and_then(|b| b.split("```").next())
            .expect("a roe block")
            .to_owned()
    };
    let policy = block(2)
        .replace("scroe", "score")
        .replace("employees >= 200", "employees is set and employees >= 200");
    let tests = block(3);
    assert!(tests.starts_with("tests for \"inbound.roe\""));
    let dir = std::env::temp_dir().join(format!("roe-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("inbound.roe"), policy).expect("write");
    std::fs::write(dir.join("inbound.test.roe"), tests).expect("write");
    let compilation = roe::compile_with_tests(&dir.join("inbound.roe")).expect("readable");
    assert!(
        compilation.diagnostics.is_empty(),
        "{:?}",
        compilation.diagnostics
    );
    let program = compilation.program.expect("compiles");
    let (outcomes, coverage) = roe::policy_tests::run(
        &roe::Policy::new(program.clone()),
        &compilation.tests,
        "2026-11-30T10:00:00Z".parse().expect("an instant"),
    );
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes[0].passed(), "{:?}", outcomes[0].failures);
    assert!(readme.contains(&format!("coverage {:.1}%", coverage.percent())));
}
