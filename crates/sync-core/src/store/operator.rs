//! What an operator's console asks of the store beyond the engine's needs: an entity's audit
//! trail, a binding found by its remote id, and the corrections an operator makes to a dead
//! letter (dismiss it, or replace its payload before retrying it).
//!
//! The SQL stores implement [`OperatorStore`] and hand it out through
//! [`StateStore::operator`](super::StateStore::operator); a store without it (a test double)
//! answers `None`, and the console says the feature needs a SQL store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AuditEntry, Binding, StoreResult};
use crate::model::StoreScope;

/// The most audit entries one [`OperatorStore::audit_trail`] call returns.
pub const MAX_AUDIT_TRAIL: usize = 500;

/// An audit entry as stored: the entry, its id and when it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Store-assigned id (increasing with time).
    pub id: i64,
    /// The entry.
    pub entry: AuditEntry,
    /// When it was written.
    pub at: DateTime<Utc>,
}

/// The operator's queries and corrections.
#[async_trait]
pub trait OperatorStore: Send + Sync {
    /// The audit entries of `scope` whose key is one of `keys`, oldest first, at most `limit`
    /// (capped at [`MAX_AUDIT_TRAIL`]) of the newest.
    async fn audit_trail(
        &self,
        scope: &StoreScope,
        keys: &[&str],
        limit: usize,
    ) -> StoreResult<Vec<AuditRecord>>;
    /// The binding of `kind` in `scope` whose remote id is `remote_id` (the oldest if several).
    async fn binding_by_remote_id(
        &self,
        scope: &StoreScope,
        kind: &str,
        remote_id: &str,
    ) -> StoreResult<Option<Binding>>;
    /// Closes a dead or parked job without running it: it becomes `done` with `note` as its
    /// result (who dismissed it and why). Returns how many jobs changed (0 when the job is
    /// neither dead nor parked); an unknown id is [`super::StoreError::NoSuchJob`].
    async fn dismiss(&self, id: i64, note: serde_json::Value) -> StoreResult<u64>;
    /// Replaces the payload of a dead job (edit-and-retry); it stays dead until replayed.
    /// Returns how many jobs changed (0 when the job is not dead); an unknown id is
    /// [`super::StoreError::NoSuchJob`].
    async fn replace_payload(&self, id: i64, payload: serde_json::Value) -> StoreResult<u64>;
}

/// The most audit entries a query asks for.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn trail_limit(limit: usize) -> i64 {
    i64::try_from(limit.min(MAX_AUDIT_TRAIL)).unwrap_or(0)
}
