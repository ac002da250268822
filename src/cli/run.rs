//! `roe run POLICY --records FILE`: one JSON line per record, in input order;
//! large files are decided on every core, with a progress bar on a terminal.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use roe::assign::{Assigner, Roster, State, Store, StoreError};
use roe::batch::Spread;
use roe::input::{self, BlockSize, InputFormat};
use roe::source::without_byte_order_mark;
use roe::time::rfc3339::{self, TextError};
use roe::vm::explain::ExplainError;
use roe::vm::{Policy, Vm};

use super::{Format, UsageError, output, status};

mod sink;
mod summary;
mod table;

use sink::{Made, Shape, Sink};
use summary::Tally;

/// Arguments of `roe run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy: a `.roe` source or a `.roec` compiled file.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// The records to decide; `-` reads standard input and answers each line as it arrives.
    /// A file of any size (JSON Lines, CSV or a JSON array) is read a block at a time and
    /// decided on every core, in bounded memory, with a progress bar when stderr is a
    /// terminal. Input must be UTF-8: other bytes stop the run, naming their offset.
    #[arg(long, value_name = "FILE")]
    records: PathBuf,
    /// The evaluation instant (RFC 3339, such as 2026-11-30T10:00:00Z), the same for every
    /// record. Without it, records of a file are decided at the instant the run starts, and
    /// each record of standard input (`--records -`: a JSON line or a CSV row) at the
    /// instant it arrives, to the whole second, so SLOs count from when the record came.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    now: Option<Timestamp>,
    /// The records' text encoding when it is not UTF-8, by its WHATWG label: windows-1252
    /// (Excel's "CSV" on Windows), utf-16le, utf-16be, iso-8859-1, shift_jis, ... A file
    /// that starts with a UTF-16 byte-order mark is read as UTF-16 without it; anything
    /// else must be UTF-8 unless named here: roe guesses no encoding.
    #[arg(long, value_name = "LABEL", value_parser = parse_encoding)]
    encoding: Option<&'static encoding_rs::Encoding>,
    /// The format of the records; default: from the file's extension (JSON Lines for stdin).
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<FormatArg>,
    /// Add to each decision a `why`: the rules that decided and the clauses that held
    /// (needs the debug info: a `.roe`, or a `.roec` built without --strip).
    #[arg(long)]
    explain: bool,
    /// How to write the decisions: one JSON line per record, or CSV rows under a header
    /// (index, id, rule, team, assignee, assignee_id, due, escalation_to, escalation_at, reassign_to,
    /// reassign_at, notify, tags, dropped, a column per field the policy sets, error_code,
    /// error_message, error_field), for a CRM's import tool.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Jsonl)]
    output_format: OutputFormat,
    /// How to print diagnostics about the policy.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Add `due_local` and `at_local` to business-time SLOs: the same instants
    /// in the calendar's time zone, with its offset.
    #[arg(long)]
    local_times: bool,
    /// At the end, print on stderr how many records each rule and team decided and how
    /// many failed with each error code (printed anyway when stderr is a terminal).
    #[arg(long)]
    summary: bool,
    /// Pick the person for each hand-off to a team with members: round robin or the
    /// team's weights, skipping members away or at their cap, overflowing when no one
    /// can take it; the decision's hand-off gains `assignee`. State starts empty and
    /// lives for the run unless --state keeps it.
    #[arg(long)]
    assign: bool,
    /// Keep assignment state (turns, cap counts, the ledger of who got which record)
    /// in this SQLite file, created if missing, so it survives restarts; a record
    /// assigned before gets its assignee again. A `postgres://` (or `postgresql://`)
    /// URL keeps it in that PostgreSQL database instead, shared by every process
    /// naming it. Implies --assign.
    #[arg(long, value_name = "FILE|URL")]
    state: Option<PathBuf>,
    /// The roster: a JSON array of {"member", "user_id", "away": [{"from", "until"}]}
    /// giving members' CRM user ids (`assignee_id`) and absences. Implies --assign.
    /// Without it, the roster the state keeps (`roe roster --import`) is used.
    #[arg(long, value_name = "FILE")]
    roster: Option<PathBuf>,
}

