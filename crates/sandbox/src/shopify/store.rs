//! The state the Shopify stand-in holds: plain records behind one lock.
//!
//! Every record carries a numeric id; the GraphQL layer turns it into a GID
//! (`gid://shopify/Product/7`). Ids come from one counter, so they are unique across types.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

/// The current time, to the second (Shopify's timestamps have one-second resolution, and a
/// client filtering on `updated_at:>` the value it read must not miss sub-second updates).
pub(crate) fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Formats a Shopify global id.
pub(crate) fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// Parses `gid://shopify/{kind}/{n}`; `None` when the text is not a GID of that kind.
pub(crate) fn parse_gid(kind: &str, text: &str) -> Option<u64> {
    let rest = text.strip_prefix("gid://shopify/")?;
    let (k, n) = rest.split_once('/')?;
    if k != kind {
        return None;
    }
    // A GID may carry a query string (`?...`); the id is the part before it.
    let n = n.split('?').next().unwrap_or(n);
    n.parse().ok().filter(|v| *v > 0)
}

/// A location (store, warehouse).
#[derive(Debug, Clone)]
pub(crate) struct LocationRec {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) city: String,
    pub(crate) created_at: DateTime<Utc>,
}

/// One product option (e.g. "Color" with its values).
#[derive(Debug, Clone)]
pub(crate) struct OptionRec {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) position: i32,
    /// Value ids and names, in order.
    pub(crate) values: Vec<(u64, String)>,
}

/// A metafield on a product or variant.
#[derive(Debug, Clone)]
pub(crate) struct MetafieldRec {
    pub(crate) id: u64,
    pub(crate) namespace: String,
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) type_: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// Product status, as the `ProductStatus` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Active,
    Archived,
    Draft,
    Unlisted,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Active => "ACTIVE",
            Status::Archived => "ARCHIVED",
            Status::Draft => "DRAFT",
            Status::Unlisted => "UNLISTED",
        }
    }
}

