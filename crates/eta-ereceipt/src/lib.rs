//! The Egyptian Tax Authority (ETA) e-receipt side, usable on its own: typed receipt v1.2,
//! canonical serialization and UUID, the per-device chain, validation, QR codes, submission.
//!
//! # A short tour
//!
//! | module | what it does |
//! |---|---|
//! | [`canonical`] | ETA's canonical serialization over JSON **text** (literals and key order kept), the receipt UUID, batches |
//! | [`model`] | the typed receipt v1.2; [`Receipt::seal`](model::Receipt::seal) serializes once and hashes those bytes |
//! | [`codes`] | code tables as enums with wire codes (payment methods, buyer types, tax types, …) |
//! | [`builder`] | a receipt from lines, every figure computed per ETA's main calculations (≤ 5 decimals) |
//! | [`chain`] | `previousUUID` per POS device behind a small store trait; corrections |
//! | [`validate`] | checks before sending; every problem names the JSON path and the rule |
//! | [`mapping`] | a shop sale with VAT-inclusive prices → a receipt whose total is what was paid; refunds → returns |
//! | [`qr`] | the QR content and its SVG/PNG image |
//! | [`client`] | token, submission (lost responses resolved by look-up), details, raw, share, search |
//!
//! # Quick start: the uuid of a receipt someone else made
//!
//! ```
//! let receipt = r#"{"header":{"receiptNumber":"R-1","uuid":"","previousUUID":""},"totalAmount":"1000.000"}"#;
//! let stamped = eta_ereceipt::canonical::stamp_receipt_uuid(receipt).unwrap();
//! assert_eq!(stamped.uuid.as_str(), "2ed1573cf9fd00e782c429a5372533cf19ea8b497f324c815c192a4e306ce343");
//! assert!(stamped.json.contains(r#""uuid":"2ed1573c"#));
//! ```
//!
//! # Quick start: build, chain, validate and send
//!
//! ```no_run
//! # #[cfg(feature = "client")]
//! # mod demo {
//! use chrono::Utc;
//! use eta_ereceipt::builder::{LineInput, ReceiptBuilder, TaxInput};
//! use eta_ereceipt::chain::{MemoryChainStore, ReceiptChain};
//! use eta_ereceipt::client::{EtaClient, Environment, PosCredentials, SubmissionBatch};
//! use eta_ereceipt::codes::{ItemType, TaxType, UnitType};
//! use eta_ereceipt::validate::{validate, ValidationOptions};
//! use rust_decimal_macros::dec;
//!
//! # async fn run(seller: eta_ereceipt::model::Seller) -> Result<(), eta_ereceipt::Error> {
//! let receipt = ReceiptBuilder::sale(seller, "1001", Utc::now())
//!     .line(
//!         LineInput::new("SKU1", "Tea", ItemType::Egs, "EG-674859545-SKU1", UnitType::Each, dec!(2), dec!(10.50))
//!             .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14))),
//!     )
//!     .build()?; // a `BuildError` names the line and the rule
//! let problems = validate(&receipt, &ValidationOptions::at(Utc::now()));
//! assert!(problems.is_empty(), "{problems:?}");
//!
//! let chain = ReceiptChain::new(MemoryChainStore::default(), "POS-1");
//! let sealed = chain.issue(receipt).await?; // previousUUID set, uuid computed; a `ChainError` converts too
//!
//! let credentials = PosCredentials::new("client-id", "client-secret", "POS-1", "os", "1", "pre-shared-key");
//! let client = EtaClient::builder(Environment::Preproduction, credentials).build()?;
//! let result = client.submit(&SubmissionBatch::from_sealed(&[sealed])?).await?;
//! println!("accepted: {}, rejected: {}", result.accepted.len(), result.rejected.len());
//! # Ok(()) }
//! # }
//! # fn main() {}
//! ```
//!
//! # Authentication
//!
//! [`client::EtaClient`] gets a token with the OAuth client-credentials grant on the identity
//! host, sending the four POS headers (`posserial`, `pososversion`, `posmodelframework`,
//! `presharedkey`). Tokens are cached per environment + client id + POS serial until shortly
//! before `expires_in` (a [`client::TokenCache`] can be shared between clients), and refreshed
//! when a call answers 401 (the call is sent again at once; a 401 that outlasts the new token is
//! a transient error, retried with the retry policy). Secrets are [`secrecy::SecretString`]s, header values are
//! marked sensitive, and `Debug` output shows `[REDACTED]`.
//!
//! # Errors and retries
//!
//! One [`Error`] enum; it implements sync-core's
//! [`Classify`](sync_core::error::Classify): `kind()` tells transient, throttling, server and
//! client errors apart, `retry_after()` carries `Retry-After`, and `is_uncertain()` marks a
//! submission whose outcome is unknown (timeout after sending, 422 duplicate). Every call runs
//! under sync-core's retry driver; an uncertain submission is never resent blindly:
//! [`EtaClient::submit`](client::EtaClient::submit) looks each uuid up first and resends only
//! what ETA does not have.
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `rustls` | yes | TLS through rustls |
//! | `native-tls` | no | the platform's TLS library (ETA's hosts may need legacy renegotiation) |
//! | `client` | yes (through `rustls`) | [`client`], [`adapter`] and [`Error`]: the HTTP client (reqwest, through sync-core) and its tokio runtime |
//! | `png` | yes | [`qr::qr_png`], the QR code as a PNG image (the `image` encoder) |
//!
//! An offline tool that only prepares or checks receipts (model, canonical form and uuid,
//! builder, mapping, validation, chain, QR content and SVG) builds without both:
//!
//! ```toml
//! [dependencies]
//! eta-ereceipt = { version = "0.1", default-features = false }
//! ```
//!
//! # Testing
//!
//! Clients take any sync-core [`Transport`](sync_core::transport::Transport), closures included,
//! and their base URLs can point at a local server: the crate's own tests run every endpoint
//! against wiremock. Pure parts (canonical form, builder, validation, mapping) need no server.
//! See `docs/eta.md` in the workspace for the mapping rules and what is still unverified.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod adapter;
pub mod builder;
pub mod buyer;
pub mod canonical;
pub mod chain;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod code_check;
pub mod codes;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod error;
pub mod mapping;
pub mod model;
pub mod qr;
#[cfg(feature = "client")]
mod recovery;
pub mod tables;
mod uuid;
pub mod validate;
#[cfg(feature = "client")]
mod verdict;

#[cfg(feature = "client")]
pub use error::Error;
pub use uuid::ReceiptUuid;
