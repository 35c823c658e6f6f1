//! A backfill through one Shopify bulk query, end to end: the binary against the sandbox's
//! stand-ins over loopback, with more existing orders than `engine.bulk_threshold`. Every
//! order reaches Flow once, the orders are not read one by one, incremental reads go on after
//! it, and a process killed during the backfill is resumed by the next run without a second
//! bulk query or a duplicate.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;
use support::*;

/// More than one page of the change list (250), so the flow asks for a count.
const ORDERS: usize = 300;
const THRESHOLD: usize = 100;

/// A site whose configuration sets the bulk threshold below its orders.
async fn bulk_site(seed: u64) -> Site {
    let site = site(seed, ORDERS, 6, sandbox::FaultRates::default()).await;
    let text = std::fs::read_to_string(&site.config).expect("config");
    let text = text.replacen(
        "[engine]\n",
        &format!("[engine]\nbulk_threshold = {THRESHOLD}\n"),
        1,
    );
    std::fs::write(&site.config, text).expect("config written");
    site
}

/// Calls the Shopify stand-in answered, by operation name.
fn calls(site: &Site, operation: &str) -> u64 {
    site.sandbox.stats()["shopify"]["calls_by_operation"][operation]
        .as_u64()
        .unwrap_or(0)
}

/// Every live Shopify order is in Flow exactly once; returns how many are.
fn each_order_once(site: &Site) -> usize {
    let dump = site.sandbox.dump();
    let orders = dump["shopify"]["orders"].as_array().expect("orders");
    let docs = dump["flow"]["sales_documents"]
        .as_array()
        .expect("documents");
    let mut by_ref: HashMap<&str, usize> = HashMap::new();
    for doc in docs {
        *by_ref
            .entry(doc["external_ref"].as_str().unwrap_or_default())
            .or_default() += 1;
    }
    assert!(
        by_ref.values().all(|n| *n == 1),
        "a Flow document reference appears twice"
    );
    let mut imported = 0;
    for order in orders {
        let name = order["name"].as_str().unwrap_or_default();
        let n: usize = by_ref
            .iter()
            .filter(|(r, _)| r.ends_with(name))
            .map(|(_, n)| *n)
            .sum();
        assert!(n <= 1, "order {name} is in Flow {n} times");
        if order["cancelled"].as_bool() != Some(true) {
            assert_eq!(n, 1, "order {name} did not reach Flow");
        }
        imported += n;
    }
    imported
}

/// How many refunds the stand-in holds, and how many of them belong to an order with
/// shipping refunded (the refunds the bulk path reads by id).
/// The stand-in's refunds, and the orders among theirs that refunded shipping (the one part
/// of a refund the bulk result does not carry).
fn refunds_and_shipping_orders(site: &Site) -> (usize, usize) {
    let dump = site.sandbox.dump();
    let refunds = dump["shopify"]["refunds"].as_array().expect("refunds");
    let shipping: std::collections::HashSet<&str> = refunds
        .iter()
        .filter(|r| !r["shipping"].is_null())
        .filter_map(|r| r["order_id"].as_str())
        .collect();
    (refunds.len(), shipping.len())
}

async fn run_until_done(site: &Site, tries: usize) {
    for attempt in 1..=tries {
        let out = run(&["run", "--once", "--log", "info"], &site.config).await;
        if out.status.success() {
            return;
        }
        eprintln!(
            "attempt {attempt}: exit {:?}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    panic!("the run did not finish in {tries} tries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_orders_are_backfilled_by_one_bulk_query_then_read_incrementally() {
    let site = bulk_site(2101).await;
    let out = run(&["run", "--once", "--log", "info"], &site.config).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("through an export"),
        "the backfill says it reads through a bulk query: {stderr}"
    );
    assert!(
        stderr.contains(&format!("of {ORDERS} orders read")),
        "a progress line with the count: {stderr}"
    );
    assert_eq!(calls(&site, "BulkOperationRunQuery"), 1, "one bulk query");
    assert_eq!(calls(&site, "Order"), 0, "no order read one by one");
    assert!(calls(&site, "OrdersCount") >= 1);
    let first = each_order_once(&site);
    assert!(first > 0);
    // Refunds come inside the bulk result: no refund is read by id, and an order with
    // shipping refunded (not in the bulk result) has only that read, in one request.
    let (refunds, shipping_orders) = refunds_and_shipping_orders(&site);
    assert!(
        refunds > shipping_orders && shipping_orders > 0,
        "the seed has refunds with and without shipping refunded"
    );
    assert_eq!(calls(&site, "Refund"), 0, "no refund read whole");
    assert_eq!(
        calls(&site, "RefundShipping"),
        shipping_orders as u64,
        "one read of the refunded shipping per order that refunded it"
    );

    // A change after the backfill (an order cancelled now; the generated orders are all in
    // the past): read incrementally, by id, with no second bulk query.
    let dump = site.sandbox.dump();
    let cancelled = dump["shopify"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter(|o| o["cancelled"].as_bool() == Some(false))
        .filter_map(|o| o["id"].as_str())
        .find(|id| site.sandbox.shopify().cancel_order(id).is_ok())
        .expect("an order that can be cancelled");
    let out = run(&["run", "--once", "--log", "info"], &site.config).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        calls(&site, "BulkOperationRunQuery"),
        1,
        "still one bulk query"
    );
    assert!(
        calls(&site, "Order") >= 1,
        "the cancelled order {cancelled} is read incrementally"
    );
    each_order_once(&site);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_during_the_backfill_is_resumed_without_a_second_bulk_query() {
    let site = bulk_site(2102).await;
    let config = site.config.clone();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .args(["run", "--once", "--log", "info", "--config"])
            .arg(&config)
            .env("FLOW_SHOPIFY_SYNC_PROGRESS_SECS", "1")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr");
        for line in BufReader::new(stderr).lines() {
            let line = line.expect("a line");
            if line.contains("through an export") {
                break;
            }
        }
        // SIGKILL: no clean-up of any kind, in the middle of the backfill.
        child.kill().expect("kill");
        child.wait().expect("wait");
    })
    .await
    .expect("the killed run");
    let recorded: Value = {
        let dump = site.sandbox.dump();
        dump["shopify"]["orders"].clone()
    };
    assert!(recorded.as_array().is_some_and(|o| o.len() >= ORDERS));
    run_until_done(&site, 3).await;
    assert_eq!(
        calls(&site, "BulkOperationRunQuery"),
        1,
        "the recorded bulk query is resumed, not started again"
    );
    each_order_once(&site);
}