/// The assigner of a run, keeping state in memory or in a file.
pub type RunAssigner = Assigner<Box<dyn Store>>;

/// What every VM of a run is made with, and how its output is written.
struct Setup<'p> {
    policy: &'p Policy,
    now: Timestamp,
    local_times: bool,
    explain: bool,
    shape: Shape<'p>,
    /// Whether the records are counted for a summary.
    summary: bool,
    /// The records' file as messages name it (`` `leads.jsonl` ``, or standard input).
    input: String,
    /// Whether hand-offs are assigned (in the serial stage, in input order).
    assign: bool,
}

impl Setup<'_> {
    /// A VM for one thread of the run.
    fn vm(&self) -> Vm<'_> {
        self.policy.vm(self.now).with_local_times(self.local_times)
    }
}

/// Output formats as the command line names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// One JSON line per record.
    Jsonl,
    /// CSV: a header row, then one row per record.
    Csv,
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

/// Parses `--now`: an RFC 3339 instant in the range roe supports; a
/// refusal says what is wrong: a part missing, or an instant beyond the range.
pub fn parse_now(text: &str) -> Result<Timestamp, String> {
    rfc3339::instant(text).map_err(|e| match e {
        TextError::OutOfRange => format!("`{text}` {}", rfc3339::outside_range()),
        TextError::Invalid | TextError::NoZone => {
            let pieces = jiff::fmt::temporal::Pieces::parse(text).ok();
            match pieces.map(|p| (p.time().is_some(), p.offset().is_some())) {
                Some((false, _)) => format!(
                    "`{text}` has no time of day: write an instant such as {text}T10:00:00Z"
                ),
                Some((true, false)) => format!(
                    "`{text}` has no offset: add `Z` for UTC ({text}Z) or an offset such as +01:00"
                ),
                _ => format!("`{text}` is not an RFC 3339 instant such as 2026-11-30T10:00:00Z"),
            }
        }
    })
}

/// Loads the policy and decides every record.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let (policy, warnings) = match load_policy(&args.policy, args.format)? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    let now = args.now.unwrap_or_else(run_start);
    let stdin = args.records.as_os_str() == "-";
    let format = input_format(args, stdin)?;
    if args.explain && policy.program().parts().debug.is_none() {
        return Err(UsageError(format!(
            "`{}` was built with --strip: --explain needs its debug info",
            args.policy.display()
        )));
    }
    let table;
    let shape = match args.output_format {
        OutputFormat::Jsonl => Shape::Lines,
        OutputFormat::Csv => {
            refuse_with_csv(args)?;
            table = table::Table::new(policy.program());
            Shape::Rows(&table)
        }
    };
    let setup = Setup {
        policy: &policy,
        now,
        local_times: args.local_times,
        explain: args.explain,
        shape,
        summary: args.summary || std::io::stderr().is_terminal(),
        input: match stdin {
            true => "standard input".to_owned(),
            false => format!("`{}`", args.records.display()),
        },
        assign: args.assign || args.state.is_some() || args.roster.is_some(),
    };
    let assigner = match setup.assign {
        true => Some(assigner(args, &policy)?),
        false => None,
    };
    let stdout = std::io::stdout();
    let mut out = Output {
        to: std::io::BufWriter::new(stdout.lock()),
        failed: false,
        flush_each: false,
        tally: setup.summary.then(Tally::default),
        assigner,
    };
    let header = Sink::header(shape);
    let written = if stdin && format == InputFormat::Jsonl {
        warnings.print();
        decide_arriving(&setup, args.now.is_none(), args.encoding, &header, &mut out)
    } else {
        let (input, size) = open_input(args, stdin)?;
        warnings.print();
        let live = stdin && args.now.is_none();
        decide_input(&setup, format, input, size, live, &header, &mut out)
    };
    report(written.and_then(|()| out.to.flush().map_err(Failure::Write)))?;
    if let Some(tally) = &out.tally {
        output::error_text(&tally.render());
    }
    Ok(if out.failed {
        status::RECORDS
    } else {
        status::OK
    })
}

