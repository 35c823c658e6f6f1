//! Tests of the validator.
use chrono::TimeZone;
use rust_decimal_macros::dec;

use super::*;
use crate::builder::{LineInput, ReceiptBuilder, TaxInput, example_seller};
use crate::codes::{ReceiptType, UnitType};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap()
}

fn good() -> Receipt {
    ReceiptBuilder::sale(example_seller(), "R-1", now() - chrono::Duration::hours(1))
        .line(
            LineInput::new(
                "SKU1",
                "Tea",
                ItemType::Egs,
                "EG-674859545-SKU1",
                UnitType::Each,
                dec!(3),
                dec!(33.33333),
            )
            .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14))),
        )
        .build()
        .unwrap()
}

fn rules(r: &Receipt) -> Vec<String> {
    validate(r, &ValidationOptions::at(now()).tolerance(dec!(0.00001)))
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_built_receipt_is_valid_and_its_sealed_json_too() {
    assert_eq!(rules(&good()), Vec::<String>::new());
    let sealed = good().seal().unwrap();
    assert_eq!(
        validate_json(&sealed.json, &ValidationOptions::at(now())),
        vec![]
    );
    assert_eq!(rules(&sealed.receipt), Vec::<String>::new());
}

#[test]
fn each_rule_names_its_path() {
    let mut r = good();
    r.header.date_time_issued = "2026-11-28 09:00".into();
    assert_eq!(
        rules(&r),
        ["header.dateTimeIssued: must be UTC date-time YYYY-MM-DDTHH:MM:SSZ"]
    );
    r.header.date_time_issued = "2026-11-28T09:00:01Z".into();
    assert_eq!(
        rules(&r),
        ["header.dateTimeIssued: must not be in the future"]
    );
    r.header.date_time_issued = "2026-11-27T08:59:59Z".into();
    assert_eq!(
        rules(&r),
        ["header.dateTimeIssued: is older than the 24-hour submission window"]
    );

    let mut r = good();
    r.document_type.receipt_type = ReceiptType::Return;
    assert_eq!(
        rules(&r),
        ["header.referenceUUID: is mandatory on a return receipt (the sale receipt's uuid)"]
    );

    let mut r = good();
    r.document_type.receipt_type = ReceiptType::ReturnWithoutReference;
    assert_eq!(
        rules(&r),
        [
            "header.documentUseReason: is mandatory on a return without reference (RWR)",
            "header.salesIssuedDateTime: is mandatory on a return without reference (RWR): UTC date-time of the sale"
        ]
    );
    r.header.document_use_reason = Some("damaged".into());
    r.header.sales_issued_date_time = Some("2026-11-01T10:00:00Z".into());
    assert_eq!(rules(&r), Vec::<String>::new());

    let mut r = good();
    r.buyer.buyer_type = BuyerType::Business;
    assert_eq!(
        rules(&r),
        ["buyer: a business buyer (B) always needs id and name"]
    );
    r.buyer.id = Some("12345".into());
    r.buyer.name = Some("Co".into());
    assert_eq!(
        rules(&r),
        ["buyer.id: must be a 9-digit registration number for type B"]
    );

    let mut r = good();
    r.total_amount = dec!(150000);
    let got = rules(&r);
    assert!(
        got.contains(
            &"buyer: a person buyer (P) needs id and name when totalAmount is 150000 EGP or more"
                .to_owned()
        ),
        "{got:?}"
    );

    let mut r = good();
    r.item_data[0].total += dec!(0.01);
    let got = rules(&r);
    assert!(
        got[0].starts_with("itemData[0].total: must equal netSale + taxes"),
        "{got:?}"
    );
    assert!(got[1].starts_with("totalAmount: must equal"), "{got:?}");

    let mut r = good();
    r.item_data[0].taxable_items[0].amount += dec!(0.01);
    assert!(rules(&r)[0].starts_with("itemData[0].taxableItems[0].amount: must equal (netSale + totalTaxableFees T5–T12 + valueDifference + T2 + T3) × rate"));

    let mut r = good();
    r.item_data[0].item_code = "EG-111111111-X".into();
    assert!(
        rules(&r)[0]
            .starts_with("itemData[0].itemCode: an EGS code must be EG-<seller RIN>-<code>")
    );

    let mut r = good();
    r.item_data[0].description = "say \"hi\"".into();
    assert_eq!(
        rules(&r)[0].split(':').next(),
        Some("itemData[0].description")
    );

    let mut r = good();
    r.fees_amount = Some(dec!(1));
    assert!(
        rules(&r)
            .iter()
            .any(|x| x.starts_with("feesAmount: must be 0"))
    );

    let mut r = good();
    r.header.uuid = "ab".repeat(32);
    assert!(rules(&r)[0].starts_with("header.uuid: does not match the receipt's content"));

    let mut r = good();
    r.item_data[0].unit_price = Decimal::MAX;
    assert_eq!(
        rules(&r),
        ["itemData[0].unitPrice: must be below 10^13 in magnitude"]
    );

    let mut r = good();
    let line = r.item_data[0].clone();
    r.item_data = vec![line; 301];
    crate::builder::fill_totals(&mut r);
    assert!(rules(&r).contains(&"itemData: at most 300 lines per receipt".to_owned()));
}

fn service_charge(fee: TaxInput) -> Receipt {
    ReceiptBuilder::sale(example_seller(), "R-9", now() - chrono::Duration::hours(1))
        .line(
            LineInput::new(
                "DIN",
                "Dinner",
                ItemType::Egs,
                "EG-674859545-DIN",
                UnitType::Each,
                dec!(1),
                dec!(100),
            )
            .tax(fee)
            .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14))),
        )
        .build()
        .unwrap()
}

