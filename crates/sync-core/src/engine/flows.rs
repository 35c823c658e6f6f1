//! The read halves of the flows: read the source, compare with the bindings, enqueue jobs.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::jobs::Work;
use super::{Engine, EngineError, PlannedWrite, ReceiptTrigger, Summary, content_hash};
use crate::connector::{ConnectorResult, RemoteVariant, StockWrite, StorefrontOrders};
use crate::model::{
    Change, Customer, FinancialStatus, Order, PriceChange, ProductGroup, Sku, Variant,
};
use crate::paging::Page;
use crate::store::{Binding, JobState};

/// The hash of a group's content without its prices (prices have their own flow).
pub(crate) fn catalog_hash(group: &ProductGroup) -> String {
    let mut group = group.clone();
    for v in &mut group.variants {
        v.price = rust_decimal::Decimal::ZERO;
        v.compare_at_price = None;
    }
    content_hash(&group)
}

/// The hash of a variant's prices.
pub(crate) fn price_hash(variant: &Variant) -> String {
    content_hash(&(variant.price, variant.compare_at_price))
}

fn source(flow: &'static str) -> impl FnOnce(crate::connector::ConnectorError) -> EngineError {
    move |source| EngineError::Source { flow, source }
}

async fn bindings_by_key(
    engine: &Engine,
    kind: &str,
) -> Result<HashMap<String, Binding>, EngineError> {
    Ok(engine
        .store
        .bindings(&engine.config.scope, kind)
        .await?
        .into_iter()
        .map(|b| (b.key.clone(), b))
        .collect())
}

/// Catalog: item groups → products. Also unparks jobs waiting for SKUs the ERP now has.
pub(crate) async fn catalog(engine: &Engine, summary: &mut Summary) -> Result<(), EngineError> {
    let groups = engine
        .connectors
        .erp_catalog
        .product_groups()
        .await
        .map_err(source("catalog"))?;
    let products = bindings_by_key(engine, "product").await?;
    // Orders parked on an unknown SKU resume once the ERP knows it.
    let parked: HashSet<String> = engine
        .store
        .jobs(&engine.config.scope, Some(JobState::Parked))
        .await?
        .into_iter()
        .filter_map(|j| j.parked_on)
        .collect();
    for group in &groups {
        for variant in &group.variants {
            let mapping = format!("sku:{}", variant.sku);
            if parked.contains(&mapping) {
                let n = engine.store.unpark(&mapping).await?;
                tracing::info!(%mapping, jobs = n, "mapping now exists; parked jobs resume");
            }
        }
        let hash = catalog_hash(group);
        if products
            .get(&group.code)
            .and_then(|b| b.content_hash.as_deref())
            == Some(hash.as_str())
        {
            summary.products_unchanged += 1;
            continue;
        }
        let work = Work::PushProduct {
            group: group.clone(),
        };
        engine
            .enqueue(
                &work,
                format!("{}:{hash}", group.code),
                format!("product:{}", group.code),
            )
            .await?;
    }
    Ok(())
}

