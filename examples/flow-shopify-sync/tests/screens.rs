//! The screens as a script sees them, through the real binary against the sandbox: the JSON
//! shape of every screen (held against snapshots in `tests/snapshots/`, so a renamed or removed
//! field fails here before it breaks someone's script), the exit codes, and the log options.
//!
//! The snapshots hold each report's *shape* (keys and value types), not its values, so they do
//! not change with the data. A field added on purpose: review and accept the new snapshot
//! (`cargo insta review`, or delete the file and run the test once), and list the field in
//! `docs/cli.md`.

mod support;

use std::path::Path;
use std::process::Command;

use sandbox::shopify::CatalogEntry;
use sandbox::{FaultRates, SandboxConfig};
use serde_json::{Map, Value, json};
use support::{BIN, run, site, site_from};

/// Runs a screen with `--json`; returns its exit code and its one JSON document.
async fn json_screen(args: &[&str], config: &Path) -> (i32, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let out = run(&all, config).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?} --json printed more than one line on stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let value: Value = serde_json::from_str(lines[0])
        .unwrap_or_else(|e| panic!("{args:?} --json is not JSON ({e}): {stdout}"));
    (out.status.code().expect("an exit code"), value)
}

/// The shape of a JSON value: objects keep their keys, arrays the union of their elements'
/// shapes, scalars become their type's name.
fn shape(value: &Value) -> Value {
    match value {
        Value::Null => json!("null"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Array(items) => {
            let mut merged = Map::new();
            let mut scalar = None;
            for item in items {
                match shape(item) {
                    Value::Object(fields) => {
                        for (key, field) in fields {
                            let slot = merged.entry(key).or_insert(Value::Null);
                            if slot.is_null() || *slot == json!("null") {
                                *slot = field;
                            }
                        }
                    }
                    other => scalar = Some(other),
                }
            }
            match (merged.is_empty(), scalar) {
                (false, _) => json!([Value::Object(merged)]),
                (true, Some(scalar)) => json!([scalar]),
                (true, None) => json!([]),
            }
        }
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, field)| (key.clone(), shape(field)))
                .collect(),
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_prints_one_json_document_of_a_stable_shape_and_exits_by_its_outcome() {
    let site = site(23, 6, 3, FaultRates::none()).await;
    let sandbox = &site.sandbox;
    // A line without SKU: Flow cannot take it, so `dlq list` has an entry to show.
    let unbookable = sandbox.shopify().generate_orders(
        1,
        &[CatalogEntry {
            sku: String::new(),
            title: "Gift wrapping".into(),
            price: "75.00".parse().unwrap(),
        }],
        0.0,
        0.0,
        903,
    );
    let path = site.config.as_path();

    let (code, check) = json_screen(&["config", "check"], path).await;
    // Every check passes against the sandbox, but the API version's once it is within 90
    // days of its retirement (a date, not a defect of this run).
    let failed: Vec<&Value> = check["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .collect();
    assert!(
        failed.iter().all(|c| c["check"] == "api version"),
        "config check: {check}"
    );
    assert_eq!(check["failed"], failed.len());
    assert_eq!(code, if failed.is_empty() { 0 } else { 1 }, "{check}");
    insta::assert_json_snapshot!("config_check", shape(&check));

    let (code, store) = json_screen(&["store-id"], path).await;
    // Exit 1 once the API version is within 90 days of its retirement: time to move on.
    let days_left = store["api_version_days_left"].as_i64().expect("days left");
    assert_eq!(code, if days_left <= 90 { 1 } else { 0 }, "{store}");
    assert!(
        store["shop_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("gid://shopify/Shop/"))
    );
    insta::assert_json_snapshot!("store_id", shape(&store));

    let (code, plan) = json_screen(&["plan"], path).await;
    assert_eq!(code, 0);
    assert_eq!(plan["total"], plan["writes"].as_array().unwrap().len());
    insta::assert_json_snapshot!("plan", shape(&plan));

    // Asked to push an item Flow does not have: says so and exits 1.
    let (code, push) = json_screen(&["items", "push", "NO-SUCH-ITEM"], path).await;
    assert_eq!(code, 1, "{push}");
    assert_eq!(push["unknown_codes"], json!(["NO-SUCH-ITEM"]));
    insta::assert_json_snapshot!("items_push", shape(&push));

    let (code, hold) = json_screen(&["items", "hold", "NO-SUCH-ITEM"], path).await;
    assert_eq!(code, 1, "{hold}");
    assert_eq!(hold["not_on_storefront"], json!(["NO-SUCH-ITEM"]));
    insta::assert_json_snapshot!("items_status", shape(&hold));

    let (_, customers) = json_screen(&["customers", "pull"], path).await;
    insta::assert_json_snapshot!("pass", shape(&customers));
    // The order without SKU becomes a dead letter: the pass says it needs attention.
    let (code, orders) = json_screen(&["orders", "pull"], path).await;
    assert_eq!(code, 1, "{orders}");
    assert!(
        orders["summary"]["dead_letters"].as_u64() >= Some(1),
        "{orders}"
    );

    let (code, dlq) = json_screen(&["dlq", "list"], path).await;
    assert_eq!(code, 1, "dead letters need attention: {dlq}");
    let jobs = dlq["jobs"].as_array().unwrap();
    assert!(
        jobs.iter()
            .any(|j| j["state"] == "dead" && j["order_name"].is_string()),
        "{dlq}"
    );
    insta::assert_json_snapshot!("dlq_list", shape(&dlq));

    let (code, submitted) = json_screen(&["receipts", "submit"], path).await;
    assert_eq!(code, 0, "{submitted}");
    let (code, receipts) = json_screen(&["receipts", "status"], path).await;
    let list = receipts
        .as_array()
        .expect("receipts status --json is an array");
    assert!(
        list.iter()
            .any(|r| r["state"] == "valid" || r["state"] == "submitted"),
        "{receipts}"
    );
    assert!(code == 0 || code == 1, "{receipts}");
    insta::assert_json_snapshot!("receipts_status", shape(&receipts));
    let (_, valid) = json_screen(&["receipts", "status", "--state", "valid"], path).await;
    assert!(
        valid
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "valid"),
        "{valid}"
    );

    let (code, matches) = json_screen(&["customers", "matches"], path).await;
    assert_eq!(code, 0, "{matches}");
    insta::assert_json_snapshot!("customers_matches", shape(&matches));

    // The day of the order Flow could not take (not "today": the generated orders are made
    // in the hours before the test, which may be yesterday just after midnight UTC).
    let day = day_of(sandbox, &unbookable[0]);
    let (code, reconcile) = json_screen(&["reconcile", "--dry-run", "--day", &day], path).await;
    let balanced = reconcile["balanced"].as_bool().expect("balanced is a bool");
    assert_eq!(code, if balanced { 0 } else { 1 }, "{reconcile}");
    insta::assert_json_snapshot!("reconcile", shape(&reconcile));

    let (code, replay) = json_screen(&["dlq", "replay", "--all"], path).await;
    assert_eq!(code, 1, "the order still has no SKU: {replay}");
    assert!(replay["replayed"].as_u64() >= Some(1), "{replay}");
    site.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciliation_out_of_balance_exits_1_and_says_so() {
    let site = site(24, 2, 2, FaultRates::none()).await;
    let (sandbox, path) = (&site.sandbox, &site.config);
    // The first pass pushes stock before it books the orders that lower Flow's stock; the
    // second pushes what those orders left.
    for _ in 0..2 {
        assert!(run(&["run", "--once"], path).await.status.success());
    }
    let (code, balanced) = json_screen(&["reconcile", "--dry-run"], path).await;
    assert_eq!(
        (code, &balanced["balanced"]),
        (0, &json!(true)),
        "{balanced}"
    );
    // A sale Flow has not seen yet: Shopify's side of the day is ahead of Flow's and ETA's.
    let item = sandbox.flow().catalog_items()[0].clone();
    let unseen = sandbox.shopify().generate_orders(
        1,
        &[CatalogEntry {
            sku: item.sku.clone(),
            title: item.title.clone(),
            price: "100.00".parse().unwrap(),
        }],
        0.0,
        0.0,
        904,
    );
    // Its day (the generator dates it an hour or so back: yesterday just after midnight).
    let day = day_of(sandbox, &unseen[0]);
    let out = run(&["reconcile", "--dry-run", "--day", &day], path).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("OUT OF BALANCE"), "{text}");
    site.sandbox.shutdown().await;
}

/// The UTC day (`YYYY-MM-DD`) the Shopify stand-in dates order `id` on.
fn day_of(sandbox: &sandbox::RunningSandbox, id: &str) -> String {
    let dump = sandbox.dump();
    let order = dump["shopify"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("order {id} in the dump"))
        .clone();
    let created = order["created_at"].as_str().expect("created_at");
    created.get(..10).expect("an RFC 3339 time").to_owned()
}

/// Sets `path.to.key` in the TOML file at `config` (every table on the way must exist).
fn set_key(config: &Path, keys: &[&str], value: toml::Value) {
    let mut doc: toml::Table = std::fs::read_to_string(config).unwrap().parse().unwrap();
    let mut table = &mut doc;
    for key in &keys[..keys.len() - 1] {
        table = table
            .entry(*key)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .unwrap();
    }
    table.insert(keys[keys.len() - 1].to_owned(), value);
    std::fs::write(config, toml::to_string(&doc).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_names_each_tenant_field_flow_does_not_have_and_each_scope_the_app_lacks() {
    let mut config = SandboxConfig {
        seed: 29,
        orders: 2,
        catalog_groups: 2,
        ..SandboxConfig::default()
    };
    config
        .shopify
        .access_scopes
        .retain(|s| s != "write_discounts" && s != "read_all_orders");
    let site = site_from(config).await;
    let path = site.config.as_path();
    set_key(path, &["flow", "catalog", "title_field"], "ITTITLE".into());
    set_key(
        path,
        &["flow", "customers", "reference_field"],
        "SHOPIFYID".into(),
    );
    set_key(
        path,
        &["flow", "documents", "reference_lookup_sql"],
        "SELECT opcode, docno FROM trnhdr WHERE opcode = :op AND shopref = :reference".into(),
    );
    // An operation the client has a template for, but the tenant does not know.
    set_key(path, &["flow", "operations", "web_order"], "WEBORD".into());
    let mut template = toml::Table::new();
    template.insert("builtin".into(), "SALINV".into());
    set_key(
        path,
        &["flow", "documents", "templates", "WEBORD"],
        template.into(),
    );
    let (code, check) = json_screen(&["config", "check"], path).await;
    assert_eq!(code, 1, "{check}");
    let flow = |name: &str| -> Value {
        check["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["system"] == "flow" && c["check"] == name)
            .unwrap_or_else(|| panic!("no Flow check {name}: {check}"))
            .clone()
    };
    let scopes = check["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["system"] == "shopify" && c["check"] == "scopes")
        .unwrap_or_else(|| panic!("no scopes check: {check}"));
    assert_eq!(scopes["ok"], false, "{scopes}");
    let detail = scopes["detail"].as_str().unwrap();
    assert!(detail.contains("write_discounts (promotions"), "{scopes}");
    // Only what is missing is named; a recommended scope is not a failure.
    assert!(
        !detail.contains("write_products") && !detail.contains("read_all_orders"),
        "{scopes}"
    );
    let items = flow("item fields");
    assert_eq!(items["ok"], false, "{items}");
    let detail = items["detail"].as_str().unwrap();
    assert!(
        detail.contains("ITTITLE (flow.catalog.title_field)"),
        "{items}"
    );
    assert!(!detail.contains("ITNA ("), "ITNA exists: {items}");
    assert!(
        items["fix"].as_str().unwrap().contains("flow.catalog"),
        "{items}"
    );
    // Advisory only (Flow leaves empty fields out of its rows), but named.
    let customers = flow("customer field");
    let detail = customers["detail"].as_str().unwrap();
    assert!(
        detail.contains("SHOPIFYID (flow.customers.reference_field)") && detail.contains("confirm"),
        "{customers}"
    );
    let operations = flow("operations");
    assert_eq!(operations["ok"], false, "{operations}");
    assert!(
        operations["detail"].as_str().unwrap().contains("WEBORD"),
        "{operations}"
    );
    let reference = flow("reference field");
    assert_eq!(reference["ok"], false, "{reference}");
    assert!(
        reference["detail"]
            .as_str()
            .unwrap()
            .contains("reference_lookup_sql"),
        "{reference}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_exit_2_and_logs_follow_the_options() {
    let site = site(42, 1, 1, FaultRates::none()).await;
    let (dir, path) = (site.dir.path(), &site.config);

    // A bad log filter is an error, not a silent fall-back.
    let out = run(&["plan", "--log", "sync_core=loud"], path).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--log"));

    // With --json an error is a JSON document on stdout too.
    let missing = dir.join("missing.toml");
    let (code, error) = json_screen(&["plan"], &missing).await;
    assert_eq!(code, 2);
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.contains("missing.toml")),
        "{error}"
    );

    // Logs written to a pipe carry no colour codes; `--log-format json` writes JSON lines.
    let out = run(&["stock", "set", "--log", "info"], path).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.is_empty(), "info logs were expected");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a pipe: {stderr:?}"
    );
    let out = run(
        &["stock", "set", "--log", "info", "--log-format", "json"],
        path,
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(
            entry["level"].is_string() && entry["timestamp"].is_string(),
            "{line}"
        );
    }

    // `config check` with a wrong Flow password: that check fails with what to fix, the others
    // still run, and the screen exits 1.
    let good = std::fs::read_to_string(dir.join("flow-password")).unwrap();
    std::fs::write(dir.join("flow-password"), "not-the-password").unwrap();
    let (code, check) = json_screen(&["config", "check"], path).await;
    std::fs::write(dir.join("flow-password"), good).unwrap();
    assert_eq!(code, 1, "{check}");
    let checks = check["checks"].as_array().unwrap();
    let flow = checks
        .iter()
        .find(|c| c["system"] == "flow" && c["check"] == "credentials")
        .expect("a Flow credentials check");
    assert_eq!(flow["ok"], false, "{check}");
    assert!(
        flow["detail"]
            .as_str()
            .unwrap()
            .contains("credentials refused"),
        "{check}"
    );
    assert!(
        flow["fix"].as_str().unwrap().contains("password"),
        "{check}"
    );
    assert!(
        checks
            .iter()
            .any(|c| c["system"] == "eta" && c["ok"] == true),
        "ETA is still checked: {check}"
    );

    // A malformed location GID is refused at start, naming the key.
    let bad_gid = dir.join("bad-gid.toml");
    let text = std::fs::read_to_string(path).unwrap().replace(
        "\"1\" = \"Cairo Store\"",
        "\"1\" = \"gid://shopify/Location/cairo\"",
    );
    assert!(
        text.contains("Location/cairo"),
        "the sandbox's config changed: {text}"
    );
    std::fs::write(&bad_gid, text).unwrap();
    let out = run(&["plan"], &bad_gid).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("engine.locations.1"), "{stderr}");

    // A TOML syntax error names the file, line and column.
    let broken = dir.join("broken.toml");
    std::fs::write(&broken, "[store]\nurl = = 1\n").unwrap();
    let out = run(&["plan"], &broken).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("broken.toml") && stderr.contains("line 2, column 7"),
        "{stderr}"
    );
    site.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_work_shows_progress_lines_when_not_on_a_terminal() {
    // Every answer a little late, so the pass lasts a few seconds.
    let faults = FaultRates {
        latency: 1.0,
        max_latency_ms: 150,
        ..FaultRates::none()
    };
    let site = site(25, 12, 4, faults).await;
    let path = site.config.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["items", "push", "--config"])
            .arg(&path)
            .env("FLOW_SHOPIFY_SYNC_PROGRESS_SECS", "1")
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("pushing items: ") && l.contains("jobs finished"))
        .unwrap_or_else(|| panic!("no progress line:\n{stderr}"));
    assert!(line.contains("/s") && line.ends_with(" s"), "{line}");
    site.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_logs_where_it_listens_its_configuration_and_its_store_and_stops_on_sigterm_with_its_log_pipe_closed()
 {
    use std::io::{BufRead, BufReader};
    let site = site(42, 0, 1, FaultRates::none()).await;
    let path = &site.config;
    let mut daemon = Command::new(BIN)
        .args(["run", "--config"])
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read its log until the line wanted, then close the pipe: a log collector that went
    // away must not keep the daemon from stopping (a log line written into the closed pipe
    // used to panic the task that wrote it, the signal handler's among them).
    let stderr = daemon.stderr.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("listening"))
    })
    .await
    .unwrap()
    .expect("the daemon logs where it listens");
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status();
    let stopped = tokio::task::spawn_blocking(move || {
        for _ in 0..600 {
            if let Some(status) = daemon.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = daemon.kill();
        None
    })
    .await
    .unwrap();
    let status = stopped.expect("the daemon did not stop within 30 s of SIGTERM");
    assert!(status.success(), "{status:?}");
    // The port it bound, not the `:0` it was given.
    assert!(
        line.contains("address=127.0.0.1:") && !line.contains("address=127.0.0.1:0 "),
        "{line}"
    );
    assert!(line.contains(&path.display().to_string()), "{line}");
    assert!(line.contains("store=sqlite://state.db"), "{line}");
    site.sandbox.shutdown().await;
}
