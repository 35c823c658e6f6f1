//! Receipts under `receipt_trigger = on_fulfilled` for orders with nothing to fulfil
//! (Shopify 2026-10): lines that need no shipping, and orders left with nothing because they
//! were cancelled or refunded. The storefront reports such an order's `fulfilled` by meaning
//! (see `Order::fulfilled`): delivered once paid when nothing ships, not delivered when
//! nothing is left.

mod common;

use common::*;
use rust_decimal::Decimal;
use sync_core::engine::{Connectors, Engine, ReceiptTrigger};
use sync_core::model::*;

fn on_fulfilled(world: &World, store: std::sync::Arc<dyn sync_core::store::StateStore>) -> Engine {
    let connectors = Connectors {
        erp_catalog: world.erp.clone(),
        erp_sales: world.erp.clone(),
        storefront_catalog: world.shop.clone(),
        storefront_orders: world.shop.clone(),
        tax: world.tax.clone(),
    };
    let mut config = config("w1");
    config.receipt_trigger = ReceiptTrigger::OnFulfilled;
    Engine::new(connectors, store, config)
}

/// `order` refunded to nothing by refund `id`, at minute `at`.
fn refunded_in_full(mut order: Order, id: &str, at: u32) -> Order {
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
    // Nothing is left to fulfil (FULFILLMENT_NOT_REQUIRED): not delivered.
    order.fulfilled = false;
    order.updated_at = t(at);
    order
}

/// The orders whose sales document has its receipt.
fn with_receipt(world: &World) -> Vec<String> {
    let mut refs: Vec<String> = world
        .erp
        .documents()
        .iter()
        .filter(|d| d.operation != "SALRET" && d.receipt.is_some())
        .map(|d| d.reference.clone())
        .collect();
    refs.sort();
    refs
}

#[tokio::test]
async fn nothing_to_ship_gets_its_receipt_when_paid_and_nothing_left_gets_none_until_after_a_receipt()
 {
    let world = world();
    // A service, paid: nothing ships, so the storefront reports it delivered.
    let mut service = order(1, "A-RED", 1, 100);
    service.fulfilled = true;
    // A service not paid yet: not delivered.
    let mut unpaid = order(2, "A-RED", 1, 100);
    unpaid.financial_status = FinancialStatus::Pending;
    // Refunded to nothing before any receipt.
    let refunded = refunded_in_full(order(3, "C-GREEN", 1, 100), "30", 3);
    // Cancelled before any receipt.
    let mut cancelled = order(4, "C-GREEN", 1, 100);
    cancelled.cancelled_at = Some(t(4));
    cancelled.financial_status = FinancialStatus::Refunded;
    for o in [&service, &unpaid, &refunded, &cancelled] {
        world.shop.put_order(o.clone());
    }
    let engine = on_fulfilled(&world, sqlite().await);
    let first = engine.run_once().await.unwrap();
    assert_eq!(first.receipts_accepted, 1, "the paid service only");
    assert_eq!(with_receipt(&world), ["gid://shop/Order/1"]);

    // The unpaid one is paid (the storefront now reports it delivered); the service with its
    // receipt is refunded to nothing (nothing left: not delivered any more).
    unpaid.financial_status = FinancialStatus::Paid;
    unpaid.fulfilled = true;
    unpaid.updated_at = t(20);
    world.shop.put_order(unpaid);
    world.shop.put_order(refunded_in_full(service, "10", 21));
    let second = engine.run_once().await.unwrap();
    assert_eq!(
        second.receipts_accepted, 2,
        "the sale receipt of the newly paid order and the return receipt of the refunded one"
    );
    assert_eq!(
        with_receipt(&world),
        ["gid://shop/Order/1", "gid://shop/Order/2"]
    );
    let returns: Vec<_> = world
        .erp
        .documents()
        .into_iter()
        .filter(|d| d.operation == "SALRET")
        .collect();
    assert!(
        returns
            .iter()
            .any(|d| d.reference.contains("Refund/10") && d.receipt.is_some()),
        "the return after the receipt has its return receipt: {returns:?}"
    );
    assert!(
        returns
            .iter()
            .filter(|d| d.reference.contains("Refund/30"))
            .all(|d| d.receipt.is_none()),
        "the refund of an order that never had a receipt gets no return receipt"
    );
    let third = engine.run_once().await.unwrap();
    assert_eq!(third.receipts_accepted, 0, "nothing twice");
    assert_chain_without_gap(&world);
}
