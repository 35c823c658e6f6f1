//! The adapter: sync-core's ERP traits ([`ErpCatalog`], [`ErpSales`]) on top of
//! [`FlowClient`].
//!
//! - Catalogue: `GETITM`, `GetGroup/ITM`, `GETBAL` and (when configured) `GETPRCLST`, mapped
//!   by [`crate::catalog::map_catalog`] to [`ProductGroup`]s.
//! - Stock: `GETBAL` of each configured store, per SKU, whole units (negative balances count
//!   as zero).
//! - Customers: matched by phone or e-mail (the name only when the customer has neither, and
//!   only when exactly one ERP customer carries it); an ambiguous match is parked as a
//!   `customer:<id>` mapping. Saved with `ADDCON`, exactly once.
//! - Sales documents: the web-order operation, reference = `adapter.reference_prefix` + the
//!   Shopify order name, saved
//!   exactly once (see [`FlowClient::save_document_exactly_once`]); an unknown SKU is parked
//!   as a `sku:<code>` mapping.
//! - Cancellations: soft delete (`DELPOS`), or a cancellation document, as configured.
//! - Returns: the refund operation, reference `<order name>/R<refund number>`, with the sale
//!   as source document when the operation requires one.
//! - Receipt status: Flow has no confirmed place for it in what is public, so
//!   [`ErpSales::record_receipt`] keeps its default (nothing is written).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use rust_decimal::Decimal;
use sync_core::connector::{
    ConnectorError, ConnectorResult, ContactMatch, CustomerIdentity, ErpCatalog, ErpSales,
};
use sync_core::model::{
    self, ErpCustomerNo, ErpDocumentRef, FinancialStatus, Image, Order, ProductGroup,
    ProductStatus, Refund, Sku, StockLevel, Variant,
};
use tokio::sync::RwLock;

use crate::catalog::{ImageRef, ItemStatus, item_sku, map_catalog, stock_by_sku};
use crate::client::FlowClient;
use crate::config::{Cancellation, LinkKey};
use crate::customers::{CustomerIndex, CustomerQuery, CustomerRecord, MatchedBy};
use crate::documents::{DocumentLine, Party, PaymentKind, SalesDocument};
use crate::error::Error;
use crate::reads::Item;

mod returns;

fn connector(error: Error) -> ConnectorError {
    ConnectorError::from_client(error)
}

/// Where a SKU points in Flow: the item and, for split items, the colour and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuTarget {
    /// `ITNO`.
    pub item: String,
    /// The colour.
    pub colour: Option<String>,
    /// The size.
    pub size: Option<String>,
}

/// SKU → item lookup built from the item master.
#[derive(Debug, Default)]
struct SkuIndex {
    bases: HashMap<String, Item>,
    separator: String,
    split: bool,
}

impl SkuIndex {
    fn build(client: &FlowClient, items: Vec<Item>) -> Self {
        let mapping = &client.config().catalog;
        SkuIndex {
            bases: items
                .into_iter()
                .map(|item| (item_sku(mapping, &item), item))
                .collect(),
            separator: mapping.sku_separator.clone(),
            split: mapping.split_colour_size,
        }
    }

    fn resolve(&self, sku: &str) -> Option<SkuTarget> {
        if let Some(item) = self.bases.get(sku) {
            return Some(SkuTarget {
                item: item.number.clone(),
                colour: None,
                size: None,
            });
        }
        if !self.split || self.separator.is_empty() {
            return None;
        }
        // The longest item SKU that prefixes this SKU, followed by the separator.
        let (base, item) = self
            .bases
            .iter()
            .filter(|(base, item)| {
                (item.has_colours || item.has_sizes)
                    && sku.len() > base.len() + self.separator.len()
                    && sku.starts_with(base.as_str())
                    && sku[base.len()..].starts_with(&self.separator)
            })
            .max_by_key(|(base, _)| base.len())?;
        let rest = &sku[base.len() + self.separator.len()..];
        let (colour, size) = match (item.has_colours, item.has_sizes) {
            (true, true) => match rest.split_once(&self.separator) {
                Some((c, s)) => (Some(c.to_owned()), Some(s.to_owned())),
                None => (Some(rest.to_owned()), None),
            },
            (true, false) => (Some(rest.to_owned()), None),
            _ => (None, Some(rest.to_owned())),
        };
        Some(SkuTarget {
            item: item.number.clone(),
            colour,
            size,
        })
    }
}

