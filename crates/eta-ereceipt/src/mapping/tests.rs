use chrono::TimeZone;
use rust_decimal_macros::dec;

use super::*;
use crate::builder::example_seller;
use crate::validate::{ValidationOptions, validate};

fn config() -> MappingConfig {
    MappingConfig::new("674859545")
        .gateway("Cash on Delivery (COD)", PaymentMethod::Cash)
        .gateway("paymob", PaymentMethod::Visa)
}

fn issued() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
}

fn sale(lines: Vec<SaleLine>) -> Sale {
    Sale {
        receipt_number: "1001".into(),
        order_name: Some("#1001".into()),
        issued: issued(),
        lines,
        order_discount: dec!(0),
        shipping: None,
        gateway: "paymob".into(),
        buyer: None,
        currency: None,
    }
}

fn strict() -> ValidationOptions {
    ValidationOptions::at(issued() + chrono::Duration::minutes(5)).tolerance(dec!(0.00001))
}

#[test]
fn awkward_prices_total_what_was_paid_and_pass_strict_checks() {
    let mut s = sale(vec![
        SaleLine::new("A", "A", dec!(3), dec!(33.33), dec!(14)),
        SaleLine::new("B", "B", dec!(7), dec!(0.01), dec!(14)),
        SaleLine::new("C", "C", dec!(1), dec!(99999.99), dec!(5)),
        SaleLine {
            discount_incl: dec!(1.01),
            ..SaleLine::new("D", "D", dec!(2.5), dec!(19.99), dec!(14))
        },
    ]);
    s.order_discount = dec!(10.03);
    s.shipping = Some(SaleShipping {
        description: "Aramex".into(),
        price_incl: dec!(45.50),
        vat_rate: dec!(14),
    });
    let r = map_sale(&config(), example_seller(), &s).unwrap();
    let expected = dec!(99.99) + dec!(0.07) + dec!(99999.99) + (dec!(49.98) - dec!(1.01))
        - dec!(10.03)
        + dec!(45.50);
    assert_eq!(r.total_amount, expected);
    assert_eq!(validate(&r, &strict()), vec![]);
    assert_eq!(r.payment_method, PaymentMethod::Visa);
    assert_eq!(r.item_data.last().unwrap().internal_code, "SHIPPING");
    assert_eq!(r.item_data[0].item_code, "EG-674859545-A");
}

#[test]
fn fully_discounted_line_stays_with_total_zero() {
    let line = SaleLine {
        discount_incl: dec!(50),
        ..SaleLine::new("F", "Free gift", dec!(1), dec!(50), dec!(14))
    };
    let r = map_sale(
        &config(),
        example_seller(),
        &sale(vec![
            line,
            SaleLine::new("A", "A", dec!(1), dec!(10), dec!(14)),
        ]),
    )
    .unwrap();
    assert_eq!(r.item_data.len(), 2);
    assert_eq!(r.item_data[0].total, dec!(0));
    assert_eq!(r.item_data[0].net_sale, dec!(0));
    assert_eq!(r.total_amount, dec!(10));
    assert_eq!(validate(&r, &strict()), vec![]);
}

#[test]
fn order_discount_is_spread_in_piasters() {
    let shares = spread(dec!(1.00), &[dec!(1), dec!(1), dec!(1)]).unwrap();
    assert_eq!(shares, [dec!(0.34), dec!(0.33), dec!(0.33)]);
    assert_eq!(
        spread(dec!(5), &[dec!(0), dec!(10)]).unwrap(),
        [dec!(0), dec!(5)]
    );
    assert!(spread(dec!(11), &[dec!(10)]).is_err());
}

#[test]
fn unmapped_gateway_needs_mapping() {
    let mut s = sale(vec![SaleLine::new("A", "A", dec!(1), dec!(10), dec!(14))]);
    s.gateway = "bank transfer".into();
    let e = map_sale(&config(), example_seller(), &s).unwrap_err();
    assert!(e.needs_mapping());
    assert_eq!(
        e.to_string(),
        "gateway: payment gateway \"bank transfer\" is not mapped to an ETA payment method"
    );
    let c = config().default_method(PaymentMethod::Others);
    assert_eq!(
        map_sale(&c, example_seller(), &s).unwrap().payment_method,
        PaymentMethod::Others
    );
    assert_eq!(
        config().payment_method("PAYMOB").unwrap(),
        PaymentMethod::Visa
    );
}