/// Issue #18's worked example: net 100, T9 SC01 12 %, VAT 14 % = 15.68 is accepted, and
/// the VAT of the old rule (14.00, on netSale alone) is flagged.
#[test]
fn taxable_fees_are_in_the_vat_base() {
    let r = service_charge(TaxInput::rate(TaxType::T9, "SC01", dec!(12)));
    assert_eq!(r.item_data[0].taxable_items[1].amount, dec!(15.68));
    assert_eq!(r.total_amount, dec!(127.68));
    assert_eq!(rules(&r), Vec::<String>::new());
    let sealed = r.clone().seal().unwrap();
    assert_eq!(
        validate_json(&sealed.json, &ValidationOptions::at(now())),
        vec![]
    );

    let mut old = r.clone();
    old.item_data[0].taxable_items[1].amount = dec!(14.00);
    old.item_data[0].total = dec!(126.00);
    crate::builder::fill_totals(&mut old);
    assert_eq!(
        rules(&old),
        [
            "itemData[0].taxableItems[1].amount: must equal (netSale + totalTaxableFees T5–T12 + valueDifference + T2 + T3) × rate = 15.68"
        ]
    );

    // a fixed service charge is taken as given and enters the VAT base too
    let r = service_charge(TaxInput::fixed(TaxType::T9, "SC02", dec!(10)));
    assert_eq!(r.item_data[0].taxable_items[1].amount, dec!(15.40));
    assert_eq!(rules(&r), Vec::<String>::new());
    let mut bad = r.clone();
    bad.item_data[0].taxable_items[0].amount = dec!(11);
    assert!(
        rules(&bad)[0].starts_with("itemData[0].taxableItems[1].amount: must equal"),
        "{:?}",
        rules(&bad)
    );

    // a non-taxable fee (T17) stays out of the VAT base
    let r = service_charge(TaxInput::rate(TaxType::T17, "SC03", dec!(12)));
    assert_eq!(r.item_data[0].taxable_items[1].amount, dec!(14.00));
    assert_eq!(rules(&r), Vec::<String>::new());
}

#[test]
fn subtypes_must_be_etas_and_under_their_own_tax_type() {
    let mut r = service_charge(TaxInput::rate(TaxType::T9, "SC01", dec!(12)));
    r.item_data[0].taxable_items[0].sub_type = "SC03".into();
    assert!(
        rules(&r)[0].starts_with(
            "itemData[0].taxableItems[0].subType: subtype \"SC03\" belongs to T17, not T9"
        ),
        "{:?}",
        rules(&r)
    );
    r.item_data[0].taxable_items[0].sub_type = "sc01".into();
    assert!(rules(&r)[0].contains("is not in ETA's subtype table for T9"));
}

#[test]
fn additional_discounts_are_checked() {
    let r = ReceiptBuilder::sale(example_seller(), "R-8", now() - chrono::Duration::hours(1))
        .line(
            LineInput::new(
                "A",
                "A",
                ItemType::Egs,
                "EG-674859545-A",
                UnitType::Box,
                dec!(2),
                dec!(50),
            )
            .additional_commercial_discount(crate::builder::DiscountInput::amount(
                "promo",
                dec!(10),
            ))
            .additional_item_discount(crate::builder::DiscountInput::amount("v", dec!(1)))
            .tax(TaxInput::rate(TaxType::T1, "V010", dec!(5))),
        )
        .build()
        .unwrap();
    assert_eq!(rules(&r), Vec::<String>::new());
    let mut bad = r.clone();
    bad.item_data[0]
        .additional_commercial_discount
        .as_mut()
        .unwrap()
        .amount = dec!(20);
    assert!(
        rules(&bad)[0].starts_with("itemData[0].netSale: must equal totalSale − Σ commercialDiscountData.amount − additionalCommercialDiscount.amount = 80"),
        "{:?}",
        rules(&bad)
    );
    let mut bad = r.clone();
    bad.item_data[0]
        .additional_item_discount
        .as_mut()
        .unwrap()
        .amount = dec!(-1);
    assert!(
        rules(&bad).contains(
            &"itemData[0].additionalItemDiscount.amount: must not be negative".to_owned()
        )
    );
}

#[test]
fn json_problems_carry_the_path() {
    let o = ValidationOptions::at(now());
    let sealed = good().seal().unwrap();
    let bad = sealed
        .json
        .replace("\"paymentMethod\":\"C\"", "\"paymentMethod\":\"Cash\"");
    let got = validate_json(&bad, &o);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "paymentMethod");
    let tampered = sealed
        .json
        .replace("\"receiptNumber\":\"R-1\"", "\"receiptNumber\":\"R-2\"");
    let got = validate_json(&tampered, &o);
    assert_eq!(got[0].path, "header.uuid");
    let got = validate_json("{\"header\":{\"uuid\":\"\"}", &o);
    assert!(
        got[0].rule.starts_with("invalid JSON at byte 21"),
        "{got:?}"
    );
}
