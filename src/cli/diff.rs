//! `roe diff OLD NEW --records FILE`: what a policy change does, on past
//! records. Both versions decide every record in one pass on every core;
//! the records whose decision changed are listed (`--format json`) and
//! summed up: owner moves, rules, SLOs, errors, renames.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use roe::batch::{Spread, in_order};
use roe::diff::{Change, Summary, share};
use roe::input::{Block, BlockSize, Records};

use super::run::{format_of, load_policy, parse_now, run_start};
use super::{Format as Diagnostics, UsageError, status};

/// How `roe diff` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Report {
    /// Tables for people.
    #[default]
    Human,
    /// A JSON line per changed record, then `{"summary": ...}`.
    Json,
    /// A short summary for a pull-request comment.
    Markdown,
    /// One self-contained page: the moves as a heatmap, rules before and
    /// after, the changed records with a filter.
    Html,
}

/// Arguments of `roe diff`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Exit status: 0 (with --fail-on-change: no decision changed), 1 a decision changed with
--fail-on-change, or a policy has errors, 2 usage or I/O errors.
A record whose only difference is its deciding rule's name, with the same actions, is a
rename when the old rule's records all go to the new rule and it decides no others:
renames are listed apart and do not count as changes.")]
pub struct Args {
    /// The policy as it is (`.roe` or `.roec`).
    old: PathBuf,
    /// The policy as it would be.
    new: PathBuf,
    /// The records to decide with both (.jsonl, .json or .csv; CSV is read
    /// with the old version's columns).
    #[arg(long, value_name = "FILE")]
    records: PathBuf,
    /// The instant both versions decide at (default: now, once for the run).
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Human tables, JSON lines (the changed records and a summary), Markdown,
    /// or a self-contained HTML page.
    #[arg(long, value_enum, default_value_t = Report::Human)]
    format: Report,
    /// With --format json, a line for every record, changed or not.
    #[arg(long)]
    all: bool,
    /// Exit 1 when any decision changed (renames aside): for CI.
    #[arg(long)]
    fail_on_change: bool,
    /// Also pick the person for each hand-off, with each version from empty
    /// state, and compare the totals per member (not record by record: one
    /// changed decision shifts every later round-robin turn).
    #[arg(long)]
    assign: bool,
    /// The roster both versions assign with (user ids, absences). Implies --assign.
    #[arg(long, value_name = "FILE")]
    roster: Option<PathBuf>,
}