/// A product.
#[derive(Debug, Clone)]
pub(crate) struct ProductRec {
    pub(crate) id: u64,
    pub(crate) handle: String,
    pub(crate) title: String,
    pub(crate) description_html: String,
    pub(crate) vendor: String,
    pub(crate) product_type: String,
    pub(crate) tags: Vec<String>,
    pub(crate) status: Status,
    pub(crate) options: Vec<OptionRec>,
    pub(crate) variant_ids: Vec<u64>,
    pub(crate) media_ids: Vec<u64>,
    pub(crate) metafields: Vec<MetafieldRec>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// A product variant.
#[derive(Debug, Clone)]
pub(crate) struct VariantRec {
    pub(crate) id: u64,
    pub(crate) product_id: u64,
    pub(crate) sku: Option<String>,
    pub(crate) barcode: Option<String>,
    pub(crate) price: Decimal,
    pub(crate) compare_at_price: Option<Decimal>,
    pub(crate) position: i32,
    /// (option name, value name) pairs, in option order.
    pub(crate) selected: Vec<(String, String)>,
    pub(crate) inventory_item_id: u64,
    pub(crate) taxable: bool,
    pub(crate) inventory_policy_continue: bool,
    pub(crate) media_id: Option<u64>,
    pub(crate) metafields: Vec<MetafieldRec>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl VariantRec {
    /// "Red / M", or "Default Title" for a variant without options.
    pub(crate) fn title(&self) -> String {
        if self.selected.is_empty() {
            "Default Title".to_string()
        } else {
            self.selected
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(" / ")
        }
    }
}

/// The inventory item behind a variant.
#[derive(Debug, Clone)]
pub(crate) struct InventoryItemRec {
    pub(crate) id: u64,
    pub(crate) variant_id: u64,
    pub(crate) tracked: bool,
    pub(crate) cost: Option<Decimal>,
    pub(crate) requires_shipping: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// Stock of one inventory item at one location.
#[derive(Debug, Clone)]
pub(crate) struct LevelRec {
    pub(crate) id: u64,
    pub(crate) item_id: u64,
    pub(crate) location_id: u64,
    pub(crate) available: i64,
    pub(crate) on_hand: i64,
    /// Whether the item is stocked (sellable) here. An inactive level keeps its quantities
    /// and is hidden from reads unless `includeInactive: true` (2026-04 on).
    pub(crate) active: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// One change recorded by an inventory adjustment group.
#[derive(Debug, Clone)]
pub(crate) struct ChangeRec {
    pub(crate) item_id: u64,
    pub(crate) location_id: u64,
    pub(crate) name: String,
    pub(crate) delta: i64,
    pub(crate) quantity_after: i64,
    pub(crate) ledger_document_uri: Option<String>,
}

/// An inventory adjustment group (the result of one inventory mutation).
#[derive(Debug, Clone)]
pub(crate) struct AdjustmentGroupRec {
    pub(crate) id: u64,
    pub(crate) reason: String,
    pub(crate) reference_document_uri: Option<String>,
    pub(crate) changes: Vec<ChangeRec>,
    pub(crate) created_at: DateTime<Utc>,
}

/// A file / media image.
#[derive(Debug, Clone)]
pub(crate) struct MediaRec {
    pub(crate) id: u64,
    pub(crate) product_id: Option<u64>,
    pub(crate) alt: Option<String>,
    pub(crate) original_source: String,
    pub(crate) filename: Option<String>,
    pub(crate) mime_type: Option<String>,
    /// `READY` or `FAILED`.
    pub(crate) ready: bool,
    pub(crate) error: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// A postal address.
#[derive(Debug, Clone, Default)]
pub(crate) struct AddressRec {
    pub(crate) id: u64,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) address1: String,
    pub(crate) city: String,
    pub(crate) province: String,
    pub(crate) country: String,
    pub(crate) country_code: String,
    pub(crate) zip: String,
    pub(crate) phone: Option<String>,
}

/// A customer.
#[derive(Debug, Clone)]
pub(crate) struct CustomerRec {
    pub(crate) id: u64,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) address: Option<AddressRec>,
    pub(crate) tags: Vec<String>,
    pub(crate) note: Option<String>,
    /// The customer's tax id (`Customer.taxSettings.taxId`).
    pub(crate) tax_id: Option<String>,
    /// The customer's metafields.
    pub(crate) metafields: Vec<MetafieldRec>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// The company and location a B2B order was placed for (`Order.purchasingEntity`).
#[derive(Debug, Clone)]
pub(crate) struct CompanyRec {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) location_id: u64,
    pub(crate) location_name: String,
    pub(crate) address_id: u64,
    /// `CompanyLocation.taxSettings.taxRegistrationId`.
    pub(crate) tax_registration_id: Option<String>,
    /// The location's billing country (ISO 3166-1 alpha-2).
    pub(crate) country_code: String,
}

/// A tax line: title, rate (0.14) and amount.
#[derive(Debug, Clone)]
pub(crate) struct TaxRec {
    pub(crate) title: String,
    pub(crate) rate: Decimal,
    pub(crate) amount: Decimal,
}

/// A discount allocated to a line: which application, how much.
#[derive(Debug, Clone)]
pub(crate) struct AllocationRec {
    pub(crate) application_index: usize,
    pub(crate) amount: Decimal,
}

/// An order line.
#[derive(Debug, Clone)]
pub(crate) struct LineRec {
    pub(crate) id: u64,
    pub(crate) title: String,
    pub(crate) variant_title: Option<String>,
    pub(crate) sku: Option<String>,
    pub(crate) variant_id: Option<u64>,
    pub(crate) product_id: Option<u64>,
    pub(crate) quantity: i64,
    /// Unit price, tax included (the shop has `taxesIncluded`).
    pub(crate) unit_price: Decimal,
    pub(crate) allocations: Vec<AllocationRec>,
    pub(crate) tax_lines: Vec<TaxRec>,
    pub(crate) fulfilled_quantity: i64,
    /// Whether the line needs shipping (`false` for digital goods and services).
    pub(crate) requires_shipping: bool,
}

impl LineRec {
    pub(crate) fn discount_total(&self) -> Decimal {
        self.allocations.iter().map(|a| a.amount).sum()
    }
}

/// An order discount application.
#[derive(Debug, Clone)]
pub(crate) struct DiscountAppRec {
    pub(crate) title: String,
    /// `Some(code)` for a code discount, `None` for an automatic one.
    pub(crate) code: Option<String>,
    /// Percentage (e.g. 10.0) or a fixed amount.
    pub(crate) percentage: Option<f64>,
    pub(crate) amount: Option<Decimal>,
    pub(crate) target_shipping: bool,
}

/// A shipping line.
#[derive(Debug, Clone)]
pub(crate) struct ShippingRec {
    pub(crate) id: u64,
    pub(crate) title: String,
    pub(crate) code: String,
    /// Price, tax included.
    pub(crate) price: Decimal,
    pub(crate) tax_lines: Vec<TaxRec>,
}

/// A payment transaction.
#[derive(Debug, Clone)]
pub(crate) struct TransactionRec {
    pub(crate) id: u64,
    /// `SALE`, `REFUND`, `VOID`, ...
    pub(crate) kind: &'static str,
    /// `SUCCESS`, `PENDING`, ...
    pub(crate) status: &'static str,
    pub(crate) gateway: String,
    pub(crate) amount: Decimal,
    pub(crate) created_at: DateTime<Utc>,
}

/// A refunded quantity of one line.
#[derive(Debug, Clone)]
pub(crate) struct RefundLineRec {
    pub(crate) id: u64,
    pub(crate) line_item_id: u64,
    pub(crate) quantity: i64,
    /// `RETURN`, `CANCEL`, `NO_RESTOCK`.
    pub(crate) restock_type: &'static str,
    pub(crate) location_id: Option<u64>,
    pub(crate) unit_price: Decimal,
    pub(crate) subtotal: Decimal,
    pub(crate) total_tax: Decimal,
}

/// A refund of an order.
#[derive(Debug, Clone)]
pub(crate) struct RefundRec {
    pub(crate) id: u64,
    pub(crate) order_id: u64,
    pub(crate) note: Option<String>,
    pub(crate) lines: Vec<RefundLineRec>,
    /// Refunded shipping: (shipping line id, amount with tax, tax).
    pub(crate) shipping: Option<(u64, Decimal, Decimal)>,
    pub(crate) transactions: Vec<TransactionRec>,
    pub(crate) created_at: DateTime<Utc>,
}

impl RefundRec {
    pub(crate) fn total(&self) -> Decimal {
        self.transactions.iter().map(|t| t.amount).sum()
    }
}

/// A fulfillment.
#[derive(Debug, Clone)]
pub(crate) struct FulfillmentRec {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) location_id: Option<u64>,
    /// (line id, quantity)
    pub(crate) lines: Vec<(u64, i64)>,
    pub(crate) tracking_company: Option<String>,
    pub(crate) tracking_numbers: Vec<String>,
    pub(crate) tracking_urls: Vec<String>,
    pub(crate) created_at: DateTime<Utc>,
}

/// An order.
#[derive(Debug, Clone)]
pub(crate) struct OrderRec {
    pub(crate) id: u64,
    pub(crate) number: i64,
    pub(crate) name: String,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) customer_id: Option<u64>,
    pub(crate) currency: String,
    pub(crate) lines: Vec<LineRec>,
    pub(crate) discount_apps: Vec<DiscountAppRec>,
    pub(crate) shipping: Vec<ShippingRec>,
    pub(crate) billing_address: Option<AddressRec>,
    pub(crate) shipping_address: Option<AddressRec>,
    pub(crate) transactions: Vec<TransactionRec>,
    pub(crate) refund_ids: Vec<u64>,
    pub(crate) fulfillments: Vec<FulfillmentRec>,
    /// The fulfillment order id (one per order).
    pub(crate) fulfillment_order_id: u64,
    pub(crate) location_id: Option<u64>,
    pub(crate) cancelled_at: Option<DateTime<Utc>>,
    pub(crate) cancel_reason: Option<&'static str>,
    pub(crate) note: Option<String>,
    pub(crate) tags: Vec<String>,
    /// `customAttributes` (key, value).
    pub(crate) custom_attributes: Vec<(String, Option<String>)>,
    /// The company of a B2B order.
    pub(crate) company: Option<CompanyRec>,
    pub(crate) source_name: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) processed_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// Where a return comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReturnSource {
    /// Created by staff in the Shopify admin (or by an app): opens at once.
    Admin,
    /// Created at a point of sale: opens at once.
    Pos,
    /// Requested by the customer from their account: `REQUESTED` until approved.
    CustomerAccount,
}

