//! End to end through the stand-ins (issue #18, items 4 and 5): the receipt's buyer comes from
//! what Shopify holds of the order (the customer's tax id, a customer metafield, an order
//! attribute, a B2B company, a tagged customer), a sale without what ETA needs parks with the
//! places the connector looked, and an order an EGP shop presented in another currency is
//! issued in that currency with the rate read from the order's shop and presentment amounts.

use std::path::Path;
use std::process::{Command, Output};

use sandbox::shopify::{CatalogEntry, NewCompany};
use sandbox::{FaultRates, RunningSandbox, Sandbox, SandboxConfig};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_flow-shopify-sync");

async fn start(presentment: Option<(&str, &str)>) -> RunningSandbox {
    let mut config = SandboxConfig {
        seed: 18,
        orders: 0,
        catalog_groups: 3,
        faults: FaultRates::none(),
        ..SandboxConfig::default()
    };
    config.eta.max_receipt_age = None;
    if let Some((currency, rate)) = presentment {
        config.shopify.presentment_currency = Some(currency.into());
        config.shopify.presentment_rate = rate.parse().unwrap();
    }
    Sandbox::start(config).await.expect("sandbox starts")
}

async fn run_once(config: &Path) -> Output {
    let config = config.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["run", "--once", "--config"])
            .arg(&config)
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap()
}

/// One order of `price` (one line of a SKU Flow knows) with a customer; returns its GID and
/// its customer's GID.
fn order_with_customer(sb: &RunningSandbox, price: &str, seed: u64) -> (String, String) {
    let known = sb.flow().catalog_items()[0].clone();
    let entry = CatalogEntry {
        sku: known.sku.clone(),
        title: known.title.clone(),
        price: price.parse().unwrap(),
    };
    for s in seed..seed + 50 {
        let id = sb
            .shopify()
            .generate_orders(1, std::slice::from_ref(&entry), 0.0, 0.0, s)[0]
            .clone();
        if let Some(customer) = sb.shopify().order_customer(&id) {
            return (id, customer);
        }
    }
    panic!("no generated order with a customer");
}

