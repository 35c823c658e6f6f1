//! The typed GraphQL operations, generated at compile time by `graphql_client` from
//! `graphql/*.graphql` against the schema subset `graphql/schema.graphql`.
//!
//! Each unit struct (for example [`ProductSet`]) implements [`graphql_client::GraphQLQuery`];
//! the module of the same name in snake case (for example [`product_set`]) holds its
//! `Variables`, input types, enums and `ResponseData`. Most callers use the typed methods of
//! [`ShopifyClient`](crate::ShopifyClient) instead; [`ShopifyClient::execute`](crate::ShopifyClient::execute)
//! runs any of these directly.
//!
//! Custom scalars map to: `Decimal` and `Money` → [`rust_decimal::Decimal`] (sent as a string
//! literal such as `"10.50"`), `DateTime` → `chrono::DateTime<Utc>`, `URL` → `String`,
//! `UnsignedInt64` → [`U64`].

#![allow(
    missing_docs,
    clippy::all,
    unreachable_pub,
    missing_debug_implementations
)]

use graphql_client::GraphQLQuery;

pub use crate::scalars::U64;

/// Shopify `Decimal`.
pub type Decimal = rust_decimal::Decimal;
/// Shopify `Money`: a decimal amount without currency, sent as a string literal.
pub type Money = rust_decimal::Decimal;
/// Shopify `DateTime` (ISO 8601, UTC).
pub type DateTime = chrono::DateTime<chrono::Utc>;
/// Shopify `URL`.
pub type URL = String;
/// Shopify `UnsignedInt64` (a string of digits on the wire).
pub type UnsignedInt64 = U64;

/// Shopify `ProductStatus`, shared by every product operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum ProductStatus {
    /// For sale on its channels.
    ACTIVE,
    /// Kept for records, not for sale.
    ARCHIVED,
    /// Hidden from every channel.
    DRAFT,
    /// For sale by direct link only, hidden from search and collections.
    UNLISTED,
    /// A status this crate does not know (a newer API version).
    #[serde(other)]
    UNKNOWN,
}

/// Shopify `WeightUnit` (shared by the product inputs, so it has a default: kilograms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum WeightUnit {
    /// Kilograms.
    #[default]
    KILOGRAMS,
    /// Grams.
    GRAMS,
    /// Pounds.
    POUNDS,
    /// Ounces.
    OUNCES,
}

/// Shop identity (`shop`).
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/shop_info.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct ShopInfo;

/// The app's granted access scopes (`currentAppInstallation { accessScopes }`).
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/access_scopes.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct AccessScopes;

/// One page of locations.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/locations.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct Locations;

/// `productSet` upsert.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/product_set.graphql",
    extern_enums("WeightUnit", "ProductStatus"),
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq, Default",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct ProductSet;

/// Poll an asynchronous `productSet`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/product_operation.graphql",
    extern_enums("ProductStatus"),
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct ProductOperation;

/// Variants found by a search query (SKUs).
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/variants_by_sku.graphql",
    extern_enums("ProductStatus"),
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct VariantsBySku;

/// `productUpdate` of the status.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/product_update_status.graphql",
    extern_enums("ProductStatus"),
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq, Default",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct ProductUpdateStatus;

/// A product's media and its variants' media.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/product_media.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct ProductMedia;

/// `stagedUploadsCreate`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/staged_uploads_create.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct StagedUploadsCreate;

/// `productUpdate` with media.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/product_attach_media.graphql",
    extern_enums("ProductStatus"),
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct ProductAttachMedia;

/// `fileDelete`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/file_delete.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct FileDelete;

/// `discountAutomaticBasicCreate`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/discount_automatic_basic_create.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq, Default",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct DiscountAutomaticBasicCreate;

/// `priceListFixedPricesAdd`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/price_list_fixed_prices_add.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct PriceListFixedPricesAdd;

/// `inventorySetQuantities` with `@idempotent`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/inventory_set_quantities.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq, Default",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct InventorySetQuantities;

/// Inventory levels of items.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/inventory_levels.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct InventoryLevels;

/// `inventoryActivate`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/inventory_activate.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct InventoryActivate;

/// One page of orders.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/orders.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct Orders;

/// A product's media ids and alt texts.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/product_image_alts.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct ProductImageAlts;

/// One page of customer ids and change times.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/customer_changes.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct CustomerChanges;

/// One page of order ids and change times.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/order_changes.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct OrderChanges;

/// How many orders match a search query (`ordersCount`).
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/orders_count.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct OrdersCount;

/// How many customers match a search query.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/customers_count.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct CustomersCount;

/// One order by id.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/order.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct Order;

/// More line items of one order.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/order_lines.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct OrderLines;

/// The returns of one order, with the order lines each processed exchange added.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/order_returns.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct OrderReturns;

/// One refund with its lines.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/refund.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct Refund;

/// The refunded shipping of refunds, by id.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/refund_shipping.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct RefundShipping;

/// One page of customers.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/customers.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct Customers;

/// One customer by id.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/customer.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct Customer;

/// An order's fulfillment orders.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/order_fulfillment_orders.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct OrderFulfillmentOrders;

/// `fulfillmentCreate`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/fulfillment_create.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq, Default",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct FulfillmentCreate;

/// `webhookSubscriptionCreate`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/webhook_subscription_create.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct WebhookSubscriptionCreate;

/// One page of webhook subscriptions.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/webhook_subscriptions.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct WebhookSubscriptions;

/// `webhookSubscriptionDelete`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/webhook_subscription_delete.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct WebhookSubscriptionDelete;

/// `bulkOperationRunQuery`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/bulk_operation_run_query.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct BulkOperationRunQuery;

/// `bulkOperationRunMutation`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/bulk_operation_run_mutation.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct BulkOperationRunMutation;

/// Poll a bulk operation.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/bulk_operation.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct BulkOperation;

/// `productVariantsBulkUpdate`, generated in its own module so that its `Money` is a
/// [`MoneyPatch`](crate::scalars::MoneyPatch): a compare-at price can be cleared (`null`).
pub mod patch {
    pub use super::{DateTime, Decimal, URL, UnsignedInt64, WeightUnit};
    use graphql_client::GraphQLQuery;

    /// Shopify `Money` in this module: set an amount or clear the field.
    pub type Money = crate::scalars::MoneyPatch;

    /// `productVariantsBulkUpdate`.
    #[derive(GraphQLQuery)]
    #[graphql(
        schema_path = "graphql/schema.graphql",
        query_path = "graphql/variants_bulk_update.graphql",
        extern_enums("WeightUnit"),
        response_derives = "Debug, Clone, PartialEq, Serialize",
        variables_derives = "Debug, Clone, PartialEq, Default",
        skip_serializing_none,
        deprecated = "warn"
    )]
    pub struct VariantsBulkUpdate;
}
pub use patch::{VariantsBulkUpdate, variants_bulk_update};

/// `discountAutomaticBasicUpdate`.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/discount_automatic_basic_update.graphql",
    response_derives = "Debug, Clone, PartialEq, Serialize",
    variables_derives = "Debug, Clone, PartialEq, Default",
    skip_serializing_none,
    deprecated = "warn"
)]
pub struct DiscountAutomaticBasicUpdate;
