//! Property tests over generated orders: the receipt's totalAmount is exactly what the
//! customer paid, and every ETA calculation check holds to 0.00001.

use chrono::{DateTime, TimeZone, Utc};
use eta_ereceipt::builder::example_seller;
use eta_ereceipt::codes::PaymentMethod;
use eta_ereceipt::mapping::{
    MappingConfig, RefundedLine, Sale, SaleLine, SaleRefund, SaleShipping, map_refund, map_sale,
};
use eta_ereceipt::validate::{ValidationOptions, validate, validate_json};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn issued() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
}

fn strict() -> ValidationOptions {
    ValidationOptions::at(issued() + chrono::Duration::minutes(1)).tolerance(Decimal::new(1, 5))
}

fn config() -> MappingConfig {
    MappingConfig::new("674859545").gateway("cash", PaymentMethod::Cash)
}

fn money(max_cents: i64) -> impl Strategy<Value = Decimal> {
    (1..=max_cents).prop_map(|c| Decimal::new(c, 2))
}

fn line() -> impl Strategy<Value = SaleLine> {
    (
        prop_oneof![
            (1i64..=20).prop_map(|q| Decimal::new(q, 0)),
            (1i64..=20_000).prop_map(|q| Decimal::new(q, 3))
        ],
        money(10_000_000),
        proptest::sample::select(vec![
            Decimal::new(14, 0),
            Decimal::new(5, 0),
            Decimal::ZERO,
            Decimal::new(10, 0),
        ]),
        0u32..=100,
    )
        .prop_map(|(qty, price, vat, disc_pct)| {
            let mut l = SaleLine::new("SKU", "item", qty, price, vat);
            let amount = l.amount_before_order_discount();
            l.discount_incl = (amount * Decimal::from(disc_pct) / Decimal::ONE_HUNDRED).round_dp(2);
            l
        })
}

fn sale() -> impl Strategy<Value = Sale> {
    (
        proptest::collection::vec(line(), 1..8),
        0u32..=100,
        proptest::option::of((
            money(50_000),
            proptest::sample::select(vec![Decimal::new(14, 0), Decimal::ZERO]),
        )),
    )
        .prop_map(|(lines, order_pct, shipping)| {
            let sum: Decimal = lines
                .iter()
                .map(SaleLine::amount_before_order_discount)
                .sum();
            Sale {
                receipt_number: "1".into(),
                order_name: None,
                issued: issued(),
                order_discount: (sum * Decimal::from(order_pct) / Decimal::from(200)).round_dp(2),
                lines,
                shipping: shipping.map(|(price_incl, vat_rate)| SaleShipping {
                    description: "ship".into(),
                    price_incl,
                    vat_rate,
                }),
                gateway: "cash".into(),
                buyer: None,
                currency: None,
            }
        })
}

fn paid(s: &Sale) -> Decimal {
    let lines: Decimal = s
        .lines
        .iter()
        .map(SaleLine::amount_before_order_discount)
        .sum();
    lines - s.order_discount
        + s.shipping
            .as_ref()
            .map(|x| x.price_incl)
            .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn total_amount_is_what_the_customer_paid_and_checks_hold(s in sale()) {
        let r = map_sale(&config(), example_seller(), &s).unwrap();
        prop_assert_eq!(r.total_amount, paid(&s));
        let problems: Vec<String> = validate(&r, &strict()).iter().map(ToString::to_string).collect();
        // a big sale to a walk-in person needs the buyer's id: that is the only allowed problem
        let problems: Vec<&String> = problems.iter().filter(|p| !p.starts_with("buyer:")).collect();
        prop_assert!(problems.is_empty(), "{:?}", problems);
        for item in &r.item_data {
            prop_assert!(item.unit_price.scale() <= 5 && item.net_sale.scale() <= 5 && item.total.scale() <= 5);
            for d in item.item_discount_data.iter() {
                prop_assert!(d.amount <= Decimal::new(2, 5), "rounding remainder {}", d.amount);
            }
        }
        let sealed = r.seal().unwrap();
        let json_problems: Vec<String> = validate_json(&sealed.json, &strict())
            .iter().map(ToString::to_string).filter(|p| !p.starts_with("buyer:")).collect();
        prop_assert!(json_problems.is_empty(), "{:?}", json_problems);
    }

    #[test]
    fn refunds_total_exactly_what_is_refunded(s in sale(), pick in proptest::collection::vec(any::<bool>(), 8), ship in any::<bool>()) {
        let lines: Vec<RefundedLine> = s.lines.iter().enumerate()
            .filter(|(i, _)| pick[*i])
            .map(|(i, l)| RefundedLine { line: i, quantity: l.quantity, amount_incl: None })
            .collect();
        let shipping_incl = match (&s.shipping, ship) {
            (Some(x), true) => x.price_incl,
            _ => Decimal::ZERO,
        };
        prop_assume!(!lines.is_empty() || !shipping_incl.is_zero());
        let refund = SaleRefund { receipt_number: "R".into(), issued: issued(), lines: lines.clone(), shipping_incl, goodwill: Vec::new() };
        let sale_receipt = map_sale(&config(), example_seller(), &s).unwrap();
        let r = map_refund(&config(), example_seller(), &s, &refund, &"cd".repeat(32)).unwrap();
        let expected: Decimal = lines.iter().map(|l| sale_receipt.item_data[l.line].total).sum::<Decimal>() + shipping_incl;
        prop_assert_eq!(r.total_amount, expected);
        let problems: Vec<String> = validate(&r, &strict()).iter().map(ToString::to_string)
            .filter(|p| !p.starts_with("buyer:")).collect();
        prop_assert!(problems.is_empty(), "{:?}", problems);
    }
}
