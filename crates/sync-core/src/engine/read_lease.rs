//! One worker reads, all drain: the read lease of a flow.
//!
//! Workers that share a state store share its jobs, and without this each would also read
//! every source in full: list every change, read every changed customer and order (or a
//! whole bulk export) and decide it all again, only for the keyed jobs to drop the second
//! copy. So a flow's source read (its `decide`) runs under a lease in the state store, a
//! claim named `read:<flow>` ([`StateStore::claim`](crate::store::StateStore::claim): a
//! compare-and-set with an expiry, on SQLite and PostgreSQL alike):
//!
//! - the worker that takes it reads, renewing it while it reads (every third of
//!   [`EngineConfig::lease`](super::EngineConfig::lease)), then records the read done (who,
//!   when, and a new token, in the checkpoint `read-done:<flow>`) and gives the lease back;
//! - a worker that finds it held does not read: it runs jobs (those the reader is queueing)
//!   until the reader records its read done, and records its pass as
//!   [`PassOutcome::ReadElsewhere`](super::PassOutcome::ReadElsewhere);
//! - a worker whose pass started before another worker's read of the flow ended does not
//!   read it again in that pass (workers a moment apart read once, not twice);
//! - a reader that dies stops renewing: its lease runs out, and a worker waiting on it
//!   takes it and reads (the done token has not changed, so the read did not finish);
//! - a reader that could not renew in time (the store unreachable for longer than the
//!   lease) and finds the lease taken stops reading: what it queued stays queued, and the
//!   new holder reads the rest (checkpoints move only after a page's jobs are stored).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::base::{Engine, EngineError, Summary, uuid_like};
use super::flows::Flow;
use crate::error::{Classify, ErrorKind};

/// How often a worker waiting on another's read looks again (it runs jobs in between).
const FOLLOW_POLL: Duration = Duration::from_millis(200);

/// How often the jobs a read queues are looked for while it reads on, when none was
/// runnable at the last look.
const READ_DRAIN_POLL: Duration = Duration::from_millis(50);

/// How many times one pass reads a flow's source again after it was answered `THROTTLED`.
pub(crate) const THROTTLED_REREADS: u32 = 3;

/// The longest a pass waits before reading a throttled source again (a longer advice is
/// cut: the next read is paced by the client's cost model anyway).
pub(crate) const THROTTLED_WAIT_MAX: Duration = Duration::from_secs(60);

/// The wait a throttled read advised, within bounds (a second when it advised none).
pub(crate) fn throttled_wait(error: &impl Classify) -> Duration {
    error
        .retry_after()
        .unwrap_or(Duration::from_secs(1))
        .clamp(Duration::from_millis(10), THROTTLED_WAIT_MAX)
}

/// How a worker's turn at a flow's read went.
#[derive(Debug)]
pub(crate) enum ReadTurn {
    /// This worker read (the result of its `decide`).
    Read(Result<(), EngineError>),
    /// Another worker read; this one ran jobs meanwhile.
    Elsewhere,
}

/// A finished read of a flow, as recorded (checkpoint `read-done:<flow>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ReadDone {
    /// The engine that read (its worker name and a random part).
    by: String,
    /// When the read ended.
    at: DateTime<Utc>,
    /// A new value for every read, so a worker waiting on one sees it end.
    token: String,
}

fn lease_name(flow: Flow) -> String {
    format!("read:{}", flow.name())
}

fn done_name(flow: Flow) -> String {
    format!("read-done:{}", flow.name())
}

impl Engine {
    /// Reads `flow`'s source under its read lease (queueing what it decides, counted in
    /// `summary`), or leaves the read to another worker: one that finished a read of the flow
    /// after this pass started (`pass_started`), or one that holds the lease now, in which
    /// case this worker runs jobs until that read is done.
    ///
    /// # Errors
    ///
    /// When the store fails (a failing read is returned inside [`ReadTurn::Read`]).
    pub(crate) async fn take_turn_at_read(
        &self,
        flow: Flow,
        pass_started: DateTime<Utc>,
        summary: &mut Summary,
    ) -> Result<ReadTurn, EngineError> {
        let seen = self.read_done(flow).await?;
        if seen
            .as_ref()
            .is_some_and(|done| done.by != self.reader && done.at >= pass_started)
        {
            // Another worker read this flow's source during this pass already.
            return Ok(self.read_elsewhere(flow));
        }
        loop {
            if self.claim_read(flow).await? {
                if self.read_done(flow).await? != seen {
                    // Another worker finished a read of this flow since this turn began
                    // (and gave the lease back just now): it is not read twice.
                    self.release_read(flow).await?;
                    return Ok(self.read_elsewhere(flow));
                }
                return self.read_holding_lease(flow, summary).await;
            }
            // Another worker reads: run what it queues meanwhile.
            summary.add(&self.drain().await?);
            if self.read_done(flow).await? != seen {
                return Ok(self.read_elsewhere(flow));
            }
            tokio::time::sleep(FOLLOW_POLL).await;
        }
    }