/// Prices: variants whose price or compare-at price changed.
pub(crate) async fn prices(engine: &Engine, _summary: &mut Summary) -> Result<(), EngineError> {
    let changes = price_changes(engine).await?;
    for chunk in changes.chunks(250) {
        let key = format!("prices:{}", content_hash(chunk));
        engine
            .enqueue(
                &Work::SetPrices {
                    changes: chunk.to_vec(),
                },
                key.clone(),
                key,
            )
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
    let variants = bindings_by_key(engine, "variant").await?;
    let prices = bindings_by_key(engine, "price").await?;
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

/// Promotions: new or changed ones become automatic discounts.
pub(crate) async fn promotions(engine: &Engine) -> Result<(), EngineError> {
    let promotions = engine
        .connectors
        .erp_catalog
        .promotions()
        .await
        .map_err(source("promotions"))?;
    let bound = bindings_by_key(engine, "promotion").await?;
    for promotion in promotions {
        let hash = content_hash(&promotion);
        if bound
            .get(&promotion.code)
            .and_then(|b| b.content_hash.as_deref())
            == Some(hash.as_str())
        {
            continue;
        }
        let key = format!("{}:{hash}", promotion.code);
        let resource = format!("promotion:{}", promotion.code);
        engine
            .enqueue(&Work::PushPromotion { promotion }, key, resource)
            .await?;
    }
    Ok(())
}

/// The stock writes that bring the storefront to the ERP's levels: only changes, or all of
/// them with `full`.
pub(crate) async fn stock_writes(
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
    let variants = bindings_by_key(engine, "variant").await?;
    let pushed = bindings_by_key(engine, "stock").await?;
    // Several ERP stores may feed one storefront location: add them up.
    let mut totals: BTreeMap<(Sku, String), i64> = BTreeMap::new();
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

/// Stock: enqueue chunks of inventory writes.
pub(crate) async fn stock(
    engine: &Engine,
    summary: &mut Summary,
    full: bool,
) -> Result<(), EngineError> {
    let writes = stock_writes(engine, summary, full).await?;
    enqueue_stock(engine, &writes, if full { "reupload" } else { "delta" }).await
}

pub(crate) async fn enqueue_stock(
    engine: &Engine,
    writes: &[StockWrite],
    label: &str,
) -> Result<(), EngineError> {
    let stamp = engine.now().timestamp_millis();
    for chunk in writes.chunks(engine.config.stock_chunk.max(1)) {
        // The key covers the content and the pass, so an identical re-upload next pass is a
        // new job, while a retried job keeps its key (Shopify's @idempotent key).
        let key = format!("stock:{label}:{stamp}:{}", content_hash(chunk));
        engine
            .enqueue(
                &Work::SetStock {
                    writes: chunk.to_vec(),
                },
                key.clone(),
                key,
            )
            .await?;
    }
    Ok(())
}

fn since(engine: &Engine, checkpoint: Option<String>) -> Option<DateTime<Utc>> {
    let overlap = chrono::Duration::from_std(engine.config.overlap).unwrap_or_default();
    checkpoint
        .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
        .map(|t| t.with_timezone(&Utc) - overlap)
}

/// Records read whole at once by a pull (the storefront client paces them to its budget).
const FETCHES_IN_FLIGHT: usize = 4;

/// The binding kind recording, per order, the last change the engine read and when it read it.
pub(crate) const ORDER_READ: &str = "order_read";

/// The binding kind recording, per customer, the last change the engine read and when.
pub(crate) const CUSTOMER_READ: &str = "customer_read";

/// How long after a record's last change a read of it must have happened for a pull to trust
/// that read. The storefront stamps changes to the second, so a read in the same second as a
/// change may have missed a second change stamped alike; the margin also absorbs a clock skew
/// between this machine and the storefront.
const READ_SETTLED_AFTER: chrono::Duration = chrono::Duration::seconds(5);

/// A storefront record that a pull reads by its changes: orders and customers.
#[async_trait::async_trait]
trait Pulled: Sized + Send + 'static {
    /// The flow's name: its checkpoint and the source named in its errors.
    const FLOW: &'static str;
    /// The binding kind that records the last change read of each record.
    const READ: &'static str;
    /// The gauge that reports how far behind the newest change read is, if the flow has one.
    const LAG_GAUGE: Option<&'static str> = None;
    /// One page of changes.
    async fn changes(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change, String>>;
    /// One record, whole.
    async fn fetch(storefront: &dyn StorefrontOrders, id: &str) -> ConnectorResult<Option<Self>>;
    /// Its id and last change.
    fn stamp(&self) -> (&str, DateTime<Utc>);
    /// Queues what the record, as read now, needs.
    async fn schedule(self, engine: &Engine) -> Result<(), EngineError>;
}

#[async_trait::async_trait]
impl Pulled for Order {
    const FLOW: &'static str = "orders";
    const READ: &'static str = ORDER_READ;
    const LAG_GAUGE: Option<&'static str> = Some("sync_orders_lag_seconds");
    async fn changes(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change, String>> {
        storefront.order_changes_page(since, cursor).await
    }
    async fn fetch(storefront: &dyn StorefrontOrders, id: &str) -> ConnectorResult<Option<Self>> {
        storefront.order(id).await
    }
    fn stamp(&self) -> (&str, DateTime<Utc>) {
        (&self.external_id, self.updated_at)
    }
    async fn schedule(self, engine: &Engine) -> Result<(), EngineError> {
        enqueue_order_work(engine, &self).await
    }
}

#[async_trait::async_trait]
impl Pulled for Customer {
    const FLOW: &'static str = "customers";
    const READ: &'static str = CUSTOMER_READ;
    async fn changes(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change, String>> {
        storefront.customer_changes_page(since, cursor).await
    }
    async fn fetch(storefront: &dyn StorefrontOrders, id: &str) -> ConnectorResult<Option<Self>> {
        storefront.customer(id).await
    }
    fn stamp(&self) -> (&str, DateTime<Utc>) {
        (&self.external_id, self.updated_at)
    }
    async fn schedule(self, engine: &Engine) -> Result<(), EngineError> {
        // The content is part of the key: a second read of one change (see
        // `READ_SETTLED_AFTER`) that found more is imported; one that found the same is not.
        let key = format!(
            "{}:{}:{}",
            self.external_id,
            self.updated_at.to_rfc3339(),
            &content_hash(&self)[..16]
        );
        let resource = format!("customer:{}", self.external_id);
        engine
            .enqueue(&Work::ImportCustomer { customer: self }, key, resource)
            .await
            .map(drop)
    }
}

/// Customers: storefront changes since the checkpoint → ERP.
pub(crate) async fn customers(engine: &Engine) -> Result<(), EngineError> {
    pull::<Customer>(engine).await
}

/// Orders: storefront changes since the checkpoint → import, cancel, refunds, receipts.
pub(crate) async fn orders(engine: &Engine) -> Result<(), EngineError> {
    pull::<Order>(engine).await
}

/// Reads the changes since the flow's checkpoint (ids and change times first), fetches whole
/// only the records whose change has not been read yet, and queues their work: the overlap
/// window before the checkpoint, and the records webhooks already brought, cost a change list,
/// not the records again.
async fn pull<T: Pulled>(engine: &Engine) -> Result<(), EngineError> {
    let scope = &engine.config.scope;
    let storefront = engine.connectors.storefront_orders.as_ref();
    let from = since(engine, engine.store.checkpoint(scope, T::FLOW).await?);
    let mut cursor = None;
    let mut newest: Option<DateTime<Utc>> = None;
    loop {
        let page = T::changes(storefront, from, cursor.take())
            .await
            .map_err(source(T::FLOW))?;
        let mut unread = Vec::new();
        for change in &page.items {
            newest = newest.max(Some(change.updated_at));
            if !already_read(engine, T::READ, change).await? {
                unread.push(change.external_id.as_str());
            }
        }
        let read_at = engine.now();
        let records = fetch_each::<T>(storefront, &unread)
            .await
            .map_err(source(T::FLOW))?;
        for record in records.into_iter().flatten() {
            let (id, updated_at) = record.stamp();
            let (id, updated_at) = (id.to_owned(), updated_at);
            record.schedule(engine).await?;
            record_read(engine, T::READ, &id, updated_at, read_at).await?;
        }
        if let Some(newest) = newest {
            if let Some(gauge) = T::LAG_GAUGE {
                let lag = (engine.now() - newest).num_milliseconds().max(0) as f64 / 1000.0;
                metrics::gauge!(gauge).set(lag);
            }
            // The checkpoint moves only after the page's jobs are stored: a crash re-reads it.
            engine
                .store
                .set_checkpoint(scope, T::FLOW, &newest.to_rfc3339())
                .await?;
        }
        match page.next {
            Some(next) if page.has_more => cursor = Some(next),
            _ => break,
        }
    }
    Ok(())
}

/// Reads the records `ids` whole, a few at a time, in the order given (`None` for one that
/// no longer exists).
async fn fetch_each<T: Pulled>(
    storefront: &dyn StorefrontOrders,
    ids: &[&str],
) -> ConnectorResult<Vec<Option<T>>> {
    use futures::StreamExt;
    let mut ids = ids.iter();
    let mut in_flight = futures::stream::FuturesOrdered::new();
    let mut records = Vec::with_capacity(ids.len());
    loop {
        while in_flight.len() < FETCHES_IN_FLIGHT {
            let Some(id) = ids.next() else { break };
            in_flight.push_back(T::fetch(storefront, id));
        }
        match in_flight.next().await {
            Some(record) => records.push(record?),
            None => return Ok(records),
        }
    }
}

/// Whether the engine already read `change` of its record (or a later one), long enough after
/// it for no other change to hide under the same time stamp.
async fn already_read(engine: &Engine, kind: &str, change: &Change) -> Result<bool, EngineError> {
    let Some(read) = engine
        .store
        .binding(&engine.config.scope, kind, &change.external_id)
        .await?
    else {
        return Ok(false);
    };
    let time = |member: &str| {
        read.data
            .get(member)
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(updated_at), Some(read_at)) = (time("updated_at"), time("read_at")) else {
        return Ok(false);
    };
    Ok(change.updated_at < updated_at
        || (change.updated_at == updated_at && read_at >= updated_at + READ_SETTLED_AFTER))
}

/// Records that the change of record `id` made at `updated_at` was read at `read_at`.
async fn record_read(
    engine: &Engine,
    kind: &str,
    id: &str,
    updated_at: DateTime<Utc>,
    read_at: DateTime<Utc>,
) -> Result<(), EngineError> {
    engine
        .bind(
            kind,
            id,
            id,
            None,
            serde_json::json!({
                "updated_at": updated_at.to_rfc3339(),
                "read_at": read_at.to_rfc3339(),
            }),
        )
        .await?;
    Ok(())
}

/// Enqueues what one order, read at `read_at`, needs, and records that this change of it has
/// been read.
pub(crate) async fn enqueue_order(
    engine: &Engine,
    order: &Order,
    read_at: DateTime<Utc>,
) -> Result<(), EngineError> {
    enqueue_order_work(engine, order).await?;
    record_read(
        engine,
        ORDER_READ,
        &order.external_id,
        order.updated_at,
        read_at,
    )
    .await
}

async fn enqueue_order_work(engine: &Engine, order: &Order) -> Result<(), EngineError> {
    let bound = engine
        .store
        .binding(&engine.config.scope, "order", &order.external_id)
        .await?;
    if bound.is_some() {
        return enqueue_followups(engine, order).await;
    }
    if order.cancelled_at.is_some() {
        // Cancelled before it reached the ERP: nothing to import or cancel.
        return Ok(());
    }
    let key = order.external_id.clone();
    let resource = format!("order:{}", order.external_id);
    engine
        .enqueue(
            &Work::ImportOrder {
                order: order.clone(),
            },
            key,
            resource,
        )
        .await?;
    Ok(())
}

fn receipt_due(trigger: ReceiptTrigger, order: &Order) -> bool {
    if order.cancelled_at.is_some() {
        return false;
    }
    let paid = matches!(
        order.financial_status,
        FinancialStatus::Paid | FinancialStatus::PartiallyRefunded | FinancialStatus::Refunded
    );
    match trigger {
        ReceiptTrigger::OnPaid => paid,
        ReceiptTrigger::OnFulfilled => order.fulfilled,
        ReceiptTrigger::OnImport => true,
    }
}

/// After an order is in the ERP: its cancellation, its refunds and its receipts.
pub(crate) async fn enqueue_followups(engine: &Engine, order: &Order) -> Result<(), EngineError> {
    let scope = &engine.config.scope;
    let resource = format!("order:{}", order.external_id);
    if order.cancelled_at.is_some() {
        engine
            .enqueue(
                &Work::CancelOrder {
                    order: order.clone(),
                },
                format!("{}:cancel", order.external_id),
                resource.clone(),
            )
            .await?;
    }
    for refund in &order.refunds {
        engine
            .enqueue(
                &Work::ImportRefund {
                    order: order.clone(),
                    refund_id: refund.external_id.clone(),
                },
                refund.external_id.clone(),
                resource.clone(),
            )
            .await?;
    }
    if !engine.config.receipts_enabled {
        return Ok(());
    }
    let device = engine.connectors.tax.device().to_owned();
    let chain = format!("chain:{device}");
    let sale_key = format!("sale:{}", order.external_id);
    let sale_issued = engine
        .store
        .binding(scope, "receipt", &sale_key)
        .await?
        .is_some();
    let sale_due = receipt_due(engine.config.receipt_trigger, order);
    if !sale_issued && sale_due {
        engine
            .enqueue(
                &Work::IssueReceipt {
                    order: order.clone(),
                    refund_id: None,
                },
                sale_key,
                chain.clone(),
            )
            .await?;
    }
    if sale_issued || sale_due {
        for refund in &order.refunds {
            // A return receipt needs the return in the ERP first.
            if engine
                .store
                .binding(scope, "refund", &refund.external_id)
                .await?
                .is_none()
            {
                continue;
            }
            engine
                .enqueue(
                    &Work::IssueReceipt {
                        order: order.clone(),
                        refund_id: Some(refund.external_id.clone()),
                    },
                    format!("return:{}", refund.external_id),
                    chain.clone(),
                )
                .await?;
        }
    }
    Ok(())
}

/// Fulfilments: ERP shipments since the checkpoint → storefront.
pub(crate) async fn fulfillments(engine: &Engine) -> Result<(), EngineError> {
    let scope = &engine.config.scope;
    let from = since(
        engine,
        engine.store.checkpoint(scope, "fulfillments").await?,
    );
    let started = engine.now();
    let shipments = engine
        .connectors
        .erp_catalog
        .shipments_since(from)
        .await
        .map_err(source("fulfillments"))?;
    for shipment in shipments {
        let key = format!(
            "{}:{}/{}",
            shipment.order_external_id, shipment.document.operation, shipment.document.number
        );
        let resource = format!("order:{}", shipment.order_external_id);
        engine
            .enqueue(&Work::CreateFulfillment { shipment }, key, resource)
            .await?;
    }
    engine
        .store
        .set_checkpoint(scope, "fulfillments", &started.to_rfc3339())
        .await?;
    Ok(())
}

/// The dry run of every flow.
pub(crate) async fn plan(engine: &Engine) -> Result<Vec<PlannedWrite>, EngineError> {
    let mut out = Vec::new();
    let write = |flow: &str, action: &str, target: &str, key: String| PlannedWrite {
        flow: flow.to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        key,
    };
    let groups = engine
        .connectors
        .erp_catalog
        .product_groups()
        .await
        .map_err(source("catalog"))?;
    let products = bindings_by_key(engine, "product").await?;
    for group in &groups {
        match products.get(&group.code) {
            None => out.push(write("catalog", "create", "storefront", group.code.clone())),
            Some(b) if b.content_hash.as_deref() != Some(catalog_hash(group).as_str()) => {
                out.push(write("catalog", "update", "storefront", group.code.clone()))
            }
            Some(_) => {}
        }
    }
    for (_, change) in price_changes(engine).await? {
        out.push(write(
            "prices",
            "update",
            "storefront",
            change.sku.to_string(),
        ));
    }
    let mut ignored = Summary::default();
    for w in stock_writes(engine, &mut ignored, false).await? {
        out.push(write(
            "stock",
            "update",
            "storefront",
            format!("{}@{}", w.sku, w.location_id),
        ));
    }
    let scope = &engine.config.scope;
    let from = since(engine, engine.store.checkpoint(scope, "orders").await?);
    let mut cursor = None;
    loop {
        let page = engine
            .connectors
            .storefront_orders
            .orders_page(from, cursor.take())
            .await
            .map_err(source("orders"))?;
        for order in &page.items {
            let bound = engine
                .store
                .binding(scope, "order", &order.external_id)
                .await?;
            match (&bound, order.cancelled_at.is_some()) {
                (None, false) => out.push(write("orders", "create", "erp", order.name.clone())),
                (Some(b), true)
                    if b.data.get("cancelled").and_then(Value::as_bool) != Some(true) =>
                {
                    out.push(write("orders", "delete", "erp", order.name.clone()))
                }
                _ => {}
            }
            for refund in &order.refunds {
                if engine
                    .store
                    .binding(scope, "refund", &refund.external_id)
                    .await?
                    .is_none()
                    && order.cancelled_at.is_none()
                {
                    out.push(write(
                        "refunds",
                        "create",
                        "erp",
                        refund.external_id.clone(),
                    ));
                }
            }
        }
        match page.next {
            Some(next) if page.has_more => cursor = Some(next),
            _ => break,
        }
    }
    Ok(out)
}
