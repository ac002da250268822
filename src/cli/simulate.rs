//! `roe simulate POLICY --records FILE`: assigns a batch of records without
//! keeping any state, and reports per team and member what assignment would
//! do: records taken, cap hits, overflow, absences, and how even round
//! robin (or how close to its weights) each team came.

use std::io::Write;
use std::path::PathBuf;

use jiff::Timestamp;
use roe::assign::TeamTally;
use roe::input::BlockSize;

use super::run::{assigner_for, format_of, load_policy, open, parse_now, run_start};
use super::{Format, UsageError, status};

/// Arguments of `roe simulate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy: a `.roe` source or a `.roec` compiled file.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// The records to assign (JSON Lines, a JSON array or CSV, by extension).
    #[arg(long, value_name = "FILE")]
    records: PathBuf,
    /// Members' CRM user ids and absences: a JSON array of {"member", "user_id", "away"}.
    #[arg(long, value_name = "FILE")]
    roster: Option<PathBuf>,
    /// Start from the assignment state in this SQLite file; it is read, never changed.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// The instant every record is decided and assigned at (RFC 3339); default: now.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    now: Option<Timestamp>,
    /// A table for people, or one JSON array of teams.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Decides and assigns every record, then prints the report.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let (policy, warnings) = match load_policy(&args.policy, Format::Human)? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    warnings.print();
    let format = format_of(&args.records)?;
    // The state's transaction is never committed: dropping it forgets every change.
    let mut assigner = assigner_for(&policy, args.state.as_deref(), args.roster.as_deref())?;
    let now = args.now.unwrap_or_else(run_start);
    let mut vm = policy.vm(now);
    let parts = policy.program().parts();
    let file = open(&args.records)?;
    let (mut records, mut failed) = (0u64, 0u64);
    for block in roe::input::blocks(
        file,
        format,
        &parts.schema,
        parts.subject,
        BlockSize::DEFAULT,
    ) {
        let block = block.map_err(|e| UsageError(format!("`{}` {e}", args.records.display())))?;
        for record in block.records.read() {
            records += 1;
            let Ok(record) = record else {
                failed += 1;
                continue;
            };
            match vm.decide(&record.json) {
                Ok(decision) => {
                    assigner
                        .assign(vm.id_of(&record).as_ref(), &decision, now)
                        .map_err(|e| UsageError(e.to_string()))?;
                }
                Err(_) => failed += 1,
            }
        }
    }
    let tally: Vec<&TeamTally> = assigner
        .tally()
        .iter()
        .filter(|t| !t.taken.is_empty())
        .collect();
    let text = match args.format {
        Format::Json => serde_json::to_string(&tally).unwrap_or_default() + "\n",
        Format::Human => report(&tally, records, failed),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .map_err(|e| UsageError(format!("cannot write the report: {e}")))?;
    Ok(status::OK)
}

/// The report for people: a table per staffed team.
fn report(tally: &[&TeamTally], records: u64, failed: u64) -> String {
    let mut out = format!(
        "{records} records, {failed} without a decision (record errors); nothing was saved\n"
    );
    for team in tally {
        let total: u64 = team.taken.iter().map(|(_, n)| n).sum();
        let how = if team.weights.is_some() {
            "weighted"
        } else {
            "round robin"
        };
        out.push_str(&format!("\nteam {} ({how}): {total} assigned\n", team.team));
        let width = team
            .taken
            .iter()
            .map(|(m, _)| m.len())
            .max()
            .unwrap_or(6)
            .max(6);
        for (i, (member, n)) in team.taken.iter().enumerate() {
            let share = percent(*n, total);
            let weight = team
                .weights
                .as_ref()
                .and_then(|w| w.get(i))
                .map(|w| format!("  (weight {}.{:02}%)", w / 100, w % 100))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {member:<width$}  {n:>7}  {share:>6.1}%{weight}\n"
            ));
        }
        out.push_str(&format!(
            "  overflowed {}, unassigned {}, at-cap skips {}, away skips {}, assigned again {}\n",
            team.overflowed, team.unassigned, team.cap_skips, team.away_skips, team.again
        ));
        out.push_str(&format!("  {}\n", evenness(team, total)));
    }
    out
}

/// How far the team came from even turns, or from its weights.
fn evenness(team: &TeamTally, total: u64) -> String {
    if total == 0 {
        return "nothing assigned".to_owned();
    }
    match &team.weights {
        None => {
            let counts = team.taken.iter().map(|(_, n)| *n);
            let spread = counts.clone().max().unwrap_or(0) - counts.min().unwrap_or(0);
            format!("round robin spread: {spread} (most minus fewest records per member)")
        }
        Some(weights) => {
            let off = team
                .taken
                .iter()
                .zip(weights)
                .map(|((_, n), w)| (percent(*n, total) - f64::from(*w) / 100.0).abs())
                .fold(0.0, f64::max);
            format!("off its weights by at most {off:.1} percentage points")
        }
    }
}

/// `n` as a percentage of `total`.
fn percent(n: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        // Counts of records stay far below 2^52.
        n as f64 * 100.0 / total as f64
    }
}
