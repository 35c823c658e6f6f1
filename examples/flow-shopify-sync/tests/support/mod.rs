//! Set-up shared by the binary's tests: a sandbox with a configuration written for it, and the
//! binary run against it.

// Each test file uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sandbox::shopify::{ExchangeLineSpec, NewReturn, ReturnLineSpec};
use sandbox::{FaultRates, RunningSandbox, Sandbox, SandboxConfig};
use serde_json::Value;

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

/// Runs the binary with `args` against `config`, with the environment variables `env` set;
/// (exit code, stdout as JSON when it is, else `null`). A failed run that printed no JSON
/// shows its output.
pub(crate) fn cli_env(config: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let out = Command::new(BIN)
        .envs(env.iter().copied())
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    if !out.status.success() && value.is_null() {
        eprintln!(
            "{args:?}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (out.status.code().unwrap_or(-1), value)
}

/// [`cli_env`] off the async runtime.
pub(crate) async fn cli_env_async(
    config: &Path,
    args: &[&'static str],
    env: &'static [(&'static str, &'static str)],
) -> (i32, Value) {
    let config = config.to_owned();
    let args = args.to_vec();
    tokio::task::spawn_blocking(move || cli_env(&config, &args, env))
        .await
        .expect("the run task")
}

/// The first paid order of a sandbox dump.
pub(crate) fn first_paid_order(dump: &Value) -> Value {
    dump["shopify"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| {
            o["financial_status"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case("paid"))
        })
        .expect("a paid order")
        .clone()
}

/// A return processed at a point of sale of one unit of `order`'s first line (fulfilled
/// first), giving `exchange` in its place.
pub(crate) fn pos_return_of_one(order: &Value, exchange: Vec<ExchangeLineSpec>) -> NewReturn {
    NewReturn {
        order_id: order["id"].as_str().expect("an order id").to_owned(),
        source: Some("pos".into()),
        lines: vec![ReturnLineSpec {
            line_item_id: order["lines"][0]["id"]
                .as_str()
                .expect("a line id")
                .to_owned(),
            quantity: 1,
            reason: None,
            note: None,
            customer_note: None,
        }],
        exchange,
        fulfill: true,
        process: true,
    }
}
