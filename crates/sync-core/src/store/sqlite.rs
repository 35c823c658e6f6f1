//! The SQLite backend: one file, zero set-up.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection};

use super::sql::{self, MIGRATIONS_TABLE};
use super::{
    AuditEntry, Binding, Job, JobFailure, JobState, NewJob, StateStore, StoreError, StoreResult,
};
use crate::model::StoreScope;

mod group;
mod operator;

use group::GroupWriter;

/// How long a connection waits for another one's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections in the reading pool of a file database (WAL lets readers run beside the one
/// writer).
const FILE_POOL_SIZE: u32 = 4;

/// SQLite's page cache per connection, in KiB (SQLite's default is 2,000 KiB).
///
/// The store's look-ups go through indexes a few pages deep, and the operating system caches
/// the file anyway; a smaller private cache keeps the process's memory from growing with the
/// database (four connections at the default grow by 8 MiB as the file fills) at no measured
/// cost in speed (`docs/performance.md`).
const CACHE_KIB: u32 = 512;

/// The columns of `sync_jobs` that [`job_from_row`] reads, in a literal so queries can be
/// assembled with `concat!` and stay `&'static str`.
macro_rules! job_columns {
    () => {
        "id, scope, kind, key, resource, payload, state, attempts, started, last_error, \
         parked_on, result, run_after, leased_by, leased_until, created_at, updated_at"
    };
}

mod lease;

#[cfg(test)]
use lease::{LEASE_CLASS_HEADS, LEASE_CLASSES, LEASE_EXPIRED};
use lease::{lease_heads, lease_next_on, take_lease};

/// A [`StateStore`] in one SQLite database file.
///
/// The database runs in WAL mode (readers never block the writer), with a 30 s busy timeout
/// and foreign keys on. Reads go through a pool of connections, writes through one
/// connection of their own, so that this process's writers wait for each other in order
/// rather than in SQLite's busy handler; the writes that queue while one commits share the
/// next commit, each in a savepoint of its own, and each caller is answered once its write is
/// on disk. Every operation that reads and then writes (leasing, the receipt chain
/// compare-and-set) runs in one `BEGIN IMMEDIATE` transaction, so it holds the write lock from
/// its first read: two processes sharing the file cannot interleave inside it.
///
/// Timestamps are stored as integer microseconds since the Unix epoch (UTC) and JSON as text,
/// exactly as serialised.
///
/// ```no_run
/// use sync_core::store::{SqliteStore, StateStore};
///
/// # async fn demo() -> Result<(), sync_core::store::StoreError> {
/// let store = SqliteStore::open("state.db").await?;
/// store.migrate().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Reads.
    pool: SqlitePool,
    /// Writes: one connection for a file database, so that this process's writers queue for
    /// it in order instead of meeting SQLite's write lock, whose busy handler waits by
    /// sleeping (up to 50 ms a try, whether or not the lock was freed meanwhile: a device's
    /// receipt chain, one write after another, spent most of its time there beside a
    /// backfill's imports). The writes queued while one group commits go together in the
    /// next transaction ([`group`]). Another process sharing the file still meets the lock
    /// and its busy timeout. Over the same pool as `pool` for a database in memory or a given
    /// pool.
    writer: GroupWriter,
}

/// Creates the database file readable and writable by its owner only (it holds orders and
/// buyers' ids; SQLite gives its `-wal` and `-shm` files the same permissions), and warns when
/// an existing one is open to others. Best effort: SQLite creates the file itself when this
/// cannot (and reports any real problem when it opens it).
fn create_private(path: &Path) {
    if path.as_os_str().is_empty() || path.to_str().is_some_and(|p| p.starts_with(':')) {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{:o}", meta.permissions().mode() & 0o777),
                    "the state store file is readable by others; it holds orders and buyers' \
                     ids: chmod 600 it"
                );
            }
            Ok(_) => {}
            Err(_) => {
                let _ = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path);
            }
        }
    }
}

/// Wakes the pending jobs of a scope waiting for an event: through the partial index of
/// waiting jobs (`sync_jobs_waits_on`, named: without planner statistics SQLite chose the
/// index of states and read every waiting job), never the history (`lease_plan_tests`).
pub(crate) const WAKE: &str = "UPDATE sync_jobs INDEXED BY sync_jobs_waits_on \
     SET run_after = ?1, waits_on = NULL, updated_at = ?2 \
     WHERE scope = ?3 AND waits_on = ?4 AND state = 'pending' AND run_after > ?1";

