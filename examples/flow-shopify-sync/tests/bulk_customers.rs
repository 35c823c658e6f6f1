//! A customers backfill through one Shopify bulk query, end to end: the binary against the
//! sandbox's stand-ins over loopback, with more existing customers than one page of changes
//! and than `engine.bulk_threshold`. Every customer reaches Flow once, none is read one by
//! one (`Customer` by id), and a change after the backfill is read incrementally.

mod support;

use std::collections::HashMap;

use support::*;

/// The stand-in makes a customer for every third order: 760 orders, 254 customers, more
/// than one page of the change list (250), so the flow asks for a count.
const ORDERS: usize = 760;
const THRESHOLD: usize = 100;

/// Calls the Shopify stand-in answered, by operation name.
fn calls(site: &Site, operation: &str) -> u64 {
    site.sandbox.stats()["shopify"]["calls_by_operation"][operation]
        .as_u64()
        .unwrap_or(0)
}

/// Every Shopify customer is in Flow exactly once (by e-mail); returns how many there are.
fn each_customer_once(site: &Site) -> usize {
    let dump = site.sandbox.dump();
    let customers = dump["shopify"]["customers"].as_array().expect("customers");
    let mut by_email: HashMap<String, usize> = HashMap::new();
    for contact in dump["flow"]["contacts"].as_array().expect("contacts") {
        if let Some(email) = contact["email"].as_str() {
            *by_email.entry(email.to_lowercase()).or_default() += 1;
        }
    }
    for customer in customers {
        let email = customer["email"]
            .as_str()
            .expect("an e-mail")
            .to_lowercase();
        assert_eq!(
            by_email.get(&email).copied().unwrap_or(0),
            1,
            "customer {} in Flow once",
            customer["id"]
        );
    }
    customers.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_customers_are_backfilled_by_one_bulk_query_not_read_one_by_one() {
    let site = site(2111, ORDERS, 2, sandbox::FaultRates::default()).await;
    let text = std::fs::read_to_string(&site.config).expect("config");
    let text = text.replacen(
        "[engine]\n",
        &format!("[engine]\nbulk_threshold = {THRESHOLD}\n"),
        1,
    );
    std::fs::write(&site.config, text).expect("config written");
    let held = site.sandbox.dump()["shopify"]["customers"]
        .as_array()
        .expect("customers")
        .len();
    assert!(held > 250, "more customers than a page of changes: {held}");

    let out = run(&["customers", "pull", "--log", "info"], &site.config).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("of {held} customers read")),
        "a progress line with the count: {stderr}"
    );
    assert_eq!(calls(&site, "BulkOperationRunQuery"), 1, "one bulk query");
    assert!(calls(&site, "CustomersCount") >= 1);
    assert_eq!(calls(&site, "Customer"), 0, "no customer read one by one");
    assert_eq!(each_customer_once(&site), held);

    // A change after the backfill: read incrementally, by id, with no second bulk query.
    let changed = site.sandbox.dump()["shopify"]["customers"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    site.sandbox
        .shopify()
        .add_customer_tag(&changed, "wholesale")
        .expect("tagged");
    let out = run(&["customers", "pull", "--log", "info"], &site.config).await;
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
        (1..=5).contains(&calls(&site, "Customer")),
        "the changed customer {changed} is read incrementally, by id (with the overlap window, few others): {}",
        calls(&site, "Customer")
    );
    assert_eq!(each_customer_once(&site), held);
}