/// The assigner `--assign`, `--state` and `--roster` ask for: its state
/// (a PostgreSQL URL or an SQLite file) opened and its roster read before any record is decided.
fn assigner(args: &Args, policy: &Policy) -> Result<RunAssigner, UsageError> {
    assigner_for(policy, args.state.as_deref(), args.roster.as_deref())
}

/// An assigner for `policy` with state in the SQLite file `state` (in memory
/// when `None`) and the roster file `roster`.
pub fn assigner_for(
    policy: &Policy,
    state: Option<&Path>,
    roster: Option<&Path>,
) -> Result<RunAssigner, UsageError> {
    let mut store: Box<dyn Store> = match state {
        None => Box::new(State::new()),
        Some(path) => roe::assign::open_store(path).map_err(|e| UsageError(e.to_string()))?,
    };
    let roster = match roster {
        // Without a roster file, the one the state keeps (`roe roster --import`).
        None => match store.roster().map_err(|e| UsageError(e.to_string()))? {
            Some(text) => Roster::read(&text)
                .map_err(|e| UsageError(format!("the roster kept in the state: {e}")))?,
            None => Roster::empty(),
        },
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                UsageError(format!(
                    "cannot read the roster `{}`: {}",
                    path.display(),
                    roe::diagnostics::io::io_problem(&e)
                ))
            })?;
            Roster::read(&text)
                .map_err(|e| UsageError(format!("roster `{}`: {e}", path.display())))?
        }
    };
    Ok(Assigner::new(policy.program(), roster, store))
}

/// The format a records file's extension names, or a usage error that says
/// which extensions roe reads.
pub fn format_of(file: &Path) -> Result<InputFormat, UsageError> {
    InputFormat::from_extension(file).ok_or_else(|| {
        UsageError(format!(
            "cannot tell the format of `{}` from its extension; name it .jsonl, .json or .csv",
            file.display()
        ))
    })
}

/// The records' format: `--input-format`, else the file's extension
/// (JSON Lines for standard input).
fn input_format(args: &Args, stdin: bool) -> Result<InputFormat, UsageError> {
    match (args.input_format, stdin) {
        (Some(f), _) => Ok(InputFormat::from(f)),
        (None, true) => Ok(InputFormat::Jsonl),
        (None, false) => InputFormat::from_extension(&args.records).ok_or_else(|| {
            UsageError(format!(
                "cannot tell the format of `{}` from its extension; name it .jsonl, .json or .csv, or pass --input-format",
                args.records.display()
            ))
        }),
    }
}

/// The records' input and its size in bytes, when known (a file's).
fn open_input(args: &Args, stdin: bool) -> Result<(Box<dyn Read + Send>, Option<u64>), UsageError> {
    if stdin {
        return Ok((decoded(std::io::stdin(), args.encoding), None));
    }
    let file = open(&args.records)?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((decoded(file, args.encoding), size))
}

/// `input` as UTF-8: decoded from `encoding` when one is named, or from
/// UTF-16 when it starts with a UTF-16 byte-order mark; otherwise passed on
/// as it is, so text that is not UTF-8 is found and reported, never mangled.
fn decoded(
    input: impl Read + Send + 'static,
    encoding: Option<&'static encoding_rs::Encoding>,
) -> Box<dyn Read + Send> {
    Box::new(
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(encoding)
            .bom_sniffing(true)
            .bom_override(true)
            .strip_bom(true)
            .utf8_passthru(true)
            .build(input),
    )
}

/// Parses `--encoding`: a WHATWG encoding label.
fn parse_encoding(label: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        format!(
            "`{label}` is not an encoding label; write one such as windows-1252, utf-16le, utf-16be or iso-8859-1"
        )
    })
}

