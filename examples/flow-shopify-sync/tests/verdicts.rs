//! ETA receipts carried to their final status, end to end through the binary and the sandbox:
//! a receipt ETA finds Invalid becomes a dead letter naming ETA's reasons, a return waits for
//! its sale, the cause is fixed (the item codes registered in the stand-in), the replayed dead
//! letter issues a replacement naming the Invalid receipt in `referenceOldUUID` that ETA finds
//! Valid, and the return then references the replacement; and a crash while receipts await
//! their verdict loses nothing and sends nothing twice.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::Value;
use support::*;

mod support;

/// Runs the binary with `args` against `config`.
async fn cli_async(config: &Path, args: &[&'static str]) -> (i32, Value) {
    cli_env_async(config, args, &[]).await
}

async fn start(
    registered: Option<Vec<String>>,
    delay: Duration,
) -> (RunningSandbox, tempfile::TempDir, std::path::PathBuf) {
    let mut config = SandboxConfig {
        seed: 17,
        orders: 3,
        catalog_groups: 2,
        refund_rate: 0.0,
        cancel_rate: 0.0,
        ..SandboxConfig::default()
    };
    config.eta.max_receipt_age = None;
    config.eta.registered_item_codes = registered;
    config.eta.validation_delay = delay;
    let sandbox = Sandbox::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = sandbox::sync_config::write(&sandbox, dir.path()).unwrap();
    (sandbox, dir, path)
}

fn eta_receipts(sandbox: &RunningSandbox) -> Vec<Value> {
    sandbox.dump()["eta"]["receipts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_receipt_is_a_dead_letter_then_replaced_once_fixed_and_its_return_waits() {
    // No item code is registered: ETA takes every receipt, then finds it Invalid.
    let (sandbox, _dir, config) = start(Some(Vec::new()), Duration::ZERO).await;
    let (code, pass) = cli_async(&config, &["run", "--once", "--json"]).await;
    assert!(code == 0 || code == 1, "{pass}");
    let at_eta = eta_receipts(&sandbox);
    assert!(!at_eta.is_empty(), "receipts were sent");
    assert!(
        at_eta.iter().all(|r| r["status"] == "Invalid"),
        "{at_eta:?}"
    );

    // Each is listed invalid with ETA's reasons, none counts as valid, and each is a dead
    // letter naming the reasons.
    let (_, invalid) = cli_async(
        &config,
        &["receipts", "status", "--state", "invalid", "--json"],
    )
    .await;
    let invalid = invalid.as_array().cloned().unwrap_or_default();
    assert_eq!(invalid.len(), at_eta.len(), "{invalid:?}");
    for r in &invalid {
        assert_eq!(r["eta_status"], "Invalid");
        assert!(
            r["reason"]
                .as_str()
                .unwrap_or("")
                .contains("ItemCodeNotRegistered"),
            "{r}"
        );
        assert!(r["deadline"].is_string(), "{r}");
    }
    let (_, valid) = cli_async(
        &config,
        &["receipts", "status", "--state", "valid", "--json"],
    )
    .await;
    assert_eq!(valid, serde_json::json!([]));
    let (code, dlq) = cli_async(&config, &["dlq", "list", "--json"]).await;
    assert_eq!(code, 1, "{dlq}");
    let dead: Vec<&Value> = dlq["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "replace_receipt")
        .collect();
    assert_eq!(dead.len(), at_eta.len(), "{dlq}");
    assert!(
        dead.iter()
            .all(|j| j.to_string().contains("ItemCodeNotRegistered")),
        "{dlq}"
    );

    // A return of the first order: its receipt waits while the sale is Invalid.
    let dump = sandbox.dump();
    let order = first_paid_order(&dump);
    sandbox
        .create_return(&pos_return_of_one(&order, Vec::new()))
        .unwrap();
    let before_return = eta_receipts(&sandbox).len();
    cli_async(&config, &["run", "--once", "--json"]).await;
    assert_eq!(
        eta_receipts(&sandbox).len(),
        before_return,
        "no return receipt while its sale is Invalid"
    );

    // The cause fixed: the item codes registered for the taxpayer.
    let codes: Vec<String> = eta_receipts(&sandbox)
        .iter()
        .flat_map(|r| {
            let raw: Value = serde_json::from_str(r["raw"].as_str().unwrap_or("{}")).unwrap();
            raw["itemData"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|l| l["itemCode"].as_str().map(str::to_owned))
        })
        .collect();
    sandbox.eta().register_item_codes(&codes);
    let (code, replayed) = cli_async(&config, &["dlq", "replay", "--all", "--json"]).await;
    assert!(code == 0 || code == 1, "{replayed}");
    // The waiting return goes on once its sale's replacement is Valid.
    // The return polls its sale's state at a pace that slows with its age (half of it, at
    // most `receipt_poll_max`, 5 minutes): on a busy machine it can be due after a run's
    // drain, so runs go on (a few seconds apart) until it is issued, within a bound.
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(540) {
        cli_async(&config, &["run", "--once", "--json"]).await;
        if eta_receipts(&sandbox)
            .iter()
            .any(|r| r["receipt_type"] == "r" && r["status"] == "Valid")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }

    let all = eta_receipts(&sandbox);
    let replacements: Vec<&Value> = all
        .iter()
        .filter(|r| {
            r["reference_old_uuid"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        })
        .collect();
    assert_eq!(
        replacements.len(),
        invalid.len(),
        "one replacement per Invalid receipt: {all:?}"
    );
    for r in &replacements {
        assert_eq!(r["status"], "Valid", "{r}");
        let old = r["reference_old_uuid"].as_str().unwrap();
        assert!(invalid.iter().any(|i| i["uuid"] == old), "{r}");
    }
    // Never two Valid receipts for one sale.
    let valid_sales: Vec<&str> = all
        .iter()
        .filter(|r| r["receipt_type"] == "s" && r["status"] == "Valid")
        .map(|r| r["receipt_number"].as_str().unwrap())
        .collect();
    let mut unique = valid_sales.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), valid_sales.len(), "{valid_sales:?}");
    // The return references the sale's replacement.
    let ret = all
        .iter()
        .find(|r| r["receipt_type"] == "r")
        .expect("the return receipt was issued");
    assert_eq!(ret["status"], "Valid", "{ret}");
    assert!(
        replacements
            .iter()
            .any(|r| r["uuid"] == ret["reference_uuid"]),
        "{ret}"
    );

    // The listing: each Invalid receipt names its replacement, the replacements are valid.
    let (code, listed) = cli_async(&config, &["receipts", "status", "--json"]).await;
    assert_eq!(code, 0, "{listed}");
    let listed = listed.as_array().unwrap();
    assert!(
        listed
            .iter()
            .filter(|r| r["state"] == "invalid")
            .all(|r| r["replaced_by"].is_string()),
        "{listed:?}"
    );
    assert!(
        listed
            .iter()
            .filter(|r| r["reference_old_uuid"].is_string())
            .all(|r| r["state"] == "valid"),
        "{listed:?}"
    );
    let (code, dlq) = cli_async(&config, &["dlq", "list", "--json"]).await;
    assert_eq!(code, 0, "no dead letter left: {dlq}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_while_receipts_await_their_verdict_loses_nothing_and_sends_nothing_twice() {
    // ETA decides 20 s after a submission: longer than the adapter's own readings, and long
    // enough that a loaded machine, sending the three receipts in separate submissions
    // seconds apart, still kills the process before the first of them is decided.
    let delay = Duration::from_secs(20);
    let (sandbox, _dir, config) = start(None, delay).await;
    let mut child = Command::new(BIN)
        .args(["run", "--once", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once ETA holds receipts, before it has decided them.
    let mut waited = 0;
    let mut first_held = None;
    while eta_receipts(&sandbox).len() < 3 && waited < 600 {
        if first_held.is_none() && !eta_receipts(&sandbox).is_empty() {
            first_held = Some(std::time::Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    let first_held = first_held.unwrap_or_else(std::time::Instant::now);
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let held = eta_receipts(&sandbox);
    assert!(!held.is_empty());
    assert!(
        held.iter().all(|r| r["status"] != "Valid"),
        "killed {:?} after ETA held the first receipt, before it decided ({delay:?}): {held:?}",
        first_held.elapsed()
    );
    let (_, listed) = cli_async(&config, &["receipts", "status", "--json"]).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] != "valid"),
        "{listed}"
    );

    // A new process on the same store: the stored polling job reads the verdicts.
    let (code, pass) = cli_async(&config, &["run", "--once", "--json"]).await;
    assert_eq!(code, 0, "{pass}");
    let (_, listed) = cli_async(&config, &["receipts", "status", "--json"]).await;
    let listed = listed.as_array().unwrap().clone();
    assert!(!listed.is_empty());
    assert!(listed.iter().all(|r| r["state"] == "valid"), "{listed:?}");
    let at_eta = eta_receipts(&sandbox);
    assert_eq!(
        at_eta.len(),
        listed.len(),
        "each receipt sent once: {at_eta:?}"
    );
    assert!(at_eta.iter().all(|r| r["status"] == "Valid"));
    assert_eq!(sandbox.stats()["eta"]["duplicate_submissions"], 0);
    sandbox.shutdown().await;
}
