//! The shared runtime and the sync engine of the Flow ERP ⇄ Shopify ⇄ ETA workspace.
//!
//! # A short tour
//!
//! This crate is the one every other crate of the workspace depends on. It holds two things:
//!
//! **The shared HTTP runtime**, used by `shopify-client`, `flow-erp-client` and `eta-ereceipt`:
//!
//! - [`transport`]: the [`Transport`](transport::Transport) seam, from an
//!   `http::Request<Bytes>` to an `http::Response<Bytes>`. [`ReqwestTransport`](transport::ReqwestTransport)
//!   is the real one; any async closure is one too, so unit tests need no server.
//! - [`retry`]: a pure [`RetryPolicy::decide`](retry::RetryPolicy::decide) (server hint first,
//!   then the error kind, then capped exponential backoff with jitter, bounded by attempts and
//!   total time), the [`retry::run`] driver, and the one `Retry-After` rule
//!   ([`retry::parse_retry_after`]: seconds or HTTP-date, on the injected clock, capped).
//! - [`frame`]: the [`Frame`](frame::Frame) every client call runs in (span → retry driver →
//!   transport send → classify), and the [`FrameBuilder`](frame::FrameBuilder) behind each
//!   client builder's `transport`, `retry` and `clock` setters.
//! - [`error`]: [`ErrorKind`](error::ErrorKind) and the [`Classify`](error::Classify) trait that each
//!   crate's `Error` implements, so the engine can tell "retry" from "dead-letter" from
//!   "look it up before doing anything" (an uncertain outcome).
//! - [`clock`]: injectable time ([`TokioClock`](clock::TokioClock), [`FixedClock`](clock::FixedClock)).
//! - [`money`]: [`Money`](money::Money), an exact decimal plus an ISO currency whose JSON
//!   keeps the literal (`"10.50"` stays `10.50`).
//! - [`id`]: the [`define_id!`] macro for typed ID newtypes.
//! - [`paging`]: cursor pages as a `futures::Stream`.
//! - [`secret`]: credentials as [`SecretString`](secret::SecretString), sensitive headers.
//! - [`url_policy`]: outbound URLs must be https unless loopback or explicitly allowed.
//! - [`trace`]: one tracing span per logical request.
//!
//! ```
//! use std::time::Duration;
//! use sync_core::clock::TokioClock;
//! use sync_core::error::{Classify, ErrorKind};
//! use sync_core::retry::{self, RetryPolicy};
//!
//! #[derive(Debug)]
//! struct Flaky;
//! impl std::fmt::Display for Flaky {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("flaky") }
//! }
//! impl Classify for Flaky {
//!     fn kind(&self) -> ErrorKind { ErrorKind::Transient }
//! }
//!
//! # async fn demo() {
//! let policy = RetryPolicy::default().base_delay(Duration::from_millis(1));
//! let answer = retry::run(&policy, &TokioClock, |attempt| async move {
//!     if attempt < 3 { Err(Flaky) } else { Ok(attempt) }
//! })
//! .await;
//! assert_eq!(answer.unwrap(), 3);
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo());
//! ```
//!
//! **The engine** (neutral model, connector traits, state store, flows) is described in
//! `docs/architecture.md` and `docs/guarantees.md` of the workspace.
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `rustls` | yes | TLS through rustls |
//! | `native-tls` | no | TLS through the platform library (for hosts that need legacy renegotiation) |
//! | `sqlite` | yes | the SQLite state store |
//! | `postgres` | no | the PostgreSQL state store |
//! | `test-util` | no | in-memory connectors and a throwaway PostgreSQL server for tests |
//!
//! Client crates depend on this crate with `default-features = false`, so they carry no
//! database code.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod clock;
pub mod connector;
pub mod engine;
pub mod error;
pub mod frame;
pub mod id;
pub mod model;
pub mod money;
pub mod paging;
pub mod retry;
pub mod secret;
pub mod store;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod trace;
pub mod transport;
pub mod url_policy;
