//! Lists a shop's orders, a page at a time.
//!
//! Against a real shop:
//!
//! ```sh
//! SHOPIFY_SHOP=my-shop.myshopify.com SHOPIFY_TOKEN=shpat_… \
//!     cargo run -p shopify-client --example list_orders
//! ```
//!
//! Without those variables it starts the workspace's local Shopify stand-in (the `sandbox`
//! crate) with a few generated orders and lists them, so it runs anywhere.

use shopify_client::ops::orders::OrderPull;
use shopify_client::{Auth, ShopifyClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the stand-in alive for the whole run when one is used.
    let mut _sandbox = None;
    let client = match (
        std::env::var("SHOPIFY_SHOP"),
        std::env::var("SHOPIFY_TOKEN"),
    ) {
        (Ok(shop), Ok(token)) => ShopifyClient::builder(shop, Auth::access_token(token)).build()?,
        _ => {
            let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig {
                orders: 5,
                catalog_groups: 2,
                ..sandbox::SandboxConfig::default()
            })
            .await?;
            let shop = &sandbox.config().shopify;
            let client = ShopifyClient::builder(
                shop.shop_domain.clone(),
                Auth::access_token(shop.access_token.clone()),
            )
            .base_url(sandbox.shopify_url())
            .build()?;
            eprintln!("no SHOPIFY_SHOP/SHOPIFY_TOKEN: listing the local stand-in's orders");
            _sandbox = Some(sandbox);
            client
        }
    };
    let mut cursor = None;
    loop {
        let page = client
            .orders_page(None, cursor, OrderPull::default())
            .await?;
        for order in &page.items {
            println!("{}  {}  created {}", order.id, order.name, order.created_at);
        }
        if !page.has_next_page {
            break;
        }
        cursor = page.end_cursor;
    }
    Ok(())
}
