//! Prices: variants whose price or compare-at price changed, written in chunks.
//!
//! Each SKU's prices are bound as a hash; only variants the catalog flow has bound are
//! priced (a new product carries its prices when it is created).

use serde_json::{Value, json};

use super::{Decision, Decisions, Work, list_label, source};
use crate::connector::RemoteVariant;
use crate::engine::base::{Engine, EngineError, Summary, content_hash};
use crate::engine::kinds::BindingKind;
use crate::engine::runtime::{JobResult, done};
use crate::model::{PriceChange, Variant};
use crate::store::Job;

/// Prices written per job (Shopify's input array limit).
const CHUNK: usize = 250;

/// The hash of a variant's prices.
pub(crate) fn price_hash(variant: &Variant) -> String {
    content_hash(&(variant.price, variant.compare_at_price))
}

/// Changed prices become jobs of up to [`CHUNK`] variants.
pub(crate) async fn decide(d: &mut Decisions<'_>) -> Result<(), EngineError> {
    let changes = price_changes(d.engine()).await?;
    for chunk in changes.chunks(CHUNK) {
        let key = format!("prices:{}", content_hash(chunk));
        let label = list_label("variants", chunk.iter().map(|(_, c)| c.sku.as_str()));
        let work = Work::SetPrices {
            changes: chunk.to_vec(),
        };
        d.add(Decision::new(work, key.clone(), key).reads("update", "storefront", label))
            .await?;
    }
    Ok(())
}

async fn price_changes(engine: &Engine) -> Result<Vec<(RemoteVariant, PriceChange)>, EngineError> {
    let groups = engine
        .connectors
        .erp_catalog
        .product_groups()
        .await
        .map_err(source("prices"))?;
    let variants = engine.bindings_by_key(BindingKind::Variant).await?;
    let prices = engine.bindings_by_key(BindingKind::Price).await?;
    let mut changes = Vec::new();
    for variant in groups.iter().flat_map(|g| g.variants.iter()) {
        let Some(bound) = variants.get(variant.sku.as_str()) else {
            continue;
        };
        let hash = price_hash(variant);
        if prices
            .get(variant.sku.as_str())
            .and_then(|b| b.content_hash.as_deref())
            == Some(hash.as_str())
        {
            continue;
        }
        let Ok(remote) = serde_json::from_value::<RemoteVariant>(bound.data.clone()) else {
            continue;
        };
        changes.push((
            remote,
            PriceChange {
                sku: variant.sku.clone(),
                price: variant.price,
                compare_at_price: variant.compare_at_price,
            },
        ));
    }
    Ok(changes)
}

/// Writes one chunk of prices and binds their hashes.
pub(crate) async fn execute(
    engine: &Engine,
    job: &Job,
    changes: Vec<(RemoteVariant, PriceChange)>,
) -> JobResult {
    engine.mark_started(job).await?;
    engine
        .connectors
        .storefront_catalog
        .set_prices(&changes)
        .await?;
    for (rv, change) in &changes {
        let hash = content_hash(&(change.price, change.compare_at_price));
        engine
            .bind(
                BindingKind::Price,
                change.sku.as_str(),
                &rv.variant_id,
                Some(hash),
                Value::Null,
            )
            .await?;
    }
    done(
        json!({"prices": changes.len()}),
        Summary {
            prices_set: changes.len() as u64,
            ..Summary::default()
        },
    )
}
