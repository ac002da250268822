//! `roe serve --policies DIR`: the decision service. Every policy of the
//! folder is compiled (or loaded) and verified before the first request;
//! one that cannot be served stops the start with its reason.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use roe::serve::{Catalog, Config};

/// How `roe serve` logs.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Text for people.
    Text,
    /// Nothing.
    Off,
}

use super::{UsageError, status};

/// Arguments of `roe serve`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Endpoints (JSON; decisions are exactly `roe run`'s lines):
  GET  /healthz, /readyz              liveness and readiness
  GET  /v1/policies                   the served policies, their versions and fingerprints
  POST /v1/policies/NAME/decide       a record (object) -> its line; an array -> an array of lines;
                                      NDJSON (Content-Type: application/x-ndjson) -> a line per record
                                      ?now=RFC3339 decides at that instant (else the server's clock)
  GET  /metrics                       Prometheus metrics
  POST /v1/admin/reload               reload the folder now (needs the admin token)
  GET, PUT /v1/admin/roster           the roster assignment uses (JSON array, or CSV as text/csv)
Each decision response names the policy version in the `roe-policy-version` header.
Changed policies are reloaded (every --watch seconds, on SIGHUP, or by the admin call):
compiled and verified first, then swapped in; one that fails keeps its old version.
A policy is served by its file's stem; `*.test.roe` files and libraries are not served.
The service speaks plain HTTP: put TLS in front of it (an ingress or a proxy).
Example: roe serve --policies examples --addr 127.0.0.1:8080")]
pub struct Args {
    /// The folder of `.roe` and `.roec` files to serve.
    #[arg(long, value_name = "DIR")]
    policies: PathBuf,
    /// The address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The largest request body, in bytes (larger ones get 413).
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    max_body: usize,
    /// The most records one request may carry (more get 413).
    #[arg(long, value_name = "RECORDS", default_value_t = 100_000)]
    max_batch: usize,
    /// End an NDJSON stream that sends nothing for this many seconds, and
    /// give up a JSON body that has not arrived whole in this many (408).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    idle_timeout: f64,
    /// How often to check the folder for changed policies, in seconds (0: never;
    /// SIGHUP and `POST /v1/admin/reload` reload at any time).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    watch: f64,
    /// A file holding the bearer token of admin calls (else $ROE_ADMIN_TOKEN);
    /// without one, admin calls are off.
    #[arg(long, value_name = "FILE")]
    admin_token_file: Option<PathBuf>,
    /// Pick the person for each hand-off (round robin, weights, caps, absences),
    /// as `roe run --assign` does; state starts empty in memory.
    #[arg(long)]
    assign: bool,
    /// Keep assignment state in an SQLite file, or in PostgreSQL (a postgres://
    /// URL) shared by every replica; the roster is the one it keeps. Implies --assign.
    #[arg(long, value_name = "FILE|URL")]
    state: Option<PathBuf>,
    /// How to log (on stderr): a JSON object per line, text, or nothing.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
    /// A file holding a bearer token every decide call must carry (else
    /// $ROE_DECIDE_TOKEN); without one, decide calls need none.
    #[arg(long, value_name = "FILE")]
    decide_token_file: Option<PathBuf>,
}

/// A token from `file`, else from the environment variable `variable`.
fn token(file: Option<&PathBuf>, variable: &str) -> Result<Option<String>, UsageError> {
    let token = match file {
        Some(file) => Some(std::fs::read_to_string(file).map_err(|e| {
            UsageError(format!(
                "cannot read the token file `{}`: {e}",
                file.display()
            ))
        })?),
        None => std::env::var(variable).ok(),
    };
    match token.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Err(UsageError(format!(
            "the token ({}) is empty: give a long random one",
            file.map_or_else(|| format!("${variable}"), |f| format!("`{}`", f.display()))
        ))),
        Some(token) => Ok(Some(token.to_owned())),
    }
}

/// Loads the folder's policies and serves them until SIGTERM or Ctrl-C.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    roe::serve::logs::init(match args.log_format {
        LogFormat::Json => roe::serve::logs::LogFormat::Json,
        LogFormat::Text => roe::serve::logs::LogFormat::Text,
        LogFormat::Off => roe::serve::logs::LogFormat::Off,
    });
    let catalog = Catalog::load(&args.policies).map_err(UsageError)?;
    let served: Vec<String> = catalog.all().map(|s| s.name.clone()).collect();
    let watch = match args.watch {
        0.0 => None,
        s if s.is_finite() && s > 0.0 => Some(std::time::Duration::from_secs_f64(s.min(86_400.0))),
        s => {
            return Err(UsageError(format!(
                "--watch {s}: give the seconds between checks of the folder, or 0 for none"
            )));
        }
    };
    if !(args.idle_timeout.is_finite() && args.idle_timeout > 0.0) {
        return Err(UsageError(format!(
            "--idle-timeout {}: give the seconds an NDJSON stream may send nothing",
            args.idle_timeout
        )));
    }
    let config = Config {
        idle: std::time::Duration::from_secs_f64(args.idle_timeout.min(86_400.0)),
        folder: args.policies.clone(),
        watch,
        admin_token: token(args.admin_token_file.as_ref(), "ROE_ADMIN_TOKEN")?,
        decide_token: token(args.decide_token_file.as_ref(), "ROE_DECIDE_TOKEN")?,
        assign: args.assign,
        state: args.state.clone(),
        addr: args.addr,
        max_body: args.max_body,
        max_batch: args.max_batch,
    };
    roe::serve::serve(catalog, &config, |bound| {
        // The first line says where: a caller that asked for port 0 reads it.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "roe serve: listening on http://{bound} ({})",
            served.join(", ")
        );
        let _ = out.flush();
    })
    .map_err(UsageError)?;
    Ok(status::OK)
}
