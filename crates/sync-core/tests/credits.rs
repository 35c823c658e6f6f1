//! Refunds that return no item (the shipping alone, money alone): what they credit, split the
//! same way for the ERP and the tax authority, and booked exactly once like any refund.

mod common;

use common::*;
use rust_decimal::Decimal;
use sync_core::model::*;

fn vat(rate: i64, amount: i64) -> TaxLine {
    TaxLine {
        title: "VAT".to_owned(),
        rate: Decimal::new(rate, 2),
        amount: Decimal::new(amount, 0),
    }
}

/// Order 1: two lines, A at 14 % (300) and B at 0 % (100), and 50 of shipping at 14 %.
fn two_rates() -> Order {
    let mut o = order(1, "A-RED", 3, 100);
    o.lines[0].tax_lines = vec![vat(14, 36)];
    let mut b = o.lines[0].clone();
    b.line_id = "L1-B".into();
    b.sku = Some(Sku::from("B-BLACK"));
    b.quantity = Decimal::ONE;
    b.tax_lines = vec![vat(0, 0)];
    o.lines.push(b);
    o.shipping_lines = vec![ShippingLine {
        title: "Bosta".to_owned(),
        price: Decimal::new(50, 0),
        discount: Decimal::ZERO,
        tax_lines: vec![vat(14, 6)],
    }];
    o.total = Decimal::new(450, 0);
    o
}

/// A refund of `total`, `shipping` of it shipping, returning no item.
fn money_back(id: &str, total: i64, shipping: i64) -> Refund {
    Refund {
        external_id: format!("gid://shop/Refund/{id}").into(),
        created_at: t(40),
        lines: vec![],
        shipping: Decimal::new(shipping, 0),
        total: Decimal::new(total, 0),
        payments: vec![],
    }
}

#[test]
fn a_refund_of_shipping_and_goodwill_credits_the_shipping_at_its_rate_and_splits_the_rest() {
    let order = two_rates();
    let credit = money_back("5", 90, 50).credit(&order).expect("a credit");
    assert_eq!(credit.shipping, Decimal::new(50, 0));
    assert_eq!(credit.shipping_rate, Decimal::new(14, 2));
    // 40 of goodwill over lines of 300 at 14 % and 100 at 0 %: 30 and 10.
    assert_eq!(
        credit.goodwill,
        vec![
            CreditPart {
                rate: Decimal::new(14, 2),
                amount: Decimal::new(30, 0)
            },
            CreditPart {
                rate: Decimal::ZERO,
                amount: Decimal::new(10, 0)
            },
        ]
    );
    assert_eq!(credit.total(), Decimal::new(90, 0));
}

#[test]
fn a_split_that_does_not_divide_evenly_still_adds_up_to_the_cent() {
    let order = two_rates();
    let credit = money_back("5", 10, 0).credit(&order).expect("a credit");
    let parts: Vec<Decimal> = credit.goodwill.iter().map(|p| p.amount).collect();
    assert_eq!(parts, vec![Decimal::new(750, 2), Decimal::new(250, 2)]);
    let odd = Refund {
        total: Decimal::new(1001, 2),
        ..money_back("6", 0, 0)
    };
    let credit = odd.credit(&order).expect("a credit");
    assert_eq!(credit.total(), Decimal::new(1001, 2));
    assert!(credit.goodwill.iter().all(|p| p.amount.scale() <= 2));
}

#[test]
fn shipping_of_an_order_whose_prices_exclude_tax_is_credited_with_its_tax() {
    let mut order = two_rates();
    order.taxes_included = false;
    let credit = money_back("5", 57, 50).credit(&order).expect("a credit");
    assert_eq!(credit.shipping, Decimal::new(57, 0));
    assert!(credit.goodwill.is_empty(), "{credit:?}");
}

#[test]
fn a_refund_that_returns_items_or_credits_nothing_is_not_a_credit() {
    let order = two_rates();
    assert!(
        unit_refund("9", "L1", "A-RED", 100, 30)
            .credit(&order)
            .is_none()
    );
    assert!(money_back("7", 0, 0).credit(&order).is_none());
    let zero_line = Refund {
        lines: vec![RefundLine {
            line_id: "L1".into(),
            sku: None,
            quantity: Decimal::ZERO,
            amount: Decimal::ZERO,
            tax: Decimal::ZERO,
        }],
        ..money_back("8", 20, 0)
    };
    assert!(!zero_line.returns_items());
    assert!(
        zero_line.credit(&order).is_some(),
        "a line of no unit returns nothing"
    );
}

/// A crash at every state-store write of a pass over an order with a refund of money alone,
/// then a restart: the sale and the credit each once in the ERP, no receipt twice, no chain
/// gap, wherever the crash fell. (A restart pass may end with the credit's return receipt
/// still waiting for its sale's verdict: queued, not lost; the pass that never crashed issues
/// both.)
#[tokio::test]
async fn a_crash_at_any_step_of_a_credit_loses_and_duplicates_nothing() {
    let mut sold = order(1, "A-RED", 2, 100);
    sold.refunds.push(money_back("5", 30, 0));
    let last = std::cell::Cell::new(0);
    crash_at_every_step(&[sold], |world, step| {
        for (operation, reference) in [
            ("SALINV", "gid://shop/Order/1"),
            ("SALRET", "gid://shop/Refund/5"),
        ] {
            let n = world
                .erp
                .documents()
                .iter()
                .filter(|d| d.operation == operation && d.reference == reference)
                .count();
            assert_eq!(n, 1, "{operation} {reference} at step {step}");
        }
        let accepted = accepted_receipts(world);
        assert!(
            (1..=2).contains(&accepted),
            "{accepted} receipts at step {step}"
        );
        assert_chain_without_gap(world);
        last.set(accepted);
    })
    .await;
    assert_eq!(last.get(), 2, "the sale's and the credit's receipts");
}
