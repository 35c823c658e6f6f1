//! Running jobs: lease, dispatch by kind, record the outcome.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Engine, EngineError, Summary, content_hash, receipts};
use crate::connector::{ConnectorError, NewVariants, RemoteVariant, StockWrite};
use crate::error::{Classify, ErrorKind};
use crate::model::{Customer, Order, PriceChange, ProductGroup, Promotion, Shipment, Sku};
use crate::store::{AuditEntry, Binding, Direction, Job, JobFailure, NewJob};

/// What a job does, with what it needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Work {
    PushProduct {
        group: ProductGroup,
    },
    SetPrices {
        changes: Vec<(RemoteVariant, PriceChange)>,
    },
    PushPromotion {
        promotion: Promotion,
    },
    SetStock {
        writes: Vec<StockWrite>,
    },
    ImportCustomer {
        customer: Customer,
    },
    ImportOrder {
        order: Order,
    },
    CancelOrder {
        order: Order,
    },
    ImportRefund {
        order: Order,
        refund_id: String,
    },
    CreateFulfillment {
        shipment: Shipment,
    },
    RefetchOrder {
        order_id: String,
    },
    IssueReceipt {
        order: Order,
        refund_id: Option<String>,
    },
    SubmitReceipts {
        device: String,
    },
    RecordReceipt {
        order_id: String,
        receipt_key: String,
    },
}

impl Work {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Work::PushProduct { .. } => "push_product",
            Work::SetPrices { .. } => "set_prices",
            Work::PushPromotion { .. } => "push_promotion",
            Work::SetStock { .. } => "set_stock",
            Work::ImportCustomer { .. } => "import_customer",
            Work::ImportOrder { .. } => "import_order",
            Work::CancelOrder { .. } => "cancel_order",
            Work::ImportRefund { .. } => "import_refund",
            Work::CreateFulfillment { .. } => "create_fulfillment",
            Work::RefetchOrder { .. } => "refetch_order",
            Work::IssueReceipt { .. } => "issue_receipt",
            Work::SubmitReceipts { .. } => "submit_receipts",
            Work::RecordReceipt { .. } => "record_receipt",
        }
    }
}

/// The error a job ends with, or a request to come back later without counting a failure.
pub(crate) enum JobError {
    Connector(ConnectorError),
    Store(crate::store::StoreError),
    /// Not ready yet (a dependency is missing): retry after the wait, no attempt counted as
    /// failed against the limit.
    NotYet(&'static str),
}

impl From<ConnectorError> for JobError {
    fn from(e: ConnectorError) -> Self {
        JobError::Connector(e)
    }
}

impl From<crate::store::StoreError> for JobError {
    fn from(e: crate::store::StoreError) -> Self {
        JobError::Store(e)
    }
}

pub(crate) type JobResult = Result<(Value, Summary), JobError>;

impl Engine {
    /// Enqueues `work` with idempotency key `key` on serialisation key `resource`.
    pub(crate) async fn enqueue(
        &self,
        work: &Work,
        key: String,
        resource: String,
    ) -> Result<bool, EngineError> {
        let payload = serde_json::to_value(work).unwrap_or(Value::Null);
        let (_, created) = self
            .store
            .enqueue(NewJob {
                scope: self.config.scope.clone(),
                kind: work.kind().to_owned(),
                key,
                resource,
                payload,
            })
            .await?;
        if created {
            metrics::counter!("sync_jobs_enqueued_total", "kind" => work.kind()).increment(1);
        }
        Ok(created)
    }

