//! In-memory connectors: an ERP, a storefront and a tax authority that keep everything in
//! memory, count every remote effect, and can be told to fail. For tests of the engine and of
//! anything else built on the connector traits.
//!
//! They behave like the real systems where it matters: the ERP does not deduplicate documents
//! (exactly-once must come from the engine), the storefront links variants by SKU, and the
//! tax authority checks each device's chain and refuses a uuid it already holds.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::connector::{
    ConnectorError, ConnectorResult, ContactMatch, CustomerIdentity, ErpCatalog, ErpSales,
    ExportedCustomer, NewVariants, RemoteProduct, RemoteStock, RemoteVariant, StockWrite,
    StorefrontCatalog, StorefrontOrders,
};
use crate::error::{Outage, OutageCause, System};
use crate::id::IdempotencyKey;
use crate::model::{
    Change, Customer, CustomerId, ErpCustomerNo, ErpDocumentNo, ErpDocumentRef, InventoryItemId,
    Location, LocationId, Order, OrderId, PriceChange, ProductGroup, ProductId, ProductStatus,
    Promotion, PromotionId, ReceiptRef, Refund, Shipment, Sku, StockLevel,
};
use crate::paging::Page;

mod tax;

pub use tax::MemoryTax;

/// A failure to inject into the next matching call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// Fails before doing anything (a refused connection).
    Transient,
    /// Does the work, then fails as if the answer was lost (an uncertain outcome).
    LostAnswer,
    /// Refuses permanently.
    Permanent,
    /// Panics (a connector bug).
    Panic,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A document saved in the in-memory ERP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryDocument {
    /// Operation.
    pub operation: String,
    /// Number.
    pub number: ErpDocumentNo,
    /// The storefront reference it carries (order id, or refund id for returns).
    pub reference: String,
    /// Whether it was cancelled (soft delete).
    pub cancelled: bool,
    /// Total.
    pub total: Decimal,
    /// Receipt outcome recorded on it.
    pub receipt: Option<ReceiptRef>,
}

/// An in-memory ERP.
#[derive(Debug, Default)]
pub struct MemoryErp {
    groups: Mutex<Vec<ProductGroup>>,
    stock: Mutex<Vec<StockLevel>>,
    promotions: Mutex<Vec<Promotion>>,
    customers: Mutex<Vec<(ErpCustomerNo, Customer)>>,
    link_by: Mutex<Vec<String>>,
    bookings: Mutex<Vec<(OrderId, Option<ErpCustomerNo>)>>,
    documents: Mutex<Vec<MemoryDocument>>,
    shipments: Mutex<Vec<(DateTime<Utc>, Shipment)>>,
    faults: Mutex<VecDeque<Injected>>,
    down: Mutex<Option<OutageCause>>,
}

