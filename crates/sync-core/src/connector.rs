//! The connector traits: what the engine needs from an ERP, a storefront and a tax authority.
//!
//! Anyone can implement them for another ERP or shop. Each method is one remote effect or one
//! read; the engine decides when to call it, records a job before every write, and looks the
//! effect up (the `find_*` methods) before retrying a write whose outcome is unknown.
//!
//! Errors cross the trait boundary as [`ConnectorError`], which keeps the classification of
//! the client's own error ([`Classify`]) and says when an operator has to add a mapping.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Classify, ErrorKind, Outage};
use crate::id::IdempotencyKey;
use crate::model::{
    Change, Customer, CustomerId, ErpCustomerNo, ErpDocumentRef, InventoryItemId, Location,
    LocationId, Order, OrderId, PriceChange, ProductGroup, ProductId, ProductStatus, Promotion,
    PromotionId, ReceiptRef, ReceiptUuid, Refund, Shipment, Sku, StockLevel, VariantId,
};
use crate::paging::{Page, PageError};

/// A failure of a connector call, classified for the engine.
#[derive(Debug)]
pub struct ConnectorError {
    kind: ErrorKind,
    uncertain: bool,
    retry_after: Option<Duration>,
    needs_mapping: Option<String>,
    outage: Option<Outage>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ConnectorError {
    /// Wraps a client error, keeping its classification and its source chain.
    pub fn from_client<E>(error: E) -> Self
    where
        E: Classify + std::error::Error + Send + Sync + 'static,
    {
        ConnectorError {
            kind: error.kind(),
            uncertain: error.is_uncertain(),
            retry_after: error.retry_after(),
            needs_mapping: None,
            outage: error.outage(),
            message: error.to_string(),
            source: Some(Box::new(error)),
        }
    }

    /// A permanent failure: bad data that retrying cannot fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        ConnectorError::new(ErrorKind::Client, message)
    }

    /// A passing failure worth retrying.
    pub fn transient(message: impl Into<String>) -> Self {
        ConnectorError::new(ErrorKind::Transient, message)
    }

    /// A write whose outcome is unknown: look it up before retrying.
    pub fn uncertain(message: impl Into<String>) -> Self {
        let mut error = ConnectorError::new(ErrorKind::Transient, message);
        error.uncertain = true;
        error
    }

    /// The data needs a mapping an operator must add (an unknown SKU, tax rate, location or
    /// payment gateway). `mapping` names it, for example `sku:ABC-1` or `gateway:paymob`; the
    /// job is parked until that mapping exists.
    pub fn needs_mapping(mapping: impl Into<String>, message: impl Into<String>) -> Self {
        let mut error = ConnectorError::new(ErrorKind::Client, message);
        error.needs_mapping = Some(mapping.into());
        error
    }

    /// The whole `system` is down (see [`Outage`]): its work waits, nothing is failed.
    pub fn down(outage: Outage, message: impl Into<String>) -> Self {
        let mut error = ConnectorError::new(ErrorKind::Transient, message);
        error.outage = Some(outage);
        error
    }

    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ConnectorError {
            kind,
            uncertain: false,
            retry_after: None,
            needs_mapping: None,
            outage: None,
            message: message.into(),
            source: None,
        }
    }

    /// The missing mapping, when this error is one.
    pub fn mapping(&self) -> Option<&str> {
        self.needs_mapping.as_deref()
    }
}

impl fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Classify for ConnectorError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
    fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
    fn is_uncertain(&self) -> bool {
        self.uncertain
    }
    fn outage(&self) -> Option<Outage> {
        self.outage
    }
}

impl From<PageError> for ConnectorError {
    fn from(error: PageError) -> Self {
        ConnectorError::transient(error.to_string())
    }
}

/// Shorthand for connector results.
pub type ConnectorResult<T> = Result<T, ConnectorError>;

/// The ERP as the source of the catalogue, prices, promotions and stock.
#[async_trait]
pub trait ErpCatalog: Send + Sync {
    /// Every item group with its variants, prices and images.
    async fn product_groups(&self) -> ConnectorResult<Vec<ProductGroup>>;
    /// Stock of every SKU at every ERP store that is mapped to a storefront location.
    async fn stock_levels(&self) -> ConnectorResult<Vec<StockLevel>>;
    /// Active and future promotions.
    async fn promotions(&self) -> ConnectorResult<Vec<Promotion>> {
        Ok(Vec::new())
    }
    /// Shipments made since `since`, to be reported back to the storefront.
    async fn shipments_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Vec<Shipment>> {
        let _ = since;
        Ok(Vec::new())
    }
}

