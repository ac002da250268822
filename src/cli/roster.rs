//! `roe roster --state STATE [--import FILE]`: the roster kept in the
//! assignment state, so every process sharing the state (`roe run --state`,
//! replicas of `roe serve --state`) picks people with one roster.

use std::io::Write;
use std::path::PathBuf;

use roe::assign::{Roster, Store};

use super::{UsageError, status};

/// Arguments of `roe roster`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The state: an SQLite file (created when missing), or a postgres:// URL.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// Checks this roster and keeps it in the state: a JSON array of
    /// {"member", "user_id", "away": [{"from", "until"}]}, or a CSV file
    /// (.csv) with the columns member, user_id, away_from, away_until.
    #[arg(long, value_name = "FILE")]
    import: Option<PathBuf>,
}

/// Imports a roster into the state, or prints the one it keeps.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let mut store = roe::assign::open_store(&args.state).map_err(|e| UsageError(e.to_string()))?;
    let Some(file) = &args.import else {
        let kept = store.roster().map_err(|e| UsageError(e.to_string()))?;
        let text = kept.unwrap_or_else(|| "[]".to_owned());
        let _ = writeln!(std::io::stdout().lock(), "{text}");
        return Ok(status::OK);
    };
    let text = std::fs::read_to_string(file).map_err(|e| {
        UsageError(format!(
            "cannot read the roster `{}`: {}",
            file.display(),
            roe::diagnostics::io::io_problem(&e)
        ))
    })?;
    let csv = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (json, roster) = Roster::import(&text, csv)
        .map_err(|e| UsageError(format!("roster `{}`: {e}", file.display())))?;
    store
        .save_roster(&json)
        .and_then(|()| store.commit())
        .map_err(|e| UsageError(e.to_string()))?;
    let _ = writeln!(
        std::io::stderr().lock(),
        "roe roster: {} people kept in `{}`",
        roster.len(),
        args.state.display()
    );
    Ok(status::OK)
}
