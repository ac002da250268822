//! `roe run POLICY --records FILE`: one JSON line per record, in input order;
//! large files are decided on every core, with a progress bar on a terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use roe::bytecode::program::Program;
use roe::input::{self, InputFormat};
use roe::vm::explain::ExplainError;
use roe::vm::{Vm, decision};

use super::{Format, UsageError, output, status};

/// Arguments of `roe run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy: a `.roe` source or a `.roec` compiled file.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// The records to decide; `-` reads standard input and answers each line as it arrives.
    /// A large file is decided on every core, with a progress bar when stderr is a terminal.
    #[arg(long, value_name = "FILE")]
    records: PathBuf,
    /// The evaluation instant (RFC 3339, such as 2026-11-30T10:00:00Z); default: when the run starts.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    now: Option<Timestamp>,
    /// The format of the records; default: from the file's extension (JSON Lines for stdin).
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<FormatArg>,
    /// Add to each decision a `why`: the rules that decided and the clauses that held
    /// (needs the debug info: a `.roe`, or a `.roec` built without --strip).
    #[arg(long)]
    explain: bool,
    /// How to print diagnostics about the policy.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Add `due_local` and `at_local` to business-time SLOs: the same instants
    /// in the calendar's time zone, with its offset.
    #[arg(long)]
    local_times: bool,
}

/// What every VM of a run is made with.
struct Setup<'p> {
    program: &'p Program,
    now: Timestamp,
    local_times: bool,
}

impl<'p> Setup<'p> {
    /// A VM for one thread of the run.
    fn vm(&self) -> Vm<'p> {
        Vm::new(self.program, self.now).with_local_times(self.local_times)
    }
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
pub fn run_start() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

/// Parses `--now`.
pub fn parse_now(text: &str) -> Result<Timestamp, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not an RFC 3339 instant such as 2026-11-30T10:00:00Z"))
}

/// Loads the policy and decides every record.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let (program, warnings) = match load_policy(&args.policy, args.format)? {
        Ok(loaded) => loaded,
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
    let explain = args.explain;
    if explain && program.parts().debug.is_none() {
        return Err(UsageError(format!(
            "`{}` was built with --strip: --explain needs its debug info",
            args.policy.display()
        )));
    }
    let setup = Setup {
        program: &program,
        now,
        local_times: args.local_times,
    };
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if stdin && format == InputFormat::Jsonl {
        warnings.print();
        let mut vm = setup.vm();
        let mut result = Ok(());
        let mut index = 0;
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| UsageError(format!("cannot read standard input: {e}")))?;
            if !line.trim().is_empty() {
                let (text, error) = line.as_str().decide(&mut vm, index, explain);
                failed |= error;
                index += 1;
                result = writeln!(out, "{text}").and_then(|()| out.flush());
                if result.is_err() {
                    break;
                }
            }
        }
        result
    } else {
        let text = read_records(args, stdin)?;
        warnings.print();
        let decided = if format == InputFormat::Jsonl {
            // Each worker parses its own lines: parsing is most of the work.
            let records: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            decide_all(&setup, &records, explain, &mut out)
        } else {
            let parts = program.parts();
            let records = input::read(format, &text, &parts.schema, parts.subject);
            decide_all(&setup, &records, explain, &mut out)
        };
        let (any_error, written) = decided;
        failed = any_error;
        written
    };
    match written.and_then(|()| out.flush()) {
        // The reader went away (`roe run ... | head`): stop quietly.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(UsageError(format!("cannot write the decisions: {e}"))),
        Ok(()) => {}
    }
    Ok(if failed { status::RECORDS } else { status::OK })
}

/// The output line for one record, and whether it is an error.
fn decide_line(
    vm: &mut Vm<'_>,
    index: usize,
    record: &input::InputRecord,
    explain: bool,
) -> (String, bool) {
    let (id, outcome, why) = match record {
        Ok(json) if explain => match vm.explain(json) {
            Ok((explanation, outcome)) => {
                let why = outcome.as_ref().ok().map(|d| explanation.why(d.decided()));
                (json.get("id"), outcome, why)
            }
            Err(ExplainError::Record(e)) => (json.get("id"), Err(e), None),
            Err(ExplainError::NoDebugInfo) => (json.get("id"), vm.decide(json), None),
        },
        Ok(json) => (json.get("id"), vm.decide(json), None),
        Err(e) => (None, Err(e.clone()), None),
    };
    (
        decision::explained_line(index, id, &outcome, why.as_ref()),
        outcome.is_err(),
    )
}

