//! `sandbox serve` as a process: one JSON line when ready, admin endpoints, clean stop.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

#[test]
fn serve_prints_one_json_line_with_the_urls_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args([
            "serve",
            "--seed",
            "5",
            "--catalog",
            "3",
            "--orders",
            "0",
            "--faults",
            "none",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sandbox binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("ready line within 60 s");
    let ready: Value = serde_json::from_str(line.trim()).expect("one JSON line");
    assert_eq!(ready["seed"], 5);
    for key in ["shopify_url", "flow_url", "eta_url"] {
        let url = ready[key].as_str().unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "{key} = {url}");
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let flow = ready["flow_url"].as_str().unwrap().to_string();
    let eta = ready["eta_url"].as_str().unwrap().to_string();
    let (stats, dump) = rt.block_on(async {
        let http = reqwest::Client::new();
        let stats: Value = http
            .get(format!("{eta}/__admin/stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let dump: Value = http
            .get(format!("{flow}/__admin/dump"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (stats, dump)
    });
    assert!(stats["requests"].is_object());
    assert!(!dump["flow"]["items"].as_array().unwrap().is_empty());
    assert!(dump["eta"]["receipts"].as_array().unwrap().is_empty());

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let code = child.wait().expect("sandbox exits");
    assert!(code.success(), "clean exit on SIGTERM, got {code:?}");
}

#[test]
fn serve_refuses_a_bad_probability_naming_the_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args(["serve", "--throttle", "1.5"])
        .output()
        .expect("sandbox binary runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--throttle"), "{err}");
    assert!(err.contains("between 0 and 1"), "{err}");
}