    fn read_elsewhere(&self, flow: Flow) -> ReadTurn {
        metrics::counter!("sync_flow_reads_elsewhere_total", "flow" => flow.name()).increment(1);
        tracing::debug!(flow = flow.name(), "another worker read this flow's source");
        ReadTurn::Elsewhere
    }

    /// Decides `flow` while holding its read lease, renewing it, then marks the read done
    /// and gives the lease back.
    ///
    /// The jobs the read queues run while it reads on ([`drain_while_reading`]): a long read
    /// (every order of a backfill, page by page) and the work it queues overlap, instead of
    /// the work waiting for the last page.
    ///
    /// [`drain_while_reading`]: Engine::drain_while_reading
    async fn read_holding_lease(
        &self,
        flow: Flow,
        summary: &mut Summary,
    ) -> Result<ReadTurn, EngineError> {
        let reading = tokio::sync::watch::Sender::new(true);
        let read = async {
            let result = tokio::select! {
                result = self.read_source(flow, summary) => Some(result),
                () = self.keep_read_lease(flow) => None,
            };
            reading.send_replace(false);
            result
        };
        let (result, ran) = tokio::join!(read, self.drain_while_reading(reading.subscribe()));
        let Some(result) = result else {
            tracing::warn!(
                flow = flow.name(),
                "lost the read lease (not renewed in time); another worker reads on"
            );
            summary.add(&ran?);
            return Ok(ReadTurn::Elsewhere);
        };
        // Done, well or not: a worker waiting on this read does not start it again at once.
        let done = ReadDone {
            by: self.reader.clone(),
            at: self.now(),
            token: uuid_like(),
        };
        self.store
            .set_checkpoint(
                &self.config.scope,
                &done_name(flow),
                &serde_json::to_string(&done).unwrap_or_default(),
            )
            .await?;
        self.release_read(flow).await?;
        // A store failure of the jobs run meanwhile ends the pass, as the drain after the
        // read would; the read itself is recorded done first.
        summary.add(&ran?);
        Ok(ReadTurn::Read(result))
    }

    /// Runs the jobs that are runnable while `reading` holds `true`, looking again every
    /// [`READ_DRAIN_POLL`] (or as soon as the read ends) when none is. Jobs due later are
    /// left to the drain after the read.
    async fn drain_while_reading(
        &self,
        mut reading: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Summary, EngineError> {
        let mut ran = Summary::default();
        while *reading.borrow_and_update() {
            ran.add(&self.drain_runnable().await?);
            tokio::select! {
                _ = reading.changed() => {}
                () = tokio::time::sleep(READ_DRAIN_POLL) => {}
            }
        }
        Ok(ran)
    }

    /// Decides `flow` (reads its source and queues its jobs). A read that Shopify answered
    /// `THROTTLED` after the client's own retries does not fail the pass: it waits the time
    /// the answer advised (at most [`THROTTLED_WAIT_MAX`]) and reads again, up to
    /// [`THROTTLED_REREADS`] times in the pass. Reading again costs little: the checkpoint
    /// moved with every page already decided, and records read are not read again.
    async fn read_source(&self, flow: Flow, summary: &mut Summary) -> Result<(), EngineError> {
        let mut rereads = 0;
        loop {
            match self.enqueue_flow(flow, summary).await {
                Err(EngineError::Source { source, .. })
                    if source.kind() == ErrorKind::Throttling && rereads < THROTTLED_REREADS =>
                {
                    rereads += 1;
                    let wait = throttled_wait(&source);
                    metrics::counter!("sync_source_throttled_total", "flow" => flow.name())
                        .increment(1);
                    tracing::warn!(
                        flow = flow.name(),
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        reread = rereads,
                        error = %source,
                        "source read throttled; reading again after the advised wait"
                    );
                    self.clock.sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    /// Renews the read lease every third of its time; returns when it was lost (another
    /// worker took it after it ran out).
    async fn keep_read_lease(&self, flow: Flow) {
        let every = (self.config.lease / 3).max(Duration::from_millis(10));
        loop {
            tokio::time::sleep(every).await;
            match self.claim_read(flow).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => {
                    // The store may answer again before the lease runs out.
                    tracing::warn!(flow = flow.name(), %error, "could not renew the read lease");
                }
            }
        }
    }

    /// Takes or renews `flow`'s read lease for this engine: `false` while another holds it.
    async fn claim_read(&self, flow: Flow) -> Result<bool, EngineError> {
        let now = self.now();
        let lease = chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::MAX);
        let until = now
            .checked_add_signed(lease)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        Ok(self
            .store
            .claim(
                &self.config.scope,
                &lease_name(flow),
                &self.reader,
                until,
                now,
            )
            .await?)
    }

    async fn release_read(&self, flow: Flow) -> Result<(), EngineError> {
        Ok(self
            .store
            .release(&self.config.scope, &lease_name(flow), &self.reader)
            .await?)
    }

    /// The last finished read of `flow`, by any worker (`None` before any).
    async fn read_done(&self, flow: Flow) -> Result<Option<ReadDone>, EngineError> {
        Ok(self
            .store
            .checkpoint(&self.config.scope, &done_name(flow))
            .await?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }
}
