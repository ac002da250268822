//! `roe serve`: the decision service other systems call over HTTP. It
//! serves every policy of a folder ([`catalog`]) through a small JSON API
//! ([`routes`]) whose decisions are exactly `roe run`'s lines, reloads the
//! folder when it changes ([`reload`]) and counts what it does
//! ([`metrics`]).

pub mod assigning;
pub mod catalog;
pub mod decider;
pub mod logs;
pub mod metrics;
pub mod reload;
pub mod routes;
pub mod stream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use catalog::Catalog;
pub use routes::Shared;

/// How a service is set up.
#[derive(Debug)]
pub struct Config {
    /// The folder of policies, served and watched.
    pub folder: PathBuf,
    /// How often the folder is checked for changes; `None` checks never
    /// (SIGHUP and the admin call still reload).
    pub watch: Option<Duration>,
    /// The bearer token of admin calls; without one they are off.
    pub admin_token: Option<String>,
    /// The bearer token decide calls need, if any.
    pub decide_token: Option<String>,
    /// Whether hand-offs get an assignee.
    pub assign: bool,
    /// Where assignment state lives: an SQLite file or a postgres:// URL;
    /// `None` keeps it in memory.
    pub state: Option<PathBuf>,
    /// Where to listen.
    pub addr: SocketAddr,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// The most records one request may carry.
    pub max_batch: usize,
    /// How long an NDJSON stream may send nothing before it is ended.
    pub idle: Duration,
}

/// Serves `catalog` until SIGTERM or Ctrl-C, after which requests in flight
/// finish and it returns. `listening` is told the bound address first (the
/// port chosen, when `config.addr` asks for port 0).
pub fn serve(
    catalog: Catalog,
    config: &Config,
    listening: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the service's runtime: {e}"))?;
    let assigning = match config.assign || config.state.is_some() {
        true => Some(assigning::Assigning::new(config.state.clone())?),
        false => None,
    };
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("cannot tell the address listened on: {e}"))?;
        listening(bound);
        let metrics = Arc::new(metrics::Metrics::default());
        metrics.served(catalog.all().count());
        let live = Arc::new(reload::Live::new(config.folder.clone(), catalog));
        tokio::spawn(reload::watch(live.clone(), metrics.clone(), config.watch));
        let shared = Arc::new(Shared {
            live,
            metrics,
            max_batch: config.max_batch,
            admin_token: config.admin_token.clone(),
            decide_token: config.decide_token.clone(),
            assigning,
            max_body: config.max_body,
            idle: config.idle,
        });
        axum::serve(listener, routes::router(shared, config.max_body))
            .with_graceful_shutdown(stopped())
            .await
            .map_err(|e| format!("the service stopped: {e}"))
    })
}

/// Resolves on SIGTERM or Ctrl-C.
async fn stopped() {
    let interrupted = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminated = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminated = std::future::pending::<()>();
    tokio::select! {
        () = interrupted => {},
        () = terminated => {},
    }
}
