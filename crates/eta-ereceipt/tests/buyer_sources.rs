//! The receipt's buyer from what the order carries (issue #18, items 4 and 5): the id from the
//! customer's tax id, a customer metafield or an order attribute in the configured order;
//! business buyers (a B2B company, or a tagged customer) with their 9-digit registration
//! number; foreign buyers (a tagged customer, or a company outside Egypt) with id and name;
//! and a sale paid in another currency issued in it, with the rate to EGP taken from the
//! order's shop and presentment amounts.

mod common;

use eta_ereceipt::adapter::EtaTaxAuthority;
use eta_ereceipt::builder::example_seller;
use eta_ereceipt::buyer::{BuyerRules, IdSource};
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials};
use eta_ereceipt::codes::PaymentMethod;
use eta_ereceipt::mapping::MappingConfig;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;
use sync_core::connector::{BuiltReceipt, ConnectorError, TaxAuthority};
use sync_core::model::{BuyerCompany, Customer, Order, Presentment, Refund, RefundLine};
use sync_core::money::Currency;

const NATIONAL_ID: &str = "29001010123456";

fn authority(rules: BuyerRules) -> EtaTaxAuthority {
    let credentials = PosCredentials::new("id", "secret", "POS-1", "os", "1", "psk");
    let client = EtaClient::builder(Environment::Preproduction, credentials)
        .build()
        .unwrap();
    let mut seller = example_seller();
    seller.device_serial_number = "POS-1".into();
    let mut mapping = MappingConfig::new(seller.rin.clone()).gateway("cash", PaymentMethod::Cash);
    mapping.buyer = rules;
    EtaTaxAuthority::new(client, seller, mapping)
}

/// A paid order of `total` EGP (one line, VAT 14 % included) by customer Mona Adel.
fn order(total: Decimal) -> Order {
    let mut order = common::paid_order(77, "#4077", "SOFA-1", "Sofa", dec!(1), total, "cash");
    order.customer = Some(Customer {
        external_id: "gid://shopify/Customer/9".into(),
        email: None,
        phone: None,
        first_name: Some("Mona".into()),
        last_name: Some("Adel".into()),
        addresses: vec![],
        updated_at: order.created_at,
    });
    order
}

fn body(built: &BuiltReceipt) -> Value {
    serde_json::from_str(&built.body).unwrap()
}

fn parked(e: &ConnectorError) -> String {
    assert_eq!(e.mapping(), Some("buyer-id:4077"), "{e}");
    e.to_string()
}

#[test]
fn a_person_above_the_threshold_gets_the_customers_tax_id_and_name() {
    let eta = authority(BuyerRules::default());
    let mut o = order(dec!(171000));
    o.buyer.customer_tax_id = Some(NATIONAL_ID.into());
    let b = body(&eta.build_sale(&o, &Default::default()).unwrap());
    assert_eq!(b["buyer"]["type"], "P");
    assert_eq!(b["buyer"]["id"], NATIONAL_ID);
    assert_eq!(b["buyer"]["name"], "Mona Adel");
}

#[test]
fn the_configured_order_of_sources_decides_which_id_wins() {
    let mut o = order(dec!(171000));
    o.buyer.customer_tax_id = Some(NATIONAL_ID.into());
    o.buyer.customer_metafield = Some("29001010000002".into());
    o.buyer.attributes = vec![("eta_buyer_id".into(), "29001010000003".into())];
    let default = authority(BuyerRules::default());
    let b = body(&default.build_sale(&o, &Default::default()).unwrap());
    assert_eq!(b["buyer"]["id"], NATIONAL_ID, "tax id first by default");
    let attribute_first = authority(BuyerRules {
        id_sources: vec![IdSource::Attribute, IdSource::Metafield, IdSource::TaxId],
        ..BuyerRules::default()
    });
    let b = body(&attribute_first.build_sale(&o, &Default::default()).unwrap());
    assert_eq!(b["buyer"]["id"], "29001010000003");
    let metafield_only = authority(BuyerRules {
        id_sources: vec![IdSource::Metafield],
        ..BuyerRules::default()
    });
    let b = body(&metafield_only.build_sale(&o, &Default::default()).unwrap());
    assert_eq!(b["buyer"]["id"], "29001010000002");
}

