//! The neutral model: what the engine knows of products, stock, customers, orders, refunds and
//! receipts, independent of Flow, Shopify or ETA.
//!
//! Client crates map their own shapes to and from these types; the engine sees only these.
//! Amounts are [`Decimal`], never `f64`. Quantities of goods sold are decimals (a scale may
//! sell 1.5 kg); stock levels are whole units as storefronts count them.
//!
//! # Typed ids
//!
//! Every id a record carries has its own type, one per kind ([`OrderId`], [`OrderLineId`],
//! [`RefundId`], [`ExchangeId`], [`CustomerId`], [`ProductId`], [`VariantId`], [`InventoryItemId`],
//! [`LocationId`], [`PromotionId`], [`ErpCustomerNo`], [`ErpDocumentNo`], [`ReceiptUuid`]), in
//! the model and in every [connector](crate::connector) method, so a product id cannot be
//! passed where a location id is expected. Each holds the text the owning system gave the
//! record and serialises as that bare text, so bindings in the state store and job payloads
//! read as they always did. The neutral model does not check an id's form: a connector checks
//! it once, at its edge, where the id enters or leaves its system (the Shopify adapter parses
//! each GID into its `gid` types there and nowhere else).
//!
//! ```compile_fail
//! use sync_core::model::{LocationId, ProductId};
//! fn archive(product: &ProductId) -> &str {
//!     product.as_str()
//! }
//! let location = LocationId::new("gid://shopify/Location/1");
//! archive(&location); // a location id is not a product id: this does not compile
//! ```
//!
//! ```
//! use sync_core::model::{LocationId, ProductId};
//! fn archive(product: &ProductId) -> &str {
//!     product.as_str()
//! }
//! let product = ProductId::new("gid://shopify/Product/1");
//! assert_eq!(archive(&product), "gid://shopify/Product/1");
//! # let _ = LocationId::new("gid://shopify/Location/1");
//! ```

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

mod credit;
pub use credit::{Credit, CreditPart};

crate::define_id!(
    /// A stock-keeping unit code, the key that links an ERP item to a storefront variant.
    Sku
);
crate::define_id!(
    /// The storefront's id of an order.
    OrderId
);
crate::define_id!(
    /// The storefront's id of one line of an order (refunds and fulfilments point at it).
    OrderLineId
);
crate::define_id!(
    /// The storefront's id of a refund.
    RefundId
);
crate::define_id!(
    /// The storefront's id of an exchange: the return that gave the shopper other items
    /// (Shopify's `Return` id).
    ExchangeId
);
crate::define_id!(
    /// The storefront's id of a customer.
    CustomerId
);
crate::define_id!(
    /// The storefront's id of a product.
    ProductId
);
crate::define_id!(
    /// The storefront's id of a product variant.
    VariantId
);
crate::define_id!(
    /// The storefront's id of the inventory item behind a variant (stock is set on it).
    InventoryItemId
);
crate::define_id!(
    /// The storefront's id of an inventory location.
    LocationId
);
crate::define_id!(
    /// The storefront's id of an automatic discount made from an ERP promotion.
    PromotionId
);
crate::define_id!(
    /// The ERP's number of a customer.
    ErpCustomerNo
);
crate::define_id!(
    /// The ERP's number of a document, unique within its operation (see [`ErpDocumentRef`]).
    ErpDocumentNo
);
crate::define_id!(
    /// The uuid of a tax receipt (the tax authority's key; `""` stands for "none" only as the
    /// previous uuid of a device's first receipt).
    ReceiptUuid
);
crate::define_id!(
    /// The scope every binding, checkpoint and job belongs to: one storefront shop linked to
    /// one ERP company (multi-store deployments run one scope per shop).
    StoreScope
);

/// Whether a product is offered for sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// On sale.
    Active,
    /// Held: hidden from the storefront but kept.
    Held,
    /// Retired.
    Archived,
}

