//! The conformance suite every [`StateStore`] backend must pass.
//!
//! [`run_all`] runs each check in turn on one freshly created (empty) store; the SQLite and
//! PostgreSQL backends both run it in their integration tests, and so should any other
//! implementation of the trait. Each check uses its own scope, resources and devices and
//! leaves no runnable job behind, so the checks can also be called one by one, in any order,
//! on the same store — but not concurrently with other work on that store, because
//! [`StateStore::lease`] and [`StateStore::queue_depth`] see every scope.
//!
//! [`concurrent_leases`] and [`concurrent_chain`] race two handles on one database (two
//! pools, two processes' worth of connections) against each other.
//!
//! Every check panics, naming the broken rule, when the store misbehaves.
//!
//! ```no_run
//! # async fn demo() {
//! use sync_core::store::SqliteStore;
//! use sync_core::testing::store_suite;
//!
//! let store = SqliteStore::in_memory().await.unwrap();
//! store_suite::run_all(&store).await;
//! # }
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use crate::model::StoreScope;
use crate::store::{
    AuditEntry, Binding, Direction, Job, JobFailure, JobState, NewJob, StateStore, StoreError,
};

/// The lease length the checks use unless they test expiry.
const LEASE: Duration = Duration::from_secs(60);

/// Runs every check of the suite, in order, on `store`, which must be new and empty.
///
/// Migrates the store first (twice, to check that migrating is idempotent), and checks after
/// each step that it left no pending or running job.
///
/// # Panics
///
/// When the store breaks one of the rules of [`StateStore`] or returns an error.
pub async fn run_all(store: &dyn StateStore) {
    store.migrate().await.expect("first migrate");
    store
        .migrate()
        .await
        .expect("a second migrate must be a no-op, not an error");
    bindings_upsert_and_unique(store).await;
    assert_idle(store, "bindings_upsert_and_unique").await;
    checkpoints_by_scope_and_flow(store).await;
    assert_idle(store, "checkpoints_by_scope_and_flow").await;
    bindings_where_filters_on_a_data_member(store).await;
    enqueue_is_idempotent(store).await;
    assert_idle(store, "enqueue_is_idempotent").await;
    lease_is_exclusive_by_resource(store).await;
    assert_idle(store, "lease_is_exclusive_by_resource").await;
    lease_gives_the_deepest_queue_its_turn(store).await;
    assert_idle(store, "lease_gives_the_deepest_queue_its_turn").await;
    lease_next_goes_on_with_the_same_resource(store).await;
    assert_idle(store, "lease_next_goes_on_with_the_same_resource").await;
    complete_and_lease_next_is_one_step(store).await;
    assert_idle(store, "complete_and_lease_next_is_one_step").await;
    expired_lease_is_taken_over(store).await;
    assert_idle(store, "expired_lease_is_taken_over").await;
    failures_retry_dead_and_park(store).await;
    assert_idle(store, "failures_retry_dead_and_park").await;
    replay_all_requeues_dead_and_parked(store).await;
    assert_idle(store, "replay_all_requeues_dead_and_parked").await;
    queue_depth_counts_states(store).await;
    assert_idle(store, "queue_depth_counts_states").await;
    next_due_is_the_earliest_wait(store).await;
    assert_idle(store, "next_due_is_the_earliest_wait").await;
    waiting_jobs_wake_on_their_event(store).await;
    assert_idle(store, "waiting_jobs_wake_on_their_event").await;
    a_wait_for_an_event_woken_during_its_lease_is_due_at_once(store).await;
    assert_idle(
        store,
        "a_wait_for_an_event_woken_during_its_lease_is_due_at_once",
    )
    .await;
    events_are_deduplicated(store).await;
    claims_are_exclusive_until_released_or_expired(store).await;
    chain_advances_by_compare_and_set(store).await;
    chain_and_its_audit_entry_are_stored_together(store).await;
    audit_is_kept_and_pruned(store).await;
    finished_jobs_and_events_are_pruned(store).await;
    assert_idle(store, "finished_jobs_and_events_are_pruned").await;
}

/// Bindings: absent until put, unique on (scope, kind, key) so a second put replaces the
/// first, listed by key, isolated by kind and by scope, JSON kept with its key order, and
/// `updated_at` set by the store.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn bindings_upsert_and_unique(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-bindings");
    let other_scope = StoreScope::new("suite-bindings-other");
    assert!(
        store
            .binding(&scope, "product", "G1")
            .await
            .expect("binding")
            .is_none(),
        "a binding that was never put must be absent"
    );

    let before = Utc::now() - TimeDelta::minutes(1);
    let mut first = binding(&scope, "product", "G1", "gid://shopify/Product/1");
    first.content_hash = Some("hash-1".into());
    // Key order on purpose not alphabetical: the store must keep it.
    first.data = json!({"zeta": 1, "alpha": [1, 2], "mid": {"y": "x", "b": null}});
    store.put_binding(&first).await.expect("put_binding");
    let got = store
        .binding(&scope, "product", "G1")
        .await
        .expect("binding")
        .expect("a put binding must be found");
    assert_eq!(got.scope, scope);
    assert_eq!(got.kind, "product");
    assert_eq!(got.key, "G1");
    assert_eq!(got.remote_id, "gid://shopify/Product/1");
    assert_eq!(got.content_hash.as_deref(), Some("hash-1"));
    assert_eq!(got.data, first.data);
    assert_eq!(
        got.data.to_string(),
        first.data.to_string(),
        "binding data must keep its key order"
    );
    assert!(
        got.updated_at > before,
        "the store must set updated_at (got {})",
        got.updated_at
    );

    let mut second = first.clone();
    second.remote_id = "gid://shopify/Product/2".into();
    second.content_hash = None;
    second.data = json!({"version": 2});
    store.put_binding(&second).await.expect("put_binding again");
    let all = store.bindings(&scope, "product").await.expect("bindings");
    assert_eq!(
        all.len(),
        1,
        "a second put of the same key must replace, not add"
    );
    assert_eq!(all[0].remote_id, "gid://shopify/Product/2");
    assert_eq!(
        all[0].content_hash, None,
        "a replaced binding must drop its old hash"
    );
    assert_eq!(all[0].data, json!({"version": 2}));

    store
        .put_binding(&binding(&scope, "product", "G0", "gid://shopify/Product/0"))
        .await
        .expect("put_binding G0");
    store
        .put_binding(&binding(
            &scope,
            "variant",
            "G1",
            "gid://shopify/ProductVariant/9",
        ))
        .await
        .expect("put_binding variant");
    store
        .put_binding(&binding(
            &other_scope,
            "product",
            "G1",
            "gid://other/Product/5",
        ))
        .await
        .expect("put_binding other scope");
    let keys: Vec<String> = store
        .bindings(&scope, "product")
        .await
        .expect("bindings")
        .into_iter()
        .map(|b| b.key)
        .collect();
    assert_eq!(keys, ["G0", "G1"], "bindings of one kind, ordered by key");
    let product = store
        .binding(&scope, "product", "G1")
        .await
        .expect("binding");
    assert_eq!(
        product.map(|b| b.remote_id).as_deref(),
        Some("gid://shopify/Product/2"),
        "a binding of another kind or scope must not replace this one"
    );
    let variant = store
        .binding(&scope, "variant", "G1")
        .await
        .expect("binding");
    assert_eq!(
        variant.map(|b| b.remote_id).as_deref(),
        Some("gid://shopify/ProductVariant/9")
    );
    let other = store
        .bindings(&other_scope, "product")
        .await
        .expect("bindings");
    assert_eq!(other.len(), 1, "scopes must not see each other's bindings");
    assert_eq!(other[0].remote_id, "gid://other/Product/5");
}

/// Checkpoints: absent until set, overwritten by a later set, isolated by scope and flow.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn checkpoints_by_scope_and_flow(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-checkpoints");
    let other = StoreScope::new("suite-checkpoints-other");
    assert_eq!(
        store
            .checkpoint(&scope, "orders")
            .await
            .expect("checkpoint"),
        None
    );
    store
        .set_checkpoint(&scope, "orders", "2026-01-01T00:00:00Z")
        .await
        .expect("set_checkpoint");
    assert_eq!(
        store
            .checkpoint(&scope, "orders")
            .await
            .expect("checkpoint")
            .as_deref(),
        Some("2026-01-01T00:00:00Z")
    );
    store
        .set_checkpoint(&scope, "orders", "cursor:42")
        .await
        .expect("set_checkpoint again");
    assert_eq!(
        store
            .checkpoint(&scope, "orders")
            .await
            .expect("checkpoint")
            .as_deref(),
        Some("cursor:42"),
        "a later set must overwrite the checkpoint"
    );
    assert_eq!(
        store
            .checkpoint(&other, "orders")
            .await
            .expect("checkpoint"),
        None,
        "checkpoints must be scoped by store"
    );
    assert_eq!(
        store
            .checkpoint(&scope, "catalog")
            .await
            .expect("checkpoint"),
        None,
        "checkpoints must be per flow"
    );
}