impl SqliteStore {
    /// Runs a `DELETE … < ?` of rows older than `before`; returns how many went.
    async fn delete_before(&self, sql: &'static str, before: DateTime<Utc>) -> StoreResult<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(sql).bind(micros(before)).execute(conn).await?;
                    Ok(done.rows_affected())
                })
            })
            .await
    }

    /// Opens (creating it if missing) the database at `path_or_url`: a file path, or a
    /// `sqlite:` URL such as `sqlite://state.db?mode=rwc`.
    ///
    /// Call [`StateStore::migrate`] before first use.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the URL is malformed or the file cannot be opened.
    pub async fn open(path_or_url: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path_or_url.as_ref();
        let options = match path.to_str() {
            Some(text) if text.starts_with("sqlite:") => {
                SqliteConnectOptions::from_str(text).map_err(sql::open_error)?
            }
            _ => SqliteConnectOptions::new().filename(path),
        };
        create_private(options.get_filename());
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: every commit is on disk before it returns. With NORMAL, a power cut could
            // roll back a "job started" mark or a chain head written just before a remote
            // effect, and the job would run again without looking its effect up.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("cache_size", format!("-{CACHE_KIB}"));
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_POOL_SIZE)
            .connect_with(options.clone())
            .await
            .map_err(sql::open_error)?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(sql::open_error)?;
        Ok(Self {
            pool,
            writer: GroupWriter::new(writer),
        })
    }

    /// A private database in memory, gone when the store is dropped. For tests and dry runs.
    ///
    /// It lives on a single connection, which the pool never closes. Call
    /// [`StateStore::migrate`] before first use.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when SQLite cannot open it.
    pub async fn in_memory() -> StoreResult<Self> {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(sql::open_error)?;
        Ok(Self {
            writer: GroupWriter::new(pool.clone()),
            pool,
        })
    }

    /// A store over an existing pool (for example one configured with other options).
    ///
    /// The pool's connections should have foreign keys on and a busy timeout.
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self {
            writer: GroupWriter::new(pool.clone()),
            pool,
        }
    }

    /// The underlying pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.writer.pool().close().await;
        self.pool.close().await;
    }

    /// Runs an update of job `id` guarded by `state = 'running' AND leased_by = ?` (`query`
    /// with every value bound but those two, `id` and `worker`, its last) in the next group,
    /// and turns its row count into `Ok`, [`StoreError::LeaseLost`] (the job exists) or
    /// [`StoreError::NoSuchJob`].
    async fn guarded(&self, query: Statement, id: i64, worker: &str) -> StoreResult<()> {
        let worker = worker.to_owned();
        self.writer
            .write(move |conn| Box::pin(async move { guarded_on(conn, query, id, &worker).await }))
            .await
    }

    /// Runs one statement (`query`, every value bound) in the next group; returns how many
    /// rows it changed.
    async fn execute(&self, query: Statement) -> StoreResult<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { Ok(query.execute(conn).await?.rows_affected()) })
            })
            .await
    }
}

impl SqliteStore {
    /// [`StateStore::advance_chain`], with `entry` added to the audit log in the same group
    /// when the head moves. The group's transaction holds the write lock from the read of
    /// the head to the commit: the compare and the set cannot be split by another writer.
    async fn advance_chain_with(
        &self,
        device: &str,
        expected: &str,
        new_head: &str,
        binding: &Binding,
        entry: Option<AuditEntry>,
    ) -> StoreResult<bool> {
        let (device, expected, new_head) =
            (device.to_owned(), expected.to_owned(), new_head.to_owned());
        let binding = binding.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let head: Option<String> =
                        sqlx::query_scalar("SELECT head FROM sync_receipt_chains WHERE device = ?")
                            .bind(&device)
                            .fetch_optional(&mut *conn)
                            .await?;
                    if head.as_deref().unwrap_or("") != expected {
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO sync_receipt_chains (device, head, updated_at) \
                         VALUES (?, ?, ?) \
                         ON CONFLICT (device) DO UPDATE SET \
                           head = excluded.head, updated_at = excluded.updated_at",
                    )
                    .bind(&device)
                    .bind(&new_head)
                    .bind(micros(Utc::now()))
                    .execute(&mut *conn)
                    .await?;
                    upsert_binding(conn, &binding).await?;
                    if let Some(entry) = entry {
                        insert_audit(conn, &entry).await?;
                    }
                    Ok(true)
                })
            })
            .await
    }
}