impl MemoryErp {
    /// An empty ERP.
    pub fn new() -> Self {
        Self::default()
    }
    /// Makes every call fail as a whole-system outage (`None`: answers again).
    pub fn set_down(&self, cause: Option<OutageCause>) {
        *lock(&self.down) = cause;
    }
    fn up(&self) -> ConnectorResult<()> {
        match *lock(&self.down) {
            None => Ok(()),
            Some(cause) => Err(ConnectorError::down(
                Outage {
                    system: System::Erp,
                    cause,
                },
                format!("memory ERP at erp.invalid: {cause}"),
            )),
        }
    }
    /// Replaces the catalogue.
    pub fn set_groups(&self, groups: Vec<ProductGroup>) {
        *lock(&self.groups) = groups;
    }
    /// Replaces the stock levels.
    pub fn set_stock(&self, stock: Vec<StockLevel>) {
        *lock(&self.stock) = stock;
    }
    /// Replaces the promotions.
    pub fn set_promotions(&self, promotions: Vec<Promotion>) {
        *lock(&self.promotions) = promotions;
    }
    /// Adds a shipment made at `at`.
    pub fn add_shipment(&self, at: DateTime<Utc>, shipment: Shipment) {
        lock(&self.shipments).push((at, shipment));
    }
    /// Makes the next document write fail as given (queued, one per write).
    pub fn inject(&self, fault: Injected) {
        lock(&self.faults).push_back(fault);
    }
    /// Every document saved, duplicates included.
    pub fn documents(&self) -> Vec<MemoryDocument> {
        lock(&self.documents).clone()
    }
    /// Every customer saved with its number.
    pub fn customers(&self) -> Vec<(ErpCustomerNo, Customer)> {
        lock(&self.customers).clone()
    }
    /// Adds a customer the ERP had before (its own master data): `customer.external_id` is
    /// the storefront id it carries, if any (`""` for none).
    pub fn add_customer(&self, number: &str, customer: Customer) {
        lock(&self.customers).push((ErpCustomerNo::from(number), customer));
    }
    /// Links a storefront customer to an existing ERP customer whose `email` or `phone`
    /// (the keys given) equals its own, as an operator may choose; default: none.
    pub fn link_customers_by(&self, keys: &[&str]) {
        *lock(&self.link_by) = keys.iter().map(|k| (*k).to_owned()).collect();
    }
    /// The customer number each sales document was booked to, by order id, in saving order.
    pub fn bookings(&self) -> Vec<(OrderId, Option<ErpCustomerNo>)> {
        lock(&self.bookings).clone()
    }
    fn knows(&self, sku: &Sku) -> bool {
        lock(&self.groups)
            .iter()
            .flat_map(|g| &g.variants)
            .any(|v| &v.sku == sku)
    }
    fn save(
        &self,
        operation: &str,
        reference: &str,
        total: Decimal,
    ) -> ConnectorResult<ErpDocumentRef> {
        let fault = lock(&self.faults).pop_front();
        match fault {
            Some(Injected::Transient) => {
                return Err(ConnectorError::transient("connection refused"));
            }
            Some(Injected::Permanent) => {
                return Err(ConnectorError::permanent("CMDERR,document refused"));
            }
            Some(Injected::Panic) => panic!("injected panic while saving {reference}"),
            _ => {}
        }
        let mut documents = lock(&self.documents);
        let number = ErpDocumentNo::new(
            (documents
                .iter()
                .filter(|d| d.operation == operation)
                .count()
                + 1)
            .to_string(),
        );
        documents.push(MemoryDocument {
            operation: operation.to_owned(),
            number: number.clone(),
            reference: reference.to_owned(),
            cancelled: false,
            total,
            receipt: None,
        });
        if fault == Some(Injected::LostAnswer) {
            return Err(ConnectorError::uncertain(
                "connection dropped after sending the document",
            ));
        }
        Ok(ErpDocumentRef {
            operation: operation.to_owned(),
            number,
        })
    }
    fn find(&self, operation: &str, reference: &str) -> Option<ErpDocumentRef> {
        lock(&self.documents)
            .iter()
            .find(|d| d.operation == operation && d.reference == reference)
            .map(|d| ErpDocumentRef {
                operation: d.operation.clone(),
                number: d.number.clone(),
            })
    }
}

#[async_trait]
impl ErpCatalog for MemoryErp {
    async fn product_groups(&self) -> ConnectorResult<Vec<ProductGroup>> {
        self.up()?;
        Ok(lock(&self.groups).clone())
    }
    async fn stock_levels(&self) -> ConnectorResult<Vec<StockLevel>> {
        self.up()?;
        Ok(lock(&self.stock).clone())
    }
    async fn promotions(&self) -> ConnectorResult<Vec<Promotion>> {
        self.up()?;
        Ok(lock(&self.promotions).clone())
    }
    async fn shipments_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Vec<Shipment>> {
        self.up()?;
        Ok(lock(&self.shipments)
            .iter()
            .filter(|(at, _)| since.is_none_or(|s| *at >= s))
            .map(|(_, s)| s.clone())
            .collect())
    }
}