/// Enqueue: a new key gives a new pending job and `true`; the same (scope, kind, key) again
/// gives the same id and `false` and leaves the first payload; another kind or scope is
/// another job.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn enqueue_is_idempotent(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-enqueue");
    let other = StoreScope::new("suite-enqueue-other");
    let (id, created) = store
        .enqueue(new_job(
            &scope,
            "push_product",
            "G1",
            "suite-enqueue:G1",
            json!({"n": 1}),
        ))
        .await
        .expect("enqueue");
    assert!(created, "a new key must create a job");
    let (again, created) = store
        .enqueue(new_job(
            &scope,
            "push_product",
            "G1",
            "suite-enqueue:G1",
            json!({"n": 2}),
        ))
        .await
        .expect("enqueue again");
    assert_eq!(again, id, "the same key must give the same job id");
    assert!(
        !created,
        "the same key must report that nothing was created"
    );

    let by_key = store
        .job_by_key(&scope, "push_product", "G1")
        .await
        .expect("job by key")
        .expect("the job is found by its key");
    assert_eq!(by_key.id, id, "job_by_key finds the job enqueue found");
    for (scope, kind, key) in [
        (&scope, "push_product", "G2"),
        (&scope, "set_prices", "G1"),
        (&other, "push_product", "G1"),
    ] {
        assert!(
            store
                .job_by_key(scope, kind, key)
                .await
                .expect("job by key")
                .is_none(),
            "no job {kind}/{key} in {scope:?}"
        );
    }

    let job = store.job(id).await.expect("job").expect("the enqueued job");
    assert_eq!(job.id, id);
    assert_eq!(job.scope, scope);
    assert_eq!(job.kind, "push_product");
    assert_eq!(job.key, "G1");
    assert_eq!(job.resource, "suite-enqueue:G1");
    assert_eq!(
        job.payload,
        json!({"n": 1}),
        "a repeated enqueue must not change the payload"
    );
    assert_eq!(job.state, JobState::Pending);
    assert_eq!(job.attempts, 0);
    assert!(!job.started);
    assert_eq!(job.last_error, None);
    assert_eq!(job.parked_on, None);
    assert_eq!(job.result, None);
    assert_eq!(job.leased_by, None);
    assert_eq!(job.leased_until, None);
    assert!(job.run_after <= Utc::now(), "a new job must be due at once");

    let (by_kind, created) = store
        .enqueue(new_job(
            &scope,
            "push_stock",
            "G1",
            "suite-enqueue:G1:stock",
            json!({}),
        ))
        .await
        .expect("enqueue other kind");
    assert!(
        created && by_kind != id,
        "another kind with the same key is another job"
    );
    let (by_scope, created) = store
        .enqueue(new_job(
            &other,
            "push_product",
            "G1",
            "suite-enqueue-other:G1",
            json!({}),
        ))
        .await
        .expect("enqueue other scope");
    assert!(
        created && by_scope != id && by_scope != by_kind,
        "another scope with the same kind and key is another job"
    );

    let ids: Vec<i64> = store
        .jobs(&scope, None)
        .await
        .expect("jobs")
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(ids, [id, by_kind], "jobs of a scope, oldest first");
    assert_eq!(
        store
            .jobs(&scope, Some(JobState::Pending))
            .await
            .expect("jobs")
            .len(),
        2
    );
    assert!(
        store
            .jobs(&scope, Some(JobState::Done))
            .await
            .expect("jobs")
            .is_empty()
    );
    assert_eq!(
        store.job(i64::MAX).await.expect("job of an unknown id"),
        None
    );

    finish_all(store, "suite-enqueue-worker", [id, by_kind, by_scope]).await;
}

/// Leases: never two jobs with the same resource in one lease, never a job whose resource a
/// live lease holds, oldest job first, `limit` respected.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn lease_is_exclusive_by_resource(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-lease");
    let now = whole_seconds(Utc::now());
    let a1 = enqueue(store, &scope, "a1", "suite-lease:R1").await;
    let a2 = enqueue(store, &scope, "a2", "suite-lease:R1").await;
    let b1 = enqueue(store, &scope, "b1", "suite-lease:R2").await;
    let c1 = enqueue(store, &scope, "c1", "suite-lease:R3").await;

    assert!(
        store
            .lease("w0", 0, LEASE, now)
            .await
            .expect("lease")
            .is_empty(),
        "a lease with limit 0 must return nothing"
    );
    let first = store.lease("w1", 10, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&first),
        [a1, b1, c1],
        "one job per resource, the oldest of each (a2 shares a1's resource)"
    );
    for job in &first {
        assert_eq!(job.state, JobState::Running);
        assert_eq!(job.leased_by.as_deref(), Some("w1"));
        assert_eq!(
            job.leased_until,
            Some(now + TimeDelta::seconds(60)),
            "a lease ends at the caller's `now` plus its length"
        );
    }
    let stored = store.job(a1).await.expect("job").expect("a1");
    assert_eq!(stored.state, JobState::Running, "the lease must be stored");
    assert_eq!(stored.leased_by.as_deref(), Some("w1"));

    let second = store.lease("w2", 10, LEASE, now).await.expect("lease");
    assert!(
        second.is_empty(),
        "a job whose resource a live lease holds must not be leased (got {:?})",
        sorted_ids(&second)
    );

    store
        .complete(b1, "w1", json!({}))
        .await
        .expect("complete b1");
    store
        .complete(c1, "w1", json!({}))
        .await
        .expect("complete c1");
    assert!(
        store
            .lease("w2", 10, LEASE, now)
            .await
            .expect("lease")
            .is_empty(),
        "a2 must wait while a1 runs"
    );
    store
        .complete(a1, "w1", json!({}))
        .await
        .expect("complete a1");
    let third = store.lease("w2", 10, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&third),
        [a2],
        "once a1 is done its resource is free"
    );
    store
        .complete(a2, "w2", json!({}))
        .await
        .expect("complete a2");

    let d1 = enqueue(store, &scope, "d1", "suite-lease:R4").await;
    let e1 = enqueue(store, &scope, "e1", "suite-lease:R5").await;
    let one = store.lease("w3", 1, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&one),
        [d1],
        "limit 1 gives the oldest runnable job"
    );
    let two = store.lease("w3", 1, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&two), [e1]);
    store
        .complete(d1, "w3", json!({}))
        .await
        .expect("complete d1");
    store
        .complete(e1, "w3", json!({}))
        .await
        .expect("complete e1");
}

/// A lease takes the heads class by class (a resource's class is its name up to the first
/// `:`), and within a class the resources with the most runnable jobs first, then the oldest:
/// a serial queue of thousands (a device's receipt chain), a submission or a write-back is not
/// left behind every one-job import queued before it.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn lease_gives_the_deepest_queue_its_turn(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-deep");
    let now = Utc::now();
    let mut singles = Vec::new();
    for n in 1..=4 {
        singles.push(enqueue(store, &scope, &format!("s{n}"), &format!("suite-deep:S{n}")).await);
    }
    let mut deep = Vec::new();
    for n in 1..=3 {
        deep.push(enqueue(store, &scope, &format!("d{n}"), "suite-deep:D").await);
    }
    let first = store.lease("w1", 1, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&first),
        [deep[0]],
        "the head of the deepest queue comes before older heads of one-job queues"
    );
    let second = store.lease("w1", 2, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&second),
        [singles[0], singles[1]],
        "with the deep queue held, the oldest heads"
    );
    store
        .complete(deep[0], "w1", json!({}))
        .await
        .expect("complete d1");
    let third = store.lease("w1", 1, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&third),
        [deep[1]],
        "two jobs left on D still outnumber one on each of the others"
    );
    store
        .complete(deep[1], "w1", json!({}))
        .await
        .expect("complete d2");
    let fourth = store.lease("w1", 1, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&fourth),
        [singles[2]],
        "queues of one job each: the oldest head first"
    );
    for id in &singles[..3] {
        store
            .complete(*id, "w1", json!({}))
            .await
            .expect("complete");
    }
    finish_all(store, "w1", [singles[3], deep[2]]).await;

    // Classes: three old imports and one newer submission; two slots take one of each.
    let mut imports = Vec::new();
    for n in 1..=3 {
        imports.push(enqueue(store, &scope, &format!("i{n}"), &format!("import:{n}")).await);
    }
    let submit = enqueue(store, &scope, "submit", "submit:device").await;
    let mixed = store.lease("w1", 2, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&mixed),
        [imports[0], submit],
        "each class has its turn: the newer submission before older imports of another class"
    );
    for job in &mixed {
        store
            .complete(job.id, "w1", json!({}))
            .await
            .expect("complete");
    }
    finish_all(store, "w1", [imports[1], imports[2]]).await;
}

