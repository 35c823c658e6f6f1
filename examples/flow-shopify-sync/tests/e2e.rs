//! End-to-end runs of the `flow-shopify-sync` binary against the sandbox's stand-ins, over real
//! HTTP on loopback: full cycle, harsh faults, SIGKILL at random points, webhooks, and two
//! workers on one PostgreSQL store. Each run checks what the stand-ins hold afterwards.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use sandbox::{FaultRates, RunningSandbox, Sandbox, SandboxConfig};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_flow-shopify-sync");

async fn start(seed: u64, orders: usize, faults: FaultRates) -> RunningSandbox {
    let mut config = SandboxConfig {
        seed,
        orders,
        catalog_groups: 6,
        faults,
        ..SandboxConfig::default()
    };
    // Generated orders are spread over the past hours; the test issues receipts now.
    config.eta.max_receipt_age = None;
    Sandbox::start(config).await.expect("sandbox starts")
}

fn config_for(sandbox: &RunningSandbox, dir: &Path) -> PathBuf {
    sandbox::sync_config::write(sandbox, dir).expect("config written")
}

fn run_once(config: &Path) -> Output {
    Command::new(BIN)
        .args(["run", "--once", "--config"])
        .arg(config)
        .output()
        .expect("the binary runs")
}

/// Runs `run --once` until it exits 0 (only dead letters left), at most `tries` times.
fn run_until_done(config: &Path, tries: usize) {
    for attempt in 1..=tries {
        let out = run_once(config);
        if out.status.success() {
            return;
        }
        eprintln!(
            "attempt {attempt}: exit {:?}\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    panic!("the run did not finish in {tries} tries");
}

/// What the stand-ins hold must show: every live order once in Flow, no duplicate document or
/// customer, no receipt accepted twice, and each device's chain without a gap. Returns
/// (orders imported, receipts accepted).
fn check_invariants(dump: &Value) -> (usize, usize) {
    check_invariants_except(dump, &[])
}

/// [`check_invariants`], where the orders named in `not_imported` are expected to stay out of
/// Flow (bad input).
fn check_invariants_except(dump: &Value, not_imported: &[&str]) -> (usize, usize) {
    let orders = dump["shopify"]["orders"].as_array().expect("orders");
    let docs = dump["flow"]["sales_documents"]
        .as_array()
        .expect("sales documents");
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    for doc in docs {
        *by_ref
            .entry(doc["external_ref"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    let mut imported = 0;
    for order in orders {
        let name = order["name"].as_str().unwrap_or_default();
        let count: usize = by_ref
            .iter()
            .filter(|(r, _)| r.ends_with(name))
            .map(|(_, n)| *n)
            .sum();
        assert!(count <= 1, "order {name} is in Flow {count} times");
        if not_imported.contains(&name) {
            assert_eq!(count, 0, "order {name} should not have reached Flow");
            continue;
        }
        if order["cancelled"].as_bool() == Some(false) || count == 1 {
            imported += count;
        }
    }
    assert_eq!(
        docs.len(),
        by_ref.len(),
        "a Flow document reference appears twice"
    );
    let live = orders
        .iter()
        .filter(|o| o["cancelled"].as_bool() != Some(true))
        .filter(|o| !not_imported.contains(&o["name"].as_str().unwrap_or_default()))
        .count();
    assert!(
        imported >= live,
        "{imported} of {live} live orders reached Flow"
    );
    let returns = dump["flow"]["returns"].as_array().expect("returns");
    let return_refs: HashSet<&str> = returns
        .iter()
        .filter_map(|r| r["external_ref"].as_str())
        .collect();
    assert_eq!(return_refs.len(), returns.len(), "a return was saved twice");
    // No customer twice in Flow: every buyer has its own e-mail in the seeded shop.
    let mut emails = HashSet::new();
    for contact in dump["flow"]["contacts"].as_array().expect("contacts") {
        if let Some(email) = contact["email"].as_str().filter(|e| !e.is_empty())
            && contact["contyp"] == "C"
        {
            assert!(emails.insert(email), "customer {email} is in Flow twice");
        }
    }

    let receipts = dump["eta"]["receipts"].as_array().expect("receipts");
    let mut last: HashMap<&str, &str> = HashMap::new();
    let mut seen = HashSet::new();
    let mut accepted = 0;
    for r in receipts.iter().filter(|r| r["status"] == "Valid") {
        let uuid = r["uuid"].as_str().unwrap_or_default();
        assert!(seen.insert(uuid), "receipt {uuid} accepted twice");
        let device = r["device"].as_str().unwrap_or_default();
        let previous = r["previous_uuid"].as_str().unwrap_or_default();
        assert_eq!(
            previous,
            *last.get(device).unwrap_or(&""),
            "chain gap before {uuid}"
        );
        last.insert(device, uuid);
        accepted += 1;
    }
    (imported, accepted)
}

/// Runs `run --once` off the async runtime.
async fn run_once_blocking(config: &Path) -> Output {
    let config = config.to_path_buf();
    tokio::task::spawn_blocking(move || run_once(&config))
        .await
        .expect("the run task")
}

/// The orders Shopify holds that are not cancelled.
fn live_orders(dump: &Value) -> usize {
    dump["shopify"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter(|o| o["cancelled"] == false)
        .count()
}

/// After a run under faults or crashes: the invariants, every image once, no dead letter, and
/// every live order imported.
fn check_converged(dump: &Value, config: &Path) {
    let (imported, _) = check_invariants(dump);
    check_images(dump, config);
    assert_no_dead_letters(config);
    assert_eq!(imported, live_orders(dump));
}

/// Faults are no reason for a dead letter: with good data, every job must end done.
fn assert_no_dead_letters(config: &Path) {
    let out = Command::new(BIN)
        .args(["dlq", "list", "--json", "--config"])
        .arg(config)
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let list: Value = serde_json::from_str(&text).expect("dlq list --json is JSON");
    assert_eq!(list["jobs"], serde_json::json!([]), "{text}");
}

/// Every picture in the configuration's image folder is on its product in Shopify, `READY`,
/// once, and linked to the variants of its colour. Returns the media ids, sorted.
fn check_images(dump: &Value, config: &Path) -> Vec<String> {
    let folder = config
        .parent()
        .unwrap()
        .join(sandbox::sync_config::IMAGE_FOLDER);
    let files = std::fs::read_dir(&folder).unwrap().count();
    assert!(files > 0, "no image was written");
    let products = dump["shopify"]["products"].as_array().unwrap();
    let mut ids = Vec::new();
    for product in products {
        let media = product["media"].as_array().unwrap();
        assert!(
            !media.is_empty(),
            "product {} has no image",
            product["handle"]
        );
        let mut colours = HashSet::new();
        for variant in product["variants"].as_array().unwrap() {
            let colour = variant["options"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["name"] == "Color")
                .map(|o| o["value"].as_str().unwrap().to_owned());
            let media_id = variant["media_id"].as_str();
            let Some(media_id) = media_id else {
                panic!("variant {} has no image: {variant}", variant["sku"]);
            };
            assert!(
                media.iter().any(|m| m["id"] == media_id),
                "variant {} shows media of another product",
                variant["sku"]
            );
            colours.insert(colour);
        }
        assert_eq!(
            media.len(),
            colours.len(),
            "product {}: one image per colour expected, got {media:?}",
            product["handle"]
        );
        for m in media {
            assert_eq!(m["status"], "READY", "{m}");
            ids.push(m["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(ids.len(), files, "images in the folder vs media in Shopify");
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_cycle_lands_every_order_once_with_one_receipt_each_and_no_chain_gap() {
    let sandbox = start(11, 25, FaultRates::none()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sandbox, dir.path());
    let out = run_once_blocking(&config).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = sandbox.dump();
    let (imported, accepted) = check_invariants(&dump);
    let live = live_orders(&dump);
    assert_eq!(imported, live);
    assert!(
        accepted >= live / 2,
        "only {accepted} receipts for {live} orders"
    );
    // Every product and every stock level arrived.
    let products = dump["shopify"]["products"].as_array().unwrap();
    assert_eq!(products.len(), 6);
    let images = check_images(&dump, &config);
    // A second run writes nothing new.
    let again = run_once_blocking(&config).await;
    assert!(again.status.success());
    let dump = sandbox.dump();
    assert_eq!(check_invariants(&dump), (imported, accepted));
    assert_eq!(
        check_images(&dump, &config),
        images,
        "images were uploaded again"
    );
    // The first pass pushed stock before its orders moved Flow's balances; the second pass
    // brought Shopify to Flow's current levels.
    let products = dump["shopify"]["products"].as_array().unwrap();
    // Stock: per SKU, what Shopify has available equals what Flow's two stores hold.
    let mut flow_stock: HashMap<String, i64> = HashMap::new();
    for row in dump["flow"]["stock"].as_array().unwrap() {
        let qty = row["qty"].as_str().map_or_else(
            || row["qty"].as_f64().unwrap_or(0.0),
            |q| q.parse().unwrap_or(0.0),
        );
        *flow_stock
            .entry(row["sku"].as_str().unwrap().to_owned())
            .or_default() += (qty.max(0.0)) as i64;
    }
    let mut compared = 0;
    for variant in products
        .iter()
        .flat_map(|p| p["variants"].as_array().unwrap())
    {
        let sku = variant["sku"].as_str().unwrap();
        let shopify: i64 = variant["inventory"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["available"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(
            shopify,
            flow_stock.get(sku).copied().unwrap_or(0),
            "stock of {sku}: {variant}"
        );
        compared += 1;
    }
    assert!(compared > 6);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harsh_faults_converge_without_loss_or_duplicates() {
    let sandbox = start(12, 20, FaultRates::harsh()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sandbox, dir.path());
    tokio::task::spawn_blocking({
        let config = config.clone();
        move || run_until_done(&config, 12)
    })
    .await
    .unwrap();
    check_converged(&sandbox.dump(), &config);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_then_restart_loses_and_duplicates_nothing() {
    let sandbox = start(13, 25, FaultRates::mild()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sandbox, dir.path());
    let cfg = config.clone();
    tokio::task::spawn_blocking(move || {
        let mut rng_state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..6 {
            rng_state ^= rng_state << 13;
            rng_state ^= rng_state >> 7;
            rng_state ^= rng_state << 17;
            let after = Duration::from_millis(100 + rng_state % 900);
            let mut child = Command::new(BIN)
                .args(["run", "--once", "--config"])
                .arg(&cfg)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(after);
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
        run_until_done(&cfg, 8);
    })
    .await
    .unwrap();
    check_converged(&sandbox.dump(), &config);
    sandbox.shutdown().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_orders_are_dead_letters_with_their_reason_and_the_rest_of_the_run_lands() {
    use sandbox::shopify::CatalogEntry;
    let sandbox = start(14, 8, FaultRates::none()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sandbox, dir.path());
    let known = sandbox.flow().catalog_items()[0].clone();
    let shop = sandbox.shopify();
    // A hand-made line without SKU: Flow cannot take it.
    let no_sku = shop.generate_orders(
        1,
        &[CatalogEntry {
            sku: String::new(),
            title: "Gift wrapping".into(),
            price: "75.00".parse().unwrap(),
        }],
        0.0,
        0.0,
        901,
    );
    // A sale of 200,000 EGP or more to a person without national id: Flow takes it, ETA's rule
    // refuses the receipt, so it must be stopped before submission with the rule named.
    let too_big = shop.generate_orders(
        1,
        &[CatalogEntry {
            sku: known.sku.clone(),
            title: known.title.clone(),
            price: "200000.00".parse().unwrap(),
        }],
        0.0,
        0.0,
        902,
    );
    let dump = sandbox.dump();
    let name_of = |id: &str| {
        dump["shopify"]["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == id)
            .and_then(|o| o["name"].as_str())
            .unwrap()
            .to_owned()
    };
    let (no_sku, too_big) = (name_of(&no_sku[0]), name_of(&too_big[0]));

    let out = run_once_blocking(&config).await;
    assert!(
        out.status.success(),
        "only dead letters are left, so the run ends 0: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = sandbox.dump();
    let (imported, accepted) = check_invariants_except(&dump, &[no_sku.as_str()]);
    assert!(imported >= 8, "the other orders landed: {imported}");
    assert!(accepted > 0);
    // Nothing invalid reached ETA: every receipt it holds was accepted, none is the big sale.
    for r in dump["eta"]["receipts"].as_array().unwrap() {
        assert_eq!(r["status"], "Valid", "{r}");
        assert!(
            !r["raw"]
                .as_str()
                .unwrap()
                .contains(&format!("\"{too_big}\"")),
            "the invalid receipt was submitted"
        );
    }
    // The operator sees both, each with its reason, even with every service down.
    sandbox.shutdown().await;
    let list = Command::new(BIN)
        .args(["dlq", "list", "--json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    // Dead letters need an operator: the screen exits 1.
    assert_eq!(list.status.code(), Some(1));
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let jobs = list["jobs"].as_array().unwrap();
    let job_of = |needle: &str| {
        jobs.iter()
            .find(|j| j["error"].as_str().is_some_and(|e| e.contains(needle)))
            .unwrap_or_else(|| panic!("no dead letter mentions {needle}: {list}"))
    };
    let no_sku_job = job_of("has no SKU");
    assert!(
        no_sku_job["order_name"] == no_sku.as_str()
            || no_sku_job["key"].as_str().unwrap().contains(&no_sku),
        "{no_sku_job}"
    );
    let receipt = job_of("buyer")["error"].as_str().unwrap();
    assert!(
        receipt.contains("150000") && receipt.contains("id and name"),
        "the rule is named: {receipt}"
    );
    assert_eq!(
        jobs.len(),
        2,
        "exactly the two bad orders are dead letters: {list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_with_a_wrong_hmac_are_refused_and_store_nothing() {
    use base64::Engine as _;
    use hmac::Mac;
    let sandbox = start(14, 3, FaultRates::none()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sandbox, dir.path());
    let port = free_port();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    std::fs::write(&config, text).unwrap();
    let mut daemon = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..200 {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the daemon did not come up");
    let body = br##"{"id":999,"admin_graphql_api_id":"gid://shopify/Order/999","name":"#9999"}"##;
    let post = |signature: String, event: &'static str| {
        http.post(format!("{base}/webhooks/shopify"))
            .header("X-Shopify-Hmac-Sha256", signature)
            .header("X-Shopify-Topic", "orders/updated")
            .header("X-Shopify-Shop-Domain", "sandbox-shop.myshopify.com")
            .header("X-Shopify-Event-Id", event)
            .body(body.to_vec())
            .send()
    };
    let refused = post("bm90IHRoZSByaWdodCBzaWduYXR1cmU=".to_owned(), "ev-1")
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(
        sandbox.config().shopify.client_secret.as_bytes(),
    )
    .unwrap();
    mac.update(body);
    let good = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    // The refused delivery recorded nothing: the same event id, now signed, is new to the daemon
    // (the scheduler may enqueue its own jobs meanwhile, so the queue size proves nothing).
    let first = post(good.clone(), "ev-1").await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.text().await.unwrap(),
        "Scheduled",
        "the refused delivery's event id was recorded"
    );
    assert_eq!(
        post(good, "ev-1").await.unwrap().text().await.unwrap(),
        "Duplicate"
    );
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(daemon.id().to_string())
        .status();
    let status = daemon.wait().unwrap();
    assert!(
        status.success(),
        "the daemon did not stop cleanly on SIGTERM: {status:?}"
    );
    let store = sync_core::store::SqliteStore::open(dir.path().join("state.db"))
        .await
        .unwrap();
    let scope = sync_core::model::StoreScope::new("sandbox");
    let for_999: Vec<String> = sync_core::store::StateStore::jobs(&store, &scope, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|job| job.resource == "order:gid://shopify/Order/999")
        .map(|job| job.key)
        .collect();
    assert_eq!(
        for_999,
        vec!["refetch:gid://shopify/Order/999:ev-1".to_owned()],
        "one job for the one signed delivery, none for the refused one"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_postgres_store_share_the_work_without_duplicates() {
    let pg = sync_core::testing::TempPostgres::start()
        .expect("PostgreSQL binaries are needed: apt-get install postgresql");
    let sandbox = start(15, 30, FaultRates::none()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sandbox, dir.path());
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("sqlite://state.db", &pg.url());
    std::fs::write(&config, text).unwrap();
    let cfg = config.clone();
    tokio::task::spawn_blocking(move || {
        // Two processes: their worker names (from their process ids) differ.
        let spawn = |_worker: &str| {
            Command::new(BIN)
                .args(["run", "--once", "--config"])
                .arg(&cfg)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        };
        let mut a = spawn("a");
        let mut b = spawn("b");
        let _ = a.wait();
        let _ = b.wait();
        run_until_done(&cfg, 4);
    })
    .await
    .unwrap();
    let dump = sandbox.dump();
    let (imported, _) = check_invariants(&dump);
    let live = live_orders(&dump);
    assert_eq!(imported, live);
    sandbox.shutdown().await;
}

/// New orders arrive only through webhooks (the next pass is an hour away), delivered with
/// duplicates, random delays and out of order: each lands in Flow once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_delayed_and_reordered_webhooks_import_each_new_order_once() {
    let mut config = SandboxConfig {
        seed: 16,
        orders: 3,
        catalog_groups: 4,
        ..SandboxConfig::default()
    };
    config.eta.max_receipt_age = None;
    config.shopify.webhooks.duplicate_rate = 0.5;
    config.shopify.webhooks.max_delay_ms = 300;
    config.shopify.webhooks.reorder = true;
    let sandbox = Sandbox::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = config_for(&sandbox, dir.path());
    let port = free_port();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("listen = \"127.0.0.1:0\"", &format!("listen = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}/webhooks/shopify\""))
        .replace("interval_secs = 30", "interval_secs = 3600");
    std::fs::write(&path, text).unwrap();
    let mut daemon = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let landed = |dump: &Value| dump["flow"]["sales_documents"].as_array().unwrap().len();
    // The first pass imports the three seeded orders.
    let mut ready = false;
    for _ in 0..600 {
        let dump = sandbox.dump();
        if landed(&dump) >= live_orders(&dump)
            && live_orders(&dump) > 0
            && !dump["shopify"]["webhook_subscriptions"]
                .as_array()
                .is_none_or(Vec::is_empty)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ready,
        "the first pass did not finish: {}",
        sandbox.dump()["flow"]
    );
    sandbox.generate_orders(8).unwrap();
    let mut done = false;
    for _ in 0..600 {
        let dump = sandbox.dump();
        if landed(&dump) >= live_orders(&dump) {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dump = sandbox.dump();
    assert!(
        done,
        "webhook-driven imports did not finish: {} of {} orders",
        landed(&dump),
        live_orders(&dump)
    );
    // Let late duplicates arrive, then check nothing landed twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let dump = sandbox.dump();
    let (imported, _) = check_invariants(&dump);
    assert_eq!(imported, live_orders(&dump));
    let webhooks_sent = sandbox.stats()["shopify"]["webhooks_sent"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        webhooks_sent >= 8,
        "only {webhooks_sent} webhooks were sent"
    );
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(daemon.id().to_string())
        .status();
    assert!(daemon.wait().unwrap().success());
    sandbox.shutdown().await;
}
