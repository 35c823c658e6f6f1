//! The storefront side of the sync engine: [`ShopifyStorefront`] implements
//! `sync_core::connector::{StorefrontCatalog, StorefrontOrders}` on top of
//! [`ShopifyClient`], mapping Shopify's shapes to and from the neutral model.
//!
//! The mapping rules (written down in the workspace's `docs/shopify.md`):
//!
//! - **Item group → product, item → variant.** The product is upserted with `productSet`,
//!   found by its id when known, otherwise by a unique metafield (`erp.item_group` by default)
//!   holding the group code; the metafield is written on every upsert. ERP attributes become
//!   product options in order, and each variant's option values follow that order. A group
//!   without options becomes Shopify's single `Title` / `Default Title` option.
//! - **Amounts** are the shop-currency (`shopMoney`) amounts, exact decimals. Prices are sent
//!   as the ERP gives them; whether they include VAT is the shop's `taxesIncluded` setting,
//!   and each order carries its own `taxes_included` flag. An order presented in another
//!   currency than the shop's also carries its lines, shipping lines, payments and total in
//!   that currency (`presentmentMoney`, in `Order::presentment`), for a receipt issued in it.
//! - **Buyer facts** (`Order::buyer`): the customer's tax id, tags and configured metafield,
//!   the order's custom attributes and a B2B order's company (see the `buyer` module).
//! - **Order lines**: `unit_price` is the original unit price; `discount` is the sum of the
//!   line's discount allocations, which already spread order-level discounts over the lines
//!   (Shopify allocates them). A 100 %-discounted line stays, with a discount equal to its
//!   gross amount (net 0) and its tax lines.
//! - **Shipping**: one shipping line per Shopify shipping line; `discount` = original −
//!   discounted price; its tax lines are its own.
//! - **Refunds** are their own records, read by id with their lines (`subtotalSet` after
//!   discounts, `totalTaxSet`), refunded shipping and refund transactions. A bulk backfill
//!   reads them inside the bulk query instead, the same fields but the refunded shipping:
//!   only an order with shipping refunded has its refunds read by id (`ops::bulk_orders`).
//! - **Payments** are successful `SALE` and `CAPTURE` transactions, by gateway.
//! - **Images** carry the key `[erp:<group>:<hash of source>]` in their alt text: a re-run
//!   uploads nothing new, and images with the group's key that the ERP no longer lists are
//!   deleted. Images added by hand (without the key) are left alone.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sha2::{Digest, Sha256};
use sync_core::connector::{
    ConnectorError, ConnectorResult, ExportedOrder, NewVariants, RemoteProduct, RemoteStock,
    RemoteVariant, StockWrite, StorefrontCatalog, StorefrontOrders,
};
use sync_core::id::IdempotencyKey;
use sync_core::model;
use sync_core::paging::Page;

use crate::client::ShopifyClient;
use crate::error::Error;
use crate::gid::{InventoryItemGid, OrderGid, ProductGid, RefundGid};
use crate::ops::fulfillment::{FulfillmentRequest, Tracking};
use crate::ops::inventory::{QuantityChange, QuantityName, SetQuantities};
use crate::ops::media::ImageUpload;
use crate::ops::orders::{Order as ShopifyOrder, OrderPull, updated_since_filter};
use crate::ops::pricing::{AutomaticDiscount, CompareAtPrice, DiscountValue, VariantPrice};
use crate::ops::products::{ProductIdentifier, ProductSetMode};
use crate::queries::product_set;

mod buyer;
mod edge;
mod mapping;

use mapping::status_to_shopify;
pub use mapping::{map_customer, map_order, map_order_with_returns, map_refund, product_input};

/// Settings of the storefront adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorefrontConfig {
    /// Namespace of the unique product metafield holding the ERP item-group code.
    /// Default `erp`.
    pub group_metafield_namespace: String,
    /// Key of that metafield. Default `item_group`. Its definition must exist in the shop
    /// and be marked unique for `productSet(identifier: {customId})` to find products.
    pub group_metafield_key: String,
    /// The page size and line count of whole orders read by page (the overlap window is the
    /// engine's: [`StorefrontOrders`] methods take `since` as given).
    pub order_pull: OrderPull,
    /// Order and customer changes (id and change time) per page. Default 250, Shopify's
    /// maximum: about one cost point per record.
    pub changes_page_size: u32,
    /// The reason recorded with stock writes. Default `correction`.
    pub stock_reason: String,
    /// Whether Shopify e-mails the customer about fulfilments. Default `true`.
    pub notify_customer_on_fulfillment: bool,
}