/// An ERP item group, which becomes one storefront product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductGroup {
    /// The ERP's code for the group; the stable key of the product.
    pub code: String,
    /// The product title.
    pub title: String,
    /// Description (plain text or HTML).
    pub description: String,
    /// Vendor or brand, when known.
    pub vendor: Option<String>,
    /// Product type or category, when known.
    pub product_type: Option<String>,
    /// Sale status.
    pub status: ProductStatus,
    /// Option names in order (for example `["Color", "Size"]`); empty for a single variant.
    pub options: Vec<String>,
    /// The variants; at least one.
    pub variants: Vec<Variant>,
    /// Images, each optionally tied to the variants that show one option value.
    pub images: Vec<Image>,
}

/// One sellable variant of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The SKU.
    pub sku: Sku,
    /// The ERP item code behind the variant.
    pub item_code: String,
    /// One value per product option, in option order.
    pub option_values: Vec<String>,
    /// Barcode (GTIN), when known.
    pub barcode: Option<String>,
    /// Weight in kilograms, when known.
    pub weight_kg: Option<Decimal>,
    /// Selling price, tax included as the storefront shows it.
    pub price: Decimal,
    /// "Was" price for promotions.
    pub compare_at_price: Option<Decimal>,
    /// Whether VAT applies.
    pub taxable: bool,
}

/// A product image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Where the image comes from: a URL, or a file path the storefront adapter uploads.
    pub source: String,
    /// Alt text.
    pub alt: Option<String>,
    /// The option value this image shows (for example a colour), if it is variant-specific.
    pub option_value: Option<String>,
}

/// The stock of one SKU at one ERP store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    /// The SKU.
    pub sku: Sku,
    /// The ERP store (warehouse) code.
    pub store: String,
    /// Units available.
    pub quantity: i64,
}

/// A price change for one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceChange {
    /// The SKU.
    pub sku: Sku,
    /// New price.
    pub price: Decimal,
    /// New compare-at price (`None` clears it).
    pub compare_at_price: Option<Decimal>,
}

/// A time-boxed automatic promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    /// The ERP's key for the promotion.
    pub code: String,
    /// Title shown to buyers.
    pub title: String,
    /// Percentage off (0–100).
    pub percent_off: Decimal,
    /// The SKUs it applies to; empty means the whole catalogue.
    pub skus: Vec<Sku>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End, if any.
    pub ends_at: Option<DateTime<Utc>>,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    /// Full name.
    pub name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// First street line.
    pub line1: Option<String>,
    /// Second street line.
    pub line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Province or governorate.
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// A storefront customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The storefront's id for the customer.
    pub external_id: CustomerId,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Addresses, default first.
    pub addresses: Vec<Address>,
    /// Last change on the storefront.
    pub updated_at: DateTime<Utc>,
}

impl Customer {
    /// "First Last", or whichever part is known.
    pub fn display_name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A tax charged on a line or on shipping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    /// Tax title (for example `VAT`).
    pub title: String,
    /// Rate as a fraction (`0.14` for 14 %).
    pub rate: Decimal,
    /// Amount charged.
    pub amount: Decimal,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The storefront's line id (refunds point at it).
    pub line_id: OrderLineId,
    /// The SKU; `None` for a custom line the catalogue does not know.
    pub sku: Option<Sku>,
    /// Line title.
    pub title: String,
    /// Quantity ordered.
    pub quantity: Decimal,
    /// Unit price before discounts (tax included when the order says so).
    pub unit_price: Decimal,
    /// Total discount allocated to this line, order-level discounts included.
    pub discount: Decimal,
    /// Taxes on this line.
    pub tax_lines: Vec<TaxLine>,
}

impl OrderLine {
    /// `quantity × unit_price − discount`.
    pub fn net_total(&self) -> Decimal {
        self.quantity * self.unit_price - self.discount
    }
}

/// A shipping charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingLine {
    /// Carrier or method title.
    pub title: String,
    /// Price before discount.
    pub price: Decimal,
    /// Discount on shipping.
    pub discount: Decimal,
    /// Taxes on shipping.
    pub tax_lines: Vec<TaxLine>,
}