/// Decides the records with both versions and reports what changed.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let load = |path: &PathBuf| load_policy(path, Diagnostics::Human);
    let (old, old_warnings) = match load(&args.old)? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    let (new, new_warnings) = match load(&args.new)? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    old_warnings.print();
    new_warnings.print();
    let subject = |p: &roe::Policy| p.program().subject().map(|r| r.name.clone());
    if subject(&old) != subject(&new) {
        return Err(UsageError(format!(
            "`{}` decides `{}` records and `{}` decides `{}` records: a diff compares two versions of one policy",
            args.old.display(),
            subject(&old).unwrap_or_default(),
            args.new.display(),
            subject(&new).unwrap_or_default()
        )));
    }
    if old.program().schema_fingerprint() != new.program().schema_fingerprint() {
        let _ = writeln!(
            std::io::stderr(),
            "roe diff: note: the two versions read records differently (their record schemas differ), so a record may be valid for one and not the other"
        );
    }
    let now = match &args.now {
        Some(text) => parse_now(text).map_err(|e| UsageError(format!("--now: {e}")))?,
        None => run_start(),
    };
    let format = format_of(&args.records)?;
    let file = super::run::open(&args.records)?;
    let size = file.metadata().map(|m| m.len()).ok();
    let parts = old.program().parts();
    let blocks = roe::input::blocks(
        file,
        format,
        &parts.schema,
        parts.subject,
        BlockSize::DEFAULT,
    );
    let stopped: Mutex<Option<String>> = Mutex::new(None);
    let blocks = blocks.map_while(|block| match block {
        Ok(block) => Some(block),
        Err(e) => {
            if let Ok(mut stopped) = stopped.lock() {
                *stopped = Some(e.to_string());
            }
            None
        }
    });
    let mut summary = Summary::default();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let json = args.format == Report::Json;
    let html = args.format == Report::Html;
    let mut listed: Vec<Change> = Vec::new();
    let assigning = args.assign || args.roster.is_some();
    let mut assigners = match assigning {
        true => Some((
            super::run::assigner_for(&old, None, args.roster.as_deref())?,
            super::run::assigner_for(&new, None, args.roster.as_deref())?,
        )),
        false => None,
    };
    let mut assign_failed = None;
    let spread = size.map_or_else(Spread::every_core, Spread::for_bytes);
    let written = in_order(
        spread,
        blocks,
        || (old.vm(now), new.vm(now)),
        |(old_vm, new_vm), block: &Block| {
            let mut lines = String::new();
            let mut part = Summary::default();
            let mut changes = Vec::new();
            let mut decided = Vec::new();
            let mut each = |index: usize, id: Option<&roe::vm::RecordId>, a, b| {
                let what = part.add(&a, &b);
                match what {
                    Some(what) if html => changes.push(Change::new(index, id, what, &a, &b)),
                    Some(what) if json => {
                        lines.push_str(&Change::new(index, id, what, &a, &b).line());
                        lines.push('\n');
                    }
                    None if json && args.all => {
                        lines.push_str(&Change::unchanged(index, id).line());
                        lines.push('\n');
                    }
                    _ => {}
                }
                if assigning {
                    decided.push((id.cloned(), a, b));
                }
            };
            match &block.records {
                Records::Lines(records) => {
                    for (i, line) in records.iter().enumerate() {
                        let (id, a) = old_vm.decide_line(line);
                        let (_, b) = new_vm.decide_line(line);
                        each(block.first + i, id.as_ref(), a, b);
                    }
                }
                records => {
                    for (i, record) in records.read().enumerate() {
                        let (id, a, b) = match &record {
                            Ok(r) => (
                                old_vm.id_of(r),
                                old_vm.decide(&r.json),
                                new_vm.decide(&r.json),
                            ),
                            Err(e) => (None, Err(e.clone()), Err(e.clone())),
                        };
                        each(block.first + i, id.as_ref(), a, b);
                    }
                }
            }
            (lines, part, changes, decided)
        },
        |done| match done {
            Ok((lines, part, changes, decided)) => {
                summary.merge(part);
                // Assignment in input order, each version with its own state.
                if let Some((old_assigner, new_assigner)) = &mut assigners {
                    for (id, a, b) in &decided {
                        for (assigner, outcome) in
                            [(&mut *old_assigner, a), (&mut *new_assigner, b)]
                        {
                            if let Ok(decision) = outcome
                                && let Err(e) = assigner.assign(id.as_ref(), decision, now)
                            {
                                assign_failed.get_or_insert(e);
                            }
                        }
                    }
                }
                let room = roe::diff::html::ROWS.saturating_sub(listed.len());
                listed.extend(changes.into_iter().take(room));
                out.write_all(lines.as_bytes())
            }
            Err(block) => Err(std::io::Error::other(format!(
                "records {} to {} could not be compared",
                block.first,
                block.first + block.records.len()
            ))),
        },
    );
    written.map_err(|e| UsageError(format!("cannot write the diff: {e}")))?;
    if let Some(problem) = stopped.lock().ok().and_then(|s| s.clone()) {
        let _ = out.flush();
        return Err(UsageError(format!(
            "`{}`: {problem}",
            args.records.display()
        )));
    }
    summary.finish();
    if let Some(e) = assign_failed {
        return Err(UsageError(e.to_string()));
    }
    if let Some((old_assigner, new_assigner)) = &assigners {
        summary.assignees(old_assigner.tally(), new_assigner.tally());
    }
    // The page lists changes only: a renamed rule's records are not.
    listed.retain(|change| !summary.is_rename(change));
    let report = match args.format {
        Report::Json => format!("{}\n", serde_json::json!({ "summary": summary.json() })),
        Report::Human => human(&summary, args),
        Report::Markdown => markdown(&summary, args),
        Report::Html => roe::diff::html::page(
            &summary,
            &listed,
            &args.old.display().to_string(),
            &args.new.display().to_string(),
            &(
                roe::diff::texts::rule_texts(old.program()),
                roe::diff::texts::rule_texts(new.program()),
            ),
        ),
    };
    out.write_all(report.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| UsageError(format!("cannot write the diff: {e}")))?;
    Ok(match args.fail_on_change && summary.changed > 0 {
        true => status::POLICY,
        false => status::OK,
    })
}

