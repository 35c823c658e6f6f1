//! The sync engine: flows, exactly-once jobs, webhooks, reconciliation and the scheduler.
//!
//! An [`Engine`] holds the five connectors ([`Connectors`]), a [`StateStore`] and an
//! [`EngineConfig`]. Its work comes in two halves:
//!
//! - **Flows** read what changed since their checkpoint, compare it with the bindings (content
//!   hashes make an unchanged entity cost nothing), and *enqueue jobs*, each with a
//!   deterministic key, so reading the same change twice yields one job.
//! - **Jobs** are leased from the store and run: the job is marked started before the remote
//!   call and completed after it. A job that was started before (a crash, a lost answer) first
//!   looks its effect up remotely (`find_sales_document`, `find_return`, the receipt uuid)
//!   and only then writes again.
//!
//! [`Engine::run_once`] runs every flow and drains the queue; [`Engine::run`] repeats passes
//! on a schedule, takes webhook-triggered work in between, and stops cleanly on request.
//! [`Engine::plan`] reports what the flows would write without writing anything.

mod flows;
mod jobs;
pub mod memory;
mod ops;
mod receipts;
mod reconcile;
mod webhook;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::clock::{Clock, TokioClock};
use crate::connector::{ErpCatalog, ErpSales, StorefrontCatalog, StorefrontOrders, TaxAuthority};
use crate::model::StoreScope;
use crate::store::{JobState, StateStore, StoreError};

pub use reconcile::{
    DailySales, SalesMismatch, SalesReconciliation, StockDrift, StockReconciliation,
};
pub use webhook::{WebhookError, WebhookEvent, WebhookOutcome, WebhookVerifier};

/// The connectors an engine drives.
#[derive(Clone)]
pub struct Connectors {
    /// The ERP as catalogue and stock source.
    pub erp_catalog: Arc<dyn ErpCatalog>,
    /// The ERP as sink of customers, sales documents and returns.
    pub erp_sales: Arc<dyn ErpSales>,
    /// The storefront as catalogue, price and stock sink.
    pub storefront_catalog: Arc<dyn StorefrontCatalog>,
    /// The storefront as source of orders and customers.
    pub storefront_orders: Arc<dyn StorefrontOrders>,
    /// The tax authority.
    pub tax: Arc<dyn TaxAuthority>,
}

impl fmt::Debug for Connectors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connectors").finish_non_exhaustive()
    }
}

/// When a sale becomes a tax receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptTrigger {
    /// When the order is paid (the default). Cash-on-delivery orders wait until paid.
    #[default]
    OnPaid,
    /// When the order is fulfilled (shipped), paid or not.
    OnFulfilled,
    /// As soon as the ERP accepted the sales document.
    OnImport,
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The scope of every binding, checkpoint and job.
    pub scope: StoreScope,
    /// This worker's name (for leases).
    pub worker: String,
    /// ERP store code → storefront location id.
    pub locations: BTreeMap<String, String>,
    /// How far back an incremental read reaches before its checkpoint. Default 5 minutes.
    pub overlap: Duration,
    /// How long a leased job stays leased. Default 2 minutes.
    pub lease: Duration,
    /// How many jobs one lease call takes. Default 32.
    pub batch: usize,
    /// Attempts before a failing job becomes a dead letter. Default 8.
    pub max_attempts: u32,
    /// When a sale becomes a receipt. Default [`ReceiptTrigger::OnPaid`].
    pub receipt_trigger: ReceiptTrigger,
    /// Whether the receipt flows run at all. Default `true`.
    pub receipts_enabled: bool,
    /// How long audit entries are kept. Default 30 days.
    pub audit_retention: Duration,
    /// Stock quantities are written to the storefront in chunks of at most this many.
    /// Default 250 (Shopify's input array limit).
    pub stock_chunk: usize,
    /// The longest one `run_once` waits for retries that are not due yet. Default 2 minutes.
    pub drain_timeout: Duration,
}

