//! Set-up shared by the binary's tests: a sandbox with a configuration written for it, and the
//! binary run against it.

// Each test file uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sandbox::{FaultRates, RunningSandbox, Sandbox, SandboxConfig};

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_flow-shopify-sync");

/// A running sandbox, its configuration file and the folder holding it (and the state file).
pub(crate) struct Site {
    /// The stand-ins.
    pub(crate) sandbox: RunningSandbox,
    /// The folder of the configuration, its secret files and the SQLite state file.
    pub(crate) dir: tempfile::TempDir,
    /// The configuration file.
    pub(crate) config: PathBuf,
}

/// A sandbox seeded with `seed`, `orders` orders and `groups` item groups, without faults
/// unless `faults` says otherwise, whose receipts may be issued now for orders of the past
/// hours; and a configuration for it.
pub(crate) async fn site(seed: u64, orders: usize, groups: usize, faults: FaultRates) -> Site {
    site_from(SandboxConfig {
        seed,
        orders,
        catalog_groups: groups,
        faults,
        ..SandboxConfig::default()
    })
    .await
}

/// As [`site`], from a whole sandbox configuration.
pub(crate) async fn site_from(mut config: SandboxConfig) -> Site {
    config.eta.max_receipt_age = None;
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let config = sandbox::sync_config::write(&sandbox, dir.path()).expect("config written");
    Site {
        sandbox,
        dir,
        config,
    }
}

/// Runs the binary with `args` and `--config config`, off the async runtime.
pub(crate) async fn run(args: &[&str], config: &Path) -> Output {
    let (args, config): (Vec<String>, _) = (
        args.iter().map(|a| (*a).to_owned()).collect(),
        config.to_path_buf(),
    );
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .arg("--config")
            .arg(&config)
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("the run task")
}