/// The report as tables for people.
fn human(summary: &Summary, args: &Args) -> String {
    let mut out = format!(
        "{} of {} records change decision ({}) from {} to {}\n",
        summary.changed,
        summary.records,
        share(summary.changed, summary.records),
        args.old.display(),
        args.new.display()
    );
    let moves = summary.moves_largest_first();
    if !moves.is_empty() {
        out.push_str("\nowner moves\tfrom\tto\trecords\n");
        for (from, to, n) in &moves {
            out.push_str(&format!("\t{from}\t{to}\t{n}\n"));
        }
    }
    for (title, rules) in [
        ("old rules", &summary.old_rules),
        ("new rules", &summary.new_rules),
    ] {
        out.push_str(&format!("\n{title}\tdecided\tchanged\n"));
        for (rule, count) in rules {
            out.push_str(&format!("{rule}\t{}\t{}\n", count.decided, count.changed));
        }
    }
    if summary.slo_tightened + summary.slo_loosened > 0 {
        out.push_str(&format!(
            "\nSLOs due sooner: {}, due later: {}\n",
            summary.slo_tightened, summary.slo_loosened
        ));
    }
    for (title, errors) in [
        ("errors that appear", &summary.errors_appeared),
        ("errors that disappear", &summary.errors_disappeared),
    ] {
        if !errors.is_empty() {
            let listed: Vec<String> = errors.iter().map(|(c, n)| format!("{c} {n}")).collect();
            out.push_str(&format!("\n{title}: {}\n", listed.join(", ")));
        }
    }
    for (from, to, n) in &summary.renamed {
        out.push_str(&format!(
            "\nrenamed: `{from}` is now `{to}` ({n} records, same decisions)\n"
        ));
    }
    if !summary.assignees.is_empty() {
        out.push_str("\nassigned\tmember\tbefore\tafter\n");
        for (member, (before, after)) in &summary.assignees {
            out.push_str(&format!("\t{member}\t{before}\t{after}\n"));
        }
    }
    if args.format == Report::Human && summary.changed > 0 {
        out.push_str("\nEach changed record: roe diff ... --format json\n");
    }
    out
}

/// The report for a pull-request comment: the count, the top moves.
fn markdown(summary: &Summary, args: &Args) -> String {
    let mut out = format!(
        "### `roe diff`: {} of {} records change decision ({})\n\n",
        summary.changed,
        summary.records,
        share(summary.changed, summary.records)
    );
    out.push_str(&format!(
        "From `{}` to `{}`.\n",
        args.old.display(),
        args.new.display()
    ));
    let moves = summary.moves_largest_first();
    if !moves.is_empty() {
        out.push_str("\n| from | to | records | share |\n| --- | --- | ---: | ---: |\n");
        for (from, to, n) in moves.iter().take(10) {
            out.push_str(&format!(
                "| {from} | {to} | {n} | {} |\n",
                share(*n, summary.records)
            ));
        }
        if moves.len() > 10 {
            out.push_str(&format!("\n…and {} smaller moves.\n", moves.len() - 10));
        }
    }
    if summary.slo_tightened + summary.slo_loosened > 0 {
        out.push_str(&format!(
            "\nSLOs due sooner for {} records, later for {}.\n",
            summary.slo_tightened, summary.slo_loosened
        ));
    }
    for (from, to, n) in &summary.renamed {
        out.push_str(&format!(
            "\nRenamed `{from}` → `{to}` ({n} records, same decisions).\n"
        ));
    }
    if !summary.assignees.is_empty() {
        out.push_str("\n| member | assigned before | after |\n| --- | ---: | ---: |\n");
        for (member, (before, after)) in &summary.assignees {
            out.push_str(&format!("| {member} | {before} | {after} |\n"));
        }
    }
    out
}