#[test]
fn a_person_above_the_threshold_without_any_source_parks_naming_where_it_looked() {
    let eta = authority(BuyerRules::default());
    let mut o = order(dec!(171000));
    // A tax id that is not a national id is refused, and named.
    o.buyer.customer_tax_id = Some("1234".into());
    let text = parked(&eta.build_sale(&o, &Default::default()).unwrap_err());
    for needle in [
        "taxSettings.taxId",
        "custom.eta_buyer_id",
        "\"eta_buyer_id\"",
        "\"1234\"",
        "14-digit national id",
        "150000",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    // Below the threshold the bad id is left out and the receipt is issued.
    let mut small = order(dec!(1140));
    small.buyer.customer_tax_id = Some("1234".into());
    let b = body(&eta.build_sale(&small, &Default::default()).unwrap());
    assert_eq!(b["buyer"]["type"], "P");
    assert!(b["buyer"].get("id").is_none(), "{b}");
}

#[test]
fn a_b2b_company_is_a_business_buyer_with_its_registration_number() {
    let eta = authority(BuyerRules::default());
    let mut o = order(dec!(1140));
    o.buyer.company = Some(BuyerCompany {
        name: "Nile Traders".into(),
        tax_registration_id: Some("123-456-789".into()),
        country_code: Some("EG".into()),
    });
    let b = body(&eta.build_sale(&o, &Default::default()).unwrap());
    assert_eq!(b["buyer"]["type"], "B");
    assert_eq!(b["buyer"]["id"], "123456789");
    assert_eq!(b["buyer"]["name"], "Nile Traders");
    // Without a registration number, even a small sale parks: ETA needs it for type B.
    o.buyer.company.as_mut().unwrap().tax_registration_id = None;
    let text = parked(&eta.build_sale(&o, &Default::default()).unwrap_err());
    assert!(
        text.contains("business (B)")
            && text.contains("registration number")
            && text.contains("Nile Traders"),
        "{text}"
    );
    // A malformed one is refused with ETA's rule.
    o.buyer.company.as_mut().unwrap().tax_registration_id = Some("12345".into());
    let text = parked(&eta.build_sale(&o, &Default::default()).unwrap_err());
    assert!(
        text.contains("\"12345\"") && text.contains("9-digit"),
        "{text}"
    );
}

#[test]
fn a_company_outside_egypt_and_a_tagged_customer_are_foreign_buyers() {
    let eta = authority(BuyerRules {
        foreign_tag: Some("foreign".into()),
        business_tag: Some("b2b".into()),
        ..BuyerRules::default()
    });
    let mut o = order(dec!(1140));
    o.buyer.company = Some(BuyerCompany {
        name: "Acme GmbH".into(),
        tax_registration_id: Some("DE811907980".into()),
        country_code: Some("DE".into()),
    });
    let b = body(&eta.build_sale(&o, &Default::default()).unwrap());
    assert_eq!(b["buyer"]["type"], "F");
    assert_eq!(b["buyer"]["id"], "DE811907980");
    assert_eq!(b["buyer"]["name"], "Acme GmbH");

    let mut tagged = order(dec!(1140));
    tagged.buyer.customer_tags = vec!["Foreign".into()];
    tagged.buyer.attributes = vec![("eta_buyer_id".into(), "P1234567".into())];
    let b = body(&eta.build_sale(&tagged, &Default::default()).unwrap());
    assert_eq!(b["buyer"]["type"], "F");
    assert_eq!(b["buyer"]["id"], "P1234567");
    assert_eq!(b["buyer"]["name"], "Mona Adel");
    // A foreigner without an id parks at any total.
    tagged.buyer.attributes.clear();
    let text = parked(&eta.build_sale(&tagged, &Default::default()).unwrap_err());
    assert!(text.contains("foreigner (F)"), "{text}");

    let mut business = order(dec!(1140));
    business.buyer.customer_tags = vec!["b2b".into()];
    business.buyer.customer_metafield = Some("200000002".into());
    let b = body(&eta.build_sale(&business, &Default::default()).unwrap());
    assert_eq!(b["buyer"]["type"], "B");
    assert_eq!(b["buyer"]["id"], "200000002");
}

/// `order` as paid in USD at `egp_per_usd`: its presentment amounts.
fn in_usd(order: &mut Order, egp_per_usd: Decimal) {
    let conv = |x: Decimal| (x / egp_per_usd).round_dp(2);
    let mut lines = order.lines.clone();
    for l in &mut lines {
        l.unit_price = conv(l.unit_price);
        l.discount = conv(l.discount);
        for t in &mut l.tax_lines {
            t.amount = conv(t.amount);
        }
    }
    let mut payments = order.payments.clone();
    for p in &mut payments {
        p.amount = conv(p.amount);
    }
    order.presentment = Some(Presentment {
        currency: Currency::USD,
        lines,
        shipping_lines: vec![],
        total: conv(order.total),
        payments,
    });
}

#[test]
fn a_sale_paid_in_another_currency_is_issued_in_it_with_the_rate_from_the_order() {
    let eta = authority(BuyerRules::default());
    // 171,000 EGP paid as 3,420 USD: 50 EGP per USD.
    let mut o = order(dec!(171000));
    in_usd(&mut o, dec!(50));
    o.buyer.customer_tax_id = Some(NATIONAL_ID.into());
    let b = body(&eta.build_sale(&o, &Default::default()).unwrap());
    assert_eq!(b["header"]["currency"], "USD");
    assert_eq!(b["header"]["exchangeRate"].as_f64(), Some(50.0));
    assert_eq!(b["totalAmount"].as_f64(), Some(3420.0));
    // The threshold is compared in EGP: 3,420 USD is 171,000 EGP, so an id is needed.
    o.buyer.customer_tax_id = None;
    let text = parked(&eta.build_sale(&o, &Default::default()).unwrap_err());
    assert!(text.contains("171000"), "{text}");
    // A rate is rounded to ETA's 5 decimals: 1,000 EGP paid as 30.03 USD.
    let mut odd = order(dec!(1000));
    in_usd(&mut odd, dec!(33.3));
    let b = body(&eta.build_sale(&odd, &Default::default()).unwrap());
    assert_eq!(b["header"]["exchangeRate"].as_f64(), Some(33.30003));
}

#[test]
fn a_shop_whose_own_currency_is_not_egp_still_parks_on_the_currency() {
    let eta = authority(BuyerRules::default());
    let mut o = order(dec!(1140));
    o.currency = Currency::USD;
    let e = eta.build_sale(&o, &Default::default()).unwrap_err();
    assert_eq!(e.mapping(), Some("currency:USD"), "{e}");
    assert!(e.to_string().contains("EGP"), "{e}");
}

#[test]
fn a_return_of_a_sale_paid_in_another_currency_parks_on_the_currency() {
    let eta = authority(BuyerRules::default());
    let mut o = order(dec!(1140));
    in_usd(&mut o, dec!(50));
    let refund = Refund {
        external_id: "gid://shopify/Refund/5".into(),
        created_at: o.created_at,
        lines: vec![RefundLine {
            line_id: "L1".into(),
            sku: None,
            quantity: dec!(1),
            amount: dec!(1140),
            tax: dec!(140),
        }],
        shipping: dec!(0),
        total: dec!(1140),
        payments: vec![],
    };
    let e = eta
        .build_return(&o, &refund, &"a".repeat(64).into(), &Default::default())
        .unwrap_err();
    assert_eq!(e.mapping(), Some("currency:USD"), "{e}");
}
