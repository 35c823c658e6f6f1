//! A typed Shopify Admin GraphQL client for ERP integrations: products, media, prices,
//! promotions, inventory, orders, customers, fulfilments, webhooks and bulk operations,
//! with cost-aware throttling; plus the storefront adapter of the workspace's sync engine.
//!
//! Shopify's REST Admin API is legacy; this crate speaks GraphQL only, through
//! `graphql_client` operations checked at compile time against a subset of the Admin
//! schema (API version 2026-10).
//!
//! # Quick start
//!
//! ```no_run
//! use shopify_client::{Auth, ShopifyClient};
//!
//! # async fn run() -> Result<(), shopify_client::Error> {
//! let client = ShopifyClient::builder("demo", Auth::access_token("shpat_…")).build()?;
//! let shop = client.shop_info().await?;
//! println!("{} ({})", shop.name, shop.myshopify_domain);
//! for location in client.all_locations().await? {
//!     println!("{} {}", location.id, location.name);
//! }
//! # Ok(()) }
//! ```
//!
//! The operations live in [`ops`], one module per area, as methods of [`ShopifyClient`]:
//!
//! | area | methods |
//! |---|---|
//! | shop | [`shop_info`](ShopifyClient::shop_info), [`access_scopes`](ShopifyClient::access_scopes) (compare with [`scopes::REQUIRED`]), [`locations`](ShopifyClient::locations), [`all_locations`](ShopifyClient::all_locations) |
//! | products | [`product_set`](ShopifyClient::product_set) (sync / async), [`variants_by_sku`](ShopifyClient::variants_by_sku), [`set_product_status`](ShopifyClient::set_product_status), [`hold_product`](ShopifyClient::hold_product), [`activate_product`](ShopifyClient::activate_product) |
//! | media | [`upload_product_images`](ShopifyClient::upload_product_images), [`delete_product_images`](ShopifyClient::delete_product_images), [`delete_media`](ShopifyClient::delete_media) |
//! | prices | [`update_variant_prices`](ShopifyClient::update_variant_prices), [`create_automatic_discount`](ShopifyClient::create_automatic_discount), [`update_automatic_discount`](ShopifyClient::update_automatic_discount), [`add_fixed_prices`](ShopifyClient::add_fixed_prices) |
//! | inventory | [`set_inventory_quantities`](ShopifyClient::set_inventory_quantities), [`inventory_levels`](ShopifyClient::inventory_levels), [`activate_inventory`](ShopifyClient::activate_inventory) |
//! | orders | [`orders_updated_since`](ShopifyClient::orders_updated_since), [`orders_page`](ShopifyClient::orders_page), [`order`](ShopifyClient::order), [`refund`](ShopifyClient::refund) |
//! | customers | [`customers_updated_since`](ShopifyClient::customers_updated_since), [`customers_page`](ShopifyClient::customers_page), [`customer`](ShopifyClient::customer) |
//! | fulfilment | [`fulfill`](ShopifyClient::fulfill) |
//! | webhooks | [`create_webhook_subscription`](ShopifyClient::create_webhook_subscription), [`webhook_subscriptions`](ShopifyClient::webhook_subscriptions), [`delete_webhook_subscription`](ShopifyClient::delete_webhook_subscription); deliveries: [`webhook`] |
//! | bulk | [`bulk_query`](ShopifyClient::bulk_query), [`bulk_mutation`](ShopifyClient::bulk_mutation), [`wait_bulk_operation`](ShopifyClient::wait_bulk_operation), [`bulk_results`](ShopifyClient::bulk_results) |
//! | anything else | [`execute`](ShopifyClient::execute) runs any `graphql_client` operation through the same transport, bucket and retries |
//!
//! Outputs are the generated `graphql_client` structs (see [`queries`]) under short names,
//! or small structs of ours; amounts are exact [`rust_decimal::Decimal`]s (Shopify's
//! `Money` and `Decimal` travel as string literals such as `"450.00"`).
//!
//! # Authentication
//!
//! - [`Auth::access_token`]: a static Admin API token, sent as `X-Shopify-Access-Token`.
//! - [`Auth::client_credentials`]: Dev Dashboard apps of the store's own organisation; the
//!   client asks `POST /admin/oauth/access_token` for a 24-hour token and asks again
//!   [`token_refresh_margin`](ShopifyClientBuilder::token_refresh_margin) before it expires.
//! - [`OAuthApp`]: the authorization-code flow of public and custom apps (install URL,
//!   callback HMAC check, code exchange); the token it returns goes into
//!   [`Auth::AccessToken`].
//!
//! Tokens are `SecretString`s: `Debug` of the client, the builder, [`Auth`] and
//! [`AccessToken`] prints `[REDACTED]`, and errors never carry them.
//!
//! # Pagination
//!
//! Listings return a `Stream` ([`futures::Stream`]) that fetches pages lazily, `first` ≤ 250
//! per request, and ends with [`Error::ListLimit`] past Shopify's 25,000-object limit; the
//! error points to [`bulk_query`](ShopifyClient::bulk_query).
//!
//! # Errors, throttling and retries
//!
//! One [`Error`] enum says where a call failed; it implements
//! `sync_core::error::Classify`, so the shared retry driver and the sync engine can tell a
//! retry from a dead letter:
//!
//! - **Throttling is avoided first**: a [`CostBucket`] per shop models Shopify's leaky
//!   bucket from every response's `extensions.cost` and makes each call wait until the
//!   bucket can afford the query's cost (the last `requestedQueryCost` seen for that
//!   operation), so long runs see almost no `THROTTLED`. Clones of a client share the bucket;
//!   [`cost_bucket`](ShopifyClientBuilder::cost_bucket) shares it between clients.
//! - Throttling that still happens (`THROTTLED` on HTTP 200, or 429 with `Retry-After`)
//!   becomes [`Error::Throttled`] with the computed wait, retried through the policy.
//! - `errors` on HTTP 200 is [`Error::GraphQl`]; a mutation's `userErrors` come back as
//!   [`Error::UserErrors`] with typed [`UserError`]s (code, field path, message) and are
//!   **never retried**.
//! - 5xx, transport failures and unreadable bodies are retried for queries and for
//!   mutations that are safe to repeat (upserts, set-to-value writes, writes with an
//!   idempotency key). A mutation that creates something (discount, fulfilment, media, bulk
//!   operation) is not retried after an uncertain failure: the error reports
//!   `is_uncertain()` so the caller looks the effect up first.
//!
//! # Webhooks
//!
//! [`webhook::WebhookDelivery::verify`] checks `X-Shopify-Hmac-Sha256` over the raw body
//! (constant-time), reads the headers case-insensitively and parses typed payloads.
//!
//! # Versions and the schema subset
//!
//! The API version defaults to 2026-10 and is set with
//! [`api_version`](ShopifyClientBuilder::api_version) (2026-04 or newer). The operations in
//! `graphql/*.graphql` compile against `graphql/schema.graphql`, which
//! `scripts/extract_schema.py` extracts from the full Admin SDL; a test checks it against
//! the full 2026-10 schema vendored in `schema/`. How to move to a new version is written in
//! the workspace's `docs/shopify.md`. [`ShopifyClient::version_status`] says how many days
//! Shopify keeps serving the configured version ([`version`]), and
//! [`ShopifyClient::fall_forwards`] counts answers from another version.
//!
//! # Feature flags
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `rustls` | yes | TLS through rustls |
//! | `native-tls` | no | TLS through the platform library |
//!
//! # Testing with a custom transport
//!
//! [`base_url`](ShopifyClientBuilder::base_url) points the client at a mock server
//! (plain `http` is accepted for loopback only), and
//! [`transport`](ShopifyClientBuilder::transport) takes any
//! `sync_core::transport::Transport`, including a closure:
//!
//! ```
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use shopify_client::{Auth, ShopifyClient};
//! use sync_core::transport::{HttpRequest, TransportError};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let canned = |_req: HttpRequest| async {
//!     let body = r#"{"data":{"shop":{"id":"gid://shopify/Shop/1","name":"Demo","myshopifyDomain":"demo.myshopify.com",
//!         "currencyCode":"EGP","ianaTimezone":"Africa/Cairo","taxesIncluded":true,"taxShipping":true,
//!         "plan":{"publicDisplayName":"Basic","partnerDevelopment":false,"shopifyPlus":false}}}}"#;
//!     Ok::<_, TransportError>(http::Response::new(Bytes::from(body)))
//! };
//! let client = ShopifyClient::builder("demo", Auth::access_token("shpat_test"))
//!     .transport(Arc::new(canned))
//!     .build()
//!     .unwrap();
//! assert_eq!(client.shop_info().await.unwrap().name, "Demo");
//! # });
//! ```
//!
//! # The sync-engine adapter
//!
//! [`adapter::ShopifyStorefront`] implements the workspace's `StorefrontCatalog` and
//! `StorefrontOrders` traits; its mapping rules are in the module docs.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapter;
pub mod auth;
pub mod client;
pub mod cost;
pub mod error;
pub mod gid;
pub mod ops;
pub mod queries;
mod response;
pub mod scalars;
pub mod scopes;
pub mod version;
pub mod webhook;

pub use auth::{AccessToken, Auth, OAuthApp};
pub use client::{ShopifyClient, ShopifyClientBuilder};
pub use cost::{CostBucket, QueryCost, ThrottleStatus};
pub use error::{Error, GraphQlError, UserError};
pub use version::VersionStatus;
