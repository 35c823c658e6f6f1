//! A stateful stand-in of the Shopify Admin GraphQL API, written from `specs/shopify.md` and
//! the vendored 2026-01 and 2026-10 Admin schemas. Each API version in
//! [`ShopifyConfig::api_versions`] is served with its own schema and rules (`versions`; see
//! the workspace's `docs/sandbox.md`, "Shopify API versions").
//!
//! It is a real GraphQL endpoint (`POST /admin/api/{version}/graphql.json`) that executes any
//! query or mutation against a hand-written subset of the Admin schema: the type, field,
//! argument and enum names are those of the real schema, so a correct client query works
//! unchanged and a wrong one fails validation as it would against Shopify.
//!
//! What it models:
//! - products, variants, options, inventory items and levels per location, media and files,
//!   staged uploads, automatic discounts, price lists;
//! - orders (lines, discounts, shipping, 14 % VAT included, transactions, refunds,
//!   cancellations, fulfillments), customers;
//! - webhook subscriptions and signed deliveries; bulk queries and bulk mutations;
//! - the calculated query cost and a leaky bucket per shop, answering `THROTTLED` on HTTP 200
//!   as Shopify does; `@idempotent(key:)` and `changeFromQuantity` on `inventorySetQuantities`;
//! - the access token check and the client-credentials token endpoint;
//! - seeded faults (see [`crate::faults`]) per request.
//!
//! # Layout
//!
//! Imports point one way, from the top down:
//! - `store` (the records), `types` (scalars, enums, small value objects), `search` (query
//!   filters and paging) and `cost` (query cost and the bucket) import none of the others;
//! - `orders` (order totals and statuses, recording a refund) uses the store and types;
//!   `webhooks` (payloads and signed deliveries) uses those and `orders`; `generator` (the
//!   seeded orders, refunds and cancellations after the fact) and `dump` use those below them;
//! - `resolvers`, one module per resource, use all of the above and never import a module that
//!   imports them back;
//! - this module merges each resource's query and mutation fields into the two roots and
//!   builds the schema; `http` serves it.
//!
//! # Choices where the spec is silent (the stand-in is strict)
//!
//! - Cost: scalar/enum 0, object 1 (a list of objects counts once), connection
//!   `2 + first × (1 + node selection)`, `pageInfo` free, each mutation root field 10; the
//!   actual cost counts the nodes returned and the difference is given back. One query may
//!   request at most [`ShopifyConfig::max_query_cost`] (1000): above, `MAX_COST_EXCEEDED`.
//! - Bucket defaults: `maximumAvailable` 2000, `restoreRate` 100/s (Standard plan restore
//!   rate; the bucket size is not in the spec). Throttled answers are HTTP 200 with
//!   `errors[0].extensions.code = "THROTTLED"`, no `data`, and `actualQueryCost: null`.
//! - A connection without `first`/`last` is an error; `first`/`last` above 250 is an error.
//! - A `query:` filter on a field the connection does not support is an error naming the
//!   supported fields (Shopify ignores it silently).
//! - `productSet`: creating needs a `title`; a taken handle without an identifier is
//!   `HANDLE_NOT_UNIQUE`; `variants` need `productOptions` and the reverse; a variant input
//!   without `id` is matched to an existing variant by its option values (keeping its id,
//!   inventory item and stock), otherwise created; variants, options, metafields and files
//!   missing from a given list are deleted; `inventoryQuantities` apply to created variants
//!   only; option values are named with `optionName` + `name` (option ids are refused).
//! - `inventorySetQuantities`: `name` is `available` or `on_hand` (setting one moves the
//!   other by the same delta); `reason` must be one of Shopify's documented reasons;
//!   `referenceDocumentUri` must be a URI; before 2026-10 the item must be stocked at the
//!   location (`inventoryActivate` first; from 2026-10 the write lands on an inactive level);
//!   all quantities apply or none. In 2026-01 leaving out `changeFromQuantity` (with no
//!   `compareQuantity` and no `ignoreCompareQuantity: true`) is `COMPARE_QUANTITY_REQUIRED`;
//!   `null` skips the check. From 2026-04 the deprecated fields are not in the schema and
//!   `@idempotent` is required on `inventorySetQuantities`, `inventoryAdjustQuantities` and
//!   `inventoryActivate`.
//! - `@idempotent(key:)`: on `inventorySetQuantities` a reused key with the same arguments
//!   answers the first payload again; with other arguments `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`
//!   (a user error). On any other root mutation field the same holds, with the mismatch as a
//!   GraphQL error; a retry must send the same selection set.
//! - Only `IMAGE` media/files; a media source is either a staged upload of this shop (it must
//!   have been uploaded, else the media is `FAILED`) or any http(s) URL (`READY`, not fetched).
//!   Staged POST uploads must send back every parameter they were given; PUT uploads the
//!   signature query parameter.
//! - `fileUpdate` references products only, one product per file; a variant has at most one
//!   media (`productVariantAppendMedia` onto a variant with other media is
//!   `PRODUCT_VARIANT_ALREADY_HAS_MEDIA`); `productVariantsBulkUpdate` refuses
//!   `inventoryQuantities` and `optionValues` (use `inventorySetQuantities` / `productSet`).
//! - Orders do not move stock (the generator and refunds leave inventory alone).
//! - Webhooks: http(s) URIs only, JSON only, no `filter`; payloads are REST-shaped; a failed
//!   delivery is retried `max_attempts` times with 50 ms doubling backoff.
//! - Faults: `ExpireSession` answers 401 and revokes an issued (client-credentials) token; a
//!   static token does not expire, so the fault leaves its requests alone. `DropAfter` closes
//!   the connection after the work is done. `ErrorBefore` is 503, `ErrorAfter` 500.
//! - Money amounts are answered with at least two decimals (`"10.00"`).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use sandbox::faults::Faults;
//! use sandbox::shopify::{router, CatalogEntry, ShopifyConfig, ShopifyState};
//!
//! let state = ShopifyState::new(ShopifyConfig::default());
//! state.generate_orders(
//!     20,
//!     &[CatalogEntry { sku: "TSHIRT-RED-M".into(), title: "T-shirt".into(), price: "250.00".parse().unwrap() }],
//!     0.2,
//!     0.05,
//!     7,
//! );
//! let app = router(state.clone(), Arc::new(Faults::none()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

