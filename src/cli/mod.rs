//! Command-line parsing (clap) and the exit statuses of LANGUAGE.md §9:
//! 0 success, 1 policy errors, 2 usage or I/O errors, 3 some records failed.

mod build;
mod check;
mod diff;
mod disasm;
mod explain;
mod ledger;
mod lint;
mod output;
mod roster;
mod run;
#[cfg(feature = "service")]
mod serve;
mod simulate;
mod test;

use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// roe — compile and run Rules of Engagement policies.
///
/// A policy file (`.roe`) says who owns which lead, account or opportunity,
/// how fast someone must respond, and who is escalated to. roe checks it
/// against the CRM schema, compiles it, and decides records with it.
#[derive(Parser, Debug)]
#[command(
    name = "roe",
    version,
    propagate_version = true,
    after_help = "Exit statuses: 0 success (warnings allowed), 1 the policy has errors, \
                  2 usage or I/O errors, 3 some records could not be decided (all still printed).\n\
                  Language reference: docs/language.md; error codes: docs/errors.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and type-check policies; exit 0 when clean or warnings only, 1 on errors.
    Check(check::Args),
    /// Compile a policy to a portable bytecode file (.roec).
    Build(build::Args),
    /// Decide every record with a policy and print one JSON line per record.
    Run(run::Args),
    /// Run the `test` blocks of policies; exit 0 only when all pass.
    Test(test::Args),
    /// Explain, rule by rule and clause by clause, why a record gets its decision.
    Explain(explain::Args),
    /// Find shadowed rules, overlaps, gaps and unused declarations, each with an example record.
    Lint(lint::Args),
    /// Print a readable listing of a compiled policy (.roec) or of a source's compilation.
    Disasm(disasm::Args),
    /// Compare two versions of a policy on records: what changes, who gains and loses.
    Diff(diff::Args),
    /// Assign a batch of records without keeping state, and report per team and member.
    Simulate(simulate::Args),
    /// List who was assigned which record, when and by which rule, from a state file.
    Ledger(ledger::Args),
    /// Keep a roster (user ids, absences) in the assignment state, or print the one kept.
    Roster(roster::Args),
    /// Serve every policy of a folder over HTTP: decisions for other services.
    #[cfg(feature = "service")]
    Serve(serve::Args),
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Drawn for people on stderr, coloured on a terminal.
    #[default]
    Human,
    /// One JSON array on stdout (for `run`, `explain` and `disasm`, its first
    /// line when there are any: decisions and listings follow it).
    Json,
}

/// Exit statuses.
pub mod status {
    /// Everything worked.
    pub const OK: u8 = 0;
    /// The policy has errors.
    pub const POLICY: u8 = 1;
    /// Bad arguments, or files that cannot be read or written.
    pub const USAGE: u8 = 2;
    /// Some records could not be decided.
    pub const RECORDS: u8 = 3;
}

/// A usage or I/O failure: one line on stderr, exit 2.
pub struct UsageError(pub String);

/// Parses the arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return refused(&error),
    };
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Disasm(args) => disasm::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Ledger(args) => ledger::run(&args),
        Command::Roster(args) => roster::run(&args),
        #[cfg(feature = "service")]
        Command::Serve(args) => serve::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(UsageError(message)) => {
            output::error_line(&format!("roe: {message}"));
            ExitCode::from(status::USAGE)
        }
    }
}

/// What clap said of the arguments: `--help` and `--version` print in full;
/// anything else is a usage error, in one line on stderr (exit 2).
fn refused(error: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        // Printing to a closed stdout is not worth a second message.
        let _ = error.print();
        return ExitCode::from(status::OK);
    }
    // Read without assuming UTF-8: a file name may be any bytes.
    let command = std::env::args_os()
        .nth(1)
        .and_then(|arg| arg.into_string().ok())
        .filter(|name| Cli::command().find_subcommand(name).is_some());
    let help = match &command {
        Some(name) => format!("roe {name} --help"),
        None => "roe --help".to_owned(),
    };
    let rendered = error.render().to_string();
    // clap's first paragraph says what is wrong; tips and usage follow it.
    let what: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect();
    let what = what.join(" ");
    let what = what.strip_prefix("error: ").unwrap_or(&what);
    let what = match error.kind() {
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "a command is required: check, build, run, test, explain, lint or disasm"
        }
        _ => what,
    };
    // clap's own suggestion (`--formt` → `--format`), kept in the one line.
    let suggested = [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand]
        .into_iter()
        .find_map(|kind| match error.get(kind) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            Some(ContextValue::Strings(s)) => s.first().cloned(),
            _ => None,
        });
    let suggestion = suggested.map_or(String::new(), |s| format!("; did you mean `{s}`?"));
    output::error_line(&format!("roe: {what}{suggestion} (see `{help}`)"));
    ExitCode::from(status::USAGE)
}

/// Compiles a policy with its tests (a `NAME.test.roe` beside it, or the policy a
/// test file names), or reports why it cannot be read.
pub fn compile_with_tests(path: &Path) -> Result<roe::Compilation, UsageError> {
    roe::compile_with_tests(path)
        .map_err(|problem| UsageError(format!("cannot read `{}`: {problem}", path.display())))
}

/// Compiles a policy source file, or reports why it cannot be read.
pub fn compile(path: &Path) -> Result<roe::Compilation, UsageError> {
    roe::compile_file(path)
        .map_err(|problem| UsageError(format!("cannot read `{}`: {problem}", path.display())))
}