/// How much has been paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinancialStatus {
    /// Nothing paid yet (cash on delivery, bank transfer).
    Pending,
    /// Authorised, not captured.
    Authorized,
    /// Partly paid.
    PartiallyPaid,
    /// Paid.
    Paid,
    /// Partly refunded.
    PartiallyRefunded,
    /// Fully refunded.
    Refunded,
    /// Voided.
    Voided,
    /// Anything else.
    Other,
}

/// A payment or refund transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Payment gateway name as the storefront reports it (mapped to ERP and ETA codes by
    /// configuration).
    pub gateway: String,
    /// Amount.
    pub amount: Decimal,
}

/// One refunded line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    /// The order line refunded.
    pub line_id: OrderLineId,
    /// The SKU of that line.
    pub sku: Option<Sku>,
    /// Quantity refunded.
    pub quantity: Decimal,
    /// Amount refunded for the line, tax included when the order says so.
    pub amount: Decimal,
    /// Tax refunded for the line.
    pub tax: Decimal,
}

/// A refund of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The storefront's refund id.
    pub external_id: RefundId,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Lines refunded.
    pub lines: Vec<RefundLine>,
    /// Shipping refunded (tax included when the order says so).
    pub shipping: Decimal,
    /// Total refunded.
    pub total: Decimal,
    /// Refund transactions.
    pub payments: Vec<Payment>,
}

/// A storefront order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The storefront's order id.
    pub external_id: OrderId,
    /// The order name shown to the merchant (for example `#1001`); carried into the ERP.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Currency of all amounts.
    pub currency: Currency,
    /// Whether line and shipping prices include tax.
    pub taxes_included: bool,
    /// The customer, if any.
    pub customer: Option<Customer>,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// Billing address.
    pub billing_address: Option<Address>,
    /// Shipping address.
    pub shipping_address: Option<Address>,
    /// Lines.
    pub lines: Vec<OrderLine>,
    /// Shipping charges.
    pub shipping_lines: Vec<ShippingLine>,
    /// Total the customer pays.
    pub total: Decimal,
    /// Total tax.
    pub total_tax: Decimal,
    /// Payment status.
    pub financial_status: FinancialStatus,
    /// Whether the order is delivered as far as it needs delivering: everything that ships
    /// has shipped, or nothing needs shipping (digital goods, services) and it is paid. An
    /// order left with nothing to fulfil because it was cancelled or refunded to nothing is
    /// not (Shopify's `FULFILLMENT_NOT_REQUIRED`).
    pub fulfilled: bool,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Payments received.
    pub payments: Vec<Payment>,
    /// Refunds made.
    pub refunds: Vec<Refund>,
    /// The sales channel the order came through, as the storefront names it (Shopify's
    /// `sourceName`: `web`, `pos`, an app's name); `None` when not known. Routes the order's
    /// receipts to a tax device.
    #[serde(default)]
    pub source: Option<String>,
    /// The storefront location where a point-of-sale order was made (Shopify's
    /// `retailLocation`); `None` for an online order.
    #[serde(default)]
    pub location: Option<LocationId>,
    /// What the storefront knows of who buys, for a tax receipt's buyer (tax ids, tags,
    /// attributes, a B2B company). Empty when the storefront reads none.
    #[serde(default)]
    pub buyer: BuyerFacts,
    /// The order's amounts in the currency the customer paid in, when it differs from
    /// [`Order::currency`] (a Shopify Markets order presented in another currency).
    #[serde(default)]
    pub presentment: Option<Presentment>,
    /// Items given in exchange for returned ones after the sale (each processed exchange of a
    /// return). Their lines are not in [`Order::lines`], and their amounts not in
    /// [`Order::total`]: each exchange is a sale of its own ([`Order::exchange_sale`]).
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
}

