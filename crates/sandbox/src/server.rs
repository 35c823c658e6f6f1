//! Loopback HTTP serving for the stand-ins, with a per-connection kill switch.
//!
//! The stand-ins do not use `axum::serve`: to simulate "the request took effect but the answer
//! was lost", a handler must be able to close its TCP connection without writing any response.
//! Every request therefore carries a [`ConnectionKill`] in its extensions; calling
//! [`ConnectionKill::kill`] (or [`drop_connection`]) makes the connection task drop the socket.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::Service;

/// Closes the TCP connection that carried a request, without any answer.
///
/// Found in the extensions of every request served by the sandbox.
#[derive(Debug, Clone)]
pub struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    /// Drops the connection: the client sees the connection closed before any response byte.
    pub fn kill(&self) {
        self.0.notify_one();
    }
}

/// Drops the connection of the request whose extensions are given.
///
/// Returns `false` when the request was not served by the sandbox's server (no kill switch).
/// A handler that calls this should then never complete (await `std::future::pending()`), so
/// that no answer is written.
pub fn drop_connection(extensions: &http::Extensions) -> bool {
    match extensions.get::<ConnectionKill>() {
        Some(kill) => {
            kill.kill();
            true
        }
        None => false,
    }
}

/// One running HTTP server.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Server {
    /// Starts serving `router` on `listener`.
    pub(crate) fn spawn(listener: TcpListener, router: Router) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router, rx));
        Ok(Server {
            addr,
            shutdown,
            task,
        })
    }

    /// Base URL, `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets open connections finish (up to 5 s), then returns.
    pub(crate) async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, _peer)) => {
                        conns.spawn(serve_connection(stream, router.clone(), shutdown.clone()));
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "sandbox: accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            _ = shutdown.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        conns.abort_all();
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let kill = ConnectionKill(Arc::new(Notify::new()));
    let for_requests = kill.clone();
    let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
        req.extensions_mut().insert(for_requests.clone());
        let mut router = router.clone();
        async move {
            let response: Result<axum::response::Response, Infallible> = router.call(req).await;
            response
        }
    });
    // No header-read timeout: hyper's default (30 s) also closes idle keep-alive connections,
    // which races with pooled client connections and fires at once under paused tokio time.
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = kill.0.notified() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = kill.0.notified() => {}
            }
        }
    }
}