/// One input record as a worker receives it: a JSONL line it parses itself,
/// or a record read already (JSON arrays and CSV).
trait Record: Sync {
    /// The record's output line, and whether it is an error.
    fn decide(&self, vm: &mut Vm<'_>, index: usize, explain: bool) -> (String, bool);
}

impl Record for &str {
    fn decide(&self, vm: &mut Vm<'_>, index: usize, explain: bool) -> (String, bool) {
        if !explain {
            // Bound straight from the text, without a `Value` in between.
            let (id, outcome) = vm.decide_line(self);
            return (
                decision::line(index, id.as_ref(), &outcome),
                outcome.is_err(),
            );
        }
        // Blank lines were left out before, so every line is a record.
        decide_line(vm, index, &input::jsonl_record(self), explain)
    }
}

impl Record for input::InputRecord {
    fn decide(&self, vm: &mut Vm<'_>, index: usize, explain: bool) -> (String, bool) {
        decide_line(vm, index, self, explain)
    }
}

/// Records below this count are decided on one thread, without a progress bar.
const PARALLEL_FROM: usize = 4_096;

/// Records a worker decides at a time, into one buffer of output lines.
const BLOCK: usize = 2_048;

/// Decides every record and writes its line to `out`, in input order; large
/// inputs are decided on every core, a block of records at a time, each
/// block written as soon as the blocks before it are. Returns whether any
/// record decided is an error (all are, unless writing failed), and how
/// writing went.
fn decide_all<R: Record>(
    setup: &Setup<'_>,
    records: &[R],
    explain: bool,
    out: &mut impl Write,
) -> (bool, std::io::Result<()>) {
    if records.len() < PARALLEL_FROM {
        let mut vm = setup.vm();
        let (text, failed) = decide_block(&mut vm, records, 0, explain);
        return (failed, out.write_all(text.as_bytes()));
    }
    let progress = progress_bar(records.len());
    let progress = progress.as_ref();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let blocks = records.len().div_ceil(BLOCK);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (send, receive) = std::sync::mpsc::sync_channel::<(usize, String, bool)>(threads * 2);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (send, next, stop) = (send.clone(), &next, &stop);
                scope.spawn(move || {
                    let mut vm = setup.vm();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(part) = records.chunks(BLOCK).nth(b) else {
                            break;
                        };
                        let (text, failed) = decide_block(&mut vm, part, b * BLOCK, explain);
                        if let Some(bar) = progress {
                            bar.inc(part.len() as u64);
                        }
                        if send.send((b, text, failed)).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(send);
        let (failed, written) = write_in_order(receive, blocks, records.len(), out);
        if written.is_err() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        // roe does not panic; should a worker fail anyway, its records got error lines.
        for worker in workers {
            let _ = worker.join();
        }
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        (failed, written)
    })
}

/// Writes the blocks arriving on `receive` in block order. Should a block
/// never arrive (its worker failed), each of its records gets an error line.
/// Returns whether any record received is an error, and how writing went.
fn write_in_order(
    receive: std::sync::mpsc::Receiver<(usize, String, bool)>,
    blocks: usize,
    records: usize,
    out: &mut impl Write,
) -> (bool, std::io::Result<()>) {
    let mut order = InOrder {
        out,
        waiting: std::collections::BTreeMap::new(),
        next: 0,
    };
    let mut failed = false;
    for (b, text, block_failed) in receive {
        failed |= block_failed;
        if let Err(e) = order.add(b, text) {
            return (failed, Err(e));
        }
    }
    // Every worker is done: a block still missing was lost with its worker.
    let lost: Vec<usize> = (order.next..blocks)
        .filter(|b| !order.waiting.contains_key(b))
        .collect();
    for b in lost {
        failed = true;
        let lines: String = (b * BLOCK..((b + 1) * BLOCK).min(records))
            .map(|index| {
                let error = roe::vm::RecordError::new(
                    roe::diagnostics::codes::RECORD_MALFORMED,
                    "this record could not be decided",
                );
                decision::line(index, None, &Err(error)) + "\n"
            })
            .collect();
        if let Err(e) = order.add(b, lines) {
            return (failed, Err(e));
        }
    }
    (failed, Ok(()))
}

/// Blocks of output lines, written in block order as they become writable.
struct InOrder<'w, W> {
    out: &'w mut W,
    /// Blocks that came before the ones ahead of them.
    waiting: std::collections::BTreeMap<usize, String>,
    /// The next block to write.
    next: usize,
}

