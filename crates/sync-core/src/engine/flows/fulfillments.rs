//! Fulfilments: ERP shipments since the checkpoint → storefront fulfilments.
//!
//! Each shipment is keyed by its order and ERP document; a bound one is never reported twice.

use serde_json::{Value, json};

use super::{Decision, Decisions, Work, since, source};
use crate::engine::base::{Engine, EngineError, Summary};
use crate::engine::kinds::BindingKind;
use crate::engine::runtime::{JobResult, done};
use crate::model::Shipment;
use crate::store::Job;

/// The checkpoint (and source) name of the flow.
const FLOW: &str = "fulfillments";

fn key(shipment: &Shipment) -> String {
    format!(
        "{}:{}/{}",
        shipment.order_external_id, shipment.document.operation, shipment.document.number
    )
}

/// ERP shipments since the checkpoint become fulfilment jobs; the checkpoint moves (in a run)
/// to when the read started.
pub(crate) async fn decide(d: &mut Decisions<'_>) -> Result<(), EngineError> {
    let engine = d.engine();
    let scope = &engine.config.scope;
    let from = since(engine, engine.store.checkpoint(scope, FLOW).await?);
    let started = engine.now();
    let shipments = engine
        .connectors
        .erp_catalog
        .shipments_since(from)
        .await
        .map_err(source(FLOW))?;
    for shipment in shipments {
        let key = key(&shipment);
        let resource = format!("order:{}", shipment.order_external_id);
        let work = Work::CreateFulfillment { shipment };
        d.add(Decision::new(work, key.clone(), resource).reads("create", "storefront", key))
            .await?;
    }
    if d.is_run() {
        engine
            .store
            .set_checkpoint(scope, FLOW, &started.to_rfc3339())
            .await?;
    }
    Ok(())
}

/// Reports one shipment as a fulfilment (once).
pub(crate) async fn execute(engine: &Engine, job: &Job, shipment: Shipment) -> JobResult {
    let key = key(&shipment);
    if engine
        .binding(BindingKind::Fulfillment, &key)
        .await?
        .is_some()
    {
        return done(json!({"already": true}), Summary::default());
    }
    engine.mark_started(job).await?;
    engine
        .connectors
        .storefront_catalog
        .create_fulfillment(&shipment)
        .await?;
    engine
        .bind(
            BindingKind::Fulfillment,
            &key,
            &shipment.order_external_id,
            None,
            Value::Null,
        )
        .await?;
    done(
        json!({}),
        Summary {
            fulfillments_created: 1,
            ..Summary::default()
        },
    )
}