/// Decides the lines of standard input one at a time, each answered as it
/// arrives, at the instant it arrives when `live`.
fn decide_arriving(
    setup: &Setup<'_>,
    live: bool,
    encoding: Option<&'static encoding_rs::Encoding>,
    header: &[u8],
    out: &mut Output<impl Write>,
) -> Result<(), Failure> {
    out.flush_each = true;
    let clock = live.then_some(run_start as fn() -> Timestamp);
    let lines = arrived(
        std::io::BufReader::new(decoded(std::io::stdin(), encoding)),
        clock,
    );
    out.write(header).map_err(Failure::Write)?;
    decide_all(setup, Spread::SERIAL, lines, None, out)
}

/// Decides an input read a block at a time: on every core when it is
/// large (or of unknown size), with a progress bar on a terminal.
fn decide_input(
    setup: &Setup<'_>,
    format: InputFormat,
    input: Box<dyn Read + Send>,
    size: Option<u64>,
    live: bool,
    header: &[u8],
    out: &mut Output<impl Write>,
) -> Result<(), Failure> {
    let parts = setup.policy.program().parts();
    // Records arriving on a pipe without `--now`: one at a time, each
    // decided at the instant it was read and written at once.
    let (block_size, clock) = match live {
        true => {
            out.flush_each = true;
            let one = BlockSize {
                records: 1,
                ..BlockSize::DEFAULT
            };
            (one, Some(run_start as fn() -> Timestamp))
        }
        false => (BlockSize::DEFAULT, None),
    };
    let blocks = roe::input::blocks(input, format, &parts.schema, parts.subject, block_size);
    let spread = match live {
        true => Spread::SERIAL,
        false => size.map_or_else(Spread::every_core, Spread::for_bytes),
    };
    let bar = (spread != Spread::SERIAL)
        .then(|| size.and_then(progress_bar))
        .flatten();
    let written = out
        .write(header)
        .map_err(Failure::Write)
        .and_then(|()| decide_all(setup, spread, read_blocks(blocks, clock), bar.as_ref(), out));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    written
}

/// The options `--output-format csv` cannot go with.
fn refuse_with_csv(args: &Args) -> Result<(), UsageError> {
    if args.explain {
        return Err(UsageError(
            "--explain adds a `why` object to JSON lines, and a CSV row has no place for it; drop --explain, or use --output-format jsonl".to_owned(),
        ));
    }
    if args.format == Format::Json {
        return Err(UsageError(
            "--format json prints the policy's diagnostics on stdout's first line, where the CSV header must be; use --format human (diagnostics on stderr) with --output-format csv".to_owned(),
        ));
    }
    Ok(())
}

/// Ends a run that stopped early: quietly when the reader went away, else
/// with what failed.
fn report(written: Result<(), Failure>) -> Result<(), UsageError> {
    match written {
        // The reader went away (`roe run ... | head`): stop quietly.
        Err(Failure::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(Failure::Write(e)) => {
            return Err(UsageError(format!("cannot write the decisions: {e}")));
        }
        Err(Failure::Read(why)) => return Err(UsageError(why)),
        Err(Failure::State(e)) => return Err(UsageError(e.to_string())),
        Ok(()) => {}
    }
    Ok(())
}

/// Where the decision lines go, and whether any was an error.
struct Output<W> {
    to: W,
    failed: bool,
    /// Whether each block is flushed as it is written (records from a pipe).
    flush_each: bool,
    /// The counts of the blocks written, for a summary.
    tally: Option<Tally>,
    /// With assignment on, the assigner, run in input order.
    assigner: Option<RunAssigner>,
}

impl<W: Write> Output<W> {
    /// Writes `text`, flushing it when each block is to be.
    fn write(&mut self, text: &[u8]) -> std::io::Result<()> {
        self.to.write_all(text)?;
        match self.flush_each {
            true => self.to.flush(),
            false => Ok(()),
        }
    }
}

/// Why a run stopped before its last record.
enum Failure {
    /// Writing the decisions failed.
    Write(std::io::Error),
    /// Reading the records failed: what to say.
    Read(String),
    /// The assignment state could not be read or written.
    State(StoreError),
}

/// The lines of `reader` as they arrive, each a block of one record;
/// `clock`, if given, tells each the instant it is decided at, read as the
/// line arrives.
fn arrived<'r>(
    reader: impl BufRead + Send + 'r,
    mut clock: Option<impl FnMut() -> Timestamp + Send + 'r>,
) -> impl Iterator<Item = Block> + Send + 'r {
    reader
        .lines()
        .enumerate()
        .map(|(n, line)| match (n, line) {
            (0, Ok(first)) => Ok(without_byte_order_mark(&first).to_owned()),
            (_, line) => line,
        })
        .filter(|line| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .enumerate()
        .map(move |(first, line)| Block {
            first,
            now: clock.as_mut().map(|read| read()),
            bytes: 0,
            records: Records::Arrived(line),
        })
}