#[async_trait]
impl ErpSales for MemoryErp {
    async fn find_customer(&self, customer: &Customer) -> ConnectorResult<Option<ErpCustomerNo>> {
        self.up()?;
        Ok(lock(&self.customers)
            .iter()
            .find(|(_, c)| {
                c.external_id == customer.external_id
                    || (customer.email.is_some() && c.email == customer.email)
                    || (customer.phone.is_some() && c.phone == customer.phone)
            })
            .map(|(n, _)| n.clone()))
    }
    async fn identify_customer(&self, customer: &Customer) -> ConnectorResult<CustomerIdentity> {
        self.up()?;
        let customers = lock(&self.customers);
        if let Some((number, _)) = customers
            .iter()
            .find(|(_, c)| c.external_id == customer.external_id)
        {
            return Ok(CustomerIdentity::Owned {
                number: number.clone(),
            });
        }
        let link_by = lock(&self.link_by).clone();
        let keys = [("phone", &customer.phone), ("email", &customer.email)];
        for (by, key) in keys {
            let Some(key) = key else { continue };
            let numbers: Vec<ErpCustomerNo> = customers
                .iter()
                .filter(|(_, c)| {
                    let theirs = if by == "phone" { &c.phone } else { &c.email };
                    theirs.as_ref() == Some(key)
                })
                .map(|(n, _)| n.clone())
                .collect();
            if numbers.is_empty() {
                continue;
            }
            if numbers.len() == 1 && link_by.iter().any(|k| k == by) {
                return Ok(CustomerIdentity::Linked {
                    number: numbers[0].clone(),
                    by: by.to_owned(),
                });
            }
            return Ok(CustomerIdentity::Unverified {
                matches: Some(ContactMatch {
                    by: by.to_owned(),
                    numbers,
                }),
            });
        }
        Ok(CustomerIdentity::Unverified { matches: None })
    }
    async fn upsert_customer(
        &self,
        customer: &Customer,
        existing: Option<&ErpCustomerNo>,
    ) -> ConnectorResult<ErpCustomerNo> {
        self.up()?;
        let mut customers = lock(&self.customers);
        if let Some(number) = existing
            && let Some(slot) = customers.iter_mut().find(|(n, _)| n == number)
        {
            slot.1 = customer.clone();
            return Ok(number.clone());
        }
        let number = ErpCustomerNo::new(format!("C{}", customers.len() + 1));
        customers.push((number.clone(), customer.clone()));
        Ok(number)
    }
    async fn find_sales_document(&self, order: &Order) -> ConnectorResult<Option<ErpDocumentRef>> {
        self.up()?;
        Ok(self.find("SALINV", order.external_id.as_str()))
    }
    async fn create_sales_document(
        &self,
        order: &Order,
        customer: Option<&ErpCustomerNo>,
    ) -> ConnectorResult<ErpDocumentRef> {
        self.up()?;
        if order.lines.is_empty() {
            return Err(ConnectorError::permanent(format!(
                "order {}: a sales document needs at least one line",
                order.name
            )));
        }
        for line in &order.lines {
            match &line.sku {
                Some(sku) if self.knows(sku) => {}
                Some(sku) => {
                    return Err(ConnectorError::needs_mapping(
                        format!("sku:{sku}"),
                        format!("order {}: SKU {sku} is not an ERP item", order.name),
                    ));
                }
                None => {
                    return Err(ConnectorError::permanent(format!(
                        "order {}: line {} has no SKU",
                        order.name, line.line_id
                    )));
                }
            }
        }
        let saved = self.save("SALINV", order.external_id.as_str(), order.total);
        if self.find("SALINV", order.external_id.as_str()).is_some() {
            lock(&self.bookings).push((order.external_id.clone(), customer.cloned()));
        }
        saved
    }
    async fn cancel_sales_document(&self, document: &ErpDocumentRef) -> ConnectorResult<()> {
        self.up()?;
        let mut documents = lock(&self.documents);
        let doc = documents
            .iter_mut()
            .find(|d| d.operation == document.operation && d.number == document.number)
            .ok_or_else(|| ConnectorError::permanent("no such document"))?;
        doc.cancelled = true;
        Ok(())
    }
    async fn find_return(
        &self,
        _order: &Order,
        refund: &Refund,
    ) -> ConnectorResult<Option<ErpDocumentRef>> {
        self.up()?;
        Ok(self.find("SALRET", refund.external_id.as_str()))
    }
    async fn create_return(
        &self,
        _order: &Order,
        refund: &Refund,
        _sale: &ErpDocumentRef,
    ) -> ConnectorResult<ErpDocumentRef> {
        self.up()?;
        self.save("SALRET", refund.external_id.as_str(), refund.total)
    }
    async fn record_receipt(
        &self,
        document: &ErpDocumentRef,
        receipt: &ReceiptRef,
    ) -> ConnectorResult<()> {
        self.up()?;
        let mut documents = lock(&self.documents);
        if let Some(doc) = documents
            .iter_mut()
            .find(|d| d.operation == document.operation && d.number == document.number)
        {
            doc.receipt = Some(receipt.clone());
        }
        Ok(())
    }
}