mod buyers;
mod cost;
mod dump;
mod generator;
mod http;
mod orders;
mod resolvers;
mod returns;
mod search;
mod store;
mod types;
mod versions;
mod webhooks;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::{EmptySubscription, MergedObject, Schema};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub use buyers::NewCompany;
pub use generator::CatalogEntry;
pub use http::router;
pub use returns::{ExchangeLineSpec, NewReturn, ReturnLineSpec};

use crate::shopify::cost::{Bucket, TypeInfo};
use crate::shopify::store::{LocationRec, PriceListRec, Store, gid};
use crate::shopify::types::CurrencyCode;

/// How webhook deliveries misbehave, on purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookOptions {
    /// Probability that a delivery is sent a second time (same `X-Shopify-Event-Id`, new
    /// `X-Shopify-Webhook-Id`). Default 0.
    pub duplicate_rate: f64,
    /// Each delivery waits a random delay up to this many milliseconds, so deliveries can
    /// arrive out of order. Default 0 (sent at once, in order).
    pub max_delay_ms: u64,
    /// When `true`, deliveries are reordered on purpose: each waits a random delay up to
    /// `max_delay_ms` (or up to 50 ms if that is 0). Default `false`.
    pub reorder: bool,
    /// Delivery attempts before giving up (Shopify: 8 over 4 hours; here with short
    /// backoff, 50 ms doubling). Default 5.
    pub max_attempts: u32,
    /// Per-attempt timeout in milliseconds (Shopify: 5 s). Default 5000.
    pub timeout_ms: u64,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        WebhookOptions {
            duplicate_rate: 0.0,
            max_delay_ms: 0,
            reorder: false,
            max_attempts: 5,
            timeout_ms: 5000,
        }
    }
}