/// Filtered bindings: only those of the kind and scope whose data members match every
/// condition, in the order first stored (a replaced binding keeps its place), at most `limit`;
/// a member that is missing, not text, or nested does not match.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn bindings_where_filters_on_a_data_member(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-where");
    let other = StoreScope::new("suite-where-other");
    let cases = [
        (
            "k3",
            json!({"state": "issued", "device": "d1", "body": "x"}),
        ),
        ("k1", json!({"state": "pending", "device": "d1"})),
        ("k2", json!({"state": "accepted", "device": "d1"})),
        ("k4", json!({"state": 1, "device": "d1"})),
        ("k5", json!({"nested": {"state": "issued"}, "device": "d1"})),
        ("k6", json!({"state": "issued' OR 1=1 --", "device": "d1"})),
        ("k0", json!({"state": "issued", "device": "d2"})),
        ("k7", json!({"state": "issued", "device": "d1"})),
    ];
    for (key, data) in cases {
        let mut b = binding(&scope, "receipt", key, key);
        b.data = data;
        store.put_binding(&b).await.expect("put_binding");
    }
    // Replacing k3 keeps its place.
    let mut again = binding(&scope, "receipt", "k3", "k3");
    again.data = json!({"state": "issued", "device": "d1", "body": "y"});
    store.put_binding(&again).await.expect("put_binding");
    let mut elsewhere = binding(&other, "receipt", "k9", "k9");
    elsewhere.data = json!({"state": "issued", "device": "d1"});
    store.put_binding(&elsewhere).await.expect("put_binding");
    let mut other_kind = binding(&scope, "order", "k8", "k8");
    other_kind.data = json!({"state": "issued", "device": "d1"});
    store.put_binding(&other_kind).await.expect("put_binding");

    let keys = |found: &[Binding]| found.iter().map(|b| b.key.clone()).collect::<Vec<_>>();
    let open_states: &[&str] = &["issued", "pending"];
    let open = store
        .bindings_where(&scope, "receipt", &[("state", open_states)], 100)
        .await
        .expect("bindings_where");
    assert_eq!(
        keys(&open),
        ["k3", "k1", "k0", "k7"],
        "in the order first stored, only matching values"
    );
    assert_eq!(open[0].data["body"], "y", "the whole, latest binding");
    let d1 = store
        .bindings_where(
            &scope,
            "receipt",
            &[("state", open_states), ("device", &["d1"])],
            100,
        )
        .await
        .expect("bindings_where");
    assert_eq!(keys(&d1), ["k3", "k1", "k7"], "every condition holds");
    let first = store
        .bindings_where(
            &scope,
            "receipt",
            &[("state", open_states), ("device", &["d1"])],
            2,
        )
        .await
        .expect("bindings_where");
    assert_eq!(keys(&first), ["k3", "k1"], "the oldest `limit` of them");
    assert!(
        store
            .bindings_where(&scope, "receipt", &[("state", &[])], 100)
            .await
            .expect("bindings_where")
            .is_empty(),
        "no value matches nothing"
    );
    assert_eq!(
        store
            .bindings_where(&scope, "receipt", &[], 100)
            .await
            .expect("bindings_where")
            .len(),
        8,
        "no condition: every binding of the kind and scope"
    );
    let refused = store
        .bindings_where(
            &scope,
            "receipt",
            &[("state') OR 1=1 --", open_states)],
            100,
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::InvalidQuery(why)) if why.contains("member name")),
        "a member name that is not plain is refused, naming the rule: {refused:?}"
    );
}

/// The next due time: none without waiting jobs; else the earliest retry time of a pending
/// job or lease end of a running one, in the scope asked about only.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn next_due_is_the_earliest_wait(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-due");
    assert_eq!(store.next_due(&scope).await.expect("next_due"), None);
    let now = whole_seconds(Utc::now());
    let a = enqueue(store, &scope, "a", "suite-due:A").await;
    let b = enqueue(store, &scope, "b", "suite-due:B").await;
    let leased = store.lease("w1", 10, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&leased), [a, b]);
    let later = now + TimeDelta::seconds(300);
    store.mark_started(a, "w1").await.expect("mark_started");
    store
        .fail(
            a,
            "w1",
            JobFailure::Retry {
                at: later,
                error: "later".into(),
            },
        )
        .await
        .expect("fail");
    assert_eq!(
        store.next_due(&scope).await.expect("next_due"),
        Some(now + TimeDelta::seconds(60)),
        "b's lease ends before a's retry"
    );
    assert_eq!(
        store
            .next_due(&StoreScope::new("suite-due-other"))
            .await
            .expect("next_due"),
        None,
        "another scope waits for nothing"
    );
    store.complete(b, "w1", json!({})).await.expect("complete");
    assert_eq!(store.next_due(&scope).await.expect("next_due"), Some(later));
    let again = store.lease("w1", 10, LEASE, later).await.expect("lease");
    assert_eq!(sorted_ids(&again), [a]);
    store.complete(a, "w1", json!({})).await.expect("complete");
    assert_eq!(store.next_due(&scope).await.expect("next_due"), None);
}

/// Waiting for an event: a job failed with [`JobFailure::Wait`] stays pending until its time,
/// and [`StateStore::wake`] with its event, in its scope, makes it runnable at once; another
/// event, another scope or a job retried without event is not woken, and a woken job's wait is
/// over (a second wake finds nothing).
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn waiting_jobs_wake_on_their_event(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-wake");
    let other = StoreScope::new("suite-wake-other");
    let now = whole_seconds(Utc::now());
    let later = now + TimeDelta::hours(1);
    let waiting = enqueue(store, &scope, "waiting", "suite-wake:A").await;
    let retried = enqueue(store, &scope, "retried", "suite-wake:B").await;
    let elsewhere = enqueue(store, &other, "elsewhere", "suite-wake:C").await;
    let leased = store.lease("w1", 10, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&leased), [waiting, retried, elsewhere]);
    let wait = |why: &str| JobFailure::Wait {
        at: later,
        on: "valid:sale:1".into(),
        why: why.into(),
    };
    store
        .fail(waiting, "w1", wait("waits"))
        .await
        .expect("fail");
    store
        .fail(elsewhere, "w1", wait("waits"))
        .await
        .expect("fail");
    store
        .fail(
            retried,
            "w1",
            JobFailure::Retry {
                at: later,
                error: "no event".into(),
            },
        )
        .await
        .expect("fail");
    let job = store.job(waiting).await.expect("job").expect("stored");
    assert_eq!(job.state, JobState::Pending, "a waiting job stays pending");
    assert_eq!(job.run_after, later);
    assert_eq!(job.last_error.as_deref(), Some("waits"));
    assert!(
        store
            .lease("w1", 10, LEASE, now)
            .await
            .expect("lease")
            .is_empty(),
        "nothing is runnable before the event"
    );
    let wake = |scope, on| async move { store.wake(scope, on).await.expect("wake") };
    assert_eq!(
        wake(&scope, "valid:sale:2").await,
        0,
        "another event wakes nothing"
    );
    assert_eq!(
        wake(&scope, "valid:sale:1").await,
        1,
        "the event wakes its job only"
    );
    let woken = store.lease("w1", 10, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&woken),
        [waiting],
        "the woken job runs now, not later"
    );
    store
        .fail(waiting, "w1", wait("waits again"))
        .await
        .expect("fail");
    assert_eq!(
        store
            .job(waiting)
            .await
            .expect("job")
            .expect("stored")
            .state,
        JobState::Pending
    );
    assert_eq!(
        wake(&scope, "valid:sale:1").await,
        1,
        "it waits again, and wakes again"
    );
    assert_eq!(
        wake(&scope, "valid:sale:1").await,
        0,
        "a woken job waits no more"
    );
    assert_eq!(
        wake(&other, "valid:sale:1").await,
        1,
        "each scope wakes its own"
    );
    finish_all(store, "w2", [waiting, elsewhere]).await;
    let job = store.job(retried).await.expect("job").expect("stored");
    assert_eq!(job.run_after, later, "a retry without event keeps its time");
    let due = store.lease("w2", 10, LEASE, later).await.expect("lease");
    assert_eq!(sorted_ids(&due), [retried], "the retry runs at its time");
    store
        .complete(retried, "w2", json!({}))
        .await
        .expect("complete");
}

