//! Several tax devices: orders routed by channel and location, one chain per device, a device
//! whose credentials fail stopping only its own chain; and the return receipt of a sale made
//! before go-live.

mod common;

use std::sync::Arc;

use common::*;
use rust_decimal::Decimal;
use sync_core::engine::memory::MemoryTax;
use sync_core::engine::{Connectors, DeviceRoute, DevicesError, Engine, ReceiptPhase, TaxDevices};
use sync_core::error::OutageCause;
use sync_core::model::*;
use sync_core::store::StateStore;

struct Devices {
    web: Arc<MemoryTax>,
    cairo: Arc<MemoryTax>,
    giza: Arc<MemoryTax>,
}

fn devices() -> Devices {
    Devices {
        web: Arc::new(MemoryTax::new("POS-WEB", &["cash", "paymob"])),
        cairo: Arc::new(MemoryTax::new("POS-CAIRO", &["cash", "paymob"])),
        giza: Arc::new(MemoryTax::new("POS-GIZA", &["cash", "paymob"])),
    }
}

fn routed(devices: &Devices) -> TaxDevices {
    TaxDevices::single(devices.web.clone())
        .with_default_route(DeviceRoute {
            sources: vec!["web".to_owned()],
            locations: vec![],
        })
        .unwrap()
        .with_device(
            devices.cairo.clone(),
            DeviceRoute {
                sources: vec![],
                locations: vec!["gid://shop/Location/1".into()],
            },
        )
        .unwrap()
        .with_device(
            devices.giza.clone(),
            DeviceRoute {
                sources: vec![],
                locations: vec!["gid://shop/Location/2".into()],
            },
        )
        .unwrap()
}

fn engine_with(world: &World, store: Arc<dyn StateStore>, tax: TaxDevices) -> Engine {
    let connectors = Connectors {
        erp_catalog: world.erp.clone(),
        erp_sales: world.erp.clone(),
        storefront_catalog: world.shop.clone(),
        storefront_orders: world.shop.clone(),
        tax: world.tax.clone(),
    };
    Engine::new(connectors, store, config("w1")).with_tax_devices(tax)
}

fn at(mut order: Order, source: &str, location: Option<&str>) -> Order {
    order.source = Some(source.to_owned());
    order.location = location.map(LocationId::from);
    order
}

/// Every receipt a device accepted follows the one before it on that device.
fn assert_own_chain(tax: &MemoryTax) {
    let mut last = ReceiptUuid::default();
    for (uuid, previous, outcome) in tax.received() {
        assert_eq!(
            outcome.state,
            ReceiptState::Accepted,
            "{} refused {uuid}: {:?}",
            tax_name(tax),
            outcome.reason
        );
        assert_eq!(previous, last, "{}: chain broken at {uuid}", tax_name(tax));
        last = uuid;
    }
}

fn tax_name(tax: &MemoryTax) -> &str {
    use sync_core::connector::TaxAuthority;
    tax.device()
}

#[tokio::test]
async fn orders_go_to_the_device_of_their_location_or_channel_each_on_its_own_chain() {
    let world = world();
    let d = devices();
    let orders = [
        at(order(1, "A-RED", 1, 100), "web", None),
        at(order(2, "B-BLACK", 1, 250), "web", None),
        at(
            order(3, "A-BLUE", 2, 100),
            "pos",
            Some("gid://shop/Location/1"),
        ),
        at(
            order(4, "C-WHITE", 1, 75),
            "pos",
            Some("gid://shop/Location/1"),
        ),
        at(
            order(5, "C-GREEN", 1, 75),
            "pos",
            Some("gid://shop/Location/2"),
        ),
        // A channel no route names: the default device.
        at(order(6, "A-RED", 1, 100), "shopify_draft_order", None),
    ];
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    let engine = engine_with(&world, sqlite().await, routed(&d));
    let summary = engine.run_once().await.unwrap();
    assert_eq!(summary.receipts_accepted, 6, "{summary:?}");
    assert_eq!(d.web.received().len(), 3, "orders 1, 2 and 6");
    assert_eq!(d.cairo.received().len(), 2, "orders 3 and 4");
    assert_eq!(d.giza.received().len(), 1, "order 5");
    assert!(
        world.tax.received().is_empty(),
        "the engine's own tax is not a device now"
    );
    for tax in [&d.web, &d.cairo, &d.giza] {
        assert_own_chain(tax);
    }
    let statuses = engine.receipt_statuses(None).await.unwrap();
    let device_of = |n: u32| {
        statuses
            .iter()
            .find(|s| s.order_id == format!("gid://shop/Order/{n}"))
            .map(|s| s.device.clone())
            .unwrap()
    };
    assert_eq!(device_of(1), "POS-WEB");
    assert_eq!(device_of(3), "POS-CAIRO");
    assert_eq!(device_of(5), "POS-GIZA");
    assert_eq!(device_of(6), "POS-WEB");
    // Each device's chain head is its own last receipt.
    for tax in [&d.web, &d.cairo, &d.giza] {
        let last = tax.received().last().unwrap().0.clone();
        assert_eq!(
            engine.store().chain_head(tax_name(tax)).await.unwrap(),
            Some(last.to_string())
        );
    }
    let again = engine.run_once().await.unwrap();
    assert_eq!(again.receipts_issued, 0, "nothing twice: {again:?}");
}

