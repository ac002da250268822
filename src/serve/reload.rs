//! Serving what the folder holds now: a reload compiles and verifies every
//! policy off to the side, then swaps the new catalog in at once. A policy
//! that fails keeps its previous version serving, and the failure is
//! logged, counted and answered to the admin call that asked. Requests in
//! flight finish on the version they started with (they hold it).
//!
//! Reloads come from a change to the folder (its files are hashed every
//! `--watch` interval), from SIGHUP, and from `POST /v1/admin/reload`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use super::catalog::Catalog;
use super::metrics::Metrics;

/// The served catalog, swapped whole on each reload.
#[derive(Debug)]
pub struct Live {
    /// The folder served.
    folder: PathBuf,
    catalog: RwLock<Arc<Catalog>>,
    /// One reload at a time, and the folder's signature it last saw.
    reloading: Mutex<u64>,
}

/// What a reload did.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// Each served policy and its version, after the reload.
    pub served: Vec<(String, String)>,
    /// Why files could not be served (those served before keep their version).
    pub problems: Vec<String>,
}

impl Live {
    /// Serves `catalog`, loaded from `folder`.
    pub fn new(folder: PathBuf, catalog: Catalog) -> Live {
        let signature = catalog.signature(&folder);
        Live {
            folder,
            catalog: RwLock::new(Arc::new(catalog)),
            reloading: Mutex::new(signature),
        }
    }

    /// The catalog served now.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reloads the folder now, whether or not it changed.
    pub fn reload(&self, metrics: &Metrics) -> Report {
        let mut last = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let before = self.catalog();
        let (catalog, problems) = match Catalog::reload(&before, &self.folder) {
            Ok(reloaded) => reloaded,
            Err(problem) => (Catalog::clone(&before), vec![problem]),
        };
        *last = catalog.signature(&self.folder);
        let served = catalog
            .all()
            .map(|s| (s.name.clone(), s.version.clone()))
            .collect();
        let count = catalog.all().count();
        *self.catalog.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog);
        metrics.reload(problems.is_empty(), count);
        for problem in &problems {
            tracing::error!(problem = %problem, "reload");
        }
        Report { served, problems }
    }

    /// Reloads when the folder's files changed since the last reload.
    pub fn reload_if_changed(&self, metrics: &Metrics) -> Option<Report> {
        let now = self.catalog().signature(&self.folder);
        let changed = *self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            != now;
        changed.then(|| self.reload(metrics))
    }
}

/// Watches the folder every `every` (if at all), and reloads on SIGHUP, for
/// as long as the runtime runs.
pub async fn watch(live: Arc<Live>, metrics: Arc<Metrics>, every: Option<Duration>) {
    #[cfg(unix)]
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = every.map(|every| {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick
    });
    loop {
        #[cfg(unix)]
        let hangup = async {
            match &mut hangups {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hangup = std::future::pending::<Option<()>>();
        let ticked = async {
            match &mut tick {
                Some(tick) => {
                    tick.tick().await;
                }
                None => std::future::pending().await,
            }
        };
        let forced = tokio::select! {
            () = ticked => false,
            _ = hangup => true,
        };
        let (live, metrics) = (live.clone(), metrics.clone());
        // Compiling is work for a thread of its own, not the runtime's.
        let _ = tokio::task::spawn_blocking(move || {
            if forced {
                live.reload(&metrics);
            } else {
                live.reload_if_changed(&metrics);
            }
        })
        .await;
    }
}