/// Continuation: after a job, the next runnable job of the same resource newer than it, and
/// only while no live lease holds the resource; never a job just rescheduled, never a job of
/// another resource.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn lease_next_goes_on_with_the_same_resource(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-next");
    let now = whole_seconds(Utc::now());
    let a1 = enqueue(store, &scope, "a1", "suite-next:R1").await;
    let a2 = enqueue(store, &scope, "a2", "suite-next:R1").await;
    let a3 = enqueue(store, &scope, "a3", "suite-next:R1").await;
    let b1 = enqueue(store, &scope, "b1", "suite-next:R2").await;
    let first = store.lease("w1", 10, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&first), [a1, b1]);
    let next = |after| store.lease_next("w1", "suite-next:R1", after, LEASE, now);
    assert!(
        next(a1).await.expect("lease_next").is_none(),
        "a1 still holds the resource"
    );
    store.complete(a1, "w1", json!({})).await.expect("complete");
    let got = next(a1).await.expect("lease_next").expect("a2 is next");
    assert_eq!(got.id, a2);
    assert_eq!(got.state, JobState::Running);
    assert_eq!(got.leased_by.as_deref(), Some("w1"));
    assert_eq!(got.leased_until, Some(now + TimeDelta::seconds(60)));
    assert!(
        store
            .lease("w2", 10, LEASE, now)
            .await
            .expect("lease")
            .is_empty(),
        "a2 is leased: the whole resource is held (and b1 still runs)"
    );
    // a2 fails and is due again at once: the continuation does not take it again.
    store.mark_started(a2, "w1").await.expect("mark_started");
    store
        .fail(
            a2,
            "w1",
            JobFailure::Retry {
                at: now,
                error: "flaky".into(),
            },
        )
        .await
        .expect("fail");
    let got = next(a2).await.expect("lease_next").expect("a3 is next");
    assert_eq!(
        got.id, a3,
        "the continuation moves past the job it just ran"
    );
    store.complete(a3, "w1", json!({})).await.expect("complete");
    assert!(
        next(a3).await.expect("lease_next").is_none(),
        "nothing newer than a3 on R1"
    );
    assert!(
        store
            .lease_next("w1", "suite-next:R9", 0, LEASE, now)
            .await
            .expect("lease_next")
            .is_none(),
        "an unknown resource has nothing"
    );
    store.complete(b1, "w1", json!({})).await.expect("complete");
    // The rescheduled a2 is left to the ordinary lease.
    finish_all(store, "w3", [a2]).await;
}

/// A wake that finds the job it is for running, not yet waiting (the job looked for the
/// event before it came, and stores its wait after): the wait the job then stores leaves it
/// due at once. A wake from before the job's lease, or of another scope, does not: the job
/// saw that event, or it is not its own.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn a_wait_for_an_event_woken_during_its_lease_is_due_at_once(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-woken");
    let other = StoreScope::new("suite-woken-other");
    let now = whole_seconds(Utc::now());
    let later = now + TimeDelta::hours(1);
    let wait = |on: &str| JobFailure::Wait {
        at: later,
        on: on.into(),
        why: "waits".into(),
    };
    let wake = |scope, on| async move { store.wake(scope, on).await.expect("wake") };
    let job = enqueue(store, &scope, "woken", "suite-woken:A").await;

    assert_eq!(wake(&scope, "before").await, 0, "nothing waits yet");
    // The store's clock must move on between the wake and the lease.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let leased = store.lease("w1", 10, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&leased), [job]);
    store.fail(job, "w1", wait("before")).await.expect("fail");
    assert!(
        store
            .lease("w1", 10, LEASE, now)
            .await
            .expect("lease")
            .is_empty(),
        "a wake from before the lease was seen by the job: it waits"
    );
    assert_eq!(
        wake(&scope, "before").await,
        1,
        "and is woken by the next one"
    );

    let leased = store.lease("w1", 10, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&leased), [job]);
    assert_eq!(
        wake(&scope, "meanwhile").await,
        0,
        "the job runs: nothing waits"
    );
    store
        .fail(job, "w1", wait("meanwhile"))
        .await
        .expect("fail");
    let again = store.lease("w1", 10, LEASE, now).await.expect("lease");
    assert_eq!(
        sorted_ids(&again),
        [job],
        "the event came during the lease: the wait is over at once"
    );
    assert_eq!(
        wake(&scope, "meanwhile").await,
        0,
        "a job due at once waits for nothing"
    );

    assert_eq!(wake(&other, "elsewhere").await, 0);
    store
        .fail(job, "w1", wait("elsewhere"))
        .await
        .expect("fail");
    assert!(
        store
            .lease("w1", 10, LEASE, now)
            .await
            .expect("lease")
            .is_empty(),
        "the same event in another scope is not this job's"
    );
    assert_eq!(wake(&scope, "elsewhere").await, 1);
    finish_all(store, "w1", [job]).await;
}

/// Completing a job and leasing the next one of its resource in one call: the job is done
/// and the next one leased to the same worker; with nothing next, only the completion; a
/// completion under a lease the worker does not hold is [`StoreError::LeaseLost`] and leases
/// nothing.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn complete_and_lease_next_is_one_step(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-complete-next");
    let resource = "suite-complete-next:R1";
    let now = whole_seconds(Utc::now());
    let a1 = enqueue(store, &scope, "a1", resource).await;
    let a2 = enqueue(store, &scope, "a2", resource).await;
    let a3 = enqueue(store, &scope, "a3", resource).await;
    let first = store.lease("w1", 10, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&first), [a1]);
    let next = store
        .complete_and_lease_next(a1, "w1", json!({"n": 1}), resource, LEASE, now)
        .await
        .expect("complete_and_lease_next")
        .expect("a2 is next");
    assert_eq!(next.id, a2);
    assert_eq!(next.state, JobState::Running);
    assert_eq!(next.leased_by.as_deref(), Some("w1"));
    let done = store.job(a1).await.expect("job").expect("a1 is kept");
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.result, Some(json!({"n": 1})));

    // w2 does not hold a2: its completion fails, and a3 stays queued.
    match store
        .complete_and_lease_next(a2, "w2", json!({}), resource, LEASE, now)
        .await
    {
        Err(StoreError::LeaseLost(id)) => assert_eq!(id, a2),
        other => panic!("completing a job leased to another worker: {other:?}"),
    }
    let a2_now = store.job(a2).await.expect("job").expect("a2 is kept");
    assert_eq!(a2_now.state, JobState::Running, "a2 is still w1's");
    let a3_now = store.job(a3).await.expect("job").expect("a3 is kept");
    assert_eq!(
        a3_now.state,
        JobState::Pending,
        "a failed completion leases nothing"
    );

    let next = store
        .complete_and_lease_next(a2, "w1", json!({}), resource, LEASE, now)
        .await
        .expect("complete_and_lease_next")
        .expect("a3 is next");
    assert_eq!(next.id, a3);
    assert!(
        store
            .complete_and_lease_next(a3, "w1", json!({}), resource, LEASE, now)
            .await
            .expect("complete_and_lease_next")
            .is_none(),
        "nothing after a3"
    );
    let last = store.job(a3).await.expect("job").expect("a3 is kept");
    assert_eq!(
        last.state,
        JobState::Done,
        "the last job is completed all the same"
    );
}

