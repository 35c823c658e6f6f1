//! Products: upsert with `productSet`, look-up by SKU, status changes.
//!
//! # `productSet` replaces lists
//!
//! `productSet` is declarative: every **list** given in the input (`variants`,
//! `productOptions`, `metafields`, `files`, `collections`) replaces the stored list, and
//! entries missing from it are **deleted**; scalar fields left out stay as they are. So
//! always send the complete set of variants and options of a product, and leave `files`
//! out unless you mean to replace all media (media are managed with
//! [`ShopifyClient::upload_product_images`] instead). A product has at most 2,048 variants.
//! <https://shopify.dev/docs/api/admin-graphql/latest/mutations/productSet>

use std::time::Duration;

use crate::client::{Safety, ShopifyClient};
use crate::error::Error;
use crate::gid::ProductGid;
use crate::ops::{missing, require, search_quote, user_errors};
use crate::queries::{
    self, product_operation, product_set, product_update_status, variants_by_sku,
};

pub use crate::queries::ProductStatus;
pub use crate::queries::product_set::{
    OptionSetInput, OptionValueSetInput, ProductSetInput, ProductVariantSetInput,
    VariantOptionValueInput,
};

/// Most variants Shopify allows on one product.
pub const MAX_VARIANTS: usize = 2048;

/// How `productSet` finds the product to update (or decides to create it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductIdentifier {
    /// A known product id.
    Id(ProductGid),
    /// The product handle.
    Handle(String),
    /// A unique metafield value, e.g. the ERP item-group code in `erp.item_group`.
    /// The metafield definition must exist and be marked unique.
    CustomId {
        /// The metafield namespace (`None` = the app's reserved namespace).
        namespace: Option<String>,
        /// The metafield key.
        key: String,
        /// The value (the ERP code).
        value: String,
    },
}

/// Whether `productSet` runs inside the request or as a background operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProductSetMode {
    /// The answer carries the product (the default).
    #[default]
    Synchronous,
    /// Shopify queues the work; the client polls `productOperation` until it completes.
    /// Suits products with many variants.
    Asynchronous,
}

/// A variant as written by `productSet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetVariant {
    /// Variant id.
    pub id: String,
    /// Its SKU.
    pub sku: Option<String>,
    /// Its inventory item id (for inventory calls).
    pub inventory_item_id: String,
}

/// The product after a successful `productSet`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductSetOutcome {
    /// Product id.
    pub product_id: String,
    /// Its handle.
    pub handle: String,
    /// Its status.
    pub status: ProductStatus,
    /// Its variants (the first 250; `variants_truncated` says whether there are more).
    pub variants: Vec<SetVariant>,
    /// `true` when the product has more than the 250 variants listed.
    pub variants_truncated: bool,
}

/// A variant found by SKU, with its product.
pub type SkuVariant = variants_by_sku::VariantsBySkuProductVariantsNodes;

impl ProductIdentifier {
    fn validate(&self) -> Result<product_set::ProductSetIdentifiers, Error> {
        Ok(match self {
            ProductIdentifier::Id(id) => product_set::ProductSetIdentifiers {
                id: Some(id.as_str().to_owned()),
                ..Default::default()
            },
            ProductIdentifier::Handle(handle) => {
                require("identifier.handle", handle)?;
                product_set::ProductSetIdentifiers {
                    handle: Some(handle.clone()),
                    ..Default::default()
                }
            }
            ProductIdentifier::CustomId {
                namespace,
                key,
                value,
            } => {
                require("identifier.custom_id.key", key)?;
                require("identifier.custom_id.value", value)?;
                product_set::ProductSetIdentifiers {
                    custom_id: Some(product_set::UniqueMetafieldValueInput {
                        namespace: namespace.clone(),
                        key: key.clone(),
                        value: value.clone(),
                    }),
                    ..Default::default()
                }
            }
        })
    }
}

macro_rules! outcome {
    ($product:expr) => {{
        let p = $product;
        ProductSetOutcome {
            product_id: p.id,
            handle: p.handle,
            status: p.status,
            variants_truncated: p.variants.page_info.has_next_page,
            variants: p
                .variants
                .nodes
                .into_iter()
                .map(|v| SetVariant {
                    id: v.id,
                    sku: v.sku,
                    inventory_item_id: v.inventory_item.id,
                })
                .collect(),
        }
    }};
}

