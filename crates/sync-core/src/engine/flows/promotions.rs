//! Promotions: new or changed ERP promotions become storefront automatic discounts.
//!
//! A promotion names SKUs; one the storefront does not have yet parks the job on `sku:{sku}`
//! until the catalog flow has pushed it.

use serde_json::{Value, json};

use super::{Decision, Decisions, Work, source};
use crate::connector::{ConnectorError, RemoteVariant};
use crate::engine::base::{Engine, EngineError, Summary, content_hash};
use crate::engine::kinds::BindingKind;
use crate::engine::runtime::{JobResult, done};
use crate::model::{Promotion, PromotionId};
use crate::store::Job;

/// New or changed promotions become discount jobs.
pub(crate) async fn decide(d: &mut Decisions<'_>) -> Result<(), EngineError> {
    let engine = d.engine();
    let promotions = engine
        .connectors
        .erp_catalog
        .promotions()
        .await
        .map_err(source("promotions"))?;
    let bound = engine.bindings_by_key(BindingKind::Promotion).await?;
    for promotion in promotions {
        let hash = content_hash(&promotion);
        let existing = bound.get(&promotion.code);
        if existing.and_then(|b| b.content_hash.as_deref()) == Some(hash.as_str()) {
            continue;
        }
        let key = format!("{}:{hash}", promotion.code);
        let resource = format!("promotion:{}", promotion.code);
        let action = if existing.is_some() {
            "update"
        } else {
            "create"
        };
        let label = promotion.code.clone();
        let work = Work::PushPromotion { promotion };
        d.add(Decision::new(work, key, resource).reads(action, "storefront", label))
            .await?;
    }
    Ok(())
}

/// Creates or updates one discount over the promotion's bound variants.
pub(crate) async fn execute(engine: &Engine, job: &Job, promotion: Promotion) -> JobResult {
    let mut variants = Vec::new();
    for sku in &promotion.skus {
        match engine.binding(BindingKind::Variant, sku.as_str()).await? {
            Some(b) => variants.push(
                serde_json::from_value::<RemoteVariant>(b.data)
                    .map_err(|e| ConnectorError::permanent(e.to_string()))?,
            ),
            None => {
                return Err(ConnectorError::needs_mapping(
                    format!("sku:{sku}"),
                    format!(
                        "promotion {} names SKU {sku}, which is not on the storefront",
                        promotion.code
                    ),
                )
                .into());
            }
        }
    }
    let existing = engine
        .binding(BindingKind::Promotion, &promotion.code)
        .await?
        .map(|b| PromotionId::new(b.remote_id));
    engine.mark_started(job).await?;
    let id = engine
        .connectors
        .storefront_catalog
        .upsert_promotion(&promotion, &variants, existing.as_ref())
        .await?;
    engine
        .bind(
            BindingKind::Promotion,
            &promotion.code,
            &id,
            Some(content_hash(&promotion)),
            Value::Null,
        )
        .await?;
    done(
        json!({"discount_id": id}),
        Summary {
            promotions_pushed: 1,
            ..Summary::default()
        },
    )
}