fn name_of(sb: &RunningSandbox, id: &str) -> String {
    sb.dump()["shopify"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .and_then(|o| o["name"].as_str())
        .unwrap()
        .to_owned()
}

/// The receipt ETA holds for order `name` (receipt number = the name without `#`), parsed.
fn receipt_of(dump: &Value, name: &str) -> Option<(String, Value)> {
    let number = name.trim_start_matches('#');
    dump["eta"]["receipts"].as_array()?.iter().find_map(|r| {
        (r["receipt_number"] == number).then(|| {
            (
                r["status"].as_str().unwrap_or_default().to_owned(),
                serde_json::from_str(r["raw"].as_str().unwrap()).unwrap(),
            )
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buyer_ids_come_from_the_shop_and_a_missing_one_parks_with_where_it_looked() {
    let sb = start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let config = sandbox::sync_config::write(&sb, dir.path()).unwrap();
    // The attribute is read first, then the tax id; customers tagged "b2b" are businesses.
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(
        "\n[eta.buyer]\nid_sources = [\"attribute\", \"tax_id\", \"metafield\"]\nbusiness_tag = \"b2b\"\n",
    );
    std::fs::write(&config, text).unwrap();
    let shop = sb.shopify();

    let (by_tax_id, c1) = order_with_customer(&sb, "200000.00", 100);
    shop.set_customer_tax_id(&c1, Some("29001010123456"))
        .unwrap();
    let (by_metafield, c2) = order_with_customer(&sb, "200000.00", 200);
    shop.set_customer_metafield(&c2, "custom", "eta_buyer_id", "29001010000002")
        .unwrap();
    let (by_attribute, c3) = order_with_customer(&sb, "200000.00", 300);
    shop.set_customer_tax_id(&c3, Some("29001010000009"))
        .unwrap();
    shop.set_order_attributes(&by_attribute, &[("eta_buyer_id", "29001010000003")])
        .unwrap();
    let (company, _) = order_with_customer(&sb, "1500.00", 400);
    shop.set_order_company(
        &company,
        &NewCompany {
            name: "Nile Traders".into(),
            location_name: "Head office".into(),
            tax_registration_id: Some("123-456-780".into()),
            country_code: "EG".into(),
        },
    )
    .unwrap();
    let (tagged, c5) = order_with_customer(&sb, "1500.00", 500);
    shop.add_customer_tag(&c5, "B2B").unwrap();
    shop.set_customer_metafield(&c5, "custom", "eta_buyer_id", "300000003")
        .unwrap();
    let (missing, _) = order_with_customer(&sb, "200000.00", 600);
    let names: Vec<String> = [
        &by_tax_id,
        &by_metafield,
        &by_attribute,
        &company,
        &tagged,
        &missing,
    ]
    .iter()
    .map(|id| name_of(&sb, id))
    .collect();

    let out = run_once(&config).await;
    assert!(
        out.status.success(),
        "only the parked receipt is left: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = sb.dump();
    let expect = [
        ("P", "29001010123456"),
        ("P", "29001010000002"),
        ("P", "29001010000003"),
        ("B", "123456780"),
        ("B", "300000003"),
    ];
    for (name, (kind, id)) in names.iter().zip(expect) {
        let (status, raw) =
            receipt_of(&dump, name).unwrap_or_else(|| panic!("no receipt for {name}"));
        assert_eq!(status, "Valid", "{name}: {raw}");
        assert_eq!(raw["buyer"]["type"], kind, "{name}: {raw}");
        assert_eq!(raw["buyer"]["id"], id, "{name}: {raw}");
        assert!(
            raw["buyer"]["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{raw}"
        );
    }
    let (_, b2b) = receipt_of(&dump, &names[3]).unwrap();
    assert_eq!(b2b["buyer"]["name"], "Nile Traders");
    assert!(
        receipt_of(&dump, &names[5]).is_none(),
        "the sale without a buyer id never reached ETA"
    );

    sb.shutdown().await;
    let list = Command::new(BIN)
        .args(["dlq", "list", "--json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    // Generated orders without a customer (a walk-in above the threshold) park too; the one
    // under test is found by its receipt number.
    let number = names[5].trim_start_matches('#');
    let job = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| {
            j["error"]
                .as_str()
                .is_some_and(|e| e.contains(&format!("receipt {number}:")))
        })
        .unwrap_or_else(|| panic!("no parked receipt {number}: {list}"));
    let error = job["error"].as_str().unwrap();
    for needle in [
        "150000",
        "order attribute \"eta_buyer_id\"",
        "taxSettings.taxId",
        "custom.eta_buyer_id",
    ] {
        assert!(error.contains(needle), "{needle} in {error}");
    }
    for name in &names[..5] {
        let number = name.trim_start_matches('#');
        assert!(
            !list.to_string().contains(&format!("receipt {number}:")),
            "{name} was issued, not parked: {list}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_presented_in_usd_is_issued_in_usd_with_the_rate_from_its_amounts() {
    let sb = start(Some(("USD", "50"))).await;
    let dir = tempfile::tempdir().unwrap();
    let config = sandbox::sync_config::write(&sb, dir.path()).unwrap();
    // 5,000 EGP shown to the customer as 100 USD.
    let (order, _) = order_with_customer(&sb, "5000.00", 700);
    let name = name_of(&sb, &order);
    let out = run_once(&config).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = sb.dump();
    let (status, raw) = receipt_of(&dump, &name).expect("the receipt was issued");
    assert_eq!(status, "Valid", "{raw}");
    assert_eq!(raw["header"]["currency"], "USD", "{raw}");
    let rate = raw["header"]["exchangeRate"].as_f64().unwrap();
    assert!((rate - 50.0).abs() < 0.01, "{raw}");
    let total = raw["totalAmount"].as_f64().unwrap();
    let shop_total: f64 = dump["shopify"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == order.as_str())
        .and_then(|o| o["total"].as_str()?.parse().ok())
        .expect("the order's total in the dump");
    // The amounts are the USD ones (the EGP total ÷ 50, to the cent per amount), and the
    // rate turns them back into the shop's EGP total.
    assert!(
        (total - shop_total / 50.0).abs() < 0.05,
        "amounts are in USD: {total} for {shop_total} EGP"
    );
    assert!(
        (total * rate - shop_total).abs() < 1.0,
        "{total} × {rate} vs {shop_total}"
    );
    // The day's reconciliation compares in the shop's currency: the USD receipt matches its
    // EGP order and Flow document.
    let day = dump["shopify"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == order.as_str())
        .and_then(|o| o["created_at"].as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .expect("the order's creation time in the dump")
        .date_naive();
    let (_, engine, _) = flow_shopify_sync::demo::engine_for(&config).await.unwrap();
    let report = engine.reconcile_sales(day).await.unwrap();
    assert!(
        report.mismatches.iter().all(|m| m.order.as_str() != order),
        "{:?}",
        report.mismatches
    );
    sb.shutdown().await;
}