/// The blocks of a file (or of standard input in CSV or JSON) as workers
/// take them, each with the bytes of input it covers and, when `clock` is
/// given, the instant it was read at; an error that stops reading comes as
/// a block of its own, after the blocks before it.
fn read_blocks<'r>(
    blocks: impl Iterator<Item = Result<input::Block, input::ReadError>> + Send + 'r,
    clock: Option<fn() -> Timestamp>,
) -> impl Iterator<Item = Block> + Send + 'r {
    let mut read = 0;
    blocks.map(move |block| match block {
        Ok(block) => {
            let bytes = block.read_to.saturating_sub(read);
            read = block.read_to;
            Block {
                first: block.first,
                now: clock.map(|now| now()),
                bytes,
                records: Records::Input(block.records),
            }
        }
        Err(stop) => Block {
            first: 0,
            now: None,
            bytes: 0,
            records: Records::Stopped(stop),
        },
    })
}

/// The records of a block.
enum Records {
    /// Records of a file, or of standard input in CSV or JSON.
    Input(input::Records),
    /// One line of standard input, as it arrived.
    Arrived(std::io::Result<String>),
    /// Reading stopped here.
    Stopped(input::ReadError),
}

impl Records {
    /// How many records there are.
    fn len(&self) -> usize {
        match self {
            Records::Input(records) => records.len(),
            Records::Arrived(_) => 1,
            Records::Stopped(_) => 0,
        }
    }
}

/// A block of records as a worker receives it, with the index of its first.
struct Block {
    first: usize,
    /// The instant its records are decided at, when not the run's.
    now: Option<Timestamp>,
    /// The bytes of input it covers, for the progress bar.
    bytes: u64,
    records: Records,
}

/// Decides every block on the spread's threads and writes each block's
/// lines, in input order, as soon as the blocks before it are written.
fn decide_all(
    setup: &Setup<'_>,
    spread: Spread,
    blocks: impl Iterator<Item = Block> + Send,
    bar: Option<&ProgressBar>,
    out: &mut Output<impl Write>,
) -> Result<(), Failure> {
    roe::batch::in_order(
        spread,
        blocks,
        || setup.vm(),
        |vm, block| {
            let decided = decide_block(setup, vm, block);
            if let Some(bar) = bar {
                bar.inc(block.bytes);
            }
            decided
        },
        |decided| {
            let decided = match decided {
                Ok(decided) => decided.map_err(Failure::Read)?,
                Err(lost) => lost_block(setup, &lost),
            };
            let decided = match &mut out.assigner {
                Some(assigner) => assign_block(setup, assigner, decided)?,
                None => decided,
            };
            out.failed |= decided.failed;
            if let (Some(all), Some(block)) = (&mut out.tally, decided.tally) {
                all.add(block);
            }
            out.write(&decided.text).map_err(Failure::Write)
        },
    )
}

