//! A Shopify return processed at 2026-10 (`returnProcess`, here at a point of sale) reaches
//! Flow and ETA through the refund it records: one Flow return document and one ETA return
//! receipt referencing the sale's receipt, exactly once; the items an exchange gives are a
//! sale of their own: one Flow sales document and one ETA sale receipt. Runs the binary
//! against the sandbox.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use sandbox::SandboxConfig;
use sandbox::shopify::ExchangeLineSpec;
use serde_json::Value;
use support::{Site, first_paid_order, pos_return_of_one, site_from};

use support::BIN;

fn run_until_done(config: &Path) {
    for _ in 0..5 {
        let out = Command::new(BIN)
            .args(["run", "--once", "--config"])
            .arg(config)
            .output()
            .expect("the binary runs");
        if out.status.success() {
            return;
        }
        eprintln!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    panic!("the run did not finish");
}

/// (Flow returns, ETA return receipts as (uuid, reference uuid), ETA sale receipt uuids).
fn counts(dump: &Value) -> (usize, Vec<(String, String)>, Vec<String>) {
    let returns = dump["flow"]["returns"].as_array().unwrap().len();
    let receipts = dump["eta"]["receipts"].as_array().unwrap();
    let valid = receipts.iter().filter(|r| r["status"] == "Valid");
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let (ret, sale): (Vec<&Value>, Vec<&Value>) =
        valid.partition(|r| r["reference_uuid"].as_str().is_some_and(|s| !s.is_empty()));
    (
        returns,
        ret.iter()
            .map(|r| (text(&r["uuid"]), text(&r["reference_uuid"])))
            .collect(),
        sale.iter().map(|r| text(&r["uuid"])).collect(),
    )
}

/// A sandbox of four paid orders (no refunds, no cancellations) and a configuration for it,
/// after a first run.
async fn synced_site(seed: u64) -> Site {
    let site = site_from(SandboxConfig {
        seed,
        orders: 4,
        catalog_groups: 3,
        refund_rate: 0.0,
        cancel_rate: 0.0,
        ..SandboxConfig::default()
    })
    .await;
    run(site.config.clone()).await.unwrap();
    site
}

/// Runs the binary until a run finishes, off the async runtime.
fn run(config: PathBuf) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_blocking(move || run_until_done(&config))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processed_return_becomes_one_flow_return_and_one_return_receipt() {
    let site = synced_site(16).await;
    let (sandbox, path) = (&site.sandbox, site.config.clone());
    let before = counts(&sandbox.dump());
    assert!(!before.2.is_empty(), "sales have their receipts");

    let order = first_paid_order(&sandbox.dump());
    let made = sandbox
        .create_return(&pos_return_of_one(&order, Vec::new()))
        .unwrap();
    assert!(made["refund_id"].is_string(), "{made}");

    run(path.clone()).await.unwrap();
    let after = counts(&sandbox.dump());
    assert_eq!(after.0, before.0 + 1, "one Flow return document");
    assert_eq!(after.1.len(), before.1.len() + 1, "one ETA return receipt");
    let (_, referenced) = after.1.last().unwrap();
    assert!(
        after.2.contains(referenced),
        "the return receipt references a sale receipt"
    );
    // Again: nothing more.
    run(path).await.unwrap();
    let again = counts(&sandbox.dump());
    assert_eq!((again.0, again.1.len()), (after.0, after.1.len()));
}

/// The first order of `dump` that charged shipping.
fn order_with_shipping(dump: &Value) -> Value {
    dump["shopify"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["shipping"].as_str().is_some_and(|s| s != "0.00"))
        .expect("an order with shipping")
        .clone()
}

/// `dlq list --json`'s jobs.
fn dlq(config: &Path) -> Vec<Value> {
    let out = Command::new(BIN)
        .args(["dlq", "list", "--json", "--config"])
        .arg(config)
        .output()
        .expect("the binary runs");
    let list: Value = serde_json::from_slice(&out.stdout).expect("dlq list --json");
    list["jobs"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_of_shipping_alone_is_a_dead_letter_that_says_what_to_do_and_nothing_is_written() {
    let site = synced_site(17).await;
    let (sandbox, path) = (&site.sandbox, site.config.clone());
    let before = counts(&sandbox.dump());
    let order = order_with_shipping(&sandbox.dump());
    let shipping = order["shipping"].as_str().unwrap().to_owned();
    sandbox
        .shopify()
        .refund_order(order["id"].as_str().unwrap(), &[], true)
        .unwrap();

    run(path.clone()).await.unwrap();
    let jobs = dlq(&path);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["state"], "dead", "{jobs:?}");
    assert_eq!(jobs[0]["order_name"], order["name"], "{jobs:?}");
    let error = jobs[0]["error"].as_str().unwrap();
    assert!(
        error.contains("returns no item")
            && error.contains(&format!("{shipping} of it shipping"))
            && error.contains("by hand"),
        "{error}"
    );
    let after = counts(&sandbox.dump());
    assert_eq!(
        (after.0, after.1.len()),
        (before.0, before.1.len()),
        "nothing written"
    );
}

/// A JSON amount (number or string) as a decimal.
fn dec(v: &Value) -> rust_decimal::Decimal {
    v.to_string().trim_matches('"').parse().unwrap()
}

/// The configuration at `path` with the tenant's credit operation and service item set.
fn with_credit(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text
        .replace(
            "operations = { refund = \"SALRTN\" }",
            "operations = { refund = \"SALRTN\", credit = \"SALCRN\" }",
        )
        .replace(
            "walk_in_customer = \"1\" }",
            "walk_in_customer = \"1\", credit_item = \"CREDIT\" }",
        )
        .replace(
            "SALRTN = { builtin = \"SALRET\" }",
            "SALRTN = { builtin = \"SALRET\" }, SALCRN = { builtin = \"SALRET\" }",
        );
    assert!(text.contains("credit = \"SALCRN\"") && text.contains("SALCRN = {"));
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_of_shipping_and_goodwill_is_a_flow_credit_and_a_return_receipt_once() {
    let site = synced_site(17).await;
    let (sandbox, path) = (&site.sandbox, site.config.clone());
    sandbox
        .flow()
        .add_service_item("CREDIT", "Shopify credit")
        .unwrap();
    with_credit(&path);
    let before = counts(&sandbox.dump());
    let order = order_with_shipping(&sandbox.dump());
    let shipping: rust_decimal::Decimal = order["shipping"].as_str().unwrap().parse().unwrap();
    let id = order["id"].as_str().unwrap();
    // The shipping back, then money alone: two refunds that return no item.
    sandbox.shopify().refund_order(id, &[], true).unwrap();
    let goodwill = rust_decimal::Decimal::new(2500, 2);
    sandbox
        .shopify()
        .refund_amount(id, goodwill)
        .expect("a refund of money alone");

    run(path.clone()).await.unwrap();
    assert!(dlq(&path).is_empty(), "{:?}", dlq(&path));
    let after = sandbox.dump();
    let (returns, receipts, sales) = counts(&after);
    assert_eq!(returns, before.0 + 2, "one Flow credit per refund");
    assert_eq!(
        receipts.len(),
        before.1.len() + 2,
        "one ETA return per refund"
    );
    for (_, referenced) in &receipts[before.1.len()..] {
        assert!(sales.contains(referenced), "each references the sale");
    }
    let credits: Vec<&Value> = after["flow"]["returns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["op"] == "SALCRN")
        .collect();
    assert_eq!(credits.len(), 2, "{credits:?}");
    // Each credit's lines (the service item, VAT included as the sandbox's Flow prices are).
    let nets: Vec<rust_decimal::Decimal> = credits
        .iter()
        .map(|d| {
            let lines = d["lines"].as_array().unwrap();
            assert!(lines.iter().all(|l| l["sku"] == "CREDIT"), "{lines:?}");
            lines
                .iter()
                .map(|l| dec(&l["price"]) * dec(&l["qty"]))
                .sum()
        })
        .collect();
    assert!(
        nets.contains(&shipping),
        "the shipping credit: {nets:?} vs {shipping}"
    );
    assert!(nets.contains(&goodwill), "the goodwill credit: {nets:?}");
    // ETA's return receipts carry the same amounts.
    let totals: Vec<rust_decimal::Decimal> = after["eta"]["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            receipts[before.1.len()..]
                .iter()
                .any(|(u, _)| r["uuid"] == *u)
        })
        .map(|r| {
            let raw: Value = serde_json::from_str(r["raw"].as_str().unwrap()).unwrap();
            dec(&raw["totalAmount"])
        })
        .collect();
    assert_eq!(totals.len(), 2);
    assert!(
        totals.contains(&shipping) && totals.contains(&goodwill),
        "{totals:?}"
    );

    // Again: nothing more.
    run(path).await.unwrap();
    let again = counts(&sandbox.dump());
    assert_eq!((again.0, again.1.len()), (returns, receipts.len()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_becomes_a_return_and_a_sale_of_its_own_each_with_its_receipt() {
    let site = synced_site(17).await;
    let (sandbox, path) = (&site.sandbox, site.config.clone());
    let dump = sandbox.dump();
    let docs_before = dump["flow"]["sales_documents"].as_array().unwrap().len();
    let before = counts(&dump);
    let order = first_paid_order(&dump);
    let returned_sku = order["lines"][0]["sku"].as_str().unwrap().to_owned();
    // Another variant of the shop, given in exchange.
    let given_sku = dump["shopify"]["products"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["variants"].as_array().unwrap().iter())
        .filter_map(|v| v["sku"].as_str())
        .find(|sku| *sku != returned_sku)
        .expect("another variant")
        .to_owned();
    let given = vec![ExchangeLineSpec {
        sku: Some(given_sku.clone()),
        variant_id: None,
        quantity: 1,
    }];
    let made = sandbox
        .create_return(&pos_return_of_one(&order, given))
        .unwrap();
    let return_id = made["return_id"].as_str().unwrap().to_owned();
    let tail = return_id.rsplit('/').next().unwrap().to_owned();

    run(path.clone()).await.unwrap();
    let dump = sandbox.dump();
    let after = counts(&dump);
    assert_eq!(after.0, before.0 + 1, "one Flow return document");
    assert_eq!(after.1.len(), before.1.len() + 1, "one ETA return receipt");
    assert_eq!(
        after.2.len(),
        before.2.len() + 1,
        "one more ETA sale receipt: the exchange's"
    );
    let docs = dump["flow"]["sales_documents"].as_array().unwrap();
    assert_eq!(docs.len(), docs_before + 1, "one Flow sales document more");
    let name = order["name"].as_str().unwrap();
    let exchange_ref = format!("{name}-X{tail}");
    let exchange_doc = docs
        .iter()
        .find(|d| {
            d["external_ref"]
                .as_str()
                .is_some_and(|r| r.ends_with(&exchange_ref))
        })
        .unwrap_or_else(|| panic!("a Flow document for {exchange_ref}: {docs:?}"));
    let skus: Vec<&str> = exchange_doc["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["sku"].as_str())
        .collect();
    assert_eq!(
        skus,
        vec![given_sku.as_str()],
        "the exchange's document has the item given"
    );
    // The sale's own document kept its lines: the item given is not booked twice.
    let sale_doc = docs
        .iter()
        .find(|d| {
            d["external_ref"]
                .as_str()
                .is_some_and(|r| r.ends_with(name))
        })
        .expect("the sale's document");
    assert!(
        sale_doc["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["sku"].as_str() != Some(given_sku.as_str())
                || order["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o["sku"].as_str() == Some(given_sku.as_str()))),
        "{sale_doc}"
    );
    let receipt_numbers: Vec<&str> = dump["eta"]["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["receipt_number"].as_str())
        .collect();
    let number = exchange_ref.trim_start_matches('#');
    assert_eq!(
        receipt_numbers.iter().filter(|n| **n == number).count(),
        1,
        "one ETA sale receipt numbered {number}: {receipt_numbers:?}"
    );

    // Again: nothing more.
    run(path.clone()).await.unwrap();
    let dump = sandbox.dump();
    let again = counts(&dump);
    assert_eq!(
        (again.0, again.1.len(), again.2.len()),
        (after.0, after.1.len(), after.2.len())
    );
    assert_eq!(
        dump["flow"]["sales_documents"].as_array().unwrap().len(),
        docs_before + 1
    );

    // The item given comes back later: a return of the exchange's sale.
    let exchanged = dump["shopify"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == order["id"])
        .unwrap()
        .clone();
    let given_line = exchanged["lines"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|l| l["sku"].as_str() == Some(given_sku.as_str()))
        .expect("the line the exchange added")
        .clone();
    let mut back = pos_return_of_one(&exchanged, Vec::new());
    back.lines[0].line_item_id = given_line["id"].as_str().unwrap().to_owned();
    sandbox.create_return(&back).unwrap();
    run(path.clone()).await.unwrap();
    let dump = sandbox.dump();
    let later = counts(&dump);
    assert_eq!(later.0, again.0 + 1, "one Flow return more");
    let flow_return = dump["flow"]["returns"].as_array().unwrap().last().unwrap();
    assert_eq!(
        flow_return["source_doc_no"], exchange_doc["doc_no"],
        "its source is the exchange's document: {flow_return}"
    );
    let exchange_receipt = dump["eta"]["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["receipt_number"] == number)
        .unwrap()["uuid"]
        .clone();
    assert_eq!(
        later.1.len(),
        again.1.len() + 1,
        "one ETA return receipt more"
    );
    assert_eq!(
        later.1.last().unwrap().1,
        exchange_receipt.as_str().unwrap(),
        "it references the exchange's sale receipt"
    );
    assert!(dlq(&path).is_empty(), "{:?}", dlq(&path));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_first_read_after_their_exchange_book_the_sale_and_the_exchange_apart() {
    // A shop whose new orders get exchanged at a point of sale before the connector reads
    // them: each sale is booked with its own items only, each exchange as its own sale.
    let mut config = SandboxConfig {
        seed: 18,
        orders: 2,
        catalog_groups: 3,
        refund_rate: 0.0,
        cancel_rate: 0.0,
        ..SandboxConfig::default()
    };
    config.shopify.exchange_rate = 1.0;
    let site = site_from(config).await;
    run(site.config.clone()).await.unwrap();
    let (sandbox, path) = (&site.sandbox, site.config.clone());
    // The catalogue is in the shop now: new orders sell its variants, and can be exchanged.
    sandbox.generate_orders(12).unwrap();
    let dump = sandbox.dump();
    let returns = dump["shopify"]["returns"].as_array().unwrap().clone();
    assert!(!returns.is_empty(), "the seed fulfils some new orders");
    run(path.clone()).await.unwrap();
    let dump = sandbox.dump();
    let docs = dump["flow"]["sales_documents"].as_array().unwrap();
    let receipts = dump["eta"]["receipts"].as_array().unwrap();
    for r in &returns {
        let order = dump["shopify"]["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == r["order_id"])
            .unwrap();
        let name = order["name"].as_str().unwrap();
        let tail = r["id"].as_str().unwrap().rsplit('/').next().unwrap();
        let reference = format!("{name}-X{tail}");
        let given = r["exchange_lines"][0]["sku"].as_str().unwrap();
        let exchange: Vec<&Value> = docs
            .iter()
            .filter(|d| {
                d["external_ref"]
                    .as_str()
                    .is_some_and(|x| x.ends_with(&reference))
            })
            .collect();
        assert_eq!(exchange.len(), 1, "one Flow document for {reference}");
        assert_eq!(exchange[0]["lines"][0]["sku"], given, "{}", exchange[0]);
        let sale = docs
            .iter()
            .find(|d| {
                d["external_ref"]
                    .as_str()
                    .is_some_and(|x| x.ends_with(name))
            })
            .expect("the sale's document");
        let sold = order["lines"].as_array().unwrap().len() - 1;
        assert_eq!(
            sale["lines"].as_array().unwrap().len(),
            sold,
            "the sale's document has the items sold, not the one given: {sale}"
        );
        let number = reference.trim_start_matches('#');
        assert_eq!(
            receipts
                .iter()
                .filter(|x| x["receipt_number"] == number && x["status"] == "Valid")
                .count(),
            1,
            "one Valid sale receipt {number}"
        );
    }
    assert_eq!(
        dump["flow"]["returns"].as_array().unwrap().len(),
        returns.len(),
        "one Flow return a return"
    );
}
