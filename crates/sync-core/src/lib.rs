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
//! - [`id`]: the [`define_id!`] macro for typed ID newtypes, and
//!   [`IdempotencyKey`](id::IdempotencyKey), checked on construction.
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
//! **The engine**, which keeps the three systems in step:
//!
//! - [`model`]: the neutral model every system maps to and from: item groups and variants,
//!   stock levels, promotions, customers, orders with their refunds, shipments, receipts.
//!   Every id in it has its own type ([`OrderId`](model::OrderId),
//!   [`LocationId`](model::LocationId), …; see [typed ids](model#typed-ids)), used by the
//!   connector traits too, so ids of different kinds cannot be mixed up; a connector checks an
//!   id's form once, at its own edge.
//! - [`connector`]: the traits a system implements to plug in: the ERP as catalogue
//!   ([`ErpCatalog`](connector::ErpCatalog)) and as sink of sales
//!   ([`ErpSales`](connector::ErpSales)), the storefront as catalogue sink
//!   ([`StorefrontCatalog`](connector::StorefrontCatalog)) and as source of orders
//!   ([`StorefrontOrders`](connector::StorefrontOrders)), and the
//!   [`TaxAuthority`](connector::TaxAuthority).
//! - [`store`]: the [`StateStore`](store::StateStore) (SQLite, PostgreSQL) of bindings
//!   (what was written where), checkpoints, jobs, webhook event ids, receipt chains and audit.
//! - [`engine`]: the [`Engine`](engine::Engine). Each flow *decides* what it wants written as
//!   jobs with deterministic keys; the job runtime leases them, marks each started before its
//!   remote call, and looks the effect up after a crash or a lost answer instead of writing
//!   twice. [`Engine::run_once`](engine::Engine::run_once) runs every
//!   [`Flow`](engine::Flow) and drains the queue, [`Engine::run`](engine::Engine::run) repeats
//!   passes and takes webhooks in between, and [`Engine::plan`](engine::Engine::plan) lists
//!   what a run would write, through the same decisions.
//!
//! ```
//! use std::sync::Arc;
//! use sync_core::engine::memory::{MemoryErp, MemoryStorefront, MemoryTax};
//! use sync_core::engine::{Connectors, Engine, EngineConfig};
//! use sync_core::model::{ProductGroup, ProductStatus, Variant};
//! # #[cfg(feature = "sqlite")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let erp = Arc::new(MemoryErp::new());
//! erp.set_groups(vec![ProductGroup {
//!     code: "TEE".into(),
//!     title: "Tee".into(),
//!     description: String::new(),
//!     vendor: None,
//!     product_type: None,
//!     status: ProductStatus::Active,
//!     options: vec!["Colour".into()],
//!     variants: vec![Variant {
//!         sku: "TEE-RED".into(),
//!         item_code: "TEE".into(),
//!         option_values: vec!["Red".into()],
//!         barcode: None,
//!         weight_kg: None,
//!         price: "100.00".parse()?,
//!         compare_at_price: None,
//!         taxable: true,
//!     }],
//!     images: Vec::new(),
//! }]);
//! let shop = Arc::new(MemoryStorefront::new(Vec::new()));
//! let connectors = Connectors {
//!     erp_catalog: erp.clone(),
//!     erp_sales: erp,
//!     storefront_catalog: shop.clone(),
//!     storefront_orders: shop,
//!     tax: Arc::new(MemoryTax::new("POS-1", &["cash"])),
//! };
//! let store = Arc::new(sync_core::store::SqliteStore::in_memory().await?);
//! let engine = Engine::new(connectors, store, EngineConfig::new("my-shop"));
//!
//! let planned = engine.plan().await?; // what a run would write: one product to create
//! assert_eq!((planned[0].flow.as_str(), planned[0].action.as_str()), ("catalog", "create"));
//! let summary = engine.run_once().await?; // write it
//! assert_eq!(summary.products_pushed, 1);
//! assert!(engine.plan().await?.is_empty(), "nothing left to write");
//! # Ok(())
//! # }
//! # #[cfg(feature = "sqlite")]
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```
//!
//! `docs/architecture.md` of the workspace shows the engine's layout and how to add a flow;
//! `docs/guarantees.md` lists each guarantee with the test that proves it.
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
