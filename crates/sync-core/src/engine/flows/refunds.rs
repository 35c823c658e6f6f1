//! Refunds: a storefront refund of an imported order → an ERP return document.
//!
//! Decided as a follow-up of its order (see [`orders`](super::orders)); runs on the order's
//! resource, after the sale's import. Every attempt looks the return up by the refund's
//! reference before writing, so neither a crash nor a lost state store creates it twice. Once bound, the return's receipt follows (see [`receipts`](super::receipts)).

use serde_json::json;

use super::{Decisions, orders};
use crate::connector::ConnectorError;
use crate::engine::base::{Engine, Summary};
use crate::engine::kinds::BindingKind;
use crate::engine::runtime::{JobError, JobResult, document_of, done};
use crate::model::{Order, RefundId};
use crate::store::Job;

/// Creates the ERP return of refund `refund_id` of `order` (once), then queues what follows.
pub(crate) async fn execute(
    engine: &Engine,
    job: &Job,
    order: Order,
    refund_id: RefundId,
) -> JobResult {
    let erp = &engine.connectors.erp_sales;
    if engine
        .binding(BindingKind::Refund, &refund_id)
        .await?
        .is_some()
    {
        // As for orders: queue what follows the return if a stopped run did not.
        orders::decide_followups(&mut Decisions::run(engine), &order).await?;
        return done(json!({"already": true}), Summary::default());
    }
    let Some(sale) = engine
        .binding(BindingKind::Order, &order.external_id)
        .await?
    else {
        return Err(JobError::NotYet("the refunded order is not imported yet"));
    };
    let sale = document_of(&sale)?;
    let refund = order
        .refunds
        .iter()
        .find(|r| r.external_id == refund_id)
        .cloned()
        .ok_or_else(|| {
            ConnectorError::permanent(format!(
                "refund {refund_id} is not on order {}",
                order.external_id
            ))
        })?;
    let mut summary = Summary::default();
    // Looked up every time, not only after a started attempt: the state store is a cache, and
    // a lost one must not create a return twice (refunds are few; one look-up each).
    let found = erp.find_return(&order, &refund).await?;
    let document = match found {
        Some(document) => {
            summary.recovered_by_lookup += 1;
            document
        }
        None => {
            engine.mark_started(job).await?;
            erp.create_return(&order, &refund, &sale).await?
        }
    };
    summary.returns_imported += 1;
    engine
        .bind(
            BindingKind::Refund,
            &refund_id,
            &format!("{}/{}", document.operation, document.number),
            None,
            json!({
                "operation": document.operation,
                "number": document.number,
                "order": order.external_id,
                "total": refund.total.to_string(),
                "created_at": refund.created_at,
            }),
        )
        .await?;
    orders::decide_followups(&mut Decisions::run(engine), &order).await?;
    done(json!({"document": document}), summary)
}
