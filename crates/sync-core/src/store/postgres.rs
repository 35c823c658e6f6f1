//! The PostgreSQL backend: several workers on several machines share one database.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions, PgRow};

use super::sql::{self, MIGRATIONS_TABLE};
use super::{
    AuditEntry, Binding, Job, JobFailure, JobState, NewJob, StateStore, StoreError, StoreResult,
};
use crate::model::StoreScope;

mod operator;

/// Connections per store unless the caller builds its own pool.
const POOL_SIZE: u32 = 8;

/// First key of the advisory locks taken on job resources while leasing (`"SYNC"` in ASCII),
/// so they cannot collide with an application's own advisory locks on one-key form.
const RESOURCE_LOCK_SPACE: i32 = 0x5359_4e43;

/// The next runnable job of resource `$1` at `$2` newer than job `$3`, locked, if no live
/// lease holds the resource ([`StateStore::lease_next`]). Each state on its own, the queued
/// one through `sync_jobs_queued_by_resource` (the next job in id order is one index step,
/// migration 0007; `lease_plan_tests`); the runnable test is repeated on `j` for the lock's
/// re-check, as in `lease`.
pub(crate) const LEASE_NEXT: &str = "SELECT j.id FROM sync_jobs j \
             WHERE j.id = (SELECT MIN(c.id) FROM ( \
                   (SELECT id FROM sync_jobs \
                     WHERE resource = $1 AND state = 'pending' AND run_after <= $2 \
                       AND id > $3 \
                     ORDER BY id LIMIT 1) \
                   UNION ALL \
                   (SELECT id FROM sync_jobs \
                     WHERE resource = $1 AND state = 'running' AND leased_until <= $2 \
                       AND id > $3 \
                     ORDER BY id LIMIT 1)) c) \
               AND ((j.state = 'pending' AND j.run_after <= $2) \
                 OR (j.state = 'running' AND j.leased_until <= $2)) \
               AND NOT EXISTS (SELECT 1 FROM sync_jobs r \
                   WHERE r.resource = $1 AND r.state = 'running' AND r.leased_until > $2) \
             FOR UPDATE OF j SKIP LOCKED";

/// First key of the advisory locks that order an event's wake ([`StateStore::wake`]) and a
/// job's wait for it ([`StateStore::fail`]) (`"WAKE"` in ASCII): one sees the other.
const WAKE_LOCK_SPACE: i32 = 0x5741_4b45;

/// The columns of `sync_jobs` that [`job_from_row`] reads (JSON columns read back as text).
macro_rules! job_columns {
    () => {
        "id, scope, kind, key, resource, payload::text AS payload, state, attempts, started, \
         last_error, parked_on, result::text AS result, run_after, leased_by, leased_until, \
         created_at, updated_at"
    };
}

/// A [`StateStore`] in a PostgreSQL database, shared by any number of workers.
///
/// - **Leases** pick runnable rows with `FOR UPDATE SKIP LOCKED` (a row another worker is
///   leasing is skipped, never waited for), keep the oldest runnable job of each resource, then
///   take a transaction-scoped advisory lock on each resource (`pg_try_advisory_xact_lock`,
///   never blocking) and re-check, under it and with a fresh snapshot, that no live lease
///   holds the resource. Two workers leasing at the same moment therefore never get the same
///   job nor two jobs of the same resource.
/// - **Receipt chains** are advanced under a row lock (`SELECT … FOR UPDATE` on the device's
///   chain row, created first with `ON CONFLICT DO NOTHING` when missing), so the
///   compare-and-set and the binding insert commit together or not at all.
///
/// JSON is stored as `json` (the text exactly as serialised); timestamps as `timestamptz`
/// (microsecond precision).
///
/// ```no_run
/// use sync_core::store::{PostgresStore, StateStore};
///
/// # async fn demo() -> Result<(), sync_core::store::StoreError> {
/// let store = PostgresStore::connect("postgres://sync@db.internal/sync").await?;
/// store.migrate().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool's options are left out: nothing of the connection URL is printed.
        f.debug_struct("PostgresStore")
            .field("connections", &self.pool.size())
            .field("closed", &self.pool.is_closed())
            .finish()
    }
}