impl Default for StorefrontConfig {
    fn default() -> Self {
        StorefrontConfig {
            group_metafield_namespace: "erp".into(),
            group_metafield_key: "item_group".into(),
            order_pull: OrderPull::default(),
            changes_page_size: 250,
            stock_reason: "correction".into(),
            notify_customer_on_fulfillment: true,
        }
    }
}

/// Shopify as the sync engine's storefront.
#[derive(Debug, Clone)]
pub struct ShopifyStorefront {
    client: ShopifyClient,
    config: Arc<StorefrontConfig>,
}

impl ShopifyStorefront {
    /// Wraps a client.
    pub fn new(client: ShopifyClient, config: StorefrontConfig) -> Self {
        ShopifyStorefront {
            client,
            config: Arc::new(config),
        }
    }

    /// The client underneath.
    pub fn client(&self) -> &ShopifyClient {
        &self.client
    }
}

fn err(e: Error) -> ConnectorError {
    ConnectorError::from_client(e)
}

/// A bulk query's start refused with `OPERATION_IN_PROGRESS` (as many bulk queries run as
/// the API version allows) as a passing error, certain not to have started one: the engine
/// starts the export on a later pass instead of failing the pass. Other errors as [`err`].
fn bulk_start_err(e: Error) -> ConnectorError {
    let busy = matches!(&e, Error::UserErrors { errors, .. }
        if errors.iter().any(|u| u.code.as_deref() == Some("OPERATION_IN_PROGRESS")));
    if busy {
        ConnectorError::transient(e.to_string())
    } else {
        err(e)
    }
}

fn mime_for(name: &str) -> Option<&'static str> {
    let ext = name.rsplit('.').next()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => return None,
    })
}

impl ShopifyStorefront {
    async fn image_bytes(&self, source: &str) -> ConnectorResult<Bytes> {
        if source.starts_with("http://") || source.starts_with("https://") {
            self.client.download(source).await.map_err(err)
        } else {
            tokio::fs::read(source).await.map(Bytes::from).map_err(|e| {
                ConnectorError::permanent(format!("image {source}: cannot read the file ({e})"))
            })
        }
    }

    async fn upload_images(
        &self,
        group: &model::ProductGroup,
        product_id: &ProductGid,
        variants: &HashMap<model::Sku, RemoteVariant>,
    ) -> ConnectorResult<()> {
        let mut uploads = Vec::new();
        let marker = format!("[erp:{}:", group.code);
        for image in &group.images {
            let filename = image
                .source
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(&image.source)
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned();
            let mime = mime_for(&filename).ok_or_else(|| {
                ConnectorError::permanent(format!(
                    "item group {}: image {} is not a .jpg, .png, .webp or .gif file",
                    group.code, image.source
                ))
            })?;
            let digest = Sha256::digest(image.source.as_bytes());
            let alt = format!(
                "{} [erp:{}:{}]",
                image.alt.as_deref().unwrap_or(&group.title),
                group.code,
                &hex::encode(digest)[..10]
            );
            let variant_ids = match &image.option_value {
                None => Vec::new(),
                Some(value) => edge::gids(
                    group
                        .variants
                        .iter()
                        .filter(|v| v.option_values.contains(value))
                        .filter_map(|v| variants.get(&v.sku).map(|r| &r.variant_id)),
                )?,
            };
            uploads.push(ImageUpload {
                filename,
                mime_type: mime.to_owned(),
                content: self.image_bytes(&image.source).await?,
                alt,
                variant_ids,
            });
        }
        let wanted: Vec<String> = uploads.iter().map(|u| u.alt.clone()).collect();
        if !uploads.is_empty() {
            self.client
                .upload_product_images(product_id, uploads)
                .await
                .map_err(err)?;
        }
        // Images this sync put on the product that the ERP no longer lists.
        let stale: Vec<String> = self
            .client
            .product_images(product_id)
            .await
            .map_err(err)?
            .into_iter()
            .filter(|(_, alt)| {
                alt.as_deref()
                    .is_some_and(|a| a.contains(&marker) && !wanted.iter().any(|w| w == a))
            })
            .map(|(id, _)| id)
            .collect();
        if !stale.is_empty() {
            self.client.delete_media(&stale).await.map_err(err)?;
        }
        Ok(())
    }

