//! Fixtures shared by the adapter's tests: a paid order, and a client and an authority for a
//! device of the sandbox's ETA stand-in.

// Each test file uses a part of it.
#![allow(dead_code)]

use chrono::Utc;
use eta_ereceipt::adapter::EtaTaxAuthority;
use eta_ereceipt::builder::example_seller;
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials};
use eta_ereceipt::codes::PaymentMethod;
use eta_ereceipt::mapping::MappingConfig;
use eta_ereceipt::model::Seller;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sandbox::RunningSandbox;
use sync_core::model::{FinancialStatus, Order, OrderLine, Payment, Sku, TaxLine};
use sync_core::money::Currency;

/// A paid EGP order of five minutes ago, one line of `quantity` × `unit_price` (VAT 14 %
/// included), paid in full through `gateway`.
pub(crate) fn paid_order(
    id: u32,
    name: &str,
    sku: &str,
    title: &str,
    quantity: Decimal,
    unit_price: Decimal,
    gateway: &str,
) -> Order {
    let at = Utc::now() - chrono::Duration::minutes(5);
    let total = quantity * unit_price;
    let tax = (total * dec!(14) / dec!(114)).round_dp(2);
    Order {
        external_id: format!("gid://shopify/Order/{id}").into(),
        name: name.to_owned(),
        created_at: at,
        updated_at: at,
        currency: Currency::EGP,
        taxes_included: true,
        customer: None,
        email: None,
        phone: None,
        billing_address: None,
        shipping_address: None,
        lines: vec![OrderLine {
            line_id: "L1".into(),
            sku: Some(Sku::from(sku)),
            title: title.into(),
            quantity,
            unit_price,
            discount: dec!(0),
            tax_lines: vec![TaxLine {
                title: "VAT".into(),
                rate: dec!(0.14),
                amount: tax,
            }],
        }],
        shipping_lines: vec![],
        total,
        total_tax: tax,
        financial_status: FinancialStatus::Paid,
        fulfilled: false,
        cancelled_at: None,
        payments: vec![Payment {
            gateway: gateway.into(),
            amount: total,
        }],
        refunds: vec![],
        buyer: Default::default(),
        presentment: None,
        exchanges: Vec::new(),
        source: None,
        location: None,
    }
}

/// A client for POS device `device` of the stand-in.
pub(crate) fn client(sb: &RunningSandbox, device: usize) -> EtaClient {
    let cfg = &sb.config().eta;
    let dev = &cfg.devices[device];
    let credentials = PosCredentials::new(
        cfg.client_id.clone(),
        cfg.client_secret.clone(),
        dev.serial.clone(),
        "os",
        "1",
        dev.preshared_key.clone(),
    );
    EtaClient::builder(Environment::Preproduction, credentials)
        .identity_url(sb.eta_url())
        .api_url(sb.eta_url())
        .build()
        .unwrap()
}

/// The stand-in's taxpayer as the seller, issuing on device `device`.
pub(crate) fn seller(sb: &RunningSandbox, device: usize) -> Seller {
    let cfg = &sb.config().eta;
    let mut seller = example_seller();
    seller.rin = cfg.taxpayer_rin.clone();
    seller.device_serial_number = cfg.devices[device].serial.clone();
    seller
}

/// The mapping of the stand-in's taxpayer, Paymob paid by card.
pub(crate) fn mapping(sb: &RunningSandbox) -> MappingConfig {
    MappingConfig::new(sb.config().eta.taxpayer_rin.clone()).gateway("paymob", PaymentMethod::Visa)
}

/// The adapter for device `device`, with [`mapping`].
pub(crate) fn authority(sb: &RunningSandbox, device: usize) -> EtaTaxAuthority {
    EtaTaxAuthority::new(client(sb, device), seller(sb, device), mapping(sb))
}