/// Counts of the writes an in-memory storefront received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorefrontCalls {
    /// Product upserts.
    pub upserts: u64,
    /// Price writes (calls).
    pub price_calls: u64,
    /// Stock writes (calls).
    pub stock_calls: u64,
    /// Status changes.
    pub status_calls: u64,
    /// Promotion writes.
    pub promotion_calls: u64,
    /// Fulfilments.
    pub fulfillments: u64,
    /// Orders read whole, by id ([`StorefrontOrders::order`]).
    pub order_reads: u64,
    /// Customers read whole, by id ([`StorefrontOrders::customer`]).
    pub customer_reads: u64,
}

/// An in-memory storefront.
#[derive(Debug, Default)]
pub struct MemoryStorefront {
    products: Mutex<BTreeMap<String, (ProductGroup, RemoteProduct)>>,
    stock: Mutex<HashMap<(InventoryItemId, LocationId), i64>>,
    orders: Mutex<Vec<Order>>,
    customers: Mutex<Vec<Customer>>,
    calls: Mutex<StorefrontCalls>,
    locations: Vec<Location>,
    used_keys: Mutex<HashMap<IdempotencyKey, ()>>,
}

impl MemoryStorefront {
    /// A storefront with the given locations.
    pub fn new(locations: Vec<Location>) -> Self {
        MemoryStorefront {
            locations,
            ..Self::default()
        }
    }
    /// Adds or replaces an order (by id).
    pub fn put_order(&self, order: Order) {
        let mut orders = lock(&self.orders);
        orders.retain(|o| o.external_id != order.external_id);
        orders.push(order);
        orders.sort_by_key(|o| o.updated_at);
    }
    /// Adds or replaces a customer.
    pub fn put_customer(&self, customer: Customer) {
        let mut customers = lock(&self.customers);
        customers.retain(|c| c.external_id != customer.external_id);
        customers.push(customer);
        customers.sort_by_key(|c| c.updated_at);
    }
    /// The write counters.
    pub fn calls(&self) -> StorefrontCalls {
        lock(&self.calls).clone()
    }
    /// Products by group code.
    pub fn products(&self) -> BTreeMap<String, (ProductGroup, RemoteProduct)> {
        lock(&self.products).clone()
    }
    /// The stock of an inventory item at a location.
    pub fn stock_of(
        &self,
        inventory_item_id: &InventoryItemId,
        location_id: &LocationId,
    ) -> Option<i64> {
        lock(&self.stock)
            .get(&(inventory_item_id.clone(), location_id.clone()))
            .copied()
    }
    /// Sets stock behind the engine's back (to create drift).
    pub fn force_stock(
        &self,
        inventory_item_id: &InventoryItemId,
        location_id: &LocationId,
        quantity: i64,
    ) {
        lock(&self.stock).insert((inventory_item_id.clone(), location_id.clone()), quantity);
    }
    /// Adds a product that exists before the engine first runs (to test linking by SKU).
    pub fn preexisting(&self, group: ProductGroup) -> RemoteProduct {
        let remote = Self::remote_for(
            &group,
            &ProductId::new(format!("gid://memory/Product/pre-{}", group.code)),
        );
        lock(&self.products).insert(group.code.clone(), (group, remote.clone()));
        remote
    }
    fn remote_for(group: &ProductGroup, product_id: &ProductId) -> RemoteProduct {
        RemoteProduct {
            product_id: product_id.clone(),
            variants: group
                .variants
                .iter()
                .map(|v| {
                    (
                        v.sku.clone(),
                        RemoteVariant {
                            product_id: product_id.clone(),
                            variant_id: format!("{product_id}/v/{}", v.sku).into(),
                            inventory_item_id: format!("{product_id}/i/{}", v.sku).into(),
                        },
                    )
                })
                .collect(),
        }
    }
    fn page<T: Clone>(items: Vec<T>, cursor: Option<String>) -> Page<T, String> {
        let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let end = (start + 50).min(items.len());
        let next = (end < items.len()).then(|| end.to_string());
        Page::new(items[start.min(end)..end].to_vec(), next)
    }
}

