//! Registered item codes through the real binary against the sandbox: with
//! `eta.item_codes.check_registered`, a receipt whose item code ETA does not list as registered
//! and active is parked naming the code (not issued to become Invalid); `eta-codes` prepares
//! the code-usage requests from the Flow catalogue, shows them, files them only with
//! `--submit`; once ETA approves them, replaying the parked jobs issues the receipts.

mod support;

use std::io::Write as _;
use std::path::Path;

use sandbox::{FaultRates, Sandbox, SandboxConfig};
use serde_json::Value;
use support::run;

async fn json_screen(args: &[&str], config: &Path) -> (i32, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let out = run(&all, config).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stdout.lines().next().unwrap_or_default();
    let value: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{args:?} --json is not JSON ({e}): {stdout}\n{stderr}"));
    (out.status.code().expect("an exit code"), value)
}

/// The keys of a JSON value, recursively (values replaced by their type), for the snapshot.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_codes_park_receipts_and_eta_codes_files_requests_only_when_asked() {
    let mut config = SandboxConfig {
        seed: 41,
        orders: 3,
        catalog_groups: 2,
        faults: FaultRates::none(),
        ..SandboxConfig::default()
    };
    config.eta.max_receipt_age = None;
    // ETA lists no code of this taxpayer yet.
    config.eta.registered_item_codes = Some(Vec::new());
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = sandbox::sync_config::write(&sandbox, dir.path()).expect("config written");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    writeln!(file, "\n[eta.item_codes]\ncheck_registered = true\n").unwrap();
    drop(file);

    // Orders reach Flow; their receipts are parked on their unregistered codes.
    let (_, orders) = json_screen(&["orders", "pull"], &path).await;
    assert!(orders["summary"]["parked"].as_u64() >= Some(1), "{orders}");
    let (code, dlq) = json_screen(&["dlq", "list"], &path).await;
    assert_eq!(code, 1, "{dlq}");
    let parked: Vec<&Value> = dlq["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["state"] == "parked")
        .collect();
    assert!(!parked.is_empty(), "{dlq}");
    let rin = sandbox.config().eta.taxpayer_rin.clone();
    for job in &parked {
        let waiting = job["waiting_for"].as_str().unwrap();
        assert!(
            waiting.starts_with(&format!("eta-item-code:EG-{rin}-")),
            "{job}"
        );
        let error = job["error"].as_str().unwrap();
        assert!(
            error.contains("not registered") && error.contains("SKU"),
            "{job}"
        );
    }
    assert!(
        sandbox.eta().dump()["receipts"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was submitted"
    );

    // Prepared and shown, not filed.
    let (code, prepared) = json_screen(&["eta-codes"], &path).await;
    assert_eq!(code, 1, "{prepared}");
    assert_eq!(prepared["submitted"], false);
    let requests = prepared["requests"].as_array().unwrap();
    assert!(!requests.is_empty(), "{prepared}");
    assert!(
        prepared["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["sku"] == "SHIPPING" && r["action"] == "request"),
        "{prepared}"
    );
    // The goodwill credit's service line needs a code of its own.
    assert!(
        prepared["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["sku"] == "CREDIT" && r["action"] == "request"),
        "{prepared}"
    );
    assert!(sandbox.eta().code_requests().is_empty());
    insta::assert_json_snapshot!("eta_codes", shape(&prepared));

    // Without a GPC brick code, --submit refuses and names the key.
    let out = run(&["eta-codes", "--submit"], &path).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("eta.item_codes.parent_code"));
    assert!(sandbox.eta().code_requests().is_empty());

    let (code, filed) = json_screen(
        &["eta-codes", "--submit", "--parent-code", "10000115"],
        &path,
    )
    .await;
    assert_eq!(code, 1, "{filed}");
    assert_eq!(filed["submitted"], true);
    let at_eta = sandbox.eta().code_requests();
    assert_eq!(at_eta.len(), requests.len());
    assert!(at_eta.iter().all(|(_, status)| status == "Submitted"));

    // Filed again: nothing new to request, everything waits for ETA.
    let (_, again) = json_screen(&["eta-codes"], &path).await;
    assert!(again["requests"].as_array().unwrap().is_empty(), "{again}");
    assert!(
        again["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] == "wait"),
        "{again}"
    );

    // ETA approves; the parked receipts are issued on replay and ETA finds them valid.
    for (code, _) in &at_eta {
        assert!(sandbox.eta().decide_code_request(code, true));
    }
    let (code, codes) = json_screen(&["eta-codes"], &path).await;
    assert_eq!(code, 0, "{codes}");
    json_screen(&["dlq", "replay", "--all"], &path).await;
    json_screen(&["receipts", "submit"], &path).await;
    // ETA's verdict comes after its synchronous checks: the receipts are polled to it.
    run(&["run", "--once"], &path).await;
    let (_, receipts) = json_screen(&["receipts", "status"], &path).await;
    let states: Vec<&str> = receipts
        .as_array()
        .expect("one object per receipt")
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"valid"), "{receipts}");
    assert!(
        !states
            .iter()
            .any(|s| ["invalid", "rejected", "parked"].contains(s)),
        "{receipts}"
    );
    sandbox.shutdown().await;
}