/// Appends `entry` to the audit log on `conn`.
async fn insert_audit(conn: &mut SqliteConnection, entry: &AuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sync_audit (scope, direction, system, kind, key, payload, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.scope.as_str())
    .bind(sql::direction_name(entry.direction))
    .bind(&entry.system)
    .bind(&entry.kind)
    .bind(&entry.key)
    .bind(sql::json_text(&entry.payload))
    .bind(micros(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// A statement with its values bound (some of them, for `guarded_on`).
type Statement = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// Runs `query`, an update of job `id` guarded by `state = 'running' AND leased_by = ?`
/// (every value bound but those two, `id` and `worker`, its last), on `conn`, and turns its
/// row count into `Ok`, [`StoreError::LeaseLost`] (the job exists) or
/// [`StoreError::NoSuchJob`].
async fn guarded_on(
    conn: &mut SqliteConnection,
    query: Statement,
    id: i64,
    worker: &str,
) -> StoreResult<()> {
    let done = query
        .bind(id)
        .bind(worker.to_owned())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let exists = sqlx::query("SELECT 1 FROM sync_jobs WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    Err(if exists {
        StoreError::LeaseLost(id)
    } else {
        StoreError::NoSuchJob(id)
    })
}

/// The update that marks a job done with `result` ([`StateStore::complete`]).
fn complete_query(result: &serde_json::Value) -> Statement {
    sqlx::query(
        "UPDATE sync_jobs SET state = 'done', result = ?, leased_by = NULL, \
           leased_until = NULL, updated_at = ? \
         WHERE id = ? AND state = 'running' AND leased_by = ?",
    )
    .bind(sql::json_text(result))
    .bind(micros(Utc::now()))
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn from_micros(column: &str, value: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_micros(value).ok_or_else(|| {
        StoreError::Corrupt(format!("column `{column}` holds {value}, not a timestamp"))
    })
}

fn binding_from_row(row: &SqliteRow) -> StoreResult<Binding> {
    Ok(Binding {
        scope: StoreScope::new(row.try_get::<String, _>("scope")?),
        kind: row.try_get("kind")?,
        key: row.try_get("key")?,
        remote_id: row.try_get("remote_id")?,
        content_hash: row.try_get("content_hash")?,
        data: sql::parse_json("data", &row.try_get::<String, _>("data")?)?,
        updated_at: from_micros("updated_at", row.try_get("updated_at")?)?,
    })
}

fn job_from_row(row: &SqliteRow) -> StoreResult<Job> {
    let result: Option<String> = row.try_get("result")?;
    Ok(Job {
        id: row.try_get("id")?,
        scope: StoreScope::new(row.try_get::<String, _>("scope")?),
        kind: row.try_get("kind")?,
        key: row.try_get("key")?,
        resource: row.try_get("resource")?,
        payload: sql::parse_json("payload", &row.try_get::<String, _>("payload")?)?,
        state: sql::parse_state(&row.try_get::<String, _>("state")?)?,
        attempts: sql::attempts(row.try_get("attempts")?)?,
        started: row.try_get("started")?,
        last_error: row.try_get("last_error")?,
        parked_on: row.try_get("parked_on")?,
        result: result
            .map(|text| sql::parse_json("result", &text))
            .transpose()?,
        run_after: from_micros("run_after", row.try_get("run_after")?)?,
        leased_by: row.try_get("leased_by")?,
        leased_until: row
            .try_get::<Option<i64>, _>("leased_until")?
            .map(|value| from_micros("leased_until", value))
            .transpose()?,
        created_at: from_micros("created_at", row.try_get("created_at")?)?,
        updated_at: from_micros("updated_at", row.try_get("updated_at")?)?,
    })
}

/// Inserts or replaces a binding on `conn` (shared by `put_binding` and `advance_chain`).
async fn upsert_binding(conn: &mut SqliteConnection, binding: &Binding) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sync_bindings (scope, kind, key, remote_id, content_hash, data, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) \
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
    .bind(micros(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl StateStore for SqliteStore {
    fn operator(&self) -> Option<&dyn super::OperatorStore> {
        Some(self)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
        migrator.set_ignore_missing(true);
        migrator.run(self.writer.pool()).await?;
        Ok(())
    }

    async fn binding(
        &self,
        scope: &StoreScope,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<Binding>> {
        sqlx::query("SELECT * FROM sync_bindings WHERE scope = ? AND kind = ? AND key = ?")
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
        let binding = binding.clone();
        self.writer
            .write(move |conn| Box::pin(async move { upsert_binding(conn, &binding).await }))
            .await
    }

    async fn bindings(&self, scope: &StoreScope, kind: &str) -> StoreResult<Vec<Binding>> {
        sqlx::query("SELECT * FROM sync_bindings WHERE scope = ? AND kind = ? ORDER BY key")
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
        // The rowid is the order of first storing: an upsert updates the row in place. The
        // member name is written into the text (checked plain) so that the expression matches
        // the index on `json_extract(data, '$.state')`.
        let mut sql = String::from("SELECT * FROM sync_bindings WHERE scope = ? AND kind = ?");
        for (member, _) in conditions {
            let member = sql::plain_member(member)?;
            sql.push_str(&format!(
                " AND json_extract(data, '$.{member}') IN (SELECT value FROM json_each(?))"
            ));
        }
        sql.push_str(" ORDER BY rowid LIMIT ?");
        // Safe: member names are checked plain above; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.as_str())
            .bind(kind);
        for (_, values) in conditions {
            let values = serde_json::to_string(values).unwrap_or_else(|_| "[]".to_owned());
            query = query.bind(values);
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
            sqlx::query_scalar("SELECT value FROM sync_checkpoints WHERE scope = ? AND flow = ?")
                .bind(scope.as_str())
                .bind(flow)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_checkpoint(&self, scope: &StoreScope, flow: &str, value: &str) -> StoreResult<()> {
        self.execute(
            sqlx::query(
                "INSERT INTO sync_checkpoints (scope, flow, value, updated_at) \
                 VALUES (?, ?, ?, ?) \
                 ON CONFLICT (scope, flow) DO UPDATE SET \
                   value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(scope.as_str().to_owned())
            .bind(flow.to_owned())
            .bind(value.to_owned())
            .bind(micros(Utc::now())),
        )
        .await?;
        Ok(())
    }

    async fn enqueue(&self, job: NewJob) -> StoreResult<(i64, bool)> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let now = micros(Utc::now());
                    let inserted: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO sync_jobs \
                           (scope, kind, key, resource, payload, state, run_after, \
                            created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) \
                         ON CONFLICT (scope, kind, key) DO NOTHING \
                         RETURNING id",
                    )
                    .bind(job.scope.as_str())
                    .bind(&job.kind)
                    .bind(&job.key)
                    .bind(&job.resource)
                    .bind(sql::json_text(&job.payload))
                    .bind(micros(sql::due_now()))
                    .bind(now)
                    .bind(now)
                    .fetch_optional(&mut *conn)
                    .await?;
                    if let Some(id) = inserted {
                        return Ok((id, true));
                    }
                    let id: i64 = sqlx::query_scalar(
                        "SELECT id FROM sync_jobs WHERE scope = ? AND kind = ? AND key = ?",
                    )
                    .bind(job.scope.as_str())
                    .bind(&job.kind)
                    .bind(&job.key)
                    .fetch_one(&mut *conn)
                    .await?;
                    Ok((id, false))
                })
            })
            .await
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
        let now_us = micros(now);
        let until = micros(sql::lease_end(now, lease));
        let worker = worker.to_owned();
        // The group's transaction (BEGIN IMMEDIATE) holds the write lock from before the first
        // read: no other connection can lease (or complete) between the choice of jobs and
        // the update.
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let heads = lease_heads(conn, now_us, limit).await?;
                    let mut jobs = Vec::with_capacity(heads.len());
                    for head in heads {
                        jobs.push(take_lease(conn, head.id, &worker, until).await?);
                    }
                    Ok(jobs)
                })
            })
            .await
    }

    async fn next_due(&self, scope: &StoreScope) -> StoreResult<Option<DateTime<Utc>>> {
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(t) FROM ( \
               SELECT MIN(run_after) AS t FROM sync_jobs WHERE scope = ? AND state = 'pending' \
               UNION ALL \
               SELECT MIN(leased_until) FROM sync_jobs WHERE scope = ? AND state = 'running')",
        )
        .bind(scope.as_str())
        .bind(scope.as_str())
        .fetch_one(&self.pool)
        .await?;
        due.map(|t| from_micros("run_after", t)).transpose()
    }

    async fn lease_next(
        &self,
        worker: &str,
        resource: &str,
        after: i64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        let now_us = micros(now);
        let until = micros(sql::lease_end(now, lease));
        let worker = worker.to_owned();
        let resource = resource.to_owned();
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    lease_next_on(conn, &worker, &resource, after, now_us, until).await
                })
            })
            .await
    }

    async fn mark_started(&self, id: i64, worker: &str) -> StoreResult<()> {
        let query = sqlx::query(
            "UPDATE sync_jobs SET started = 1, attempts = attempts + 1, updated_at = ? \
             WHERE id = ? AND state = 'running' AND leased_by = ?",
        )
        .bind(micros(Utc::now()));
        self.guarded(query, id, worker).await
    }

    async fn complete(&self, id: i64, worker: &str, result: serde_json::Value) -> StoreResult<()> {
        self.guarded(complete_query(&result), id, worker).await
    }

    async fn complete_and_lease_next(
        &self,
        id: i64,
        worker: &str,
        result: serde_json::Value,
        resource: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        let now_us = micros(now);
        let until = micros(sql::lease_end(now, lease));
        let (worker, resource) = (worker.to_owned(), resource.to_owned());
        let query = complete_query(&result);
        // One savepoint of the group: a lost lease undoes the completion's attempt and leases
        // nothing.
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    guarded_on(conn, query, id, &worker).await?;
                    lease_next_on(conn, &worker, &resource, id, now_us, until).await
                })
            })
            .await
    }

    async fn fail(&self, id: i64, worker: &str, failure: JobFailure) -> StoreResult<()> {
        let worker = worker.to_owned();
        let mut columns = sql::FailureColumns::from(failure);
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    // The event of a wait may have come while the job ran: `wake` found it
                    // running, not waiting, and recorded the event for this look.
                    if let Some(on) = &columns.waits_on {
                        let woken: bool = sqlx::query_scalar(sql::WOKEN_SINCE_LEASE)
                            .bind(id)
                            .bind(on)
                            .fetch_one(&mut *conn)
                            .await?;
                        if woken {
                            columns = columns.woken();
                        }
                    }
                    let query = sqlx::query(
                        "UPDATE sync_jobs SET state = ?, run_after = COALESCE(?, run_after), \
                           last_error = ?, parked_on = ?, waits_on = ?, leased_by = NULL, \
                           leased_until = NULL, updated_at = ? \
                         WHERE id = ? AND state = 'running' AND leased_by = ?",
                    )
                    .bind(columns.state.as_str())
                    .bind(columns.run_after.map(micros))
                    .bind(columns.error)
                    .bind(columns.parked_on)
                    .bind(columns.waits_on)
                    .bind(micros(Utc::now()));
                    guarded_on(conn, query, id, &worker).await
                })
            })
            .await
    }

    async fn job(&self, id: i64) -> StoreResult<Option<Job>> {
        sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM sync_jobs WHERE id = ?"
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
            " FROM sync_jobs WHERE scope = ? AND kind = ? AND key = ?"
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
            " FROM sync_jobs WHERE scope = ? AND (? IS NULL OR state = ?) ORDER BY id"
        ))
        .bind(scope.as_str())
        .bind(state.map(JobState::as_str))
        .bind(state.map(JobState::as_str))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(job_from_row)
        .collect()
    }

    async fn replay(&self, id: Option<i64>) -> StoreResult<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    if let Some(id) = id {
                        let exists = sqlx::query("SELECT 1 FROM sync_jobs WHERE id = ?")
                            .bind(id)
                            .fetch_optional(&mut *conn)
                            .await?
                            .is_some();
                        if !exists {
                            return Err(StoreError::NoSuchJob(id));
                        }
                    }
                    let done = sqlx::query(
                        "UPDATE sync_jobs SET state = 'pending', parked_on = NULL, \
                           run_after = ?, updated_at = ? \
                         WHERE state IN ('dead', 'parked') AND (? IS NULL OR id = ?)",
                    )
                    .bind(micros(sql::due_now()))
                    .bind(micros(Utc::now()))
                    .bind(id)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                    Ok(done.rows_affected())
                })
            })
            .await
    }

    async fn unpark(&self, mapping: &str) -> StoreResult<u64> {
        self.execute(
            sqlx::query(
                "UPDATE sync_jobs SET state = 'pending', parked_on = NULL, run_after = ?, \
                   updated_at = ? \
                 WHERE state = 'parked' AND parked_on = ?",
            )
            .bind(micros(sql::due_now()))
            .bind(micros(Utc::now()))
            .bind(mapping.to_owned()),
        )
        .await
    }

    async fn wake(&self, scope: &StoreScope, on: &str) -> StoreResult<u64> {
        let (scope, on) = (scope.as_str().to_owned(), on.to_owned());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    // Recorded for the jobs running now, which may come to wait for it
                    // (`fail`); the one writer orders this before or after their wait.
                    let now = micros(Utc::now());
                    sqlx::query(
                        "INSERT INTO sync_wakes (scope, event, woken_at) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (scope, event) DO UPDATE SET \
                           woken_at = max(woken_at, excluded.woken_at)",
                    )
                    .bind(&scope)
                    .bind(&on)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                    let done = sqlx::query(WAKE)
                        .bind(micros(sql::due_now()))
                        .bind(now)
                        .bind(&scope)
                        .bind(&on)
                        .execute(&mut *conn)
                        .await?;
                    Ok(done.rows_affected())
                })
            })
            .await
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
        let changed = self
            .execute(
                sqlx::query(
                    "INSERT INTO sync_claims (scope, name, holder, until) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (scope, name) DO UPDATE SET holder = excluded.holder, \
                     until = excluded.until \
                     WHERE sync_claims.holder = excluded.holder OR sync_claims.until <= ?",
                )
                .bind(scope.as_str().to_owned())
                .bind(name.to_owned())
                .bind(holder.to_owned())
                .bind(micros(until))
                .bind(micros(now)),
            )
            .await?;
        Ok(changed == 1)
    }

    async fn release(&self, scope: &StoreScope, name: &str, holder: &str) -> StoreResult<()> {
        self.execute(
            sqlx::query("DELETE FROM sync_claims WHERE scope = ? AND name = ? AND holder = ?")
                .bind(scope.as_str().to_owned())
                .bind(name.to_owned())
                .bind(holder.to_owned()),
        )
        .await?;
        Ok(())
    }

    async fn record_event(&self, scope: &StoreScope, event_id: &str) -> StoreResult<bool> {
        let inserted = self
            .execute(
                sqlx::query(
                    "INSERT INTO sync_events (scope, event_id, received_at) VALUES (?, ?, ?) \
                     ON CONFLICT (scope, event_id) DO NOTHING",
                )
                .bind(scope.as_str().to_owned())
                .bind(event_id.to_owned())
                .bind(micros(Utc::now())),
            )
            .await?;
        Ok(inserted == 1)
    }

    async fn chain_head(&self, device: &str) -> StoreResult<Option<String>> {
        let head: Option<String> =
            sqlx::query_scalar("SELECT head FROM sync_receipt_chains WHERE device = ?")
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
        self.advance_chain_with(device, expected, new_head, binding, Some(entry.clone()))
            .await
    }

    async fn audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let entry = entry.clone();
        self.writer
            .write(move |conn| Box::pin(async move { insert_audit(conn, &entry).await }))
            .await
    }

    async fn prune_audit(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.delete_before("DELETE FROM sync_audit WHERE created_at < ?", before)
            .await
    }

    async fn prune_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.delete_before(
            "DELETE FROM sync_jobs WHERE state = 'done' AND updated_at < ?",
            before,
        )
        .await
    }

    async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        // The wakes no running job can come to wait for: older than every live lease.
        self.execute(
            sqlx::query(
                "DELETE FROM sync_wakes WHERE woken_at < COALESCE( \
                   (SELECT MIN(leased_at) FROM sync_jobs WHERE state = 'running'), ?)",
            )
            .bind(micros(Utc::now())),
        )
        .await?;
        self.delete_before("DELETE FROM sync_events WHERE received_at < ?", before)
            .await
    }
}

#[cfg(test)]
#[path = "sqlite_plan_tests.rs"]
mod lease_plan_tests;