/// ERP customers whose contact data (phone, e-mail or name) equal a storefront customer's.
///
/// Checkout data is not verified: such a match is reported for an operator to merge, and
/// never linked or updated unless the operator chose a rule that links it
/// ([`CustomerIdentity::Linked`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactMatch {
    /// The key that matched: `phone`, `email`, `name` (or `contact` when the connector does
    /// not say).
    pub by: String,
    /// The ERP customer numbers carrying it.
    pub numbers: Vec<ErpCustomerNo>,
}

/// What the ERP holds for a storefront customer, as far as the connector can verify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "identity", rename_all = "snake_case")]
pub enum CustomerIdentity {
    /// The ERP customer that carries this storefront customer's id: the connector created it
    /// (perhaps in a run that stopped before recording it). It is the connector's own, and
    /// is updated with the storefront's data.
    Owned {
        /// Its ERP number.
        number: ErpCustomerNo,
    },
    /// An existing ERP customer, linked by a rule the operator chose (for example a
    /// verified e-mail). Orders are booked to it; its master data is never overwritten.
    Linked {
        /// Its ERP number.
        number: ErpCustomerNo,
        /// The rule that linked it (`email`, `phone`).
        by: String,
    },
    /// No verified identity: a new ERP customer is created. `matches` are existing ERP
    /// customers whose contact data match, reported for an operator, never linked.
    Unverified {
        /// The contact match, if any.
        matches: Option<ContactMatch>,
    },
}

/// A storefront customer whose contact data matched existing ERP customers, which were left
/// untouched: a new ERP customer was created instead. Listed by
/// `Engine::customer_matches` for an operator to merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnverifiedMatch {
    /// The storefront customer id.
    pub storefront_id: CustomerId,
    /// The ERP customer created for it.
    pub created: ErpCustomerNo,
    /// The existing ERP customers that matched, and by what.
    pub matched: ContactMatch,
}

/// The ERP as the sink of customers, sales documents, returns and receipt results.
#[async_trait]
pub trait ErpSales: Send + Sync {
    /// Finds the ERP customer matching a storefront customer (by the storefront id first,
    /// then email or phone); returns its ERP number.
    ///
    /// The engine does not link by this match (see
    /// [`identify_customer`](Self::identify_customer)).
    async fn find_customer(&self, customer: &Customer) -> ConnectorResult<Option<ErpCustomerNo>>;
    /// What the ERP holds for `customer`: the ERP customer carrying its storefront id
    /// ([`CustomerIdentity::Owned`]), one linked by a rule the operator chose, or none, with
    /// the contact matches to report.
    ///
    /// The default cannot find a customer by its storefront id, and reports what
    /// [`find_customer`](Self::find_customer) finds as an unverified match; a connector
    /// should override it, and have [`upsert_customer`](Self::upsert_customer) write the
    /// storefront id where it can be looked up again, so that a run stopped between creating
    /// a customer and recording it does not create a second one.
    async fn identify_customer(&self, customer: &Customer) -> ConnectorResult<CustomerIdentity> {
        let matches = self
            .find_customer(customer)
            .await?
            .map(|number| ContactMatch {
                by: "contact".to_owned(),
                numbers: vec![number],
            });
        Ok(CustomerIdentity::Unverified { matches })
    }
    /// Creates the customer, or updates `existing`; returns its ERP number. A created
    /// customer carries the storefront customer's id, where the connector has a place for it.
    async fn upsert_customer(
        &self,
        customer: &Customer,
        existing: Option<&ErpCustomerNo>,
    ) -> ConnectorResult<ErpCustomerNo>;
    /// Finds the sales document that carries this order's reference, if it exists.
    async fn find_sales_document(&self, order: &Order) -> ConnectorResult<Option<ErpDocumentRef>>;
    /// Finds the sales documents of several orders at once, by their references: order id →
    /// document, for the orders that have one.
    ///
    /// The engine asks this for every order it is about to import (a page at a time), so that
    /// a lost or fresh state store never creates a document twice. The default asks
    /// [`find_sales_document`](Self::find_sales_document) once per order; an ERP that can
    /// answer for many references in one query should do so.
    async fn find_sales_documents(
        &self,
        orders: &[Order],
    ) -> ConnectorResult<HashMap<OrderId, ErpDocumentRef>> {
        let mut found = HashMap::new();
        for order in orders {
            if let Some(document) = self.find_sales_document(order).await? {
                found.insert(order.external_id.clone(), document);
            }
        }
        Ok(found)
    }
    /// Creates the sales document for `order` (customer number from [`ErpSales::upsert_customer`]).
    async fn create_sales_document(
        &self,
        order: &Order,
        customer: Option<&ErpCustomerNo>,
    ) -> ConnectorResult<ErpDocumentRef>;
    /// Cancels a sales document (the ERP may keep it, marked cancelled).
    async fn cancel_sales_document(&self, document: &ErpDocumentRef) -> ConnectorResult<()>;
    /// Finds the return document that carries this refund's reference, if it exists.
    async fn find_return(
        &self,
        order: &Order,
        refund: &Refund,
    ) -> ConnectorResult<Option<ErpDocumentRef>>;
    /// Creates the return document for `refund` against the sale `sale`.
    async fn create_return(
        &self,
        order: &Order,
        refund: &Refund,
        sale: &ErpDocumentRef,
    ) -> ConnectorResult<ErpDocumentRef>;
    /// Records a receipt's outcome on the document, where the ERP has a place for it.
    async fn record_receipt(
        &self,
        document: &ErpDocumentRef,
        receipt: &ReceiptRef,
    ) -> ConnectorResult<()> {
        let _ = (document, receipt);
        Ok(())
    }
}

