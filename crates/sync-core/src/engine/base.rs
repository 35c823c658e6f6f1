//! The engine's parts and settings: connectors, configuration, summaries, the engine value.
//!
//! Nothing here knows a flow: [`runtime`](super::runtime) runs jobs, the modules under
//! [`flows`](super::flows) decide and execute them, and [`pass`](super::pass) composes both.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use super::kinds::JobKind;
use super::webhook::WebhookVerifier;
use crate::clock::{Clock, TokioClock};
use crate::connector::{ErpCatalog, ErpSales, StorefrontCatalog, StorefrontOrders, TaxAuthority};
use crate::error::{Outage, OutageCause, System};
use crate::model::StoreScope;
use crate::store::{StateStore, StoreError};

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
    pub locations: BTreeMap<String, crate::model::LocationId>,
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
    /// How long finished jobs are kept (their keys then stop deduplicating; bindings and the
    /// remote look-ups still do). Default 30 days.
    pub job_retention: Duration,
    /// How long webhook event ids are kept for deduplication. Default 7 days (Shopify retries
    /// a delivery for about two days).
    pub event_retention: Duration,
    /// The shortest wait between two readings of a submitted receipt's final status. Each
    /// wait is half the time the oldest undecided receipt has waited so far, within this and
    /// [`receipt_poll_max`](Self::receipt_poll_max). Default 2 s.
    pub receipt_poll_min: Duration,
    /// The longest wait between two readings of a receipt's final status. Default 5 minutes.
    pub receipt_poll_max: Duration,
    /// How long after the sale (or refund) the tax authority expects its receipt. Default
    /// 24 hours, ETA's window.
    pub receipt_deadline: Duration,
    /// A receipt not Valid with less than this left before its deadline is reported (a warn
    /// log, the `sync_receipts_near_deadline` gauge, `receipts status`). Default 4 hours.
    pub receipt_deadline_margin: Duration,
    /// More orders (or customers) to read than this (counted by the storefront, see
    /// [`StorefrontOrders::count_order_changes`](crate::connector::StorefrontOrders::count_order_changes),
    /// [`StorefrontOrders::count_customer_changes`](crate::connector::StorefrontOrders::count_customer_changes))
    /// and the orders (customers) flow reads them through one export (Shopify: a bulk query)
    /// instead of page by page. The same threshold for both kinds. `None` never exports.
    /// Default 2,000.
    pub bulk_threshold: Option<u64>,
    /// How often a long read (an export, a backfill) logs its progress when the progress is
    /// not drawn on a terminal. Default 10 s.
    pub progress_every: Duration,
    /// When the connector went live for receipts. An order created before it gets no sale
    /// receipt from the connector (another system issued it, or none was due), and a refund of
    /// it gets a return receipt referencing the sale receipt the tax authority holds for it,
    /// or, when it holds none, a return receipt without reference. `None` (the default):
    /// every sale gets its receipt, and a return always waits for its sale's.
    pub go_live: Option<DateTime<Utc>>,
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
            job_retention: Duration::from_secs(30 * 24 * 3600),
            event_retention: Duration::from_secs(7 * 24 * 3600),
            receipt_poll_min: Duration::from_secs(2),
            receipt_poll_max: Duration::from_secs(300),
            receipt_deadline: Duration::from_secs(24 * 3600),
            receipt_deadline_margin: Duration::from_secs(4 * 3600),
            bulk_threshold: Some(2_000),
            progress_every: Duration::from_secs(10),
            go_live: None,
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
    /// Receipts the tax authority found Invalid after taking them (each a dead letter until
    /// replaced).
    #[serde(default)]
    pub receipts_invalid: u64,
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
    pub(crate) fn add(&mut self, other: &Summary) {
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
            receipts_invalid,
            retries,
            dead_letters,
            parked,
            recovered_by_lookup
        );
    }
}

