//! Writing into a closed pipe (`dlq list | head -0`) ends quietly, never with a panic.

use std::process::{Command, Stdio};

use sandbox::{Sandbox, SandboxConfig};

const BIN: &str = env!("CARGO_BIN_EXE_flow-shopify-sync");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_the_screen_quietly() {
    let sandbox = Sandbox::start(SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let dir = tempfile::tempdir().unwrap();
    let path = sandbox::sync_config::write(&sandbox, dir.path()).expect("config written");
    // A pipe whose reader is gone before the screen writes.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let output = Command::new(BIN)
        .args(["dlq", "list", "--config"])
        .arg(&path)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        output.status.success(),
        "exit {:?}: {stderr}",
        output.status.code()
    );
    sandbox.shutdown().await;
}
