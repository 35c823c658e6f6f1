//! Wiring of the Shopify stand-in (the [`crate::shopify`] module) into the sandbox: its state,
//! its router, its part of the dump and stats, and the order generator fed from the Flow
//! catalog.

use std::sync::Arc;

use axum::Router;
use serde_json::{Value, json};

use crate::faults::Faults;
use crate::flow::FlowCatalogItem;
use crate::shopify::{CatalogEntry, ShopifyState};

/// The Shopify state.
pub(crate) type ShopifySlot = Arc<ShopifyState>;

fn entries(catalog: &[FlowCatalogItem]) -> Vec<CatalogEntry> {
    catalog
        .iter()
        .map(|i| CatalogEntry {
            sku: i.sku.clone(),
            title: i.title.clone(),
            price: i.price,
        })
        .collect()
}

/// Creates the Shopify state and its initial orders (`config.orders` of them).
pub(crate) fn new_slot(config: &crate::SandboxConfig, catalog: &[FlowCatalogItem]) -> ShopifySlot {
    let mut shop = config.shopify.clone();
    shop.seed = crate::mix(config.seed, 4);
    let state = ShopifyState::new(shop);
    if config.orders > 0 && !catalog.is_empty() {
        state.generate_orders(
            config.orders,
            &entries(catalog),
            config.refund_rate,
            config.cancel_rate,
            config.seed,
        );
    }
    state
}

/// The Shopify router.
pub(crate) fn router(slot: &ShopifySlot, faults: Arc<Faults>) -> Router {
    crate::shopify::router(slot.clone(), faults)
}

/// The `shopify` part of the dump.
pub(crate) fn dump(slot: &ShopifySlot) -> Value {
    slot.dump()
}

/// The Shopify stand-in's own counters.
pub(crate) fn stats(slot: &ShopifySlot) -> Value {
    slot.stats()
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
    slot: &ShopifySlot,
    catalog: &[FlowCatalogItem],
    n: usize,
    refund_rate: f64,
    cancel_rate: f64,
    seed: u64,
) -> Result<usize, String> {
    if catalog.is_empty() {
        return Err("the Flow catalog has no active item to sell".into());
    }
    Ok(slot
        .generate_orders(n, &entries(catalog), refund_rate, cancel_rate, seed)
        .len())
}