/// sync-core's ERP connector for Flow.
///
/// ```no_run
/// use std::sync::Arc;
/// use flow_erp_client::{FlowClient, FlowConfig, adapter::FlowErp};
/// use sync_core::connector::ErpCatalog;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let flow = FlowClient::builder(FlowConfig::from_toml_file("flow.toml")?).build()?;
/// let erp = Arc::new(FlowErp::new(flow));
/// let groups = erp.product_groups().await?;
/// println!("{} products", groups.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FlowErp {
    client: FlowClient,
    index: Arc<RwLock<Option<Arc<SkuIndex>>>>,
    customers: Arc<RwLock<Option<CustomerCache>>>,
}

/// The matching keys of the customer list, and when it was read.
#[derive(Debug)]
struct CustomerCache {
    read_at: tokio::time::Instant,
    index: CustomerIndex,
}

impl FlowErp {
    /// An adapter over `client`.
    pub fn new(client: FlowClient) -> Self {
        FlowErp {
            client,
            index: Arc::new(RwLock::new(None)),
            customers: Arc::new(RwLock::new(None)),
        }
    }

    /// Finds the customers matching `query` in the index of Flow's customers, read at most
    /// once per `adapter.customer_cache_secs` (`GETCON` returns the whole list, of which only
    /// the matching keys are kept); a save adds or updates the saved customer in the index,
    /// and a failed save drops it.
    ///
    /// One look-up reads the list when the index is stale; the others wait for it instead of
    /// each reading the whole list too, and the stale index is dropped before the new one is
    /// built, so two never live at once.
    async fn match_customer(
        &self,
        query: &CustomerQuery,
    ) -> ConnectorResult<Option<(MatchedBy, Vec<String>)>> {
        self.with_customers(|index| index.find(query)).await
    }

    /// Runs `find` on the index of Flow's customers (see [`match_customer`](Self::match_customer)).
    async fn with_customers<R>(&self, find: impl Fn(&CustomerIndex) -> R) -> ConnectorResult<R> {
        let ttl = Duration::from_secs(self.client.config().adapter.customer_cache_secs);
        let fresh = |cache: &CustomerCache| {
            let now = self.client.inner.frame.clock().instant();
            now.saturating_duration_since(cache.read_at) < ttl
        };
        let find = |cache: &CustomerCache| find(&cache.index);
        if let Some(cache) = self.customers.read().await.as_ref()
            && fresh(cache)
        {
            return Ok(find(cache));
        }
        let mut cache = self.customers.write().await;
        if let Some(current) = cache.as_ref()
            && fresh(current)
        {
            // Another look-up read the list while this one waited.
            return Ok(find(current));
        }
        *cache = None;
        let read_at = self.client.inner.frame.clock().instant();
        let refreshed = CustomerCache {
            read_at,
            index: self.client.customer_index().await.map_err(connector)?,
        };
        let found = find(&refreshed);
        *cache = Some(refreshed);
        Ok(found)
    }

    /// The client underneath.
    pub fn client(&self) -> &FlowClient {
        &self.client
    }

    async fn load_index(&self) -> ConnectorResult<Arc<SkuIndex>> {
        let items = self.client.items().await.map_err(connector)?;
        let index = Arc::new(SkuIndex::build(&self.client, items));
        *self.index.write().await = Some(index.clone());
        Ok(index)
    }

    /// Resolves a SKU to its Flow item; the item master is re-read once when the SKU is
    /// unknown.
    ///
    /// # Errors
    ///
    /// A `sku:<code>` mapping error when Flow has no such item; client errors as they come.
    pub async fn resolve_sku(&self, sku: &str) -> ConnectorResult<SkuTarget> {
        let cached = self.index.read().await.clone();
        let index = match cached {
            Some(index) => index,
            None => self.load_index().await?,
        };
        if let Some(target) = index.resolve(sku) {
            return Ok(target);
        }
        let fresh = self.load_index().await?;
        fresh.resolve(sku).ok_or_else(|| {
            ConnectorError::needs_mapping(
                format!("sku:{sku}"),
                format!("SKU {sku} is not a Flow item"),
            )
        })
    }

    fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        let hours = self.client.config().adapter.utc_offset_hours;
        let offset = FixedOffset::east_opt(hours * 3600).unwrap_or_else(|| Utc.fix());
        at.with_timezone(&offset).date_naive()
    }

    /// Converts an amount from the order's tax basis to Flow's.
    fn to_erp_basis(&self, amount: Decimal, taxes_included: bool, rate: Decimal) -> Decimal {
        let erp_included = self.client.config().adapter.erp_prices_include_vat;
        let converted = match (taxes_included, erp_included) {
            (true, false) => amount / (Decimal::ONE + rate),
            (false, true) => amount * (Decimal::ONE + rate),
            _ => amount,
        };
        converted.round_dp(4)
    }

    fn discount_field(&self, discount: Decimal, gross: Decimal) -> Decimal {
        if self.client.config().documents.line_discount_is_percent {
            if gross.is_zero() {
                Decimal::ZERO
            } else {
                (discount / gross * Decimal::ONE_HUNDRED).round_dp(4)
            }
        } else {
            discount
        }
    }

    fn party(&self, order: &Order, number: String) -> Party {
        let customer = order.customer.as_ref();
        let address = order
            .shipping_address
            .as_ref()
            .or(order.billing_address.as_ref());
        Party {
            number,
            name: customer
                .map(model::Customer::display_name)
                .filter(|n| !n.is_empty())
                .or_else(|| address.and_then(|a| a.name.clone())),
            phone: order
                .phone
                .clone()
                .or_else(|| customer.and_then(|c| c.phone.clone()))
                .or_else(|| address.and_then(|a| a.phone.clone())),
            email: order
                .email
                .clone()
                .or_else(|| customer.and_then(|c| c.email.clone())),
            address: address.map(format_address).filter(|a| !a.is_empty()),
        }
    }

    fn customer_number(&self, customer: Option<&ErpCustomerNo>) -> ConnectorResult<String> {
        customer
            .map(|number| number.as_str().to_owned())
            .or_else(|| self.client.config().adapter.walk_in_customer.clone())
            .ok_or_else(|| {
                ConnectorError::needs_mapping(
                    "customer:walk-in",
                    "the order has no customer and adapter.walk_in_customer is not set",
                )
            })
    }

    /// The reference of an order's document: `adapter.reference_prefix` + the order name.
    pub fn order_reference(&self, order: &Order) -> String {
        format!(
            "{}{}",
            self.client.config().adapter.reference_prefix,
            order.name
        )
    }

    /// The reference of a refund's return document: the order's reference, then
    /// `adapter.return_reference_infix` and the refund's number.
    pub fn return_reference(&self, order: &Order, refund: &Refund) -> String {
        let tail = refund
            .external_id
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or(refund.external_id.as_str());
        format!(
            "{}{}{}",
            self.order_reference(order),
            self.client.config().adapter.return_reference_infix,
            tail
        )
    }

    async fn find_by_reference(
        &self,
        op: &str,
        reference: &str,
    ) -> ConnectorResult<Option<ErpDocumentRef>> {
        let headers = self
            .client
            .find_documents_by_reference(op, reference)
            .await
            .map_err(connector)?;
        Ok(headers
            .iter()
            .find(|h| !h.is_deleted())
            .or_else(|| headers.first())
            .map(|h| ErpDocumentRef {
                operation: h.op.clone(),
                number: h.number.as_str().into(),
            }))
    }

    async fn save(&self, doc: &SalesDocument) -> ConnectorResult<ErpDocumentRef> {
        let outcome = self
            .client
            .save_document_exactly_once(doc)
            .await
            .map_err(connector)?;
        let saved = outcome.document();
        Ok(ErpDocumentRef {
            operation: saved.op.clone(),
            number: saved.docno.as_str().into(),
        })
    }

    /// Builds the web-order document of `order` (nothing is sent).
    ///
    /// # Errors
    ///
    /// A mapping error for an unknown SKU or a missing customer; a permanent error for a line
    /// without SKU or an order without lines.
    pub async fn sales_document(
        &self,
        order: &Order,
        customer: Option<&ErpCustomerNo>,
    ) -> ConnectorResult<SalesDocument> {
        if order.lines.is_empty() {
            return Err(ConnectorError::permanent(format!(
                "order {}: a sales document needs at least one line",
                order.name
            )));
        }
        let config = self.client.config();
        let mut doc = SalesDocument::new(
            config.operations.web_order.clone(),
            self.order_reference(order),
            self.date_of(order.created_at),
            self.party(order, self.customer_number(customer)?),
        );
        for line in &order.lines {
            let Some(sku) = &line.sku else {
                return Err(ConnectorError::permanent(format!(
                    "order {}: line {} ({}) has no SKU",
                    order.name, line.line_id, line.title
                )));
            };
            let target = self.resolve_sku(sku.as_str()).await?;
            let rate: Decimal = line.tax_lines.iter().map(|t| t.rate).sum();
            let price = self.to_erp_basis(line.unit_price, order.taxes_included, rate);
            let discount = self.to_erp_basis(line.discount, order.taxes_included, rate);
            let mut l = DocumentLine::new(target.item, line.quantity, price);
            l.description = Some(line.title.clone());
            l.discount = self.discount_field(discount, line.quantity * price);
            l.vat_percent = (rate * Decimal::ONE_HUNDRED).normalize();
            l.colour = target.colour;
            l.size = target.size;
            doc.lines.push(l);
        }
        doc.shipping = order
            .shipping_lines
            .iter()
            .map(|s| s.price - s.discount)
            .sum();
        doc.payment = Some(match order.financial_status {
            FinancialStatus::Pending => PaymentKind::Credit,
            _ => PaymentKind::Cash,
        });
        doc.remark = Some(format!("Shopify {}", order.name));
        Ok(doc)
    }
}

