//! Exchanges: items given in place of returned ones after the sale. The returned items come
//! back as a refund (one ERP return, one return receipt); the items given are a sale of their
//! own (one ERP sales document, one sale receipt), exactly once, with a lost state store too.

mod common;

use common::*;
use rust_decimal::Decimal;
use sync_core::model::*;

/// Order 1 sold two A-RED at 100; one came back (refund 9) and one B-BLACK at 250 was given
/// in exchange (return 77, a line the storefront added to the order).
fn exchanged(mut sold: Order) -> Order {
    sold.refunds.push(unit_refund("9", "L1", "A-RED", 100, 30));
    sold.exchanges.push(Exchange {
        external_id: "gid://shop/Return/77".into(),
        return_name: "#1001-R1".to_owned(),
        created_at: t(30),
        lines: vec![OrderLine {
            line_id: "L-X1".into(),
            sku: Some(Sku::from("B-BLACK")),
            title: "B-BLACK".to_owned(),
            quantity: Decimal::ONE,
            unit_price: Decimal::new(250, 0),
            discount: Decimal::ZERO,
            tax_lines: vec![],
        }],
        presentment_lines: None,
        total: Decimal::new(250, 0),
        total_tax: Decimal::ZERO,
        refunds: Vec::new(),
    });
    sold.financial_status = FinancialStatus::PartiallyRefunded;
    sold.updated_at = t(31);
    sold
}

fn count(world: &World, operation: &str, reference: &str) -> usize {
    world
        .erp
        .documents()
        .iter()
        .filter(|d| d.operation == operation && d.reference == reference)
        .count()
}

#[test]
fn an_exchange_sale_has_its_own_id_name_lines_and_payment() {
    let order = exchanged(order(1, "A-RED", 2, 100));
    let sales = order.exchange_sales();
    assert_eq!(sales.len(), 1);
    let sale = &sales[0];
    assert_eq!(sale.external_id.as_str(), "gid://shop/Return/77");
    assert_eq!(sale.name, "#1001-X77");
    assert_eq!(sale.lines.len(), 1);
    assert_eq!(sale.lines[0].sku, Some(Sku::from("B-BLACK")));
    assert_eq!(sale.total, Decimal::new(250, 0));
    assert_eq!(sale.payments.len(), 1);
    assert_eq!(sale.payments[0].amount, Decimal::new(250, 0));
    assert_eq!(
        Some(sale.payments[0].gateway.as_str()),
        order.main_gateway()
    );
    assert!(sale.refunds.is_empty() && sale.exchanges.is_empty());
    assert_eq!(sale.customer, order.customer);
}

#[tokio::test]
async fn an_exchange_is_one_return_and_one_sale_each_with_its_receipt_exactly_once() {
    let world = world();
    let sold = order(1, "A-RED", 2, 100);
    world.shop.put_order(sold.clone());
    let store = sqlite().await;
    let engine = engine(&world, store, "w1");
    let first = engine.run_once().await.unwrap();
    assert_eq!(first.orders_imported, 1);
    assert_eq!(first.receipts_accepted, 1);

    world.shop.put_order(exchanged(sold.clone()));
    let second = engine.run_once().await.unwrap();
    assert_eq!(second.returns_imported, 1, "{second:?}");
    assert_eq!(second.orders_imported, 1, "the exchange's sale: {second:?}");
    assert_eq!(
        second.receipts_accepted, 2,
        "a return receipt and a sale receipt: {second:?}"
    );
    assert_eq!(count(&world, "SALINV", "gid://shop/Order/1"), 1);
    assert_eq!(count(&world, "SALINV", "gid://shop/Return/77"), 1);
    assert_eq!(count(&world, "SALRET", "gid://shop/Refund/9"), 1);
    // The exchange's receipt is a sale receipt of its own, on the device's chain.
    let statuses = engine.receipt_statuses(None).await.unwrap();
    assert!(
        statuses
            .iter()
            .any(|s| s.order_id == "gid://shop/Return/77" && s.kind == "sale"),
        "{statuses:?}"
    );
    assert_chain_without_gap(&world);

    // Again: nothing more.
    let again = engine.run_once().await.unwrap();
    assert_eq!(
        (
            again.orders_imported,
            again.returns_imported,
            again.receipts_issued
        ),
        (0, 0, 0),
        "{again:?}"
    );

    // A lost state store: the exchange's document is found in the ERP, not written again,
    // and no receipt is issued twice.
    let fresh = common::engine(&world, sqlite().await, "w2");
    let recovered = fresh.run_once().await.unwrap();
    assert!(recovered.recovered_by_lookup >= 2, "{recovered:?}");
    assert_eq!(count(&world, "SALINV", "gid://shop/Return/77"), 1);
    assert_eq!(count(&world, "SALRET", "gid://shop/Refund/9"), 1);
    let receipts = world.tax.received();
    let mut uuids: Vec<_> = receipts.iter().map(|(u, _, _)| u.clone()).collect();
    uuids.sort();
    uuids.dedup();
    assert_eq!(
        uuids.len(),
        3,
        "sale, return and exchange receipts, once each"
    );
}

