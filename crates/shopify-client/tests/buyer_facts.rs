//! What an order read tells of its buyer and its currency, against the sandbox's stand-in over
//! real HTTP: the customer's tax id, tags and the configured metafield, the order's custom
//! attributes, a B2B order's company, and the amounts in the presentment currency.

use std::time::Duration;

use rust_decimal::Decimal;
use sandbox::shopify::{CatalogEntry, NewCompany, ShopifyConfig};
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use shopify_client::adapter::{ShopifyStorefront, StorefrontConfig};
use shopify_client::{Auth, ShopifyClient};
use sync_core::connector::StorefrontOrders;
use sync_core::model::OrderId;
use sync_core::money::Currency;
use sync_core::retry::RetryPolicy;

async fn start(shopify: ShopifyConfig) -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        catalog_groups: 1,
        orders: 0,
        shopify,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn storefront(sb: &RunningSandbox, metafield: (&str, &str)) -> ShopifyStorefront {
    let c = &sb.config().shopify;
    let client = ShopifyClient::builder(
        c.shop_domain.clone(),
        Auth::access_token(c.access_token.clone()),
    )
    .base_url(sb.shopify_url())
    .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
    .buyer_id_metafield(metafield.0, metafield.1)
    .build()
    .unwrap();
    ShopifyStorefront::new(client, StorefrontConfig::default())
}

/// One generated order with a customer: its GID and the customer's.
fn order(sb: &RunningSandbox, price: &str) -> (String, String) {
    let entry = CatalogEntry {
        sku: "SOFA-1".into(),
        title: "Sofa".into(),
        price: price.parse().unwrap(),
    };
    for seed in 1..100 {
        let id = sb
            .shopify()
            .generate_orders(1, std::slice::from_ref(&entry), 0.0, 0.0, seed)[0]
            .clone();
        if let Some(c) = sb.shopify().order_customer(&id) {
            return (id, c);
        }
    }
    panic!("no order with a customer");
}

#[tokio::test]
async fn the_order_read_carries_the_buyer_facts_the_shop_holds() {
    let sb = start(ShopifyConfig::default()).await;
    let (id, customer) = order(&sb, "1500.00");
    let shop = sb.shopify();
    shop.set_customer_tax_id(&customer, Some(" 29001010123456 "))
        .unwrap();
    shop.set_customer_metafield(&customer, "tax", "national_id", "29001010000002")
        .unwrap();
    shop.set_customer_metafield(&customer, "custom", "eta_buyer_id", "other")
        .unwrap();
    shop.add_customer_tag(&customer, "b2b").unwrap();
    shop.set_order_attributes(&id, &[("eta_buyer_id", "29001010000003"), ("gift", "")])
        .unwrap();
    shop.set_order_company(
        &id,
        &NewCompany {
            name: "Nile Traders".into(),
            location_name: "Head office".into(),
            tax_registration_id: Some("123-456-789".into()),
            country_code: "EG".into(),
        },
    )
    .unwrap();

    let read = storefront(&sb, ("tax", "national_id"))
        .order(&OrderId::new(&id))
        .await
        .unwrap()
        .unwrap();
    let b = &read.buyer;
    assert_eq!(b.customer_tax_id.as_deref(), Some("29001010123456"));
    assert_eq!(
        b.customer_metafield.as_deref(),
        Some("29001010000002"),
        "the configured metafield, not the default one"
    );
    assert!(b.has_tag("B2B"));
    assert_eq!(b.attribute("eta_buyer_id"), Some("29001010000003"));
    assert_eq!(b.attribute("gift"), None, "blank attributes are left out");
    let company = b.company.as_ref().expect("a B2B order");
    assert_eq!(company.name, "Nile Traders");
    assert_eq!(company.tax_registration_id.as_deref(), Some("123-456-789"));
    assert_eq!(company.country_code.as_deref(), Some("EG"));
    assert!(
        read.presentment.is_none(),
        "presented in the shop's currency"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn an_order_presented_in_another_currency_carries_its_amounts_in_it() {
    let sb = start(ShopifyConfig {
        presentment_currency: Some("USD".into()),
        presentment_rate: Decimal::from(50),
        ..ShopifyConfig::default()
    })
    .await;
    let (id, _) = order(&sb, "5000.00");
    let read = storefront(&sb, ("custom", "eta_buyer_id"))
        .order(&OrderId::new(&id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.currency, Currency::EGP);
    let p = read.presentment.as_ref().expect("presented in USD");
    assert_eq!(p.currency, Currency::USD);
    assert_eq!(p.lines.len(), read.lines.len());
    assert_eq!(p.lines[0].unit_price, Decimal::from(100));
    assert_eq!(p.lines[0].line_id, read.lines[0].line_id);
    assert_eq!(p.shipping_lines.len(), read.shipping_lines.len());
    assert_eq!(p.total, (read.total / Decimal::from(50)).round_dp(2));
    assert_eq!(p.payments.len(), read.payments.len());
    sb.shutdown().await;
}
