//! The lease's query plan on a store with a long history and planner statistics: it reads the
//! runnable jobs through indexes and never walks every job ever kept. (SQLite 3.40, as
//! Debian 12 ships it, walks the `(resource, state)` index over every job for this query once
//! `ANALYZE` has run; the SQLite this crate builds with searches the two state indexes.)

use std::time::Duration;

use chrono::Utc;
use sqlx::Row;

use super::{LEASE_HEADS, SqliteStore, WAKE};
use crate::store::StateStore;

/// A store holding `done` finished jobs and `pending` runnable ones, with planner statistics
/// gathered as `ANALYZE` (or `PRAGMA optimize`) gathers them.
async fn store_with_history(done: u32, pending: u32) -> SqliteStore {
    let store = SqliteStore::in_memory().await.expect("store");
    store.migrate().await.expect("migrate");
    for (state, count, prefix) in [("done", done, "d"), ("pending", pending, "p")] {
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
             INSERT INTO sync_jobs \
               (scope, kind, key, resource, payload, state, run_after, created_at, updated_at) \
             SELECT 's', 'order', ? || i, 'order:' || ? || i, '{}', ?, 0, i, i FROM n",
        )
        .bind(count)
        .bind(prefix)
        .bind(prefix)
        .bind(state)
        .execute(store.pool())
        .await
        .expect("seed");
    }
    sqlx::query("ANALYZE")
        .execute(store.pool())
        .await
        .expect("analyze");
    store
}

#[tokio::test]
async fn the_lease_searches_indexes_instead_of_walking_the_history() {
    let store = store_with_history(50_000, 50).await;
    let now = Utc::now().timestamp_micros();
    // A constant with a constant prefix: nothing from outside is in this text.
    let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "EXPLAIN QUERY PLAN {LEASE_HEADS}"
    )))
    .bind(now)
    .bind(8_i64)
    .fetch_all(store.pool())
    .await
    .expect("plan")
    .iter()
    .map(|row| row.get::<String, _>(3))
    .collect();
    assert!(!plan.is_empty(), "no plan read");
    // `h` and the `(subquery-N)` are co-routines over the grouped runnable heads (fed by the
    // two index searches): walking them is walking the queue, not the history.
    let scans: Vec<&String> = plan
        .iter()
        .filter(|d| d.starts_with("SCAN"))
        .filter(|d| d.as_str() != "SCAN h" && !d.starts_with("SCAN (subquery-"))
        .collect();
    assert!(
        scans.is_empty(),
        "the lease walks a table or a whole index: {scans:?} in {plan:#?}"
    );
    // And it still leases the runnable heads, oldest first.
    let jobs = store
        .lease("w", 8, Duration::from_secs(60), Utc::now())
        .await
        .expect("lease");
    assert_eq!(jobs.len(), 8);
    assert!(jobs.iter().all(|j| j.key.starts_with('p')), "{jobs:?}");
    assert!(jobs.windows(2).all(|w| w[0].id < w[1].id));
}

#[tokio::test]
async fn queue_depth_reads_the_queued_states_and_the_done_count_not_the_history() {
    let store = store_with_history(50_000, 50).await;
    let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "EXPLAIN QUERY PLAN {}",
        crate::store::sql::QUEUE_DEPTH
    )))
    .fetch_all(store.pool())
    .await
    .expect("plan")
    .iter()
    .map(|row| row.get::<String, _>(3))
    .collect();
    assert!(!plan.is_empty(), "no plan read");
    let scans: Vec<&String> = plan
        .iter()
        .filter(|d| d.starts_with("SCAN") && d.contains("sync_jobs"))
        .collect();
    assert!(
        scans.is_empty(),
        "queue_depth walks the jobs: {scans:?} in {plan:#?}"
    );
    // The triggers kept the count through the inserts, a completion and a prune.
    let depth = store.queue_depth().await.expect("depth");
    assert_eq!(depth[&crate::store::JobState::Done], 50_000);
    assert_eq!(depth[&crate::store::JobState::Pending], 50);
    sqlx::query("UPDATE sync_jobs SET state = 'done' WHERE key = 'p1'")
        .execute(store.pool())
        .await
        .expect("finish one");
    sqlx::query("DELETE FROM sync_jobs WHERE key IN ('d1', 'd2', 'p2')")
        .execute(store.pool())
        .await
        .expect("prune");
    let depth = store.queue_depth().await.expect("depth");
    assert_eq!(depth[&crate::store::JobState::Done], 49_999);
    assert_eq!(depth[&crate::store::JobState::Pending], 48);
}

#[tokio::test]
async fn waking_searches_the_waiting_jobs_not_the_history() {
    let store = store_with_history(50_000, 50).await;
    let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {WAKE}")))
        .bind(0_i64)
        .bind(0_i64)
        .bind("s")
        .bind("valid:sale:1")
        .fetch_all(store.pool())
        .await
        .expect("plan")
        .iter()
        .map(|row| row.get::<String, _>(3))
        .collect();
    assert!(
        plan.iter().any(|d| d.contains("sync_jobs_waits_on")),
        "waking does not use the index of waiting jobs: {plan:#?}"
    );
    assert!(
        !plan.iter().any(|d| d.starts_with("SCAN")),
        "waking walks a table or a whole index: {plan:#?}"
    );
}