/// Lease expiry: a running job whose lease expired is leased again by another worker; the
/// first worker then gets [`StoreError::LeaseLost`] on every transition, the new holder
/// completes it; unknown ids give [`StoreError::NoSuchJob`].
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn expired_lease_is_taken_over(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-expiry");
    let now = whole_seconds(Utc::now());
    let lease = Duration::from_secs(30);
    let id = enqueue(store, &scope, "x1", "suite-expiry:R").await;

    let first = store.lease("w1", 10, lease, now).await.expect("lease");
    assert_eq!(sorted_ids(&first), [id]);
    let early = store
        .lease("w2", 10, lease, now + TimeDelta::seconds(10))
        .await
        .expect("lease");
    assert!(early.is_empty(), "a live lease must not be taken over");
    let late = store
        .lease("w2", 10, lease, now + TimeDelta::seconds(31))
        .await
        .expect("lease");
    assert_eq!(
        sorted_ids(&late),
        [id],
        "an expired lease must be leased again"
    );
    assert_eq!(late[0].leased_by.as_deref(), Some("w2"));
    assert_eq!(late[0].leased_until, Some(now + TimeDelta::seconds(61)));

    assert_lease_lost(store.mark_started(id, "w1").await, id, "mark_started");
    assert_lease_lost(store.complete(id, "w1", json!({})).await, id, "complete");
    let dead = JobFailure::Dead {
        reason: "late".into(),
    };
    assert_lease_lost(store.fail(id, "w1", dead).await, id, "fail");
    let job = store.job(id).await.expect("job").expect("job");
    assert_eq!(
        job.state,
        JobState::Running,
        "a lost lease must change nothing"
    );
    assert_eq!(job.leased_by.as_deref(), Some("w2"));
    assert!(!job.started, "a lost lease must not mark the job started");

    store.mark_started(id, "w2").await.expect("mark_started");
    let job = store.job(id).await.expect("job").expect("job");
    assert!(job.started, "mark_started must set started");
    assert_eq!(job.attempts, 1, "mark_started must count an attempt");
    store
        .complete(id, "w2", json!({"remote_id": "gid://shopify/Order/7"}))
        .await
        .expect("complete");
    let job = store.job(id).await.expect("job").expect("job");
    assert_eq!(job.state, JobState::Done);
    assert_eq!(
        job.result,
        Some(json!({"remote_id": "gid://shopify/Order/7"}))
    );
    assert_eq!(job.leased_by, None, "a done job holds no lease");
    assert_eq!(job.leased_until, None, "a done job holds no lease");
    assert!(job.started && job.attempts == 1);
    assert_lease_lost(
        store.complete(id, "w2", json!({})).await,
        id,
        "complete of a done job",
    );
    let after = store
        .lease("w3", 10, lease, now + TimeDelta::days(1))
        .await
        .expect("lease");
    assert!(after.is_empty(), "a done job must never be leased again");

    let missing = i64::MAX - 7;
    for (what, result) in [
        ("mark_started", store.mark_started(missing, "w1").await),
        ("complete", store.complete(missing, "w1", json!({})).await),
        (
            "fail",
            store
                .fail(missing, "w1", JobFailure::Dead { reason: "x".into() })
                .await,
        ),
    ] {
        assert!(
            matches!(result, Err(StoreError::NoSuchJob(id)) if id == missing),
            "{what} of an unknown job must be NoSuchJob, got {result:?}"
        );
    }
}

/// Failures: a retry goes back to pending, not before its time, keeping `started` and the
/// attempt count; a dead job is never leased until replayed (one); a parked job waits for its
/// mapping and is released by [`StateStore::unpark`] of that mapping only.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn failures_retry_dead_and_park(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-fail");
    let now = whole_seconds(Utc::now());
    let id = enqueue(store, &scope, "k1", "suite-fail:R").await;

    assert_eq!(
        sorted_ids(&store.lease("w", 10, LEASE, now).await.expect("lease")),
        [id]
    );
    store.mark_started(id, "w").await.expect("mark_started");
    let at = now + TimeDelta::seconds(60);
    store
        .fail(
            id,
            "w",
            JobFailure::Retry {
                at,
                error: "connection reset".into(),
            },
        )
        .await
        .expect("fail retry");
    let job = store.job(id).await.expect("job").expect("job");
    assert_eq!(job.state, JobState::Pending, "a retry goes back to pending");
    assert_eq!(job.run_after, at, "a retry is not due before its time");
    assert_eq!(job.last_error.as_deref(), Some("connection reset"));
    assert_eq!(job.leased_by, None);
    assert_eq!(
        job.leased_until, None,
        "a job waiting for a retry holds no lease"
    );
    assert!(
        job.started,
        "a retry must keep `started`: the effect may exist remotely"
    );
    assert_eq!(job.attempts, 1);

    assert!(
        store
            .lease("w", 10, LEASE, now + TimeDelta::seconds(30))
            .await
            .expect("lease")
            .is_empty(),
        "a retry must not run before `at`"
    );
    let later = now + TimeDelta::seconds(61);
    let leased = store.lease("w", 10, LEASE, later).await.expect("lease");
    assert_eq!(
        sorted_ids(&leased),
        [id],
        "a retry runs once `at` has passed"
    );
    assert!(leased[0].started && leased[0].attempts == 1);
    store.mark_started(id, "w").await.expect("mark_started");
    store
        .fail(
            id,
            "w",
            JobFailure::Dead {
                reason: "422: total does not match lines".into(),
            },
        )
        .await
        .expect("fail dead");
    let job = store.job(id).await.expect("job").expect("job");
    assert_eq!(job.state, JobState::Dead);
    assert_eq!(job.attempts, 2);
    assert_eq!(
        job.last_error.as_deref(),
        Some("422: total does not match lines")
    );
    assert_eq!(
        job.payload,
        json!({"key": "k1"}),
        "a dead letter keeps its payload"
    );
    let dead: Vec<i64> = store
        .jobs(&scope, Some(JobState::Dead))
        .await
        .expect("jobs")
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(dead, [id], "dead letters are listed");
    assert!(
        store
            .lease("w", 10, LEASE, now + TimeDelta::days(30))
            .await
            .expect("lease")
            .is_empty(),
        "a dead job is never leased"
    );

    assert_eq!(store.replay(Some(id)).await.expect("replay"), 1);
    let job = store.job(id).await.expect("job").expect("job");
    assert_eq!(job.state, JobState::Pending, "a replayed job is pending");
    assert!(
        job.started,
        "a replay must keep `started`: look the effect up first"
    );
    assert_eq!(job.attempts, 2);
    assert_eq!(
        store.replay(Some(id)).await.expect("replay"),
        0,
        "replaying a job that is not dead or parked changes nothing"
    );
    let missing = store.replay(Some(i64::MAX - 3)).await;
    assert!(
        matches!(missing, Err(StoreError::NoSuchJob(_))),
        "replaying an unknown job must be NoSuchJob, got {missing:?}"
    );

    // A replayed job is due at once, whatever clock the caller leases with.
    let leased = store.lease("w", 10, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&leased), [id], "a replayed job is due at once");
    store
        .fail(
            id,
            "w",
            JobFailure::Park {
                mapping: "sku:ABC-1".into(),
                reason: "unknown SKU ABC-1".into(),
            },
        )
        .await
        .expect("fail park");
    let job = store.job(id).await.expect("job").expect("job");
    assert_eq!(job.state, JobState::Parked);
    assert_eq!(job.parked_on.as_deref(), Some("sku:ABC-1"));
    assert_eq!(job.last_error.as_deref(), Some("unknown SKU ABC-1"));
    assert!(
        store
            .lease("w", 10, LEASE, now + TimeDelta::days(30))
            .await
            .expect("lease")
            .is_empty(),
        "a parked job is never leased"
    );
    assert_eq!(
        store.unpark("sku:OTHER").await.expect("unpark"),
        0,
        "unparking another mapping must not release this job"
    );
    assert_eq!(store.unpark("sku:ABC-1").await.expect("unpark"), 1);
    let job = store.job(id).await.expect("job").expect("job");
    assert_eq!(job.state, JobState::Pending, "an unparked job is pending");
    assert_eq!(job.parked_on, None);
    assert_eq!(store.unpark("sku:ABC-1").await.expect("unpark"), 0);

    let leased = store.lease("w", 10, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&leased), [id], "an unparked job is due at once");
    store
        .complete(id, "w", json!({"ok": true}))
        .await
        .expect("complete");
}

