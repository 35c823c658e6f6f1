//! Tests of the builder.
use super::*;
use chrono::TimeZone;
use rust_decimal_macros::dec;

fn issued() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
}

/// The two lines of ETA's SDK sample receipt reproduce its figures.
#[test]
fn sdk_sample_lines_reproduce_the_published_figures() {
    let l1 = LineInput::new(
        "8806092129306",
        "Samsung",
        ItemType::Gs1,
        "6221218058490",
        UnitType::Each,
        dec!(7),
        dec!(13.5),
    )
    .commercial_discount(DiscountInput::amount("XYZ", dec!(0.512)))
    .commercial_discount(DiscountInput::amount("XYZABC", dec!(1)))
    .item_discount(DiscountInput::amount("ABC", dec!(2.8)))
    .item_discount(DiscountInput::amount("XYZ", dec!(1.1)))
    .value_difference(dec!(-5))
    .tax(TaxInput::rate(TaxType::T1, "V001", dec!(14)))
    .tax(TaxInput::rate(TaxType::T4, "W001", dec!(5)));
    let l2 = LineInput::new(
        "10000019",
        "Petcare",
        ItemType::Gs1,
        "6221218058490",
        UnitType::Each,
        dec!(89),
        dec!(150.987),
    )
    .commercial_discount(DiscountInput::amount("XYZ", dec!(34.37843)))
    .commercial_discount(DiscountInput::amount("XYZABC", dec!(100)))
    .item_discount(DiscountInput::amount("ABC", dec!(2)))
    .item_discount(DiscountInput::amount("XYZ", dec!(3.7)))
    .value_difference(dec!(6))
    .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14)))
    .tax(TaxInput::rate(TaxType::T4, "W001", dec!(3)));
    let r = ReceiptBuilder::sale(example_seller(), "1234566", issued())
        .line(l1)
        .line(l2)
        .build()
        .unwrap();
    let a = &r.item_data[0];
    assert_eq!(
        (a.total_sale, a.net_sale, a.total),
        (dec!(94.5), dec!(92.988), dec!(96.95192))
    );
    assert_eq!(a.taxable_items[0].amount, dec!(12.31832));
    assert_eq!(a.taxable_items[1].amount, dec!(4.4544));
    let b = &r.item_data[1];
    assert_eq!(
        (b.total_sale, b.net_sale, b.total),
        (dec!(13437.843), dec!(13303.46457), dec!(14762.15667))
    );
    assert_eq!(b.taxable_items[0].amount, dec!(1863.32504));
    assert_eq!(b.taxable_items[1].amount, dec!(398.93294));
    assert_eq!(r.total_sales, dec!(13532.343));
    assert_eq!(r.total_commercial_discount, Some(dec!(135.89043)));
    assert_eq!(r.total_items_discount, Some(dec!(9.6)));
    assert_eq!(r.net_amount, dec!(13396.45257));
    assert_eq!(r.tax_totals[0].amount, dec!(1875.64336));
    assert_eq!(r.tax_totals[1].amount, dec!(403.38734));
    assert_eq!(r.total_amount, dec!(14859.10859));
}

#[test]
fn t2_and_fixed_taxes_enter_the_vat_base_and_rounding_stays_at_5_decimals() {
    let line = LineInput::new(
        "A",
        "A",
        ItemType::Gs1,
        "1",
        UnitType::Each,
        dec!(3),
        dec!(0.3333333),
    )
    .tax(TaxInput::fixed(TaxType::T3, "Tbl02", dec!(1)))
    .tax(TaxInput::rate(TaxType::T2, "Tbl01", dec!(10)))
    .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14)));
    let item = compute_line(&line, 0).unwrap();
    assert_eq!(item.unit_price, dec!(0.33333));
    assert_eq!(item.total_sale, dec!(0.99999));
    let t2 = dec!(0.199999); // (0.99999 + 1) × 10% rounded
    assert_eq!(item.taxable_items[1].amount, round5(t2));
    assert_eq!(
        item.taxable_items[2].amount,
        round5((dec!(0.99999) + dec!(1) + dec!(0.2)) * dec!(0.14))
    );
    for t in &item.taxable_items {
        assert!(t.amount.scale() <= 5);
    }
}

fn net_100() -> LineInput {
    LineInput::new(
        "SVC",
        "Dinner",
        ItemType::Egs,
        "EG-674859545-SVC",
        UnitType::Each,
        dec!(1),
        dec!(100),
    )
}

/// Issue #18's worked example (ETA main calculations): net 100 with a T9 service charge
/// SC01 at 12 % gives a fee of 12, and VAT at 14 % on 112 = 15.68.
#[test]
fn taxable_fees_enter_the_vat_base() {
    let line = net_100()
        .tax(TaxInput::rate(TaxType::T9, "SC01", dec!(12)))
        .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14)));
    let item = compute_line(&line, 0).unwrap();
    assert_eq!(item.taxable_items[0].amount, dec!(12.00));
    assert_eq!(item.taxable_items[1].amount, dec!(15.68));
    assert_eq!(item.total, dec!(127.68));
    // a fixed service charge (SC02) and the T2 base too
    let line = net_100()
        .tax(TaxInput::fixed(TaxType::T9, "SC02", dec!(10)))
        .tax(TaxInput::rate(TaxType::T2, "Tbl01", dec!(10)))
        .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14)));
    let item = compute_line(&line, 0).unwrap();
    assert_eq!(item.taxable_items[0].amount, dec!(10));
    assert_eq!(item.taxable_items[0].rate, dec!(0));
    assert_eq!(item.taxable_items[1].amount, dec!(11.00)); // 10 % of 110
    assert_eq!(item.taxable_items[2].amount, dec!(16.94)); // 14 % of 121
    assert_eq!(item.total, dec!(137.94));
}