/// A storefront variant as the storefront knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteVariant {
    /// The product id.
    pub product_id: ProductId,
    /// The variant id.
    pub variant_id: VariantId,
    /// The inventory item id (stock is set on it).
    pub inventory_item_id: InventoryItemId,
}

/// A product as written to the storefront.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteProduct {
    /// The product id.
    pub product_id: ProductId,
    /// Its variants by SKU.
    pub variants: HashMap<Sku, RemoteVariant>,
}

/// One stock quantity to set on the storefront.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockWrite {
    /// The SKU (for reports).
    pub sku: Sku,
    /// The inventory item.
    pub inventory_item_id: InventoryItemId,
    /// The storefront location.
    pub location_id: LocationId,
    /// The quantity to set.
    pub quantity: i64,
    /// The quantity we believe is there now (compare-and-set); `None` skips the check.
    pub expected: Option<i64>,
}

/// A stock quantity read from the storefront.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteStock {
    /// The SKU.
    pub sku: Sku,
    /// The inventory item.
    pub inventory_item_id: InventoryItemId,
    /// The location.
    pub location_id: LocationId,
    /// Units available.
    pub available: i64,
}

/// The variants a product upsert creates, and where to stock them.
///
/// A variant the storefront creates is stocked at `locations` with nothing available, in the
/// same call, so that its first stock write needs no separate activation per location (on
/// Shopify, one `inventoryActivate` of 10 cost points per variant and location). Variants that
/// exist already are left as they are: their stock is the stock flow's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewVariants {
    /// The SKUs of the group that do not exist on the storefront yet.
    pub skus: std::collections::BTreeSet<Sku>,
    /// The storefront locations to stock them at (empty: the storefront's default).
    pub locations: Vec<LocationId>,
}

