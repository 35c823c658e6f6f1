//! The daemon's HTTP listener, hardened against the clients it cannot choose: anyone who can
//! reach the port.
//!
//! - a request head must arrive within [`Limits::header_read_timeout`] (a client that drips
//!   its headers is dropped);
//! - a webhook body must arrive within [`Limits::body_timeout`] and be at most
//!   [`Limits::max_body_bytes`] (413 beyond it);
//! - at most [`Limits::max_connections`] connections are served at once (more are closed at
//!   once, so they cannot queue up and hold memory);
//! - on shutdown the listener stops accepting and gives open connections
//!   [`Limits::shutdown_deadline`] to finish, then drops them: SIGTERM ends the process even
//!   with stuck clients.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use sync_core::engine::Shutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The listener's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time allowed for a request's head (request line and headers). Default 10 s.
    pub header_read_timeout: Duration,
    /// Time allowed for a webhook's body. Default 10 s.
    pub body_timeout: Duration,
    /// The largest webhook body accepted. Default 2 MiB (Shopify's deliveries are far
    /// smaller).
    pub max_body_bytes: usize,
    /// Connections served at once. Default 512.
    pub max_connections: usize,
    /// How long open connections may take to finish once the daemon stops. Default 5 s.
    pub shutdown_deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_body_bytes: 2 * 1024 * 1024,
            max_connections: 512,
            shutdown_deadline: Duration::from_secs(5),
        }
    }
}

/// Serves `app` on `listener` within `limits` until `stop` is triggered, then drains open
/// connections for at most `limits.shutdown_deadline`.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, stop: Shutdown) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    let stopped = async {
        while !stop.is_triggered() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    tracing::warn!(max = limits.max_connections, "connection refused: too many open");
                    continue;
                };
                let service = TowerToHyperService::new(app.clone());
                connections.spawn(async move {
                    let _permit = permit;
                    let served = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(limits.header_read_timeout)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    if let Err(error) = served {
                        tracing::debug!(%error, "connection ended");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(limits.shutdown_deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open at the shutdown deadline: dropped"
        );
        connections.abort_all();
    }
}
