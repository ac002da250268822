//! `roe ledger --state FILE`: the audit trail of assignment, one line per
//! record assigned: which policy and record, the team and person, when, and
//! by which rule.

use std::io::Write;
use std::path::PathBuf;

use roe::assign::Store;

use super::{Format, UsageError, status};

/// Arguments of `roe ledger`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The state `roe run --state` keeps: an SQLite file, or a postgres:// URL.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// A tab-separated table for people, or JSON Lines (one object per record).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Prints every assignment the state file records, by policy and record.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let named = args
        .state
        .to_str()
        .is_some_and(roe::assign::is_database_url);
    if !named && !args.state.exists() {
        return Err(UsageError(format!(
            "`{}` does not exist: name the file `roe run --state` wrote",
            args.state.display()
        )));
    }
    let mut store = roe::assign::open_store(&args.state).map_err(|e| UsageError(e.to_string()))?;
    let entries = store.ledger().map_err(|e| UsageError(e.to_string()))?;
    let mut out = String::new();
    if args.format == Format::Human {
        out.push_str("policy\trecord\tteam\tassignee\tat\trule\n");
    }
    for (key, entry) in entries {
        // The key is the policy's name and the record's id (JSON), apart.
        let (policy, record) = key.split_once('\u{1f}').unwrap_or(("", &key));
        match args.format {
            Format::Json => {
                let line = serde_json::json!({
                    "policy": policy,
                    "record": serde_json::from_str::<serde_json::Value>(record)
                        .unwrap_or_else(|_| serde_json::Value::from(record)),
                    "team": entry.team,
                    "assignee": entry.assignee,
                    "at": entry.at,
                    "rule": entry.rule,
                });
                out.push_str(&line.to_string());
            }
            Format::Human => {
                let record =
                    serde_json::from_str::<String>(record).unwrap_or_else(|_| record.to_owned());
                out.push_str(&format!(
                    "{policy}\t{record}\t{}\t{}\t{}\t{}",
                    entry.team,
                    entry.assignee.as_deref().unwrap_or("-"),
                    entry.at,
                    entry.rule
                ));
            }
        }
        out.push('\n');
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(|e| UsageError(format!("cannot write the ledger: {e}")))?;
    Ok(status::OK)
}
