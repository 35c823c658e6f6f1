//! Buyer identity: a person buyer at or above ETA's threshold (150,000 EGP, compared in EGP,
//! so a receipt in another currency is converted with its `exchangeRate`) needs a national id
//! and a name. The adapter parks such a receipt with a clear reason instead of failing it; the
//! validator and the ETA stand-in compare in EGP.

mod common;

use chrono::{Duration, Utc};
use eta_ereceipt::adapter::EtaTaxAuthority;
use eta_ereceipt::builder::example_seller;
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials, SubmissionBatch};
use eta_ereceipt::codes::PaymentMethod;
use eta_ereceipt::mapping::{MappingConfig, Sale, SaleLine, map_sale};
use eta_ereceipt::model::{Buyer, Receipt};
use eta_ereceipt::validate::{ValidationOptions, total_in_egp, validate};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sandbox::{Sandbox, SandboxConfig};
use sync_core::connector::TaxAuthority;
use sync_core::model::{Customer, Order};

fn big_order(customer_name: Option<&str>) -> Order {
    let mut order =
        common::paid_order(77, "#4077", "SOFA-1", "Sofa", dec!(1), dec!(171000), "cash");
    order.customer = customer_name.map(|n| Customer {
        external_id: "gid://shopify/Customer/9".into(),
        email: None,
        phone: None,
        first_name: Some(n.into()),
        last_name: None,
        addresses: vec![],
        updated_at: order.created_at,
    });
    order
}

#[test]
fn a_person_buyer_above_the_threshold_without_a_national_id_parks_with_the_reason() {
    let credentials = PosCredentials::new("id", "secret", "POS-1", "os", "1", "psk");
    let client = EtaClient::builder(Environment::Preproduction, credentials)
        .build()
        .unwrap();
    let mut seller = example_seller();
    seller.device_serial_number = "POS-1".into();
    let mapping = MappingConfig::new(seller.rin.clone()).gateway("cash", PaymentMethod::Cash);
    let eta = EtaTaxAuthority::new(client, seller, mapping);
    let e = eta
        .build_sale(&big_order(Some("Mona")), &Default::default())
        .unwrap_err();
    assert_eq!(e.mapping(), Some("buyer-id:4077"), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("171000") && text.contains("national id") && text.contains("150000"),
        "{text}"
    );
    // Below the threshold nothing is asked.
    let mut small = big_order(Some("Mona"));
    small.lines[0].unit_price = dec!(1140);
    small.lines[0].tax_lines[0].amount = dec!(140);
    small.total = dec!(1140);
    small.payments[0].amount = dec!(1140);
    eta.build_sale(&small, &Default::default()).unwrap();
}

fn receipt_in(currency: &str, rate: Decimal) -> Receipt {
    let config = MappingConfig::new(example_seller().rin).gateway("cash", PaymentMethod::Cash);
    let sale = Sale {
        receipt_number: "USD-1".into(),
        order_name: None,
        issued: Utc::now() - Duration::minutes(1),
        lines: vec![SaleLine::new(
            "SOFA-1",
            "Sofa",
            dec!(1),
            dec!(3534),
            dec!(14),
        )],
        order_discount: dec!(0),
        shipping: None,
        gateway: "cash".into(),
        currency: None,
        buyer: Some(Buyer {
            name: Some("John".into()),
            ..Buyer::walk_in()
        }),
    };
    let mut receipt = map_sale(&config, example_seller(), &sale).unwrap();
    receipt.header.currency = currency.into();
    receipt.header.exchange_rate = Some(rate);
    receipt
}

#[test]
fn the_threshold_is_compared_in_egp() {
    // 3,534 USD at 50 EGP = 176,700 EGP: a national id is needed.
    let usd = receipt_in("USD", dec!(50));
    assert_eq!(total_in_egp(&usd), dec!(176700));
    let problems = validate(&usd, &ValidationOptions::at(Utc::now()));
    assert!(
        problems
            .iter()
            .any(|p| p.to_string().contains("national id")
                || p.to_string().contains("needs id and name")),
        "{problems:?}"
    );
    // The same figure in EGP is below the threshold.
    let egp = receipt_in("EGP", dec!(0));
    assert!(validate(&egp, &ValidationOptions::at(Utc::now())).is_empty());
}

#[tokio::test]
async fn the_eta_stand_in_refuses_a_person_without_id_above_the_threshold_in_egp() {
    let config = SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    };
    let sb = Sandbox::start(config).await.unwrap();
    let cfg = &sb.config().eta;
    let dev = &cfg.devices[0];
    let client = EtaClient::builder(
        Environment::Preproduction,
        PosCredentials::new(
            cfg.client_id.clone(),
            cfg.client_secret.clone(),
            dev.serial.clone(),
            "os",
            "1",
            dev.preshared_key.clone(),
        ),
    )
    .identity_url(sb.eta_url())
    .api_url(sb.eta_url())
    .build()
    .unwrap();
    let mut receipt = receipt_in("USD", dec!(50));
    receipt.seller.rin = cfg.taxpayer_rin.clone();
    receipt.seller.device_serial_number = dev.serial.clone();
    for item in &mut receipt.item_data {
        item.item_code = format!("EG-{}-SOFA-1", cfg.taxpayer_rin);
    }
    let sealed = receipt.seal().unwrap();
    let result = client
        .submit(&SubmissionBatch::from_sealed(&[sealed]).unwrap())
        .await
        .unwrap();
    assert_eq!(result.rejected.len(), 1, "{result:?}");
    let error = format!("{:?}", result.rejected[0].error);
    assert!(
        error.contains("buyer.id") && error.contains("EGP"),
        "{error}"
    );
    sb.shutdown().await;
}
