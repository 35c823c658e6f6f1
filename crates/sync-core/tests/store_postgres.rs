//! The state store conformance suite on a real PostgreSQL server that the test starts itself
//! (a throwaway cluster from the machine's binaries), plus two workers racing on leases and
//! on one receipt chain through two separate pools.
//!
//! Needs the PostgreSQL server binaries (`apt-get install postgresql`); without them these
//! tests fail with that hint.
#![cfg(all(feature = "postgres", feature = "test-util"))]

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use sync_core::model::StoreScope;
use sync_core::store::{NewJob, PostgresStore, StateStore};
use sync_core::testing::{TempPostgres, store_suite};

fn server() -> TempPostgres {
    TempPostgres::start().unwrap_or_else(|e| panic!("cannot start a throwaway PostgreSQL: {e}"))
}

async fn store(url: &str) -> PostgresStore {
    let store = PostgresStore::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

#[tokio::test]
async fn postgres_passes_the_store_suite() {
    let pg = server();
    let store = PostgresStore::connect(&pg.url()).await.expect("connect");
    store_suite::run_all(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_workers_never_share_a_job_or_resource() {
    let pg = server();
    let url = pg.url();
    let (a, b) = tokio::join!(PostgresStore::connect(&url), PostgresStore::connect(&url));
    let (a, b) = (a.expect("connect a"), b.expect("connect b"));
    // Both workers migrate at once, as two machines starting together would.
    let (ma, mb) = tokio::join!(a.migrate(), b.migrate());
    ma.expect("migrate a");
    mb.expect("migrate b");
    store_suite::concurrent_leases(&a, &b).await;
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_workers_racing_one_chain_leave_no_fork_or_gap() {
    let pg = server();
    let a = store(&pg.url()).await;
    let b = store(&pg.url()).await;
    store_suite::concurrent_chain(&a, &b).await;
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn postgres_databases_of_one_server_are_separate() {
    let pg = server();
    let other = pg
        .create_database("sync_other")
        .expect("create a second database");
    let a = store(&pg.url()).await;
    let b = store(&other).await;
    let scope = sync_core::model::StoreScope::new("s");
    a.set_checkpoint(&scope, "orders", "1").await.expect("set");
    assert_eq!(b.checkpoint(&scope, "orders").await.expect("get"), None);
    a.close().await;
    b.close().await;
}

#[test]
fn temp_postgres_stops_the_server_and_removes_its_directory_on_drop() {
    let pg = server();
    let port = pg.port();
    let dir = pg.dir().to_path_buf();
    assert!(
        dir.join("data").join("PG_VERSION").is_file(),
        "initdb ran in the temp dir"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "the server listens on its port"
    );
    drop(pg);
    assert!(!dir.exists(), "the cluster directory is removed");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on the port after drop"
    );
}

#[tokio::test]
async fn postgres_store_debug_shows_no_credentials() {
    let pg = server();
    let with_password = pg.url().replace("postgres@", "postgres:hunter2-secret@");
    // Trust authentication ignores the password, so the connection succeeds.
    let store = PostgresStore::connect(&with_password)
        .await
        .expect("connect");
    let shown = format!("{store:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("PostgresStore"), "{shown}");
    store.close().await;
}

#[tokio::test]
async fn postgres_connect_with_a_bad_url_is_an_error_without_the_password() {
    let url = "postgres://u:secret-pw@127.0.0.1:notaport/db";
    let error = PostgresStore::connect(url)
        .await
        .expect_err("the port is not a number");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("secret-pw"), "{shown}");
}

fn job(scope: &StoreScope, key: &str, resource: &str) -> NewJob {
    NewJob {
        scope: scope.clone(),
        kind: "push".into(),
        key: key.into(),
        resource: resource.into(),
        payload: json!({}),
    }
}

#[tokio::test]
async fn postgres_lease_skips_locked_rows_and_resources_being_leased_without_waiting() {
    let pg = server();
    let store = store(&pg.url()).await;
    let scope = StoreScope::new("locks");
    let (row_locked, _) = store
        .enqueue(job(&scope, "a", "R-a"))
        .await
        .expect("enqueue");
    let (resource_locked, _) = store
        .enqueue(job(&scope, "b", "R-b"))
        .await
        .expect("enqueue");
    let (free, _) = store
        .enqueue(job(&scope, "c", "R-c"))
        .await
        .expect("enqueue");

    // Another worker, in the middle of its own lease: it holds job a's row lock and the
    // advisory lock of resource R-b.
    let other = sqlx::postgres::PgPool::connect(&pg.url())
        .await
        .expect("connect");
    let mut tx = other.begin().await.expect("begin");
    sqlx::query("SELECT id FROM sync_jobs WHERE id = $1 FOR UPDATE")
        .bind(row_locked)
        .fetch_one(&mut *tx)
        .await
        .expect("lock row");
    sqlx::query("SELECT pg_advisory_xact_lock(1398361667, hashtext('R-b'))")
        .execute(&mut *tx)
        .await
        .expect("lock resource");

    let leased = tokio::time::timeout(
        Duration::from_secs(5),
        store.lease("w", 10, Duration::from_secs(60), Utc::now()),
    )
    .await
    .expect("leasing must skip locks, not wait for them")
    .expect("lease");
    let ids: Vec<i64> = leased.iter().map(|j| j.id).collect();
    assert_eq!(
        ids,
        [free],
        "locked row {row_locked} and locked resource {resource_locked} are skipped"
    );

    tx.rollback().await.expect("rollback");
    let leased = store
        .lease("w", 10, Duration::from_secs(60), Utc::now())
        .await
        .expect("lease");
    let mut ids: Vec<i64> = leased.iter().map(|j| j.id).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [row_locked, resource_locked],
        "released locks free the jobs"
    );
    other.close().await;
    store.close().await;
}

/// The PostgreSQL store speaks TLS and honours `sslmode` in its URL: `require` encrypts,
/// `verify-full` checks the server's certificate against `sslrootcert` and its name, and a
/// certificate the client does not trust is refused.
#[tokio::test]
async fn postgres_over_tls_honours_sslmode() {
    let pg = TempPostgres::start_tls()
        .unwrap_or_else(|e| panic!("cannot start a throwaway PostgreSQL with TLS: {e}"));
    let port = pg.port();
    let base = format!("postgres://postgres@localhost:{port}/sync_test");

    let required = store(&format!("{base}?sslmode=require")).await;
    let (encrypted,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(required.pool())
            .await
            .expect("pg_stat_ssl");
    assert!(encrypted, "sslmode=require connected without TLS");
    required.close().await;

    let root = pg.certificate();
    let verified = store(&format!(
        "{base}?sslmode=verify-full&sslrootcert={}",
        root.display()
    ))
    .await;
    verified.close().await;

    // Another certificate as the only trusted root: the server's is refused.
    let stranger = tempfile::tempdir().expect("tempdir");
    let made = std::process::Command::new("openssl")
        .current_dir(stranger.path())
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
        ])
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let refused = PostgresStore::connect(&format!(
        "{base}?sslmode=verify-full&sslrootcert={}",
        stranger.path().join("c.pem").display()
    ))
    .await;
    assert!(refused.is_err(), "an untrusted certificate was accepted");
}