#[async_trait]
impl StorefrontCatalog for MemoryStorefront {
    async fn locations(&self) -> ConnectorResult<Vec<Location>> {
        Ok(self.locations.clone())
    }
    async fn find_variants(&self, skus: &[Sku]) -> ConnectorResult<HashMap<Sku, RemoteVariant>> {
        let products = lock(&self.products);
        let mut found = HashMap::new();
        for (_, remote) in products.values() {
            for (sku, variant) in &remote.variants {
                if skus.contains(sku) {
                    found.insert(sku.clone(), variant.clone());
                }
            }
        }
        Ok(found)
    }
    async fn upsert_product(
        &self,
        group: &ProductGroup,
        existing: Option<&ProductId>,
        new: &NewVariants,
    ) -> ConnectorResult<RemoteProduct> {
        lock(&self.calls).upserts += 1;
        let mut products = lock(&self.products);
        let existing_key = existing.and_then(|id| {
            products
                .iter()
                .find(|(_, (_, r))| &r.product_id == id)
                .map(|(k, _)| k.clone())
        });
        let product_id = match existing_key
            .as_ref()
            .or_else(|| products.contains_key(&group.code).then_some(&group.code))
        {
            Some(key) => {
                let id = products[key].1.product_id.clone();
                products.remove(key);
                id
            }
            None => ProductId::new(format!("gid://memory/Product/{}", group.code)),
        };
        let remote = Self::remote_for(group, &product_id);
        products.insert(group.code.clone(), (group.clone(), remote.clone()));
        drop(products);
        let mut stock = lock(&self.stock);
        for sku in &new.skus {
            if let Some(variant) = remote.variants.get(sku) {
                // As on Shopify, quantities given for a variant that exists overwrite its
                // stock: the engine must name only new variants.
                for location in &new.locations {
                    stock.insert((variant.inventory_item_id.clone(), location.clone()), 0);
                }
            }
        }
        Ok(remote)
    }
    async fn set_status(
        &self,
        product_id: &ProductId,
        status: ProductStatus,
    ) -> ConnectorResult<()> {
        lock(&self.calls).status_calls += 1;
        let mut products = lock(&self.products);
        let product = products
            .values_mut()
            .find(|(_, r)| &r.product_id == product_id)
            .ok_or_else(|| ConnectorError::permanent(format!("no product {product_id}")))?;
        product.0.status = status;
        Ok(())
    }
    async fn set_prices(&self, changes: &[(RemoteVariant, PriceChange)]) -> ConnectorResult<()> {
        lock(&self.calls).price_calls += 1;
        let mut products = lock(&self.products);
        for (_, change) in changes {
            for (group, _) in products.values_mut() {
                for v in group.variants.iter_mut().filter(|v| v.sku == change.sku) {
                    v.price = change.price;
                    v.compare_at_price = change.compare_at_price;
                }
            }
        }
        Ok(())
    }
    async fn set_stock(
        &self,
        writes: &[StockWrite],
        idempotency_key: &IdempotencyKey,
    ) -> ConnectorResult<()> {
        lock(&self.calls).stock_calls += 1;
        if lock(&self.used_keys)
            .insert(idempotency_key.clone(), ())
            .is_some()
        {
            return Ok(());
        }
        let mut stock = lock(&self.stock);
        for w in writes {
            stock.insert(
                (w.inventory_item_id.clone(), w.location_id.clone()),
                w.quantity,
            );
        }
        Ok(())
    }
    async fn read_stock(
        &self,
        variants: &[(Sku, RemoteVariant)],
    ) -> ConnectorResult<Vec<RemoteStock>> {
        let stock = lock(&self.stock);
        let mut out = Vec::new();
        for (sku, v) in variants {
            for location in &self.locations {
                if let Some(q) = stock.get(&(v.inventory_item_id.clone(), location.id.clone())) {
                    out.push(RemoteStock {
                        sku: sku.clone(),
                        inventory_item_id: v.inventory_item_id.clone(),
                        location_id: location.id.clone(),
                        available: *q,
                    });
                }
            }
        }
        Ok(out)
    }
    async fn upsert_promotion(
        &self,
        promotion: &Promotion,
        _variants: &[RemoteVariant],
        existing: Option<&PromotionId>,
    ) -> ConnectorResult<PromotionId> {
        lock(&self.calls).promotion_calls += 1;
        Ok(existing.map_or_else(
            || PromotionId::new(format!("gid://memory/Discount/{}", promotion.code)),
            PromotionId::clone,
        ))
    }
    async fn create_fulfillment(&self, _shipment: &Shipment) -> ConnectorResult<()> {
        lock(&self.calls).fulfillments += 1;
        Ok(())
    }
}

