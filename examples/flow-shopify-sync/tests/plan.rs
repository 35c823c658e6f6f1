//! `plan` against the run that follows it, through the real clients and the sandbox: the jobs
//! a plan lists are the jobs the run queues from the same decisions.

use std::collections::BTreeSet;

use sandbox::{FaultRates, Sandbox, SandboxConfig};
use sync_core::engine::JobKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_lists_the_jobs_the_following_run_queues_on_the_sandbox() {
    let mut config = SandboxConfig {
        seed: 31,
        orders: 6,
        catalog_groups: 3,
        faults: FaultRates::none(),
        ..SandboxConfig::default()
    };
    config.eta.max_receipt_age = None;
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let dir = tempfile::tempdir().unwrap();
    let path = sandbox::sync_config::write(&sandbox, dir.path()).expect("config written");
    let (_, engine, _) = flow_shopify_sync::demo::engine_for(&path).await.unwrap();

    let plan = engine.plan().await.unwrap();
    let planned: BTreeSet<(JobKind, String)> = plan
        .iter()
        .map(|w| (w.job_kind, w.job_key.clone()))
        .collect();
    let kinds: BTreeSet<JobKind> = planned.iter().map(|(k, _)| *k).collect();
    assert!(
        kinds.contains(&JobKind::PushProduct) && kinds.contains(&JobKind::ImportOrder),
        "the plan of a first run creates products and imports orders: {kinds:?}"
    );
    assert_eq!(planned.len(), plan.len(), "a job is planned twice");
    let before = sandbox.dump();
    assert!(
        before["flow"]["sales_documents"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "plan wrote to Flow"
    );

    engine.run_once().await.unwrap();
    let scope = engine.config().scope.clone();
    let queued: BTreeSet<(JobKind, String)> = engine
        .store()
        .jobs(&scope, None)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|j| Some((j.kind.parse::<JobKind>().ok()?, j.key)))
        .collect();
    let missing: Vec<_> = planned.difference(&queued).collect();
    assert!(missing.is_empty(), "planned but not queued: {missing:?}");
    // The flows whose sources a pass does not change before they are decided queue exactly
    // what was planned; the others (stock after the catalogue, receipts after imports) queue
    // more, which a plan made before the pass cannot know.
    for kind in [
        JobKind::PushProduct,
        JobKind::ImportCustomer,
        JobKind::ImportOrder,
        JobKind::PushPromotion,
    ] {
        let of = |set: &BTreeSet<(JobKind, String)>| -> BTreeSet<String> {
            set.iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, key)| key.clone())
                .collect()
        };
        assert_eq!(of(&planned), of(&queued), "{kind}: plan and run disagree");
    }
    assert!(
        engine
            .plan()
            .await
            .unwrap()
            .iter()
            .all(|w| w.job_kind != JobKind::ImportOrder)
    );
    sandbox.shutdown().await;
}
