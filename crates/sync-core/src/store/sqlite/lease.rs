//! Leasing on SQLite: which jobs a lease takes (a bounded window of each class of queued
//! work, and the running jobs whose lease ran out), the next job of one resource, and the
//! update that marks a job leased. Run on the writer connection, inside its group's
//! transaction.

use chrono::Utc;
use sqlx::SqliteConnection;

use super::{job_from_row, micros};
use crate::store::sql;
use crate::store::{Job, StoreResult};

/// The classes of the queued jobs (a resource's class is its name up to and with the first
/// `:`: `order:`, `chain:`, `submit:`), each the first entry of the index of queued jobs by
/// class (`sync_jobs_queued_class`) after the one before: as many searches as classes, not a
/// walk of the queue. (`MIN(…)` in place of the first entry walked every entry after the
/// class before: 6.6 ms a lease with 2,000 jobs queued.)
pub(crate) const LEASE_CLASSES: &str = "WITH RECURSIVE classes(c) AS ( \
       SELECT (SELECT substr(resource, 1, instr(resource, ':')) FROM sync_jobs INDEXED BY sync_jobs_queued_class \
               WHERE state = 'pending' AND substr(resource, 1, instr(resource, ':')) >= '' \
               ORDER BY substr(resource, 1, instr(resource, ':')) LIMIT 1) \
       UNION ALL \
       SELECT (SELECT substr(resource, 1, instr(resource, ':')) FROM sync_jobs INDEXED BY sync_jobs_queued_class \
               WHERE state = 'pending' AND substr(resource, 1, instr(resource, ':')) > c \
               ORDER BY substr(resource, 1, instr(resource, ':')) LIMIT 1) \
         FROM classes WHERE c IS NOT NULL) \
     SELECT c FROM classes WHERE c IS NOT NULL";

/// The heads of one class (`$1`) at `$2`: of the class's oldest runnable queued jobs (at
/// most `$3`, read in id order through `sync_jobs_queued_class`, named for the reason above,
/// which holds what each filter needs), those of resources no job runs on, each resource's oldest with how many of
/// them are its.
pub(crate) const LEASE_CLASS_HEADS: &str = "SELECT MIN(id), resource, COUNT(*) FROM ( \
       SELECT id, resource FROM sync_jobs INDEXED BY sync_jobs_queued_class \
       WHERE state = 'pending' AND substr(resource, 1, instr(resource, ':')) = $1 \
         AND run_after <= $2 \
         AND resource NOT IN (SELECT resource FROM sync_jobs WHERE state = 'running') \
       ORDER BY id LIMIT $3) \
     GROUP BY resource";

/// The running jobs whose lease ran out at `$1` (their worker is gone or late), the oldest of
/// each resource no live lease holds: heads too, since a resource's queued jobs wait behind
/// its running one.
pub(crate) const LEASE_EXPIRED: &str = "SELECT MIN(id), resource, 1 FROM sync_jobs \
     WHERE state = 'running' AND leased_until <= $1 \
       AND resource NOT IN (SELECT resource FROM sync_jobs \
           WHERE state = 'running' AND leased_until > $1) \
     GROUP BY resource";

/// Marks job `id` running under `worker`'s lease until `until` (µs) and returns it.
pub(super) async fn take_lease(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    worker: &str,
    until: i64,
) -> StoreResult<Job> {
    let row = sqlx::query(concat!(
        "UPDATE sync_jobs SET state = 'running', leased_by = ?1, leased_until = ?2, \
           leased_at = ?3, updated_at = ?3 \
         WHERE id = ?4 RETURNING ",
        job_columns!()
    ))
    .bind(worker)
    .bind(until)
    .bind(micros(Utc::now()))
    .bind(id)
    .fetch_one(conn)
    .await?;
    job_from_row(&row)
}

/// The heads a lease at `now_us` takes, at most `limit` ([`sql::pick_heads`]): the running
/// jobs whose lease ran out, and of each class a window of its oldest runnable queued jobs
/// ([`sql::lease_window`]). A resource's depth is counted within that window, so a lease
/// reads a bounded number of rows per class however long the queue.
pub(super) async fn lease_heads(
    conn: &mut SqliteConnection,
    now_us: i64,
    limit: usize,
) -> StoreResult<Vec<sql::Head>> {
    let classes: Vec<String> = sqlx::query_scalar(LEASE_CLASSES)
        .fetch_all(&mut *conn)
        .await?;
    let mut rows: Vec<(i64, String, i64)> = sqlx::query_as(LEASE_EXPIRED)
        .bind(now_us)
        .fetch_all(&mut *conn)
        .await?;
    for class in classes {
        rows.extend(
            sqlx::query_as::<_, (i64, String, i64)>(LEASE_CLASS_HEADS)
                .bind(class)
                .bind(now_us)
                .bind(sql::lease_window(limit))
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    Ok(sql::pick_heads(sql::heads(rows), limit))
}

/// [`StateStore::lease_next`] on the writer connection, inside its group's transaction.
pub(super) async fn lease_next_on(
    conn: &mut SqliteConnection,
    worker: &str,
    resource: &str,
    after: i64,
    now_us: i64,
    until: i64,
) -> StoreResult<Option<Job>> {
    let held: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sync_jobs \
           WHERE resource = $1 AND state = 'running' AND leased_until > $2)",
    )
    .bind(resource)
    .bind(now_us)
    .fetch_one(&mut *conn)
    .await?;
    // Each state on its own, so that the `(resource, state)` index yields ids in order.
    let next: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(id) FROM ( \
           SELECT * FROM (SELECT id FROM sync_jobs \
             WHERE resource = $1 AND state = 'pending' AND run_after <= $2 AND id > $3 \
             ORDER BY id LIMIT 1) \
           UNION ALL \
           SELECT * FROM (SELECT id FROM sync_jobs \
             WHERE resource = $1 AND state = 'running' AND leased_until <= $2 AND id > $3 \
             ORDER BY id LIMIT 1))",
    )
    .bind(resource)
    .bind(now_us)
    .bind(after)
    .fetch_one(&mut *conn)
    .await?;
    let (false, Some(id)) = (held, next) else {
        return Ok(None);
    };
    Ok(Some(take_lease(conn, id, worker, until).await?))
}
