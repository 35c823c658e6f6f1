//! Orders: storefront orders → ERP sales documents, with their cancellations, refunds and
//! receipts as follow-ups.
//!
//! Read by the shared [`pull`](super::pull), and re-read when a webhook names an order
//! (webhooks are hints; the API is the truth). An order not yet in the ERP becomes an import
//! job; once its document is bound, what follows it is decided: a cancellation, each refund's
//! return (see [`refunds`](super::refunds)) and the receipts due (see
//! [`receipts`](super::receipts)). An import job that was started before (a crash, a lost
//! answer) looks the document up by the order's reference before writing again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde_json::{Value, json};

use super::pull::{Pulled, pull, record_read};
use super::{Decision, Decisions, Work, customers, receipts, source};
use crate::connector::{ConnectorResult, StorefrontOrders};
use crate::engine::base::{Engine, EngineError, Summary};
use crate::engine::kinds::BindingKind;
use crate::engine::runtime::{JobError, JobResult, document_of, done};
use crate::engine::webhook::{WebhookError, WebhookOutcome};
use crate::model::{Change, ErpDocumentRef, Order, OrderId};
use crate::paging::Page;
use crate::store::{Direction, Job, StoreError};

#[async_trait::async_trait]
impl Pulled for Order {
    const FLOW: &'static str = "orders";
    const READ: BindingKind = BindingKind::OrderRead;
    const LAG_GAUGE: Option<&'static str> = Some("sync_orders_lag_seconds");
    type Id = OrderId;
    async fn changes(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change<OrderId>, String>> {
        storefront.order_changes_page(since, cursor).await
    }
    async fn fetch(
        storefront: &dyn StorefrontOrders,
        id: &OrderId,
    ) -> ConnectorResult<Option<Self>> {
        storefront.order(id).await
    }
    fn stamp(&self) -> (&OrderId, DateTime<Utc>) {
        (&self.external_id, self.updated_at)
    }
    async fn decide(self, d: &mut Decisions<'_>) -> Result<(), EngineError> {
        decide_orders(d, vec![self]).await
    }
    async fn decide_page(records: Vec<Self>, d: &mut Decisions<'_>) -> Result<(), EngineError> {
        decide_orders(d, records).await
    }
    async fn export(
        d: &mut Decisions<'_>,
        from: Option<DateTime<Utc>>,
        may_start: bool,
    ) -> Result<super::export::Exporting, EngineError> {
        super::export::export::<Self>(d, from, may_start).await
    }
}

/// Storefront order changes since the checkpoint → import, cancel, refunds, receipts.
pub(crate) async fn decide(d: &mut Decisions<'_>) -> Result<(), EngineError> {
    pull::<Order>(d).await
}

/// What a page of orders, as read now, needs.
///
/// The state store is a cache, the ERP is the truth: the orders about to be imported (no
/// document bound) are first looked up in the ERP by their references, in one query for the
/// page. One found there is bound to its document (in a run) and goes on to what follows it,
/// instead of being imported a second time after a lost or fresh state store.
async fn decide_orders(d: &mut Decisions<'_>, orders: Vec<Order>) -> Result<(), EngineError> {
    let engine = d.engine();
    let mut unbound = Vec::new();
    for order in &orders {
        if order.cancelled_at.is_some() {
            continue;
        }
        // The order, and the sale of each of its exchanges (a document of its own).
        for sale in std::iter::once(order.clone()).chain(order.exchange_sales()) {
            if engine
                .binding(BindingKind::Order, &sale.external_id)
                .await?
                .is_none()
            {
                unbound.push(sale);
            }
        }
    }
    let found = if unbound.is_empty() {
        HashMap::new()
    } else {
        engine
            .connectors
            .erp_sales
            .find_sales_documents(&unbound)
            .await
            .map_err(source("orders"))?
    };
    for order in orders {
        let sales = std::iter::once(order.clone()).chain(order.exchange_sales());
        let found: Vec<(Order, &ErpDocumentRef)> = sales
            .filter_map(|sale| found.get(&sale.external_id).map(|doc| (sale, doc)))
            .collect();
        if !found.is_empty() && !d.is_run() {
            // In the ERP already: a run would bind it, not import it.
            continue;
        }
        for (sale, document) in found {
            tracing::info!(
                order = %sale.name,
                document = %document.number,
                "order found in the ERP without a local record; bound, not imported again"
            );
            d.summary.recovered_by_lookup += 1;
            bind_sale(engine, &sale, document).await?;
        }
        decide_order(d, &order).await?;
    }
    Ok(())
}

/// Records that `order` is in the ERP as `document`.
async fn bind_sale(
    engine: &Engine,
    order: &Order,
    document: &ErpDocumentRef,
) -> Result<(), StoreError> {
    engine
        .bind(
            BindingKind::Order,
            &order.external_id,
            &format!("{}/{}", document.operation, document.number),
            None,
            json!({
                "operation": document.operation,
                "number": document.number,
                "name": order.name,
                "created_at": order.created_at,
                "total": order.total.to_string(),
                "gateway": order.main_gateway(),
                "cancelled": false,
            }),
        )
        .await
}

/// What one order, as read now, needs: its import, or what follows it once imported.
async fn decide_order(d: &mut Decisions<'_>, order: &Order) -> Result<(), EngineError> {
    if d.engine()
        .binding(BindingKind::Order, &order.external_id)
        .await?
        .is_some()
    {
        return decide_followups(d, order).await;
    }
    if order.cancelled_at.is_some() {
        // Cancelled before it reached the ERP: nothing to import or cancel.
        return Ok(());
    }
    let work = Work::ImportOrder {
        order: order.clone(),
    };
    let decision = Decision::new(work, order.external_id.to_string(), resource(order));
    d.add(decision.reads("create", "erp", order.name.clone()))
        .await
}

/// Jobs of one order run one at a time, in order.
pub(crate) fn resource(order: &Order) -> String {
    format!("order:{}", order.external_id)
}

/// After an order is in the ERP: its cancellation, its refunds and its receipts.
pub(crate) async fn decide_followups(
    d: &mut Decisions<'_>,
    order: &Order,
) -> Result<(), EngineError> {
    if order.cancelled_at.is_some() {
        let work = Work::CancelOrder {
            order: order.clone(),
        };
        let key = format!("{}:cancel", order.external_id);
        d.add(Decision::new(work, key, resource(order)).reads("delete", "erp", order.name.clone()))
            .await?;
    }
    for refund in &order.refunds {
        let work = Work::ImportRefund {
            order: order.clone(),
            refund_id: refund.external_id.clone(),
        };
        let key = refund.external_id.to_string();
        d.add(Decision::new(work, key.clone(), resource(order)).reads("create", "erp", key))
            .await?;
    }
    if order.cancelled_at.is_none() {
        for sale in order.exchange_sales() {
            decide_exchange(d, order, &sale).await?;
        }
    }
    receipts::decide_for_order(d, order).await
}

/// An exchange's sale (see [`Order::exchange_sale`]): imported as an order of its own, on
/// the order's resource (after the order's own document); once in the ERP, its receipt.
async fn decide_exchange(
    d: &mut Decisions<'_>,
    order: &Order,
    sale: &Order,
) -> Result<(), EngineError> {
    if d.engine()
        .binding(BindingKind::Order, &sale.external_id)
        .await?
        .is_some()
    {
        // Its receipt, and the returns of items it gave (on its own resource, after it).
        return Box::pin(decide_followups(d, sale)).await;
    }
    let work = Work::ImportOrder {
        order: sale.clone(),
    };
    let decision = Decision::new(work, sale.external_id.to_string(), resource(order));
    d.add(decision.reads("create", "erp", sale.name.clone()))
        .await
}

/// Queues what follows an order the engine has just written (always a run).
async fn queue_followups(engine: &Engine, order: &Order) -> Result<(), JobError> {
    Ok(decide_followups(&mut Decisions::run(engine), order).await?)
}

/// Creates the order's ERP sales document (after its customer), or finds the one a started
/// attempt saved, binds it, and queues what follows.
pub(crate) async fn import(engine: &Engine, job: &Job, order: Order) -> JobResult {
    let erp = &engine.connectors.erp_sales;
    if engine
        .binding(BindingKind::Order, &order.external_id)
        .await?
        .is_some()
    {
        // A run that stopped between recording the document and queueing what follows
        // it: queue it now (each follow-up is queued once by its key).
        queue_followups(engine, &order).await?;
        return done(json!({"already": true}), Summary::default());
    }
    let mut summary = Summary::default();
    // A started job may have saved the document already: look before writing again.
    let found = if job.started {
        erp.find_sales_document(&order).await?
    } else {
        None
    };
    let document = match found {
        Some(document) => {
            summary.recovered_by_lookup += 1;
            document
        }
        None => {
            let customer = match &order.customer {
                Some(customer) => Some(customers::ensure(engine, job, customer).await?),
                None => None,
            };
            engine
                .audit(
                    Direction::Inbound,
                    "storefront",
                    BindingKind::Order,
                    &order.external_id,
                    serde_json::to_value(&order).unwrap_or(Value::Null),
                )
                .await;
            engine.mark_started(job).await?;
            erp.create_sales_document(&order, customer.as_ref()).await?
        }
    };
    summary.orders_imported += 1;
    bind_sale(engine, &order, &document).await?;
    queue_followups(engine, &order).await?;
    done(json!({"document": document}), summary)
}

/// Cancels the order's ERP sales document (once).
pub(crate) async fn cancel(engine: &Engine, job: &Job, order: Order) -> JobResult {
    let Some(binding) = engine
        .binding(BindingKind::Order, &order.external_id)
        .await?
    else {
        return Err(JobError::NotYet("order not imported yet"));
    };
    if binding.data.get("cancelled").and_then(Value::as_bool) == Some(true) {
        return done(json!({"already": true}), Summary::default());
    }
    let document = document_of(&binding)?;
    engine.mark_started(job).await?;
    engine
        .connectors
        .erp_sales
        .cancel_sales_document(&document)
        .await?;
    let mut data = binding.data.clone();
    data["cancelled"] = json!(true);
    engine
        .bind(
            BindingKind::Order,
            &order.external_id,
            &binding.remote_id,
            binding.content_hash.clone(),
            data,
        )
        .await?;
    done(
        json!({"cancelled": document.number}),
        Summary {
            orders_cancelled: 1,
            ..Summary::default()
        },
    )
}

/// Re-reads an order (a webhook named it) and queues what it needs as it is now.
pub(crate) async fn refetch(engine: &Engine, order_id: &OrderId) -> JobResult {
    let read_at = engine.now();
    match engine.connectors.storefront_orders.order(order_id).await? {
        Some(order) => {
            decide_orders(&mut Decisions::run(engine), vec![order.clone()]).await?;
            record_read(
                engine,
                BindingKind::OrderRead,
                order.external_id.as_str(),
                order.updated_at,
                read_at,
            )
            .await?;
            done(json!({"refetched": order_id}), Summary::default())
        }
        None => done(json!({"missing": order_id}), Summary::default()),
    }
}

impl Engine {
    /// Handles one webhook delivery: verify, dedupe by event id, schedule a re-read of the
    /// order it names.
    ///
    /// # Errors
    ///
    /// See [`WebhookError`]; nothing is stored for a refused delivery.
    pub async fn handle_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        let verifier = self.verifier.as_ref().ok_or(WebhookError::Unauthorized)?;
        let event = verifier.verify(headers, body)?;
        metrics::counter!("sync_webhooks_total", "topic" => event.topic.clone()).increment(1);
        let Some(order_id) = event.order_id.clone() else {
            return Ok(WebhookOutcome::Ignored);
        };
        self.migrate().await.map_err(webhook_error)?;
        // Queue first, record the event after: the job's key is the event's, so a delivery
        // retried after a failure here queues nothing twice, and an event is never recorded
        // as seen while its re-read is not queued (Shopify's retry would be dropped).
        let work = Work::RefetchOrder {
            order_id: order_id.clone(),
        };
        let queued = self
            .enqueue(
                &work,
                format!("refetch:{order_id}:{}", event.event_id),
                format!("order:{order_id}"),
            )
            .await
            .map_err(webhook_error)?;
        let first_seen = self
            .store
            .record_event(&self.config.scope, &event.event_id)
            .await?;
        if !first_seen && !queued {
            return Ok(WebhookOutcome::Duplicate);
        }
        self.wake.notify_one();
        Ok(WebhookOutcome::Scheduled)
    }
}

fn webhook_error(error: EngineError) -> WebhookError {
    match error {
        EngineError::Store(s) => WebhookError::Store(s),
        other => WebhookError::Malformed(other.to_string()),
    }
}