/// One write a flow would make, as reported by [`Engine::plan`]: the job a run would queue
/// for it, described for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedWrite {
    /// The flow (`catalog`, `prices`, `promotions`, `stock`, `customers`, `orders`,
    /// `refunds`, `fulfillments`, `receipts`).
    pub flow: String,
    /// `create`, `update`, `delete` or `submit`.
    pub action: String,
    /// The target system (`storefront`, `erp`, `tax`).
    pub target: String,
    /// The entity key (item group code, SKU, order name, refund id…).
    pub key: String,
    /// The kind of the job a run would queue.
    pub job_kind: JobKind,
    /// That job's idempotency key (a run queues exactly this key; one already queued or done
    /// under it is not queued again).
    pub job_key: String,
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
    pub(crate) async fn wait(&self) {
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
    pub(crate) connectors: Connectors,
    pub(crate) store: Arc<dyn StateStore>,
    pub(crate) config: EngineConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) verifier: Option<Arc<dyn WebhookVerifier>>,
    pub(crate) migrated: tokio::sync::OnceCell<()>,
    /// The key of the last submission job this engine queued for each device (a hint, lost
    /// on restart; the store says whether that job has started).
    pub(crate) submission_queued: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    /// Makes the keys of submission jobs enqueued in the same millisecond distinct.
    pub(crate) submission_seq: std::sync::atomic::AtomicU64,
    /// The systems found down, each until its next try (the circuit breakers): a whole
    /// system (`None`), or one tax device of it.
    pub(crate) outages: std::sync::Mutex<BTreeMap<(System, Option<String>), OutageReport>>,
    /// The tax devices and the routing of orders to them.
    pub(crate) devices: super::devices::TaxDevices,
    /// The progress of the last long read (an export), for [`Engine::backfill_progress`].
    pub(crate) backfill: std::sync::Mutex<Option<BackfillProgress>>,
    /// This engine's name as the holder of a flow's read lease: the worker's name and a
    /// random part, so two processes given one worker name never share a lease.
    pub(crate) reader: String,
}

/// How far a long read (a backfill through an export) has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BackfillProgress {
    /// The flow reading (`orders`, `customers`).
    pub flow: &'static str,
    /// Records read so far.
    pub read: u64,
    /// Records the storefront counted to read, when it could count them.
    pub expected: Option<u64>,
    /// Whether the read has ended.
    pub finished: bool,
}