/// The lines of a block whose outcomes were held for assignment: each
/// hand-off assigned in input order, the assignments committed, and only
/// then the lines made, so no line is written for an assignment not kept.
fn assign_block(
    setup: &Setup<'_>,
    assigner: &mut RunAssigner,
    made: Made,
) -> Result<Made, Failure> {
    if made.held.is_empty() {
        // Nothing to assign: a block that could not be decided is its error lines.
        return Ok(made);
    }
    let mut sink = Sink::new(setup.shape, made.held.len(), setup.summary);
    for held in made.held {
        let outcome = match held.outcome {
            Ok(decision) => Ok(assigner
                .assign(held.id.as_ref(), &decision, held.now)
                .map_err(Failure::State)?),
            Err(e) => Err(e),
        };
        sink.push(held.index, held.id.as_ref(), &outcome, held.why.as_ref());
    }
    assigner.commit().map_err(Failure::State)?;
    Ok(sink.finish())
}

/// The lines of a block.
fn decide_block(setup: &Setup<'_>, vm: &mut Vm<'_>, block: &Block) -> Result<Made, String> {
    let mut sink = Sink::new(setup.shape, block.records.len(), setup.summary);
    if setup.assign {
        sink = sink.holding(block.now.unwrap_or(setup.now));
    }
    if let Some(now) = block.now {
        vm.set_now(now);
    }
    let index = (block.first..).take(block.records.len());
    match &block.records {
        Records::Input(input::Records::Lines(lines)) => index
            .zip(lines.iter())
            .for_each(|(i, line)| decide_text(setup, vm, i, line, &mut sink)),
        Records::Input(records) => index
            .zip(records.read())
            .for_each(|(i, record)| decide_read(setup, vm, i, &record, &mut sink)),
        Records::Arrived(Ok(line)) => decide_text(setup, vm, block.first, line, &mut sink),
        Records::Arrived(Err(e)) => return Err(format!("cannot read standard input: {e}")),
        Records::Stopped(stop) => return Err(format!("{} {stop}", setup.input)),
    }
    Ok(sink.finish())
}

/// An error for each record of a block that could not be decided.
fn lost_block(setup: &Setup<'_>, block: &Block) -> Made {
    let mut sink = Sink::new(setup.shape, block.records.len(), setup.summary);
    for index in (block.first..).take(block.records.len()) {
        sink.push(index, None, &Err(roe::batch_failed()), None);
    }
    sink.finish()
}

/// Decides a JSON Lines record into `sink`.
fn decide_text(setup: &Setup<'_>, vm: &mut Vm<'_>, index: usize, line: &str, sink: &mut Sink) {
    if !setup.explain {
        // Bound straight from the text, without a `Value` in between.
        let (id, outcome) = vm.decide_line(line);
        return sink.push(index, id.as_ref(), &outcome, None);
    }
    // Blank lines were left out before, so every line is a record.
    decide_read(setup, vm, index, &input::jsonl_record(line), sink);
}

/// Decides a record read already into `sink`.
fn decide_read(
    setup: &Setup<'_>,
    vm: &mut Vm<'_>,
    index: usize,
    record: &input::InputRecord,
    sink: &mut Sink,
) {
    let (id, outcome, why) = match record {
        Ok(record) if setup.explain => match vm.explain(&record.json) {
            Ok((explanation, outcome)) => {
                let why = outcome.as_ref().ok().map(|d| explanation.why(d.decided()));
                (vm.id_of(record), outcome, why)
            }
            Err(ExplainError::Record(e)) => (vm.id_of(record), Err(e), None),
            Err(ExplainError::NoDebugInfo) => (vm.id_of(record), vm.decide(&record.json), None),
        },
        Ok(record) => (vm.id_of(record), vm.decide(&record.json), None),
        Err(e) => (None, Err(e.clone()), None),
    };
    sink.push(index, id.as_ref(), &outcome, why.as_ref());
}