    /// `bulk` refunds (read without their refunded shipping) with it: their shipping lines
    /// read in one narrow request, or `None` when one of them is not answered whole (more
    /// shipping lines than it reads, or too many refunds), to be read by id instead.
    async fn with_refunded_shipping(
        &self,
        mut bulk: Vec<crate::ops::orders::Refund>,
    ) -> ConnectorResult<Option<Vec<crate::ops::orders::Refund>>> {
        if bulk.is_empty() || bulk.len() > crate::ops::orders::REFUND_SHIPPING_IDS {
            return Ok(None);
        }
        let ids = bulk
            .iter()
            .map(|r| RefundGid::parse("refunds[].id", &r.id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let mut shipping = self.client.refund_shipping(&ids).await.map_err(err)?;
        for refund in &mut bulk {
            let Some(lines) = shipping.remove(&refund.id) else {
                return Ok(None);
            };
            refund.refund_shipping_lines.nodes = lines;
        }
        Ok(Some(bulk))
    }

    /// The whole order: the rest of its lines, its refunds and, when it has any, its
    /// returns. `bulk_refunds` are its refunds as a bulk result brought them (without their
    /// refunded shipping): when the order had shipping refunded, their shipping lines are read
    /// in one narrow request ([`ShopifyClient::refund_shipping`]); without them, or when that
    /// read is not whole, each refund is read by id.
    async fn full_order(
        &self,
        order: &ShopifyOrder,
        bulk_refunds: Option<Vec<crate::ops::orders::Refund>>,
    ) -> ConnectorResult<model::Order> {
        let mut order = order.clone();
        self.client
            .complete_order_lines(&mut order)
            .await
            .map_err(err)?;
        let order = &order;
        let bulk_refunds = match bulk_refunds {
            Some(bulk)
                if !order
                    .total_refunded_shipping_set
                    .shop_money
                    .amount
                    .is_zero() =>
            {
                self.with_refunded_shipping(bulk).await?
            }
            other => other,
        };
        let mut refunds = Vec::with_capacity(order.refunds.len());
        if let Some(bulk) = bulk_refunds {
            for refund in &bulk {
                refunds.push(map_refund(refund, order.taxes_included)?);
            }
        } else {
            for summary in &order.refunds {
                let id = RefundGid::parse("refunds[].id", &summary.id).map_err(err)?;
                let refund = self.client.refund(&id).await.map_err(err)?.ok_or_else(|| {
                    ConnectorError::transient(format!("refund {} not readable yet", summary.id))
                })?;
                refunds.push(map_refund(&refund, order.taxes_included)?);
            }
        }
        // Only an order with returns can have exchange lines to tell apart from its sale.
        let returns = if matches!(
            order.return_status,
            crate::queries::orders::OrderReturnStatus::NO_RETURN
        ) {
            Vec::new()
        } else {
            let id = OrderGid::parse("order.id", &order.id).map_err(err)?;
            self.client.order_returns(&id).await.map_err(err)?
        };
        map_order_with_returns(order, refunds, &returns)
    }
}

#[async_trait]
impl StorefrontCatalog for ShopifyStorefront {
    async fn locations(&self) -> ConnectorResult<Vec<model::Location>> {
        self.client
            .all_locations()
            .await
            .map_err(err)?
            .into_iter()
            .map(|l| {
                Ok(model::Location {
                    id: edge::id(&l.id)?,
                    name: l.name,
                })
            })
            .collect()
    }

    async fn find_variants(
        &self,
        skus: &[model::Sku],
    ) -> ConnectorResult<HashMap<model::Sku, RemoteVariant>> {
        let texts: Vec<&str> = skus.iter().map(model::Sku::as_str).collect();
        let found = self.client.variants_by_sku(&texts).await.map_err(err)?;
        let mut out = HashMap::new();
        for v in found {
            let Some(sku) = v.sku.clone() else { continue };
            let sku = model::Sku::from(sku);
            let remote = RemoteVariant {
                product_id: edge::id(&v.product.id)?,
                variant_id: edge::id(&v.id)?,
                inventory_item_id: edge::id(&v.inventory_item.id)?,
            };
            if let Some(previous) = out.insert(sku.clone(), remote) {
                return Err(ConnectorError::needs_mapping(
                    format!("sku:{sku}"),
                    format!(
                        "SKU {sku} is on several Shopify variants ({} and {}): make SKUs unique",
                        previous.variant_id, v.id
                    ),
                ));
            }
        }
        Ok(out)
    }

    async fn upsert_product(
        &self,
        group: &model::ProductGroup,
        existing: Option<&model::ProductId>,
        new: &NewVariants,
    ) -> ConnectorResult<RemoteProduct> {
        let mut input = product_input(group, &self.config)?;
        stock_new_variants(&mut input, new)?;
        let identifier = match existing {
            Some(id) => ProductIdentifier::Id(edge::gid(id)?),
            None => ProductIdentifier::CustomId {
                namespace: Some(self.config.group_metafield_namespace.clone()),
                key: self.config.group_metafield_key.clone(),
                value: group.code.clone(),
            },
        };
        let mode = if group.variants.len() > 100 {
            ProductSetMode::Asynchronous
        } else {
            ProductSetMode::Synchronous
        };
        let outcome = self
            .client
            .product_set(input, identifier, mode)
            .await
            .map_err(err)?;
        let product_id: model::ProductId = edge::id(&outcome.product_id)?;
        let mut variants: HashMap<model::Sku, RemoteVariant> = HashMap::new();
        for v in &outcome.variants {
            let Some(sku) = &v.sku else { continue };
            variants.insert(
                model::Sku::from(sku.as_str()),
                RemoteVariant {
                    product_id: product_id.clone(),
                    variant_id: edge::id(&v.id)?,
                    inventory_item_id: edge::id(&v.inventory_item_id)?,
                },
            );
        }
        self.upload_images(group, &edge::gid(&product_id)?, &variants)
            .await?;
        Ok(RemoteProduct {
            product_id,
            variants,
        })
    }

    async fn set_status(
        &self,
        product_id: &model::ProductId,
        status: model::ProductStatus,
    ) -> ConnectorResult<()> {
        self.client
            .set_product_status(&edge::gid(product_id)?, status_to_shopify(status))
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn set_prices(
        &self,
        changes: &[(RemoteVariant, model::PriceChange)],
    ) -> ConnectorResult<()> {
        let mut by_product: BTreeMap<&model::ProductId, Vec<VariantPrice>> = BTreeMap::new();
        for (remote, change) in changes {
            by_product
                .entry(&remote.product_id)
                .or_default()
                .push(VariantPrice {
                    variant_id: edge::gid(&remote.variant_id)?,
                    price: change.price,
                    compare_at_price: change
                        .compare_at_price
                        .map_or(CompareAtPrice::Clear, CompareAtPrice::Set),
                });
        }
        for (product, prices) in by_product {
            self.client
                .update_variant_prices(&edge::gid(product)?, &prices)
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    async fn set_stock(
        &self,
        writes: &[StockWrite],
        idempotency_key: &IdempotencyKey,
    ) -> ConnectorResult<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let batch = SetQuantities {
            name: QuantityName::Available,
            reason: self.config.stock_reason.clone(),
            reference_document_uri: Some(format!("gid://flow-erp/StockSync/{idempotency_key}")),
            changes: writes
                .iter()
                .map(|w| {
                    Ok(QuantityChange {
                        inventory_item_id: edge::gid(&w.inventory_item_id)?,
                        location_id: edge::gid(&w.location_id)?,
                        quantity: w.quantity,
                        change_from: w.expected,
                    })
                })
                .collect::<ConnectorResult<_>>()?,
            idempotency_key: idempotency_key.clone(),
            // Stock Flow holds for a mapped location is sold there: a level that is missing
            // or inactive is activated before the write (2026-10 would otherwise put the
            // quantity on an inactive level).
            activate: true,
        };
        self.client
            .set_inventory_quantities(&batch)
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn read_stock(
        &self,
        variants: &[(model::Sku, RemoteVariant)],
    ) -> ConnectorResult<Vec<RemoteStock>> {
        let sku_of: HashMap<&str, &model::Sku> = variants
            .iter()
            .map(|(sku, v)| (v.inventory_item_id.as_str(), sku))
            .collect();
        let ids: Vec<InventoryItemGid> = sku_of
            .keys()
            .map(|s| InventoryItemGid::parse("inventory_item_id", s))
            .collect::<Result<_, _>>()
            .map_err(err)?;
        let levels = self
            .client
            .inventory_levels(&ids, &[QuantityName::Available])
            .await
            .map_err(err)?;
        let mut out = Vec::with_capacity(levels.len());
        for l in levels {
            let Some(sku) = sku_of.get(l.inventory_item_id.as_str()) else {
                continue;
            };
            out.push(RemoteStock {
                sku: (*sku).clone(),
                available: l.quantities.get("available").copied().unwrap_or(0),
                inventory_item_id: edge::id(&l.inventory_item_id)?,
                location_id: edge::id(&l.location_id)?,
            });
        }
        Ok(out)
    }

    async fn upsert_promotion(
        &self,
        promotion: &model::Promotion,
        variants: &[RemoteVariant],
        existing: Option<&model::PromotionId>,
    ) -> ConnectorResult<model::PromotionId> {
        let fraction = (promotion.percent_off / Decimal::from(100))
            .to_f64()
            .unwrap_or_default();
        let discount = AutomaticDiscount {
            title: promotion.title.clone(),
            starts_at: promotion.starts_at,
            ends_at: promotion.ends_at,
            value: DiscountValue::Percentage(fraction),
            variant_ids: edge::gids(variants.iter().map(|v| &v.variant_id))?,
        };
        let id = match existing {
            Some(id) => {
                self.client
                    .update_automatic_discount(&edge::gid(id)?, &discount)
                    .await
            }
            None => self.client.create_automatic_discount(&discount).await,
        }
        .map_err(err)?;
        edge::id(&id)
    }

    async fn create_fulfillment(&self, shipment: &model::Shipment) -> ConnectorResult<()> {
        let request = FulfillmentRequest {
            order_id: edge::gid(&shipment.order_external_id)?,
            lines: Vec::new(),
            tracking: (shipment.carrier.is_some() || shipment.tracking_number.is_some()).then(
                || Tracking {
                    company: shipment.carrier.clone(),
                    number: shipment.tracking_number.clone(),
                    url: None,
                },
            ),
            notify_customer: self.config.notify_customer_on_fulfillment,
        };
        self.client.fulfill(&request).await.map(|_| ()).map_err(err)
    }
}

#[async_trait]
impl StorefrontOrders for ShopifyStorefront {
    async fn orders_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<model::Order, String>> {
        let pull = self.config.order_pull;
        let query = since.map(updated_since_filter);
        let page = self
            .client
            .orders_page(query, cursor, pull)
            .await
            .map_err(err)?;
        let mut items = Vec::with_capacity(page.items.len());
        for o in &page.items {
            items.push(self.full_order(o, None).await?);
        }
        Ok(Page {
            items,
            next: page.end_cursor,
            has_more: page.has_next_page,
        })
    }

    async fn order_changes_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<model::Change<model::OrderId>, String>> {
        let page = self
            .client
            .order_changes_page(
                since.map(updated_since_filter),
                cursor,
                self.config.changes_page_size,
            )
            .await
            .map_err(err)?;
        changes(page, |o| (o.id, o.updated_at))
    }

    async fn order(&self, id: &model::OrderId) -> ConnectorResult<Option<model::Order>> {
        match self
            .client
            .order(&edge::gid(id)?, self.config.order_pull.lines)
            .await
            .map_err(err)?
        {
            None => Ok(None),
            Some(o) => self.full_order(&o, None).await.map(Some),
        }
    }

    async fn customer_changes_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<model::Change<model::CustomerId>, String>> {
        let page = self
            .client
            .customer_changes_page(
                since.map(updated_since_filter),
                cursor,
                self.config.changes_page_size,
            )
            .await
            .map_err(err)?;
        changes(page, |c| (c.id, c.updated_at))
    }

    async fn count_order_changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        let (count, _exact) = self
            .client
            .orders_count(since.map(updated_since_filter))
            .await
            .map_err(err)?;
        Ok(Some(count))
    }

    /// One bulk query of the orders (`bulkOperationRunQuery`, objects grouped); refused
    /// with `OPERATION_IN_PROGRESS` while the shop runs as many as its API version allows,
    /// a passing error: the engine starts it on a later pass.
    async fn start_order_export(&self, since: Option<DateTime<Utc>>) -> ConnectorResult<String> {
        self.client
            .start_bulk_orders(since.map(updated_since_filter).as_deref())
            .await
            .map_err(bulk_start_err)
    }

    async fn count_customer_changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        let (count, _exact) = self
            .client
            .customers_count(since.map(updated_since_filter))
            .await
            .map_err(err)?;
        Ok(Some(count))
    }

    /// One bulk query of the customers (`bulkOperationRunQuery`, one connection); refused
    /// as [`start_order_export`](Self::start_order_export) is, for instance while the
    /// orders' bulk query runs on an API version that allows one at a time.
    async fn start_customer_export(&self, since: Option<DateTime<Utc>>) -> ConnectorResult<String> {
        self.client
            .start_bulk_customers(since.map(updated_since_filter).as_deref())
            .await
            .map_err(bulk_start_err)
    }

    async fn customer_export(
        &self,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<sync_core::connector::CustomerStream<'_>>> {
        use futures::StreamExt;
        let _ = since;
        let Ok(gid) = id.parse::<crate::gid::BulkOperationGid>() else {
            // Not one of ours (an export recorded by another connector): start another.
            return Ok(None);
        };
        let Some(customers) = self.client.bulk_customers(&gid).await.map_err(err)? else {
            return Ok(None);
        };
        // The bulk result carries every field the customer read by id does: each comes whole.
        Ok(Some(
            customers
                .map(|customer| {
                    let customer = customer.map_err(err)?;
                    map_customer(&customer).map(sync_core::connector::ExportedCustomer::ready)
                })
                .boxed(),
        ))
    }

    async fn order_export(
        &self,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<sync_core::connector::OrderStream<'_>>> {
        use futures::{FutureExt, StreamExt};
        let _ = since;
        let Ok(gid) = id.parse::<crate::gid::BulkOperationGid>() else {
            // Not one of ours (an export recorded by another connector): start another.
            return Ok(None);
        };
        let Some(orders) = self.client.bulk_orders(&gid).await.map_err(err)? else {
            return Ok(None);
        };
        // Each order is handed over as its change, completed (its returns, refunds with
        // shipping, lines past the first page) only if the engine has not read it yet.
        Ok(Some(
            orders
                .map(move |bulk| {
                    let bulk = bulk.map_err(err)?;
                    let change = model::Change {
                        external_id: edge::id(&bulk.order.id)?,
                        updated_at: bulk.order.updated_at,
                    };
                    Ok(ExportedOrder::pending(
                        change,
                        async move { self.full_order(&bulk.order, Some(bulk.refunds)).await }
                            .boxed(),
                    ))
                })
                .boxed(),
        ))
    }

    async fn customer(&self, id: &model::CustomerId) -> ConnectorResult<Option<model::Customer>> {
        self.client
            .customer(&edge::gid(id)?)
            .await
            .map_err(err)?
            .as_ref()
            .map(map_customer)
            .transpose()
    }
}

/// A page of change stamps as the engine reads them, each id checked at the edge.
fn changes<T, I: edge::Edge>(
    page: crate::ops::orders::Paged<T>,
    stamp: impl Fn(T) -> (String, DateTime<Utc>),
) -> ConnectorResult<Page<model::Change<I>, String>> {
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|item| {
                let (external_id, updated_at) = stamp(item);
                Ok(model::Change {
                    external_id: edge::id(&external_id)?,
                    updated_at,
                })
            })
            .collect::<ConnectorResult<_>>()?,
        next: page.end_cursor,
        has_more: page.has_next_page,
    })
}

/// Stocks the variants of `input` that `new` names at its locations with nothing available
/// (`inventoryQuantities`, which Shopify applies when it creates a variant), so that their
/// first stock write needs no `inventoryActivate` per location. Other variants are left
/// without quantities: on an existing variant they would overwrite its stock.
fn stock_new_variants(
    input: &mut product_set::ProductSetInput,
    new: &NewVariants,
) -> ConnectorResult<()> {
    if new.locations.is_empty() {
        return Ok(());
    }
    let locations = edge::gids(&new.locations)?;
    for variant in input.variants.iter_mut().flatten() {
        let is_new = variant
            .sku
            .as_deref()
            .is_some_and(|sku| new.skus.contains(&model::Sku::from(sku)));
        if is_new {
            variant.inventory_quantities = Some(
                locations
                    .iter()
                    .map(|location| product_set::ProductSetInventoryInput {
                        location_id: location.as_str().to_owned(),
                        name: "available".to_owned(),
                        quantity: 0,
                    })
                    .collect(),
            );
        }
    }
    Ok(())
}
