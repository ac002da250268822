//! `roe test FILE...`: run the `test` blocks of policies.

use std::path::{Path, PathBuf};

use roe::diagnostics::{Diagnostic, render};
use roe::policy_tests::{self, Coverage, TestOutcome};

use super::{UsageError, output, run, status};

/// Arguments of `roe test`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Policies (their own tests and those in `NAME.test.roe` beside them) or test files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// How to report: for people, as one JSON object, or as JUnit XML for CI.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    format: ReportFormat,
    /// Report, per rule, whether a test made it decide and, per clause, whether
    /// tests saw it both true and false.
    #[arg(long)]
    coverage: bool,
    /// The `now` of tests without `at` (RFC 3339); default: when the run starts.
    #[arg(long, value_name = "TIME", value_parser = run::parse_now)]
    now: Option<jiff::Timestamp>,
    /// Fail when coverage is below this percentage (implies --coverage).
    #[arg(long, value_name = "PCT")]
    min_coverage: Option<f64>,
    /// Pass a policy that has no tests; without it, a FILE with no tests
    /// fails the run (exit 1), so a misnamed test file cannot pass CI.
    #[arg(long)]
    allow_no_tests: bool,
}

/// Report formats of `roe test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    /// Drawn for people.
    Human,
    /// One JSON object on stdout (after the diagnostics of policies with
    /// errors, as one JSON array).
    Json,
    /// JUnit XML on stdout.
    Junit,
}

#[derive(serde::Serialize)]
struct JsonReport<'a> {
    files: Vec<JsonFile<'a>>,
    passed: usize,
    failed: usize,
}

#[derive(serde::Serialize)]
struct JsonFile<'a> {
    file: &'a str,
    tests: Vec<JsonTest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<JsonCoverage<'a>>,
}

#[derive(serde::Serialize)]
struct JsonTest<'a> {
    name: &'a str,
    passed: bool,
    failures: Vec<&'a str>,
    decision: Option<Box<serde_json::value::RawValue>>,
}

#[derive(serde::Serialize)]
struct JsonCoverage<'a> {
    percent: f64,
    rules: &'a [roe::policy_tests::RuleCoverage],
}

struct FileResult {
    file: String,
    outcomes: Vec<TestOutcome>,
    coverage: Coverage,
}

/// Runs every test; exit 0 only when all pass (and coverage suffices).
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let started = args.now.unwrap_or_else(run::run_start);
    let mut results = Vec::new();
    let mut rendered_failures = String::new();
    // Policies with errors, whose diagnostics a JSON report prints first.
    let mut broken_files = Vec::new();
    for file in &args.files {
        let is_compiled =
            std::fs::read(file).is_ok_and(|b| b.starts_with(roe::bytecode::format::MAGIC));
        if is_compiled {
            return Err(UsageError(format!(
                "`{}` is a compiled policy: its tests stay in the source; run `roe test` on the .roe",
                file.display()
            )));
        }
        let compilation = roe::compile_with_tests(file).map_err(|problem| {
            UsageError(format!("cannot read `{}`: {problem}", file.display()))
        })?;
        if compilation.has_errors() {
            if args.format != ReportFormat::Json {
                output::diagnostics(
                    super::Format::Human,
                    &compilation.sources,
                    &compilation.diagnostics,
                );
            }
            broken_files.push(compilation);
            continue;
        }
        let Some(program) = &compilation.program else {
            return Err(UsageError(format!(
                "`{}` has no `policy` header: there is nothing to test",
                file.display()
            )));
        };
        let policy = roe::Policy::new(program.clone());
        let (outcomes, coverage) = policy_tests::run(&policy, &compilation.tests, started);
        let failures: Vec<Diagnostic> = outcomes
            .iter()
            .filter(|o| !o.passed())
            .map(failure_diagnostic)
            .collect();
        rendered_failures.push_str(&render::human(
            &compilation.sources,
            &failures,
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ));
        results.push(FileResult {
            file: file.display().to_string(),
            outcomes,
            coverage,
        });
    }
    let passed: usize = results
        .iter()
        .map(|r| r.outcomes.iter().filter(|o| o.passed()).count())
        .sum();
    let failed: usize = results
        .iter()
        .map(|r| r.outcomes.iter().filter(|o| !o.passed()).count())
        .sum();
    let untested: Vec<String> = if args.allow_no_tests {
        Vec::new()
    } else {
        args.files
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.outcomes.is_empty())
            .map(|(file, _)| no_tests(file))
            .collect()
    };
    let coverage_wanted = args.coverage || args.min_coverage.is_some();
    let too_little = args
        .min_coverage
        .is_some_and(|min| results.iter().any(|r| r.coverage.percent() + 1e-9 < min));
    match args.format {
        ReportFormat::Human => {
            for r in &results {
                output::error_line(&r.file);
                if r.outcomes.is_empty() {
                    output::error_line("  no tests");
                }
                for o in &r.outcomes {
                    output::error_line(&format!(
                        "  {}  {}",
                        if o.passed() { "ok    " } else { "FAILED" },
                        o.name
                    ));
                }
                if coverage_wanted {
                    output::error_line(&coverage_text(&r.coverage));
                }
            }
            if !rendered_failures.is_empty() {
                output::error_line(rendered_failures.trim_end());
            }
            output::error_line(&format!("{passed} passed, {failed} failed"));
            if let (Some(min), true) = (args.min_coverage, too_little) {
                output::error_line(&format!("coverage below the required {min}%"));
            }
        }
        ReportFormat::Json => {
            if !broken_files.is_empty() {
                let groups: Vec<_> = broken_files
                    .iter()
                    .map(|c| (&c.sources, c.diagnostics.as_slice()))
                    .collect();
                output::stdout_line(&roe::diagnostics::render::json_many(&groups));
            }
            let files: Vec<JsonFile> = results
                .iter()
                .map(|r| JsonFile {
                    file: &r.file,
                    tests: r
                        .outcomes
                        .iter()
                        .map(|o| JsonTest {
                            name: &o.name,
                            passed: o.passed(),
                            failures: o.failures.iter().map(|f| f.message.as_str()).collect(),
                            decision: serde_json::value::RawValue::from_string(o.decision.clone())
                                .ok(),
                        })
                        .collect(),
                    coverage: coverage_wanted.then(|| JsonCoverage {
                        percent: r.coverage.percent(),
                        rules: &r.coverage.rules,
                    }),
                })
                .collect();
            let report = JsonReport {
                files,
                passed,
                failed,
            };
            output::stdout_line(&serde_json::to_string(&report).unwrap_or_default());
        }
        ReportFormat::Junit => output::stdout_line(&junit(&results)),
    }
    for line in &untested {
        output::error_line(line);
    }
    Ok(
        if !broken_files.is_empty() || failed > 0 || too_little || !untested.is_empty() {
            status::POLICY
        } else {
            status::OK
        },
    )
}