impl ShopifyClient {
    /// Creates or updates a product with `productSet`, found by `identifier`.
    ///
    /// Lists in `input` replace the stored lists (see the [module docs](self)). Repeating the
    /// call with the same input is harmless, so transient failures are retried.
    ///
    /// ```no_run
    /// # async fn run(client: shopify_client::ShopifyClient) -> Result<(), shopify_client::Error> {
    /// use shopify_client::ops::products::*;
    /// let input = ProductSetInput {
    ///     title: Some("Linen shirt".into()),
    ///     status: Some(ProductStatus::DRAFT),
    ///     product_options: Some(vec![OptionSetInput {
    ///         name: Some("Size".into()),
    ///         values: Some(vec![OptionValueSetInput { name: Some("M".into()), ..Default::default() }]),
    ///         ..Default::default()
    ///     }]),
    ///     variants: Some(vec![ProductVariantSetInput {
    ///         sku: Some("SHIRT-M".into()),
    ///         price: Some("450.00".parse().unwrap()),
    ///         option_values: vec![VariantOptionValueInput {
    ///             option_name: Some("Size".into()),
    ///             name: Some("M".into()),
    ///             ..Default::default()
    ///         }],
    ///         ..Default::default()
    ///     }]),
    ///     ..Default::default()
    /// };
    /// let id = ProductIdentifier::CustomId {
    ///     namespace: Some("erp".into()), key: "item_group".into(), value: "G-100".into(),
    /// };
    /// let product = client.product_set(input, id, ProductSetMode::Synchronous).await?;
    /// println!("{} has {} variants", product.product_id, product.variants.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty identifier or more than 2,048 variants;
    /// [`Error::UserErrors`] when Shopify refuses the input (never retried);
    /// [`Error::JobFailed`] when an asynchronous operation does not complete in time.
    pub async fn product_set(
        &self,
        input: ProductSetInput,
        identifier: ProductIdentifier,
        mode: ProductSetMode,
    ) -> Result<ProductSetOutcome, Error> {
        const OP: &str = "ProductSet";
        let identifier = identifier.validate()?;
        let count = input.variants.as_ref().map_or(0, Vec::len);
        if count > MAX_VARIANTS {
            return Err(Error::invalid(
                "input.variants",
                format!("at most {MAX_VARIANTS} variants per product, got {count}"),
            ));
        }
        let synchronous = mode == ProductSetMode::Synchronous;
        let data: product_set::ResponseData = self
            .run::<queries::ProductSet, _>(
                product_set::Variables {
                    input,
                    identifier: Some(identifier),
                    synchronous,
                },
                Safety::Repeatable,
            )
            .await?;
        let payload = data.product_set.ok_or_else(|| missing(OP, "productSet"))?;
        user_errors!(OP, payload.user_errors, code)?;
        if synchronous {
            let product = payload.product.ok_or_else(|| missing(OP, "product"))?;
            return Ok(outcome!(product));
        }
        let operation = payload
            .product_set_operation
            .ok_or_else(|| missing(OP, "productSetOperation"))?;
        self.wait_product_operation(&operation.id).await
    }

    /// Polls `productOperation(id:)` until it completes and returns the product.
    ///
    /// # Errors
    ///
    /// [`Error::UserErrors`] when the operation failed validation, [`Error::JobFailed`]
    /// when it does not complete within the client's poll timeout.
    pub async fn wait_product_operation(&self, id: &str) -> Result<ProductSetOutcome, Error> {
        const OP: &str = "ProductOperation";
        let started = self.inner.frame.clock().instant();
        loop {
            let data: product_operation::ResponseData = self
                .run::<queries::ProductOperation, _>(
                    product_operation::Variables { id: id.to_owned() },
                    Safety::Repeatable,
                )
                .await?;
            let operation = data.product_operation.ok_or_else(|| Error::JobFailed {
                what: "product operation",
                id: id.to_owned(),
                status: "not found".into(),
                detail: None,
            })?;
            // ProductSetOperation is the only kind of product operation we start.
            let product_operation::ProductOperationProductOperationOn::ProductSetOperation(set) =
                &operation.on;
            user_errors!(OP, set.user_errors, code)?;
            if operation.status == product_operation::ProductOperationStatus::COMPLETE {
                let product = operation.product.ok_or_else(|| Error::JobFailed {
                    what: "product operation",
                    id: id.to_owned(),
                    status: "COMPLETE".into(),
                    detail: Some("completed without a product".into()),
                })?;
                return Ok(outcome!(product));
            }
            if started.elapsed() >= self.inner.poll_timeout {
                return Err(Error::JobFailed {
                    what: "product operation",
                    id: id.to_owned(),
                    status: crate::ops::enum_text(&operation.status),
                    detail: Some("still running when the poll timeout passed".into()),
                });
            }
            self.inner
                .frame
                .clock()
                .sleep(self.inner.poll_interval.max(Duration::from_millis(1)))
                .await;
        }
    }