/// Items a return gave the shopper in place of the returned ones (Shopify's exchange line
/// items, added to the order when the return is processed).
///
/// The returned items come back as a [`Refund`] of the order, as any return; the items given
/// are a new sale, booked and receipted on their own ([`Order::exchange_sale`]), so the
/// original sale's document and receipt never change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The storefront's id of the return that made the exchange.
    pub external_id: ExchangeId,
    /// The return's name as the merchant sees it (for example `#1001-R1`).
    pub return_name: String,
    /// When the storefront recorded it (the items were added to the order).
    pub created_at: DateTime<Utc>,
    /// The items given, as order lines (their ids are the order lines the storefront added).
    pub lines: Vec<OrderLine>,
    /// The same lines in the order's presentment currency, when it has one (see
    /// [`Order::presentment`]), in the same order as `lines`.
    #[serde(default)]
    pub presentment_lines: Option<Vec<OrderLine>>,
    /// Total of the items given, tax included, in the order's currency.
    pub total: Decimal,
    /// Tax on the items given.
    pub total_tax: Decimal,
    /// Refunds of items given in this exchange (every returned line one of [`Self::lines`]):
    /// returns of the exchange's sale, not of the order's.
    #[serde(default)]
    pub refunds: Vec<Refund>,
}

/// What a storefront knows of an order's buyer that a tax authority may ask for.
///
/// Each field is what the storefront holds, unchecked: the tax connector decides which source
/// to use and checks its form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerFacts {
    /// The customer's tax id (Shopify `Customer.taxSettings.taxId`).
    #[serde(default)]
    pub customer_tax_id: Option<String>,
    /// The value of the configured customer metafield holding a tax id, if set.
    #[serde(default)]
    pub customer_metafield: Option<String>,
    /// The customer's tags.
    #[serde(default)]
    pub customer_tags: Vec<String>,
    /// The order's custom attributes (`key`, `value`), in the storefront's order.
    #[serde(default)]
    pub attributes: Vec<(String, String)>,
    /// The company of a B2B order, if the order was placed for one.
    #[serde(default)]
    pub company: Option<BuyerCompany>,
}

impl BuyerFacts {
    /// The value of the order attribute `key` (compared exactly), if set and not blank.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Whether the customer carries `tag` (compared without regard to case or surrounding
    /// spaces, as Shopify compares tags).
    pub fn has_tag(&self, tag: &str) -> bool {
        let tag = tag.trim();
        !tag.is_empty()
            && self
                .customer_tags
                .iter()
                .any(|t| t.trim().eq_ignore_ascii_case(tag))
    }
}

/// The company a B2B order was placed for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerCompany {
    /// The company's name.
    pub name: String,
    /// The ordering location's tax registration id (Shopify
    /// `CompanyLocation.taxSettings.taxRegistrationId`).
    #[serde(default)]
    pub tax_registration_id: Option<String>,
    /// ISO 3166-1 alpha-2 country of the location's billing address, if known.
    #[serde(default)]
    pub country_code: Option<String>,
}

/// An order's amounts in its presentment currency (what the customer saw and paid), line by
/// line in the same order as [`Order::lines`] and [`Order::shipping_lines`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presentment {
    /// The presentment currency.
    pub currency: Currency,
    /// Lines, with amounts in `currency`.
    pub lines: Vec<OrderLine>,
    /// Shipping charges, with amounts in `currency`.
    pub shipping_lines: Vec<ShippingLine>,
    /// Total the customer pays, in `currency`.
    pub total: Decimal,
    /// Payments received, in `currency`.
    pub payments: Vec<Payment>,
}

impl Order {
    /// The gateway that took most of the money, used where one payment method is needed.
    pub fn main_gateway(&self) -> Option<&str> {
        self.payments
            .iter()
            .max_by_key(|p| p.amount)
            .map(|p| p.gateway.as_str())
    }