/// Settings of the Shopify stand-in.
#[derive(Clone)]
pub struct ShopifyConfig {
    /// The shop's domain, e.g. `sandbox-shop.myshopify.com` (`Shop.myshopifyDomain`,
    /// `X-Shopify-Shop-Domain`).
    pub shop_domain: String,
    /// The shop's name (`Shop.name`).
    pub shop_name: String,
    /// Shop currency, an ISO 4217 code among those the stand-in knows (EGP, USD, EUR, GBP,
    /// SAR, AED, ...). Default `EGP`.
    pub currency: String,
    /// A static Admin API access token (like a custom app's `shpat_...`), always accepted.
    pub access_token: String,
    /// The app's client id (client-credentials grant).
    pub client_id: String,
    /// The app's client secret: the client-credentials secret and the webhook HMAC key.
    pub client_secret: String,
    /// The access scopes granted to the app: answered by `currentAppInstallation` and in the
    /// token grant's `scope`. The stand-in reports them; it does not refuse calls outside
    /// them (`docs/sandbox.md`). Default: what a Flow connector is installed with, from
    /// `read_products` to `write_merchant_managed_fulfillment_orders`.
    pub access_scopes: Vec<String>,
    /// Leaky bucket size in cost points (`maximumAvailable`). Default 2000.
    pub bucket_max: f64,
    /// Points restored per second (`restoreRate`). Default 100 (Standard plan).
    pub restore_rate: f64,
    /// Highest cost one query may request (`MAX_COST_EXCEEDED` above). Default 1000.
    pub max_query_cost: u64,
    /// API versions served (`YYYY-MM`). A request for one of the four releases before the
    /// oldest of these (retired within the last year) falls forward to the oldest, as Shopify
    /// does, and `X-Shopify-API-Version` names the version that answered; any other version
    /// is a 404. Default 2026-01, 2026-04, 2026-07 and 2026-10 (so 2025-01 to 2025-10 fall
    /// forward to 2026-01). Leave 2026-01 out to see a 2026-01 client fall forward.
    pub api_versions: Vec<String>,
    /// Location names created at start (at least one is needed for stock). Default three.
    pub locations: Vec<String>,
    /// Seed of the stand-in's own randomness (webhook delays and duplicates).
    pub seed: u64,
    /// Webhook delivery behaviour.
    pub webhooks: WebhookOptions,
    /// VAT rate applied by the order generator, as a fraction (tax-inclusive prices).
    /// Default 0.14.
    pub vat_rate: Decimal,
    /// Share of generated order lines that are digital goods or services
    /// (`LineItem.requiresShipping: false`), in `[0, 1]`. Default 0 (every line ships, and
    /// the generated orders are those of earlier releases for the same seed).
    pub digital_line_rate: f64,
    /// Most lines of a generated order (each order draws 1 to this many, at most the
    /// catalogue's size). Default 4 (the generated orders of earlier releases for the same
    /// seed); raise it to see orders with more lines than a client reads in its first page.
    pub max_lines_per_order: usize,
    /// The currency orders are presented in (Shopify Markets: what the customer sees and
    /// pays), when not the shop's: every money bag of an order then carries
    /// `presentmentMoney` in it, the shop amount divided by
    /// [`presentment_rate`](Self::presentment_rate) to the cent. Default: none (presented in
    /// the shop's currency).
    pub presentment_currency: Option<String>,
    /// Shop currency units per unit of [`presentment_currency`](Self::presentment_currency)
    /// (greater than 0). Default 1.
    pub presentment_rate: Decimal,
    /// Share of generated orders, in `[0, 1]`, that also get a return processed at a point of
    /// sale giving one unit of their first line back for another variant of the shop (an
    /// exchange). Only orders that are fulfilled, not cancelled nor refunded, and whose first
    /// line is a variant of the shop can be exchanged (Shopify exchanges variants only), so
    /// generate orders after the catalogue is in the shop. Drawn from a randomness of its own:
    /// the orders themselves are those of the same seed without it. Default 0.
    pub exchange_rate: f64,
}

