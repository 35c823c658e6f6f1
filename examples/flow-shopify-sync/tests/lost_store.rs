//! The state store is a cache, the three systems are the truth: the binary runs against the
//! sandbox, its state file is deleted, and a second run over the same window (plus a few new
//! orders) must find in Flow and at ETA what the first run wrote instead of writing it again,
//! and go on with each POS device's chain from the last receipt ETA holds.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;

use sandbox::{FaultRates, Sandbox, SandboxConfig};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_flow-shopify-sync");

async fn run_once(config: &Path) {
    let config = config.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["run", "--once", "--config"])
            .arg(&config)
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("the run task");
    assert!(
        out.status.success(),
        "exit {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the stand-ins hold: every Flow document and return once by its reference; at ETA no
/// refused receipt, no receipt number twice, and each device's chain without a gap. Returns
/// (documents, returns, receipts).
fn check(dump: &Value) -> (usize, usize, usize) {
    let docs = dump["flow"]["sales_documents"]
        .as_array()
        .expect("documents");
    let refs: HashSet<&str> = docs
        .iter()
        .map(|d| d["external_ref"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(refs.len(), docs.len(), "a Flow document was created twice");
    let returns = dump["flow"]["returns"].as_array().expect("returns");
    let return_refs: HashSet<&str> = returns
        .iter()
        .map(|r| r["external_ref"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        return_refs.len(),
        returns.len(),
        "a Flow return was saved twice"
    );

    let receipts = dump["eta"]["receipts"].as_array().expect("receipts");
    let refused: Vec<&Value> = receipts.iter().filter(|r| r["status"] != "Valid").collect();
    assert!(refused.is_empty(), "ETA refused receipts: {refused:#?}");
    let mut numbers = HashSet::new();
    let mut last: HashMap<&str, &str> = HashMap::new();
    for r in receipts {
        let number = r["receipt_number"].as_str().unwrap_or_default();
        assert!(numbers.insert(number), "receipt {number} issued twice");
        let device = r["device"].as_str().unwrap_or_default();
        let uuid = r["uuid"].as_str().unwrap_or_default();
        assert_eq!(
            r["previous_uuid"].as_str().unwrap_or_default(),
            *last.get(device).unwrap_or(&""),
            "chain gap before {uuid}"
        );
        last.insert(device, uuid);
    }
    assert_eq!(
        dump["eta"]["receipts"].as_array().map(Vec::len),
        Some(numbers.len())
    );
    (docs.len(), returns.len(), receipts.len())
}

fn no_dead_letters(config: &Path) {
    let out = Command::new(BIN)
        .args(["dlq", "list", "--json", "--config"])
        .arg(config)
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let list: serde_json::Value = serde_json::from_str(&text).expect("dlq list --json is JSON");
    assert_eq!(list["jobs"], serde_json::json!([]), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_state_file_duplicates_no_document_and_no_receipt_and_breaks_no_chain() {
    let mut config = SandboxConfig {
        seed: 19,
        orders: 16,
        catalog_groups: 3,
        faults: FaultRates::none(),
        ..SandboxConfig::default()
    };
    // Generated orders are spread over the past hours; the runs issue receipts now.
    config.eta.max_receipt_age = None;
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let dir = tempfile::tempdir().unwrap();
    let config = sandbox::sync_config::write(&sandbox, dir.path()).expect("config written");

    run_once(&config).await;
    let (documents, returns, receipts) = check(&sandbox.dump());
    assert!(documents > 0 && receipts > 0, "the first run wrote nothing");

    // The state file is lost (a new machine, a store started empty).
    let mut deleted = 0;
    for name in ["state.db", "state.db-wal", "state.db-shm"] {
        if std::fs::remove_file(dir.path().join(name)).is_ok() {
            deleted += 1;
        }
    }
    assert!(deleted > 0, "no state file to delete");
    // Sales made while the store was being replaced: their receipts go on from ETA's chain.
    sandbox.generate_orders(3).unwrap();

    run_once(&config).await;
    let dump = sandbox.dump();
    let (documents_after, returns_after, receipts_after) = check(&dump);
    assert!(documents_after > documents, "the new orders reached Flow");
    assert!(returns_after >= returns);
    assert!(receipts_after > receipts, "the new sales got receipts");
    let stats = sandbox.eta().stats();
    assert_eq!(stats["receipts_rejected"], 0, "{stats}");
    no_dead_letters(&config);

    // A third run finds nothing left to write.
    run_once(&config).await;
    assert_eq!(
        check(&sandbox.dump()),
        (documents_after, returns_after, receipts_after)
    );
    sandbox.shutdown().await;
}