    /// Runs jobs until none is runnable; waits for retries due within the drain timeout.
    pub(crate) async fn drain(&self) -> Result<Summary, EngineError> {
        let mut summary = Summary::default();
        let started = tokio::time::Instant::now();
        loop {
            let jobs = self
                .store
                .lease(
                    &self.config.worker,
                    self.config.batch,
                    self.config.lease,
                    self.now(),
                )
                .await?;
            if jobs.is_empty() {
                // Only the time of the next due job: loading the waiting jobs themselves made
                // every wait cost a read of the whole queue.
                let next_due = self.store.next_due(&self.config.scope).await?;
                let Some(next_due) = next_due else { break };
                if started.elapsed() >= self.config.drain_timeout {
                    tracing::info!("drain timeout: leaving jobs for the next pass");
                    break;
                }
                let wait = (next_due - self.now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .clamp(Duration::from_millis(5), Duration::from_secs(1));
                self.clock.sleep(wait).await;
                continue;
            }
            let results: Vec<Result<Summary, EngineError>> = futures::stream::iter(jobs)
                .map(|job| self.run_resource(job))
                .buffer_unordered(8)
                .collect()
                .await;
            for result in results {
                summary.add(&result?);
            }
        }
        Ok(summary)
    }

    /// Runs `job`, then goes on with the next runnable jobs of its resource (up to a budget,
    /// so other resources get their turn at the next lease).
    async fn run_resource(&self, job: Job) -> Result<Summary, EngineError> {
        const BUDGET: usize = 256;
        let resource = job.resource.clone();
        let mut last = job.id;
        let mut summary = self.run_job(job).await?;
        for _ in 0..BUDGET {
            let next = self
                .store
                .lease_next(
                    &self.config.worker,
                    &resource,
                    last,
                    self.config.lease,
                    self.now(),
                )
                .await?;
            let Some(next) = next else { break };
            last = next.id;
            summary.add(&self.run_job(next).await?);
        }
        Ok(summary)
    }

    async fn run_job(&self, job: Job) -> Result<Summary, EngineError> {
        let span = tracing::info_span!("job", id = job.id, kind = %job.kind, key = %job.key);
        let _guard = span.enter();
        let work: Work = match serde_json::from_value(job.payload.clone()) {
            Ok(work) => work,
            Err(e) => {
                self.store
                    .fail(
                        job.id,
                        &self.config.worker,
                        JobFailure::Dead {
                            reason: format!("unreadable job payload: {e}"),
                        },
                    )
                    .await?;
                return Ok(Summary {
                    dead_letters: 1,
                    ..Summary::default()
                });
            }
        };
        drop(_guard);
        let outcome = self.execute(&job, work).await;
        let mut summary = Summary::default();
        match outcome {
            Ok((result, done)) => {
                summary.add(&done);
                match self
                    .store
                    .complete(job.id, &self.config.worker, result)
                    .await
                {
                    Ok(()) => {}
                    Err(crate::store::StoreError::LeaseLost(id)) => {
                        tracing::warn!(
                            id,
                            "lease lost before completion; the other worker will look the effect up"
                        );
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Err(JobError::NotYet(why)) => {
                // Count the wait as an attempt, so a dependency that never arrives ends as a
                // dead letter instead of spinning.
                self.store.mark_started(job.id, &self.config.worker).await?;
                let failure = if job.attempts + 1 >= self.config.max_attempts {
                    summary.dead_letters += 1;
                    JobFailure::Dead {
                        reason: format!("{why} (gave up after {} attempts)", job.attempts + 1),
                    }
                } else {
                    let wait =
                        Duration::from_millis(50) * 2u32.saturating_pow(job.attempts.min(10));
                    JobFailure::Retry {
                        at: self.now()
                            + chrono::Duration::from_std(wait.min(Duration::from_secs(30)))
                                .unwrap_or_default(),
                        error: why.to_owned(),
                    }
                };
                self.store
                    .fail(job.id, &self.config.worker, failure)
                    .await?;
            }
            Err(JobError::Store(e)) => return Err(e.into()),
            Err(JobError::Connector(error)) => {
                let failure = self.failure_for(&job, &error);
                match &failure {
                    JobFailure::Retry { .. } => summary.retries += 1,
                    JobFailure::Dead { .. } => summary.dead_letters += 1,
                    JobFailure::Park { .. } => summary.parked += 1,
                }
                tracing::info!(job = job.id, kind = %job.kind, ?failure, "job failed");
                metrics::counter!("sync_job_failures_total", "kind" => job.kind.clone())
                    .increment(1);
                self.store
                    .fail(job.id, &self.config.worker, failure)
                    .await?;
            }
        }
        Ok(summary)
    }

    fn failure_for(&self, job: &Job, error: &ConnectorError) -> JobFailure {
        if let Some(mapping) = error.mapping() {
            return JobFailure::Park {
                mapping: mapping.to_owned(),
                reason: error.to_string(),
            };
        }
        let reason = error_chain(error);
        if error.kind() == ErrorKind::Client && !error.is_uncertain() {
            return JobFailure::Dead { reason };
        }
        if job.attempts >= self.config.max_attempts {
            return JobFailure::Dead {
                reason: format!("gave up after {} attempts: {reason}", job.attempts),
            };
        }
        let backoff = error.retry_after().unwrap_or_else(|| {
            let step = Duration::from_millis(100) * 2u32.saturating_pow(job.attempts.min(10));
            step.min(Duration::from_secs(60))
        });
        let at = self.now() + chrono::Duration::from_std(backoff).unwrap_or_default();
        JobFailure::Retry { at, error: reason }
    }

    async fn mark_started(&self, job: &Job) -> Result<(), JobError> {
        Ok(self.store.mark_started(job.id, &self.config.worker).await?)
    }

    pub(crate) async fn bind(
        &self,
        kind: &str,
        key: &str,
        remote_id: &str,
        hash: Option<String>,
        data: Value,
    ) -> Result<(), crate::store::StoreError> {
        self.store
            .put_binding(&Binding {
                scope: self.config.scope.clone(),
                kind: kind.to_owned(),
                key: key.to_owned(),
                remote_id: remote_id.to_owned(),
                content_hash: hash,
                data,
                updated_at: self.now(),
            })
            .await
    }

    pub(crate) async fn audit(
        &self,
        direction: Direction,
        system: &str,
        kind: &str,
        key: &str,
        payload: Value,
    ) {
        let entry = AuditEntry {
            scope: self.config.scope.clone(),
            direction,
            system: system.to_owned(),
            kind: kind.to_owned(),
            key: key.to_owned(),
            payload,
        };
        if let Err(e) = self.store.audit(&entry).await {
            tracing::warn!(error = %e, "audit write failed");
        }
    }

    async fn execute(&self, job: &Job, work: Work) -> JobResult {
        let c = &self.connectors;
        match work {
            Work::PushProduct { group } => {
                let binding = self
                    .store
                    .binding(&self.config.scope, "product", &group.code)
                    .await?;
                let mut summary = Summary::default();
                let mut existing = binding.map(|b| b.remote_id);
                // The variants the engine has not bound may exist on the storefront anyway
                // (a catalogue made before the engine, or an upsert whose answer was lost):
                // look them up, to link rather than duplicate, and to stock only the new ones.
                let mut unbound = BTreeSet::new();
                for variant in &group.variants {
                    if self
                        .store
                        .binding(&self.config.scope, "variant", variant.sku.as_str())
                        .await?
                        .is_none()
                    {
                        unbound.insert(variant.sku.clone());
                    }
                }
                if !unbound.is_empty() {
                    let skus: Vec<Sku> = unbound.iter().cloned().collect();
                    let found = c.storefront_catalog.find_variants(&skus).await?;
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
                    locations: self
                        .config
                        .locations
                        .values()
                        .cloned()
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                };
                self.mark_started(job).await?;
                let remote = c
                    .storefront_catalog
                    .upsert_product(&group, existing.as_deref(), &new)
                    .await?;
                self.audit(
                    Direction::Outbound,
                    "storefront",
                    "product",
                    &group.code,
                    json!({"code": group.code, "variants": group.variants.len()}),
                )
                .await;
                for variant in &group.variants {
                    if let Some(rv) = remote.variants.get(&variant.sku) {
                        self.bind(
                            "variant",
                            variant.sku.as_str(),
                            &rv.variant_id,
                            None,
                            serde_json::to_value(rv).unwrap_or(Value::Null),
                        )
                        .await?;
                        self.bind(
                            "price",
                            variant.sku.as_str(),
                            &rv.variant_id,
                            Some(super::flows::price_hash(variant)),
                            Value::Null,
                        )
                        .await?;
                    }
                }
                self.bind(
                    "product",
                    &group.code,
                    &remote.product_id,
                    Some(super::flows::catalog_hash(&group)),
                    json!({"status": group.status}),
                )
                .await?;
                summary.products_pushed += 1;
                Ok((json!({"product_id": remote.product_id}), summary))
            }
            Work::SetPrices { changes } => {
                self.mark_started(job).await?;
                c.storefront_catalog.set_prices(&changes).await?;
                for (rv, change) in &changes {
                    let hash = content_hash(&(change.price, change.compare_at_price));
                    self.bind(
                        "price",
                        change.sku.as_str(),
                        &rv.variant_id,
                        Some(hash),
                        Value::Null,
                    )
                    .await?;
                }
                Ok((
                    json!({"prices": changes.len()}),
                    Summary {
                        prices_set: changes.len() as u64,
                        ..Summary::default()
                    },
                ))
            }
            Work::PushPromotion { promotion } => {
                let mut variants = Vec::new();
                for sku in &promotion.skus {
                    match self
                        .store
                        .binding(&self.config.scope, "variant", sku.as_str())
                        .await?
                    {
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
                let existing = self
                    .store
                    .binding(&self.config.scope, "promotion", &promotion.code)
                    .await?
                    .map(|b| b.remote_id);
                self.mark_started(job).await?;
                let id = c
                    .storefront_catalog
                    .upsert_promotion(&promotion, &variants, existing.as_deref())
                    .await?;
                self.bind(
                    "promotion",
                    &promotion.code,
                    &id,
                    Some(content_hash(&promotion)),
                    Value::Null,
                )
                .await?;
                Ok((
                    json!({"discount_id": id}),
                    Summary {
                        promotions_pushed: 1,
                        ..Summary::default()
                    },
                ))
            }
            Work::SetStock { writes } => {
                self.mark_started(job).await?;
                c.storefront_catalog.set_stock(&writes, &job.key).await?;
                for w in &writes {
                    let key = format!("{}@{}", w.sku, w.location_id);
                    self.bind(
                        "stock",
                        &key,
                        &w.inventory_item_id,
                        Some(w.quantity.to_string()),
                        Value::Null,
                    )
                    .await?;
                }
                Ok((
                    json!({"levels": writes.len()}),
                    Summary {
                        inventory_levels_set: writes.len() as u64,
                        ..Summary::default()
                    },
                ))
            }
            Work::ImportCustomer { customer } => {
                let number = self.ensure_customer(job, &customer).await?;
                Ok((
                    json!({"customer": number}),
                    Summary {
                        customers_imported: 1,
                        ..Summary::default()
                    },
                ))
            }
            Work::ImportOrder { order } => self.import_order(job, order).await,
            Work::CancelOrder { order } => {
                let Some(binding) = self
                    .store
                    .binding(&self.config.scope, "order", &order.external_id)
                    .await?
                else {
                    return Err(JobError::NotYet("order not imported yet"));
                };
                if binding.data.get("cancelled").and_then(Value::as_bool) == Some(true) {
                    return Ok((json!({"already": true}), Summary::default()));
                }
                let document = document_of(&binding)?;
                self.mark_started(job).await?;
                c.erp_sales.cancel_sales_document(&document).await?;
                let mut data = binding.data.clone();
                data["cancelled"] = json!(true);
                self.bind(
                    "order",
                    &order.external_id,
                    &binding.remote_id,
                    binding.content_hash.clone(),
                    data,
                )
                .await?;
                Ok((
                    json!({"cancelled": document.number}),
                    Summary {
                        orders_cancelled: 1,
                        ..Summary::default()
                    },
                ))
            }
            Work::ImportRefund { order, refund_id } => {
                self.import_refund(job, order, refund_id).await
            }
            Work::CreateFulfillment { shipment } => {
                let key = format!(
                    "{}:{}/{}",
                    shipment.order_external_id,
                    shipment.document.operation,
                    shipment.document.number
                );
                if self
                    .store
                    .binding(&self.config.scope, "fulfillment", &key)
                    .await?
                    .is_some()
                {
                    return Ok((json!({"already": true}), Summary::default()));
                }
                self.mark_started(job).await?;
                c.storefront_catalog.create_fulfillment(&shipment).await?;
                self.bind(
                    "fulfillment",
                    &key,
                    &shipment.order_external_id,
                    None,
                    Value::Null,
                )
                .await?;
                Ok((
                    json!({}),
                    Summary {
                        fulfillments_created: 1,
                        ..Summary::default()
                    },
                ))
            }
            Work::RefetchOrder { order_id } => {
                // Webhooks are hints: read the order as it is now.
                let read_at = self.now();
                match c.storefront_orders.order(&order_id).await? {
                    Some(order) => {
                        super::flows::enqueue_order(self, &order, read_at)
                            .await
                            .map_err(engine_to_job)?;
                        Ok((json!({"refetched": order_id}), Summary::default()))
                    }
                    None => Ok((json!({"missing": order_id}), Summary::default())),
                }
            }
            Work::IssueReceipt { order, refund_id } => {
                receipts::issue(self, job, order, refund_id).await
            }
            Work::SubmitReceipts { device } => receipts::submit(self, job, &device).await,
            Work::RecordReceipt {
                order_id,
                receipt_key,
            } => receipts::record(self, job, &order_id, &receipt_key).await,
        }
    }

    async fn ensure_customer(&self, job: &Job, customer: &Customer) -> Result<String, JobError> {
        if let Some(binding) = self
            .store
            .binding(&self.config.scope, "customer", &customer.external_id)
            .await?
        {
            let hash = content_hash(customer);
            if binding.content_hash.as_deref() == Some(hash.as_str()) {
                return Ok(binding.remote_id);
            }
            self.mark_started(job).await?;
            let number = self
                .connectors
                .erp_sales
                .upsert_customer(customer, Some(&binding.remote_id))
                .await?;
            self.bind(
                "customer",
                &customer.external_id,
                &number,
                Some(hash),
                Value::Null,
            )
            .await?;
            return Ok(number);
        }
        let existing = self.connectors.erp_sales.find_customer(customer).await?;
        self.mark_started(job).await?;
        let number = self
            .connectors
            .erp_sales
            .upsert_customer(customer, existing.as_deref())
            .await?;
        self.bind(
            "customer",
            &customer.external_id,
            &number,
            Some(content_hash(customer)),
            Value::Null,
        )
        .await?;
        Ok(number)
    }

    async fn import_order(&self, job: &Job, order: Order) -> JobResult {
        let c = &self.connectors;
        if self
            .store
            .binding(&self.config.scope, "order", &order.external_id)
            .await?
            .is_some()
        {
            // A run that stopped between recording the document and queueing what follows
            // it: queue it now (each follow-up is queued once by its key).
            super::flows::enqueue_followups(self, &order)
                .await
                .map_err(engine_to_job)?;
            return Ok((json!({"already": true}), Summary::default()));
        }
        let mut summary = Summary::default();
        // A started job may have saved the document already: look before writing again.
        let found = if job.started {
            c.erp_sales.find_sales_document(&order).await?
        } else {
            None
        };
        let document = match found {
            Some(document) => {
                summary.recovered_by_lookup += 1;
                summary.orders_imported += 1;
                document
            }
            None => {
                let customer = match &order.customer {
                    Some(customer) => Some(self.ensure_customer(job, customer).await?),
                    None => None,
                };
                self.audit(
                    Direction::Inbound,
                    "storefront",
                    "order",
                    &order.external_id,
                    serde_json::to_value(&order).unwrap_or(Value::Null),
                )
                .await;
                self.mark_started(job).await?;
                let document = c
                    .erp_sales
                    .create_sales_document(&order, customer.as_deref())
                    .await?;
                summary.orders_imported += 1;
                document
            }
        };
        self.bind(
            "order",
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
        .await?;
        super::flows::enqueue_followups(self, &order)
            .await
            .map_err(engine_to_job)?;
        Ok((json!({"document": document}), summary))
    }

    async fn import_refund(&self, job: &Job, order: Order, refund_id: String) -> JobResult {
        let c = &self.connectors;
        if self
            .store
            .binding(&self.config.scope, "refund", &refund_id)
            .await?
            .is_some()
        {
            // As for orders: queue what follows the return if a stopped run did not.
            super::flows::enqueue_followups(self, &order)
                .await
                .map_err(engine_to_job)?;
            return Ok((json!({"already": true}), Summary::default()));
        }
        let Some(sale) = self
            .store
            .binding(&self.config.scope, "order", &order.external_id)
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
        let found = if job.started {
            c.erp_sales.find_return(&order, &refund).await?
        } else {
            None
        };
        let document = match found {
            Some(document) => {
                summary.recovered_by_lookup += 1;
                document
            }
            None => {
                self.mark_started(job).await?;
                c.erp_sales.create_return(&order, &refund, &sale).await?
            }
        };
        summary.returns_imported += 1;
        self.bind(
            "refund",
            &refund_id,
            &format!("{}/{}", document.operation, document.number),
            None,
            json!({"operation": document.operation, "number": document.number, "order": order.external_id, "total": refund.total.to_string(), "created_at": refund.created_at}),
        )
        .await?;
        super::flows::enqueue_followups(self, &order)
            .await
            .map_err(engine_to_job)?;
        Ok((json!({"document": document}), summary))
    }
}

pub(crate) fn engine_to_job(error: EngineError) -> JobError {
    match error {
        EngineError::Store(s) => JobError::Store(s),
        EngineError::Source { source, .. } => JobError::Connector(source),
    }
}

pub(crate) fn document_of(binding: &Binding) -> Result<crate::model::ErpDocumentRef, JobError> {
    let operation = binding.data.get("operation").and_then(Value::as_str);
    let number = binding.data.get("number").and_then(Value::as_str);
    match (operation, number) {
        (Some(operation), Some(number)) => Ok(crate::model::ErpDocumentRef {
            operation: operation.to_owned(),
            number: number.to_owned(),
        }),
        _ => Err(ConnectorError::permanent(format!(
            "binding {} has no document reference",
            binding.key
        ))
        .into()),
    }
}

/// The error and its causes in one line, cut to a readable length (a batch refusal can name
/// hundreds of items).
fn error_chain(error: &dyn std::error::Error) -> String {
    const MAX: usize = 1_000;
    let text = full_chain(error);
    if text.len() <= MAX {
        return text;
    }
    let mut cut = MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} more bytes)", &text[..cut], text.len() - cut)
}

fn full_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