impl fmt::Debug for ShopifyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopifyConfig")
            .field("shop_domain", &self.shop_domain)
            .field("shop_name", &self.shop_name)
            .field("currency", &self.currency)
            .field("access_token", &"[redacted]")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("access_scopes", &self.access_scopes)
            .field("bucket_max", &self.bucket_max)
            .field("restore_rate", &self.restore_rate)
            .field("max_query_cost", &self.max_query_cost)
            .field("api_versions", &self.api_versions)
            .field("locations", &self.locations)
            .field("seed", &self.seed)
            .field("webhooks", &self.webhooks)
            .field("vat_rate", &self.vat_rate)
            .field("digital_line_rate", &self.digital_line_rate)
            .field("max_lines_per_order", &self.max_lines_per_order)
            .field("presentment_currency", &self.presentment_currency)
            .field("presentment_rate", &self.presentment_rate)
            .field("exchange_rate", &self.exchange_rate)
            .finish()
    }
}

impl Default for ShopifyConfig {
    fn default() -> Self {
        ShopifyConfig {
            shop_domain: "sandbox-shop.myshopify.com".to_string(),
            shop_name: "Sandbox Shop".to_string(),
            currency: "EGP".to_string(),
            access_token: "shpat_sandbox_static_token".to_string(),
            client_id: "sandbox-client-id".to_string(),
            client_secret: "sandbox-client-secret".to_string(),
            access_scopes: [
                "read_products",
                "write_products",
                "read_inventory",
                "write_inventory",
                "read_locations",
                "read_orders",
                "read_all_orders",
                "read_returns",
                "read_customers",
                "write_discounts",
                "write_files",
                "write_merchant_managed_fulfillment_orders",
                "write_publications",
            ]
            .map(String::from)
            .to_vec(),
            bucket_max: 2000.0,
            restore_rate: 100.0,
            max_query_cost: 1000,
            api_versions: vec![
                "2026-01".into(),
                "2026-04".into(),
                "2026-07".into(),
                "2026-10".into(),
            ],
            locations: vec![
                "Cairo Store".to_string(),
                "Alexandria Store".to_string(),
                "Online Warehouse".to_string(),
            ],
            seed: 1,
            webhooks: WebhookOptions::default(),
            vat_rate: Decimal::new(14, 2),
            digital_line_rate: 0.0,
            max_lines_per_order: 4,
            presentment_currency: None,
            presentment_rate: Decimal::ONE,
            exchange_rate: 0.0,
        }
    }
}

/// The SDL of the schema served for 2026-01 (a subset of the Admin API 2026-01 schema).
pub fn schema_sdl() -> String {
    schema_sdl_for("2026-01")
}

/// The SDL of the schema served for an API `version` (each version shows the members it has:
/// 2026-10 a subset of the Admin API 2026-10 schema).
pub fn schema_sdl_for(version: &str) -> String {
    versions::ServedSchema::introspect(&build_schema(), version).sdl()
}

// The query root: each resource's query fields. The order of the parts is the order of the
// fields in the served schema (keep it). No doc comment: it would become the type's
// description in the SDL.
#[derive(MergedObject, Default)]
#[graphql(name = "QueryRoot")]
pub(crate) struct QueryRoot(
    resolvers::shop::ShopQueries,
    resolvers::products::ProductQueries,
    resolvers::inventory::InventoryQueries,
    resolvers::orders::OrderQueries,
    resolvers::customers::CustomerQueries,
    resolvers::webhooks::WebhookQueries,
    resolvers::bulk::BulkQueries,
    resolvers::discounts::DiscountQueries,
    resolvers::returns::ReturnQueries,
);

