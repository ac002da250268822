//! `roe check FILE...`: parse and type-check.

use std::path::PathBuf;

use roe::diagnostics::has_errors;

use super::{Format, UsageError, output, status};

/// Arguments of `roe check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Policy or library files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Checks every file; exit 1 if any has errors.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let mut compilations = Vec::new();
    for file in &args.files {
        compilations.push(super::compile_with_tests(file)?);
    }
    let mut failed = false;
    if args.format == Format::Json {
        let groups: Vec<_> = compilations
            .iter()
            .map(|c| (&c.sources, c.diagnostics.as_slice()))
            .collect();
        failed = compilations.iter().any(|c| has_errors(&c.diagnostics));
        output::stdout_line(&roe::diagnostics::render::json_many(&groups));
    } else {
        let mut every = Vec::new();
        for (file, c) in args.files.iter().zip(&compilations) {
            output::diagnostics(args.format, &c.sources, &c.diagnostics);
            failed |= has_errors(&c.diagnostics);
            every.extend(c.diagnostics.iter().cloned());
            if c.diagnostics.is_empty() {
                let kind = if c.program.is_some() {
                    "policy"
                } else {
                    "library"
                };
                output::error_line(&format!("{}: ok ({kind})", file.display()));
            }
        }
        output::summary(args.format, &every);
    }
    Ok(if failed { status::POLICY } else { status::OK })
}
