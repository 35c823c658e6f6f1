//! Stateful local stand-ins of Shopify, Flow ERP and ETA, written from the specs.
#![deny(missing_docs)]

pub mod faults;