impl EngineConfig {
    /// Defaults for `scope`, with worker name `worker-<pid>`.
    pub fn new(scope: impl Into<StoreScope>) -> Self {
        EngineConfig {
            scope: scope.into(),
            worker: format!("worker-{}", std::process::id()),
            locations: BTreeMap::new(),
            overlap: Duration::from_secs(300),
            lease: Duration::from_secs(120),
            batch: 32,
            max_attempts: 8,
            receipt_trigger: ReceiptTrigger::OnPaid,
            receipts_enabled: true,
            audit_retention: Duration::from_secs(30 * 24 * 3600),
            stock_chunk: 250,
            drain_timeout: Duration::from_secs(120),
        }
    }
}

/// An engine failure (not a job failure: those are recorded on the job).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The state store failed.
    #[error("state store failed")]
    Store(#[from] StoreError),
    /// A connector read failed.
    #[error("{flow}: reading the source failed")]
    Source {
        /// The flow.
        flow: &'static str,
        /// The cause.
        #[source]
        source: crate::connector::ConnectorError,
    },
}

/// Counts of what a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Products created or updated on the storefront.
    pub products_pushed: u64,
    /// Products whose content had not changed (no remote call).
    pub products_unchanged: u64,
    /// Existing storefront products linked by SKU on first contact.
    pub products_linked: u64,
    /// Variant prices written.
    pub prices_set: u64,
    /// Promotions written.
    pub promotions_pushed: u64,
    /// Inventory levels written.
    pub inventory_levels_set: u64,
    /// Stock levels skipped because the SKU or location is not mapped.
    pub stock_unmapped: u64,
    /// Customers written to the ERP.
    pub customers_imported: u64,
    /// Orders written to the ERP as sales documents.
    pub orders_imported: u64,
    /// Orders cancelled in the ERP.
    pub orders_cancelled: u64,
    /// Refunds written to the ERP as returns.
    pub returns_imported: u64,
    /// Fulfilments reported to the storefront.
    pub fulfillments_created: u64,
    /// Receipts issued (built and chained).
    pub receipts_issued: u64,
    /// Receipts the tax authority accepted.
    pub receipts_accepted: u64,
    /// Receipts the tax authority rejected.
    pub receipts_rejected: u64,
    /// Jobs that failed and will be retried.
    pub retries: u64,
    /// Jobs now in the dead-letter queue (this pass).
    pub dead_letters: u64,
    /// Jobs parked for a missing mapping (this pass).
    pub parked: u64,
    /// Writes found already done by a remote lookup after an uncertain outcome or a crash.
    pub recovered_by_lookup: u64,
}

impl Summary {
    fn add(&mut self, other: &Summary) {
        macro_rules! sum {
            ($($f:ident),*) => { $( self.$f += other.$f; )* };
        }
        sum!(
            products_pushed,
            products_unchanged,
            products_linked,
            prices_set,
            promotions_pushed,
            inventory_levels_set,
            stock_unmapped,
            customers_imported,
            orders_imported,
            orders_cancelled,
            returns_imported,
            fulfillments_created,
            receipts_issued,
            receipts_accepted,
            receipts_rejected,
            retries,
            dead_letters,
            parked,
            recovered_by_lookup
        );
    }
}

/// One write a flow would make, as reported by [`Engine::plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedWrite {
    /// The flow.
    pub flow: String,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The target system.
    pub target: String,
    /// The entity key.
    pub key: String,
}

/// The flows a pass can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Item groups → products, variants, options, images.
    Catalog,
    /// Prices and compare-at prices.
    Prices,
    /// Promotions → automatic discounts.
    Promotions,
    /// Stock → inventory levels (delta).
    Stock,
    /// Storefront customers → ERP.
    Customers,
    /// Storefront orders, cancellations and refunds → ERP.
    Orders,
    /// ERP shipments → storefront fulfilments.
    Fulfillments,
    /// Sales and refunds → tax receipts.
    Receipts,
}

impl Flow {
    /// Every flow, in the order a pass runs them.
    pub const ALL: [Flow; 8] = [
        Flow::Catalog,
        Flow::Prices,
        Flow::Promotions,
        Flow::Stock,
        Flow::Customers,
        Flow::Orders,
        Flow::Fulfillments,
        Flow::Receipts,
    ];

    /// The flow's name.
    pub fn name(self) -> &'static str {
        match self {
            Flow::Catalog => "catalog",
            Flow::Prices => "prices",
            Flow::Promotions => "promotions",
            Flow::Stock => "stock",
            Flow::Customers => "customers",
            Flow::Orders => "orders",
            Flow::Fulfillments => "fulfillments",
            Flow::Receipts => "receipts",
        }
    }
}

