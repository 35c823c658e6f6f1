//! The operator's queries and corrections ([`OperatorStore`]) on both SQL stores: SQLite in
//! memory and a throwaway PostgreSQL server (its binaries must be installed; see
//! `scripts/ensure-system-deps`).
#![cfg(all(feature = "sqlite", feature = "postgres", feature = "test-util"))]

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use sync_core::model::StoreScope;
use sync_core::store::{
    AuditEntry, Binding, Direction, JobFailure, JobState, NewJob, PostgresStore, SqliteStore,
    StateStore, StoreError,
};
use sync_core::testing::TempPostgres;

async fn failed_job(
    store: &dyn StateStore,
    scope: &StoreScope,
    key: &str,
    failure: JobFailure,
) -> i64 {
    let (id, _) = store
        .enqueue(NewJob {
            scope: scope.clone(),
            kind: "import_order".into(),
            key: key.into(),
            resource: format!("order:{key}"),
            payload: json!({"kind": "import_order", "order": {"name": key}}),
        })
        .await
        .unwrap();
    let leased = store
        .lease("w", 10, Duration::from_secs(60), Utc::now())
        .await
        .unwrap();
    assert!(leased.iter().any(|j| j.id == id));
    store.mark_started(id, "w").await.unwrap();
    store.fail(id, "w", failure).await.unwrap();
    id
}

async fn operator_queries_and_corrections(store: &dyn StateStore) {
    let operator = store
        .operator()
        .expect("a SQL store has the operator's queries");
    let scope = StoreScope::new("shop");
    let other = StoreScope::new("other");
    // The audit trail: only the keys asked for, of this scope, oldest first, newest kept.
    for (scope, key, n) in [
        (&scope, "order-1", 1),
        (&scope, "sale:order-1", 2),
        (&scope, "order-2", 3),
        (&other, "order-1", 4),
    ] {
        store
            .audit(&AuditEntry {
                scope: scope.clone(),
                direction: Direction::Inbound,
                system: "storefront".into(),
                kind: "order".into(),
                key: key.into(),
                payload: json!({"n": n}),
            })
            .await
            .unwrap();
    }
    let trail = operator
        .audit_trail(&scope, &["order-1", "sale:order-1"], 10)
        .await
        .unwrap();
    let ns: Vec<i64> = trail
        .iter()
        .map(|r| r.entry.payload["n"].as_i64().unwrap())
        .collect();
    assert_eq!(ns, vec![1, 2]);
    assert!(trail[0].id < trail[1].id && trail[0].at <= trail[1].at);
    let newest = operator
        .audit_trail(&scope, &["order-1", "sale:order-1"], 1)
        .await
        .unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(
        newest[0].entry.payload["n"], 2,
        "the limit keeps the newest"
    );
    assert!(
        operator
            .audit_trail(&scope, &[], 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A binding by its remote id.
    store
        .put_binding(&Binding {
            scope: scope.clone(),
            kind: "receipt".into(),
            key: "sale:order-1".into(),
            remote_id: "uuid-1".into(),
            content_hash: None,
            data: json!({"order": "order-1", "state": "accepted"}),
            updated_at: Utc::now(),
        })
        .await
        .unwrap();
    let found = operator
        .binding_by_remote_id(&scope, "receipt", "uuid-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.key, "sale:order-1");
    assert!(
        operator
            .binding_by_remote_id(&other, "receipt", "uuid-1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        operator
            .binding_by_remote_id(&scope, "order", "uuid-1")
            .await
            .unwrap()
            .is_none()
    );

    // A dead letter: its payload replaced, then dismissed with a note.
    let dead = failed_job(
        store,
        &scope,
        "a",
        JobFailure::Dead {
            reason: "no SKU".into(),
        },
    )
    .await;
    let parked = failed_job(
        store,
        &scope,
        "b",
        JobFailure::Park {
            mapping: "gateway:x".into(),
            reason: "unmapped".into(),
        },
    )
    .await;
    assert_eq!(
        operator
            .replace_payload(dead, json!({"fixed": true}))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.job(dead).await.unwrap().unwrap().payload,
        json!({"fixed": true})
    );
    assert_eq!(
        operator.replace_payload(parked, json!({})).await.unwrap(),
        0,
        "only a dead letter's payload is replaced"
    );
    assert!(matches!(
        operator.replace_payload(9_999, json!({})).await,
        Err(StoreError::NoSuchJob(9_999))
    ));
    let note = json!({"dismissed_by": "amira", "why": "a test order"});
    assert_eq!(operator.dismiss(dead, note.clone()).await.unwrap(), 1);
    let job = store.job(dead).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!(job.result, Some(note));
    assert_eq!(
        operator.dismiss(dead, json!({})).await.unwrap(),
        0,
        "a done job is not dismissed again"
    );
    assert_eq!(
        operator.dismiss(parked, json!({"why": "x"})).await.unwrap(),
        1
    );
    let job = store.job(parked).await.unwrap().unwrap();
    assert_eq!((job.state, job.parked_on), (JobState::Done, None));
    assert!(matches!(
        operator.dismiss(9_999, json!({})).await,
        Err(StoreError::NoSuchJob(9_999))
    ));
}

#[tokio::test]
async fn sqlite_answers_the_operator() {
    let store = SqliteStore::in_memory().await.unwrap();
    store.migrate().await.unwrap();
    operator_queries_and_corrections(&store).await;
}

#[tokio::test]
async fn postgres_answers_the_operator() {
    let pg = TempPostgres::start()
        .unwrap_or_else(|e| panic!("cannot start a throwaway PostgreSQL: {e}"));
    let store = PostgresStore::connect(&pg.url()).await.expect("connect");
    store.migrate().await.expect("migrate");
    operator_queries_and_corrections(&store).await;
    store.close().await;
}