#[tokio::test]
async fn an_order_first_read_after_its_exchange_books_the_sale_without_the_exchanged_items() {
    // The connector first sees the order after the exchange (a backfill, a late install):
    // its own document has its own lines only, and the exchange is a document of its own.
    let world = world();
    world.shop.put_order(exchanged(order(1, "A-RED", 2, 100)));
    let engine = engine(&world, sqlite().await, "w1");
    let summary = engine.run_once().await.unwrap();
    assert_eq!(summary.orders_imported, 2, "{summary:?}");
    let docs = world.erp.documents();
    let sale = docs
        .iter()
        .find(|d| d.reference == "gid://shop/Order/1")
        .unwrap();
    assert_eq!(sale.total, Decimal::new(200, 0), "the sale's own lines");
    let exchange = docs
        .iter()
        .find(|d| d.reference == "gid://shop/Return/77")
        .unwrap();
    assert_eq!(exchange.total, Decimal::new(250, 0));
    assert_eq!(count(&world, "SALRET", "gid://shop/Refund/9"), 1);
    assert_chain_without_gap(&world);
}

#[tokio::test]
async fn an_item_given_in_an_exchange_and_returned_later_is_a_return_of_the_exchange_sale() {
    let world = world();
    let sold = exchanged(order(1, "A-RED", 2, 100));
    world.shop.put_order(sold.clone());
    let engine = engine(&world, sqlite().await, "w1");
    engine.run_once().await.unwrap();

    // The B-BLACK given in the exchange comes back (refund 11 of line L-X1).
    let mut again = sold.clone();
    again.exchanges[0]
        .refunds
        .push(unit_refund("11", "L-X1", "B-BLACK", 250, 50));
    again.updated_at = t(51);
    world.shop.put_order(again);
    let summary = engine.run_once().await.unwrap();
    assert_eq!(summary.returns_imported, 1, "{summary:?}");
    assert_eq!(count(&world, "SALRET", "gid://shop/Refund/11"), 1);
    let statuses = engine.receipt_statuses(None).await.unwrap();
    let exchange_sale = statuses
        .iter()
        .find(|s| s.order_id == "gid://shop/Return/77" && s.kind == "sale")
        .expect("the exchange's sale receipt");
    let returns: Vec<_> = statuses
        .iter()
        .filter(|s| s.kind == "return" && s.reference_uuid == exchange_sale.uuid)
        .collect();
    assert_eq!(
        returns.len(),
        1,
        "one return receipt referencing the exchange's sale receipt: {statuses:?}"
    );
    assert_chain_without_gap(&world);

    // A lost state store: found in the ERP, not written again; no receipt twice.
    let fresh = common::engine(&world, sqlite().await, "w2");
    fresh.run_once().await.unwrap();
    assert_eq!(count(&world, "SALRET", "gid://shop/Refund/11"), 1);
    let mut uuids: Vec<_> = world
        .tax
        .received()
        .iter()
        .map(|(u, _, _)| u.clone())
        .collect();
    let n = uuids.len();
    uuids.sort();
    uuids.dedup();
    assert_eq!(uuids.len(), n, "no receipt twice");
    assert_eq!(n, 4, "sale, return, exchange sale and its return");
}

/// A crash (the store refusing every write after the n-th) at each step of a pass over an
/// exchanged order, then a restart on the same store: each document and each receipt once
/// (the sale, the exchange's sale, the return), no chain gap, wherever the crash fell.
#[tokio::test]
async fn a_crash_at_any_step_of_an_exchange_loses_and_duplicates_nothing() {
    let orders = vec![exchanged(order(1, "A-RED", 2, 100))];
    crash_at_every_step(&orders, |world, step| {
        for (operation, reference) in [
            ("SALINV", "gid://shop/Order/1"),
            ("SALINV", "gid://shop/Return/77"),
            ("SALRET", "gid://shop/Refund/9"),
        ] {
            assert_eq!(
                count(world, operation, reference),
                1,
                "{operation} {reference} at step {step}"
            );
        }
        let accepted = accepted_receipts(world);
        assert_eq!(accepted, 3, "three receipts at step {step}");
        assert_chain_without_gap(world);
    })
    .await;
}
