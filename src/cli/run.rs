//! `roe run POLICY --records FILE`: one JSON line per record, in input order.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use jiff::Timestamp;
use roe::bytecode::program::Program;
use roe::input::{self, InputFormat};
use roe::vm::{Vm, decision};

use super::{Format, UsageError, output, status};

/// Arguments of `roe run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy: a `.roe` source or a `.roec` compiled file.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// The records to decide; `-` reads standard input and answers each line as it arrives.
    #[arg(long, value_name = "FILE")]
    records: PathBuf,
    /// The evaluation instant (RFC 3339, such as 2026-11-30T10:00:00Z); default: when the run starts.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    now: Option<Timestamp>,
    /// The format of the records; default: from the file's extension (JSON Lines for stdin).
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<FormatArg>,
    /// How to print diagnostics about the policy.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Input formats as the command line names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FormatArg {
    /// One JSON object per line.
    Jsonl,
    /// A JSON array of objects.
    Json,
    /// CSV with a header row.
    Csv,
}

impl From<FormatArg> for InputFormat {
    fn from(f: FormatArg) -> InputFormat {
        match f {
            FormatArg::Jsonl => InputFormat::Jsonl,
            FormatArg::Json => InputFormat::Json,
            FormatArg::Csv => InputFormat::Csv,
        }
    }
}

/// The start of the run, to the whole second, so decisions print tidy instants.
fn run_start() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

fn parse_now(text: &str) -> Result<Timestamp, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not an RFC 3339 instant such as 2026-11-30T10:00:00Z"))
}

/// Loads the policy and decides every record.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let program = match load(args)? {
        Ok(program) => program,
        Err(code) => return Ok(code),
    };
    let now = args.now.unwrap_or_else(run_start);
    let stdin = args.records.as_os_str() == "-";
    let format = match (args.input_format, stdin) {
        (Some(f), _) => InputFormat::from(f),
        (None, true) => InputFormat::Jsonl,
        (None, false) => InputFormat::from_extension(&args.records).ok_or_else(|| {
            UsageError(format!(
                "cannot tell the format of `{}` from its extension; name it .jsonl, .json or .csv, or pass --input-format",
                args.records.display()
            ))
        })?,
    };
    let mut vm = Vm::new(&program, now);
    let mut failed = false;
    let mut index = 0usize;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut emit = |record: input::InputRecord, out: &mut dyn Write| -> std::io::Result<()> {
        let (id, outcome) = match &record {
            Ok(json) => (json.get("id"), vm.decide(json)),
            Err(e) => (None, Err(e.clone())),
        };
        failed |= outcome.is_err();
        let line = decision::line(index, id, &outcome);
        index += 1;
        writeln!(out, "{line}")
    };
    let written = if stdin && format == InputFormat::Jsonl {
        let mut result = Ok(());
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| UsageError(format!("cannot read standard input: {e}")))?;
            if let Some(record) = input::jsonl_line(&line) {
                result = emit(record, &mut out).and_then(|()| out.flush());
                if result.is_err() {
                    break;
                }
            }
        }
        result
    } else {
        let text = read_records(args, stdin)?;
        let parts = program.parts();
        input::read(format, &text, &parts.schema, parts.subject)
            .into_iter()
            .try_for_each(|record| emit(record, &mut out))
    };
    match written.and_then(|()| out.flush()) {
        // The reader went away (`roe run ... | head`): stop quietly.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(UsageError(format!("cannot write the decisions: {e}"))),
        Ok(()) => {}
    }
    Ok(if failed { status::RECORDS } else { status::OK })
}

fn read_records(args: &Args, stdin: bool) -> Result<String, UsageError> {
    let bytes = if stdin {
        let mut buffer = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buffer)
            .map_err(|e| UsageError(format!("cannot read standard input: {e}")))?;
        buffer
    } else {
        std::fs::read(&args.records).map_err(|e| {
            UsageError(format!(
                "cannot read `{}`: {}",
                args.records.display(),
                roe::syntax::modules::io_problem(&e)
            ))
        })?
    };
    String::from_utf8(bytes).map_err(|e| {
        UsageError(format!(
            "`{}` is not UTF-8 text (invalid byte at offset {})",
            args.records.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The program, or the exit status when the policy has errors.
fn load(args: &Args) -> Result<Result<Program, u8>, UsageError> {
    let bytes = std::fs::read(&args.policy).map_err(|e| {
        UsageError(format!(
            "cannot read `{}`: {}",
            args.policy.display(),
            roe::syntax::modules::io_problem(&e)
        ))
    })?;
    if bytes.starts_with(roe::bytecode::format::MAGIC) {
        return Ok(match roe::bytecode::format::decode(&bytes) {
            Ok(program) => Ok(program),
            Err(e) => {
                output::error_line(&format!(
                    "roe: cannot load `{}`: {e}",
                    args.policy.display()
                ));
                Err(status::POLICY)
            }
        });
    }
    let compilation = super::compile(&args.policy)?;
    if compilation.has_errors() {
        output::diagnostics(args.format, &compilation.sources, &compilation.diagnostics);
        output::summary(args.format, &compilation.diagnostics);
        return Ok(Err(status::POLICY));
    }
    // Stdout carries the decisions; warnings go to stderr, as JSON with `--format json`.
    if !compilation.diagnostics.is_empty() {
        match args.format {
            Format::Human => {
                output::diagnostics(args.format, &compilation.sources, &compilation.diagnostics)
            }
            Format::Json => output::error_line(&roe::diagnostics::render::json(
                &compilation.sources,
                &compilation.diagnostics,
            )),
        }
    }
    match compilation.program {
        Some(program) => Ok(Ok(program)),
        None => Err(UsageError(format!(
            "`{}` has no `policy` header: it is a library, and there is nothing to run",
            args.policy.display()
        ))),
    }
}
