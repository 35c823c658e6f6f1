//! The plan of PostgreSQL's `lease_next` on a long queue, with planner statistics and the
//! generic plan a prepared statement settles on: the next job of a device's receipt chain is
//! found through the index of queued jobs by resource, in a few pages, not by walking every
//! import queued between two of its receipts (226 ms a receipt at 25,000 queued before
//! migration 0007).
//!
//! Measured as the shared buffers the execution touches (`EXPLAIN (ANALYZE, BUFFERS)`), which
//! do not depend on the machine's speed, and by the index the plan names. (The walk itself, as
//! the bench met it, is not reproduced here: on this synthetic queue PostgreSQL finds the job
//! cheaply through the `(resource, state)` index too when the new one is dropped, so the test
//! holds the plan it wants rather than the one it fixed.)

use sqlx::{Connection, Row};

use super::{LEASE_NEXT, PostgresStore};
use crate::store::StateStore;
use crate::testing::TempPostgres;

/// Queued imports between the chain's two receipts.
const QUEUED: i64 = 25_000;

/// Shared buffers (8 KiB pages) a `lease_next` may touch: a few index and heap pages.
const MOST_PAGES: i64 = 64;

/// Prepares `lease_next` as `next` on `conn`, to be planned as a prepared statement is after
/// its first executions: once, for any values.
async fn prepare(conn: &mut sqlx::PgConnection) {
    // Constants of this crate: nothing from outside is in this text.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET plan_cache_mode = force_generic_plan; \
         PREPARE next(text, timestamptz, bigint) AS {LEASE_NEXT}"
    )))
    .execute(&mut *conn)
    .await
    .expect("prepare");
}

/// The shared buffers (hit or read) of one execution of the prepared `lease_next` for the
/// chain, after its receipt `after`, and the plan as JSON.
async fn pages_touched(conn: &mut sqlx::PgConnection, after: i64) -> (i64, String) {
    let plan: serde_json::Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) \
         EXECUTE next('chain:POS-1', now() + interval '1 minute', {after})"
    )))
    .fetch_one(&mut *conn)
    .await
    .expect("explain");
    let top = &plan[0]["Plan"];
    let pages = top["Shared Hit Blocks"].as_i64().unwrap_or(0)
        + top["Shared Read Blocks"].as_i64().unwrap_or(0);
    (pages, plan.to_string())
}

#[tokio::test]
async fn lease_next_finds_the_chains_next_job_in_a_few_pages_behind_a_long_queue() {
    let pg = TempPostgres::start()
        .unwrap_or_else(|e| panic!("cannot start a throwaway PostgreSQL: {e}"));
    let store = PostgresStore::connect(&pg.url()).await.expect("connect");
    store.migrate().await.expect("migrate");
    let mut conn = sqlx::PgConnection::connect(&pg.url())
        .await
        .expect("connect");
    // The chain's first receipt (done), then `QUEUED` imports, each its own resource, then
    // the chain's next receipt, queued after all of them.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO sync_jobs (scope, kind, key, resource, payload, state, run_after, \
           created_at, updated_at) \
         VALUES ('s', 'issue_receipt', 'sale:1', 'chain:POS-1', '{{}}', 'done', now(), now(), \
           now()); \
         INSERT INTO sync_jobs (scope, kind, key, resource, payload, state, run_after, \
           created_at, updated_at) \
         SELECT 's', 'import_order', 'o' || i, 'order:' || i, '{{}}', 'pending', now(), now(), \
           now() FROM generate_series(1, {QUEUED}) AS i; \
         INSERT INTO sync_jobs (scope, kind, key, resource, payload, state, run_after, \
           created_at, updated_at) \
         VALUES ('s', 'issue_receipt', 'sale:2', 'chain:POS-1', '{{}}', 'pending', now(), \
           now(), now()); \
         ANALYZE sync_jobs"
    )))
    .execute(&mut conn)
    .await
    .expect("seed");
    let first: i64 = sqlx::query("SELECT id FROM sync_jobs WHERE key = 'sale:1'")
        .fetch_one(&mut conn)
        .await
        .expect("first")
        .get(0);

    prepare(&mut conn).await;
    let (pages, plan) = pages_touched(&mut conn, first).await;
    assert!(
        pages <= MOST_PAGES,
        "lease_next touched {pages} pages (at most {MOST_PAGES}): {plan}"
    );
    assert!(
        plan.contains("sync_jobs_queued_by_resource"),
        "the queued job is found through its index: {plan}"
    );

    conn.close().await.expect("close");
    store.close().await;
}
