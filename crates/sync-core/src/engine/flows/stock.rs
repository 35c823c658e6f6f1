//! Stock: ERP stock levels → storefront inventory quantities.
//!
//! Several ERP stores may feed one storefront location (`EngineConfig::locations`); their
//! quantities are added up. The quantity last written is bound per `sku@location`, so a delta
//! pass writes only what changed, with the last written quantity as the compare-and-set
//! expectation. Writes go in chunks of `EngineConfig::stock_chunk`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Decision, Decisions, Work, list_label, source};
use crate::connector::{ConnectorError, RemoteVariant, StockWrite};
use crate::engine::base::{Engine, EngineError, Summary, content_hash};
use crate::engine::kinds::BindingKind;
use crate::engine::runtime::{JobResult, done};
use crate::id::IdempotencyKey;
use crate::model::{LocationId, Sku};
use crate::store::Job;

/// Which stock pass decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// Only the levels that changed since they were last written.
    Delta,
    /// Every level, changed or not.
    Reupload,
    /// Corrections found by a reconciliation.
    Reconcile,
}

impl Pass {
    fn label(self) -> &'static str {
        match self {
            Pass::Delta => "delta",
            Pass::Reupload => "reupload",
            Pass::Reconcile => "reconcile",
        }
    }
}

/// The stock writes that bring the storefront to the ERP's levels: only changes, or all of
/// them with `full`. Levels that cannot be placed are counted in `summary.stock_unmapped`.
pub(crate) async fn wanted(
    engine: &Engine,
    summary: &mut Summary,
    full: bool,
) -> Result<Vec<StockWrite>, EngineError> {
    let levels = engine
        .connectors
        .erp_catalog
        .stock_levels()
        .await
        .map_err(source("stock"))?;
    let variants = engine.bindings_by_key(BindingKind::Variant).await?;
    let pushed = engine.bindings_by_key(BindingKind::Stock).await?;
    // Several ERP stores may feed one storefront location: add them up.
    let mut totals: BTreeMap<(Sku, LocationId), i64> = BTreeMap::new();
    for level in levels {
        let Some(location) = engine.config.locations.get(&level.store) else {
            summary.stock_unmapped += 1;
            continue;
        };
        *totals.entry((level.sku, location.clone())).or_default() += level.quantity.max(0);
    }
    let mut writes = Vec::new();
    for ((sku, location_id), quantity) in totals {
        let Some(bound) = variants.get(sku.as_str()) else {
            summary.stock_unmapped += 1;
            continue;
        };
        let Ok(remote) = serde_json::from_value::<RemoteVariant>(bound.data.clone()) else {
            continue;
        };
        let last = pushed
            .get(&format!("{sku}@{location_id}"))
            .and_then(|b| b.content_hash.as_deref())
            .and_then(|q| q.parse::<i64>().ok());
        if !full && last == Some(quantity) {
            continue;
        }
        writes.push(StockWrite {
            sku,
            inventory_item_id: remote.inventory_item_id,
            location_id,
            quantity,
            expected: last,
        });
    }
    Ok(writes)
}

/// The levels to write (changed ones, or all for a re-upload) become chunked jobs.
pub(crate) async fn decide(d: &mut Decisions<'_>, pass: Pass) -> Result<(), EngineError> {
    let full = pass != Pass::Delta;
    let writes = wanted(d.engine(), &mut d.summary, full).await?;
    add_writes(d, &writes, pass).await
}

/// Hands `writes` to `d` in chunks, as jobs of `pass`.
pub(crate) async fn add_writes(
    d: &mut Decisions<'_>,
    writes: &[StockWrite],
    pass: Pass,
) -> Result<(), EngineError> {
    let engine = d.engine();
    let stamp = engine.now().timestamp_millis();
    for chunk in writes.chunks(engine.config.stock_chunk.max(1)) {
        // The key covers the content and the pass, so an identical re-upload next pass is a
        // new job, while a retried job keeps its key (Shopify's @idempotent key).
        let key = format!("stock:{}:{stamp}:{}", pass.label(), content_hash(chunk));
        let levels: Vec<String> = chunk
            .iter()
            .map(|w| format!("{}@{}", w.sku, w.location_id))
            .collect();
        let label = list_label("levels", levels.iter().map(String::as_str));
        let work = Work::SetStock {
            writes: chunk.to_vec(),
        };
        d.add(Decision::new(work, key.clone(), key).reads("update", "storefront", label))
            .await?;
    }
    Ok(())
}

/// Writes one chunk of quantities (compare-and-set, idempotent under the job key).
pub(crate) async fn execute(engine: &Engine, job: &Job, writes: Vec<StockWrite>) -> JobResult {
    // The key was built by `add_writes` in the form an idempotency key must have; a job
    // whose key is not (a corrupted queue) fails for good rather than write unguarded.
    let key = IdempotencyKey::new(job.key.as_str())
        .map_err(|e| ConnectorError::permanent(format!("stock job {}: {e}", job.id)))?;
    engine.mark_started(job).await?;
    engine
        .connectors
        .storefront_catalog
        .set_stock(&writes, &key)
        .await?;
    for w in &writes {
        let key = format!("{}@{}", w.sku, w.location_id);
        engine
            .bind(
                BindingKind::Stock,
                &key,
                &w.inventory_item_id,
                Some(w.quantity.to_string()),
                Value::Null,
            )
            .await?;
    }
    done(
        json!({"levels": writes.len()}),
        Summary {
            inventory_levels_set: writes.len() as u64,
            ..Summary::default()
        },
    )
}
