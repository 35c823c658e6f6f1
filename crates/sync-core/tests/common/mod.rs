//! Fixtures shared by the engine tests: a small catalogue, orders, and an engine over the
//! in-memory connectors.
#![allow(dead_code, unreachable_pub)]

mod crashing;
mod shop;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use sync_core::engine::memory::{MemoryErp, MemoryStorefront, MemoryTax};
use sync_core::engine::{Connectors, Engine, EngineConfig};
use sync_core::model::*;
use sync_core::money::Currency;
use sync_core::store::StateStore;

#[allow(unused_imports)] // not every test crate that shares these fixtures uses it
pub use crashing::CrashingStore;
#[allow(unused_imports)] // not every test crate that shares these fixtures uses it
pub use shop::TestShop;

pub struct World {
    pub erp: Arc<MemoryErp>,
    pub shop: Arc<MemoryStorefront>,
    pub tax: Arc<MemoryTax>,
}

pub fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, minute, 0).unwrap()
}

pub fn group(code: &str, colours: &[&str], price: i64) -> ProductGroup {
    ProductGroup {
        code: code.to_owned(),
        title: format!("Item {code}"),
        description: String::new(),
        vendor: None,
        product_type: None,
        status: ProductStatus::Active,
        options: vec!["Color".to_owned()],
        variants: colours
            .iter()
            .map(|c| Variant {
                sku: Sku::from(format!("{code}-{c}")),
                item_code: code.to_owned(),
                option_values: vec![(*c).to_owned()],
                barcode: None,
                weight_kg: None,
                price: Decimal::new(price, 0),
                compare_at_price: None,
                taxable: true,
            })
            .collect(),
        images: vec![],
    }
}

pub fn catalog() -> Vec<ProductGroup> {
    vec![
        group("A", &["RED", "BLUE"], 100),
        group("B", &["BLACK"], 250),
        group("C", &["WHITE", "GREEN"], 75),
    ]
}

pub fn stock() -> Vec<StockLevel> {
    let mut levels = Vec::new();
    for g in catalog() {
        for (i, v) in g.variants.iter().enumerate() {
            levels.push(StockLevel {
                sku: v.sku.clone(),
                store: "1".to_owned(),
                quantity: 10 + i as i64,
            });
            levels.push(StockLevel {
                sku: v.sku.clone(),
                store: "2".to_owned(),
                quantity: 3,
            });
        }
    }
    levels
}

pub fn customer(id: &str) -> Customer {
    Customer {
        external_id: format!("gid://shop/Customer/{id}").into(),
        email: Some(format!("c{id}@example.com")),
        phone: None,
        first_name: Some("Mona".to_owned()),
        last_name: Some("Adel".to_owned()),
        addresses: vec![],
        updated_at: t(1),
    }
}

pub fn order(n: u32, sku: &str, qty: i64, price: i64) -> Order {
    let total = Decimal::new(qty * price, 0);
    Order {
        external_id: format!("gid://shop/Order/{n}").into(),
        name: format!("#{}", 1000 + n),
        created_at: t(n % 60),
        updated_at: t(n % 60),
        currency: Currency::EGP,
        taxes_included: true,
        customer: Some(customer(&n.to_string())),
        email: None,
        phone: None,
        billing_address: None,
        shipping_address: None,
        lines: vec![OrderLine {
            line_id: format!("L{n}").into(),
            sku: Some(Sku::from(sku)),
            title: sku.to_owned(),
            quantity: Decimal::new(qty, 0),
            unit_price: Decimal::new(price, 0),
            discount: Decimal::ZERO,
            tax_lines: vec![],
        }],
        shipping_lines: vec![],
        total,
        total_tax: Decimal::ZERO,
        financial_status: FinancialStatus::Paid,
        fulfilled: false,
        cancelled_at: None,
        payments: vec![Payment {
            gateway: "cash".to_owned(),
            amount: total,
        }],
        refunds: vec![],
        buyer: Default::default(),
        presentment: None,
        exchanges: Vec::new(),
        source: None,
        location: None,
    }
}

pub fn world() -> World {
    let erp = Arc::new(MemoryErp::new());
    erp.set_groups(catalog());
    erp.set_stock(stock());
    let shop = Arc::new(MemoryStorefront::new(vec![
        Location {
            id: "gid://shop/Location/1".into(),
            name: "Cairo".to_owned(),
        },
        Location {
            id: "gid://shop/Location/2".into(),
            name: "Giza".to_owned(),
        },
    ]));
    let tax = Arc::new(MemoryTax::new("POS-1", &["cash", "paymob"]));
    World { erp, shop, tax }
}

pub fn config(worker: &str) -> EngineConfig {
    let mut config = EngineConfig::new("shop-1");
    config.worker = worker.to_owned();
    config.locations = BTreeMap::from([
        ("1".to_owned(), "gid://shop/Location/1".into()),
        ("2".to_owned(), "gid://shop/Location/2".into()),
    ]);
    config.lease = Duration::from_millis(300);
    config.drain_timeout = Duration::from_secs(20);
    config
}

