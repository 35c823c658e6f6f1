//! The query plans of the store's hot queries on a store with a long history, a long queue
//! and planner statistics: the lease reads the queued jobs through indexes, a bounded window
//! a class, and never walks every job ever kept nor every job queued. (SQLite 3.40, as Debian
//! 12 ships it, plans some queries differently from the SQLite this crate builds with; these
//! tests hold the plans of the one built.)

use std::time::Duration;

use chrono::Utc;
use sqlx::Row;

use super::{LEASE_CLASS_HEADS, LEASE_CLASSES, LEASE_EXPIRED, SqliteStore, WAKE};
use crate::store::StateStore;

/// A store holding `done` finished jobs and `pending` runnable ones, with planner statistics
/// gathered as `ANALYZE` (or `PRAGMA optimize`) gathers them.
async fn store_with_history(done: u32, pending: u32) -> SqliteStore {
    let store = store_without_statistics(done, pending).await;
    sqlx::query("ANALYZE")
        .execute(store.pool())
        .await
        .expect("analyze");
    store
}

/// The same store as [`store_with_history`] without planner statistics: how a store is
/// until something runs `ANALYZE`.
async fn store_without_statistics(done: u32, pending: u32) -> SqliteStore {
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
    store
}

/// The plan of `query` (its detail column), with `binds` bound (as integers where they are).
async fn plan(store: &SqliteStore, query: &str, binds: &[&str]) -> Vec<String> {
    // Constants of this crate with a constant prefix: nothing from outside is in this text.
    let mut explain = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {query}")));
    for value in binds {
        explain = match value.parse::<i64>() {
            Ok(number) => explain.bind(number),
            Err(_) => explain.bind(value.to_string()),
        };
    }
    explain
        .fetch_all(store.pool())
        .await
        .expect("plan")
        .iter()
        .map(|row| row.get::<String, _>(3))
        .collect()
}

#[tokio::test]
async fn the_lease_searches_a_window_of_the_queue_instead_of_walking_it() {
    // 50,000 finished jobs of history and 50,000 queued (a backfill's imports).
    lease_plan_on(store_with_history(50_000, 50_000).await).await;
}

#[tokio::test]
async fn the_lease_plan_holds_without_planner_statistics() {
    // Without statistics SQLite chose the index of states and sorted every queued job to
    // find the classes (128 ms a lease with 45,000 queued), until the index was named.
    lease_plan_on(store_without_statistics(50_000, 50_000).await).await;
}

/// The lease's queries on `store` search the queued jobs by class and never walk the jobs,
/// and the lease takes the oldest heads.
async fn lease_plan_on(store: SqliteStore) {
    let now = Utc::now().timestamp_micros().to_string();
    for (name, query, binds) in [
        ("classes", LEASE_CLASSES, vec![]),
        (
            "class heads",
            LEASE_CLASS_HEADS,
            vec!["order:", now.as_str(), "256"],
        ),
        ("expired leases", LEASE_EXPIRED, vec![now.as_str()]),
    ] {
        let plan = plan(&store, query, &binds).await;
        assert!(!plan.is_empty(), "no plan read for {name}");
        // `classes` is the recursive co-routine over one search a class, and the
        // `(subquery-N)` a window already bounded by its LIMIT: walking them is not walking
        // the jobs.
        let scans: Vec<&String> = plan
            .iter()
            .filter(|d| {
                (d.starts_with("SCAN") && d.contains("sync_jobs"))
                    || d.contains("TEMP B-TREE FOR ORDER BY")
            })
            .collect();
        assert!(
            scans.is_empty(),
            "{name} walks or sorts the jobs: {scans:?} in {plan:#?}"
        );
        if name != "expired leases" {
            assert!(
                plan.iter().any(|d| d.contains("sync_jobs_queued_class")),
                "{name} does not search the queued jobs by class: {plan:#?}"
            );
        }
    }
    // And it still leases the runnable heads, oldest first.
    let jobs = store
        .lease("w", 8, Duration::from_secs(60), Utc::now())
        .await
        .expect("lease");
    assert_eq!(jobs.len(), 8);
    assert!(jobs.iter().all(|j| j.key.starts_with('p')), "{jobs:?}");
    assert_eq!(
        jobs.iter().map(|j| j.key.as_str()).collect::<Vec<_>>(),
        ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]
    );
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

#[tokio::test]
async fn queue_depth_and_waking_keep_their_plans_without_planner_statistics() {
    let store = store_without_statistics(50_000, 50).await;
    let depth = plan(&store, crate::store::sql::QUEUE_DEPTH, &[]).await;
    assert!(
        !depth
            .iter()
            .any(|d| d.starts_with("SCAN") && d.contains("sync_jobs")),
        "queue_depth walks the jobs: {depth:#?}"
    );
    let wake = plan(&store, WAKE, &["0", "0", "s", "valid:sale:1"]).await;
    assert!(
        wake.iter().any(|d| d.contains("sync_jobs_waits_on")),
        "waking does not use the index of waiting jobs: {wake:#?}"
    );
}