/// A handle that asks a running [`Engine::run`] loop to stop after the job in hand.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    inner: Arc<ShutdownInner>,
}

#[derive(Debug, Default)]
struct ShutdownInner {
    requested: std::sync::atomic::AtomicBool,
    notify: Notify,
}

impl Shutdown {
    /// A new, untriggered handle.
    pub fn new() -> Self {
        Shutdown::default()
    }
    /// Asks the loop to stop.
    pub fn trigger(&self) {
        self.inner
            .requested
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }
    /// Whether a stop was asked for.
    pub fn is_triggered(&self) -> bool {
        self.inner
            .requested
            .load(std::sync::atomic::Ordering::SeqCst)
    }
    async fn wait(&self) {
        let notified = self.inner.notify.notified();
        tokio::pin!(notified);
        // Register before checking, so a trigger in between is not missed.
        notified.as_mut().enable();
        if self.is_triggered() {
            return;
        }
        notified.await;
    }
}

/// The sync engine.
pub struct Engine {
    connectors: Connectors,
    store: Arc<dyn StateStore>,
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    verifier: Option<Arc<dyn WebhookVerifier>>,
    migrated: tokio::sync::OnceCell<()>,
    /// A submission job is queued and has not started yet (a hint, lost on restart).
    submission_queued: std::sync::atomic::AtomicBool,
    /// Makes the keys of submission jobs enqueued in the same millisecond distinct.
    submission_seq: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A stable hash of any serialisable value (hex SHA-256 of its JSON).
pub fn content_hash<T: Serialize + ?Sized>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

impl Engine {
    /// An engine over `connectors` and `store`.
    pub fn new(connectors: Connectors, store: Arc<dyn StateStore>, config: EngineConfig) -> Self {
        Engine {
            connectors,
            store,
            config,
            clock: Arc::new(TokioClock),
            wake: Arc::new(Notify::new()),
            verifier: None,
            migrated: tokio::sync::OnceCell::new(),
            submission_queued: std::sync::atomic::AtomicBool::new(false),
            submission_seq: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Uses `clock` for time and waits. Default [`TokioClock`].
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the webhook verifier (Shopify's HMAC check). Without one, every webhook is refused.
    pub fn with_webhook_verifier(mut self, verifier: Arc<dyn WebhookVerifier>) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The state store.
    pub fn store(&self) -> &Arc<dyn StateStore> {
        &self.store
    }

    /// Runs the given flows once (reads and enqueues), then runs jobs until none is runnable
    /// (dead letters and parked jobs stay), waiting for retries that fall due within
    /// `drain_timeout`.
    ///
    /// # Errors
    ///
    /// When the store fails or a source cannot be read.
    pub async fn run_flows(&self, flows: &[Flow]) -> Result<Summary, EngineError> {
        self.migrate().await?;
        let mut summary = Summary::default();
        for flow in flows {
            let span = tracing::info_span!("flow", flow = flow.name(), correlation = %uuid_like());
            let _enter = span.enter();
            self.enqueue_flow(*flow, &mut summary).await?;
            drop(_enter);
            // Drain after each flow so later flows see earlier results (the receipts flow
            // needs the orders imported).
            let drained = self.drain().await?;
            summary.add(&drained);
        }
        self.store
            .prune_audit(
                self.clock.now_utc()
                    - chrono::Duration::from_std(self.config.audit_retention)
                        .unwrap_or(chrono::Duration::days(30)),
            )
            .await?;
        self.report_gauges().await?;
        Ok(summary)
    }

    /// Runs every flow once and drains the queue. See [`Engine::run_flows`].
    ///
    /// # Errors
    ///
    /// When the store fails or a source cannot be read.
    pub async fn run_once(&self) -> Result<Summary, EngineError> {
        self.run_flows(&Flow::ALL).await
    }

    /// Repeats passes every `interval` and runs webhook-triggered jobs in between, until
    /// `shutdown` is triggered. A job in hand is finished first; nothing is lost when the
    /// loop stops (unfinished jobs stay in the store and resume on the next start).
    ///
    /// # Errors
    ///
    /// When the store fails. A failing source read is logged and retried on the next pass.
    pub async fn run(
        &self,
        interval: Duration,
        shutdown: Shutdown,
    ) -> Result<Summary, EngineError> {
        let mut total = Summary::default();
        while !shutdown.is_triggered() {
            // Webhook work runs during the pass too: a pass reads every source before it
            // drains, and a delivery that came in meanwhile used to wait for that drain.
            // Concurrent drains are safe (a resource is never leased twice at once).
            let pass_done = Notify::new();
            let pass = async {
                let result = self.run_once().await;
                pass_done.notify_one();
                result
            };
            let webhooks = async {
                let mut drained = Summary::default();
                loop {
                    tokio::select! {
                        biased;
                        _ = pass_done.notified() => break,
                        _ = self.wake.notified() => drained.add(&self.drain().await?),
                    }
                }
                Ok::<Summary, EngineError>(drained)
            };
            let (pass, webhooks) = tokio::join!(pass, webhooks);
            total.add(&webhooks?);
            match pass {
                Ok(summary) => total.add(&summary),
                Err(EngineError::Source { flow, source }) => {
                    tracing::warn!(flow, error = %source, "pass failed; retrying next pass");
                }
                Err(other) => return Err(other),
            }
            let deadline = tokio::time::Instant::now() + interval;
            loop {
                tokio::select! {
                    _ = shutdown.wait() => break,
                    _ = tokio::time::sleep_until(deadline) => break,
                    _ = self.wake.notified() => {
                        let drained = self.drain().await?;
                        total.add(&drained);
                    }
                }
            }
        }
        Ok(total)
    }

    /// What every flow would write, without writing anything (dry run).
    ///
    /// # Errors
    ///
    /// When the store fails or a source cannot be read.
    pub async fn plan(&self) -> Result<Vec<PlannedWrite>, EngineError> {
        self.migrate().await?;
        flows::plan(self).await
    }

    /// How many jobs are in each state.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn queue_depth(&self) -> Result<HashMap<JobState, u64>, EngineError> {
        Ok(self.store.queue_depth().await?)
    }

    /// Dead letters of this scope, oldest first.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn dead_letters(&self) -> Result<Vec<crate::store::Job>, EngineError> {
        Ok(crate::store::dead_letters(&*self.store, &self.config.scope).await?)
    }

    /// Puts one dead letter (or all, with `None`) back in the queue.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn replay(&self, id: Option<i64>) -> Result<u64, EngineError> {
        let n = self.store.replay(id).await?;
        self.wake.notify_one();
        Ok(n)
    }

