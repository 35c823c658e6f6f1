//! Catalog: ERP item groups → storefront products with their variants, options and images.
//!
//! A group's content hash (prices left out: they have their own flow) is bound to its product;
//! an unchanged group costs nothing. A product job first looks up the SKUs the engine has not
//! bound, so a catalogue made before the connector, or an upsert whose answer was lost, is
//! linked rather than duplicated. Deciding also resumes jobs parked on a SKU the ERP now has.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Value, json};

use super::{Decision, Decisions, Work, prices, source};
use crate::connector::NewVariants;
use crate::engine::base::{Engine, EngineError, Summary, content_hash};
use crate::engine::kinds::BindingKind;
use crate::engine::runtime::{JobResult, done};
use crate::model::{ProductGroup, ProductId, Sku};
use crate::store::{Direction, Job, JobState};

/// The hash of a group's content without its prices (prices have their own flow).
pub(crate) fn catalog_hash(group: &ProductGroup) -> String {
    let mut group = group.clone();
    for v in &mut group.variants {
        v.price = rust_decimal::Decimal::ZERO;
        v.compare_at_price = None;
    }
    content_hash(&group)
}

/// The decision to push `group` (changed or not) under `key`.
pub(crate) fn push(group: ProductGroup, key: String, exists: bool) -> Decision {
    let resource = format!("product:{}", group.code);
    let label = group.code.clone();
    Decision::new(Work::PushProduct { group }, key, resource).reads(
        if exists { "update" } else { "create" },
        "storefront",
        label,
    )
}

/// New or changed item groups become product jobs; jobs parked on a SKU the ERP now has
/// resume (in a run).
pub(crate) async fn decide(d: &mut Decisions<'_>) -> Result<(), EngineError> {
    let engine = d.engine();
    let groups = engine
        .connectors
        .erp_catalog
        .product_groups()
        .await
        .map_err(source("catalog"))?;
    let products = engine.bindings_by_key(BindingKind::Product).await?;
    if d.is_run() {
        unpark_known_skus(engine, &groups).await?;
    }
    for group in groups {
        let hash = catalog_hash(&group);
        let bound = products.get(&group.code);
        if bound.and_then(|b| b.content_hash.as_deref()) == Some(hash.as_str()) {
            d.summary.products_unchanged += 1;
            continue;
        }
        let key = format!("{}:{hash}", group.code);
        d.add(push(group, key, bound.is_some())).await?;
    }
    Ok(())
}

/// Orders parked on an unknown SKU resume once the ERP knows it.
async fn unpark_known_skus(engine: &Engine, groups: &[ProductGroup]) -> Result<(), EngineError> {
    let parked: HashSet<String> = engine
        .store
        .jobs(&engine.config.scope, Some(JobState::Parked))
        .await?
        .into_iter()
        .filter_map(|j| j.parked_on)
        .collect();
    for variant in groups.iter().flat_map(|g| &g.variants) {
        let mapping = format!("sku:{}", variant.sku);
        if parked.contains(&mapping) {
            let n = engine.store.unpark(&mapping).await?;
            tracing::info!(%mapping, jobs = n, "mapping now exists; parked jobs resume");
        }
    }
    Ok(())
}

/// Creates or updates one product, linking variants that exist already.
pub(crate) async fn execute(engine: &Engine, job: &Job, group: ProductGroup) -> JobResult {
    let storefront = &engine.connectors.storefront_catalog;
    let binding = engine.binding(BindingKind::Product, &group.code).await?;
    let mut summary = Summary::default();
    let mut existing = binding.map(|b| ProductId::new(b.remote_id));
    // The variants the engine has not bound may exist on the storefront anyway
    // (a catalogue made before the engine, or an upsert whose answer was lost):
    // look them up, to link rather than duplicate, and to stock only the new ones.
    let mut unbound = BTreeSet::new();
    for variant in &group.variants {
        if engine
            .binding(BindingKind::Variant, variant.sku.as_str())
            .await?
            .is_none()
        {
            unbound.insert(variant.sku.clone());
        }
    }
    if !unbound.is_empty() {
        let skus: Vec<Sku> = unbound.iter().cloned().collect();
        let found = storefront.find_variants(&skus).await?;
        if existing.is_none()
            && let Some(variant) = found.values().next()
        {
            existing = Some(variant.product_id.clone());
            summary.products_linked += 1;
        }
        unbound.retain(|sku| !found.contains_key(sku));
    }
    let new = NewVariants {
        skus: unbound,
        locations: engine
            .config
            .locations
            .values()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    engine.mark_started(job).await?;
    let remote = storefront
        .upsert_product(&group, existing.as_ref(), &new)
        .await?;
    engine
        .audit(
            Direction::Outbound,
            "storefront",
            BindingKind::Product,
            &group.code,
            json!({"code": group.code, "variants": group.variants.len()}),
        )
        .await;
    for variant in &group.variants {
        if let Some(rv) = remote.variants.get(&variant.sku) {
            engine
                .bind(
                    BindingKind::Variant,
                    variant.sku.as_str(),
                    &rv.variant_id,
                    None,
                    serde_json::to_value(rv).unwrap_or(Value::Null),
                )
                .await?;
            engine
                .bind(
                    BindingKind::Price,
                    variant.sku.as_str(),
                    &rv.variant_id,
                    Some(prices::price_hash(variant)),
                    Value::Null,
                )
                .await?;
        }
    }
    engine
        .bind(
            BindingKind::Product,
            &group.code,
            &remote.product_id,
            Some(catalog_hash(&group)),
            json!({"status": group.status}),
        )
        .await?;
    summary.products_pushed += 1;
    done(json!({"product_id": remote.product_id}), summary)
}
