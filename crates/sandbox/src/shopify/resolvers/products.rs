//! Products and their variants: the objects and the query fields that read them.

use async_graphql::connection::Connection;
use async_graphql::{Context, Error, ID, InputObject, Interface, Object, Result};
use rust_decimal::Decimal;

use super::media::Media;
use super::metafields::{
    Metafield, UniqueMetafieldValueInput, find_metafield, metafields_connection,
};
use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::search::{FieldVal, Filter, SortVal, page, page_by_id};
use crate::shopify::store::*;
use crate::shopify::types::*;

#[Object]
impl Product {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(gql_id("Product", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn handle(&self) -> &str {
        &self.0.handle
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description_html(&self) -> Html {
        Html(self.0.description_html.clone())
    }
    async fn description(&self, truncate_at: Option<i32>) -> String {
        let mut plain = String::new();
        let mut in_tag = false;
        for ch in self.0.description_html.chars() {
            match ch {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => plain.push(c),
                _ => {}
            }
        }
        match truncate_at {
            Some(n) if n >= 0 => plain.chars().take(n as usize).collect(),
            _ => plain,
        }
    }
    async fn vendor(&self) -> &str {
        &self.0.vendor
    }
    async fn product_type(&self) -> &str {
        &self.0.product_type
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn status(&self) -> ProductStatus {
        ProductStatus::parse(self.0.status.as_str()).unwrap_or(ProductStatus::DRAFT)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    async fn published_at(&self) -> Option<DateTime> {
        (self.0.status == Status::Active).then_some(DateTime(self.0.created_at))
    }
    async fn has_only_default_variant(&self, ctx: &Context<'_>) -> Result<bool> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self.0.variant_ids.len() == 1
            && st.variants.get(&self.0.variant_ids[0]).is_some_and(|v| {
                v.selected
                    .iter()
                    .all(|(n, v)| n == "Title" && v == "Default Title")
            }))
    }
    async fn options(&self, first: Option<i32>) -> Vec<ProductOption> {
        let n = first.map_or(usize::MAX, |n| n.max(0) as usize);
        self.0
            .options
            .iter()
            .take(n)
            .map(|o| ProductOption {
                id: gql_id("ProductOption", o.id),
                name: o.name.clone(),
                position: o.position,
                values: o.values.iter().map(|(_, v)| v.clone()).collect(),
                option_values: o
                    .values
                    .iter()
                    .map(|(id, v)| ProductOptionValue {
                        id: gql_id("ProductOptionValue", *id),
                        name: v.clone(),
                        has_variants: true,
                    })
                    .collect(),
            })
            .collect()
    }
    #[allow(clippy::too_many_arguments)]
    async fn variants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        sort_key: Option<ProductVariantSortKeys>,
    ) -> Result<Connection<String, ProductVariant>> {
        let c = cx(ctx)?;
        let st = lock(&c.state.store);
        let sort = sort_key.unwrap_or(ProductVariantSortKeys::POSITION);
        let items = self
            .0
            .variant_ids
            .iter()
            .filter_map(|id| st.variants.get(id))
            .map(|v| (variant_sort(v, sort), v.id, ProductVariant(v.clone())))
            .collect();
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }
    async fn variants_count(&self) -> Option<Count> {
        Some(Count::exact(self.0.variant_ids.len()))
    }
    async fn total_inventory(&self, ctx: &Context<'_>) -> Result<i32> {
        let st = lock(&cx(ctx)?.state.store);
        let total: i64 = self
            .0
            .variant_ids
            .iter()
            .filter_map(|id| st.variants.get(id))
            .map(|v| st.variant_available(v))
            .sum();
        Ok(i32::try_from(total).unwrap_or(i32::MAX))
    }
    async fn tracks_inventory(&self) -> bool {
        true
    }
    async fn price_range_v2(&self, ctx: &Context<'_>) -> Result<ProductPriceRangeV2> {
        let prices: Vec<Decimal> = {
            let st = lock(&cx(ctx)?.state.store);
            self.0
                .variant_ids
                .iter()
                .filter_map(|id| st.variants.get(id))
                .map(|v| v.price)
                .collect()
        };
        let min = prices.iter().copied().min().unwrap_or_default();
        let max = prices.iter().copied().max().unwrap_or_default();
        Ok(ProductPriceRangeV2 {
            min_variant_price: money(ctx, min)?,
            max_variant_price: money(ctx, max)?,
        })
    }
    #[allow(clippy::too_many_arguments)]
    async fn media(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, Media>> {
        let c = cx(ctx)?;
        let st = lock(&c.state.store);
        let items = self
            .0
            .media_ids
            .iter()
            .enumerate()
            .filter_map(|(pos, id)| {
                st.media.get(id).map(|m| {
                    (
                        SortVal::Int(pos as i64),
                        m.id,
                        Media::MediaImage(MediaImage(m.clone())),
                    )
                })
            })
            .collect();
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }
    async fn media_count(&self) -> Option<Count> {
        Some(Count::exact(self.0.media_ids.len()))
    }
    async fn featured_media(&self, ctx: &Context<'_>) -> Result<Option<Media>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .0
            .media_ids
            .first()
            .and_then(|id| st.media.get(id))
            .map(|m| Media::MediaImage(MediaImage(m.clone()))))
    }
    async fn metafield(&self, namespace: Option<String>, key: String) -> Option<Metafield> {
        find_metafield(&self.0.metafields, namespace, &key, "Product", self.0.id)
    }
    #[allow(clippy::too_many_arguments)]
    async fn metafields(
        &self,
        ctx: &Context<'_>,
        namespace: Option<String>,
        keys: Option<Vec<String>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, Metafield>> {
        metafields_connection(
            ctx,
            &self.0.metafields,
            "Product",
            self.0.id,
            namespace,
            keys,
            pargs(first, after, last, before, reverse),
        )
    }
    async fn online_store_url(&self) -> Option<Url> {
        None
    }
    async fn seo(&self) -> Seo {
        Seo {
            description: None,
            title: None,
        }
    }
}

fn variant_sort(v: &VariantRec, key: ProductVariantSortKeys) -> SortVal {
    match key {
        ProductVariantSortKeys::SKU => SortVal::Str(v.sku.clone().unwrap_or_default()),
        ProductVariantSortKeys::TITLE
        | ProductVariantSortKeys::FULL_TITLE
        | ProductVariantSortKeys::NAME => SortVal::Str(v.title()),
        ProductVariantSortKeys::POSITION => SortVal::Int(i64::from(v.position)),
        _ => id_key(v.id),
    }
}

#[Object]
impl ProductVariant {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(gql_id("ProductVariant", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn title(&self) -> String {
        self.0.title()
    }
    async fn display_name(&self, ctx: &Context<'_>) -> Result<String> {
        let st = lock(&cx(ctx)?.state.store);
        let product = st
            .products
            .get(&self.0.product_id)
            .map(|p| p.title.clone())
            .unwrap_or_default();
        Ok(format!("{product} - {}", self.0.title()))
    }
    async fn sku(&self) -> Option<&str> {
        self.0.sku.as_deref()
    }
    async fn barcode(&self) -> Option<&str> {
        self.0.barcode.as_deref()
    }
    async fn price(&self) -> Money {
        Money(self.0.price)
    }
    async fn compare_at_price(&self) -> Option<Money> {
        self.0.compare_at_price.map(Money)
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn taxable(&self) -> bool {
        self.0.taxable
    }
    async fn available_for_sale(&self, ctx: &Context<'_>) -> Result<bool> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self.0.inventory_policy_continue || st.variant_available(&self.0) > 0)
    }
    async fn inventory_policy(&self) -> ProductVariantInventoryPolicy {
        if self.0.inventory_policy_continue {
            ProductVariantInventoryPolicy::CONTINUE
        } else {
            ProductVariantInventoryPolicy::DENY
        }
    }
    async fn inventory_quantity(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(Some(
            i32::try_from(st.variant_available(&self.0)).unwrap_or(i32::MAX),
        ))
    }
    async fn inventory_item(&self, ctx: &Context<'_>) -> Result<InventoryItem> {
        let st = lock(&cx(ctx)?.state.store);
        st.items
            .get(&self.0.inventory_item_id)
            .cloned()
            .map(InventoryItem)
            .ok_or_else(|| Error::new("inventory item not found"))
    }
    async fn selected_options(&self, ctx: &Context<'_>) -> Result<Vec<SelectedOption>> {
        let st = lock(&cx(ctx)?.state.store);
        let product = st.products.get(&self.0.product_id);
        Ok(self
            .0
            .selected
            .iter()
            .map(|(name, value)| {
                let vid = product
                    .and_then(|p| p.options.iter().find(|o| &o.name == name))
                    .and_then(|o| o.values.iter().find(|(_, v)| v == value))
                    .map_or(0, |(id, _)| *id);
                SelectedOption {
                    name: name.clone(),
                    value: value.clone(),
                    option_value: ProductOptionValue {
                        id: gql_id("ProductOptionValue", vid),
                        name: value.clone(),
                        has_variants: true,
                    },
                }
            })
            .collect())
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Product> {
        let st = lock(&cx(ctx)?.state.store);
        st.products
            .get(&self.0.product_id)
            .cloned()
            .map(Product)
            .ok_or_else(|| Error::new("product not found"))
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    #[allow(clippy::too_many_arguments)]
    async fn media(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, Media>> {
        let c = cx(ctx)?;
        let st = lock(&c.state.store);
        let items = self
            .0
            .media_id
            .and_then(|id| st.media.get(&id))
            .map(|m| (id_key(m.id), m.id, Media::MediaImage(MediaImage(m.clone()))))
            .into_iter()
            .collect();
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }
    async fn metafield(&self, namespace: Option<String>, key: String) -> Option<Metafield> {
        find_metafield(
            &self.0.metafields,
            namespace,
            &key,
            "ProductVariant",
            self.0.id,
        )
    }
    #[allow(clippy::too_many_arguments)]
    async fn metafields(
        &self,
        ctx: &Context<'_>,
        namespace: Option<String>,
        keys: Option<Vec<String>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, Metafield>> {
        metafields_connection(
            ctx,
            &self.0.metafields,
            "ProductVariant",
            self.0.id,
            namespace,
            keys,
            pargs(first, after, last, before, reverse),
        )
    }
}

#[Object]
impl ProductSetOperation {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(gql_id("ProductSetOperation", self.0.id))
    }
    async fn status(&self) -> Result<ProductOperationStatus> {
        Ok(ProductOperationStatus::parse(self.0.status).unwrap_or(ProductOperationStatus::CREATED))
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .0
            .product_id
            .and_then(|id| st.products.get(&id))
            .cloned()
            .map(Product))
    }
    async fn user_errors(&self) -> Vec<ProductSetUserError> {
        self.0
            .user_errors
            .iter()
            .map(|(field, message, code)| ProductSetUserError {
                code: ProductSetUserErrorCode::parse(code),
                field: Some(field.clone()),
                message: message.clone(),
            })
            .collect()
    }
}

/// `ProductOperation` interface.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface, Clone)]
#[graphql(
    field(name = "product", ty = "Option<Product>"),
    field(name = "status", ty = "ProductOperationStatus")
)]
pub(crate) enum ProductOperation {
    ProductSetOperation(ProductSetOperation),
}

/// `ProductIdentifierInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductIdentifierInput {
    pub(crate) id: Option<ID>,
    pub(crate) custom_id: Option<UniqueMetafieldValueInput>,
    pub(crate) handle: Option<String>,
}

fn product_field(p: &ProductRec, st: &Store, f: &str) -> Option<FieldVal> {
    Some(match f {
        "" | "title" => FieldVal::Str(p.title.clone()),
        "handle" => FieldVal::Str(p.handle.clone()),
        "id" => FieldVal::Int(p.id as i64),
        "status" => FieldVal::Str(p.status.as_str().to_string()),
        "vendor" => FieldVal::Str(p.vendor.clone()),
        "product_type" => FieldVal::Str(p.product_type.clone()),
        "tag" => FieldVal::List(p.tags.clone()),
        "created_at" => FieldVal::Time(p.created_at),
        "updated_at" => FieldVal::Time(p.updated_at),
        "sku" => FieldVal::List(
            p.variant_ids
                .iter()
                .filter_map(|v| st.variants.get(v)?.sku.clone())
                .collect(),
        ),
        "barcode" => FieldVal::List(
            p.variant_ids
                .iter()
                .filter_map(|v| st.variants.get(v)?.barcode.clone())
                .collect(),
        ),
        _ => return None,
    })
}

const PRODUCT_FIELDS: &[&str] = &[
    "title",
    "handle",
    "id",
    "status",
    "vendor",
    "product_type",
    "tag",
    "created_at",
    "updated_at",
    "sku",
    "barcode",
];

/// The product and variant query fields.
#[derive(Default)]
pub(crate) struct ProductQueries;

#[Object]
impl ProductQueries {
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        sort_key: Option<ProductSortKeys>,
        query: Option<String>,
        saved_search_id: Option<ID>,
    ) -> Result<Connection<String, Product>> {
        if saved_search_id.is_some() {
            return Err(Error::new(
                "argument `savedSearchId`: saved searches are not supported by the sandbox",
            ));
        }
        let c = cx(ctx)?;
        let filter = Filter::parse(query.as_deref(), PRODUCT_FIELDS)?;
        let st = lock(&c.state.store);
        let mut items = Vec::new();
        for p in st.products.values() {
            if filter.matches(|f| product_field(p, &st, f))? {
                let key = match sort_key.unwrap_or(ProductSortKeys::ID) {
                    ProductSortKeys::TITLE => SortVal::Str(p.title.clone()),
                    ProductSortKeys::UPDATED_AT => time_key(p.updated_at),
                    ProductSortKeys::CREATED_AT => time_key(p.created_at),
                    ProductSortKeys::VENDOR => SortVal::Str(p.vendor.clone()),
                    ProductSortKeys::PRODUCT_TYPE => SortVal::Str(p.product_type.clone()),
                    _ => id_key(p.id),
                };
                items.push((key, p.id));
            }
        }
        page_by_id(
            items,
            &pargs(first, after, last, before, reverse),
            c.bulk,
            |id| st.products.get(&id).cloned().map(Product),
        )
    }

    async fn products_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
    ) -> Result<Option<Count>> {
        let filter = Filter::parse(query.as_deref(), PRODUCT_FIELDS)?;
        let st = lock(&cx(ctx)?.state.store);
        let mut n = 0;
        for p in st.products.values() {
            if filter.matches(|f| product_field(p, &st, f))? {
                n += 1;
            }
        }
        Ok(Some(Count::exact(n)))
    }

    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        let id = gid_arg("Product", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.products.get(&id).cloned().map(Product))
    }

    async fn product_by_identifier(
        &self,
        ctx: &Context<'_>,
        identifier: ProductIdentifierInput,
    ) -> Result<Option<Product>> {
        let st = lock(&cx(ctx)?.state.store);
        let found = if let Some(id) = identifier.id {
            st.products.get(&gid_arg("Product", "identifier.id", &id)?)
        } else if let Some(h) = identifier.handle {
            st.product_by_handle(&h)
        } else if let Some(c) = identifier.custom_id {
            let ns = c.namespace.unwrap_or_else(|| "custom".to_string());
            st.products.values().find(|p| {
                p.metafields
                    .iter()
                    .any(|m| m.namespace == ns && m.key == c.key && m.value == c.value)
            })
        } else {
            return Err(Error::new(
                "argument `identifier`: one of `id`, `handle` or `customId` is required",
            ));
        };
        Ok(found.cloned().map(Product))
    }

    #[allow(clippy::too_many_arguments)]
    async fn product_variants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        sort_key: Option<ProductVariantSortKeys>,
        query: Option<String>,
        saved_search_id: Option<ID>,
    ) -> Result<Connection<String, ProductVariant>> {
        if saved_search_id.is_some() {
            return Err(Error::new(
                "argument `savedSearchId`: saved searches are not supported by the sandbox",
            ));
        }
        let c = cx(ctx)?;
        let filter = Filter::parse(
            query.as_deref(),
            &[
                "sku",
                "barcode",
                "id",
                "product_id",
                "title",
                "updated_at",
                "created_at",
            ],
        )?;
        let st = lock(&c.state.store);
        let mut items = Vec::new();
        for v in st.variants.values() {
            let ok = filter.matches(|f| {
                Some(match f {
                    "sku" => FieldVal::Str(v.sku.clone().unwrap_or_default()),
                    "barcode" => FieldVal::Str(v.barcode.clone().unwrap_or_default()),
                    "id" => FieldVal::Int(v.id as i64),
                    "product_id" => FieldVal::Int(v.product_id as i64),
                    "" | "title" => FieldVal::Str(v.title()),
                    "updated_at" => FieldVal::Time(v.updated_at),
                    "created_at" => FieldVal::Time(v.created_at),
                    _ => return None,
                })
            })?;
            if ok {
                items.push((
                    variant_sort(v, sort_key.unwrap_or(ProductVariantSortKeys::ID)),
                    v.id,
                ));
            }
        }
        page_by_id(
            items,
            &pargs(first, after, last, before, reverse),
            c.bulk,
            |id| st.variants.get(&id).cloned().map(ProductVariant),
        )
    }

    async fn product_variant(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ProductVariant>> {
        let id = gid_arg("ProductVariant", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.variants.get(&id).cloned().map(ProductVariant))
    }

    async fn product_operation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<ProductOperation>> {
        let id = gid_arg("ProductSetOperation", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st
            .product_ops
            .get(&id)
            .cloned()
            .map(|o| ProductOperation::ProductSetOperation(ProductSetOperation(o))))
    }
}