    async fn enqueue_flow(&self, flow: Flow, summary: &mut Summary) -> Result<(), EngineError> {
        match flow {
            Flow::Catalog => flows::catalog(self, summary).await,
            Flow::Prices => flows::prices(self, summary).await,
            Flow::Promotions => flows::promotions(self).await,
            Flow::Stock => flows::stock(self, summary, false).await,
            Flow::Customers => flows::customers(self).await,
            Flow::Orders => flows::orders(self).await,
            Flow::Fulfillments => flows::fulfillments(self).await,
            Flow::Receipts => receipts::enqueue_submission(self).await,
        }
    }

    /// Re-uploads every stock level in full (not only the changes), then drains.
    ///
    /// # Errors
    ///
    /// When the store fails or a source cannot be read.
    pub async fn reupload_stock(&self) -> Result<Summary, EngineError> {
        self.migrate().await?;
        let mut summary = Summary::default();
        flows::stock(self, &mut summary, true).await?;
        let drained = self.drain().await?;
        summary.add(&drained);
        Ok(summary)
    }

    async fn report_gauges(&self) -> Result<(), EngineError> {
        let depth = self.store.queue_depth().await?;
        for (state, count) in depth {
            metrics::gauge!("sync_jobs", "state" => state.as_str()).set(count as f64);
        }
        Ok(())
    }

    /// Creates or upgrades the store's schema (once per engine).
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn migrate(&self) -> Result<(), EngineError> {
        self.migrated
            .get_or_try_init(|| async { self.store.migrate().await })
            .await?;
        Ok(())
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now_utc()
    }
}

/// A short random id for correlating the spans of one pass.
fn uuid_like() -> String {
    format!("{:016x}", rand::random::<u64>())
}