    /// The sale that `exchange` makes, as an order of its own: the items given, to the same
    /// customer and buyer, through the same channel and location, paid (by the value of the
    /// returned items, and any difference) with the order's main payment method.
    ///
    /// Its id is the exchange's and its name the order's with `-X` and the tail of the
    /// exchange's id (`#1001-X77`), so its ERP document and its tax receipt have references of
    /// their own, stable across reads. Its refunds are the exchange's (items given, returned
    /// later); it has no exchanges of its own.
    pub fn exchange_sale(&self, exchange: &Exchange) -> Order {
        let tail = exchange
            .external_id
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or(exchange.external_id.as_str());
        let gateway = self.main_gateway().unwrap_or("exchange").to_owned();
        let presentment = match (&self.presentment, &exchange.presentment_lines) {
            (Some(p), Some(lines)) => {
                let total = lines
                    .iter()
                    .map(|l| {
                        let tax: Decimal = l.tax_lines.iter().map(|t| t.amount).sum();
                        if self.taxes_included {
                            l.net_total()
                        } else {
                            l.net_total() + tax
                        }
                    })
                    .sum();
                Some(Presentment {
                    currency: p.currency,
                    lines: lines.clone(),
                    shipping_lines: Vec::new(),
                    total,
                    payments: vec![Payment {
                        gateway: gateway.clone(),
                        amount: total,
                    }],
                })
            }
            _ => None,
        };
        Order {
            external_id: OrderId::new(exchange.external_id.as_str()),
            name: format!("{}-X{tail}", self.name),
            created_at: exchange.created_at,
            updated_at: self.updated_at,
            currency: self.currency,
            taxes_included: self.taxes_included,
            customer: self.customer.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            billing_address: self.billing_address.clone(),
            shipping_address: self.shipping_address.clone(),
            lines: exchange.lines.clone(),
            shipping_lines: Vec::new(),
            total: exchange.total,
            total_tax: exchange.total_tax,
            financial_status: FinancialStatus::Paid,
            fulfilled: self.fulfilled,
            cancelled_at: None,
            payments: vec![Payment {
                gateway,
                amount: exchange.total,
            }],
            refunds: exchange.refunds.clone(),
            source: self.source.clone(),
            location: self.location.clone(),
            buyer: self.buyer.clone(),
            presentment,
            exchanges: Vec::new(),
        }
    }

    /// The sales [`exchange_sale`](Self::exchange_sale) makes of each of the order's
    /// exchanges.
    pub fn exchange_sales(&self) -> Vec<Order> {
        self.exchanges
            .iter()
            .map(|x| self.exchange_sale(x))
            .collect()
    }
}

/// That a storefront record changed, and when: its id and the time of its last change only.
///
/// What an incremental pull reads first, to fetch whole only the records whose change it has
/// not seen yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change<Id> {
    /// The storefront's id for the record ([`OrderId`], [`CustomerId`]).
    pub external_id: Id,
    /// Its last change.
    pub updated_at: DateTime<Utc>,
}

/// Where an order (or refund) landed in the ERP.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ErpDocumentRef {
    /// The ERP operation (document type), for example `SALINV`.
    pub operation: String,
    /// The document number, unique within the operation.
    pub number: ErpDocumentNo,
}

/// The state of a tax receipt at the tax authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptState {
    /// Valid: the tax authority's final, positive status.
    Accepted,
    /// Refused by the authority's synchronous checks; a correction is needed.
    Rejected,
    /// Submitted, final status not known yet.
    Pending,
    /// Invalid: taken for processing, then failed the authority's later validation (an
    /// unregistered item code, a missing buyer id…); a replacement receipt is needed.
    Invalid,
}

/// A tax receipt issued for a sale or a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRef {
    /// The receipt uuid.
    pub uuid: ReceiptUuid,
    /// The POS device that issued it.
    pub device: String,
    /// Its state.
    pub state: ReceiptState,
    /// The authority's long id, when accepted.
    pub long_id: Option<String>,
    /// Why it was rejected or found Invalid, when it was (the authority's words).
    pub reason: Option<String>,
}

/// An inventory location of the storefront.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The storefront's id.
    pub id: LocationId,
    /// Its name.
    pub name: String,
}

/// A shipment made by the ERP, to be reported to the storefront.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// The storefront order id.
    pub order_external_id: OrderId,
    /// The ERP document that shipped it.
    pub document: ErpDocumentRef,
    /// Carrier.
    pub carrier: Option<String>,
    /// Tracking number.
    pub tracking_number: Option<String>,
}