/// Replay of all: every dead and parked job goes back to pending, and is counted.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn replay_all_requeues_dead_and_parked(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-replay");
    let now = whole_seconds(Utc::now());
    let before = store.queue_depth().await.expect("queue_depth");
    let m1 = enqueue(store, &scope, "m1", "suite-replay:R1").await;
    let m2 = enqueue(store, &scope, "m2", "suite-replay:R2").await;
    let m3 = enqueue(store, &scope, "m3", "suite-replay:R3").await;
    let leased = store.lease("w", 10, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&leased), [m1, m2, m3]);
    for id in [m1, m2] {
        store
            .fail(
                id,
                "w",
                JobFailure::Dead {
                    reason: "refused".into(),
                },
            )
            .await
            .expect("fail dead");
    }
    store
        .fail(
            m3,
            "w",
            JobFailure::Park {
                mapping: "location:Main".into(),
                reason: "unknown location".into(),
            },
        )
        .await
        .expect("fail park");
    let depth = store.queue_depth().await.expect("queue_depth");
    assert_eq!(depth[&JobState::Dead], before[&JobState::Dead] + 2);
    assert_eq!(depth[&JobState::Parked], before[&JobState::Parked] + 1);

    let expected = depth[&JobState::Dead] + depth[&JobState::Parked];
    assert_eq!(
        store.replay(None).await.expect("replay all"),
        expected,
        "replay of all must requeue every dead and parked job"
    );
    let depth = store.queue_depth().await.expect("queue_depth");
    assert_eq!(depth[&JobState::Dead], 0);
    assert_eq!(depth[&JobState::Parked], 0);
    for id in [m1, m2, m3] {
        let job = store.job(id).await.expect("job").expect("job");
        assert_eq!(job.state, JobState::Pending);
        assert_eq!(job.parked_on, None);
    }
    let leased = store.lease("w", 10, LEASE, now).await.expect("lease");
    let mut ids = sorted_ids(&leased);
    ids.retain(|id| [m1, m2, m3].contains(id));
    assert_eq!(ids, [m1, m2, m3], "replayed jobs are due at once");
    for job in leased {
        store
            .complete(job.id, "w", json!({}))
            .await
            .expect("complete");
    }
}

/// Queue depth: every state is reported, and counts follow enqueue, lease and complete.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn queue_depth_counts_states(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-depth");
    let now = whole_seconds(Utc::now());
    let before = store.queue_depth().await.expect("queue_depth");
    for state in [
        JobState::Pending,
        JobState::Running,
        JobState::Done,
        JobState::Dead,
        JobState::Parked,
    ] {
        assert!(
            before.contains_key(&state),
            "queue_depth must report {state:?}"
        );
    }
    let q1 = enqueue(store, &scope, "q1", "suite-depth:R1").await;
    let q2 = enqueue(store, &scope, "q2", "suite-depth:R2").await;
    let depth = store.queue_depth().await.expect("queue_depth");
    assert_eq!(depth[&JobState::Pending], before[&JobState::Pending] + 2);

    let leased = store.lease("w", 1, LEASE, now).await.expect("lease");
    assert_eq!(sorted_ids(&leased), [q1]);
    let depth = store.queue_depth().await.expect("queue_depth");
    assert_eq!(depth[&JobState::Pending], before[&JobState::Pending] + 1);
    assert_eq!(depth[&JobState::Running], before[&JobState::Running] + 1);

    store.complete(q1, "w", json!({})).await.expect("complete");
    let depth = store.queue_depth().await.expect("queue_depth");
    assert_eq!(depth[&JobState::Running], before[&JobState::Running]);
    assert_eq!(depth[&JobState::Done], before[&JobState::Done] + 1);
    finish_all(store, "w", [q2]).await;
}

/// Claims: one holder at a time per (scope, name); the holder may take it again (extending
/// it); another holder gets it once it is released or its time is up; a release by another
/// holder changes nothing; scopes and names are independent.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn claims_are_exclusive_until_released_or_expired(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-claims");
    let other_scope = StoreScope::new("suite-claims-other");
    let now = Utc::now();
    let later = now + chrono::Duration::seconds(60);
    let claim = |scope: &StoreScope, name: &str, holder: &str, until, at| {
        let (scope, name, holder) = (scope.clone(), name.to_owned(), holder.to_owned());
        async move {
            store
                .claim(&scope, &name, &holder, until, at)
                .await
                .expect("claim")
        }
    };
    assert!(claim(&scope, "customer:1", "a", later, now).await, "free");
    assert!(
        !claim(&scope, "customer:1", "b", later, now).await,
        "held by a"
    );
    assert!(
        claim(&scope, "customer:1", "a", later, now).await,
        "a again"
    );
    assert!(
        claim(&scope, "customer:2", "b", later, now).await,
        "another name"
    );
    assert!(
        claim(&other_scope, "customer:1", "b", later, now).await,
        "another scope"
    );

    store
        .release(&scope, "customer:1", "b")
        .await
        .expect("release");
    assert!(
        !claim(&scope, "customer:1", "b", later, now).await,
        "a release by another holder freed the claim"
    );
    store
        .release(&scope, "customer:1", "a")
        .await
        .expect("release");
    assert!(
        claim(&scope, "customer:1", "b", later, now).await,
        "released"
    );

    // b's time is up at `later`: c takes it over then, not before.
    let just_before = later - chrono::Duration::seconds(1);
    assert!(!claim(&scope, "customer:1", "c", later, just_before).await);
    assert!(
        claim(
            &scope,
            "customer:1",
            "c",
            later + chrono::Duration::seconds(60),
            later
        )
        .await,
        "an expired claim is taken over"
    );
    assert!(
        !claim(&scope, "customer:1", "b", later, later).await,
        "c holds it now"
    );
    for (scope, name, holder) in [
        (&scope, "customer:1", "c"),
        (&scope, "customer:2", "b"),
        (&other_scope, "customer:1", "b"),
    ] {
        store.release(scope, name, holder).await.expect("release");
    }
}

/// Webhook events: the first sight of an id is `true`, a repeat `false`, per scope.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn events_are_deduplicated(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-events");
    let other = StoreScope::new("suite-events-other");
    assert!(
        store
            .record_event(&scope, "evt-1")
            .await
            .expect("record_event")
    );
    assert!(
        !store
            .record_event(&scope, "evt-1")
            .await
            .expect("record_event"),
        "a repeated event id must be reported as seen"
    );
    assert!(
        store
            .record_event(&other, "evt-1")
            .await
            .expect("record_event"),
        "event ids are per scope"
    );
    assert!(
        store
            .record_event(&scope, "evt-2")
            .await
            .expect("record_event")
    );
    assert!(
        !store
            .record_event(&scope, "evt-2")
            .await
            .expect("record_event")
    );
}

/// Receipt chains: the head moves only from the expected value, and the binding is stored
/// with it; a wrong expectation returns `false` and stores nothing; devices are independent.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn chain_advances_by_compare_and_set(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-chain");
    let device = "suite-device-1";
    let other = "suite-device-2";
    let receipt = |n: u32, uuid: &str| {
        let mut b = binding(&scope, "receipt", &format!("order-{n}"), uuid);
        b.data = json!({"uuid": uuid, "n": n});
        b
    };
    assert_eq!(store.chain_head(device).await.expect("chain_head"), None);

    assert!(
        !store
            .advance_chain(device, "not-the-head", "u1", &receipt(1, "u1"))
            .await
            .expect("advance_chain"),
        "an empty chain only moves from \"\""
    );
    assert_eq!(store.chain_head(device).await.expect("chain_head"), None);
    assert_eq!(
        store
            .binding(&scope, "receipt", "order-1")
            .await
            .expect("binding"),
        None,
        "a failed compare-and-set must store no binding"
    );

    assert!(
        store
            .advance_chain(device, "", "u1", &receipt(1, "u1"))
            .await
            .expect("advance_chain")
    );
    assert_eq!(
        store
            .chain_head(device)
            .await
            .expect("chain_head")
            .as_deref(),
        Some("u1")
    );
    let stored = store
        .binding(&scope, "receipt", "order-1")
        .await
        .expect("binding")
        .expect("the binding must be stored with the head");
    assert_eq!(stored.remote_id, "u1");
    assert_eq!(stored.data, json!({"uuid": "u1", "n": 1}));

    for wrong in ["", "u2", "u0"] {
        assert!(
            !store
                .advance_chain(device, wrong, "u2", &receipt(2, "u2"))
                .await
                .expect("advance_chain"),
            "the head is u1, so expecting {wrong:?} must fail"
        );
    }
    assert_eq!(
        store
            .chain_head(device)
            .await
            .expect("chain_head")
            .as_deref(),
        Some("u1")
    );
    assert_eq!(
        store
            .binding(&scope, "receipt", "order-2")
            .await
            .expect("binding"),
        None
    );

    assert!(
        store
            .advance_chain(device, "u1", "u2", &receipt(2, "u2"))
            .await
            .expect("advance_chain")
    );
    assert_eq!(
        store
            .chain_head(device)
            .await
            .expect("chain_head")
            .as_deref(),
        Some("u2")
    );
    assert!(
        store
            .binding(&scope, "receipt", "order-2")
            .await
            .expect("binding")
            .is_some()
    );

    assert_eq!(
        store.chain_head(other).await.expect("chain_head"),
        None,
        "chains are per device"
    );
    assert!(
        store
            .advance_chain(other, "", "v1", &receipt(3, "v1"))
            .await
            .expect("advance_chain")
    );
    assert_eq!(
        store
            .chain_head(other)
            .await
            .expect("chain_head")
            .as_deref(),
        Some("v1")
    );
    assert_eq!(
        store
            .chain_head(device)
            .await
            .expect("chain_head")
            .as_deref(),
        Some("u2")
    );
}

