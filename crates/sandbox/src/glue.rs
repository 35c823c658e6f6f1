//! Wiring of the Shopify stand-in (the `shopify` module, written separately) into the sandbox.
//!
//! Until that module exists, the Shopify server answers only the admin endpoints and 501 for
//! everything else; this file is the one place to change when it lands.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::faults::Faults;
use crate::flow::FlowCatalogItem;

/// Stands for the Shopify state until the Shopify stand-in is built in.
#[derive(Debug)]
pub(crate) struct ShopifySlot;

/// Creates the Shopify state and its initial orders.
pub(crate) fn new_slot(
    _config: &crate::SandboxConfig,
    _catalog: &[FlowCatalogItem],
) -> ShopifySlot {
    ShopifySlot
}

/// The Shopify router.
pub(crate) fn router(_slot: &ShopifySlot, _faults: Arc<Faults>) -> Router {
    Router::new().fallback(|| async {
        (
            StatusCode::NOT_IMPLEMENTED,
            axum::Json(json!({"errors": [{"message": "the Shopify stand-in is not built into this sandbox yet"}]})),
        )
            .into_response()
    })
}

/// The `shopify` part of the dump.
pub(crate) fn dump(_slot: &ShopifySlot) -> Value {
    json!({"orders": [], "products": []})
}

/// The Shopify stand-in's own counters.
pub(crate) fn stats(_slot: &ShopifySlot) -> Value {
    json!({})
}

/// Throttled answers, read from the Shopify stats.
pub(crate) fn throttled(stats: &Value) -> Value {
    stats.get("throttled").cloned().unwrap_or(json!(0))
}

/// Query cost spent, read from the Shopify stats.
pub(crate) fn cost_spent(stats: &Value) -> Value {
    stats.get("cost_spent").cloned().unwrap_or(json!(0))
}

/// Generates `n` orders over `catalog`.
pub(crate) fn generate_orders(
    _slot: &ShopifySlot,
    _catalog: &[FlowCatalogItem],
    _n: usize,
    _refund_rate: f64,
    _cancel_rate: f64,
    _seed: u64,
) -> Result<usize, String> {
    Err("the Shopify stand-in is not built into this sandbox yet".into())
}