#[async_trait]
impl StorefrontOrders for MemoryStorefront {
    async fn orders_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Order, String>> {
        let items: Vec<Order> = lock(&self.orders)
            .iter()
            .filter(|o| since.is_none_or(|s| o.updated_at >= s))
            .cloned()
            .collect();
        Ok(Self::page(items, cursor))
    }
    async fn order_changes_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change<OrderId>, String>> {
        let items: Vec<Change<OrderId>> = lock(&self.orders)
            .iter()
            .filter(|o| since.is_none_or(|s| o.updated_at >= s))
            .map(|o| Change {
                external_id: o.external_id.clone(),
                updated_at: o.updated_at,
            })
            .collect();
        Ok(Self::page(items, cursor))
    }
    async fn count_order_changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        Ok(Some(
            lock(&self.orders)
                .iter()
                .filter(|o| since.is_none_or(|s| o.updated_at >= s))
                .count() as u64,
        ))
    }
    async fn order(&self, id: &OrderId) -> ConnectorResult<Option<Order>> {
        lock(&self.calls).order_reads += 1;
        Ok(lock(&self.orders)
            .iter()
            .find(|o| &o.external_id == id)
            .cloned())
    }
    async fn customer_changes_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change<CustomerId>, String>> {
        let items: Vec<Change<CustomerId>> = lock(&self.customers)
            .iter()
            .filter(|c| since.is_none_or(|s| c.updated_at >= s))
            .map(|c| Change {
                external_id: c.external_id.clone(),
                updated_at: c.updated_at,
            })
            .collect();
        Ok(Self::page(items, cursor))
    }
    async fn count_customer_changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        Ok(Some(
            lock(&self.customers)
                .iter()
                .filter(|c| since.is_none_or(|s| c.updated_at >= s))
                .count() as u64,
        ))
    }
    /// The customers changed since `since`, whole, as they are when the export is read
    /// (no read by id: [`StorefrontCalls::customer_reads`] does not move).
    async fn customer_export(
        &self,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<crate::connector::CustomerStream<'_>>> {
        use futures::StreamExt;
        if id != crate::connector::PAGED_EXPORT {
            return Ok(None);
        }
        let customers: Vec<ConnectorResult<ExportedCustomer<'_>>> = lock(&self.customers)
            .iter()
            .filter(|c| since.is_none_or(|s| c.updated_at >= s))
            .map(|c| Ok(ExportedCustomer::ready(c.clone())))
            .collect();
        Ok(Some(futures::stream::iter(customers).boxed()))
    }
    async fn customer(&self, id: &CustomerId) -> ConnectorResult<Option<Customer>> {
        lock(&self.calls).customer_reads += 1;
        Ok(lock(&self.customers)
            .iter()
            .find(|c| &c.external_id == id)
            .cloned())
    }
}