/// The storefront as the sink of the catalogue, prices, promotions, stock and shipments.
#[async_trait]
pub trait StorefrontCatalog: Send + Sync {
    /// The storefront's inventory locations.
    async fn locations(&self) -> ConnectorResult<Vec<Location>>;
    /// Finds existing variants by SKU (to link a catalogue that already exists instead of
    /// duplicating it).
    async fn find_variants(&self, skus: &[Sku]) -> ConnectorResult<HashMap<Sku, RemoteVariant>>;
    /// Creates or updates the product for `group` (an upsert keyed by the group code, so a
    /// retried call does not duplicate it). `existing` is the product id when known; the
    /// variants in `new` are created stocked at its locations with nothing available.
    async fn upsert_product(
        &self,
        group: &ProductGroup,
        existing: Option<&ProductId>,
        new: &NewVariants,
    ) -> ConnectorResult<RemoteProduct>;
    /// Holds, activates or archives a product.
    async fn set_status(
        &self,
        product_id: &ProductId,
        status: ProductStatus,
    ) -> ConnectorResult<()>;
    /// Sets prices and compare-at prices.
    async fn set_prices(&self, changes: &[(RemoteVariant, PriceChange)]) -> ConnectorResult<()>;
    /// Sets stock quantities; `idempotency_key` makes a retried call a no-op.
    async fn set_stock(
        &self,
        writes: &[StockWrite],
        idempotency_key: &IdempotencyKey,
    ) -> ConnectorResult<()>;
    /// Reads every stock level of the given inventory items.
    async fn read_stock(
        &self,
        variants: &[(Sku, RemoteVariant)],
    ) -> ConnectorResult<Vec<RemoteStock>>;
    /// Creates or updates an automatic discount; returns its id.
    async fn upsert_promotion(
        &self,
        promotion: &Promotion,
        variants: &[RemoteVariant],
        existing: Option<&PromotionId>,
    ) -> ConnectorResult<PromotionId>;
    /// Reports a shipment (creates a fulfilment with tracking).
    async fn create_fulfillment(&self, shipment: &Shipment) -> ConnectorResult<()>;
}

