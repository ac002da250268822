//! `roe explain POLICY --record JSON`: why a record gets its decision.

use std::path::PathBuf;

use jiff::Timestamp;
use roe::vm::explain::ExplainError;

use super::{Format, UsageError, output, run, status};

/// Arguments of `roe explain`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy: a `.roe` source, or a `.roec` that kept its debug info.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// The record: a JSON object, or `@FILE` to read it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    record: String,
    /// The evaluation instant (RFC 3339); default: now, to the second.
    #[arg(long, value_name = "TIME", value_parser = run::parse_now)]
    now: Option<Timestamp>,
    /// Human text, or one JSON object on stdout (after the policy's
    /// diagnostics as one JSON array, when it has any).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Explains the decision; exit 1 for policy errors, 3 for an invalid record.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let (policy, warnings) = match run::load_policy(&args.policy, args.format)? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    let text = match args.record.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            UsageError(format!(
                "cannot read `{path}`: {}",
                roe::diagnostics::io::io_problem(&e)
            ))
        })?,
        None => args.record.clone(),
    };
    warnings.print();
    let text = roe::source::without_byte_order_mark(&text);
    let record = match roe::input::json_record(text.trim()) {
        Ok(record) => record,
        // Invalid as a record, like a line of `roe run` that is not JSON.
        Err(error) => {
            output::stdout_line(&roe::vm::decision::line(0, None, &Err(error)));
            return Ok(status::RECORDS);
        }
    };
    let now = args.now.unwrap_or_else(run::run_start);
    let mut vm = policy.vm(now);
    let id = record.id.as_ref();
    match vm.explain(&record.json) {
        Ok((explanation, decision)) => {
            let line = roe::vm::decision::line(0, id, &decision);
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
            let line = roe::vm::decision::line(0, id, &Err(error));
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
