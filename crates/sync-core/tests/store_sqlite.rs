//! The state store conformance suite on SQLite (a temporary file, and in memory), plus the
//! two-worker races on one file shared by two stores.
#![cfg(all(feature = "sqlite", feature = "test-util"))]

use std::sync::Arc;

use sync_core::store::{SqliteStore, StateStore, StoreError};
use sync_core::testing::store_suite;

async fn file_store(dir: &tempfile::TempDir) -> SqliteStore {
    let store = SqliteStore::open(dir.path().join("state.db"))
        .await
        .expect("open the SQLite file");
    store.migrate().await.expect("migrate");
    store
}

#[tokio::test]
async fn sqlite_file_passes_the_store_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path().join("state.db"))
        .await
        .expect("open the SQLite file");
    store_suite::run_all(&store).await;
}

#[tokio::test]
async fn sqlite_in_memory_passes_the_store_suite() {
    let store = SqliteStore::in_memory().await.expect("in-memory store");
    store_suite::run_all(&store).await;
}

#[tokio::test]
async fn sqlite_url_form_opens_and_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("by-url.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let scope = sync_core::model::StoreScope::new("s");
    {
        let store = SqliteStore::open(&url).await.expect("open by URL");
        store.migrate().await.expect("migrate");
        store
            .set_checkpoint(&scope, "orders", "42")
            .await
            .expect("set");
        store.close().await;
    }
    let store = SqliteStore::open(&path).await.expect("reopen by path");
    store.migrate().await.expect("migrating again is a no-op");
    assert_eq!(
        store
            .checkpoint(&scope, "orders")
            .await
            .expect("checkpoint")
            .as_deref(),
        Some("42")
    );
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .expect("journal_mode");
    assert_eq!(mode, "wal", "file stores run in WAL mode");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .expect("foreign_keys");
    assert_eq!(fk, 1, "foreign keys are on");
    let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
        .fetch_one(store.pool())
        .await
        .expect("cache_size");
    assert_eq!(
        cache, -512,
        "each connection's page cache is capped at 512 KiB, not SQLite's 2,000"
    );
}

#[tokio::test]
async fn sqlite_open_of_an_impossible_path_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing-dir").join("state.db");
    let error = SqliteStore::open(&path)
        .await
        .expect_err("no such directory");
    assert!(matches!(error, StoreError::Database(_)), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_stores_on_one_file_never_share_a_job_or_resource() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = Arc::new(file_store(&dir).await);
    let b = Arc::new(file_store(&dir).await);
    store_suite::concurrent_leases(a.as_ref(), b.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_stores_racing_one_chain_leave_no_fork_or_gap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = file_store(&dir).await;
    let b = file_store(&dir).await;
    store_suite::concurrent_chain(&a, &b).await;
}

/// Every commit of a file store is durable when it returns (`synchronous = FULL` in WAL mode,
/// on every connection of the pool): a power cut cannot roll back a "job started" mark or a
/// chain head that a remote effect followed.
#[tokio::test]
async fn sqlite_file_commits_are_durable_on_every_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = file_store(&dir).await;
    // Hold several connections at once, so the check covers more than the first one.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = store.pool().acquire().await.expect("a connection");
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .expect("journal_mode");
        let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .expect("synchronous");
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous must be FULL (2), not NORMAL (1)");
        held.push(conn);
    }
}

/// The state file and its write-ahead log hold orders and buyers' ids: they are created
/// readable and writable by their owner only, whatever the process's umask.
#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_created_for_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = file_store(&dir).await;
    // A write, so the write-ahead log exists.
    store
        .set_checkpoint(&sync_core::model::StoreScope::new("s"), "orders", "x")
        .await
        .expect("a write");
    let mut checked = 0;
    for name in ["state.db", "state.db-wal", "state.db-shm"] {
        let path = dir.path().join(name);
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{name} is open to others: {mode:o}");
        checked += 1;
    }
    assert!(checked >= 2, "the database and its log exist");
}