impl ReturnSource {
    pub(crate) fn parse(s: &str) -> Option<ReturnSource> {
        match s {
            "admin" => Some(ReturnSource::Admin),
            "pos" => Some(ReturnSource::Pos),
            "customer_account" => Some(ReturnSource::CustomerAccount),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReturnSource::Admin => "admin",
            ReturnSource::Pos => "pos",
            ReturnSource::CustomerAccount => "customer_account",
        }
    }
}

/// A returned quantity of one fulfilled line.
#[derive(Debug, Clone)]
pub(crate) struct ReturnLineRec {
    pub(crate) id: u64,
    pub(crate) line_item_id: u64,
    /// The fulfillment the units were shipped with.
    pub(crate) fulfillment_id: u64,
    pub(crate) quantity: i64,
    pub(crate) processed: i64,
    /// A `ReturnReason` value.
    pub(crate) reason: &'static str,
    pub(crate) note: String,
    pub(crate) customer_note: Option<String>,
}

/// An item given in exchange; it becomes a line of the order when processed.
#[derive(Debug, Clone)]
pub(crate) struct ExchangeLineRec {
    pub(crate) id: u64,
    pub(crate) variant_id: Option<u64>,
    pub(crate) product_id: Option<u64>,
    pub(crate) sku: Option<String>,
    pub(crate) title: String,
    pub(crate) variant_title: Option<String>,
    /// Unit price, VAT included.
    pub(crate) unit_price: Decimal,
    pub(crate) quantity: i64,
    pub(crate) processed: i64,
    /// The order lines created when it was processed.
    pub(crate) line_item_ids: Vec<u64>,
}

