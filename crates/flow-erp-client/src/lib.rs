//! A client for Flow ERP (Microsystems, Egypt; cloud tenants on MCBS hosts) on the surfaces
//! its public client code shows: the login, the REST reads, read-only SQL through `GETREC`,
//! and the document save with exactly-once lookups.
//!
//! Microsystems publishes no API document. Everything here follows what public client code
//! shows (see `docs/flow-erp.md` in the workspace); everything that differs between tenants
//! is configuration ([`FlowConfig`]), not code.
//!
//! # Quick start
//!
//! ```no_run
//! use chrono::NaiveDate;
//! use rust_decimal::Decimal;
//! use flow_erp_client::{DocumentLine, FlowClient, FlowConfig, Party, SalesDocument};
//!
//! # async fn run() -> Result<(), flow_erp_client::Error> {
//! let config = FlowConfig::from_toml_str(r#"
//!     account = "1001"
//!     user = "WEBSHOP"
//!     password = "from-your-secret-store"
//! "#)?;
//! let flow = FlowClient::builder(config).build()?;
//!
//! let items = flow.items().await?;
//! println!("{} items", items.len());
//!
//! let mut doc = SalesDocument::new(
//!     "SALINV",
//!     "#1001",
//!     NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
//!     Party { number: "77".into(), ..Party::default() },
//! );
//! doc.lines.push(DocumentLine::new("1234", Decimal::ONE, Decimal::new(9950, 2)));
//! let outcome = flow.save_document_exactly_once(&doc).await?;
//! println!("saved as {} {}", outcome.document().op, outcome.document().docno);
//! # Ok(()) }
//! ```
//!
//! # Surfaces and authentication
//!
//! | host (cloud default) | what | key header |
//! |---|---|---|
//! | `login.mcbs-global.com` | `POST /api/chkusr/login` (JSON) | – |
//! | `api.mcbs-global.com` | REST reads, `GETREC`, `ADDPOS` | `apikey` |
//! | `erp.mcbs-global.com` | `/?OP=CHKUSR` legacy login, `EXECMD`, `LDSRCHDRNO` | `XAPIKEY` |
//!
//! The first call logs in: the JSON login (a non-empty `errMsg` is a failure even on HTTP
//! 200) or the legacy form-feed login, one the fallback of the other
//! ([`config::LoginOrder`]). The session key is cached; when a call shows it expired (HTTP
//! 401/403, or a `CMDERR` whose reason carries one of `login.expired_markers`) the client logs
//! in again once and repeats the call. From the legacy answer only the key and the session
//! fields are kept ([`Session`]); the server configuration it also carries is dropped while
//! parsing. The password is a [`SecretString`](sync_core::secret::SecretString) and no
//! `Debug` output shows it or the key.
//!
//! # Errors and retries
//!
//! One [`Error`] type implements [`sync_core::error::Classify`]. Reads and idempotent
//! commands are retried by [`sync_core::retry::run`] on transient failures. `CMDERR…` becomes
//! [`Error::Refused`] with the server's reason (permanent). A save whose answer is neither
//! `CMDDNE,n` nor `CMDERR`, or whose connection was lost after sending, is
//! [`Error::UncertainSave`] (`is_uncertain() == true`) and is never retried blindly:
//! [`FlowClient::save_document_exactly_once`] first looks the document up by its Shopify
//! reference with read-only SQL, and saves again only when it is certainly absent.
//!
//! # Building blocks
//!
//! - [`wire`]: BOM-aware decoding, the one `\v`/`\f` parameter builder
//!   ([`wire::render_params`]), `CMDDNE`/`CMDERR` answers, the legacy login answer.
//! - [`sql`]: `GETREC` queries from typed parameters, and the read-only check.
//! - [`reads`]: typed reads (`GETOPC`, `GETCOM`, stores, `GETCON`, `GETITM`, groups,
//!   `GETPRCLST`, `GETBAL`, `GETDOC`, `trnhdr` headers, `LDSRCHDRNO`).
//! - [`customers`] and [`normalize`]: exact customer matching on normalised Arabic or Latin
//!   names, phones and e-mails; `ADDCON`.
//! - [`documents`]: templates, the `GETOPC` check, `ADDPOS` with read-back, `DELPOS` soft
//!   delete, exactly-once.
//! - [`catalog`]: the configured item-master → product/variant mapping.
//! - [`adapter`]: [`adapter::FlowErp`], sync-core's `ErpCatalog` and `ErpSales` on Flow.
//!
//! # Feature flags
//!
//! | feature | default | what |
//! |---|---|---|
//! | `rustls` | yes | TLS through rustls |
//! | `native-tls` | no | TLS through the platform library |
//!
//! # Testing
//!
//! [`FlowClientBuilder::transport`] takes any [`sync_core::transport::Transport`], including
//! a closure, and host URLs may point at a loopback test server (the crate's own tests use
//! wiremock to reproduce each surface's answers).

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapter;
pub mod catalog;
mod client;
pub mod config;
pub mod customers;
pub mod documents;
pub mod error;
pub mod normalize;
pub mod reads;
mod record;
pub mod sql;
mod templates;
pub mod wire;

pub use client::{FlowClient, FlowClientBuilder, LoginMethod, Session};
pub use config::FlowConfig;
pub use customers::{CustomerIndex, CustomerMatch, CustomerQuery, CustomerRecord, MatchedBy};
pub use documents::{
    DocumentLine, DocumentTemplate, Party, PaymentKind, SalesDocument, SaveOutcome, SavedDocument,
    SoftDeleted,
};
pub use error::{Error, Result};
pub use reads::{
    Company, Customer, Document, DocumentHeader, EligibleSource, HeaderQuery, Item,
    OperationConfig, Record, StockBalance, Store,
};
