//! shopify-client (work in progress).
#![deny(missing_docs)]
pub mod adapter;
pub mod auth;
pub mod client;
pub mod cost;
pub mod error;
pub mod queries;
pub mod scalars;
pub mod webhook;

pub use auth::{AccessToken, Auth, OAuthApp};
pub use client::{ShopifyClient, ShopifyClientBuilder};
pub use cost::{CostBucket, QueryCost, ThrottleStatus};
pub use error::{Error, GraphQlError, UserError};
pub mod ops;
