//! Each flow's last pass, as an operator reads it: when it started, how long it took, whether
//! it ran, was skipped because its source system was down, or left the read to another
//! worker, and what it did.
//!
//! Recorded in the state store (as a checkpoint named `last-pass:<flow>`), so every worker
//! and a restarted daemon see the newest pass of any worker.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::base::{Engine, EngineError, Summary};
use super::flows::Flow;

/// How a flow's pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassOutcome {
    /// The flow read its source, queued its work and the queue was drained.
    Ran,
    /// Its source system was down (credentials refused, unreachable): nothing was read; the
    /// next pass tries again.
    Skipped,
    /// Its source could not be read for another reason; the pass ended with that error.
    Failed,
    /// Another worker sharing the state store held the flow's read lease and read the
    /// source; this worker ran jobs meanwhile instead of reading it too. Not a failure.
    ReadElsewhere,
}

/// What one flow did in its last pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPass {
    /// When the flow's pass started.
    pub started_at: DateTime<Utc>,
    /// How long it took, reading the source and draining the queue after it, in milliseconds.
    pub duration_ms: u64,
    /// Whether it ran or was skipped.
    pub outcome: PassOutcome,
    /// What it did (the jobs it queued and the jobs the drain after it ran).
    pub summary: Summary,
}

/// The checkpoint name a flow's last pass is kept under.
fn checkpoint_name(flow: Flow) -> String {
    format!("last-pass:{}", flow.name())
}

impl Engine {
    /// `flow`'s last pass by any worker on this store, if it has had one.
    ///
    /// # Errors
    ///
    /// The state store failed. A record this version cannot read is `None`, not an error.
    pub async fn last_pass(&self, flow: Flow) -> Result<Option<LastPass>, EngineError> {
        let stored = self
            .store
            .checkpoint(&self.config.scope, &checkpoint_name(flow))
            .await?;
        Ok(stored.and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// Records `flow`'s pass of a worker that left the read to another (see
    /// [`PassOutcome::ReadElsewhere`]), unless a pass that ended after this one started is
    /// recorded already: the reader's pass, with what it read, is the one an operator wants.
    pub(crate) async fn record_followed_pass(
        &self,
        flow: Flow,
        pass: &LastPass,
    ) -> Result<(), EngineError> {
        if let Some(recorded) = self.last_pass(flow).await? {
            let ended = i64::try_from(recorded.duration_ms)
                .ok()
                .and_then(chrono::Duration::try_milliseconds)
                .and_then(|took| recorded.started_at.checked_add_signed(took));
            // The recorded duration is in whole milliseconds, and a follower's flow starts a
            // moment after the pass it follows began: a reader whose drain found nothing left
            // (the follower ran it all) ends within that moment. A second of slack keeps the
            // reader's record, which the bare comparison lost to such a follower now and then.
            let slack = chrono::Duration::seconds(1);
            if ended.is_none_or(|ended| ended + slack >= pass.started_at) {
                return Ok(());
            }
        }
        self.record_pass(flow, pass).await
    }

    /// Records `flow`'s pass.
    pub(crate) async fn record_pass(&self, flow: Flow, pass: &LastPass) -> Result<(), EngineError> {
        let text = serde_json::to_string(pass).unwrap_or_default();
        self.store
            .set_checkpoint(&self.config.scope, &checkpoint_name(flow), &text)
            .await?;
        metrics::gauge!("sync_flow_last_pass_seconds", "flow" => flow.name())
            .set(pass.duration_ms as f64 / 1000.0);
        Ok(())
    }
}