/// A progress bar on stderr for an input of `bytes` bytes, when stderr is a terminal.
fn progress_bar(bytes: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(bytes);
    if let Ok(style) = ProgressStyle::with_template(
        "deciding {bar:30} {bytes}/{total_bytes} of the records, {eta} left",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Opens a records file, or says why it cannot be read.
pub fn open(path: &Path) -> Result<std::fs::File, UsageError> {
    std::fs::File::open(path).map_err(|e| {
        UsageError(format!(
            "cannot read `{}`: {}",
            path.display(),
            roe::diagnostics::io::io_problem(&e)
        ))
    })
}

/// An id as a person writes it (`--id`, a CSV cell): a string's text,
/// anything else its JSON text (a number as written).
pub fn id_text(id: &roe::vm::record::RecordId) -> String {
    match serde_json::from_str::<serde_json::Value>(id.json()) {
        Ok(serde_json::Value::String(text)) => text,
        _ => id.json().to_owned(),
    }
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

/// Loads a `.roec` or compiles a `.roe`: the policy and its warnings, or the
/// exit status when the policy has errors (already reported).
pub fn load_policy(
    policy: &Path,
    format: Format,
) -> Result<Result<(Policy, Warnings), u8>, UsageError> {
    let bytes = std::fs::read(policy).map_err(|e| {
        UsageError(format!(
            "cannot read `{}`: {}",
            policy.display(),
            roe::diagnostics::io::io_problem(&e)
        ))
    })?;
    if bytes.starts_with(roe::bytecode::format::MAGIC) {
        let none = Warnings {
            compilation: None,
            format,
        };
        return Ok(match roe::bytecode::format::decode(&bytes) {
            Ok(program) => Ok((Policy::new(program), none)),
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
            Policy::new(program),
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

#[cfg(test)]
mod tests {
    #![allow(
        clippy::expect_used,
        clippy::unwrap_used,
        reason = "a test fails by panicking"
    )]

    use super::*;

    /// The shipped inbound policy, compiled.
    fn inbound() -> Policy {
        let compilation =
            roe::compile_file(Path::new("examples/inbound_routing.roe")).expect("readable");
        Policy::new(compilation.program.expect("compiles"))
    }

    /// Each line of a pipe is decided at the instant the clock gave as it
    /// arrived (a fake clock here, an hour later for each line), exactly as
    /// a VM made at that instant decides it.
    #[test]
    fn each_line_of_a_pipe_is_decided_at_the_instant_it_arrived() {
        let policy = inbound();
        let text = std::fs::read_to_string("examples/inbound_leads.jsonl").expect("records");
        let lines: Vec<&str> = text.lines().take(5).collect();
        let start: Timestamp = "2026-12-01T09:00:00Z".parse().expect("an instant");
        let hour = jiff::SignedDuration::from_hours(1);
        let at = |n: usize| start + hour * i32::try_from(n).expect("few");
        let mut ticks = 0;
        let clock = move || {
            ticks += 1;
            at(ticks - 1)
        };
        let setup = Setup {
            policy: &policy,
            now: start,
            local_times: false,
            explain: false,
            shape: Shape::Lines,
            summary: false,
            input: "standard input".to_owned(),
            assign: false,
        };
        let mut out = Output {
            to: Vec::new(),
            failed: false,
            flush_each: true,
            tally: None,
            assigner: None,
        };
        let input = std::io::Cursor::new(lines.join("\n"));
        let blocks = arrived(input, Some(clock));
        assert!(decide_all(&setup, Spread::SERIAL, blocks, None, &mut out).is_ok());
        let expected: String = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let (id, outcome) = policy.vm(at(i)).decide_line(line);
                roe::vm::decision::line(i, id.as_ref(), &outcome) + "\n"
            })
            .collect();
        assert_eq!(String::from_utf8(out.to).expect("UTF-8"), expected);
        assert!(
            expected.contains("\"due\":\"2026-12-01T13:00:00Z\""),
            "{expected}"
        );
        assert!(
            expected.contains("\"due\":\"2026-12-01T12:00:00Z\""),
            "{expected}"
        );
    }
}
