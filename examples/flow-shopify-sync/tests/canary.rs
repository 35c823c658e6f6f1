//! A secret canary end to end: every secret the connector holds is set to a recognisable
//! value, a run under harsh faults is logged at `--log trace`, and none of the values may
//! appear in its output, its dead letters, its state store, `/metrics` or `/healthz`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use sandbox::{FaultRates, Sandbox, SandboxConfig};

const BIN: &str = env!("CARGO_BIN_EXE_flow-shopify-sync");

/// The secrets, each recognisable wherever it leaks.
const CANARIES: [&str; 4] = [
    "canary-shopify-secret-7Q2x",
    "canary-flow-password-9Zk4",
    "canary-eta-secret-3Vn8",
    "canary-eta-psk-5Hw1",
];

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs the binary with `args` and returns its exit success and everything it printed.
fn run(config: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(BIN)
        .args(["--log", "trace"])
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn assert_no_canary(place: &str, text: &str) {
    for canary in CANARIES {
        assert!(!text.contains(canary), "{canary} leaked into {place}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_dead_letters_the_store_metrics_or_health() {
    let mut config = SandboxConfig {
        seed: 21,
        orders: 8,
        catalog_groups: 3,
        faults: FaultRates::harsh(),
        ..SandboxConfig::default()
    };
    config.eta.max_receipt_age = None;
    config.shopify.client_secret = CANARIES[0].to_owned();
    config.flow.pass = CANARIES[1].to_owned();
    config.eta.client_secret = CANARIES[2].to_owned();
    for device in &mut config.eta.devices {
        device.preshared_key = CANARIES[3].to_owned();
    }
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let dir = tempfile::tempdir().unwrap();
    let path = sandbox::sync_config::write(&sandbox, dir.path()).expect("config written");
    let port = free_port();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"127.0.0.1:{port}\""),
        )
        .replace("interval_secs = 30", "interval_secs = 3600");
    std::fs::write(&path, text).unwrap();

    let mut logs = String::new();
    let finished = tokio::task::spawn_blocking({
        let path = path.clone();
        move || {
            let mut logs = String::new();
            for _ in 0..12 {
                let (ok, text) = run(&path, &["run", "--once"]);
                logs.push_str(&text);
                if ok {
                    return (true, logs);
                }
            }
            (false, logs)
        }
    })
    .await
    .unwrap();
    logs.push_str(&finished.1);
    assert!(finished.0, "the runs did not finish");
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "the runs logged at trace level"
    );
    assert_no_canary("the logs", &logs);
    let (_, dead) = run(&path, &["dlq", "list"]);
    assert_no_canary("the dead letters", &dead);

    // The daemon's /metrics and /healthz.
    let mut daemon = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut pages = String::new();
    for route in ["healthz", "metrics"] {
        let mut page = None;
        for _ in 0..100 {
            if let Ok(answer) = client
                .get(format!("http://127.0.0.1:{port}/{route}"))
                .send()
                .await
            {
                page = answer.text().await.ok();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        pages.push_str(&page.unwrap_or_else(|| panic!("/{route} did not answer")));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status();
    let _ = daemon.wait();
    assert!(pages.contains("status"), "{pages}");
    assert_no_canary("/metrics and /healthz", &pages);

    // The state store, byte for byte (the database and its write-ahead log).
    for name in ["state.db", "state.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
            assert_no_canary(name, &String::from_utf8_lossy(&bytes));
        }
    }
    sandbox.shutdown().await;
}