/// The storefront as the source of orders, customers and refunds.
#[async_trait]
pub trait StorefrontOrders: Send + Sync {
    /// One page of orders updated at or after `since`, oldest change first.
    async fn orders_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Order, String>>;
    /// One page of the orders updated at or after `since`, each as its id and the time of its
    /// last change only, oldest change first.
    ///
    /// The orders flow reads these and fetches ([`order`](Self::order)) only the orders
    /// whose change it has not read yet, so re-reading the overlap window before the
    /// checkpoint, and orders a webhook already brought, costs next to nothing.
    async fn order_changes_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change<OrderId>, String>>;
    /// One order by id (`None` when it does not exist).
    async fn order(&self, id: &OrderId) -> ConnectorResult<Option<Order>>;
    /// One page of the customers updated at or after `since`, each as its id and the time
    /// of its last change only, oldest change first (as
    /// [`order_changes_page`](Self::order_changes_page) for orders).
    async fn customer_changes_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change<CustomerId>, String>>;
    /// One customer by id (`None` when it does not exist).
    async fn customer(&self, id: &CustomerId) -> ConnectorResult<Option<Customer>>;
    /// How many orders were updated at or after `since` (all of them for `None`), when the
    /// storefront can count them for about the price of one read (a count may stop at the
    /// storefront's cap: it is then at least that). `None` (the default) when it cannot: the
    /// engine then never starts an [export](Self::start_order_export) and reads changes page
    /// by page.
    async fn count_order_changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        let _ = since;
        Ok(None)
    }
    /// Starts an export of the orders updated at or after `since`, run by the storefront on
    /// its side (Shopify: a bulk query); returns the export's id, which the engine records
    /// before it reads the export, so a restart resumes it instead of starting another.
    ///
    /// The default starts nothing and returns [`PAGED_EXPORT`]: its
    /// [`order_export`](Self::order_export) reads [`orders_page`](Self::orders_page) page by
    /// page, so a connector without exports (the memory connector) takes the same path.
    async fn start_order_export(&self, since: Option<DateTime<Utc>>) -> ConnectorResult<String> {
        let _ = since;
        Ok(PAGED_EXPORT.to_owned())
    }
    /// The orders of the export `id` (started with `since`), as a stream read a little at a
    /// time (never the whole export in memory); waits for the export to finish first.
    /// `Ok(None)` when the export no longer exists or ended without a result (failed,
    /// cancelled, expired): the engine forgets it and starts another.
    ///
    /// Each item is an [`ExportedOrder`]: the order's id and change time, as the export
    /// gives them, and a way to [complete](ExportedOrder::complete) it with whatever the
    /// export does not carry (reads of their own: Shopify's returns, a refund's shipping).
    /// The engine decides from the change alone whether it has read the order already, and
    /// completes only the orders it has not: a resumed export costs no follow-up read for
    /// an order imported before. A connector does no read for an item before `complete`.
    ///
    /// The default reads [`orders_page`](Self::orders_page) from `since`, page by page,
    /// each order already complete.
    async fn order_export(
        &self,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<OrderStream<'_>>> {
        use futures::StreamExt;
        if id != PAGED_EXPORT {
            return Ok(None);
        }
        let pages = crate::paging::paginate(None, move |cursor| self.orders_page(since, cursor));
        Ok(Some(
            pages.map(|order| order.map(ExportedOrder::ready)).boxed(),
        ))
    }

    /// How many customers were updated at or after `since` (all of them for `None`), as
    /// [`count_order_changes`](Self::count_order_changes) for orders. `None` (the default)
    /// when the storefront cannot count them cheaply: the engine then never starts a
    /// [customer export](Self::start_customer_export) and reads changes page by page.
    async fn count_customer_changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        let _ = since;
        Ok(None)
    }
    /// Starts an export of the customers updated at or after `since` (Shopify: a bulk
    /// query); returns its id, which the engine records before reading it, as
    /// [`start_order_export`](Self::start_order_export) for orders. A storefront that runs
    /// fewer exports at once than asked (Shopify: one bulk query per shop in older API
    /// versions) refuses with a passing ([`transient`](ConnectorError::transient)) error
    /// that is not uncertain: the engine then starts it on a later pass.
    ///
    /// The default starts nothing and returns [`PAGED_EXPORT`], which the default
    /// [`customer_export`](Self::customer_export) reads page by page.
    async fn start_customer_export(&self, since: Option<DateTime<Utc>>) -> ConnectorResult<String> {
        let _ = since;
        Ok(PAGED_EXPORT.to_owned())
    }
    /// The customers of the export `id` (started with `since`), as a stream read a little at
    /// a time; waits for the export to finish first. `Ok(None)` when the export no longer
    /// exists or ended without a result: the engine forgets it and starts another. As
    /// [`order_export`](Self::order_export), a connector does no read for an item before
    /// [`complete`](Exported::complete).
    ///
    /// The default (for [`PAGED_EXPORT`]) reads the
    /// [changes](Self::customer_changes_page) from `since`, page by page, and each customer
    /// by [id](Self::customer) when completed (one that no longer exists completes as an
    /// error): no cheaper than the incremental read, only there so that a connector which
    /// counts but does not export still reads every customer.
    async fn customer_export(
        &self,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<CustomerStream<'_>>> {
        use futures::{FutureExt, StreamExt};
        if id != PAGED_EXPORT {
            return Ok(None);
        }
        let pages = crate::paging::paginate(None, move |cursor| {
            self.customer_changes_page(since, cursor)
        });
        Ok(Some(
            pages
                .map(move |change| {
                    change.map(|change: Change<CustomerId>| {
                        let id = change.external_id.clone();
                        ExportedCustomer::pending(
                            change,
                            async move {
                                self.customer(&id).await?.ok_or_else(|| {
                                    ConnectorError::transient(format!(
                                        "customer {id} changed but no longer exists"
                                    ))
                                })
                            }
                            .boxed(),
                        )
                    })
                })
                .boxed(),
        ))
    }
}

/// A stream of orders read from an export ([`StorefrontOrders::order_export`]).
pub type OrderStream<'a> = futures::stream::BoxStream<'a, ConnectorResult<ExportedOrder<'a>>>;

/// A stream of customers read from an export ([`StorefrontOrders::customer_export`]).
pub type CustomerStream<'a> = futures::stream::BoxStream<'a, ConnectorResult<ExportedCustomer<'a>>>;

/// One order of an export ([`StorefrontOrders::order_export`]).
pub type ExportedOrder<'a> = Exported<'a, Order>;

/// One customer of an export ([`StorefrontOrders::customer_export`]).
pub type ExportedCustomer<'a> = Exported<'a, Customer>;

/// A record a storefront exports: orders and customers ([`Exported`]).
pub trait ExportedRecord: Send + 'static {
    /// The record's id.
    type Id: Clone + fmt::Debug + Send + Sync + 'static;
    /// Its id and the time of its last change.
    fn change(&self) -> Change<Self::Id>;
}

impl ExportedRecord for Order {
    type Id = OrderId;
    fn change(&self) -> Change<OrderId> {
        Change {
            external_id: self.external_id.clone(),
            updated_at: self.updated_at,
        }
    }
}