/// A receipt chained with its audit entry: a head that moves stores the binding and the
/// entry; a head that does not stores neither. Leaves no audit entry behind.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn chain_and_its_audit_entry_are_stored_together(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-chain-audit");
    let device = "suite-audited-device";
    let entry = |key: &str| AuditEntry {
        scope: scope.clone(),
        direction: Direction::Outbound,
        system: "tax".into(),
        kind: "receipt".into(),
        key: key.to_owned(),
        payload: json!({"uuid": key}),
    };
    let entries_now = || async {
        // Counted by pruning them all: the suite's other checks leave none.
        store
            .prune_audit(Utc::now() + TimeDelta::minutes(1))
            .await
            .expect("prune_audit")
    };
    assert_eq!(entries_now().await, 0, "no audit entry before the check");
    let receipt = binding(&scope, "receipt", "sale-1", "a1");
    let advance = |expected: &'static str| {
        let (receipt, entry) = (receipt.clone(), entry("sale-1"));
        async move {
            store
                .advance_chain_audited(device, expected, "a1", &receipt, &entry)
                .await
                .expect("advance_chain_audited")
        }
    };
    assert!(
        !advance("not-the-head").await,
        "an empty chain only moves from \"\""
    );
    assert_eq!(
        store
            .binding(&scope, "receipt", "sale-1")
            .await
            .expect("binding"),
        None
    );
    assert_eq!(
        entries_now().await,
        0,
        "a head that does not move stores no audit entry"
    );

    assert!(advance("").await);
    assert_eq!(
        store
            .chain_head(device)
            .await
            .expect("chain_head")
            .as_deref(),
        Some("a1")
    );
    if let Some(operator) = store.operator() {
        let trail = operator
            .audit_trail(&scope, &["sale-1"], 10)
            .await
            .expect("audit_trail");
        assert_eq!(trail.len(), 1, "one entry for the receipt: {trail:?}");
        assert_eq!(trail[0].entry, entry("sale-1"));
    }
    assert_eq!(
        entries_now().await,
        1,
        "a head that moves stores its audit entry"
    );
}

/// Audit: entries are kept, and pruning deletes exactly those older than the cut-off.
///
/// Expects that nothing else wrote audit entries to the store.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn audit_is_kept_and_pruned(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-audit");
    let start = Utc::now();
    for (n, direction) in [Direction::Inbound, Direction::Outbound, Direction::Inbound]
        .into_iter()
        .enumerate()
    {
        store
            .audit(&AuditEntry {
                scope: scope.clone(),
                direction,
                system: "shopify".into(),
                kind: "order".into(),
                key: format!("order-{n}"),
                payload: json!({"n": n, "total": "10.50"}),
            })
            .await
            .expect("audit");
    }
    assert_eq!(
        store
            .prune_audit(start - TimeDelta::hours(1))
            .await
            .expect("prune_audit"),
        0,
        "entries newer than the cut-off must be kept"
    );
    assert_eq!(
        store
            .prune_audit(Utc::now() + TimeDelta::minutes(1))
            .await
            .expect("prune_audit"),
        3,
        "entries older than the cut-off must be deleted (and were kept until then)"
    );
    assert_eq!(
        store
            .prune_audit(Utc::now() + TimeDelta::minutes(1))
            .await
            .expect("prune_audit"),
        0,
        "pruned entries are gone"
    );
}

/// Finished jobs and webhook event ids are pruned after their retention; jobs that have not
/// finished are kept, and a pruned event id is new again.
///
/// # Panics
///
/// When a rule is broken or the store returns an error.
pub async fn finished_jobs_and_events_are_pruned(store: &dyn StateStore) {
    let scope = StoreScope::new("suite-prune");
    let done = enqueue(store, &scope, "prune-done", "suite-prune:a").await;
    finish_all(store, "suite-prune-worker", [done]).await;
    let waiting = enqueue(store, &scope, "prune-waiting", "suite-prune:b").await;
    assert!(store.record_event(&scope, "evt-old").await.expect("event"));
    assert_eq!(
        store
            .prune_jobs(Utc::now() - TimeDelta::hours(1))
            .await
            .expect("prune_jobs"),
        0,
        "a job finished after the cut-off is kept"
    );
    assert!(store.job(done).await.expect("job").is_some());
    store
        .prune_jobs(Utc::now() + TimeDelta::minutes(1))
        .await
        .expect("prune_jobs");
    assert!(
        store.job(done).await.expect("job").is_none(),
        "a finished job older than the cut-off is deleted"
    );
    assert!(
        store.job(waiting).await.expect("job").is_some(),
        "a job that has not finished is kept"
    );
    store
        .prune_events(Utc::now() - TimeDelta::hours(1))
        .await
        .expect("prune_events");
    assert!(
        !store.record_event(&scope, "evt-old").await.expect("event"),
        "an event newer than the cut-off is still known"
    );
    store
        .prune_events(Utc::now() + TimeDelta::minutes(1))
        .await
        .expect("prune_events");
    assert!(
        store.record_event(&scope, "evt-old").await.expect("event"),
        "a pruned event id is new again"
    );
    finish_all(store, "suite-prune-worker", [waiting]).await;
}

/// Two workers, each with its own handle on one database, lease (three at a time) and complete
/// 48 jobs over 4 resources at the same time: no job is leased twice and no resource is held by both at
/// once; every job ends done.
///
/// Both stores must be migrated and share one otherwise idle database.
///
/// # Panics
///
/// When the rule is broken, the store errs, or the jobs are not all done within a minute.
pub async fn concurrent_leases(a: &dyn StateStore, b: &dyn StateStore) {
    // Fewer resources than two workers' leases could cover: they contend for every one.
    const RESOURCES: usize = 4;
    const PER_RESOURCE: usize = 12;
    let scope = StoreScope::new("race-lease");
    let mut all = HashSet::new();
    for n in 0..PER_RESOURCE {
        for r in 0..RESOURCES {
            let key = format!("job-{r}-{n}");
            let resource = format!("race-lease:R{r}");
            let (id, created) = a
                .enqueue(new_job(
                    &scope,
                    "race",
                    &key,
                    &resource,
                    json!({"r": r, "n": n}),
                ))
                .await
                .expect("enqueue");
            assert!(created);
            all.insert(id);
        }
    }
    let total = all.len();
    let shared = Race::default();
    let run = async {
        futures::join!(
            lease_worker(a, "race-w1", &shared, total),
            lease_worker(b, "race-w2", &shared, total)
        )
    };
    let (one, two) = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("two workers must finish 48 jobs within a minute");
    let seen = shared.seen.lock().expect("lock").clone();
    assert_eq!(
        seen.keys().copied().collect::<HashSet<_>>(),
        all,
        "every job must be leased exactly once"
    );
    assert_eq!(one + two, total);
    let done = a.jobs(&scope, Some(JobState::Done)).await.expect("jobs");
    assert_eq!(done.len(), total, "every job must end done");
}

