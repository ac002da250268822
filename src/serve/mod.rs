//! `roe serve`: the decision service other systems call over HTTP. It
//! serves every policy of a folder ([`catalog`]) through a small JSON API
//! ([`routes`]) whose decisions are exactly `roe run`'s lines.

pub mod catalog;
pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

pub use catalog::Catalog;
pub use routes::Shared;

/// How a service is set up.
#[derive(Debug)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// The most records one request may carry.
    pub max_batch: usize,
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
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("cannot tell the address listened on: {e}"))?;
        listening(bound);
        let shared = Arc::new(Shared {
            catalog,
            max_batch: config.max_batch,
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