impl ExportedRecord for Customer {
    type Id = CustomerId;
    fn change(&self) -> Change<CustomerId> {
        Change {
            external_id: self.external_id.clone(),
            updated_at: self.updated_at,
        }
    }
}

/// One record of an export ([`StorefrontOrders::order_export`],
/// [`StorefrontOrders::customer_export`]): its change, known from the export itself, and the
/// record, complete or to be completed by reads of its own.
pub struct Exported<'a, T: ExportedRecord> {
    /// The record's id and the time of its last change.
    pub change: Change<T::Id>,
    record: Completion<'a, T>,
}

enum Completion<'a, T> {
    Ready(Box<T>),
    Pending(futures::future::BoxFuture<'a, ConnectorResult<T>>),
}

impl<'a, T: ExportedRecord> Exported<'a, T> {
    /// A record the export brought whole.
    pub fn ready(record: T) -> Self {
        Exported {
            change: record.change(),
            record: Completion::Ready(Box::new(record)),
        }
    }

    /// A record of which the export brought `change`; `complete` does the reads that make
    /// it whole, and runs only if [`complete`](Self::complete) is called.
    pub fn pending(
        change: Change<T::Id>,
        complete: futures::future::BoxFuture<'a, ConnectorResult<T>>,
    ) -> Self {
        Exported {
            change,
            record: Completion::Pending(complete),
        }
    }

    /// The whole record, after the reads it still needs (none when it came whole).
    ///
    /// # Errors
    ///
    /// When a read it needs fails.
    pub async fn complete(self) -> ConnectorResult<T> {
        match self.record {
            Completion::Ready(record) => Ok(*record),
            Completion::Pending(complete) => complete.await,
        }
    }
}

impl<T: ExportedRecord> std::fmt::Debug for Exported<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exported")
            .field("change", &self.change)
            .field("complete", &matches!(self.record, Completion::Ready(_)))
            .finish()
    }
}

/// The id of the export that [`StorefrontOrders`]'s default methods read page by page.
pub const PAGED_EXPORT: &str = "paged";

/// A receipt built and hashed, ready to submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuiltReceipt {
    /// Its uuid.
    pub uuid: ReceiptUuid,
    /// The previous uuid of its device chain (`""` for the first).
    pub previous_uuid: ReceiptUuid,
    /// The exact JSON text to send (the hashed structure).
    pub body: String,
    /// The total amount on the receipt.
    pub total: rust_decimal::Decimal,
}

/// What the tax authority answered for one receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitOutcome {
    /// The receipt uuid.
    pub uuid: ReceiptUuid,
    /// Valid (accepted), Invalid, rejected or pending.
    pub state: crate::model::ReceiptState,
    /// The authority's long id, when accepted.
    pub long_id: Option<String>,
    /// Why it was rejected or found Invalid (the authority's words, bounded).
    pub reason: Option<String>,
    /// The submission that carried it, when the authority named one: where its final status
    /// is read later ([`TaxAuthority::verdicts`]).
    #[serde(default)]
    pub submission: Option<String>,
}