#[test]
fn refund_covers_exactly_the_refunded_lines_and_shipping() {
    let mut s = sale(vec![
        SaleLine::new("A", "A", dec!(3), dec!(33.33), dec!(14)),
        SaleLine::new("B", "B", dec!(1), dec!(20), dec!(14)),
    ]);
    s.shipping = Some(SaleShipping {
        description: "Bosta".into(),
        price_incl: dec!(30),
        vat_rate: dec!(14),
    });
    let refund = SaleRefund {
        receipt_number: "RET-1".into(),
        issued: issued(),
        lines: vec![RefundedLine {
            line: 0,
            quantity: dec!(1),
            amount_incl: None,
        }],
        shipping_incl: dec!(30),
        goodwill: Vec::new(),
    };
    let sale_uuid = "ab".repeat(32);
    let r = map_refund(&config(), example_seller(), &s, &refund, &sale_uuid).unwrap();
    assert_eq!(r.document_type.receipt_type, ReceiptType::Return);
    assert_eq!(r.header.reference_uuid.as_deref(), Some(sale_uuid.as_str()));
    assert_eq!(r.item_data.len(), 2);
    assert_eq!(r.item_data[0].quantity, dec!(1));
    assert_eq!(r.total_amount, dec!(33.33) + dec!(30));
    assert_eq!(validate(&r, &strict()), vec![]);
    let too_much = SaleRefund {
        lines: vec![RefundedLine {
            line: 1,
            quantity: dec!(2),
            amount_incl: None,
        }],
        ..refund.clone()
    };
    assert_eq!(
        map_refund(&config(), example_seller(), &s, &too_much, &sale_uuid)
            .unwrap_err()
            .field,
        "refund.lines[0].quantity"
    );
    let nothing = SaleRefund {
        lines: vec![],
        shipping_incl: dec!(0),
        ..refund
    };
    assert!(map_refund(&config(), example_seller(), &s, &nothing, &sale_uuid).is_err());
}

#[test]
fn a_goodwill_credit_is_a_credit_line_per_rate_and_never_more_than_was_paid() {
    let mut s = sale(vec![
        SaleLine::new("A", "A", dec!(2), dec!(100), dec!(14)),
        SaleLine::new("B", "B", dec!(1), dec!(50), dec!(0)),
    ]);
    s.shipping = Some(SaleShipping {
        description: "Bosta".into(),
        price_incl: dec!(30),
        vat_rate: dec!(14),
    });
    let sale_uuid = "ab".repeat(32);
    let refund = SaleRefund {
        receipt_number: "RET-2".into(),
        issued: issued(),
        lines: vec![],
        shipping_incl: dec!(30),
        goodwill: vec![
            GoodwillCredit {
                amount_incl: dec!(22.80),
                vat_rate: dec!(14),
            },
            GoodwillCredit {
                amount_incl: dec!(5),
                vat_rate: dec!(0),
            },
        ],
    };
    let r = map_refund(&config(), example_seller(), &s, &refund, &sale_uuid).unwrap();
    assert_eq!(
        r.item_data.len(),
        3,
        "shipping and one credit line per rate"
    );
    assert_eq!(r.item_data[1].internal_code, "CREDIT");
    assert_eq!(r.item_data[1].total, dec!(22.80));
    assert_eq!(r.item_data[1].net_sale, dec!(20));
    assert_eq!(r.item_data[2].total, dec!(5));
    assert_eq!(r.total_amount, dec!(57.80));
    assert_eq!(validate(&r, &strict()), vec![]);

    let too_much = SaleRefund {
        goodwill: vec![GoodwillCredit {
            amount_incl: dec!(251),
            vat_rate: dec!(14),
        }],
        ..refund
    };
    let e = map_refund(&config(), example_seller(), &s, &too_much, &sale_uuid).unwrap_err();
    assert_eq!(e.field, "refund.goodwill");
}

#[test]
fn paid_above_quantity_times_price_raises_the_unit_price() {
    let item = line_item(
        "x",
        "A",
        "A",
        ItemType::Gs1,
        "12345678".into(),
        UnitType::Each,
        dec!(0.00001),
        dec!(1),
        dec!(500),
        dec!(14),
        "V009",
    )
    .unwrap();
    assert_eq!(item.total, dec!(500));
    assert!(item.total_sale >= item.net_sale);
    let item = line_item(
        "x",
        "A",
        "A",
        ItemType::Gs1,
        "12345678".into(),
        UnitType::Each,
        dec!(3),
        dec!(10),
        dec!(40),
        dec!(14),
        "V009",
    )
    .unwrap();
    assert_eq!(item.total, dec!(40));
    assert!(
        item.commercial_discount_data
            .iter()
            .all(|d| d.amount >= Decimal::ZERO)
    );
    assert!(
        line_item(
            "x",
            "A",
            "A",
            ItemType::Gs1,
            "1".into(),
            UnitType::Each,
            dec!(0.000001),
            dec!(1),
            dec!(1),
            dec!(14),
            "V009"
        )
        .is_err()
    );
}

#[test]
fn huge_amounts_are_errors_not_panics() {
    let line = SaleLine::new(
        "A",
        "A",
        dec!(79228162514264337593543950335),
        dec!(2),
        dec!(14),
    );
    let e = map_sale(&config(), example_seller(), &sale(vec![line])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "lines[0].quantity: must be below 10^13 in magnitude"
    );
}

#[test]
fn triggers() {
    let cod_shipped = SaleState {
        paid: false,
        fulfilled: true,
        cash_on_delivery: true,
    };
    assert!(!ReceiptTrigger::OnPayment.should_issue(cod_shipped));
    assert!(ReceiptTrigger::OnFulfilment.should_issue(cod_shipped));
    assert!(ReceiptTrigger::OnPaymentOrCodFulfilment.should_issue(cod_shipped));
    let card_unshipped = SaleState {
        paid: true,
        fulfilled: false,
        cash_on_delivery: false,
    };
    assert!(ReceiptTrigger::OnPaymentOrCodFulfilment.should_issue(card_unshipped));
    assert!(!ReceiptTrigger::OnFulfilment.should_issue(card_unshipped));
}