#[tokio::test]
async fn a_device_whose_credentials_fail_stops_only_its_own_chain() {
    let world = world();
    let d = devices();
    d.cairo.set_down(Some(OutageCause::Unauthenticated));
    for o in [
        at(order(1, "A-RED", 1, 100), "web", None),
        at(
            order(2, "A-BLUE", 1, 100),
            "pos",
            Some("gid://shop/Location/1"),
        ),
        at(
            order(3, "C-GREEN", 1, 75),
            "pos",
            Some("gid://shop/Location/2"),
        ),
        at(order(4, "B-BLACK", 1, 250), "web", None),
    ] {
        world.shop.put_order(o);
    }
    let engine = engine_with(&world, sqlite().await, routed(&d));
    let first = engine.run_once().await.unwrap();
    assert_eq!(first.receipts_accepted, 3, "web and Giza go on: {first:?}");
    assert_eq!(
        first.dead_letters, 0,
        "a refused device makes no dead letter"
    );
    assert!(d.cairo.received().is_empty());
    assert_eq!(d.web.received().len(), 2);
    assert_eq!(d.giza.received().len(), 1);
    let outages = engine.outages();
    assert_eq!(outages.len(), 1, "{outages:?}");
    assert_eq!(outages[0].device.as_deref(), Some("POS-CAIRO"));
    assert_eq!(outages[0].cause, OutageCause::Unauthenticated);

    // Mended: Cairo's receipt goes once its breaker lets it try again.
    d.cairo.set_down(None);
    let retry_at = outages[0].retry_at;
    tokio::time::sleep((retry_at - chrono::Utc::now()).to_std().unwrap_or_default()).await;
    let mut accepted = 0;
    for _ in 0..5 {
        accepted += engine.run_once().await.unwrap().receipts_accepted;
        if accepted > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    assert_eq!(accepted, 1, "Cairo's receipt after the mend");
    assert_eq!(d.cairo.received().len(), 1);
    assert!(engine.outages().is_empty());
    for tax in [&d.web, &d.cairo, &d.giza] {
        assert_own_chain(tax);
    }
}

#[tokio::test]
async fn a_device_that_is_down_does_not_end_the_pass_before_the_other_devices_work() {
    // The refused device's receipt fails first; the web orders of one new shopper wait a moment
    // for the claim on their customer. The pass waits for them: only the refused device's work
    // is left for the next pass.
    let world = world();
    let d = devices();
    d.cairo.set_down(Some(OutageCause::Unauthenticated));
    world.shop.put_order(at(
        order(1, "A-BLUE", 1, 100),
        "pos",
        Some("gid://shop/Location/1"),
    ));
    for n in 2..=7 {
        let mut o = at(order(n, "A-RED", 1, 100), "web", None);
        o.customer = Some(customer("one-new-shopper"));
        world.shop.put_order(o);
    }
    let engine = engine_with(&world, sqlite().await, routed(&d));
    let first = engine.run_once().await.unwrap();
    assert_eq!(
        d.web.received().len(),
        6,
        "every web order in the pass: {first:?}"
    );
    assert_eq!(first.receipts_accepted, 6, "{first:?}");
    assert!(d.cairo.received().is_empty());
    assert_own_chain(&d.web);
    assert_eq!(engine.outages().len(), 1);
}

#[test]
fn a_location_or_channel_routed_to_two_devices_is_refused_naming_it() {
    let d = devices();
    let err = routed(&d)
        .with_device(
            Arc::new(MemoryTax::new("POS-X", &["cash"])),
            DeviceRoute {
                sources: vec![],
                locations: vec!["gid://shop/Location/2".into()],
            },
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "location gid://shop/Location/2: routed to both device POS-GIZA and device POS-X"
    );
    let twice = routed(&d)
        .with_device(d.cairo.clone(), DeviceRoute::default())
        .unwrap_err();
    assert_eq!(twice, DevicesError::Duplicate("POS-CAIRO".to_owned()));
}

/// `order` with refund `id` of its whole first line, made at minute `at`.
fn refunded(mut order: Order, id: &str, at: u32) -> Order {
    let line = order.lines[0].clone();
    order.refunds.push(Refund {
        external_id: format!("gid://shop/Refund/{id}").into(),
        created_at: t(at),
        lines: vec![RefundLine {
            line_id: line.line_id.clone(),
            sku: line.sku.clone(),
            quantity: line.quantity,
            amount: line.net_total(),
            tax: Decimal::ZERO,
        }],
        shipping: Decimal::ZERO,
        total: order.total,
        payments: vec![],
    });
    order.financial_status = FinancialStatus::Refunded;
    order.updated_at = t(at);
    order
}

#[tokio::test]
async fn a_refund_of_a_sale_made_before_go_live_gets_a_return_receipt_without_reference() {
    let world = world();
    // Order 5 was sold before go-live (minute 30), order 40 after; both are refunded.
    let before = refunded(order(5, "A-RED", 1, 100), "50", 45);
    let after = refunded(order(40, "B-BLACK", 1, 250), "41", 46);
    world.shop.put_order(before);
    world.shop.put_order(after);
    let connectors = Connectors {
        erp_catalog: world.erp.clone(),
        erp_sales: world.erp.clone(),
        storefront_catalog: world.shop.clone(),
        storefront_orders: world.shop.clone(),
        tax: world.tax.clone(),
    };
    let mut config = config("w1");
    config.go_live = Some(t(30));
    let engine = Engine::new(connectors, sqlite().await, config);
    let mut accepted = 0;
    for _ in 0..4 {
        accepted += engine.run_once().await.unwrap().receipts_accepted;
        if accepted >= 3 {
            break;
        }
    }
    assert_eq!(
        accepted, 3,
        "the later sale, its return, and the earlier refund's return without reference"
    );
    let statuses = engine.receipt_statuses(None).await.unwrap();
    let of = |order: u32, kind: &str| {
        statuses
            .iter()
            .find(|s| s.order_id == format!("gid://shop/Order/{order}") && s.kind == kind)
            .cloned()
    };
    assert!(of(5, "sale").is_none(), "no sale receipt before go-live");
    let early = of(5, "return").expect("the early refund's return receipt");
    assert_eq!(early.state, ReceiptPhase::Valid);
    assert_eq!(early.reference_uuid, None, "a return without reference");
    let sale = of(40, "sale").expect("the later sale's receipt");
    let late = of(40, "return").expect("the later refund's return receipt");
    assert_eq!(late.reference_uuid, sale.uuid, "references its sale");
    assert_chain_without_gap(&world);
}

#[tokio::test]
async fn without_go_live_a_return_keeps_waiting_for_its_sale_receipt() {
    // The same early refund with no go-live: its sale gets a receipt, and the return
    // references it (nothing is issued without reference).
    let world = world();
    world
        .shop
        .put_order(refunded(order(5, "A-RED", 1, 100), "50", 45));
    let engine = engine(&world, sqlite().await, "w1");
    for _ in 0..4 {
        engine.run_once().await.unwrap();
    }
    let statuses = engine.receipt_statuses(None).await.unwrap();
    let sale = statuses.iter().find(|s| s.kind == "sale").expect("sale");
    let ret = statuses
        .iter()
        .find(|s| s.kind == "return")
        .expect("return");
    assert_eq!(ret.reference_uuid, sale.uuid);
}