/// A system found down (credentials refused, unreachable): its work waits until `retry_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageReport {
    /// The system.
    pub system: System,
    /// Why it is down.
    pub cause: OutageCause,
    /// What the last failure said (the error and its causes; it names the host).
    pub detail: String,
    /// When it was first found down.
    pub since: DateTime<Utc>,
    /// When its work is tried again.
    pub retry_at: DateTime<Utc>,
    /// Failures seen in a row.
    pub failures: u32,
    /// The tax device whose work alone waits (its credentials refused), when only one
    /// device of the system is down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
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
            devices: super::devices::TaxDevices::single(connectors.tax.clone()),
            connectors,
            store,
            clock: Arc::new(TokioClock),
            wake: Arc::new(Notify::new()),
            verifier: None,
            migrated: tokio::sync::OnceCell::new(),
            submission_queued: std::sync::Mutex::new(std::collections::BTreeMap::new()),
            submission_seq: std::sync::atomic::AtomicU64::new(0),
            outages: std::sync::Mutex::new(BTreeMap::new()),
            backfill: std::sync::Mutex::new(None),
            reader: format!("{}#{}", config.worker, uuid_like()),
            config,
        }
    }

    /// How far the last long read (a backfill through an export) of this engine has come:
    /// `None` before any. The CLI draws it; `/metrics` has the same counters
    /// (`sync_backfill_items_total`, `sync_backfill_expected`).
    pub fn backfill_progress(&self) -> Option<BackfillProgress> {
        *self
            .backfill
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Uses `clock` for time and waits. Default [`TokioClock`].
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Issues receipts on several tax devices, routing each order to one of them
    /// ([`TaxDevices::route`](super::devices::TaxDevices::route)). Without it, every receipt
    /// goes on the chain of [`Connectors::tax`]. The default device of `devices` becomes
    /// [`Connectors::tax`].
    pub fn with_tax_devices(mut self, devices: super::devices::TaxDevices) -> Self {
        if let Some(default) = devices.get(devices.default_device()) {
            self.connectors.tax = default.clone();
        }
        self.devices = devices;
        self
    }

    /// The tax devices.
    pub fn tax_devices(&self) -> &super::devices::TaxDevices {
        &self.devices
    }

    /// The tax device with serial number `device`.
    pub(crate) fn tax_for(
        &self,
        device: &str,
    ) -> Result<Arc<dyn TaxAuthority>, crate::connector::ConnectorError> {
        self.devices.get(device).cloned().ok_or_else(|| {
            crate::connector::ConnectorError::permanent(format!(
                "tax device {device} is not configured (devices: {})",
                self.devices.names().collect::<Vec<_>>().join(", ")
            ))
        })
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

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now_utc()
    }

    /// The systems found down and not seen working since, with why and until when their work
    /// waits. Empty when every system answered.
    pub fn outages(&self) -> Vec<OutageReport> {
        self.lock_outages().values().cloned().collect()
    }

    pub(crate) fn lock_outages(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<(System, Option<String>), OutageReport>> {
        self.outages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records that `outage` was met (opens or extends the system's breaker: its work waits
    /// 5 s, doubling with each failure in a row, up to 5 minutes) and returns when to try again.
    pub(crate) fn record_outage(&self, outage: Outage, detail: String) -> DateTime<Utc> {
        self.record_outage_of(outage, None, detail)
    }

    /// As [`Engine::record_outage`], for one tax `device` of the system when given: only its
    /// work waits.
    pub(crate) fn record_outage_of(
        &self,
        outage: Outage,
        device: Option<&str>,
        detail: String,
    ) -> DateTime<Utc> {
        const FIRST: Duration = Duration::from_secs(5);
        const LONGEST: Duration = Duration::from_secs(300);
        let now = self.now();
        let mut outages = self.lock_outages();
        let report = outages
            .entry((outage.system, device.map(str::to_owned)))
            .or_insert_with(|| OutageReport {
                device: device.map(str::to_owned),
                system: outage.system,
                cause: outage.cause,
                detail: String::new(),
                since: now,
                retry_at: now,
                failures: 0,
            });
        report.cause = outage.cause;
        report.detail = detail;
        if report.retry_at > now {
            // Open already (another flow or job of this pass met it too): one failure.
            return report.retry_at;
        }
        report.failures = report.failures.saturating_add(1);
        let wait = FIRST
            .saturating_mul(1u32 << report.failures.saturating_sub(1).min(16))
            .min(LONGEST);
        report.retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
        tracing::warn!(
            system = %outage.system,
            device = device.unwrap_or(""),
            cause = %outage.cause,
            detail = %report.detail,
            retry_in_s = wait.as_secs(),
            "system down; its work waits"
        );
        match device {
            None => metrics::gauge!("sync_system_up", "system" => outage.system.as_str()).set(0.0),
            Some(device) => {
                metrics::gauge!("sync_tax_device_up", "device" => device.to_owned()).set(0.0);
            }
        }
        report.retry_at
    }

    /// When `system`'s work may run again, while its breaker is open.
    pub(crate) fn down_until(&self, system: System, device: Option<&str>) -> Option<DateTime<Utc>> {
        let now = self.now();
        let outages = self.lock_outages();
        let whole = outages.get(&(system, None)).map(|r| r.retry_at);
        let one = device
            .and_then(|d| outages.get(&(system, Some(d.to_owned()))))
            .map(|r| r.retry_at);
        whole.max(one).filter(|at| *at > now)
    }

    /// Records that `system` answered: its breaker closes.
    pub(crate) fn system_up(&self, system: System) {
        if self.lock_outages().remove(&(system, None)).is_some() {
            tracing::info!(%system, "system answers again");
        }
        metrics::gauge!("sync_system_up", "system" => system.as_str()).set(1.0);
    }

    /// Records that tax `device` answered: its own breaker closes (and the system's).
    pub(crate) fn device_up(&self, system: System, device: &str) {
        if self
            .lock_outages()
            .remove(&(system, Some(device.to_owned())))
            .is_some()
        {
            tracing::info!(%system, %device, "device answers again");
            metrics::gauge!("sync_tax_device_up", "device" => device.to_owned()).set(1.0);
        }
        self.system_up(system);
    }
}

/// A short random id for correlating the spans of one pass.
pub(crate) fn uuid_like() -> String {
    format!("{:016x}", rand::random::<u64>())
}
