//! `roe lint FILE...`: static analysis — shadowed rules, overlaps, gaps,
//! conditions that never or always hold, unused declarations — each finding
//! about records with an example record.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use roe::analysis::levels::Levels;
use roe::diagnostics::{Diagnostic, has_errors, render, sarif};

use super::{UsageError, output, status};

/// How `roe lint` prints its findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    /// Drawn for people on stderr, coloured on a terminal.
    #[default]
    Human,
    /// One JSON array on stdout: the diagnostics of `roe check --format json`,
    /// each analysis finding about records with a `witness` record.
    Json,
    /// A SARIF 2.1.0 log on stdout, for code scanning.
    Sarif,
}

/// What `--deny` may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Deny {
    /// Every warning fails the lint.
    Warnings,
}

/// Arguments of `roe lint`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Levels per code live in a `roe.toml` beside the policy:\n\n  \
    [lint]\n  W3006 = \"allow\"                       # or: unused = \"allow\"\n  \
    slo-without-escalation = \"warning\"    # off by default\n\n\
    Levels: allow, note, warning, error. Codes and what they find: docs/errors.md; \
    what the analysis proves: docs/analysis.md."
)]
pub struct Args {
    /// Policy files to analyse.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// How to print findings.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    format: LintFormat,
    /// `--deny warnings`: report warnings as errors, so that they fail CI.
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Option<Deny>,
    /// The instant at which example records are decided (RFC 3339); default: now.
    #[arg(long, value_name = "TIME", value_parser = super::run::parse_now)]
    now: Option<Timestamp>,
}

/// Analyses every file; exit 1 if any has errors (after levels and `--deny`).
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let now = args.now.unwrap_or_else(super::run::run_start);
    let mut results = Vec::new();
    for file in &args.files {
        let compilation = super::compile_with_tests(file)?;
        let levels = levels_beside(file)?;
        let findings = findings(&compilation, &levels, args.deny.is_some(), now);
        results.push((compilation, findings));
    }
    let failed = results.iter().any(|(_, d)| has_errors(d));
    let groups: Vec<_> = results
        .iter()
        .map(|(c, d)| (&c.sources, d.as_slice()))
        .collect();
    match args.format {
        LintFormat::Json => output::stdout_line(&render::json_many(&groups)),
        LintFormat::Sarif => output::stdout_line(&sarif::log(&groups)),
        LintFormat::Human => {
            let mut every = Vec::new();
            for (file, (c, d)) in args.files.iter().zip(&results) {
                output::diagnostics(super::Format::Human, &c.sources, d);
                if d.is_empty() {
                    output::error_line(&format!("{}: no findings", file.display()));
                }
                every.extend(d.iter().cloned());
            }
            output::summary(super::Format::Human, &every);
        }
    }
    Ok(if failed { status::POLICY } else { status::OK })
}

/// The compiler's own diagnostics, then the analysis's findings at their levels.
fn findings(
    compilation: &roe::Compilation,
    levels: &Levels,
    deny_warnings: bool,
    now: Timestamp,
) -> Vec<Diagnostic> {
    let mut all = compilation.diagnostics.clone();
    if let (Some(checked), Some(program)) = (&compilation.checked, &compilation.program) {
        all.extend(roe::analysis::analyse(
            checked,
            program,
            &compilation.sources,
            now,
        ));
        // `roe check` already reported the overlaps of `unique match`; the analysis repeats them.
        dedup(&mut all);
    }
    levels.apply(all, deny_warnings)
}

/// Keeps the first of diagnostics with the same code, place and message, in source order.
fn dedup(all: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    all.retain(|d| seen.insert((d.code, d.span, d.message.clone())));
    all.sort_by_key(|d| (d.span.file, d.span.start, d.span.end));
}

/// The levels of the `roe.toml` beside `policy`, if there is one.
fn levels_beside(policy: &Path) -> Result<Levels, UsageError> {
    let config = policy.parent().unwrap_or(Path::new("")).join("roe.toml");
    if !config.exists() {
        return Ok(Levels::default());
    }
    let text = std::fs::read_to_string(&config)
        .map_err(|e| UsageError(format!("cannot read `{}`: {e}", config.display())))?;
    Levels::from_toml(&text)
        .map_err(|problem| UsageError(format!("`{}`: {problem}", config.display())))
}
