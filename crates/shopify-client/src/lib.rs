//! shopify-client (work in progress).
#![deny(missing_docs)]
pub mod queries;
pub mod scalars;