/// The tax authority: builds receipts for sales and refunds and submits them.
#[async_trait]
pub trait TaxAuthority: Send + Sync {
    /// The POS device whose chain receipts are issued on.
    fn device(&self) -> &str;
    /// The most receipts one submission may carry.
    fn max_batch(&self) -> usize {
        500
    }
    /// Builds the sale receipt of `order`, chained after `previous_uuid`.
    ///
    /// Pure: no remote call.
    ///
    /// # Errors
    ///
    /// A mapping problem (an unknown payment gateway, tax rate) is a
    /// [`ConnectorError::needs_mapping`]; data the tax authority would refuse is a permanent
    /// error naming the field and the rule.
    fn build_sale(
        &self,
        order: &Order,
        previous_uuid: &ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt>;
    /// Builds the return receipt of `refund`, referencing the sale receipt `sale_uuid`.
    ///
    /// # Errors
    ///
    /// As [`TaxAuthority::build_sale`].
    fn build_return(
        &self,
        order: &Order,
        refund: &Refund,
        sale_uuid: &ReceiptUuid,
        previous_uuid: &ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt>;
    /// Builds a return receipt of `refund` that references no sale receipt: the refund of a
    /// sale made before the connector went live, of which the authority holds no receipt
    /// (ETA's return without reference, `RWR`).
    ///
    /// The default refuses (an authority without such returns): a permanent error.
    ///
    /// # Errors
    ///
    /// As [`TaxAuthority::build_sale`].
    fn build_unreferenced_return(
        &self,
        order: &Order,
        refund: &Refund,
        previous_uuid: &ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt> {
        let _ = (order, previous_uuid);
        Err(ConnectorError::permanent(format!(
            "refund {}: this tax authority cannot issue a return receipt without reference",
            refund.external_id
        )))
    }
    /// Checks, before a receipt of `order` (or of its `refund`) is built, what the build
    /// cannot check without a remote call: for example that every item code is registered
    /// with the authority. The engine calls it before [`TaxAuthority::build_sale`] and
    /// [`TaxAuthority::build_return`]. The default checks nothing.
    ///
    /// # Errors
    ///
    /// A missing registration or mapping is a [`ConnectorError::needs_mapping`] naming it (the
    /// receipt waits, parked, instead of being issued to be refused); a failed look-up is
    /// classified as usual.
    async fn prepare(&self, order: &Order, refund: Option<&Refund>) -> ConnectorResult<()> {
        let _ = (order, refund);
        Ok(())
    }
    /// Builds a replacement for the Invalid receipt `invalid`, chained after
    /// `previous_uuid` and naming `invalid` as the receipt it replaces: of the sale `order`
    /// when `refund` is `None`, else of that return, referencing the sale receipt given with
    /// it.
    ///
    /// The default refuses (an authority without replacements): a permanent error.
    ///
    /// # Errors
    ///
    /// As [`TaxAuthority::build_sale`].
    fn build_replacement(
        &self,
        order: &Order,
        refund: Option<(&Refund, &ReceiptUuid)>,
        invalid: &ReceiptUuid,
        previous_uuid: &ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt> {
        let _ = (order, refund, previous_uuid);
        Err(ConnectorError::permanent(format!(
            "this tax authority cannot replace the Invalid receipt {invalid}"
        )))
    }
    /// The final status of receipts submitted earlier: those of `uuids` the authority has
    /// decided (Valid or Invalid, with its reasons), read from the details of `submission`
    /// when it is known, else from each receipt. A receipt not decided yet is answered
    /// [`Pending`](crate::model::ReceiptState::Pending) or left out. Read only: nothing is
    /// sent again.
    ///
    /// The default looks each receipt up ([`TaxAuthority::lookup`]).
    async fn verdicts(
        &self,
        submission: Option<&str>,
        uuids: &[ReceiptUuid],
    ) -> ConnectorResult<Vec<SubmitOutcome>> {
        let _ = submission;
        let mut out = Vec::with_capacity(uuids.len());
        for uuid in uuids {
            if let Some(outcome) = self.lookup(uuid).await? {
                out.push(outcome);
            }
        }
        Ok(out)
    }
    /// Submits receipts of this device in one batch, in chain order.
    async fn submit(&self, receipts: &[BuiltReceipt]) -> ConnectorResult<Vec<SubmitOutcome>>;
    /// Looks a receipt up by uuid (`None` when the authority does not have it).
    async fn lookup(&self, uuid: &ReceiptUuid) -> ConnectorResult<Option<SubmitOutcome>>;
    /// Finds the receipt the authority holds for the sale `order` (or, with `refund`, for
    /// that return), by the reference the receipt carries; `None` when it holds none.
    ///
    /// The engine asks this before it issues a receipt it has no record of, so that a lost or
    /// fresh state store never issues a second receipt for one sale. The default answers
    /// `None` (an authority that cannot be searched).
    async fn find_receipt(
        &self,
        order: &Order,
        refund: Option<&Refund>,
    ) -> ConnectorResult<Option<SubmitOutcome>> {
        let _ = (order, refund);
        Ok(None)
    }
    /// The uuid of the last receipt the authority holds for this device, which the next
    /// receipt must name as its previous one; `None` when it holds none.
    ///
    /// The engine asks this when its state store has no chain head for the device (a first
    /// start, or a lost store). The default answers `None`.
    async fn chain_tail(&self) -> ConnectorResult<Option<ReceiptUuid>> {
        Ok(None)
    }
}
