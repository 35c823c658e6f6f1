//! Currency: a sale paid in another currency is issued in that currency with ETA's
//! `exchangeRate` (EGP per unit); the amounts stay what the customer paid. An order whose
//! amounts are not in EGP and carries no rate is parked, not issued in EGP with foreign
//! amounts.

mod common;

use chrono::{Duration, Utc};
use eta_ereceipt::adapter::EtaTaxAuthority;
use eta_ereceipt::builder::example_seller;
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials};
use eta_ereceipt::codes::PaymentMethod;
use eta_ereceipt::mapping::{MappingConfig, Sale, SaleCurrency, SaleLine, map_sale};
use eta_ereceipt::validate::{ValidationOptions, total_in_egp, validate};
use rust_decimal_macros::dec;
use sync_core::connector::TaxAuthority;
use sync_core::money::Currency;

fn sale(currency: Option<SaleCurrency>) -> Sale {
    Sale {
        receipt_number: "FX-1".into(),
        order_name: Some("#FX-1".into()),
        issued: Utc::now() - Duration::minutes(1),
        lines: vec![SaleLine::new("TEA-1", "Tea", dec!(2), dec!(57), dec!(14))],
        order_discount: dec!(0),
        shipping: None,
        gateway: "cash".into(),
        buyer: None,
        currency,
    }
}

#[test]
fn a_sale_in_another_currency_is_issued_in_it_with_the_rate_to_egp() {
    let config = MappingConfig::new(example_seller().rin).gateway("cash", PaymentMethod::Cash);
    let usd = SaleCurrency {
        code: "USD".into(),
        egp_per_unit: dec!(48.5),
    };
    let receipt = map_sale(&config, example_seller(), &sale(Some(usd))).unwrap();
    assert_eq!(receipt.header.currency, "USD");
    assert_eq!(receipt.header.exchange_rate, Some(dec!(48.5)));
    assert_eq!(receipt.total_amount, dec!(114));
    assert_eq!(total_in_egp(&receipt), dec!(5529));
    let problems = validate(&receipt, &ValidationOptions::at(Utc::now()));
    assert!(problems.is_empty(), "{problems:?}");
    // EGP stays as it was: rate 0.
    let egp = map_sale(&config, example_seller(), &sale(None)).unwrap();
    assert_eq!(egp.header.currency, "EGP");
    assert_eq!(egp.header.exchange_rate, Some(dec!(0)));
    // A foreign currency without a rate is refused, naming the field.
    let e = map_sale(
        &config,
        example_seller(),
        &sale(Some(SaleCurrency {
            code: "USD".into(),
            egp_per_unit: dec!(0),
        })),
    )
    .unwrap_err();
    assert_eq!(e.field, "currency.egp_per_unit");
}

#[test]
fn an_order_not_in_egp_parks_on_its_currency() {
    let _at = Utc::now() - Duration::minutes(5);
    let mut order = common::paid_order(5, "#5005", "TEA-1", "Tea", dec!(1), dec!(11.4), "cash");
    order.currency = Currency::USD;
    let client = EtaClient::builder(
        Environment::Preproduction,
        PosCredentials::new("id", "secret", "POS-1", "os", "1", "psk"),
    )
    .build()
    .unwrap();
    let mut seller = example_seller();
    seller.device_serial_number = "POS-1".into();
    let mapping = MappingConfig::new(seller.rin.clone()).gateway("cash", PaymentMethod::Cash);
    let eta = EtaTaxAuthority::new(client, seller, mapping);
    let e = eta.build_sale(&order, &Default::default()).unwrap_err();
    assert_eq!(e.mapping(), Some("currency:USD"), "{e}");
    assert!(e.to_string().contains("exchange rate"), "{e}");
}