#[test]
fn non_taxable_fees_stay_out_of_the_vat_base() {
    let line = net_100()
        .tax(TaxInput::rate(TaxType::T17, "SC03", dec!(12)))
        .tax(TaxInput::fixed(TaxType::T18, "Mn04", dec!(3)))
        .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14)));
    let item = compute_line(&line, 0).unwrap();
    assert_eq!(item.taxable_items[0].amount, dec!(12.00));
    assert_eq!(item.taxable_items[1].amount, dec!(3));
    assert_eq!(item.taxable_items[2].amount, dec!(14.00));
    assert_eq!(item.total, dec!(129.00));
}

#[test]
fn additional_discounts_reduce_net_sale_and_total() {
    let line = net_100()
        .additional_commercial_discount(DiscountInput::rate("promo", dec!(10)))
        .additional_item_discount(DiscountInput::amount("voucher", dec!(5)))
        .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14)));
    let item = compute_line(&line, 0).unwrap();
    assert_eq!(item.net_sale, dec!(90.00));
    assert_eq!(item.taxable_items[0].amount, dec!(12.6000));
    assert_eq!(item.total, dec!(97.6000));
    let d = item.additional_commercial_discount.as_ref().unwrap();
    assert_eq!((d.amount, d.rate), (dec!(10.00), Some(dec!(10))));
    let json = serde_json::to_string(&item).unwrap();
    assert!(
        json.contains(r#""additionalCommercialDiscount":{"amount":10,"description":"promo","rate":10},"additionalItemDiscount":{"amount":5,"description":"voucher"},"taxableItems""#),
        "{json}"
    );
    let e = compute_line(
        &net_100().additional_commercial_discount(DiscountInput::amount("x", dec!(101))),
        2,
    )
    .unwrap_err();
    assert_eq!(e.path, "itemData[2].commercialDiscountData");
    let e = compute_line(
        &net_100().additional_item_discount(DiscountInput::amount("x", dec!(-1))),
        0,
    )
    .unwrap_err();
    assert_eq!(e.path, "itemData[0].additionalItemDiscount.amount");
}

#[test]
fn subtypes_are_checked_against_etas_table() {
    let e = compute_line(
        &net_100().tax(TaxInput::rate(TaxType::T9, "Mn01", dec!(1))),
        0,
    )
    .unwrap_err();
    assert_eq!(e.path, "itemData[0].taxableItems[0].subType");
    assert!(e.rule.contains("belongs to T10, not T9"), "{e}");
    let e = compute_line(
        &net_100().tax(TaxInput::rate(TaxType::T9, "SC02", dec!(1))),
        0,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "itemData[0].taxableItems[0]: subtype SC02 is a fixed amount: it needs its amount"
    );
    let e = compute_line(
        &net_100().tax(TaxInput::fixed(TaxType::T9, "SC01", dec!(1))),
        0,
    )
    .unwrap_err();
    assert!(e.rule.contains("SC01 is a rate"), "{e}");
    let e = compute_line(
        &net_100()
            .value_difference(dec!(-200))
            .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14))),
        0,
    )
    .unwrap_err();
    assert_eq!(e.path, "itemData[0].taxableItems[0].amount");
}

#[test]
fn bad_lines_name_the_field() {
    let base = || {
        LineInput::new(
            "A",
            "A",
            ItemType::Gs1,
            "1",
            UnitType::Each,
            dec!(1),
            dec!(10),
        )
    };
    let e = compute_line(
        &LineInput {
            quantity: dec!(0),
            ..base()
        },
        3,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "itemData[3].quantity: must be greater than 0"
    );
    let e = compute_line(
        &base().commercial_discount(DiscountInput::amount("x", dec!(11))),
        0,
    )
    .unwrap_err();
    assert_eq!(e.path, "itemData[0].commercialDiscountData");
    let e = compute_line(
        &base()
            .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14)))
            .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14))),
        0,
    )
    .unwrap_err();
    assert_eq!(e.path, "itemData[0].taxableItems[1].taxType");
    let e = ReceiptBuilder::sale(example_seller(), "1", issued())
        .build()
        .unwrap_err();
    assert_eq!(e.path, "itemData");
    let mut b = ReceiptBuilder::sale(example_seller(), "1", issued());
    for _ in 0..301 {
        b = b.line(base());
    }
    assert!(b.build().unwrap_err().rule.contains("300"));
}

#[test]
fn max_amount_is_ten_to_the_thirteen_and_huge_inputs_are_errors() {
    assert_eq!(MAX_AMOUNT, dec!(10_000_000_000_000));
    let huge = LineInput::new(
        "A",
        "A",
        ItemType::Gs1,
        "1",
        UnitType::Each,
        dec!(1),
        dec!(79228162514264337593543950335),
    );
    assert_eq!(
        compute_line(&huge, 0).unwrap_err().path,
        "itemData[0].unitPrice"
    );
}

#[test]
fn return_receipt_carries_the_reference() {
    let r = ReceiptBuilder::return_of(example_seller(), "RET-1", issued(), "ab".repeat(32))
        .line(LineInput::new(
            "A",
            "A",
            ItemType::Gs1,
            "1",
            UnitType::Each,
            dec!(1),
            dec!(10),
        ))
        .build()
        .unwrap();
    assert_eq!(r.document_type.receipt_type, ReceiptType::Return);
    assert_eq!(
        r.header.reference_uuid.as_deref(),
        Some("ab".repeat(32).as_str())
    );
    assert!(r.to_json().contains("\"referenceUUID\""));
}