pub fn engine(world: &World, store: Arc<dyn StateStore>, worker: &str) -> Engine {
    engine_with_catalog(world, world.erp.clone(), store, worker)
}

/// The world's engine with another ERP catalogue source (for example one that is slow).
pub fn engine_with_catalog(
    world: &World,
    catalog: Arc<dyn sync_core::connector::ErpCatalog>,
    store: Arc<dyn StateStore>,
    worker: &str,
) -> Engine {
    world_engine(world, catalog, store, config(worker))
}

/// The world's engine polling receipt verdicts every 100 ms instead of every 2 s, for tests
/// that run many passes (a return waits for its sale's verdict at that pace).
pub fn quick_engine(world: &World, store: Arc<dyn StateStore>, worker: &str) -> Engine {
    let mut config = config(worker);
    config.receipt_poll_min = Duration::from_millis(100);
    world_engine(world, world.erp.clone(), store, config)
}

/// The world's engine with `config`.
pub fn configured_engine(
    world: &World,
    store: Arc<dyn StateStore>,
    config: EngineConfig,
) -> Engine {
    world_engine(world, world.erp.clone(), store, config)
}

fn world_engine(
    world: &World,
    catalog: Arc<dyn sync_core::connector::ErpCatalog>,
    store: Arc<dyn StateStore>,
    config: EngineConfig,
) -> Engine {
    let connectors = Connectors {
        erp_catalog: catalog,
        erp_sales: world.erp.clone(),
        storefront_catalog: world.shop.clone(),
        storefront_orders: world.shop.clone(),
        tax: world.tax.clone(),
    };
    Engine::new(connectors, store, config)
}

/// How many receipts the tax authority accepted.
pub fn accepted_receipts(world: &World) -> usize {
    world
        .tax
        .received()
        .iter()
        .filter(|(_, _, o)| o.state == ReceiptState::Accepted)
        .count()
}

pub async fn sqlite() -> Arc<dyn StateStore> {
    Arc::new(sync_core::store::SqliteStore::in_memory().await.unwrap())
}

/// Every sales document reference appears once (no duplicates), and each order has one.
pub fn assert_each_order_once(world: &World, orders: &[Order]) {
    let docs = world.erp.documents();
    for o in orders.iter().filter(|o| o.cancelled_at.is_none()) {
        let n = docs
            .iter()
            .filter(|d| d.operation == "SALINV" && d.reference == o.external_id)
            .count();
        assert_eq!(n, 1, "order {} landed {n} times in the ERP", o.name);
    }
}

/// The tax authority accepted one sale receipt per paid order and its chain has no gap.
pub fn assert_chain_without_gap(world: &World) {
    let received = world.tax.received();
    let mut last = ReceiptUuid::default();
    for (uuid, previous, outcome) in &received {
        if outcome.state == ReceiptState::Accepted {
            assert_eq!(
                previous, &last,
                "receipt {uuid} does not follow the previous accepted one"
            );
            last = uuid.clone();
        }
    }
    let mut uuids: Vec<&ReceiptUuid> = received.iter().map(|(u, _, _)| u).collect();
    uuids.sort();
    uuids.dedup();
    assert_eq!(uuids.len(), received.len(), "a receipt was submitted twice");
}

/// Refund `id` of one unit of line `line` (`sku`, at `price`), made at minute `at`.
pub fn unit_refund(id: &str, line: &str, sku: &str, price: i64, at: u32) -> Refund {
    Refund {
        external_id: format!("gid://shop/Refund/{id}").into(),
        created_at: t(at),
        lines: vec![RefundLine {
            line_id: line.into(),
            sku: Some(Sku::from(sku)),
            quantity: Decimal::ONE,
            amount: Decimal::new(price, 0),
            tax: Decimal::ZERO,
        }],
        shipping: Decimal::ZERO,
        total: Decimal::new(price, 0),
        payments: vec![],
    }
}

/// A crash at each step of a pass over `orders`: for n = 1, 2, 3… a new world whose state store
/// refuses every write after the n-th, then a restart (a new worker, after the old leases
/// expired) on the same store, and `check(world, n)`; until a pass finishes without crashing,
/// which must take more than ten writes.
pub async fn crash_at_every_step(orders: &[Order], check: impl Fn(&World, i64)) {
    let mut step = 1;
    loop {
        let world = world();
        for o in orders {
            world.shop.put_order(o.clone());
        }
        let dir = tempfile::tempdir().unwrap();
        let durable: Arc<dyn StateStore> = Arc::new(
            sync_core::store::SqliteStore::open(dir.path().join("state.db"))
                .await
                .unwrap(),
        );
        let crashing = Arc::new(CrashingStore::new(durable.clone(), step));
        let first = quick_engine(&world, crashing, "before-crash");
        let crashed = first.run_once().await.is_err();
        drop(first);
        tokio::time::sleep(Duration::from_millis(350)).await;
        let second = quick_engine(&world, durable, "after-crash");
        second.run_once().await.unwrap();
        check(&world, step);
        if !crashed {
            assert!(step > 10, "the pass finished after only {step} writes");
            break;
        }
        step += 1;
    }
}