/// Why `file` has no tests, and the files beside it that may hold them.
fn no_tests(file: &Path) -> String {
    let beside = roe::test_file_beside(file);
    let shown = |p: &Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let misnamed: Vec<String> = roe::misnamed_test_files(file)
        .iter()
        .map(|p| format!("`{}`", shown(p)))
        .collect();
    let hint = match misnamed.as_slice() {
        [] => format!(
            "write `test` blocks in it, or in `{}` beside it",
            shown(&beside)
        ),
        [one] => format!("{one} beside it is not read: name it `{}`", shown(&beside)),
        many => format!(
            "{} beside it are not read: tests are read from `{}`",
            many.join(", "),
            shown(&beside)
        ),
    };
    format!(
        "no tests in `{}`: {hint} (a file with no tests fails `roe test`; --allow-no-tests passes it)",
        file.display()
    )
}

fn failure_diagnostic(outcome: &TestOutcome) -> Diagnostic {
    let mut d = Diagnostic::error(
        "test",
        format!("test `{}` failed", outcome.name),
        outcome.failures.first().map_or(outcome.span, |f| f.span),
    );
    for failure in &outcome.failures {
        d = d.label(failure.span, failure.message.clone());
    }
    d = d.note(format!("the decision: {}", outcome.decision));
    if let Some(explanation) = &outcome.explanation {
        d = d.note(format!("why:\n{}", explanation.trim_end()));
    }
    d
}

fn coverage_text(coverage: &Coverage) -> String {
    let mut out = format!("  coverage {:.1}%", coverage.percent());
    for rule in &coverage.rules {
        out.push_str(&format!(
            "\n    rule {}: {}",
            rule.rule,
            if rule.decided {
                "decided"
            } else {
                "never decided"
            }
        ));
        for clause in &rule.clauses {
            let seen = match (clause.seen_true, clause.seen_false) {
                (true, true) => "true and false",
                (true, false) => "only true",
                (false, true) => "only false",
                (false, false) => "never evaluated",
            };
            out.push_str(&format!("\n      {} — {seen}", clause.clause));
        }
    }
    out
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn junit(results: &[FileResult]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for r in results {
        let failures = r.outcomes.iter().filter(|o| !o.passed()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            xml(&r.file),
            r.outcomes.len()
        ));
        for o in &r.outcomes {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(&r.file),
                xml(&o.name)
            ));
            if o.passed() {
                out.push_str("/>\n");
            } else {
                let message: Vec<&str> = o.failures.iter().map(|f| f.message.as_str()).collect();
                out.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(&message.join("; ")),
                    xml(&o.decision)
                ));
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>");
    out
}
