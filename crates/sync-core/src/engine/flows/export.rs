//! The backfill of orders through one storefront export (Shopify: a bulk query), used by the
//! orders [`pull`](super::pull) when more orders are to be read than
//! [`EngineConfig::bulk_threshold`](crate::engine::EngineConfig::bulk_threshold).
//!
//! When to export is decided from a count, not from the checkpoint's age: when the first page
//! of changes since the checkpoint is full (more are to come), the storefront counts the
//! orders changed since the checkpoint (all of them on a first run) for about the price of one
//! read ([`StorefrontOrders::count_order_changes`]). So a quiet shop after a long gap keeps
//! the cheap incremental read, a busy one after a short gap still exports, and a pass with
//! few changes asks for no count at all.
//!
//! The export's id is recorded in the state store (checkpoint `orders:export`) before it is
//! read, so the engine runs one export per shop at a time, and a restart (a crash, a kill
//! during the export or while its result is read) resumes it instead of starting another.
//! Its orders are read as a stream, a chunk at a time, and go through the same decisions,
//! exactly-once jobs and `order_read` records as the incremental read: an order imported
//! before the crash is not imported again. Whether an order was read already is decided on
//! the change the export gives (its id and change time) before the order is completed
//! ([`ExportedOrder::complete`]), so a resumed export makes no follow-up read (returns, a
//! refund read by id) for an order imported before. When the export has been read, the `orders`
//! checkpoint moves to the moment it was started and the incremental read goes on from there
//! (less the usual overlap), which picks up what changed while it ran.

use std::time::Instant;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::pull::{already_read, record_read};
use super::{Decisions, source};
use crate::connector::{ExportedOrder, StorefrontOrders};
use crate::engine::base::{BackfillProgress, Engine, EngineError};
use crate::engine::kinds::BindingKind;
use crate::model::Order;

/// The checkpoint that records the export being read.
const EXPORT: &str = "orders:export";

/// Orders decided together (one ERP look-up of their documents).
const CHUNK: usize = 50;

/// The export being read, as recorded in the state store.
#[derive(Debug, Serialize, Deserialize)]
struct Recorded {
    /// The storefront's id of the export.
    id: String,
    /// The orders it holds: those changed at or after this (all for `None`).
    since: Option<DateTime<Utc>>,
    /// When the engine started it (before the storefront did): where the incremental read
    /// goes on from.
    started_at: DateTime<Utc>,
}

/// Reads the orders through an export when one is recorded, or, if `may_start`, when more
/// than the threshold are to be read since `from`; does nothing otherwise (in a plan
/// neither: a plan starts nothing remote). Returns whether it read an export (whole).
pub(crate) async fn export_orders(
    d: &mut Decisions<'_>,
    from: Option<DateTime<Utc>>,
    may_start: bool,
) -> Result<bool, EngineError> {
    let engine = d.engine();
    if !d.is_run() {
        return Ok(false);
    }
    let scope = &engine.config.scope;
    let storefront = engine.connectors.storefront_orders.as_ref();
    let recorded = match engine.store.checkpoint(scope, EXPORT).await? {
        Some(text) if !text.is_empty() => serde_json::from_str::<Recorded>(&text).ok(),
        _ => None,
    };
    let (recorded, expected) = match recorded {
        Some(recorded) => {
            tracing::info!(export = %recorded.id, "resuming the orders export recorded before");
            let expected = count(storefront, recorded.since).await.unwrap_or(None);
            (recorded, expected)
        }
        None => {
            let Some(threshold) = engine.config.bulk_threshold.filter(|_| may_start) else {
                return Ok(false);
            };
            let Some(expected) = count(storefront, from).await? else {
                return Ok(false);
            };
            if expected <= threshold {
                return Ok(false);
            }
            let started_at = engine.now();
            let id = storefront
                .start_order_export(from)
                .await
                .map_err(source("orders"))?;
            let recorded = Recorded {
                id,
                since: from,
                started_at,
            };
            engine
                .store
                .set_checkpoint(scope, EXPORT, &json(&recorded))
                .await?;
            tracing::info!(
                export = %recorded.id,
                orders = expected,
                threshold,
                "more orders to read than the bulk threshold: reading them through an export"
            );
            (recorded, Some(expected))
        }
    };
    let Some(mut orders) = storefront
        .order_export(&recorded.id, recorded.since)
        .await
        .map_err(source("orders"))?
    else {
        engine.store.set_checkpoint(scope, EXPORT, "").await?;
        return Err(EngineError::Source {
            flow: "orders",
            source: crate::connector::ConnectorError::transient(format!(
                "the orders export {} ended without a result; the next pass starts another",
                recorded.id
            )),
        });
    };
    let mut progress = Progress::start(engine, "orders", expected);
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        let next = orders.next().await.transpose().map_err(source("orders"))?;
        let end = next.is_none();
        if let Some(exported) = next {
            // Read before: skipped here, before any read that would complete it.
            if already_read(engine, BindingKind::OrderRead, &exported.change).await? {
                progress.advance(1);
            } else {
                chunk.push(exported);
            }
        }
        if chunk.len() >= CHUNK || (end && !chunk.is_empty()) {
            let n = chunk.len() as u64;
            import_chunk(d, std::mem::take(&mut chunk)).await?;
            progress.advance(n);
        }
        if end {
            break;
        }
    }
    drop(orders);
    engine
        .store
        .set_checkpoint(scope, "orders", &recorded.started_at.to_rfc3339())
        .await?;
    engine.store.set_checkpoint(scope, EXPORT, "").await?;
    progress.finish();
    Ok(true)
}

/// The storefront's count of the orders changed since `since`.
async fn count(
    storefront: &dyn StorefrontOrders,
    since: Option<DateTime<Utc>>,
) -> Result<Option<u64>, EngineError> {
    storefront
        .count_order_changes(since)
        .await
        .map_err(source("orders"))
}

/// Completes a chunk of exported orders not read yet, decides them, and records their reads.
async fn import_chunk(
    d: &mut Decisions<'_>,
    exported: Vec<ExportedOrder<'_>>,
) -> Result<(), EngineError> {
    let engine = d.engine();
    let mut unread: Vec<Order> = Vec::with_capacity(exported.len());
    for order in exported {
        unread.push(order.complete().await.map_err(source("orders"))?);
    }
    let read_at = engine.now();
    let stamps: Vec<_> = unread
        .iter()
        .map(|o| (o.external_id.clone(), o.updated_at))
        .collect();
    <Order as super::pull::Pulled>::decide_page(unread, d).await?;
    for (id, updated_at) in stamps {
        record_read(
            engine,
            BindingKind::OrderRead,
            id.as_ref(),
            updated_at,
            read_at,
        )
        .await?;
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
