//! `roe explain POLICY --record JSON`: why a record gets its decision; or
//! `--records FILE --id ID`: why the record of a file with that id gets its.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use roe::vm::explain::ExplainError;

use super::{Format, UsageError, output, run, status};

mod find;

/// Arguments of `roe explain`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy: a `.roe` source, or a `.roec` that kept its debug info.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// The record: a JSON object, or `@FILE` to read it from a file.
    #[arg(
        long,
        value_name = "JSON|@FILE",
        required_unless_present = "records",
        conflicts_with = "records"
    )]
    record: Option<String>,
    /// A file of records (JSON Lines, a JSON array or CSV, by extension) to find the
    /// record to explain in, by its --id.
    #[arg(long, value_name = "FILE", requires = "id")]
    records: Option<PathBuf>,
    /// With --records: the id of the record to explain, as decision lines show it
    /// (`L-1003` for `"id": "L-1003"`); the first record with it, if several have it.
    #[arg(long, value_name = "ID", requires = "records")]
    id: Option<String>,
    /// The evaluation instant (RFC 3339); default: now, to the second.
    #[arg(long, value_name = "TIME", value_parser = run::parse_now)]
    now: Option<Timestamp>,
    /// Human text, or one JSON object on stdout (after the policy's
    /// diagnostics as one JSON array, when it has any).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Show the person each hand-off would be assigned to, from empty state (or
    /// --state); nothing is saved.
    #[arg(long)]
    assign: bool,
    /// With assignment: the SQLite state file to start from; it is read, never changed.
    /// Implies --assign.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// With assignment: the roster (members' CRM user ids and absences). Implies --assign.
    #[arg(long, value_name = "FILE")]
    roster: Option<PathBuf>,
}

/// Explains the decision; exit 1 for policy errors, 3 for an invalid record.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let (policy, warnings) = match run::load_policy(&args.policy, args.format)? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    let (index, record) = match (&args.record, &args.records, &args.id) {
        (_, Some(file), Some(id)) => {
            let parts = policy.program().parts();
            let found = find::by_id(file, id, &parts.schema, parts.subject)?;
            (found.index, Ok(found.record))
        }
        (Some(_), _, Some(_)) => {
            return Err(UsageError(
                "--id finds a record in --records FILE; with --record, leave --id out".to_owned(),
            ));
        }
        (Some(record), _, _) => (0, given(record)?),
        // clap requires one of --record and --records (with --id).
        _ => {
            return Err(UsageError(
                "give --record, or --records with --id".to_owned(),
            ));
        }
    };
    warnings.print();
    let record = match record {
        Ok(record) => record,
        // Invalid as a record, like a line of `roe run` that is not JSON.
        Err(error) => {
            output::stdout_line(&roe::vm::decision::line(index, None, &Err(error)));
            return Ok(status::RECORDS);
        }
    };
    let now = args.now.unwrap_or_else(run::run_start);
    let mut vm = policy.vm(now);
    let id = vm.id_of(&record);
    let id = id.as_ref();
    // Assignment's state is read, never committed: dropping it forgets the pick.
    let mut assigner = match args.assign || args.state.is_some() || args.roster.is_some() {
        true => Some(run::assigner_for(
            &policy,
            args.state.as_deref(),
            args.roster.as_deref(),
        )?),
        false => None,
    };
    match vm.explain(&record.json) {
        Ok((explanation, decision)) => {
            let decision = match (&mut assigner, decision) {
                (Some(assigner), Ok(decision)) => Ok(assigner
                    .assign(id, &decision, now)
                    .map_err(|e| UsageError(e.to_string()))?),
                (_, decision) => decision,
            };
            let line = roe::vm::decision::line(index, id, &decision);
            match args.format {
                Format::Human => {
                    let mut text = explanation.render();
                    text.push_str(&format!("decision: {line}"));
                    output::stdout_line(&text);
                }
                Format::Json => {
                    #[derive(serde::Serialize)]
                    struct Explained<'a> {
                        explanation: &'a roe::vm::explain::Explanation,
                        decision: Option<Box<serde_json::value::RawValue>>,
                    }
                    let both = Explained {
                        explanation: &explanation,
                        decision: serde_json::value::RawValue::from_string(line).ok(),
                    };
                    output::stdout_line(&serde_json::to_string(&both).unwrap_or_default());
                }
            }
            Ok(if decision.is_ok() {
                status::OK
            } else {
                status::RECORDS
            })
        }
        Err(ExplainError::Record(error)) => {
            let line = roe::vm::decision::line(index, id, &Err(error));
            output::stdout_line(&line);
            Ok(status::RECORDS)
        }
        Err(ExplainError::NoDebugInfo) => {
            output::error_line(&format!(
                "roe: `{}` was built with --strip: without its debug info there are no clauses to explain; explain the source, or build without --strip",
                args.policy.display()
            ));
            Ok(status::POLICY)
        }
    }
}

/// The record of `--record`: JSON text, or `@FILE` for a file that holds it.
fn given(record: &str) -> Result<roe::input::InputRecord, UsageError> {
    let text = match record.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(Path::new(path)).map_err(|e| {
            UsageError(format!(
                "cannot read `{path}`: {}",
                roe::diagnostics::io::io_problem(&e)
            ))
        })?,
        None => record.to_owned(),
    };
    let text = roe::source::without_byte_order_mark(&text);
    Ok(roe::input::json_record(text.trim()))
}
