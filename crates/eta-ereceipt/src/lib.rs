//! eta-ereceipt: the Egyptian Tax Authority e-receipt side, usable on its own.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod canonical;

sync_core::define_id!(
    /// A receipt UUID: 64 lowercase hex characters, the SHA-256 of the receipt's canonical text.
    ReceiptUuid
);
pub mod builder;
pub mod chain;
pub mod client;
pub mod codes;
pub mod error;
pub mod model;
pub mod qr;
pub mod validate;

pub use error::Error;
pub mod mapping;
