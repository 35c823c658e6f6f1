//! Creates or updates a product with two sizes in one call (`productSet`), keyed by its
//! handle, so running it twice updates the same product instead of making a second one.
//!
//! Against a real shop (the token needs `write_products`):
//!
//! ```sh
//! SHOPIFY_SHOP=my-shop.myshopify.com SHOPIFY_TOKEN=shpat_… \
//!     cargo run -p shopify-client --example push_product
//! ```
//!
//! Without those variables it pushes to the workspace's local Shopify stand-in (the
//! `sandbox` crate), so it runs anywhere.

use shopify_client::ops::products::{
    OptionSetInput, OptionValueSetInput, ProductIdentifier, ProductSetInput, ProductSetMode,
    ProductVariantSetInput, VariantOptionValueInput,
};
use shopify_client::{Auth, ShopifyClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _sandbox = None;
    let client = match (
        std::env::var("SHOPIFY_SHOP"),
        std::env::var("SHOPIFY_TOKEN"),
    ) {
        (Ok(shop), Ok(token)) => ShopifyClient::builder(shop, Auth::access_token(token)).build()?,
        _ => {
            let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig {
                orders: 0,
                catalog_groups: 1,
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
            eprintln!("no SHOPIFY_SHOP/SHOPIFY_TOKEN: pushing to the local stand-in");
            _sandbox = Some(sandbox);
            client
        }
    };
    let sizes = ["M", "L"];
    let input = ProductSetInput {
        title: Some("Linen shirt".into()),
        product_options: Some(vec![OptionSetInput {
            name: Some("Size".into()),
            values: Some(
                sizes
                    .iter()
                    .map(|size| OptionValueSetInput {
                        name: Some((*size).into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }]),
        variants: Some(
            sizes
                .iter()
                .map(|size| ProductVariantSetInput {
                    sku: Some(format!("LINEN-{size}")),
                    price: Some("450.00".parse().expect("a decimal")),
                    option_values: vec![VariantOptionValueInput {
                        option_name: Some("Size".into()),
                        name: Some((*size).into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    };
    for run in 1..=2 {
        let product = client
            .product_set(
                input.clone(),
                ProductIdentifier::Handle("linen-shirt".into()),
                ProductSetMode::Synchronous,
            )
            .await?;
        println!(
            "push {run}: {} ({}) with {} variant(s)",
            product.product_id,
            product.handle,
            product.variants.len()
        );
    }
    Ok(())
}