impl PostgresStore {
    /// Runs a `DELETE … < ?` of rows older than `before`; returns how many went.
    async fn delete_before(&self, sql: &'static str, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query(sql).bind(before).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`)
    /// with a pool of 8 connections.
    ///
    /// Call [`StateStore::migrate`] before first use (it is safe to call from several
    /// workers at once: the migration runs under an advisory lock).
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the URL is malformed or the server cannot be reached.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect(url)
            .await
            .map_err(sql::open_error)?;
        Ok(Self { pool })
    }

    /// A store over an existing pool (for example one with TLS or other sizes).
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The underlying pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Turns the row count of an update guarded by `state = 'running' AND leased_by = worker`
    /// into `Ok`, [`StoreError::LeaseLost`] (the job exists) or [`StoreError::NoSuchJob`].
    async fn guarded(&self, id: i64, affected: u64) -> StoreResult<()> {
        if affected == 1 {
            return Ok(());
        }
        let exists = sqlx::query("SELECT 1 FROM sync_jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        Err(if exists {
            StoreError::LeaseLost(id)
        } else {
            StoreError::NoSuchJob(id)
        })
    }
}

fn binding_from_row(row: &PgRow) -> StoreResult<Binding> {
    Ok(Binding {
        scope: StoreScope::new(row.try_get::<String, _>("scope")?),
        kind: row.try_get("kind")?,
        key: row.try_get("key")?,
        remote_id: row.try_get("remote_id")?,
        content_hash: row.try_get("content_hash")?,
        data: sql::parse_json("data", &row.try_get::<String, _>("data")?)?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn job_from_row(row: &PgRow) -> StoreResult<Job> {
    let result: Option<String> = row.try_get("result")?;
    Ok(Job {
        id: row.try_get("id")?,
        scope: StoreScope::new(row.try_get::<String, _>("scope")?),
        kind: row.try_get("kind")?,
        key: row.try_get("key")?,
        resource: row.try_get("resource")?,
        payload: sql::parse_json("payload", &row.try_get::<String, _>("payload")?)?,
        state: sql::parse_state(&row.try_get::<String, _>("state")?)?,
        attempts: sql::attempts(i64::from(row.try_get::<i32, _>("attempts")?))?,
        started: row.try_get("started")?,
        last_error: row.try_get("last_error")?,
        parked_on: row.try_get("parked_on")?,
        result: result
            .map(|text| sql::parse_json("result", &text))
            .transpose()?,
        run_after: row.try_get("run_after")?,
        leased_by: row.try_get("leased_by")?,
        leased_until: row.try_get("leased_until")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl PostgresStore {
    /// [`StateStore::advance_chain`], with `entry` added to the audit log in the same
    /// transaction when the head moves.
    async fn advance_chain_with(
        &self,
        device: &str,
        expected: &str,
        new_head: &str,
        binding: &Binding,
        entry: Option<&AuditEntry>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // Make sure the chain row exists so it can be locked; a concurrent creator makes this
        // wait for its commit, then do nothing.
        sqlx::query(
            "INSERT INTO sync_receipt_chains (device, head, updated_at) VALUES ($1, '', $2) \
             ON CONFLICT (device) DO NOTHING",
        )
        .bind(device)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        let head: String =
            sqlx::query_scalar("SELECT head FROM sync_receipt_chains WHERE device = $1 FOR UPDATE")
                .bind(device)
                .fetch_one(&mut *tx)
                .await?;
        if head != expected {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("UPDATE sync_receipt_chains SET head = $1, updated_at = $2 WHERE device = $3")
            .bind(new_head)
            .bind(Utc::now())
            .bind(device)
            .execute(&mut *tx)
            .await?;
        upsert_binding(&mut tx, binding).await?;
        if let Some(entry) = entry {
            insert_audit(&mut tx, entry).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Appends `entry` to the audit log on `conn`.
async fn insert_audit(conn: &mut PgConnection, entry: &AuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sync_audit (scope, direction, system, kind, key, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6::json, $7)",
    )
    .bind(entry.scope.as_str())
    .bind(sql::direction_name(entry.direction))
    .bind(&entry.system)
    .bind(&entry.kind)
    .bind(&entry.key)
    .bind(sql::json_text(&entry.payload))
    .bind(Utc::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts or replaces a binding on `conn` (shared by `put_binding` and `advance_chain`).
async fn upsert_binding(conn: &mut PgConnection, binding: &Binding) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sync_bindings (scope, kind, key, remote_id, content_hash, data, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6::json, $7) \
         ON CONFLICT (scope, kind, key) DO UPDATE SET \
           remote_id = excluded.remote_id, content_hash = excluded.content_hash, \
           data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(binding.scope.as_str())
    .bind(&binding.kind)
    .bind(&binding.key)
    .bind(&binding.remote_id)
    .bind(&binding.content_hash)
    .bind(sql::json_text(&binding.data))
    .bind(Utc::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// The classes of the queued jobs, each the first entry of `sync_jobs_queued_class` after the
/// one before (as `sqlite::LEASE_CLASSES`).
const LEASE_CLASSES: &str = "WITH RECURSIVE classes(c) AS ( \
       SELECT (SELECT substr(resource, 1, strpos(resource, ':')) FROM sync_jobs \
               WHERE state = 'pending' \
               ORDER BY substr(resource, 1, strpos(resource, ':')) LIMIT 1) \
       UNION ALL \
       SELECT (SELECT substr(resource, 1, strpos(resource, ':')) FROM sync_jobs \
               WHERE state = 'pending' AND substr(resource, 1, strpos(resource, ':')) > c \
               ORDER BY substr(resource, 1, strpos(resource, ':')) LIMIT 1) \
         FROM classes WHERE c IS NOT NULL) \
     SELECT c FROM classes WHERE c IS NOT NULL";

/// The heads of one class (`$1`) at `$2` among its oldest `$3` runnable queued jobs (as
/// `sqlite::LEASE_CLASS_HEADS`).
const LEASE_CLASS_HEADS: &str = "SELECT MIN(id), resource, COUNT(*) FROM ( \
       SELECT id, resource FROM sync_jobs \
       WHERE state = 'pending' AND substr(resource, 1, strpos(resource, ':')) = $1 \
         AND run_after <= $2 \
         AND resource NOT IN (SELECT resource FROM sync_jobs WHERE state = 'running') \
       ORDER BY id LIMIT $3) w \
     GROUP BY resource";

/// The running jobs whose lease ran out at `$1`, the oldest of each resource no live lease
/// holds (as `sqlite::LEASE_EXPIRED`).
const LEASE_EXPIRED: &str = "SELECT MIN(id), resource, 1::BIGINT FROM sync_jobs \
     WHERE state = 'running' AND leased_until <= $1 \
       AND resource NOT IN (SELECT resource FROM sync_jobs \
           WHERE state = 'running' AND leased_until > $1) \
     GROUP BY resource";

#[async_trait]
impl StateStore for PostgresStore {
    fn operator(&self) -> Option<&dyn super::OperatorStore> {
        Some(self)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
        migrator.set_ignore_missing(true);
        migrator.run(&self.pool).await?;
        Ok(())
    }

    async fn binding(
        &self,
        scope: &StoreScope,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<Binding>> {
        sqlx::query(
            "SELECT scope, kind, key, remote_id, content_hash, data::text AS data, updated_at \
             FROM sync_bindings WHERE scope = $1 AND kind = $2 AND key = $3",
        )
        .bind(scope.as_str())
        .bind(kind)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(binding_from_row)
        .transpose()
    }

    async fn put_binding(&self, binding: &Binding) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        upsert_binding(&mut conn, binding).await
    }

    async fn bindings(&self, scope: &StoreScope, kind: &str) -> StoreResult<Vec<Binding>> {
        sqlx::query(
            "SELECT scope, kind, key, remote_id, content_hash, data::text AS data, updated_at \
             FROM sync_bindings WHERE scope = $1 AND kind = $2 ORDER BY key",
        )
        .bind(scope.as_str())
        .bind(kind)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(binding_from_row)
        .collect()
    }

    async fn bindings_where(
        &self,
        scope: &StoreScope,
        kind: &str,
        conditions: &[(&str, &[&str])],
        limit: usize,
    ) -> StoreResult<Vec<Binding>> {
        // `seq` is the order of first storing: an upsert does not change it. The member name
        // is written into the text (checked plain) so that the expression matches the index
        // on `data->>'state'`.
        let mut sql = String::from(
            "SELECT scope, kind, key, remote_id, content_hash, data::text AS data, updated_at \
             FROM sync_bindings WHERE scope = $1 AND kind = $2",
        );
        let mut n = 2;
        for (member, _) in conditions {
            let member = sql::plain_member(member)?;
            n += 1;
            // `json_typeof` keeps numbers and booleans from matching their text.
            sql.push_str(&format!(
                " AND data->>'{member}' = ANY(${n}) AND json_typeof(data->'{member}') = 'string'"
            ));
        }
        sql.push_str(&format!(" ORDER BY seq LIMIT ${}", n + 1));
        // Safe: member names are checked plain above; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.as_str())
            .bind(kind);
        for (_, values) in conditions {
            query = query.bind(*values);
        }
        query
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(binding_from_row)
            .collect()
    }

    async fn checkpoint(&self, scope: &StoreScope, flow: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM sync_checkpoints WHERE scope = $1 AND flow = $2")
                .bind(scope.as_str())
                .bind(flow)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_checkpoint(&self, scope: &StoreScope, flow: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sync_checkpoints (scope, flow, value, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (scope, flow) DO UPDATE SET \
               value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(scope.as_str())
        .bind(flow)
        .bind(value)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn enqueue(&self, job: NewJob) -> StoreResult<(i64, bool)> {
        let now = Utc::now();
        // A concurrent insert of the same key waits for the other transaction, then does
        // nothing; the select below then sees the committed row.
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO sync_jobs \
               (scope, kind, key, resource, payload, state, run_after, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5::json, 'pending', $6, $7, $7) \
             ON CONFLICT (scope, kind, key) DO NOTHING \
             RETURNING id",
        )
        .bind(job.scope.as_str())
        .bind(&job.kind)
        .bind(&job.key)
        .bind(&job.resource)
        .bind(sql::json_text(&job.payload))
        .bind(sql::due_now())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = inserted {
            return Ok((id, true));
        }
        let id: i64 = sqlx::query_scalar(
            "SELECT id FROM sync_jobs WHERE scope = $1 AND kind = $2 AND key = $3",
        )
        .bind(job.scope.as_str())
        .bind(&job.kind)
        .bind(&job.key)
        .fetch_one(&self.pool)
        .await?;
        Ok((id, false))
    }

    async fn lease(
        &self,
        worker: &str,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Job>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let until = sql::lease_end(now, lease);
        let mut tx = self.pool.begin().await?;
        // The runnable heads, found as `sqlite::lease_heads` finds them (a window of each
        // class's oldest queued jobs, the expired leases), in the order `sql::pick_heads`
        // gives; all of them, since rows another worker is leasing right now are skipped
        // below and the next ones take their place.
        let classes: Vec<String> = sqlx::query_scalar(LEASE_CLASSES)
            .fetch_all(&mut *tx)
            .await?;
        let mut rows: Vec<(i64, String, i64)> = sqlx::query_as(LEASE_EXPIRED)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        for class in classes {
            rows.extend(
                sqlx::query_as::<_, (i64, String, i64)>(LEASE_CLASS_HEADS)
                    .bind(class)
                    .bind(now)
                    .bind(sql::lease_window(limit))
                    .fetch_all(&mut *tx)
                    .await?,
            );
        }
        let heads = sql::heads(rows);
        let count = heads.len();
        let candidates = sql::pick_heads(heads, count);

        let mut resources = HashSet::new();
        let mut jobs = Vec::with_capacity(limit);
        for sql::Head { id, resource, .. } in candidates {
            if jobs.len() == limit {
                break;
            }
            if !resources.insert(resource.clone()) {
                continue;
            }
            // The row, unless another worker is leasing it; still runnable in the snapshot
            // taken after any lease of it that committed meanwhile (PostgreSQL re-checks a
            // locked row's conditions).
            let row: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM sync_jobs \
                 WHERE id = $1 \
                   AND ((state = 'pending' AND run_after <= $2) \
                     OR (state = 'running' AND leased_until <= $2)) \
                 FOR UPDATE SKIP LOCKED",
            )
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if row.is_none() {
                continue;
            }
            // Another worker leasing a job of this resource holds the lock until it commits;
            // after its commit, the fresh snapshot of the check below sees its lease.
            let locked: bool =
                sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, hashtext($2))")
                    .bind(RESOURCE_LOCK_SPACE)
                    .bind(&resource)
                    .fetch_one(&mut *tx)
                    .await?;
            if !locked {
                continue;
            }
            let held: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM sync_jobs \
                   WHERE resource = $1 AND state = 'running' AND leased_until > $2 \
                     AND id <> $3)",
            )
            .bind(&resource)
            .bind(now)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if held {
                continue;
            }
            jobs.push(take_lease(&mut tx, id, worker, until).await?);
        }
        tx.commit().await?;
        Ok(jobs)
    }

    async fn next_due(&self, scope: &StoreScope) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(t) FROM ( \
               SELECT MIN(run_after) AS t FROM sync_jobs WHERE scope = $1 AND state = 'pending' \
               UNION ALL \
               SELECT MIN(leased_until) FROM sync_jobs WHERE scope = $1 AND state = 'running') d",
        )
        .bind(scope.as_str())
        .fetch_one(&self.pool)
        .await?)
    }

    async fn lease_next(
        &self,
        worker: &str,
        resource: &str,
        after: i64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        let until = sql::lease_end(now, lease);
        let mut tx = self.pool.begin().await?;
        // As in `lease`: the resource's advisory lock first, then the live-lease check on a
        // snapshot taken after any other leaser of this resource has committed.
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, hashtext($2))")
            .bind(RESOURCE_LOCK_SPACE)
            .bind(resource)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            tx.commit().await?;
            return Ok(None);
        }
        let id: Option<i64> = sqlx::query_scalar(LEASE_NEXT)
            .bind(resource)
            .bind(now)
            .bind(after)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(id) = id else {
            tx.commit().await?;
            return Ok(None);
        };
        let job = take_lease(&mut tx, id, worker, until).await?;
        tx.commit().await?;
        Ok(Some(job))
    }

    async fn mark_started(&self, id: i64, worker: &str) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE sync_jobs SET started = TRUE, attempts = attempts + 1, updated_at = $1 \
             WHERE id = $2 AND state = 'running' AND leased_by = $3",
        )
        .bind(Utc::now())
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        self.guarded(id, done.rows_affected()).await
    }

    async fn complete(&self, id: i64, worker: &str, result: serde_json::Value) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE sync_jobs SET state = 'done', result = $1::json, leased_by = NULL, \
               leased_until = NULL, updated_at = $2 \
             WHERE id = $3 AND state = 'running' AND leased_by = $4",
        )
        .bind(sql::json_text(&result))
        .bind(Utc::now())
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        self.guarded(id, done.rows_affected()).await
    }

    async fn fail(&self, id: i64, worker: &str, failure: JobFailure) -> StoreResult<()> {
        let mut columns = sql::FailureColumns::from(failure);
        let mut tx = self.pool.begin().await?;
        if let Some(on) = &columns.waits_on {
            // The event of a wait may have come while the job ran: `wake` found it running,
            // not waiting, and recorded the event for this look. The lock orders the two: a
            // wake after it sees this job waiting.
            lock_event(&mut tx, on).await?;
            let woken: bool = sqlx::query_scalar(sql::WOKEN_SINCE_LEASE)
                .bind(id)
                .bind(on)
                .fetch_one(&mut *tx)
                .await?;
            if woken {
                columns = columns.woken();
            }
        }
        let done = sqlx::query(
            "UPDATE sync_jobs SET state = $1, run_after = COALESCE($2, run_after), \
               last_error = $3, parked_on = $4, waits_on = $5, leased_by = NULL, \
               leased_until = NULL, updated_at = $6 \
             WHERE id = $7 AND state = 'running' AND leased_by = $8",
        )
        .bind(columns.state.as_str())
        .bind(columns.run_after)
        .bind(columns.error)
        .bind(columns.parked_on)
        .bind(columns.waits_on)
        .bind(Utc::now())
        .bind(id)
        .bind(worker)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.guarded(id, done.rows_affected()).await
    }

    async fn job(&self, id: i64) -> StoreResult<Option<Job>> {
        sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM sync_jobs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(job_from_row)
        .transpose()
    }

    async fn job_by_key(
        &self,
        scope: &StoreScope,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<Job>> {
        sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM sync_jobs WHERE scope = $1 AND kind = $2 AND key = $3"
        ))
        .bind(scope.as_str())
        .bind(kind)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(job_from_row)
        .transpose()
    }

    async fn jobs(&self, scope: &StoreScope, state: Option<JobState>) -> StoreResult<Vec<Job>> {
        sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM sync_jobs WHERE scope = $1 AND ($2::text IS NULL OR state = $2) ORDER BY id"
        ))
        .bind(scope.as_str())
        .bind(state.map(JobState::as_str))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(job_from_row)
        .collect()
    }

    async fn replay(&self, id: Option<i64>) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        if let Some(id) = id {
            let exists = sqlx::query("SELECT 1 FROM sync_jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !exists {
                return Err(StoreError::NoSuchJob(id));
            }
        }
        let done = sqlx::query(
            "UPDATE sync_jobs SET state = 'pending', parked_on = NULL, run_after = $1, \
               updated_at = $2 \
             WHERE state IN ('dead', 'parked') AND ($3::bigint IS NULL OR id = $3)",
        )
        .bind(sql::due_now())
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn unpark(&self, mapping: &str) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE sync_jobs SET state = 'pending', parked_on = NULL, run_after = $1, \
               updated_at = $2 \
             WHERE state = 'parked' AND parked_on = $3",
        )
        .bind(sql::due_now())
        .bind(Utc::now())
        .bind(mapping)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn wake(&self, scope: &StoreScope, on: &str) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        lock_event(&mut tx, on).await?;
        // Recorded for the jobs running now, which may come to wait for it (`fail`).
        sqlx::query(
            "INSERT INTO sync_wakes (scope, event, woken_at) VALUES ($1, $2, clock_timestamp()) \
             ON CONFLICT (scope, event) DO UPDATE SET \
               woken_at = GREATEST(sync_wakes.woken_at, excluded.woken_at)",
        )
        .bind(scope.as_str())
        .bind(on)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE sync_jobs SET run_after = $1, waits_on = NULL, updated_at = $2 \
             WHERE scope = $3 AND waits_on = $4 AND state = 'pending' AND run_after > $1",
        )
        .bind(sql::due_now())
        .bind(Utc::now())
        .bind(scope.as_str())
        .bind(on)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn queue_depth(&self) -> StoreResult<HashMap<JobState, u64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(sql::QUEUE_DEPTH)
            .fetch_all(&self.pool)
            .await?;
        let mut depths = sql::zero_depths();
        for (state, count) in rows {
            depths.insert(sql::parse_state(&state)?, u64::try_from(count).unwrap_or(0));
        }
        Ok(depths)
    }

    async fn claim(
        &self,
        scope: &StoreScope,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO sync_claims (scope, name, holder, until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (scope, name) DO UPDATE SET holder = excluded.holder, \
             until = excluded.until \
             WHERE sync_claims.holder = excluded.holder OR sync_claims.until <= $5",
        )
        .bind(scope.as_str())
        .bind(name)
        .bind(holder)
        .bind(until)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn release(&self, scope: &StoreScope, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sync_claims WHERE scope = $1 AND name = $2 AND holder = $3")
            .bind(scope.as_str())
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_event(&self, scope: &StoreScope, event_id: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO sync_events (scope, event_id, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (scope, event_id) DO NOTHING",
        )
        .bind(scope.as_str())
        .bind(event_id)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn chain_head(&self, device: &str) -> StoreResult<Option<String>> {
        let head: Option<String> =
            sqlx::query_scalar("SELECT head FROM sync_receipt_chains WHERE device = $1")
                .bind(device)
                .fetch_optional(&self.pool)
                .await?;
        Ok(head.filter(|head| !head.is_empty()))
    }

    async fn advance_chain(
        &self,
        device: &str,
        expected: &str,
        new_head: &str,
        binding: &Binding,
    ) -> StoreResult<bool> {
        self.advance_chain_with(device, expected, new_head, binding, None)
            .await
    }

    async fn advance_chain_audited(
        &self,
        device: &str,
        expected: &str,
        new_head: &str,
        binding: &Binding,
        entry: &AuditEntry,
    ) -> StoreResult<bool> {
        self.advance_chain_with(device, expected, new_head, binding, Some(entry))
            .await
    }

    async fn audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        insert_audit(&mut conn, entry).await
    }

    async fn prune_audit(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.delete_before("DELETE FROM sync_audit WHERE created_at < $1", before)
            .await
    }

    async fn prune_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.delete_before(
            "DELETE FROM sync_jobs WHERE state = 'done' AND updated_at < $1",
            before,
        )
        .await
    }

    async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        // The wakes no running job can come to wait for: older than every live lease.
        sqlx::query(
            "DELETE FROM sync_wakes WHERE woken_at < COALESCE( \
               (SELECT MIN(leased_at) FROM sync_jobs WHERE state = 'running'), clock_timestamp())",
        )
        .execute(&self.pool)
        .await?;
        self.delete_before("DELETE FROM sync_events WHERE received_at < $1", before)
            .await
    }
}

/// Takes the transaction's advisory lock on event `on` (of any scope: the lock only orders):
/// a wake and a wait for the same event run one after the other.
async fn lock_event(conn: &mut PgConnection, on: &str) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(WAKE_LOCK_SPACE)
        .bind(on)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks job `id` running under `worker`'s lease until `until` and returns it.
async fn take_lease(
    conn: &mut sqlx::PgConnection,
    id: i64,
    worker: &str,
    until: DateTime<Utc>,
) -> StoreResult<Job> {
    let row = sqlx::query(concat!(
        "UPDATE sync_jobs SET state = 'running', leased_by = $1, leased_until = $2, \
           leased_at = clock_timestamp(), updated_at = $3 \
         WHERE id = $4 RETURNING ",
        job_columns!()
    ))
    .bind(worker)
    .bind(until)
    .bind(Utc::now())
    .bind(id)
    .fetch_one(conn)
    .await?;
    job_from_row(&row)
}

#[cfg(all(test, feature = "test-util"))]
#[path = "postgres_plan_tests.rs"]
mod lease_plan_tests;