/// Two workers, each with its own handle on one database, race to extend one device's
/// receipt chain: first in lock step (both read the same head, then both try to advance it:
/// exactly one wins each step), then freely. Afterwards the chain has no fork and no gap:
/// every new head was advanced from the previous head, and each winner's binding was stored
/// while no loser's was.
///
/// Both stores must be migrated and share one database.
///
/// # Panics
///
/// When the rule is broken, the store errs, or the race takes over a minute.
pub async fn concurrent_chain(a: &dyn StateStore, b: &dyn StateStore) {
    let scope = StoreScope::new("race-chain");
    let device = "race-device";
    let barrier = tokio::sync::Barrier::new(2);
    let race = async {
        futures::join!(
            chain_worker("race-w1", a, &scope, device, &barrier),
            chain_worker("race-w2", b, &scope, device, &barrier)
        )
    };
    let (one, two) = tokio::time::timeout(Duration::from_secs(60), race)
        .await
        .expect("the chain race must finish within a minute");

    for step in 0..LOCKSTEP {
        let here: Vec<&Attempt> = one
            .iter()
            .chain(&two)
            .filter(|attempt| attempt.step == Some(step))
            .collect();
        assert_eq!(here.len(), 2);
        assert_eq!(
            here[0].expected, here[1].expected,
            "both read the same head in step {step}"
        );
        let winners = here.iter().filter(|attempt| attempt.ok).count();
        assert_eq!(
            winners, 1,
            "exactly one worker must win step {step}, {winners} did"
        );
    }

    let mut next: HashMap<&str, &str> = HashMap::new();
    let mut wins = 0;
    for attempt in one.iter().chain(&two) {
        let stored = a
            .binding(&scope, "receipt", &attempt.new)
            .await
            .expect("binding");
        if attempt.ok {
            wins += 1;
            let previous = next.insert(attempt.expected.as_str(), attempt.new.as_str());
            assert!(
                previous.is_none(),
                "the chain forked at {:?}: both {:?} and {:?} were advanced from it",
                attempt.expected,
                previous,
                attempt.new
            );
            let stored = stored.expect("a winner's binding must be stored");
            assert_eq!(stored.data, json!({"previous": attempt.expected}));
        } else {
            assert_eq!(stored, None, "a loser's binding must not be stored");
        }
    }
    assert!(wins >= LOCKSTEP, "at least one win per lock step");
    let mut head = "";
    let mut length = 0;
    while let Some(new) = next.get(head) {
        head = new;
        length += 1;
    }
    assert_eq!(
        length, wins,
        "every win must be on the one chain from the start (no gap)"
    );
    assert_eq!(
        a.chain_head(device).await.expect("chain_head").as_deref(),
        Some(head),
        "the stored head must be the end of the chain"
    );
}

/// How many lock steps and free attempts each worker of [`concurrent_chain`] makes.
const LOCKSTEP: usize = 15;
const FREE: usize = 25;

async fn chain_worker(
    name: &str,
    store: &dyn StateStore,
    scope: &StoreScope,
    device: &str,
    barrier: &tokio::sync::Barrier,
) -> Vec<Attempt> {
    let mut attempts = Vec::new();
    for step in 0..LOCKSTEP {
        barrier.wait().await;
        let head = store
            .chain_head(device)
            .await
            .expect("chain_head")
            .unwrap_or_default();
        barrier.wait().await;
        let new = format!("{name}-lockstep-{step}");
        let ok = advance(store, scope, device, &head, &new).await;
        attempts.push(Attempt {
            step: Some(step),
            expected: head,
            new,
            ok,
        });
        barrier.wait().await;
    }
    for step in 0..FREE {
        let head = store
            .chain_head(device)
            .await
            .expect("chain_head")
            .unwrap_or_default();
        let new = format!("{name}-free-{step}");
        let ok = advance(store, scope, device, &head, &new).await;
        attempts.push(Attempt {
            step: None,
            expected: head,
            new,
            ok,
        });
    }
    attempts
}

/// One attempt to advance the chain in [`concurrent_chain`].
#[derive(Debug)]
struct Attempt {
    step: Option<usize>,
    expected: String,
    new: String,
    ok: bool,
}

async fn advance(
    store: &dyn StateStore,
    scope: &StoreScope,
    device: &str,
    expected: &str,
    new: &str,
) -> bool {
    let mut receipt = binding(scope, "receipt", new, new);
    receipt.data = json!({"previous": expected});
    store
        .advance_chain(device, expected, new, &receipt)
        .await
        .expect("advance_chain")
}

/// What the two workers of [`concurrent_leases`] share.
#[derive(Debug, Default)]
struct Race {
    /// Resource → (worker, job) for every lease a worker holds right now.
    held: Mutex<HashMap<String, (String, i64)>>,
    /// Job → the worker that leased it.
    seen: Mutex<HashMap<i64, String>>,
}

async fn lease_worker(store: &dyn StateStore, name: &str, race: &Race, total: usize) -> usize {
    let mut finished = 0;
    loop {
        if race.seen.lock().expect("lock").len() == total && finished_all(race) {
            return finished;
        }
        let jobs = store
            .lease(name, 3, LEASE, Utc::now())
            .await
            .expect("lease");
        if jobs.is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        for job in &jobs {
            claim(race, name, job);
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
        for job in &jobs {
            release(store, race, name, job).await;
            finished += 1;
            // Go on down the same resource, as the engine's runner does.
            let mut last = job.id;
            while let Some(next) = store
                .lease_next(name, &job.resource, last, LEASE, Utc::now())
                .await
                .expect("lease_next")
            {
                claim(race, name, &next);
                tokio::time::sleep(Duration::from_millis(1)).await;
                release(store, race, name, &next).await;
                finished += 1;
                last = next.id;
            }
        }
    }
}

/// Finishes `job`: released in our book before the store frees it (so the other worker can
/// only lease it after this), then started and completed in the store.
async fn release(store: &dyn StateStore, race: &Race, name: &str, job: &Job) {
    race.held.lock().expect("lock").remove(&job.resource);
    store
        .mark_started(job.id, name)
        .await
        .expect("mark_started");
    store
        .complete(job.id, name, json!({"by": name}))
        .await
        .expect("complete: the lease must still be ours");
}

/// Records that `name` holds `job`; panics when another worker holds its resource or had
/// the job before.
fn claim(race: &Race, name: &str, job: &Job) {
    let mut held = race.held.lock().expect("lock");
    if let Some((other, other_id)) = held.insert(job.resource.clone(), (name.to_owned(), job.id)) {
        panic!(
            "resource {} leased to {name} (job {}) while {other} holds it (job {other_id})",
            job.resource, job.id
        );
    }
    let mut seen = race.seen.lock().expect("lock");
    if let Some(other) = seen.insert(job.id, name.to_owned()) {
        panic!("job {} leased to {name} after {other} had it", job.id);
    }
}

fn finished_all(race: &Race) -> bool {
    race.held.lock().expect("lock").is_empty()
}

/// Leases the given jobs (and nothing else may be runnable) and completes them.
async fn finish_all(store: &dyn StateStore, worker: &str, ids: impl IntoIterator<Item = i64>) {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    let leased = store
        .lease(worker, ids.len() + 10, LEASE, Utc::now())
        .await
        .expect("lease");
    assert_eq!(
        sorted_ids(&leased),
        ids,
        "exactly these jobs must be runnable"
    );
    for job in leased {
        store
            .complete(job.id, worker, json!({}))
            .await
            .expect("complete");
    }
}

async fn assert_idle(store: &dyn StateStore, after: &str) {
    let depth = store.queue_depth().await.expect("queue_depth");
    assert_eq!(
        (depth[&JobState::Pending], depth[&JobState::Running]),
        (0, 0),
        "after {after}: no job may be left pending or running"
    );
}

async fn enqueue(store: &dyn StateStore, scope: &StoreScope, key: &str, resource: &str) -> i64 {
    let (id, created) = store
        .enqueue(new_job(scope, "suite", key, resource, json!({"key": key})))
        .await
        .expect("enqueue");
    assert!(created, "{key} must be a new job");
    id
}

fn new_job(
    scope: &StoreScope,
    kind: &str,
    key: &str,
    resource: &str,
    payload: serde_json::Value,
) -> NewJob {
    NewJob {
        scope: scope.clone(),
        kind: kind.into(),
        key: key.into(),
        resource: resource.into(),
        payload,
    }
}

fn binding(scope: &StoreScope, kind: &str, key: &str, remote_id: &str) -> Binding {
    Binding {
        scope: scope.clone(),
        kind: kind.into(),
        key: key.into(),
        remote_id: remote_id.into(),
        content_hash: None,
        data: json!({}),
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

fn sorted_ids(jobs: &[Job]) -> Vec<i64> {
    let mut ids: Vec<i64> = jobs.iter().map(|job| job.id).collect();
    ids.sort_unstable();
    ids
}

fn assert_lease_lost(result: Result<(), StoreError>, id: i64, what: &str) {
    assert!(
        matches!(result, Err(StoreError::LeaseLost(lost)) if lost == id),
        "{what} by a worker whose lease was taken over must be LeaseLost({id}), got {result:?}"
    );
}

/// `at` without its sub-second part, so it survives any backend's timestamp precision.
fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at)
}