fn format_address(a: &model::Address) -> String {
    [
        &a.line1,
        &a.line2,
        &a.city,
        &a.province,
        &a.zip,
        &a.country_code,
    ]
    .into_iter()
    .flatten()
    .map(|s| s.trim())
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

fn whole_units(quantity: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    quantity.trunc().to_i64().unwrap_or(0).max(0)
}

#[async_trait]
impl ErpCatalog for FlowErp {
    async fn product_groups(&self) -> ConnectorResult<Vec<ProductGroup>> {
        let config = self.client.config();
        let items = self.client.items().await.map_err(connector)?;
        let groups = self.client.item_groups().await.map_err(connector)?;
        let balances = self
            .client
            .balances(config.tenant.company, config.tenant.store)
            .await
            .map_err(connector)?;
        let price_lists = if config.catalog.price_list.is_some()
            || config.catalog.compare_at_price_list.is_some()
        {
            self.client.price_lists().await.map_err(connector)?
        } else {
            Vec::new()
        };
        *self.index.write().await = Some(Arc::new(SkuIndex::build(&self.client, items.clone())));
        let products = map_catalog(config, &items, &groups, &balances, &price_lists);
        let mut out = Vec::with_capacity(products.len());
        for product in products {
            let variants: Vec<_> = product
                .variants
                .into_iter()
                .filter(|v| {
                    // The credit's service item books credits; it is not for sale.
                    if config.adapter.credit_item.as_deref() == Some(v.sku.as_str()) {
                        return false;
                    }
                    if v.price.is_none() {
                        tracing::warn!(sku = %v.sku, "flow item without a price skipped");
                    }
                    v.price.is_some()
                })
                .collect();
            if variants.is_empty() {
                continue;
            }
            // Option values must tell the variants apart: colour and size when they do,
            // otherwise an "Item" option too (the title when unique, else the SKU).
            let with_colour = variants.iter().any(|v| v.colour.is_some());
            let with_size = variants.iter().any(|v| v.size.is_some());
            let mut seen = HashSet::new();
            let with_item = !variants
                .iter()
                .all(|v| seen.insert((v.colour.clone(), v.size.clone())));
            let mut seen = HashSet::new();
            let titles_unique = variants
                .iter()
                .all(|v| seen.insert((v.title.clone(), v.colour.clone(), v.size.clone())));
            let mut options = Vec::new();
            if with_item {
                options.push("Item".to_owned());
            }
            if with_colour {
                options.push("Color".to_owned());
            }
            if with_size {
                options.push("Size".to_owned());
            }
            let mut images: Vec<Image> = Vec::new();
            let mut model_variants = Vec::with_capacity(variants.len());
            for v in variants {
                let mut values = Vec::new();
                if with_item {
                    values.push(match &v.title {
                        Some(title) if titles_unique => title.clone(),
                        _ => v.sku.clone(),
                    });
                }
                if with_colour {
                    values.push(v.colour.clone().unwrap_or_else(|| "-".to_owned()));
                }
                if with_size {
                    values.push(v.size.clone().unwrap_or_else(|| "-".to_owned()));
                }
                if let Some(image) = &v.image {
                    let source = match image {
                        ImageRef::File(path) => path.display().to_string(),
                        ImageRef::Url(url) => url.clone(),
                    };
                    if !images.iter().any(|i| i.source == source) {
                        images.push(Image {
                            source,
                            alt: v.title.clone(),
                            option_value: v.colour.clone(),
                        });
                    }
                }
                model_variants.push(Variant {
                    sku: Sku::new(v.sku),
                    item_code: v.item,
                    option_values: values,
                    barcode: None,
                    weight_kg: None,
                    price: v.price.unwrap_or_default(),
                    compare_at_price: v.compare_at_price,
                    taxable: v.vat_percent.is_some_and(|p| p > Decimal::ZERO),
                });
            }
            out.push(ProductGroup {
                code: product.key,
                title: product.title,
                description: product.description.unwrap_or_default(),
                vendor: None,
                product_type: None,
                status: match product.status {
                    ItemStatus::Active => ProductStatus::Active,
                    ItemStatus::Hold => ProductStatus::Held,
                },
                options,
                variants: model_variants,
                images,
            });
        }
        Ok(out)
    }

    async fn stock_levels(&self) -> ConnectorResult<Vec<StockLevel>> {
        let config = self.client.config();
        let items = self.client.items().await.map_err(connector)?;
        let stores = if config.adapter.stock_stores.is_empty() {
            vec![config.tenant.store]
        } else {
            config.adapter.stock_stores.clone()
        };
        let mut out = Vec::new();
        for store in stores {
            let balances = self
                .client
                .balances(config.tenant.company, store)
                .await
                .map_err(connector)?;
            for (sku, quantity) in stock_by_sku(config, &items, &balances) {
                out.push(StockLevel {
                    sku: Sku::new(sku),
                    store: store.to_string(),
                    quantity: whole_units(quantity),
                });
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl ErpSales for FlowErp {
    async fn find_customer(
        &self,
        customer: &model::Customer,
    ) -> ConnectorResult<Option<ErpCustomerNo>> {
        let phone = customer
            .phone
            .clone()
            .or_else(|| customer.addresses.iter().find_map(|a| a.phone.clone()));
        let name = customer.display_name();
        let query = CustomerQuery {
            name: (phone.is_none() && customer.email.is_none() && !name.is_empty()).then_some(name),
            phone,
            email: customer.email.clone(),
        };
        match self.match_customer(&query).await? {
            None => Ok(None),
            Some((_, numbers)) if numbers.len() == 1 => {
                Ok(numbers.into_iter().next().map(ErpCustomerNo::from))
            }
            Some((by, numbers)) => Err(ConnectorError::needs_mapping(
                format!("customer:{}", customer.external_id),
                format!(
                    "{} Flow customers match by {:?}: {}",
                    numbers.len(),
                    by,
                    numbers.join(", ")
                ),
            )),
        }
    }

    /// The Flow customer carrying the Shopify id in `customers.reference_field` is the
    /// connector's own. Otherwise a phone or e-mail match links only by a key in
    /// `customers.link_by` and only when one customer carries it; any other match (a name, an
    /// ambiguous or unlisted key) is reported, never linked.
    async fn identify_customer(
        &self,
        customer: &model::Customer,
    ) -> ConnectorResult<CustomerIdentity> {
        let config = &self.client.config().customers;
        let phone = customer
            .phone
            .clone()
            .or_else(|| customer.addresses.iter().find_map(|a| a.phone.clone()));
        let query = CustomerQuery {
            name: None,
            phone,
            email: customer.email.clone(),
        };
        let reference = customer.external_id.as_str();
        let (owned, matched) = self
            .with_customers(|index| {
                let owned = (!config.reference_field.is_empty())
                    .then(|| index.find_reference(reference))
                    .flatten();
                (owned, index.find(&query))
            })
            .await?;
        // Several carrying it (an operator copied a customer): the first listed.
        if let Some(number) = owned.and_then(|numbers| numbers.into_iter().next()) {
            return Ok(CustomerIdentity::Owned {
                number: number.into(),
            });
        }
        let Some((by, numbers)) = matched else {
            return Ok(CustomerIdentity::Unverified { matches: None });
        };
        let key = match by {
            MatchedBy::Phone => Some(LinkKey::Phone),
            MatchedBy::Email => Some(LinkKey::Email),
            MatchedBy::Name => None,
        };
        let by = format!("{by:?}").to_ascii_lowercase();
        if numbers.len() == 1 && key.is_some_and(|key| config.link_by.contains(&key)) {
            return Ok(CustomerIdentity::Linked {
                number: numbers[0].as_str().into(),
                by,
            });
        }
        let numbers = numbers.into_iter().map(ErpCustomerNo::from).collect();
        Ok(CustomerIdentity::Unverified {
            matches: Some(ContactMatch { by, numbers }),
        })
    }

    async fn upsert_customer(
        &self,
        customer: &model::Customer,
        existing: Option<&ErpCustomerNo>,
    ) -> ConnectorResult<ErpCustomerNo> {
        let address = customer.addresses.first();
        let name = Some(customer.display_name())
            .filter(|n| !n.is_empty())
            .or_else(|| customer.email.clone())
            .or_else(|| customer.phone.clone())
            .unwrap_or_else(|| format!("Shopify {}", customer.external_id));
        let record = CustomerRecord {
            number: existing.map(|number| number.as_str().to_owned()),
            name,
            foreign_name: None,
            phone: customer
                .phone
                .clone()
                .or_else(|| address.and_then(|a| a.phone.clone())),
            email: customer.email.clone(),
            address: address.map(format_address).filter(|a| !a.is_empty()),
            reference: Some(customer.external_id.to_string()),
        };
        let result = if existing.is_some() {
            self.client.save_customer(&record).await
        } else {
            self.client.save_customer_exactly_once(&record).await
        };
        let mut cache = self.customers.write().await;
        match (&result, cache.as_mut()) {
            // Saved: the cached list learns the customer, instead of being read again whole
            // (GETCON returns every customer, so re-reading after each save made a backfill
            // of new customers quadratic in their number).
            (Ok(number), Some(cached)) => {
                cached.index.insert(
                    number,
                    [Some(record.name.as_str()), record.foreign_name.as_deref()],
                    record.phone.as_deref(),
                    record.email.as_deref(),
                );
                cached
                    .index
                    .set_reference(number, customer.external_id.as_str());
            }
            // Not known to be saved (it may have been): read the list again next time.
            (Err(_), _) => *cache = None,
            (Ok(_), None) => {}
        }
        drop(cache);
        result.map(ErpCustomerNo::from).map_err(connector)
    }

    /// One `documents.reference_batch_sql` read per `documents.reference_batch` orders (one
    /// read per order when that SQL is empty).
    async fn find_sales_documents(
        &self,
        orders: &[Order],
    ) -> ConnectorResult<HashMap<model::OrderId, ErpDocumentRef>> {
        let config = self.client.config();
        let op = &config.operations.web_order;
        let mut found = HashMap::new();
        if config.documents.reference_batch_sql.is_empty() {
            for order in orders {
                if let Some(document) = self
                    .find_by_reference(op, &self.order_reference(order))
                    .await?
                {
                    found.insert(order.external_id.clone(), document);
                }
            }
            return Ok(found);
        }
        let references: Vec<String> = orders.iter().map(|o| self.order_reference(o)).collect();
        let mut unique = references.clone();
        unique.sort();
        unique.dedup();
        let headers = self
            .client
            .find_documents_by_references(op, &unique)
            .await
            .map_err(connector)?;
        for (order, reference) in orders.iter().zip(&references) {
            let Some(headers) = headers.get(reference) else {
                continue;
            };
            if let Some(h) = headers
                .iter()
                .find(|h| !h.is_deleted())
                .or_else(|| headers.first())
            {
                found.insert(
                    order.external_id.clone(),
                    ErpDocumentRef {
                        operation: h.op.clone(),
                        number: h.number.as_str().into(),
                    },
                );
            }
        }
        Ok(found)
    }

    async fn find_sales_document(&self, order: &Order) -> ConnectorResult<Option<ErpDocumentRef>> {
        let op = &self.client.config().operations.web_order;
        self.find_by_reference(op, &self.order_reference(order))
            .await
    }

    async fn create_sales_document(
        &self,
        order: &Order,
        customer: Option<&ErpCustomerNo>,
    ) -> ConnectorResult<ErpDocumentRef> {
        let doc = self.sales_document(order, customer).await?;
        self.save(&doc).await
    }

    async fn cancel_sales_document(&self, document: &ErpDocumentRef) -> ConnectorResult<()> {
        let config = self.client.config();
        let (company, store) = (config.tenant.company, config.tenant.store);
        match &config.operations.cancellation {
            Cancellation::SoftDelete => {
                self.client
                    .soft_delete_document(
                        &document.operation,
                        company,
                        store,
                        document.number.as_str(),
                    )
                    .await
                    .map_err(connector)?;
                Ok(())
            }
            Cancellation::Document { op } => {
                let original = self
                    .client
                    .document(
                        &document.operation,
                        company,
                        store,
                        document.number.as_str(),
                    )
                    .await
                    .map_err(connector)?;
                let header = &original.header;
                let reference = format!(
                    "{}{}",
                    header
                        .text(&config.documents.reference_field)
                        .unwrap_or_else(|| format!("{}/{}", document.operation, document.number)),
                    config.adapter.cancel_reference_suffix
                );
                if self.find_by_reference(op, &reference).await?.is_some() {
                    return Ok(());
                }
                let party = Party {
                    number: header.text("DISTNO").unwrap_or_default(),
                    name: header.text("DISTNA"),
                    ..Party::default()
                };
                let date = self.date_of(Utc::now());
                let mut doc = SalesDocument::new(op.clone(), reference, date, party);
                for line in &original.lines {
                    let (Some(item), Some(quantity)) = (line.text("ITNO"), line.decimal("QTY"))
                    else {
                        continue;
                    };
                    let mut l = DocumentLine::new(
                        item,
                        quantity,
                        line.decimal("ITPRICE").unwrap_or_default(),
                    );
                    l.discount = line.decimal("DISC1").unwrap_or_default();
                    l.vat_percent = line.decimal("SALTAX").unwrap_or_default();
                    doc.lines.push(l);
                }
                let op_config = self.client.operation_config(op).await.map_err(connector)?;
                if op_config.source_op.is_some() {
                    doc.source_document = Some(document.number.to_string());
                }
                self.save(&doc).await.map(|_| ())
            }
        }
    }

    async fn find_return(
        &self,
        order: &Order,
        refund: &Refund,
    ) -> ConnectorResult<Option<ErpDocumentRef>> {
        let config = self.client.config();
        let op = match &config.operations.credit {
            Some(credit) if !refund.returns_items() => credit,
            _ => &config.operations.refund,
        };
        self.find_by_reference(op, &self.return_reference(order, refund))
            .await
    }

    async fn create_return(
        &self,
        order: &Order,
        refund: &Refund,
        sale: &ErpDocumentRef,
    ) -> ConnectorResult<ErpDocumentRef> {
        let config = self.client.config();
        let (company, store) = (config.tenant.company, config.tenant.store);
        let sold = self
            .client
            .document(&sale.operation, company, store, sale.number.as_str())
            .await
            .map_err(connector)?;
        let customer = sold.header.text("DISTNO").map(ErpCustomerNo::from);
        let doc = self
            .return_document(order, refund, sale, customer.as_ref())
            .await?;
        self.save(&doc).await
    }
}

#[cfg(test)]
#[path = "adapter_tests.rs"]
mod tests;