    /// Finds variants by exact SKU, so an existing catalog is linked rather than
    /// duplicated. Searches 50 SKUs per request; results are filtered to exact matches
    /// (Shopify's search is by token). Several variants may share a SKU: all are returned.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty SKU; otherwise see [`Error`].
    pub async fn variants_by_sku(&self, skus: &[&str]) -> Result<Vec<SkuVariant>, Error> {
        for (i, sku) in skus.iter().enumerate() {
            require(&format!("skus[{i}]"), sku)?;
        }
        let mut found = Vec::new();
        for chunk in skus.chunks(50) {
            let query = chunk
                .iter()
                .map(|s| format!("sku:{}", search_quote(s)))
                .collect::<Vec<_>>()
                .join(" OR ");
            let mut after = None;
            loop {
                let data: variants_by_sku::ResponseData = self
                    .run::<queries::VariantsBySku, _>(
                        variants_by_sku::Variables {
                            first: 250,
                            after: after.take(),
                            query: query.clone(),
                        },
                        Safety::Repeatable,
                    )
                    .await?;
                let page = data.product_variants;
                found.extend(
                    page.nodes
                        .into_iter()
                        .filter(|v| v.sku.as_deref().is_some_and(|s| chunk.contains(&s))),
                );
                match (page.page_info.has_next_page, page.page_info.end_cursor) {
                    (true, Some(cursor)) => after = Some(cursor),
                    (true, None) => return Err(sync_core::paging::PageError::MissingCursor.into()),
                    (false, _) => break,
                }
            }
        }
        Ok(found)
    }

    /// Sets a product's status with `productUpdate` (the non-deprecated way): `DRAFT`,
    /// `ARCHIVED` or `UNLISTED` to hold it, `ACTIVE` to sell it.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for the status `UNKNOWN`, [`Error::UserErrors`] when Shopify
    /// refuses.
    pub async fn set_product_status(
        &self,
        product_id: &ProductGid,
        status: ProductStatus,
    ) -> Result<ProductStatus, Error> {
        const OP: &str = "ProductUpdateStatus";
        if status == ProductStatus::UNKNOWN {
            return Err(Error::invalid(
                "status",
                "must be ACTIVE, ARCHIVED, DRAFT or UNLISTED",
            ));
        }
        let data: product_update_status::ResponseData = self
            .run::<queries::ProductUpdateStatus, _>(
                product_update_status::Variables {
                    product: product_update_status::ProductUpdateInput {
                        id: Some(product_id.as_str().to_owned()),
                        status: Some(status),
                        ..Default::default()
                    },
                },
                Safety::Repeatable,
            )
            .await?;
        let payload = data
            .product_update
            .ok_or_else(|| missing(OP, "productUpdate"))?;
        user_errors!(OP, payload.user_errors)?;
        let product = payload.product.ok_or_else(|| missing(OP, "product"))?;
        Ok(product.status)
    }

    /// Holds a product: status `DRAFT` (hidden from every channel).
    ///
    /// # Errors
    ///
    /// As [`ShopifyClient::set_product_status`].
    pub async fn hold_product(&self, product_id: &ProductGid) -> Result<ProductStatus, Error> {
        self.set_product_status(product_id, ProductStatus::DRAFT)
            .await
    }

    /// Activates a product: status `ACTIVE`.
    ///
    /// # Errors
    ///
    /// As [`ShopifyClient::set_product_status`].
    pub async fn activate_product(&self, product_id: &ProductGid) -> Result<ProductStatus, Error> {
        self.set_product_status(product_id, ProductStatus::ACTIVE)
            .await
    }
}