/// A return (and exchange) of an order.
#[derive(Debug, Clone)]
pub(crate) struct ReturnRec {
    pub(crate) id: u64,
    pub(crate) order_id: u64,
    /// `#1001-R1`, ...
    pub(crate) name: String,
    /// A `ReturnStatus` value: `REQUESTED`, `OPEN`, `CLOSED`, ...
    pub(crate) status: &'static str,
    pub(crate) source: ReturnSource,
    pub(crate) lines: Vec<ReturnLineRec>,
    pub(crate) exchanges: Vec<ExchangeLineRec>,
    pub(crate) refund_ids: Vec<u64>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) approved_at: Option<DateTime<Utc>>,
    pub(crate) closed_at: Option<DateTime<Utc>>,
}

/// A webhook subscription.
#[derive(Debug, Clone)]
pub(crate) struct WebhookRec {
    pub(crate) id: u64,
    pub(crate) topic: String,
    pub(crate) uri: String,
    pub(crate) format_json: bool,
    pub(crate) include_fields: Vec<String>,
    pub(crate) filter: Option<String>,
    /// The API version the subscription was created with (`X-Shopify-API-Version`).
    pub(crate) api_version: String,
    pub(crate) created_at: DateTime<Utc>,
}

/// An automatic basic discount.
#[derive(Debug, Clone)]
pub(crate) struct DiscountRec {
    pub(crate) id: u64,
    pub(crate) title: String,
    pub(crate) percentage: Option<f64>,
    pub(crate) amount: Option<Decimal>,
    pub(crate) product_ids: Vec<u64>,
    pub(crate) variant_ids: Vec<u64>,
    pub(crate) all_items: bool,
    pub(crate) starts_at: DateTime<Utc>,
    pub(crate) ends_at: Option<DateTime<Utc>>,
    pub(crate) created_at: DateTime<Utc>,
}

/// A price list with fixed prices per variant.
#[derive(Debug, Clone)]
pub(crate) struct PriceListRec {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) currency: String,
    /// variant id -> (price, compare-at price)
    pub(crate) prices: BTreeMap<u64, (Decimal, Option<Decimal>)>,
}

/// A bulk operation.
#[derive(Debug, Clone)]
pub(crate) struct BulkRec {
    pub(crate) id: u64,
    pub(crate) mutation: bool,
    pub(crate) query: String,
    /// `CREATED`, `RUNNING`, `COMPLETED`, `FAILED`.
    pub(crate) status: &'static str,
    pub(crate) error_code: Option<&'static str>,
    pub(crate) object_count: u64,
    pub(crate) root_object_count: u64,
    pub(crate) result: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
}

/// An asynchronous productSet run.
#[derive(Debug, Clone)]
pub(crate) struct ProductOpRec {
    pub(crate) id: u64,
    pub(crate) product_id: Option<u64>,
    /// `CREATED`, `ACTIVE`, `COMPLETE`.
    pub(crate) status: &'static str,
    /// (field path, message, code)
    pub(crate) user_errors: Vec<(Vec<String>, String, String)>,
}

/// A staged upload target and what was uploaded to it.
#[derive(Debug, Clone)]
pub(crate) struct StagedRec {
    pub(crate) mime_type: String,
    pub(crate) bytes: Option<bytes::Bytes>,
    /// The signature issued with the target; an upload must carry it.
    pub(crate) signature: String,
    /// Whether the target takes a multipart POST (else a PUT of the raw bytes).
    pub(crate) post: bool,
    /// The parameters issued with the target (a POST must send each of them).
    pub(crate) params: Vec<(String, String)>,
}

