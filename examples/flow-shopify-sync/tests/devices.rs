//! Several ETA POS devices, end to end through the binary and the sandbox: the online store's
//! orders go to one device and the point-of-sale orders (routed by their Shopify location) to
//! another, each device on its own chain with its own credentials; a device whose credentials
//! ETA refuses stops only its own chain, and goes on once they are mended.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use sandbox::eta::EtaDevice;
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::Value;
use support::*;

mod support;

/// The web device's pre-shared key comes from the environment (`preshared_key_env`).
const PSK_ENV: &[(&str, &str)] = &[("DEVICES_TEST_PSK_WEB", "psk-web")];

/// Runs the binary with `args` against `config`, the web device's key in its environment.
async fn cli_async(config: &Path, args: &[&'static str]) -> (i32, Value) {
    cli_env_async(config, args, PSK_ENV).await
}

const WEB: &str = "POS-WEB";
const SHOP: &str = "POS-SHOP";

/// A sandbox whose ETA knows two devices, each with its own client credentials, and a
/// configuration listing both: the online store (`web`) to `POS-WEB` (the default), every
/// Shopify location's point-of-sale orders to `POS-SHOP`. `shop_secret` is the secret the
/// configuration gives `POS-SHOP`.
async fn start(shop_secret: &str) -> (RunningSandbox, tempfile::TempDir, std::path::PathBuf) {
    let mut config = SandboxConfig {
        seed: 4,
        orders: 12,
        catalog_groups: 2,
        refund_rate: 0.0,
        cancel_rate: 0.0,
        ..SandboxConfig::default()
    };
    config.eta.max_receipt_age = None;
    config.eta.devices = vec![
        EtaDevice {
            serial: WEB.into(),
            preshared_key: "psk-web".into(),
            credentials: Some(("client-web".into(), "secret-web".into())),
        },
        EtaDevice {
            serial: SHOP.into(),
            preshared_key: "psk-shop".into(),
            credentials: Some(("client-shop".into(), "secret-shop".into())),
        },
    ];
    let sandbox = Sandbox::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = sandbox::sync_config::write(&sandbox, dir.path()).unwrap();
    // The single device the sandbox's configuration names becomes the list of two.
    let text = std::fs::read_to_string(&path).unwrap();
    let single = [
        "client_id = \"sandbox-eta-client\"\n",
        "client_secret_file = \"eta-secret\"\n",
        &format!("pos_serial = \"{WEB}\"\n"),
        "preshared_key_file = \"eta-psk\"\n",
        &format!("deviceSerialNumber = \"{WEB}\"\n"),
    ];
    let mut text = text;
    for line in single {
        assert!(text.contains(line), "the sandbox's config has {line:?}");
        text = text.replacen(line, "", 1);
    }
    let locations = sandbox
        .shopify()
        .location_ids()
        .iter()
        .map(|l| format!("\"{l}\""))
        .collect::<Vec<_>>()
        .join(", ");
    text.push_str(&format!(
        r#"
[[eta.devices]]
pos_serial = "{WEB}"
client_id = "client-web"
client_secret_file = "web-secret"
preshared_key_env = "DEVICES_TEST_PSK_WEB"
sources = ["web"]
default = true

[[eta.devices]]
pos_serial = "{SHOP}"
client_id = "client-shop"
client_secret_file = "shop-secret"
preshared_key_file = "shop-psk"
branch_code = "0"
locations = [{locations}]
"#
    ));
    std::fs::write(&path, text).unwrap();
    for (name, value) in [
        ("web-secret", "secret-web"),
        ("shop-secret", shop_secret),
        ("shop-psk", "psk-shop"),
    ] {
        write_secret(dir.path(), name, value);
    }
    (sandbox, dir, path)
}

fn write_secret(dir: &Path, name: &str, value: &str) {
    let path = dir.join(name);
    std::fs::write(&path, value).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// The sandbox's paid orders (those due for a receipt): (name without `#`, whether it was
/// made at a point of sale).
fn orders(sandbox: &RunningSandbox) -> Vec<(String, bool)> {
    sandbox.dump()["shopify"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| {
            o["financial_status"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case("paid"))
        })
        .map(|o| {
            (
                o["name"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches('#')
                    .to_owned(),
                o["retail_location_id"].is_string(),
            )
        })
        .collect()
}

fn eta_receipts(sandbox: &RunningSandbox) -> Vec<Value> {
    sandbox.dump()["eta"]["receipts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The receipt numbers `device` issued, after checking its chain: each receipt names the
/// one before it on the same device, the first names none.
fn chain_of(receipts: &[Value], device: &str) -> Vec<String> {
    let mine: Vec<&Value> = receipts.iter().filter(|r| r["device"] == device).collect();
    let mut previous = String::new();
    for r in &mine {
        assert_eq!(r["status"], "Valid", "{r}");
        assert_eq!(
            r["previous_uuid"].as_str().unwrap(),
            previous,
            "{device}'s chain is broken at {}",
            r["uuid"]
        );
        previous = r["uuid"].as_str().unwrap().to_owned();
    }
    let mut numbers: Vec<String> = mine
        .iter()
        .map(|r| r["receipt_number"].as_str().unwrap().to_owned())
        .collect();
    numbers.sort();
    numbers
}

fn names(orders: &[(String, bool)], pos: bool) -> Vec<String> {
    let mut out: Vec<String> = orders
        .iter()
        .filter(|(_, p)| *p == pos)
        .map(|(n, _)| n.clone())
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_and_shop_orders_go_to_their_own_device_each_on_its_own_chain() {
    let (sandbox, _dir, config) = start("secret-shop").await;
    let orders = orders(&sandbox);
    let (web, shop) = (names(&orders, false), names(&orders, true));
    assert!(
        !web.is_empty() && !shop.is_empty(),
        "the seed makes online and shop orders: {orders:?}"
    );
    let (code, pass) = cli_async(&config, &["run", "--once", "--json"]).await;
    assert!(code == 0 || code == 1, "{pass}");
    let at_eta = eta_receipts(&sandbox);
    assert_eq!(chain_of(&at_eta, WEB), web, "online orders on {WEB}");
    assert_eq!(chain_of(&at_eta, SHOP), shop, "shop orders on {SHOP}");

    let (_, listed) = cli_async(&config, &["receipts", "status", "--json"]).await;
    let listed = listed.as_array().expect("a JSON array").clone();
    assert_eq!(listed.len(), orders.len(), "{listed:?}");
    for r in &listed {
        let name = r["order_name"].as_str().unwrap().trim_start_matches('#');
        let expected = if shop.iter().any(|s| s == name) {
            SHOP
        } else {
            WEB
        };
        assert_eq!(r["device"], expected, "{r}");
        assert_eq!(r["state"], "valid", "{r}");
    }
    // A second pass issues nothing again.
    cli_async(&config, &["run", "--once", "--json"]).await;
    assert_eq!(eta_receipts(&sandbox).len(), at_eta.len());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_whose_credentials_eta_refuses_stops_only_its_own_chain() {
    let (sandbox, dir, config) = start("not-the-shop-secret").await;
    let orders = orders(&sandbox);
    let (web, shop) = (names(&orders, false), names(&orders, true));
    assert!(!web.is_empty() && !shop.is_empty(), "{orders:?}");
    let refused = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(BIN)
                .env("DEVICES_TEST_PSK_WEB", "psk-web")
                .args(["run", "--once", "--json", "--config"])
                .arg(&config)
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    // The pass names the device that is down, and fails so that an operator acts.
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains(&format!("ETA device {SHOP} is down (credentials refused)")),
        "{stderr}"
    );
    let at_eta = eta_receipts(&sandbox);
    assert_eq!(
        chain_of(&at_eta, WEB),
        web,
        "the online orders' device goes on"
    );
    assert!(
        chain_of(&at_eta, SHOP).is_empty(),
        "nothing from the refused device"
    );
    // Its work waits as a system failure: no dead letter.
    let (_, dlq) = cli_async(&config, &["dlq", "list", "--json"]).await;
    assert_eq!(dlq["jobs"].as_array().map(Vec::len), Some(0), "{dlq}");

    // The secret is mended: the shop's receipts go on their own chain.
    write_secret(dir.path(), "shop-secret", "secret-shop");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (code, pass) = cli_async(&config, &["run", "--once", "--json"]).await;
    assert!(code == 0 || code == 1, "{pass}");
    let at_eta = eta_receipts(&sandbox);
    assert_eq!(
        chain_of(&at_eta, SHOP),
        shop,
        "the shop's receipts after the mend"
    );
    assert_eq!(
        chain_of(&at_eta, WEB),
        web,
        "nothing twice on the other device"
    );
    sandbox.shutdown().await;
}
