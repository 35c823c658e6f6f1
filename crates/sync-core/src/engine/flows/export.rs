//! The backfill of orders and customers through one storefront export (Shopify: a bulk
//! query), used by the shared [`pull`](super::pull) when more records are to be read than
//! [`EngineConfig::bulk_threshold`](crate::engine::EngineConfig::bulk_threshold).
//!
//! When to export is decided from a count, not from the checkpoint's age: when the first page
//! of changes since the checkpoint is full (more are to come), the storefront counts the
//! records changed since the checkpoint (all of them on a first run) for about the price of
//! one read ([`StorefrontOrders::count_order_changes`],
//! [`StorefrontOrders::count_customer_changes`]). So a quiet shop after a long gap keeps the
//! cheap incremental read, a busy one after a short gap still exports, and a pass with few
//! changes asks for no count at all.
//!
//! Each kind has its own recorded export: its id is recorded in the state store (checkpoint
//! `orders:export`, `customers:export`: `<flow>:export`) before it is read, so the engine
//! runs one export per kind and shop at a time, and a restart (a crash, a kill during the
//! export or while its result is read) resumes it instead of starting another. A storefront
//! that refuses to start one because another runs (Shopify allows one bulk query at a time
//! in older API versions: the orders' export and the customers' could meet) answers with a
//! passing error: the flow then reads nothing this pass and starts its export on the next
//! one, without failing the pass.
//!
//! The records are read as a stream, a chunk at a time, and go through the same decisions,
//! exactly-once jobs and `*_read` records as the incremental read: a record imported before
//! the crash is not imported again. Whether a record was read already is decided on the
//! change the export gives (its id and change time) before the record is completed
//! ([`Exported::complete`]), so a resumed export makes no follow-up read (an order's returns,
//! a refund read by id) for a record imported before. When the export has been read, the
//! flow's checkpoint moves to the moment it was started and the incremental read goes on
//! from there (less the usual overlap), which picks up what changed while it ran.

use std::time::Instant;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::pull::{Pulled, already_read, record_read};
use super::{Decisions, source};
use crate::connector::{ConnectorResult, Exported, ExportedRecord, StorefrontOrders};
use crate::engine::base::{BackfillProgress, Engine, EngineError};
use crate::error::{Classify, ErrorKind};
use crate::model::{Customer, Order};

/// Records decided together (for orders: one ERP look-up of their documents).
const CHUNK: usize = 50;

/// A stream of exported records of kind `T`.
pub(crate) type ExportStream<'a, T> =
    futures::stream::BoxStream<'a, ConnectorResult<Exported<'a, T>>>;