// The mutation root: each resource's mutations, in the served schema's order (which is why
// the product and inventory mutations come in two parts each).
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub(crate) struct Mutation(
    resolvers::product_mutations::ProductMutations,
    resolvers::files::FileMutations,
    resolvers::discounts::DiscountMutations,
    resolvers::inventory_writes::InventoryMutations,
    resolvers::product_mutations::VariantMutations,
    resolvers::inventory_writes::InventoryActivationMutations,
    resolvers::fulfillments::FulfillmentMutations,
    resolvers::webhooks::WebhookMutations,
    resolvers::bulk::BulkMutations,
    resolvers::returns::ReturnMutations,
);

/// Builds the schema.
pub(crate) fn build_schema() -> ShopSchema {
    Schema::build(QueryRoot::default(), Mutation::default(), EmptySubscription)
        .directive(resolvers::idempotent)
        .limit_depth(64)
        .finish()
}

/// Request and cost counters.
#[derive(Debug, Default, Clone)]
pub(crate) struct Stats {
    pub(crate) requests: u64,
    pub(crate) graphql_requests: u64,
    pub(crate) cost_requested: u64,
    pub(crate) cost_spent: u64,
    pub(crate) throttled: u64,
    /// Throttled answers by operation name (`(anonymous)` without one).
    pub(crate) throttled_by_operation: std::collections::BTreeMap<String, u64>,
    /// Cost points spent (actual cost) by operation name (`(anonymous)` without one).
    pub(crate) cost_by_operation: std::collections::BTreeMap<String, u64>,
    /// The highest requested cost seen, by operation name.
    pub(crate) requested_max_by_operation: std::collections::BTreeMap<String, u64>,
    /// Requests answered with data (costed), by operation name.
    pub(crate) calls_by_operation: std::collections::BTreeMap<String, u64>,
    pub(crate) unauthorized: u64,
    pub(crate) faults_injected: u64,
    pub(crate) webhooks_sent: u64,
    pub(crate) webhooks_failed: u64,
    pub(crate) tokens_issued: u64,
}

/// The type of the served schema.
pub(crate) type ShopSchema = Schema<QueryRoot, Mutation, EmptySubscription>;

/// The stand-in's state: the shop's data, the cost bucket, counters and issued tokens.
pub struct ShopifyState {
    pub(crate) config: ShopifyConfig,
    pub(crate) currency: CurrencyCode,
    /// The presentment currency and shop units per presentment unit, when orders are
    /// presented in another currency.
    pub(crate) presentment: Option<(CurrencyCode, Decimal)>,
    pub(crate) store: Mutex<Store>,
    pub(crate) bucket: Mutex<Bucket>,
    pub(crate) stats: Mutex<Stats>,
    /// Tokens issued by the client-credentials grant, with their expiry.
    pub(crate) tokens: Mutex<HashMap<String, DateTime<Utc>>>,
    pub(crate) schema: ShopSchema,
    /// The schema each supported version serves.
    pub(crate) served: HashMap<String, versions::ServedSchema>,
    pub(crate) type_info: TypeInfo,
    pub(crate) webhook_rng: Mutex<rand::rngs::StdRng>,
    pub(crate) http: reqwest::Client,
}

