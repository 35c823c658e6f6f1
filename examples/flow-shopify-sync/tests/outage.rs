//! A whole system down, end to end: the real binary with a wrong Flow password against the
//! sandbox. The run stops Flow's work quickly, says which system, host and cause, fails no
//! job; with the right password the next run lands every order once.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sandbox::FaultRates;
use support::{run, site};
use sync_core::model::StoreScope;
use sync_core::store::{JobState, SqliteStore, StateStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_flow_password_exits_2_naming_flow_fails_no_job_and_the_right_one_lands_the_orders()
{
    let site = site(5, 8, 3, FaultRates::none()).await;
    let (sandbox, dir, config) = (&site.sandbox, site.dir.path(), &site.config);
    let password = std::fs::read_to_string(dir.join("flow-password")).unwrap();
    std::fs::write(dir.join("flow-password"), "not-the-password").unwrap();

    let started = Instant::now();
    let out = run(&["run", "--once"], config).await;
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // The pass still does the storefront's work (reading customers and orders); Flow's part
    // is a refused login per try, never retried within a call.
    assert!(
        took < Duration::from_secs(60),
        "the run took {took:?}:\n{stderr}"
    );
    let failures = sandbox.stats()["flow"]["login_failures"].as_u64().unwrap();
    assert!(
        (1..=8).contains(&failures),
        "{failures} refused logins: a refused password was retried"
    );
    let host = sandbox.flow_url();
    let host = host.trim_start_matches("http://").trim_end_matches('/');
    assert!(
        stderr.contains(&format!("Flow ERP at {host}: credentials refused")),
        "stderr does not name Flow ERP, {host} and the cause:\n{stderr}"
    );
    assert!(!stderr.contains("not-the-password"), "{stderr}");

    let dlq = run(&["dlq", "list", "--json"], config).await;
    assert!(dlq.status.success());
    let dlq: serde_json::Value = serde_json::from_slice(&dlq.stdout).unwrap();
    assert_eq!(dlq["jobs"], serde_json::json!([]), "{dlq}");
    {
        let store = SqliteStore::open(dir.join("state.db")).await.unwrap();
        let jobs = store.jobs(&StoreScope::new("sandbox"), None).await.unwrap();
        assert!(
            jobs.iter().all(|j| j.state != JobState::Dead),
            "a job failed for the outage: {jobs:?}"
        );
        assert!(
            jobs.iter()
                .filter(|j| j.kind.contains("order"))
                .all(|j| j.state == JobState::Pending),
            "{jobs:?}"
        );
    }
    let dump = sandbox.dump();
    assert!(
        dump["flow"]["sales_documents"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "a document reached Flow with a refused password"
    );

    // Mended: the orders land, each once.
    std::fs::write(dir.join("flow-password"), password).unwrap();
    let out = run(&["run", "--once"], config).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = sandbox.dump();
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    for doc in dump["flow"]["sales_documents"].as_array().unwrap() {
        *by_ref
            .entry(doc["external_ref"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    assert!(by_ref.values().all(|n| *n == 1), "{by_ref:?}");
    let live = dump["shopify"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["cancelled"] == false)
        .count();
    assert_eq!(by_ref.len(), live, "{by_ref:?}");
    site.sandbox.shutdown().await;
}