impl<W: Write> InOrder<'_, W> {
    /// Takes block `b` and writes every block that can now be written.
    fn add(&mut self, b: usize, text: String) -> std::io::Result<()> {
        self.waiting.insert(b, text);
        while let Some(text) = self.waiting.remove(&self.next) {
            self.out.write_all(text.as_bytes())?;
            self.next += 1;
        }
        Ok(())
    }
}

/// The lines of `part`, whose first record has index `first`, and whether any is an error.
fn decide_block<R: Record>(
    vm: &mut Vm<'_>,
    part: &[R],
    first: usize,
    explain: bool,
) -> (String, bool) {
    let mut text = String::with_capacity(part.len() * 160);
    let mut failed = false;
    for (i, record) in part.iter().enumerate() {
        let (line, error) = record.decide(vm, first + i, explain);
        text.push_str(&line);
        text.push('\n');
        failed |= error;
    }
    (text, failed)
}

/// A progress bar on stderr for `records` records, when stderr is a terminal.
fn progress_bar(records: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(records as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "deciding {bar:30} {human_pos}/{human_len} records, {eta} left",
    ) {
        bar.set_style(style);
    }
    Some(bar)
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

/// A policy's warnings, printed once the command's own arguments have proved
/// good, so that a usage error stays one line.
pub struct Warnings {
    compilation: Option<roe::Compilation>,
    format: Format,
}

impl Warnings {
    /// Prints them: drawn on stderr, or with `--format json` as one array on
    /// stdout's first line (decisions and explanations are objects, never arrays).
    pub fn print(self) {
        if let Some(c) = self.compilation.filter(|c| !c.diagnostics.is_empty()) {
            output::diagnostics(self.format, &c.sources, &c.diagnostics);
        }
    }
}

/// Loads a `.roec` or compiles a `.roe`: the program and its warnings, or the
/// exit status when the policy has errors (already reported).
pub fn load_policy(
    policy: &Path,
    format: Format,
) -> Result<Result<(Program, Warnings), u8>, UsageError> {
    let bytes = std::fs::read(policy).map_err(|e| {
        UsageError(format!(
            "cannot read `{}`: {}",
            policy.display(),
            roe::syntax::modules::io_problem(&e)
        ))
    })?;
    if bytes.starts_with(roe::bytecode::format::MAGIC) {
        let none = Warnings {
            compilation: None,
            format,
        };
        return Ok(match roe::bytecode::format::decode(&bytes) {
            Ok(program) => Ok((program, none)),
            Err(e) => {
                output::error_line(&format!("roe: cannot load `{}`: {e}", policy.display()));
                Err(status::POLICY)
            }
        });
    }
    let mut compilation = super::compile(policy)?;
    if compilation.has_errors() {
        output::diagnostics(format, &compilation.sources, &compilation.diagnostics);
        output::summary(format, &compilation.diagnostics);
        return Ok(Err(status::POLICY));
    }
    match compilation.program.take() {
        Some(program) => Ok(Ok((
            program,
            Warnings {
                compilation: Some(compilation),
                format,
            },
        ))),
        None => Err(UsageError(format!(
            "`{}` has no `policy` header: it is a library, and there is nothing to run",
            policy.display()
        ))),
    }
}