impl fmt::Debug for ShopifyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopifyState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Locks a mutex, recovering the data if a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ShopifyState {
    /// A stand-in with the configured locations and one price list, and nothing else.
    ///
    /// An unknown `currency` falls back to EGP (with a warning in the log).
    pub fn new(config: ShopifyConfig) -> Arc<Self> {
        use rand::SeedableRng;
        let currency = CurrencyCode::parse(&config.currency).unwrap_or_else(|| {
            tracing::warn!(currency = %config.currency, "unknown shop currency, using EGP");
            CurrencyCode::EGP
        });
        let presentment = config.presentment_currency.as_deref().and_then(|code| {
            let parsed = CurrencyCode::parse(code);
            if parsed.is_none() || config.presentment_rate <= Decimal::ZERO {
                tracing::warn!(currency = %code, rate = %config.presentment_rate, "unknown presentment currency or a rate not above 0: orders are presented in the shop's currency");
            }
            parsed
                .filter(|c| *c != currency && config.presentment_rate > Decimal::ZERO)
                .map(|c| (c, config.presentment_rate))
        });
        let schema = build_schema();
        let type_info = TypeInfo::from_sdl(&schema.sdl());
        let served = config
            .api_versions
            .iter()
            .map(|v| (v.clone(), versions::ServedSchema::introspect(&schema, v)))
            .collect();
        let mut store = Store::default();
        let now = store::now();
        let cities = ["Cairo", "Alexandria", "Giza", "Mansoura", "Tanta"];
        for (i, name) in config.locations.iter().enumerate() {
            let id = store.next_id();
            store.locations.insert(
                id,
                LocationRec {
                    id,
                    name: name.clone(),
                    city: cities[i % cities.len()].to_string(),
                    created_at: now,
                },
            );
        }
        let pl = store.next_id();
        store.price_lists.insert(
            pl,
            PriceListRec {
                id: pl,
                name: format!("{} price list", currency.as_str()),
                currency: currency.as_str().to_string(),
                prices: Default::default(),
            },
        );
        store.next_order_number = 1001;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(
                config.webhooks.timeout_ms.max(1),
            ))
            .build()
            .unwrap_or_default();
        Arc::new(ShopifyState {
            currency,
            presentment,
            store: Mutex::new(store),
            bucket: Mutex::new(Bucket::new(config.bucket_max, config.restore_rate)),
            stats: Mutex::new(Stats::default()),
            tokens: Mutex::new(HashMap::new()),
            schema,
            served,
            type_info,
            webhook_rng: Mutex::new(rand::rngs::StdRng::seed_from_u64(config.seed)),
            http,
            config,
        })
    }

    /// The configuration this stand-in runs with.
    pub fn config(&self) -> &ShopifyConfig {
        &self.config
    }

    /// GIDs of the locations, in creation order.
    pub fn location_ids(&self) -> Vec<String> {
        lock(&self.store)
            .locations
            .keys()
            .map(|id| gid("Location", *id))
            .collect()
    }

    /// GID of the price list created at start.
    pub fn price_list_id(&self) -> Option<String> {
        lock(&self.store)
            .price_lists
            .keys()
            .next()
            .map(|id| gid("PriceList", *id))
    }

    /// Empties the cost bucket, so that the next request is answered `THROTTLED` (it refills
    /// at `restore_rate` from then on).
    pub fn drain_bucket(&self) {
        lock(&self.bucket).drain();
    }

    /// Generates `n` orders selling the `catalog` entries, with refunds and cancellations at
    /// the given rates, reproducibly for a `seed`; returns the new orders' GIDs.
    ///
    /// Lines refer to the stand-in's variant when a product variant has the entry's SKU, and
    /// are custom line items carrying the SKU otherwise. Prices are tax-inclusive at
    /// [`ShopifyConfig::vat_rate`]. Subscribed webhooks (`orders/create`, `orders/paid`,
    /// `customers/create`, `refunds/create`, `orders/cancelled`, `orders/updated`) fire when
    /// a Tokio runtime is running.
    pub fn generate_orders(
        self: &Arc<Self>,
        n: usize,
        catalog: &[CatalogEntry],
        refund_rate: f64,
        cancel_rate: f64,
        seed: u64,
    ) -> Vec<String> {
        generator::generate(self, n, catalog, refund_rate, cancel_rate, seed)
    }

    /// Refunds `lines` (`(LineItem GID, quantity)`) of an order, and its shipping when
    /// `with_shipping`, to the payment methods it was paid with; fires `refunds/create` and
    /// `orders/updated`. Returns the Refund GID.
    ///
    /// # Errors
    /// An unknown or cancelled order, a line not of the order, a quantity above what is left
    /// to refund, shipping already refunded, or nothing to refund.
    pub fn refund_order(
        self: &Arc<Self>,
        order_id: &str,
        lines: &[(String, i64)],
        with_shipping: bool,
    ) -> Result<String, String> {
        generator::refund_order(self, order_id, lines, with_shipping)
    }

    /// Refunds `amount` of an order as money alone (no line, no shipping: a goodwill gesture),
    /// to the payment methods it was paid with; fires `refunds/create` and `orders/updated`.
    /// Answers the refund's id.
    ///
    /// # Errors
    /// An unknown or cancelled order, an amount not above 0 (or with more than 2 decimals),
    /// or more than the order can still refund.
    pub fn refund_amount(
        self: &Arc<Self>,
        order_id: &str,
        amount: Decimal,
    ) -> Result<String, String> {
        generator::refund_amount(self, order_id, amount)
    }

    /// Cancels an unfulfilled order, refunding what is left of it (restock `CANCEL`); fires
    /// `refunds/create`, `orders/cancelled` and `orders/updated`.
    ///
    /// # Errors
    /// An unknown, already cancelled or (partly) fulfilled order.
    pub fn cancel_order(self: &Arc<Self>, order_id: &str) -> Result<(), String> {
        generator::cancel_order(self, order_id)
    }

    /// Creates a return (and exchange) of an order's fulfilled units, as staff in the admin,
    /// a point of sale or the customer's account would; fires `returns/approve` (or
    /// `returns/request` for a customer-account return, which stays `REQUESTED` until
    /// `returnApproveRequest`). With `process`, the return is processed at once (refund,
    /// exchange lines): `returns/process`, `refunds/create`, `returns/close`,
    /// `orders/updated`. Answers `return_id`, `name`, `status`, `return_line_item_ids`,
    /// `exchange_line_item_ids` and `refund_id`.
    ///
    /// # Errors
    /// An unknown or cancelled order, a line not of the order, a quantity above the
    /// fulfilled units not yet returned or refunded, an unknown exchange variant.
    pub fn create_return(self: &Arc<Self>, spec: &NewReturn) -> Result<Value, String> {
        returns::create(self, spec)
    }

    /// Everything the stand-in holds, as JSON (see the crate docs for the fields).
    pub fn dump(&self) -> Value {
        dump::dump(self)
    }

    /// The cost this stand-in requests for `query` (its operation `operation`, or the only
    /// one) with `variables` before running it: the figure its bucket is charged and
    /// `extensions.cost.requestedQueryCost` reports, computed by Shopify's documented rules
    /// (`docs/sandbox.md`). `None` when the text does not parse or names no such operation.
    pub fn requested_cost(
        &self,
        query: &str,
        operation: Option<&str>,
        variables: &Value,
    ) -> Option<u64> {
        let doc = async_graphql::parser::parse_query(query).ok()?;
        let planned = cost::plan(&doc, operation)?;
        Some(planned.requested(&self.type_info, variables))
    }

    /// Counters: requests, cost requested and spent, throttled answers, webhooks.
    pub fn stats(&self) -> Value {
        let s = lock(&self.stats).clone();
        let status = lock(&self.bucket).status();
        json!({
            "requests": s.requests,
            "graphql_requests": s.graphql_requests,
            "cost_requested": s.cost_requested,
            "cost_spent": s.cost_spent,
            "throttled": s.throttled,
            "throttled_by_operation": s.throttled_by_operation,
            "cost_by_operation": s.cost_by_operation,
            "requested_max_by_operation": s.requested_max_by_operation,
            "calls_by_operation": s.calls_by_operation,
            "unauthorized": s.unauthorized,
            "faults_injected": s.faults_injected,
            "webhooks_sent": s.webhooks_sent,
            "webhooks_failed": s.webhooks_failed,
            "tokens_issued": s.tokens_issued,
            "bucket": status.to_json(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let cfg = ShopifyConfig::default();
        let text = format!("{cfg:?}");
        assert!(!text.contains(&cfg.access_token));
        assert!(!text.contains(&cfg.client_secret));
        let state = ShopifyState::new(cfg.clone());
        let text = format!("{state:?}");
        assert!(!text.contains(&cfg.client_secret));
        assert_eq!(state.location_ids().len(), 3);
    }
}