/// A remembered answer for an `@idempotent` key.
#[derive(Debug, Clone)]
pub(crate) struct IdempotentRec {
    /// The mutation field and its arguments, to detect a key reused for other input.
    pub(crate) fingerprint: String,
    /// The payload as first answered.
    pub(crate) result: Value,
}

/// Everything the stand-in holds.
#[derive(Debug, Default)]
pub(crate) struct Store {
    next_id: u64,
    pub(crate) next_order_number: i64,
    pub(crate) locations: BTreeMap<u64, LocationRec>,
    pub(crate) products: BTreeMap<u64, ProductRec>,
    pub(crate) variants: BTreeMap<u64, VariantRec>,
    pub(crate) items: BTreeMap<u64, InventoryItemRec>,
    /// (item id, location id) -> level
    pub(crate) levels: BTreeMap<(u64, u64), LevelRec>,
    pub(crate) adjustment_groups: BTreeMap<u64, AdjustmentGroupRec>,
    pub(crate) media: BTreeMap<u64, MediaRec>,
    pub(crate) customers: BTreeMap<u64, CustomerRec>,
    pub(crate) orders: BTreeMap<u64, OrderRec>,
    pub(crate) refunds: BTreeMap<u64, RefundRec>,
    pub(crate) returns: BTreeMap<u64, ReturnRec>,
    pub(crate) webhooks: BTreeMap<u64, WebhookRec>,
    pub(crate) discounts: BTreeMap<u64, DiscountRec>,
    pub(crate) price_lists: BTreeMap<u64, PriceListRec>,
    pub(crate) bulk_ops: BTreeMap<u64, BulkRec>,
    pub(crate) product_ops: BTreeMap<u64, ProductOpRec>,
    pub(crate) staged: HashMap<String, StagedRec>,
    pub(crate) idempotent: HashMap<String, IdempotentRec>,
}

impl Store {
    /// A fresh id, unique across all record types.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The variant whose SKU is `sku` (the first one, if several share it).
    pub(crate) fn variant_by_sku(&self, sku: &str) -> Option<&VariantRec> {
        self.variants
            .values()
            .find(|v| v.sku.as_deref() == Some(sku))
    }

    /// The product with this handle.
    pub(crate) fn product_by_handle(&self, handle: &str) -> Option<&ProductRec> {
        self.products.values().find(|p| p.handle == handle)
    }

    /// Removes a variant, its inventory item and its levels.
    pub(crate) fn remove_variant(&mut self, variant_id: u64) {
        if let Some(v) = self.variants.remove(&variant_id) {
            self.items.remove(&v.inventory_item_id);
            self.levels
                .retain(|(item, _), _| *item != v.inventory_item_id);
        }
    }

    /// The level of an item at a location, created (at zero) when missing.
    pub(crate) fn level_mut(
        &mut self,
        item_id: u64,
        location_id: u64,
        now: DateTime<Utc>,
    ) -> &mut LevelRec {
        let key = (item_id, location_id);
        let fresh = if self.levels.contains_key(&key) {
            0
        } else {
            self.next_id()
        };
        self.levels.entry(key).or_insert_with(|| LevelRec {
            id: fresh,
            item_id,
            location_id,
            available: 0,
            on_hand: 0,
            active: true,
            created_at: now,
            updated_at: now,
        })
    }

    /// The active level of an item at a location (where the item is stocked).
    pub(crate) fn active_level(&self, item_id: u64, location_id: u64) -> Option<&LevelRec> {
        self.levels
            .get(&(item_id, location_id))
            .filter(|l| l.active)
    }

    /// Sum of `available` over the locations where a variant is stocked (inactive levels
    /// are not sellable).
    pub(crate) fn variant_available(&self, variant: &VariantRec) -> i64 {
        self.levels
            .values()
            .filter(|l| l.item_id == variant.inventory_item_id && l.active)
            .map(|l| l.available)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gids_round_trip_and_reject_other_kinds() {
        assert_eq!(gid("Product", 7), "gid://shopify/Product/7");
        assert_eq!(parse_gid("Product", "gid://shopify/Product/7"), Some(7));
        assert_eq!(parse_gid("Product", "gid://shopify/Product/7?x=1"), Some(7));
        assert_eq!(parse_gid("Product", "gid://shopify/ProductVariant/7"), None);
        assert_eq!(parse_gid("Product", "gid://shopify/Product/abc"), None);
        assert_eq!(parse_gid("Product", "7"), None);
    }
}