/// A kind of record the storefront can export: the storefront's methods for it.
#[async_trait::async_trait]
pub(crate) trait Exportable: Pulled + ExportedRecord<Id = <Self as Pulled>::Id> {
    /// The storefront's count of the records changed since `since`.
    async fn count(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>>;
    /// Starts an export of the records changed since `since`; returns its id.
    async fn start(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<String>;
    /// The records of the export `id`.
    async fn open<'s>(
        storefront: &'s dyn StorefrontOrders,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<ExportStream<'s, Self>>>;
}

#[async_trait::async_trait]
impl Exportable for Order {
    async fn count(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        storefront.count_order_changes(since).await
    }
    async fn start(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<String> {
        storefront.start_order_export(since).await
    }
    async fn open<'s>(
        storefront: &'s dyn StorefrontOrders,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<ExportStream<'s, Self>>> {
        storefront.order_export(id, since).await
    }
}

#[async_trait::async_trait]
impl Exportable for Customer {
    async fn count(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        storefront.count_customer_changes(since).await
    }
    async fn start(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<String> {
        storefront.start_customer_export(since).await
    }
    async fn open<'s>(
        storefront: &'s dyn StorefrontOrders,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<ExportStream<'s, Self>>> {
        storefront.customer_export(id, since).await
    }
}

/// The export being read, as recorded in the state store.
#[derive(Debug, Serialize, Deserialize)]
struct Recorded {
    /// The storefront's id of the export.
    id: String,
    /// The records it holds: those changed at or after this (all for `None`).
    since: Option<DateTime<Utc>>,
    /// When the engine started it (before the storefront did): where the incremental read
    /// goes on from.
    started_at: DateTime<Utc>,
}

/// What [`export`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exporting {
    /// Nothing: no export recorded, none needed (or none may start): read incrementally.
    No,
    /// Read an export whole; the flow's checkpoint is its start.
    Read,
    /// An export is needed but the storefront could not start it now (another runs): the
    /// flow reads nothing this pass.
    Deferred,
}

/// The checkpoint that records the export of `T` being read.
fn checkpoint<T: Pulled>() -> String {
    format!("{}:export", T::FLOW)
}

/// Reads the records of kind `T` through an export when one is recorded, or, if
/// `may_start`, when more than the threshold are to be read since `from`; does nothing
/// otherwise (in a plan neither: a plan starts nothing remote).
pub(crate) async fn export<T: Exportable>(
    d: &mut Decisions<'_>,
    from: Option<DateTime<Utc>>,
    may_start: bool,
) -> Result<Exporting, EngineError> {
    let engine = d.engine();
    if !d.is_run() {
        return Ok(Exporting::No);
    }
    let flow = T::FLOW;
    let scope = &engine.config.scope;
    let key = checkpoint::<T>();
    let storefront = engine.connectors.storefront_orders.as_ref();
    let recorded = match engine.store.checkpoint(scope, &key).await? {
        Some(text) if !text.is_empty() => serde_json::from_str::<Recorded>(&text).ok(),
        _ => None,
    };
    let (recorded, expected) = match recorded {
        Some(recorded) => {
            tracing::info!(flow, export = %recorded.id, "resuming the export recorded before");
            let expected = T::count(storefront, recorded.since).await.unwrap_or(None);
            (recorded, expected)
        }
        None => {
            let Some(threshold) = engine.config.bulk_threshold.filter(|_| may_start) else {
                return Ok(Exporting::No);
            };
            let Some(expected) = T::count(storefront, from).await.map_err(source(flow))? else {
                return Ok(Exporting::No);
            };
            if expected <= threshold {
                return Ok(Exporting::No);
            }
            let started_at = engine.now();
            let id = match T::start(storefront, from).await {
                Ok(id) => id,
                // Refused for now (another export runs), surely not started: a later pass.
                Err(e) if e.kind() == ErrorKind::Transient && !e.is_uncertain() => {
                    tracing::warn!(
                        flow,
                        error = %e,
                        "the export could not start now; the next pass starts it"
                    );
                    return Ok(Exporting::Deferred);
                }
                Err(e) => return Err(source(flow)(e)),
            };
            let recorded = Recorded {
                id,
                since: from,
                started_at,
            };
            engine
                .store
                .set_checkpoint(scope, &key, &json(&recorded))
                .await?;
            tracing::info!(
                flow,
                export = %recorded.id,
                records = expected,
                threshold,
                "more to read than the bulk threshold: reading them through an export"
            );
            (recorded, Some(expected))
        }
    };
    let Some(mut records) = T::open(storefront, &recorded.id, recorded.since)
        .await
        .map_err(source(flow))?
    else {
        engine.store.set_checkpoint(scope, &key, "").await?;
        return Err(EngineError::Source {
            flow,
            source: crate::connector::ConnectorError::transient(format!(
                "the {flow} export {} ended without a result; the next pass starts another",
                recorded.id
            )),
        });
    };
    let mut progress = Progress::start(engine, flow, expected);
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        let next = records.next().await.transpose().map_err(source(flow))?;
        let end = next.is_none();
        if let Some(exported) = next {
            // Read before: skipped here, before any read that would complete it.
            if already_read(engine, T::READ, &exported.change).await? {
                progress.advance(1);
            } else {
                chunk.push(exported);
            }
        }
        if chunk.len() >= CHUNK || (end && !chunk.is_empty()) {
            let n = chunk.len() as u64;
            import_chunk::<T>(d, std::mem::take(&mut chunk)).await?;
            progress.advance(n);
        }
        if end {
            break;
        }
    }
    drop(records);
    engine
        .store
        .set_checkpoint(scope, flow, &recorded.started_at.to_rfc3339())
        .await?;
    engine.store.set_checkpoint(scope, &key, "").await?;
    progress.finish();
    Ok(Exporting::Read)
}

/// Completes a chunk of exported records not read yet, decides them, and records their reads.
async fn import_chunk<T: Exportable>(
    d: &mut Decisions<'_>,
    exported: Vec<Exported<'_, T>>,
) -> Result<(), EngineError> {
    let engine = d.engine();
    let mut unread: Vec<T> = Vec::with_capacity(exported.len());
    for record in exported {
        unread.push(record.complete().await.map_err(source(T::FLOW))?);
    }
    let read_at = engine.now();
    let stamps: Vec<_> = unread
        .iter()
        .map(|r| {
            let (id, updated_at) = r.stamp();
            (id.clone(), updated_at)
        })
        .collect();
    T::decide_page(unread, d).await?;
    for (id, updated_at) in stamps {
        record_read(engine, T::READ, id.as_ref(), updated_at, read_at).await?;
    }
    Ok(())
}

fn json(recorded: &Recorded) -> String {
    serde_json::to_string(recorded).unwrap_or_default()
}

/// The progress of a long read: the counters in `/metrics`
/// (`sync_backfill_items_total{flow}`, `sync_backfill_expected{flow}`), the engine's
/// [`backfill_progress`](Engine::backfill_progress) (which the CLI draws), and an info log
/// line every [`EngineConfig::progress_every`](crate::engine::EngineConfig::progress_every).
struct Progress<'e> {
    engine: &'e Engine,
    flow: &'static str,
    read: u64,
    expected: Option<u64>,
    started: Instant,
    logged: Instant,
}

impl<'e> Progress<'e> {
    fn start(engine: &'e Engine, flow: &'static str, expected: Option<u64>) -> Self {
        if let Some(expected) = expected {
            metrics::gauge!("sync_backfill_expected", "flow" => flow).set(expected as f64);
        }
        let progress = Progress {
            engine,
            flow,
            read: 0,
            expected,
            started: Instant::now(),
            logged: Instant::now(),
        };
        progress.publish(false);
        progress
    }

    fn advance(&mut self, n: u64) {
        self.read += n;
        metrics::counter!("sync_backfill_items_total", "flow" => self.flow).increment(n);
        self.publish(false);
        if self.logged.elapsed() >= self.engine.config.progress_every {
            self.logged = Instant::now();
            self.log("backfill progress");
        }
    }

    fn finish(self) {
        self.publish(true);
        self.log("backfill read");
    }

    fn rate(&self) -> f64 {
        self.read as f64 / self.started.elapsed().as_secs_f64().max(0.001)
    }

    fn log(&self, what: &str) {
        match self.expected {
            Some(expected) => tracing::info!(
                flow = self.flow,
                read = self.read,
                expected,
                per_second = format!("{:.1}", self.rate()),
                "{what}: {} of {expected} {} read",
                self.read,
                self.flow
            ),
            None => tracing::info!(
                flow = self.flow,
                read = self.read,
                per_second = format!("{:.1}", self.rate()),
                "{what}: {} {} read",
                self.read,
                self.flow
            ),
        }
    }

    fn publish(&self, finished: bool) {
        let mut slot = self
            .engine
            .backfill
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = Some(BackfillProgress {
            flow: self.flow,
            read: self.read,
            expected: self.expected,
            finished,
        });
    }
}
