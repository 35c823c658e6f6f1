//! [`OperatorStore`] for SQLite.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;

use super::super::operator::{AuditRecord, OperatorStore, trail_limit};
use super::super::{AuditEntry, Binding, Direction, StoreError, StoreResult, sql};
use super::{SqliteStore, binding_from_row, from_micros, micros};
use crate::model::StoreScope;

impl SqliteStore {
    async fn job_exists(&self, id: i64) -> StoreResult<()> {
        let found = sqlx::query("SELECT 1 FROM sync_jobs WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found.map(|_| ()).ok_or(StoreError::NoSuchJob(id))
    }
}

#[async_trait]
impl OperatorStore for SqliteStore {
    async fn audit_trail(
        &self,
        scope: &StoreScope,
        keys: &[&str],
        limit: usize,
    ) -> StoreResult<Vec<AuditRecord>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = serde_json::to_string(keys).unwrap_or_default();
        let rows = sqlx::query(
            "SELECT * FROM (SELECT id, scope, direction, system, kind, key, payload, created_at \
               FROM sync_audit WHERE scope = ? AND key IN (SELECT value FROM json_each(?)) \
               ORDER BY id DESC LIMIT ?) ORDER BY id",
        )
        .bind(scope.as_str())
        .bind(keys)
        .bind(trail_limit(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let direction: String = row.try_get("direction")?;
                Ok(AuditRecord {
                    id: row.try_get("id")?,
                    entry: AuditEntry {
                        scope: StoreScope::new(row.try_get::<String, _>("scope")?),
                        direction: if direction == "outbound" {
                            Direction::Outbound
                        } else {
                            Direction::Inbound
                        },
                        system: row.try_get("system")?,
                        kind: row.try_get("kind")?,
                        key: row.try_get("key")?,
                        payload: sql::parse_json("payload", &row.try_get::<String, _>("payload")?)?,
                    },
                    at: from_micros("created_at", row.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    async fn binding_by_remote_id(
        &self,
        scope: &StoreScope,
        kind: &str,
        remote_id: &str,
    ) -> StoreResult<Option<Binding>> {
        sqlx::query(
            "SELECT * FROM sync_bindings WHERE scope = ? AND kind = ? AND remote_id = ? \
             ORDER BY rowid LIMIT 1",
        )
        .bind(scope.as_str())
        .bind(kind)
        .bind(remote_id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(binding_from_row)
        .transpose()
    }

    async fn dismiss(&self, id: i64, note: serde_json::Value) -> StoreResult<u64> {
        self.job_exists(id).await?;
        self.execute(
            sqlx::query(
                "UPDATE sync_jobs SET state = 'done', parked_on = NULL, result = ?, \
                   updated_at = ? \
                 WHERE id = ? AND state IN ('dead', 'parked')",
            )
            .bind(sql::json_text(&note))
            .bind(micros(Utc::now()))
            .bind(id),
        )
        .await
    }

    async fn replace_payload(&self, id: i64, payload: serde_json::Value) -> StoreResult<u64> {
        self.job_exists(id).await?;
        self.execute(
            sqlx::query(
                "UPDATE sync_jobs SET payload = ?, updated_at = ? WHERE id = ? AND state = 'dead'",
            )
            .bind(sql::json_text(&payload))
            .bind(micros(Utc::now()))
            .bind(id),
        )
        .await
    }
}
