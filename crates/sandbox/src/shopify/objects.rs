//! Output objects and the query root of the served schema.

use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{
    Context, CustomDirective, Directive, EmptySubscription, Error, ID, Interface, Object, Result,
    Schema, Union,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::search::{FieldVal, Filter, PageArgs, SortVal, page, page_by_id};
use super::store::*;
use super::types::*;
use super::{ShopSchema, ShopifyState, lock, mutations::Mutation};

/// Per-request data: the state, the base URL the client reached us on, the API version.
pub(crate) struct Ctx {
    pub(crate) state: Arc<ShopifyState>,
    pub(crate) base_url: String,
    pub(crate) version: String,
    /// Inside a bulk operation: connections need no `first`.
    pub(crate) bulk: bool,
}

pub(crate) fn cx<'a>(ctx: &Context<'a>) -> Result<&'a Ctx> {
    ctx.data::<Ctx>()
}

/// The `@idempotent(key:)` directive.
///
/// On `inventorySetQuantities` the mutation itself honours the key (answering Shopify's
/// `IDEMPOTENCY_*` user errors). On any other root mutation field the directive does it: the
/// first answer for a key is remembered with the field's arguments, and a request with the
/// same key and arguments gets that answer again without running the mutation a second time;
/// the same key with other arguments is an error. On query fields it is accepted and ignored.
struct Idempotent {
    key: String,
}

#[async_graphql::async_trait::async_trait]
impl CustomDirective for Idempotent {
    async fn resolve_field(
        &self,
        ctx: &Context<'_>,
        resolve: async_graphql::extensions::ResolveFut<'_>,
    ) -> async_graphql::ServerResult<Option<async_graphql::Value>> {
        use async_graphql::parser::types::OperationType;
        let name = ctx.item.node.name.node.to_string();
        let root = ctx.path_node.as_ref().is_some_and(|p| p.parent.is_none());
        let mutation = ctx.query_env.operation.node.ty == OperationType::Mutation;
        let Ok(c) = ctx.data::<Ctx>() else {
            return resolve.await;
        };
        if !root || !mutation || name == "inventorySetQuantities" {
            return resolve.await;
        }
        let args = ctx.field().arguments()?;
        let fingerprint = format!("{name}:{args:?}");
        let slot = format!("{name}\u{0}{}", self.key);
        let error = |code: &str, msg: &str| {
            let mut e = async_graphql::ServerError::new(msg, Some(ctx.item.pos));
            let mut ext = async_graphql::ErrorExtensionValues::default();
            ext.set("code", code);
            e.extensions = Some(ext);
            e
        };
        {
            let mut st = lock(&c.state.store);
            match st.idempotent.get(&slot) {
                Some(prior) if prior.fingerprint != fingerprint => {
                    return Err(error(
                        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                        "The same idempotency key was used with different parameters.",
                    ));
                }
                Some(prior) if prior.result.is_null() => {
                    return Err(error(
                        "IDEMPOTENCY_CONCURRENT_REQUEST",
                        "A request with this idempotency key is in progress.",
                    ));
                }
                Some(prior) => {
                    return Ok(Some(
                        async_graphql::Value::from_json(prior.result.clone())
                            .unwrap_or(async_graphql::Value::Null),
                    ));
                }
                None => {
                    st.idempotent.insert(
                        slot.clone(),
                        IdempotentRec {
                            fingerprint: fingerprint.clone(),
                            result: Value::Null,
                        },
                    );
                }
            }
        }
        let out = resolve.await;
        let mut st = lock(&c.state.store);
        match &out {
            Ok(Some(v)) => {
                let json = v.clone().into_json().unwrap_or(Value::Null);
                st.idempotent.insert(
                    slot,
                    IdempotentRec {
                        fingerprint,
                        result: json,
                    },
                );
            }
            _ => {
                // A failed attempt leaves no trace: the key may be used again.
                st.idempotent.remove(&slot);
            }
        }
        out
    }
}

#[Directive(location = "Field", name = "idempotent")]
fn idempotent(key: String) -> impl CustomDirective {
    Idempotent { key }
}

/// Builds the schema.
pub(crate) fn build_schema() -> ShopSchema {
    Schema::build(QueryRoot, Mutation, EmptySubscription)
        .directive(idempotent)
        .limit_depth(64)
        .finish()
}

/// The `@idempotent` key on the current field, if any.
pub(crate) fn idempotency_key(ctx: &Context<'_>) -> Result<Option<String>> {
    for d in ctx.field().directives()? {
        if d.name.node == "idempotent" {
            for (name, value) in d.arguments {
                if name.node == "key"
                    && let async_graphql::Value::String(s) = value.node
                {
                    if s.is_empty() {
                        return Err(Error::new("@idempotent: `key` must not be empty"));
                    }
                    return Ok(Some(s));
                }
            }
        }
    }
    Ok(None)
}

fn pargs(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    reverse: Option<bool>,
) -> PageArgs {
    PageArgs {
        first,
        after,
        last,
        before,
        reverse: reverse.unwrap_or(false),
    }
}

fn time_key(t: chrono::DateTime<chrono::Utc>) -> SortVal {
    SortVal::Int(t.timestamp_millis())
}

fn id_key(id: u64) -> SortVal {
    SortVal::Int(id as i64)
}

fn gid_arg(kind: &str, arg: &str, id: &ID) -> Result<u64> {
    parse_gid(kind, id.as_str()).ok_or_else(|| {
        Error::new(format!(
            "argument `{arg}`: `{}` is not a valid {kind} id (gid://shopify/{kind}/<number>)",
            id.as_str()
        ))
    })
}

fn money(ctx: &Context<'_>, amount: Decimal) -> Result<MoneyV2> {
    Ok(MoneyV2::new(amount, cx(ctx)?.state.currency))
}

fn bag(ctx: &Context<'_>, amount: Decimal) -> Result<MoneyBag> {
    Ok(MoneyBag::new(amount, cx(ctx)?.state.currency))
}

fn gql_id(kind: &str, id: u64) -> ID {
    ID(gid(kind, id))
}

fn legacy(id: u64) -> UnsignedInt64 {
    UnsignedInt64(id)
}

// ===================================================================== Shop

pub(crate) struct Shop;

#[Object]
impl Shop {
    async fn id(&self, ctx: &Context<'_>) -> Result<ID> {
        let _ = cx(ctx)?;
        Ok(gql_id("Shop", 1))
    }
    async fn name(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(cx(ctx)?.state.config.shop_name.clone())
    }
    async fn myshopify_domain(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(cx(ctx)?.state.config.shop_domain.clone())
    }
    async fn email(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(format!("owner@{}", cx(ctx)?.state.config.shop_domain))
    }
    async fn contact_email(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(format!("contact@{}", cx(ctx)?.state.config.shop_domain))
    }
    async fn currency_code(&self, ctx: &Context<'_>) -> Result<CurrencyCode> {
        Ok(cx(ctx)?.state.currency)
    }
    async fn enabled_presentment_currencies(&self, ctx: &Context<'_>) -> Result<Vec<CurrencyCode>> {
        Ok(vec![cx(ctx)?.state.currency])
    }
    async fn iana_timezone(&self) -> String {
        "Africa/Cairo".to_string()
    }
    async fn taxes_included(&self) -> bool {
        true
    }
    async fn tax_shipping(&self) -> bool {
        true
    }
    async fn url(&self, ctx: &Context<'_>) -> Result<Url> {
        Ok(Url(format!(
            "https://{}",
            cx(ctx)?.state.config.shop_domain
        )))
    }
    async fn primary_domain(&self, ctx: &Context<'_>) -> Result<Domain> {
        let host = cx(ctx)?.state.config.shop_domain.clone();
        Ok(Domain {
            url: Url(format!("https://{host}")),
            host,
            id: ID("gid://shopify/Domain/1".to_string()),
            ssl_enabled: true,
        })
    }
    async fn timezone_abbreviation(&self) -> &str {
        "EET"
    }
    async fn timezone_offset(&self) -> &str {
        "+0200"
    }
    async fn timezone_offset_minutes(&self) -> i32 {
        120
    }
    async fn plan(&self) -> ShopPlan {
        ShopPlan {
            display_name: "Basic".to_string(),
            partner_development: false,
            public_display_name: "Basic".to_string(),
            shopify_plus: false,
        }
    }
}

// ===================================================================== Location

#[derive(Clone)]
pub(crate) struct Location(pub(crate) LocationRec);

#[Object]
impl Location {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("Location", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn is_active(&self) -> bool {
        true
    }
    async fn activatable(&self) -> bool {
        true
    }
    async fn deactivatable(&self) -> bool {
        false
    }
    async fn deletable(&self) -> bool {
        false
    }
    async fn fulfills_online_orders(&self) -> bool {
        true
    }
    async fn has_active_inventory(&self, ctx: &Context<'_>) -> Result<bool> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.levels.values().any(|l| l.location_id == self.0.id))
    }
    async fn ships_inventory(&self) -> bool {
        true
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn address(&self) -> LocationAddress {
        LocationAddress {
            address1: Some(format!("{} main street", self.0.city)),
            address2: None,
            city: Some(self.0.city.clone()),
            country: Some("Egypt".to_string()),
            country_code: Some("EG".to_string()),
            formatted: vec![self.0.city.clone(), "Egypt".to_string()],
            phone: None,
            province: Some(self.0.city.clone()),
            province_code: None,
            zip: Some("11511".to_string()),
        }
    }
    async fn inventory_level(
        &self,
        ctx: &Context<'_>,
        inventory_item_id: ID,
    ) -> Result<Option<InventoryLevel>> {
        let item = gid_arg("InventoryItem", "inventoryItemId", &inventory_item_id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st
            .levels
            .get(&(item, self.0.id))
            .cloned()
            .map(InventoryLevel))
    }
    #[allow(clippy::too_many_arguments)]
    async fn inventory_levels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        query: Option<String>,
    ) -> Result<Connection<String, InventoryLevel>> {
        levels_connection(
            ctx,
            None,
            Some(self.0.id),
            pargs(first, after, last, before, reverse),
            query,
        )
    }
}

fn levels_connection(
    ctx: &Context<'_>,
    item: Option<u64>,
    location: Option<u64>,
    args: PageArgs,
    query: Option<String>,
) -> Result<Connection<String, InventoryLevel>> {
    let c = cx(ctx)?;
    let filter = Filter::parse(
        query.as_deref(),
        &[
            "updated_at",
            "created_at",
            "inventory_item_id",
            "location_id",
        ],
    )?;
    let st = lock(&c.state.store);
    let mut items = Vec::new();
    for l in st.levels.values() {
        if item.is_some_and(|i| i != l.item_id) || location.is_some_and(|i| i != l.location_id) {
            continue;
        }
        let ok = filter.matches(|f| match f {
            "updated_at" => Some(FieldVal::Time(l.updated_at)),
            "created_at" => Some(FieldVal::Time(l.created_at)),
            "inventory_item_id" => Some(FieldVal::Int(l.item_id as i64)),
            "location_id" => Some(FieldVal::Int(l.location_id as i64)),
            _ => None,
        })?;
        if ok {
            items.push((id_key(l.id), l.id, InventoryLevel(l.clone())));
        }
    }
    page(items, &args, c.bulk)
}

// ===================================================================== Product

#[derive(Clone)]
pub(crate) struct Product(pub(crate) ProductRec);

#[Object]
impl Product {
    async fn id(&self) -> Result<ID> {
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

// ===================================================================== Metafield

#[derive(Clone)]
pub(crate) struct Metafield {
    rec: MetafieldRec,
    owner_kind: &'static str,
}

#[Object]
impl Metafield {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("Metafield", self.rec.id))
    }
    async fn namespace(&self) -> &str {
        &self.rec.namespace
    }
    async fn key(&self) -> &str {
        &self.rec.key
    }
    async fn value(&self) -> &str {
        &self.rec.value
    }
    #[graphql(name = "type")]
    async fn type_(&self) -> &str {
        &self.rec.type_
    }
    async fn owner_type(&self) -> MetafieldOwnerType {
        match self.owner_kind {
            "ProductVariant" => MetafieldOwnerType::PRODUCTVARIANT,
            _ => MetafieldOwnerType::PRODUCT,
        }
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.rec.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.rec.updated_at)
    }
}

fn find_metafield(
    list: &[MetafieldRec],
    namespace: Option<String>,
    key: &str,
    kind: &'static str,
    _owner: u64,
) -> Option<Metafield> {
    let ns = namespace.unwrap_or_else(|| "custom".to_string());
    list.iter()
        .find(|m| m.namespace == ns && m.key == key)
        .map(|m| Metafield {
            rec: m.clone(),
            owner_kind: kind,
        })
}

fn metafields_connection(
    ctx: &Context<'_>,
    list: &[MetafieldRec],
    kind: &'static str,
    _owner: u64,
    namespace: Option<String>,
    keys: Option<Vec<String>>,
    args: PageArgs,
) -> Result<Connection<String, Metafield>> {
    let items = list
        .iter()
        .filter(|m| namespace.as_ref().is_none_or(|n| &m.namespace == n))
        .filter(|m| {
            keys.as_ref().is_none_or(|ks| {
                ks.iter()
                    .any(|k| *k == format!("{}.{}", m.namespace, m.key))
            })
        })
        .map(|m| {
            (
                id_key(m.id),
                m.id,
                Metafield {
                    rec: m.clone(),
                    owner_kind: kind,
                },
            )
        })
        .collect();
    page(items, &args, cx(ctx)?.bulk)
}

// ===================================================================== ProductVariant

#[derive(Clone)]
pub(crate) struct ProductVariant(pub(crate) VariantRec);

#[Object]
impl ProductVariant {
    async fn id(&self) -> Result<ID> {
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

// ===================================================================== Inventory

#[derive(Clone)]
pub(crate) struct InventoryItem(pub(crate) InventoryItemRec);

#[Object]
impl InventoryItem {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("InventoryItem", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn sku(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(st
            .variants
            .get(&self.0.variant_id)
            .and_then(|v| v.sku.clone()))
    }
    async fn tracked(&self) -> bool {
        self.0.tracked
    }
    async fn requires_shipping(&self) -> bool {
        self.0.requires_shipping
    }
    async fn unit_cost(&self, ctx: &Context<'_>) -> Result<Option<MoneyV2>> {
        self.0.cost.map(|c| money(ctx, c)).transpose()
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    async fn duplicate_sku_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let st = lock(&cx(ctx)?.state.store);
        let sku = st
            .variants
            .get(&self.0.variant_id)
            .and_then(|v| v.sku.clone());
        Ok(match sku {
            Some(s) => {
                st.variants
                    .values()
                    .filter(|v| v.sku.as_ref() == Some(&s))
                    .count() as i32
                    - 1
            }
            None => 0,
        })
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<ProductVariant> {
        let st = lock(&cx(ctx)?.state.store);
        st.variants
            .get(&self.0.variant_id)
            .cloned()
            .map(ProductVariant)
            .ok_or_else(|| Error::new("variant not found"))
    }
    async fn inventory_level(
        &self,
        ctx: &Context<'_>,
        location_id: ID,
    ) -> Result<Option<InventoryLevel>> {
        let loc = gid_arg("Location", "locationId", &location_id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st
            .levels
            .get(&(self.0.id, loc))
            .cloned()
            .map(InventoryLevel))
    }
    #[allow(clippy::too_many_arguments)]
    async fn inventory_levels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        query: Option<String>,
    ) -> Result<Connection<String, InventoryLevel>> {
        levels_connection(
            ctx,
            Some(self.0.id),
            None,
            pargs(first, after, last, before, reverse),
            query,
        )
    }
    async fn locations_count(&self, ctx: &Context<'_>) -> Result<Option<Count>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(Some(Count::exact(
            st.levels.keys().filter(|(i, _)| *i == self.0.id).count(),
        )))
    }
}

/// Quantity names the stand-in knows; all but `available` and `on_hand` are always 0.
pub(crate) const QUANTITY_NAMES: &[&str] = &[
    "available",
    "on_hand",
    "committed",
    "incoming",
    "reserved",
    "damaged",
    "safety_stock",
    "quality_control",
];

#[derive(Clone)]
pub(crate) struct InventoryLevel(pub(crate) LevelRec);

#[Object]
impl InventoryLevel {
    async fn id(&self) -> Result<ID> {
        Ok(ID(format!(
            "gid://shopify/InventoryLevel/{}?inventory_item_id={}",
            self.0.id, self.0.item_id
        )))
    }
    async fn can_deactivate(&self) -> bool {
        true
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<InventoryItem> {
        let st = lock(&cx(ctx)?.state.store);
        st.items
            .get(&self.0.item_id)
            .cloned()
            .map(InventoryItem)
            .ok_or_else(|| Error::new("inventory item not found"))
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Location> {
        let st = lock(&cx(ctx)?.state.store);
        st.locations
            .get(&self.0.location_id)
            .cloned()
            .map(Location)
            .ok_or_else(|| Error::new("location not found"))
    }
    async fn quantities(&self, names: Vec<String>) -> Result<Vec<InventoryQuantity>> {
        names
            .iter()
            .map(|n| {
                let q = match n.as_str() {
                    "available" => self.0.available,
                    "on_hand" => self.0.on_hand,
                    other if QUANTITY_NAMES.contains(&other) => 0,
                    other => {
                        return Err(Error::new(format!(
                            "argument `names`: unknown quantity name `{other}` (known: {})",
                            QUANTITY_NAMES.join(", ")
                        )));
                    }
                };
                Ok(InventoryQuantity {
                    level: self.0.id,
                    name: n.clone(),
                    quantity: q,
                    updated_at: self.0.updated_at,
                })
            })
            .collect()
    }
}

pub(crate) struct InventoryQuantity {
    level: u64,
    name: String,
    quantity: i64,
    updated_at: chrono::DateTime<chrono::Utc>,
}

#[Object]
impl InventoryQuantity {
    async fn id(&self) -> ID {
        ID(format!(
            "gid://shopify/InventoryQuantity/{}?name={}",
            self.level, self.name
        ))
    }
    async fn name(&self) -> &str {
        &self.name
    }
    async fn quantity(&self) -> i32 {
        i32::try_from(self.quantity).unwrap_or(i32::MAX)
    }
    async fn updated_at(&self) -> Option<DateTime> {
        Some(DateTime(self.updated_at))
    }
}

pub(crate) struct InventoryAdjustmentGroup(pub(crate) AdjustmentGroupRec);

#[Object]
impl InventoryAdjustmentGroup {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("InventoryAdjustmentGroup", self.0.id))
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn reference_document_uri(&self) -> Option<&str> {
        self.0.reference_document_uri.as_deref()
    }
    async fn changes(
        &self,
        inventory_item_ids: Option<Vec<ID>>,
        location_ids: Option<Vec<ID>>,
        quantity_names: Option<Vec<String>>,
    ) -> Vec<InventoryChange> {
        let items: Option<Vec<u64>> = inventory_item_ids.map(|v| {
            v.iter()
                .filter_map(|i| parse_gid("InventoryItem", i.as_str()))
                .collect()
        });
        let locs: Option<Vec<u64>> = location_ids.map(|v| {
            v.iter()
                .filter_map(|i| parse_gid("Location", i.as_str()))
                .collect()
        });
        self.0
            .changes
            .iter()
            .filter(|c| items.as_ref().is_none_or(|v| v.contains(&c.item_id)))
            .filter(|c| locs.as_ref().is_none_or(|v| v.contains(&c.location_id)))
            .filter(|c| quantity_names.as_ref().is_none_or(|v| v.contains(&c.name)))
            .cloned()
            .map(InventoryChange)
            .collect()
    }
}

pub(crate) struct InventoryChange(ChangeRec);

#[Object]
impl InventoryChange {
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn delta(&self) -> i32 {
        i32::try_from(self.0.delta).unwrap_or(i32::MAX)
    }
    async fn quantity_after_change(&self) -> Option<i32> {
        i32::try_from(self.0.quantity_after).ok()
    }
    async fn ledger_document_uri(&self) -> Option<&str> {
        self.0.ledger_document_uri.as_deref()
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<InventoryItem>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.items.get(&self.0.item_id).cloned().map(InventoryItem))
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.locations.get(&self.0.location_id).cloned().map(Location))
    }
}

// ===================================================================== Media / File

#[derive(Clone)]
pub(crate) struct MediaImage(pub(crate) MediaRec);

impl MediaImage {
    fn image_value(&self) -> Option<Image> {
        self.0.ready.then(|| Image {
            id: Some(gql_id("ImageSource", self.0.id)),
            alt_text: self.0.alt.clone(),
            url: Url(self.0.original_source.clone()),
            original_src: Url(self.0.original_source.clone()),
            src: Url(self.0.original_source.clone()),
            width: Some(1024),
            height: Some(1024),
        })
    }
}

#[Object]
impl MediaImage {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("MediaImage", self.0.id))
    }
    async fn alt(&self) -> Result<Option<String>> {
        Ok(self.0.alt.clone())
    }
    async fn media_content_type(&self) -> Result<MediaContentType> {
        Ok(MediaContentType::IMAGE)
    }
    async fn status(&self) -> Result<MediaStatus> {
        Ok(if self.0.ready {
            MediaStatus::READY
        } else {
            MediaStatus::FAILED
        })
    }
    async fn file_status(&self) -> Result<FileStatus> {
        Ok(if self.0.ready {
            FileStatus::READY
        } else {
            FileStatus::FAILED
        })
    }
    async fn media_errors(&self) -> Result<Vec<MediaError>> {
        Ok(self
            .0
            .error
            .iter()
            .map(|e| MediaError {
                code: if e.starts_with("Image could not be processed") {
                    MediaErrorCode::IMAGE_PROCESSING_FAILURE
                } else {
                    MediaErrorCode::IMAGE_DOWNLOAD_FAILURE
                },
                details: Some(e.clone()),
                message: e.clone(),
            })
            .collect())
    }
    async fn file_errors(&self) -> Result<Vec<FileError>> {
        Ok(self
            .0
            .error
            .iter()
            .map(|e| FileError {
                code: FileErrorCode::IMAGE_DOWNLOAD_FAILURE,
                details: Some(e.clone()),
                message: e.clone(),
            })
            .collect())
    }
    async fn media_warnings(&self) -> Result<Vec<MediaWarning>> {
        Ok(Vec::new())
    }
    async fn preview(&self) -> Result<Option<MediaPreviewImage>> {
        Ok(Some(MediaPreviewImage {
            image: self.image_value(),
            status: if self.0.ready {
                MediaPreviewImageStatus::READY
            } else {
                MediaPreviewImageStatus::FAILED
            },
        }))
    }
    async fn image(&self) -> Option<Image> {
        self.image_value()
    }
    async fn mime_type(&self) -> Option<&str> {
        self.0.mime_type.as_deref()
    }
    async fn original_source(&self) -> Option<MediaImageOriginalSource> {
        Some(MediaImageOriginalSource {
            file_size: None,
            url: Some(Url(self.0.original_source.clone())),
        })
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(DateTime(self.0.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(DateTime(self.0.updated_at))
    }
}

/// The `Media` interface (only images are supported).
#[allow(clippy::duplicated_attributes)]
#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "alt", ty = "Option<String>"),
    field(name = "media_content_type", ty = "MediaContentType"),
    field(name = "status", ty = "MediaStatus"),
    field(name = "media_errors", ty = "Vec<MediaError>"),
    field(name = "media_warnings", ty = "Vec<MediaWarning>"),
    field(name = "preview", ty = "Option<MediaPreviewImage>")
)]
pub(crate) enum Media {
    MediaImage(MediaImage),
}

/// The `File` interface (only images are supported).
#[allow(clippy::duplicated_attributes)]
#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "alt", ty = "Option<String>"),
    field(name = "file_status", ty = "FileStatus"),
    field(name = "file_errors", ty = "Vec<FileError>"),
    field(name = "preview", ty = "Option<MediaPreviewImage>"),
    field(name = "created_at", ty = "DateTime"),
    field(name = "updated_at", ty = "DateTime")
)]
pub(crate) enum File {
    MediaImage(MediaImage),
}

// ===================================================================== Customer

#[derive(Clone)]
pub(crate) struct MailingAddress(pub(crate) AddressRec);

#[Object]
impl MailingAddress {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("MailingAddress", self.0.id))
    }
    async fn first_name(&self) -> Option<&str> {
        Some(&self.0.first_name)
    }
    async fn last_name(&self) -> Option<&str> {
        Some(&self.0.last_name)
    }
    async fn name(&self) -> Option<String> {
        Some(format!("{} {}", self.0.first_name, self.0.last_name))
    }
    async fn address1(&self) -> Option<&str> {
        Some(&self.0.address1)
    }
    async fn address2(&self) -> Option<&str> {
        None
    }
    async fn company(&self) -> Option<&str> {
        None
    }
    async fn city(&self) -> Option<&str> {
        Some(&self.0.city)
    }
    async fn province(&self) -> Option<&str> {
        Some(&self.0.province)
    }
    async fn province_code(&self) -> Option<&str> {
        None
    }
    async fn country(&self) -> Option<&str> {
        Some(&self.0.country)
    }
    async fn country_code_v2(&self) -> Option<CountryCode> {
        CountryCode::parse(&self.0.country_code)
    }
    async fn zip(&self) -> Option<&str> {
        Some(&self.0.zip)
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn formatted(&self, with_name: Option<bool>, with_company: Option<bool>) -> Vec<String> {
        let _ = with_company;
        let mut out = Vec::new();
        if with_name.unwrap_or(false) {
            out.push(format!("{} {}", self.0.first_name, self.0.last_name));
        }
        out.push(self.0.address1.clone());
        out.push(format!("{} {}", self.0.city, self.0.zip));
        out.push(self.0.country.clone());
        out
    }
}

#[derive(Clone)]
pub(crate) struct Customer(pub(crate) CustomerRec);

#[Object]
impl Customer {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("Customer", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn first_name(&self) -> Option<&str> {
        Some(&self.0.first_name)
    }
    async fn last_name(&self) -> Option<&str> {
        Some(&self.0.last_name)
    }
    async fn display_name(&self) -> String {
        format!("{} {}", self.0.first_name, self.0.last_name)
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn default_email_address(&self) -> Option<CustomerEmailAddress> {
        self.0
            .email
            .clone()
            .map(|e| CustomerEmailAddress { email_address: e })
    }
    async fn default_phone_number(&self) -> Option<CustomerPhoneNumber> {
        self.0
            .phone
            .clone()
            .map(|p| CustomerPhoneNumber { phone_number: p })
    }
    async fn default_address(&self) -> Option<MailingAddress> {
        self.0.address.clone().map(MailingAddress)
    }
    async fn addresses(&self, first: Option<i32>) -> Vec<MailingAddress> {
        let n = first.map_or(usize::MAX, |n| n.max(0) as usize);
        self.0
            .address
            .clone()
            .map(MailingAddress)
            .into_iter()
            .take(n)
            .collect()
    }
    async fn addresses_v2(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, MailingAddress>> {
        let items = self
            .0
            .address
            .clone()
            .map(|a| (id_key(a.id), a.id, MailingAddress(a)))
            .into_iter()
            .collect();
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn state(&self) -> CustomerState {
        CustomerState::ENABLED
    }
    async fn verified_email(&self) -> bool {
        self.0.email.is_some()
    }
    async fn tax_exempt(&self) -> bool {
        false
    }
    async fn locale(&self) -> &str {
        "en"
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    async fn number_of_orders(&self, ctx: &Context<'_>) -> Result<UnsignedInt64> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(UnsignedInt64(
            st.orders
                .values()
                .filter(|o| o.customer_id == Some(self.0.id))
                .count() as u64,
        ))
    }
    async fn amount_spent(&self, ctx: &Context<'_>) -> Result<MoneyV2> {
        let total: Decimal = {
            let st = lock(&cx(ctx)?.state.store);
            st.orders
                .values()
                .filter(|o| o.customer_id == Some(self.0.id) && o.cancelled_at.is_none())
                .map(|o| totals(&st, o).total)
                .sum()
        };
        money(ctx, total)
    }
}

// ===================================================================== Orders

/// Derived order amounts.
pub(crate) struct Totals {
    pub(crate) subtotal: Decimal,
    pub(crate) discounts: Decimal,
    pub(crate) shipping: Decimal,
    pub(crate) tax: Decimal,
    pub(crate) total: Decimal,
    pub(crate) refunded: Decimal,
    pub(crate) refunded_subtotal: Decimal,
    pub(crate) refunded_tax: Decimal,
    pub(crate) refunded_shipping: Decimal,
    pub(crate) received: Decimal,
}

pub(crate) fn totals(st: &Store, o: &OrderRec) -> Totals {
    let subtotal: Decimal = o
        .lines
        .iter()
        .map(|l| l.unit_price * Decimal::from(l.quantity) - l.discount_total())
        .sum();
    let discounts: Decimal = o.lines.iter().map(|l| l.discount_total()).sum();
    let shipping: Decimal = o.shipping.iter().map(|s| s.price).sum();
    let tax: Decimal = o
        .lines
        .iter()
        .flat_map(|l| l.tax_lines.iter())
        .chain(o.shipping.iter().flat_map(|s| s.tax_lines.iter()))
        .map(|t| t.amount)
        .sum();
    let refunds: Vec<&RefundRec> = o
        .refund_ids
        .iter()
        .filter_map(|id| st.refunds.get(id))
        .collect();
    let refunded = refunds.iter().map(|r| r.total()).sum();
    let refunded_subtotal = refunds
        .iter()
        .flat_map(|r| r.lines.iter())
        .map(|l| l.subtotal)
        .sum();
    let refunded_tax: Decimal = refunds
        .iter()
        .map(|r| {
            r.lines.iter().map(|l| l.total_tax).sum::<Decimal>()
                + r.shipping.map_or(Decimal::ZERO, |s| s.2)
        })
        .sum();
    let refunded_shipping = refunds.iter().filter_map(|r| r.shipping).map(|s| s.1).sum();
    let received = o
        .transactions
        .iter()
        .filter(|t| t.kind == "SALE" && t.status == "SUCCESS")
        .map(|t| t.amount)
        .sum();
    Totals {
        subtotal,
        discounts,
        shipping,
        tax,
        total: subtotal + shipping,
        refunded,
        refunded_subtotal,
        refunded_tax,
        refunded_shipping,
        received,
    }
}

pub(crate) fn financial_status(st: &Store, o: &OrderRec) -> OrderDisplayFinancialStatus {
    let t = totals(st, o);
    if t.received.is_zero() {
        if o.cancelled_at.is_some() {
            return OrderDisplayFinancialStatus::VOIDED;
        }
        return OrderDisplayFinancialStatus::PENDING;
    }
    if t.refunded >= t.received {
        OrderDisplayFinancialStatus::REFUNDED
    } else if t.refunded > Decimal::ZERO {
        OrderDisplayFinancialStatus::PARTIALLY_REFUNDED
    } else if t.received < t.total {
        OrderDisplayFinancialStatus::PARTIALLY_PAID
    } else {
        OrderDisplayFinancialStatus::PAID
    }
}

pub(crate) fn fulfillment_status(o: &OrderRec) -> OrderDisplayFulfillmentStatus {
    let ordered: i64 = o.lines.iter().map(|l| l.quantity).sum();
    let done: i64 = o.lines.iter().map(|l| l.fulfilled_quantity).sum();
    if done == 0 {
        OrderDisplayFulfillmentStatus::UNFULFILLED
    } else if done >= ordered {
        OrderDisplayFulfillmentStatus::FULFILLED
    } else {
        OrderDisplayFulfillmentStatus::PARTIALLY_FULFILLED
    }
}

fn tax_line(ctx: &Context<'_>, t: &TaxRec) -> Result<TaxLine> {
    let rate: f64 = t.rate.try_into().unwrap_or(0.0);
    Ok(TaxLine {
        channel_liable: Some(false),
        price_set: bag(ctx, t.amount)?,
        rate: Some(rate),
        rate_percentage: Some((rate * 10000.0).round() / 100.0),
        source: Some("Shopify".to_string()),
        title: t.title.clone(),
    })
}

fn merge_taxes(lines: &[&TaxRec]) -> Vec<TaxRec> {
    let mut out: Vec<TaxRec> = Vec::new();
    for t in lines {
        match out
            .iter_mut()
            .find(|o| o.title == t.title && o.rate == t.rate)
        {
            Some(o) => o.amount += t.amount,
            None => out.push((*t).clone()),
        }
    }
    out
}

#[derive(Clone)]
pub(crate) struct Order(pub(crate) OrderRec);

#[Object]
impl Order {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("Order", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn number(&self) -> i32 {
        i32::try_from(self.0.number).unwrap_or(i32::MAX)
    }
    async fn confirmation_number(&self) -> Option<String> {
        Some(format!("C{:08}", self.0.id))
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn source_name(&self) -> Option<&str> {
        Some(&self.0.source_name)
    }
    async fn test(&self) -> bool {
        false
    }
    async fn confirmed(&self) -> bool {
        true
    }
    async fn closed(&self) -> bool {
        self.0.cancelled_at.is_some()
    }
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.cancelled_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn processed_at(&self) -> DateTime {
        DateTime(self.0.processed_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    /// Whether edits were applied (`Order.edited`); the stand-in does not simulate order edits.
    async fn edited(&self) -> bool {
        false
    }
    async fn cancelled_at(&self) -> Option<DateTime> {
        self.0.cancelled_at.map(DateTime)
    }
    async fn cancel_reason(&self) -> Option<OrderCancelReason> {
        self.0.cancel_reason.and_then(OrderCancelReason::parse)
    }
    async fn currency_code(&self, ctx: &Context<'_>) -> Result<CurrencyCode> {
        Ok(cx(ctx)?.state.currency)
    }
    async fn presentment_currency_code(&self, ctx: &Context<'_>) -> Result<CurrencyCode> {
        Ok(cx(ctx)?.state.currency)
    }
    async fn taxes_included(&self) -> bool {
        true
    }
    async fn tax_exempt(&self) -> bool {
        false
    }
    async fn estimated_taxes(&self) -> bool {
        false
    }
    async fn requires_shipping(&self) -> bool {
        !self.0.shipping.is_empty()
    }
    async fn display_financial_status(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<OrderDisplayFinancialStatus>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(Some(financial_status(&st, &self.0)))
    }
    async fn display_fulfillment_status(&self) -> OrderDisplayFulfillmentStatus {
        fulfillment_status(&self.0)
    }
    async fn fully_paid(&self, ctx: &Context<'_>) -> Result<bool> {
        let st = lock(&cx(ctx)?.state.store);
        let t = totals(&st, &self.0);
        Ok(t.received >= t.total)
    }
    async fn unpaid(&self, ctx: &Context<'_>) -> Result<bool> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(totals(&st, &self.0).received.is_zero())
    }
    async fn payment_gateway_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for t in &self.0.transactions {
            if !names.contains(&t.gateway) {
                names.push(t.gateway.clone());
            }
        }
        names
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .0
            .customer_id
            .and_then(|id| st.customers.get(&id))
            .cloned()
            .map(Customer))
    }
    async fn billing_address(&self) -> Option<MailingAddress> {
        self.0.billing_address.clone().map(MailingAddress)
    }
    async fn shipping_address(&self) -> Option<MailingAddress> {
        self.0.shipping_address.clone().map(MailingAddress)
    }
    async fn display_address(&self) -> Option<MailingAddress> {
        self.0
            .shipping_address
            .clone()
            .or_else(|| self.0.billing_address.clone())
            .map(MailingAddress)
    }
    #[allow(clippy::too_many_arguments)]
    async fn line_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, LineItem>> {
        let items = self
            .0
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                (
                    SortVal::Int(i as i64),
                    l.id,
                    LineItem {
                        line: l.clone(),
                        order: self.0.clone(),
                    },
                )
            })
            .collect();
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
    async fn subtotal_line_items_quantity(&self) -> i32 {
        self.0.lines.iter().map(|l| l.quantity as i32).sum()
    }
    async fn current_subtotal_line_items_quantity(&self, ctx: &Context<'_>) -> Result<i32> {
        let st = lock(&cx(ctx)?.state.store);
        let refunded: i64 = refunded_quantities(&st, &self.0)
            .iter()
            .map(|(_, q)| q)
            .sum();
        let ordered: i64 = self.0.lines.iter().map(|l| l.quantity).sum();
        Ok((ordered - refunded) as i32)
    }
    async fn shipping_line(&self) -> Option<ShippingLine> {
        self.0.shipping.first().cloned().map(ShippingLine)
    }
    #[allow(clippy::too_many_arguments)]
    async fn shipping_lines(
        &self,
        ctx: &Context<'_>,
        include_removals: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, ShippingLine>> {
        let _ = include_removals;
        let items = self
            .0
            .shipping
            .iter()
            .map(|s| (id_key(s.id), s.id, ShippingLine(s.clone())))
            .collect();
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
    async fn tax_lines(&self, ctx: &Context<'_>) -> Result<Vec<TaxLine>> {
        let all: Vec<&TaxRec> = self
            .0
            .lines
            .iter()
            .flat_map(|l| l.tax_lines.iter())
            .chain(self.0.shipping.iter().flat_map(|s| s.tax_lines.iter()))
            .collect();
        merge_taxes(&all).iter().map(|t| tax_line(ctx, t)).collect()
    }
    async fn current_tax_lines(&self, ctx: &Context<'_>) -> Result<Vec<TaxLine>> {
        let all: Vec<&TaxRec> = self
            .0
            .lines
            .iter()
            .flat_map(|l| l.tax_lines.iter())
            .chain(self.0.shipping.iter().flat_map(|s| s.tax_lines.iter()))
            .collect();
        let refunded_tax = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0).refunded_tax
        };
        merge_taxes(&all)
            .iter()
            .map(|t| {
                let mut t = t.clone();
                t.amount = (t.amount - refunded_tax).max(Decimal::ZERO);
                tax_line(ctx, &t)
            })
            .collect()
    }
    #[allow(clippy::too_many_arguments)]
    async fn discount_applications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, DiscountApplication>> {
        let items = self
            .0
            .discount_apps
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    SortVal::Int(i as i64),
                    i as u64,
                    discount_application(ctx, i, a),
                )
            })
            .map(|(k, i, r)| r.map(|v| (k, i, v)))
            .collect::<Result<Vec<_>>>()?;
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
    async fn discount_code(&self) -> Option<String> {
        self.0.discount_apps.iter().find_map(|a| a.code.clone())
    }
    async fn discount_codes(&self) -> Vec<String> {
        self.0
            .discount_apps
            .iter()
            .filter_map(|a| a.code.clone())
            .collect()
    }
    async fn subtotal_price_set(&self, ctx: &Context<'_>) -> Result<Option<MoneyBag>> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        Ok(Some(bag(ctx, t.subtotal)?))
    }
    async fn current_subtotal_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.subtotal - t.refunded_subtotal)
    }
    async fn total_discounts_set(&self, ctx: &Context<'_>) -> Result<Option<MoneyBag>> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        Ok(Some(bag(ctx, t.discounts)?))
    }
    async fn current_total_discounts_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.discounts)
    }
    async fn cart_discount_amount_set(&self, ctx: &Context<'_>) -> Result<Option<MoneyBag>> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        Ok(Some(bag(ctx, t.discounts)?))
    }
    async fn total_shipping_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.shipping)
    }
    async fn current_shipping_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.shipping - t.refunded_shipping)
    }
    async fn total_tax_set(&self, ctx: &Context<'_>) -> Result<Option<MoneyBag>> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        Ok(Some(bag(ctx, t.tax)?))
    }
    async fn current_total_tax_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.tax - t.refunded_tax)
    }
    async fn total_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.total)
    }
    async fn original_total_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.total)
    }
    async fn current_total_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.total - t.refunded)
    }
    async fn total_refunded_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.refunded)
    }
    async fn total_refunded_shipping_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.refunded_shipping)
    }
    async fn total_received_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.received)
    }
    async fn net_payment_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        bag(ctx, t.received - t.refunded)
    }
    async fn total_outstanding_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = {
            let st = lock(&cx(ctx)?.state.store);
            totals(&st, &self.0)
        };
        let outstanding = if self.0.cancelled_at.is_some() {
            Decimal::ZERO
        } else {
            (t.total - t.received).max(Decimal::ZERO)
        };
        bag(ctx, outstanding)
    }
    async fn transactions(&self, first: Option<i32>) -> Vec<OrderTransaction> {
        let n = first.map_or(usize::MAX, |n| n.max(0) as usize);
        self.0
            .transactions
            .iter()
            .take(n)
            .cloned()
            .map(OrderTransaction)
            .collect()
    }
    async fn refunds(&self, ctx: &Context<'_>, first: Option<i32>) -> Result<Vec<Refund>> {
        let n = first.map_or(usize::MAX, |n| n.max(0) as usize);
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .0
            .refund_ids
            .iter()
            .filter_map(|id| st.refunds.get(id))
            .take(n)
            .cloned()
            .map(Refund)
            .collect())
    }
    async fn fulfillments(&self, first: Option<i32>) -> Vec<Fulfillment> {
        let n = first.map_or(usize::MAX, |n| n.max(0) as usize);
        self.0
            .fulfillments
            .iter()
            .take(n)
            .cloned()
            .map(Fulfillment)
            .collect()
    }
    #[allow(clippy::too_many_arguments)]
    async fn fulfillment_orders(
        &self,
        ctx: &Context<'_>,
        displayable: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        query: Option<String>,
    ) -> Result<Connection<String, FulfillmentOrder>> {
        let _ = (displayable, query);
        let items = vec![(
            id_key(self.0.fulfillment_order_id),
            self.0.fulfillment_order_id,
            FulfillmentOrder(self.0.clone()),
        )];
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
}

/// (line id, refunded quantity) over all refunds of an order.
pub(crate) fn refunded_quantities(st: &Store, o: &OrderRec) -> Vec<(u64, i64)> {
    let mut out: Vec<(u64, i64)> = Vec::new();
    for r in o.refund_ids.iter().filter_map(|id| st.refunds.get(id)) {
        for l in &r.lines {
            match out.iter_mut().find(|(id, _)| *id == l.line_item_id) {
                Some(e) => e.1 += l.quantity,
                None => out.push((l.line_item_id, l.quantity)),
            }
        }
    }
    out
}

fn discount_application(
    ctx: &Context<'_>,
    index: usize,
    a: &DiscountAppRec,
) -> Result<DiscountApplication> {
    let value = match (a.percentage, a.amount) {
        (Some(p), _) => {
            PricingValue::PricingPercentageValue(PricingPercentageValue { percentage: p })
        }
        (None, Some(m)) => PricingValue::MoneyV2(money(ctx, m)?),
        (None, None) => PricingValue::MoneyV2(money(ctx, Decimal::ZERO)?),
    };
    let common = AppCommon {
        allocation_method: DiscountApplicationAllocationMethod::ACROSS,
        index: index as i32,
        target_selection: DiscountApplicationTargetSelection::ALL,
        target_type: if a.target_shipping {
            DiscountApplicationTargetType::SHIPPING_LINE
        } else {
            DiscountApplicationTargetType::LINE_ITEM
        },
        value,
        title: a.title.clone(),
    };
    Ok(match &a.code {
        Some(code) => DiscountApplication::DiscountCodeApplication(DiscountCodeApplication {
            c: common,
            code: code.clone(),
        }),
        None => DiscountApplication::AutomaticDiscountApplication(AutomaticDiscountApplication {
            c: common,
        }),
    })
}

#[derive(Clone)]
pub(crate) struct AppCommon {
    allocation_method: DiscountApplicationAllocationMethod,
    index: i32,
    target_selection: DiscountApplicationTargetSelection,
    target_type: DiscountApplicationTargetType,
    value: PricingValue,
    title: String,
}

#[derive(Clone)]
pub(crate) struct AutomaticDiscountApplication {
    c: AppCommon,
}

#[Object]
impl AutomaticDiscountApplication {
    async fn allocation_method(&self) -> Result<DiscountApplicationAllocationMethod> {
        Ok(self.c.allocation_method)
    }
    async fn index(&self) -> Result<i32> {
        Ok(self.c.index)
    }
    async fn target_selection(&self) -> Result<DiscountApplicationTargetSelection> {
        Ok(self.c.target_selection)
    }
    async fn target_type(&self) -> Result<DiscountApplicationTargetType> {
        Ok(self.c.target_type)
    }
    async fn value(&self) -> Result<PricingValue> {
        Ok(self.c.value.clone())
    }
    async fn title(&self) -> &str {
        &self.c.title
    }
}

#[derive(Clone)]
pub(crate) struct DiscountCodeApplication {
    c: AppCommon,
    code: String,
}

#[Object]
impl DiscountCodeApplication {
    async fn allocation_method(&self) -> Result<DiscountApplicationAllocationMethod> {
        Ok(self.c.allocation_method)
    }
    async fn index(&self) -> Result<i32> {
        Ok(self.c.index)
    }
    async fn target_selection(&self) -> Result<DiscountApplicationTargetSelection> {
        Ok(self.c.target_selection)
    }
    async fn target_type(&self) -> Result<DiscountApplicationTargetType> {
        Ok(self.c.target_type)
    }
    async fn value(&self) -> Result<PricingValue> {
        Ok(self.c.value.clone())
    }
    async fn code(&self) -> &str {
        &self.code
    }
}

/// `DiscountApplication` interface.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface, Clone)]
#[graphql(
    field(name = "allocation_method", ty = "DiscountApplicationAllocationMethod"),
    field(name = "index", ty = "i32"),
    field(name = "target_selection", ty = "DiscountApplicationTargetSelection"),
    field(name = "target_type", ty = "DiscountApplicationTargetType"),
    field(name = "value", ty = "PricingValue")
)]
pub(crate) enum DiscountApplication {
    AutomaticDiscountApplication(AutomaticDiscountApplication),
    DiscountCodeApplication(DiscountCodeApplication),
}

pub(crate) struct DiscountAllocation {
    amount: Decimal,
    application: DiscountApplication,
}

#[Object]
impl DiscountAllocation {
    async fn allocated_amount_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.amount)
    }
    async fn discount_application(&self) -> &DiscountApplication {
        &self.application
    }
}

#[derive(Clone)]
pub(crate) struct LineItem {
    line: LineRec,
    order: OrderRec,
}

#[Object]
impl LineItem {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("LineItem", self.line.id))
    }
    async fn name(&self) -> String {
        match &self.line.variant_title {
            Some(v) => format!("{} - {v}", self.line.title),
            None => self.line.title.clone(),
        }
    }
    async fn title(&self) -> &str {
        &self.line.title
    }
    async fn variant_title(&self) -> Option<&str> {
        self.line.variant_title.as_deref()
    }
    async fn sku(&self) -> Option<&str> {
        self.line.sku.as_deref()
    }
    async fn vendor(&self) -> Option<&str> {
        None
    }
    async fn quantity(&self) -> i32 {
        self.line.quantity as i32
    }
    async fn current_quantity(&self, ctx: &Context<'_>) -> Result<i32> {
        let st = lock(&cx(ctx)?.state.store);
        let refunded = refunded_quantities(&st, &self.order)
            .iter()
            .find(|(id, _)| *id == self.line.id)
            .map_or(0, |(_, q)| *q);
        Ok((self.line.quantity - refunded) as i32)
    }
    async fn refundable_quantity(&self, ctx: &Context<'_>) -> Result<i32> {
        self.current_quantity(ctx).await
    }
    async fn unfulfilled_quantity(&self) -> i32 {
        (self.line.quantity - self.line.fulfilled_quantity) as i32
    }
    async fn non_fulfillable_quantity(&self) -> i32 {
        0
    }
    async fn requires_shipping(&self) -> bool {
        true
    }
    async fn taxable(&self) -> bool {
        !self.line.tax_lines.is_empty()
    }
    async fn is_gift_card(&self) -> bool {
        false
    }
    async fn restockable(&self) -> bool {
        self.line.variant_id.is_some()
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .line
            .variant_id
            .and_then(|id| st.variants.get(&id))
            .cloned()
            .map(ProductVariant))
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .line
            .product_id
            .and_then(|id| st.products.get(&id))
            .cloned()
            .map(Product))
    }
    async fn original_unit_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.line.unit_price)
    }
    async fn original_total_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(
            ctx,
            self.line.unit_price * Decimal::from(self.line.quantity),
        )
    }
    async fn discounted_unit_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.line.unit_price)
    }
    async fn discounted_unit_price_after_all_discounts_set(
        &self,
        ctx: &Context<'_>,
    ) -> Result<MoneyBag> {
        let q = Decimal::from(self.line.quantity.max(1));
        bag(
            ctx,
            ((self.line.unit_price * q - self.line.discount_total()) / q).round_dp(2),
        )
    }
    async fn discounted_total_set(
        &self,
        ctx: &Context<'_>,
        with_code_discounts: Option<bool>,
    ) -> Result<MoneyBag> {
        let gross = self.line.unit_price * Decimal::from(self.line.quantity);
        if with_code_discounts.unwrap_or(false) {
            bag(ctx, gross - self.line.discount_total())
        } else {
            bag(ctx, gross)
        }
    }
    async fn total_discount_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.line.discount_total())
    }
    async fn discount_allocations(&self, ctx: &Context<'_>) -> Result<Vec<DiscountAllocation>> {
        self.line
            .allocations
            .iter()
            .filter_map(|a| {
                self.order
                    .discount_apps
                    .get(a.application_index)
                    .map(|app| (a, app))
            })
            .map(|(a, app)| {
                Ok(DiscountAllocation {
                    amount: a.amount,
                    application: discount_application(ctx, a.application_index, app)?,
                })
            })
            .collect()
    }
    async fn tax_lines(&self, ctx: &Context<'_>, first: Option<i32>) -> Result<Vec<TaxLine>> {
        let n = first.map_or(usize::MAX, |n| n.max(0) as usize);
        self.line
            .tax_lines
            .iter()
            .take(n)
            .map(|t| tax_line(ctx, t))
            .collect()
    }
    async fn custom_attributes(&self) -> Vec<Attribute> {
        Vec::new()
    }
}

#[derive(Clone)]
pub(crate) struct ShippingLine(pub(crate) ShippingRec);

#[Object]
impl ShippingLine {
    async fn id(&self) -> Option<ID> {
        Some(gql_id("ShippingLine", self.0.id))
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn code(&self) -> Option<&str> {
        Some(&self.0.code)
    }
    async fn source(&self) -> Option<&str> {
        Some("shopify")
    }
    async fn carrier_identifier(&self) -> Option<&str> {
        None
    }
    async fn custom(&self) -> bool {
        false
    }
    async fn is_removed(&self) -> bool {
        false
    }
    async fn original_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.0.price)
    }
    async fn discounted_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.0.price)
    }
    async fn current_discounted_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.0.price)
    }
    async fn tax_lines(&self, ctx: &Context<'_>) -> Result<Vec<TaxLine>> {
        self.0.tax_lines.iter().map(|t| tax_line(ctx, t)).collect()
    }
    async fn discount_allocations(&self) -> Vec<DiscountAllocation> {
        Vec::new()
    }
}

#[derive(Clone)]
pub(crate) struct OrderTransaction(pub(crate) TransactionRec);

#[Object]
impl OrderTransaction {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("OrderTransaction", self.0.id))
    }
    async fn kind(&self) -> OrderTransactionKind {
        OrderTransactionKind::parse(self.0.kind).unwrap_or(OrderTransactionKind::SALE)
    }
    async fn status(&self) -> OrderTransactionStatus {
        OrderTransactionStatus::parse(self.0.status).unwrap_or(OrderTransactionStatus::UNKNOWN)
    }
    async fn gateway(&self) -> Option<&str> {
        Some(&self.0.gateway)
    }
    async fn formatted_gateway(&self) -> Option<String> {
        Some(
            self.0
                .gateway
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
    async fn manual_payment_gateway(&self) -> bool {
        self.0.gateway.contains("Cash") || self.0.gateway == "manual"
    }
    async fn test(&self) -> bool {
        false
    }
    async fn amount_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.0.amount)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn processed_at(&self) -> Option<DateTime> {
        Some(DateTime(self.0.created_at))
    }
}

#[derive(Clone)]
pub(crate) struct Refund(pub(crate) RefundRec);

#[Object]
impl Refund {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("Refund", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn created_at(&self) -> Option<DateTime> {
        Some(DateTime(self.0.created_at))
    }
    async fn processed_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn total_refunded_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.0.total())
    }
    async fn order(&self, ctx: &Context<'_>) -> Result<Order> {
        let st = lock(&cx(ctx)?.state.store);
        st.orders
            .get(&self.0.order_id)
            .cloned()
            .map(Order)
            .ok_or_else(|| Error::new("order not found"))
    }
    #[allow(clippy::too_many_arguments)]
    async fn refund_line_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, RefundLineItem>> {
        let c = cx(ctx)?;
        let order = lock(&c.state.store)
            .orders
            .get(&self.0.order_id)
            .cloned()
            .ok_or_else(|| Error::new("order not found"))?;
        let items = self
            .0
            .lines
            .iter()
            .map(|l| {
                (
                    id_key(l.id),
                    l.id,
                    RefundLineItem {
                        rec: l.clone(),
                        order: order.clone(),
                    },
                )
            })
            .collect();
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }
    #[allow(clippy::too_many_arguments)]
    async fn refund_shipping_lines(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, RefundShippingLine>> {
        let c = cx(ctx)?;
        let order = lock(&c.state.store).orders.get(&self.0.order_id).cloned();
        let items = self
            .0
            .shipping
            .iter()
            .filter_map(|(sid, amount, tax)| {
                let line = order
                    .as_ref()?
                    .shipping
                    .iter()
                    .find(|s| s.id == *sid)?
                    .clone();
                Some((
                    id_key(*sid),
                    *sid,
                    RefundShippingLine {
                        line,
                        amount: *amount,
                        tax: *tax,
                        refund: self.0.id,
                    },
                ))
            })
            .collect();
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }
    #[allow(clippy::too_many_arguments)]
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, OrderTransaction>> {
        let items = self
            .0
            .transactions
            .iter()
            .map(|t| (id_key(t.id), t.id, OrderTransaction(t.clone())))
            .collect();
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
}

#[derive(Clone)]
pub(crate) struct RefundLineItem {
    rec: RefundLineRec,
    order: OrderRec,
}

#[Object]
impl RefundLineItem {
    async fn id(&self) -> Option<ID> {
        Some(gql_id("RefundLineItem", self.rec.id))
    }
    async fn quantity(&self) -> i32 {
        self.rec.quantity as i32
    }
    async fn restock_type(&self) -> RefundLineItemRestockType {
        RefundLineItemRestockType::parse(self.rec.restock_type)
            .unwrap_or(RefundLineItemRestockType::NO_RESTOCK)
    }
    async fn restocked(&self) -> bool {
        self.rec.restock_type != "NO_RESTOCK"
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .rec
            .location_id
            .and_then(|id| st.locations.get(&id))
            .cloned()
            .map(Location))
    }
    async fn price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.rec.unit_price)
    }
    async fn subtotal_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.rec.subtotal)
    }
    async fn total_tax_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.rec.total_tax)
    }
    async fn line_item(&self) -> Result<LineItem> {
        self.order
            .lines
            .iter()
            .find(|l| l.id == self.rec.line_item_id)
            .map(|l| LineItem {
                line: l.clone(),
                order: self.order.clone(),
            })
            .ok_or_else(|| Error::new("line item not found"))
    }
}

#[derive(Clone)]
pub(crate) struct RefundShippingLine {
    line: ShippingRec,
    amount: Decimal,
    tax: Decimal,
    refund: u64,
}

#[Object]
impl RefundShippingLine {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("RefundShippingLine", self.refund))
    }
    async fn shipping_line(&self) -> ShippingLine {
        ShippingLine(self.line.clone())
    }
    async fn subtotal_amount_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.amount - self.tax)
    }
    async fn tax_amount_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.tax)
    }
}

#[derive(Clone)]
pub(crate) struct Fulfillment(pub(crate) FulfillmentRec);

#[Object]
impl Fulfillment {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("Fulfillment", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> FulfillmentStatus {
        FulfillmentStatus::SUCCESS
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn requires_shipping(&self) -> bool {
        true
    }
    async fn total_quantity(&self) -> i32 {
        self.0.lines.iter().map(|(_, q)| *q as i32).sum()
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .0
            .location_id
            .and_then(|id| st.locations.get(&id))
            .cloned()
            .map(Location))
    }
    async fn tracking_info(&self, first: Option<i32>) -> Vec<FulfillmentTrackingInfo> {
        let n = first.map_or(usize::MAX, |n| n.max(0) as usize);
        let count = self
            .0
            .tracking_numbers
            .len()
            .max(self.0.tracking_urls.len());
        (0..count)
            .map(|i| FulfillmentTrackingInfo {
                company: self.0.tracking_company.clone(),
                number: self.0.tracking_numbers.get(i).cloned(),
                url: self.0.tracking_urls.get(i).cloned().map(Url),
            })
            .take(n)
            .collect()
    }
}

#[derive(Clone)]
pub(crate) struct FulfillmentOrder(pub(crate) OrderRec);

#[Object]
impl FulfillmentOrder {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("FulfillmentOrder", self.0.fulfillment_order_id))
    }
    async fn order_id(&self) -> ID {
        gql_id("Order", self.0.id)
    }
    async fn order_name(&self) -> &str {
        &self.0.name
    }
    async fn order_processed_at(&self) -> DateTime {
        DateTime(self.0.processed_at)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    async fn status(&self) -> FulfillmentOrderStatus {
        if self.0.cancelled_at.is_some() {
            FulfillmentOrderStatus::CANCELLED
        } else if fulfillment_status(&self.0) == OrderDisplayFulfillmentStatus::FULFILLED {
            FulfillmentOrderStatus::CLOSED
        } else if fulfillment_status(&self.0) == OrderDisplayFulfillmentStatus::PARTIALLY_FULFILLED
        {
            FulfillmentOrderStatus::IN_PROGRESS
        } else {
            FulfillmentOrderStatus::OPEN
        }
    }
    async fn order(&self) -> Order {
        Order(self.0.clone())
    }
    #[allow(clippy::too_many_arguments)]
    async fn line_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, FulfillmentOrderLineItem>> {
        let items = self
            .0
            .lines
            .iter()
            .map(|l| {
                (
                    id_key(l.id),
                    l.id,
                    FulfillmentOrderLineItem {
                        line: l.clone(),
                        order: self.0.clone(),
                    },
                )
            })
            .collect();
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
}

#[derive(Clone)]
pub(crate) struct FulfillmentOrderLineItem {
    line: LineRec,
    order: OrderRec,
}

#[Object]
impl FulfillmentOrderLineItem {
    /// The fulfillment order line item id shares the number of its order line.
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("FulfillmentOrderLineItem", self.line.id))
    }
    async fn total_quantity(&self) -> i32 {
        self.line.quantity as i32
    }
    async fn remaining_quantity(&self) -> i32 {
        (self.line.quantity - self.line.fulfilled_quantity) as i32
    }
    async fn sku(&self) -> Option<&str> {
        self.line.sku.as_deref()
    }
    async fn product_title(&self) -> &str {
        &self.line.title
    }
    async fn variant_title(&self) -> Option<&str> {
        self.line.variant_title.as_deref()
    }
    async fn requires_shipping(&self) -> bool {
        true
    }
    async fn line_item(&self) -> LineItem {
        LineItem {
            line: self.line.clone(),
            order: self.order.clone(),
        }
    }
}

// ===================================================================== Webhooks, bulk, ops

#[derive(Clone)]
pub(crate) struct WebhookSubscription(pub(crate) WebhookRec);

#[Object]
impl WebhookSubscription {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("WebhookSubscription", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn topic(&self) -> Result<WebhookSubscriptionTopic> {
        WebhookSubscriptionTopic::parse(&self.0.topic).ok_or_else(|| Error::new("unknown topic"))
    }
    async fn uri(&self) -> &str {
        &self.0.uri
    }
    async fn callback_url(&self) -> Url {
        Url(self.0.uri.clone())
    }
    async fn format(&self) -> WebhookSubscriptionFormat {
        if self.0.format_json {
            WebhookSubscriptionFormat::JSON
        } else {
            WebhookSubscriptionFormat::XML
        }
    }
    async fn include_fields(&self) -> &[String] {
        &self.0.include_fields
    }
    async fn metafield_namespaces(&self) -> Vec<String> {
        Vec::new()
    }
    async fn filter(&self) -> Option<&str> {
        self.0.filter.as_deref()
    }
    async fn api_version(&self, ctx: &Context<'_>) -> Result<ApiVersion> {
        let v = cx(ctx)?.version.clone();
        Ok(ApiVersion {
            display_name: v.clone(),
            handle: v,
            supported: true,
        })
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

#[derive(Clone)]
pub(crate) struct BulkOperation(pub(crate) BulkRec);

#[Object]
impl BulkOperation {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("BulkOperation", self.0.id))
    }
    async fn status(&self) -> BulkOperationStatus {
        BulkOperationStatus::parse(self.0.status).unwrap_or(BulkOperationStatus::FAILED)
    }
    #[graphql(name = "type")]
    async fn type_(&self) -> BulkOperationType {
        if self.0.mutation {
            BulkOperationType::MUTATION
        } else {
            BulkOperationType::QUERY
        }
    }
    async fn error_code(&self) -> Option<BulkOperationErrorCode> {
        self.0.error_code.and_then(BulkOperationErrorCode::parse)
    }
    async fn query(&self) -> &str {
        &self.0.query
    }
    async fn object_count(&self) -> UnsignedInt64 {
        UnsignedInt64(self.0.object_count)
    }
    async fn root_object_count(&self) -> UnsignedInt64 {
        UnsignedInt64(self.0.root_object_count)
    }
    async fn file_size(&self) -> Option<UnsignedInt64> {
        self.0
            .result
            .as_ref()
            .map(|r| UnsignedInt64(r.len() as u64))
    }
    async fn url(&self, ctx: &Context<'_>) -> Result<Option<Url>> {
        let base = &cx(ctx)?.base_url;
        Ok(match (&self.0.result, self.0.status) {
            (Some(r), "COMPLETED") if !r.is_empty() => {
                Some(Url(format!("{base}/__shopify/bulk/{}.jsonl", self.0.id)))
            }
            _ => None,
        })
    }
    async fn partial_data_url(&self) -> Option<Url> {
        None
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(DateTime)
    }
}

#[derive(Clone)]
pub(crate) struct ProductSetOperation(pub(crate) ProductOpRec);

#[Object]
impl ProductSetOperation {
    async fn id(&self) -> Result<ID> {
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

#[derive(Clone)]
pub(crate) struct DiscountAutomaticBasic(pub(crate) DiscountRec);

#[Object]
impl DiscountAutomaticBasic {
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> DiscountStatus {
        let now = super::store::now();
        if self.0.starts_at > now {
            DiscountStatus::SCHEDULED
        } else if self.0.ends_at.is_some_and(|e| e <= now) {
            DiscountStatus::EXPIRED
        } else {
            DiscountStatus::ACTIVE
        }
    }
    async fn starts_at(&self) -> DateTime {
        DateTime(self.0.starts_at)
    }
    async fn ends_at(&self) -> Option<DateTime> {
        self.0.ends_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn summary(&self) -> String {
        discount_summary(&self.0)
    }
    async fn short_summary(&self) -> String {
        discount_summary(&self.0)
    }
    async fn async_usage_count(&self) -> i32 {
        0
    }
    async fn recurring_cycle_limit(&self) -> i32 {
        0
    }
}

fn discount_summary(d: &DiscountRec) -> String {
    match (d.percentage, d.amount) {
        (Some(p), _) => format!("{}% off", p * 100.0),
        (None, Some(a)) => format!("{} off", money_str(a)),
        _ => String::new(),
    }
}

/// `DiscountAutomatic` union (basic discounts only).
#[derive(Union, Clone)]
pub(crate) enum DiscountAutomatic {
    DiscountAutomaticBasic(DiscountAutomaticBasic),
}

#[derive(Clone)]
pub(crate) struct DiscountAutomaticNode(pub(crate) DiscountRec);

#[Object]
impl DiscountAutomaticNode {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("DiscountAutomaticNode", self.0.id))
    }
    async fn automatic_discount(&self) -> DiscountAutomatic {
        DiscountAutomatic::DiscountAutomaticBasic(DiscountAutomaticBasic(self.0.clone()))
    }
}

pub(crate) struct PriceListPrice {
    pub(crate) variant_id: u64,
    pub(crate) price: Decimal,
    pub(crate) compare_at: Option<Decimal>,
}

#[Object]
impl PriceListPrice {
    async fn price(&self, ctx: &Context<'_>) -> Result<MoneyV2> {
        money(ctx, self.price)
    }
    async fn compare_at_price(&self, ctx: &Context<'_>) -> Result<Option<MoneyV2>> {
        self.compare_at.map(|c| money(ctx, c)).transpose()
    }
    async fn origin_type(&self) -> PriceListPriceOriginType {
        PriceListPriceOriginType::FIXED
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<ProductVariant> {
        let st = lock(&cx(ctx)?.state.store);
        st.variants
            .get(&self.variant_id)
            .cloned()
            .map(ProductVariant)
            .ok_or_else(|| Error::new("variant not found"))
    }
}

/// The `Node` interface, for `node(id:)` and `nodes(ids:)`.
#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID"))]
pub(crate) enum Node {
    Product(Product),
    ProductVariant(ProductVariant),
    Location(Location),
    InventoryItem(InventoryItem),
    InventoryLevel(InventoryLevel),
    MediaImage(MediaImage),
    Customer(Customer),
    Order(Order),
    Refund(Refund),
    Fulfillment(Fulfillment),
    FulfillmentOrder(FulfillmentOrder),
    WebhookSubscription(WebhookSubscription),
    BulkOperation(BulkOperation),
    ProductSetOperation(ProductSetOperation),
    DiscountAutomaticNode(DiscountAutomaticNode),
}

/// Finds any supported object by its GID.
fn find_node(st: &Store, id: &str) -> Option<Node> {
    let rest = id.strip_prefix("gid://shopify/")?;
    let (kind, num) = rest.split_once('/')?;
    let n: u64 = num.split('?').next()?.parse().ok()?;
    Some(match kind {
        "Product" => Node::Product(Product(st.products.get(&n)?.clone())),
        "ProductVariant" => Node::ProductVariant(ProductVariant(st.variants.get(&n)?.clone())),
        "Location" => Node::Location(Location(st.locations.get(&n)?.clone())),
        "InventoryItem" => Node::InventoryItem(InventoryItem(st.items.get(&n)?.clone())),
        "InventoryLevel" => Node::InventoryLevel(InventoryLevel(
            st.levels.values().find(|l| l.id == n)?.clone(),
        )),
        "MediaImage" => Node::MediaImage(MediaImage(st.media.get(&n)?.clone())),
        "Customer" => Node::Customer(Customer(st.customers.get(&n)?.clone())),
        "Order" => Node::Order(Order(st.orders.get(&n)?.clone())),
        "Refund" => Node::Refund(Refund(st.refunds.get(&n)?.clone())),
        "Fulfillment" => Node::Fulfillment(Fulfillment(
            st.orders
                .values()
                .flat_map(|o| o.fulfillments.iter())
                .find(|f| f.id == n)?
                .clone(),
        )),
        "FulfillmentOrder" => Node::FulfillmentOrder(FulfillmentOrder(
            st.orders
                .values()
                .find(|o| o.fulfillment_order_id == n)?
                .clone(),
        )),
        "WebhookSubscription" => {
            Node::WebhookSubscription(WebhookSubscription(st.webhooks.get(&n)?.clone()))
        }
        "BulkOperation" => Node::BulkOperation(BulkOperation(st.bulk_ops.get(&n)?.clone())),
        "ProductSetOperation" => {
            Node::ProductSetOperation(ProductSetOperation(st.product_ops.get(&n)?.clone()))
        }
        "DiscountAutomaticNode" => {
            Node::DiscountAutomaticNode(DiscountAutomaticNode(st.discounts.get(&n)?.clone()))
        }
        _ => return None,
    })
}

// ===================================================================== QueryRoot

pub(crate) struct QueryRoot;

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

#[Object(name = "QueryRoot")]
impl QueryRoot {
    async fn shop(&self) -> Shop {
        Shop
    }

    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(find_node(&st, id.as_str()))
    }

    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > 250 {
            return Err(Error::new("argument `ids`: at most 250 ids per request"));
        }
        let st = lock(&cx(ctx)?.state.store);
        Ok(ids.iter().map(|id| find_node(&st, id.as_str())).collect())
    }

    #[allow(clippy::too_many_arguments)]
    async fn locations(
        &self,
        ctx: &Context<'_>,
        include_legacy: Option<bool>,
        include_inactive: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        sort_key: Option<LocationSortKeys>,
        query: Option<String>,
    ) -> Result<Connection<String, Location>> {
        let _ = (include_legacy, include_inactive);
        let c = cx(ctx)?;
        let filter = Filter::parse(query.as_deref(), &["name", "id", "created_at"])?;
        let st = lock(&c.state.store);
        let mut items = Vec::new();
        for l in st.locations.values() {
            let ok = filter.matches(|f| match f {
                "" | "name" => Some(FieldVal::Str(l.name.clone())),
                "id" => Some(FieldVal::Int(l.id as i64)),
                "created_at" => Some(FieldVal::Time(l.created_at)),
                _ => None,
            })?;
            if ok {
                let key = match sort_key.unwrap_or(LocationSortKeys::NAME) {
                    LocationSortKeys::NAME => SortVal::Str(l.name.clone()),
                    _ => id_key(l.id),
                };
                items.push((key, l.id, Location(l.clone())));
            }
        }
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }

    async fn location(&self, ctx: &Context<'_>, id: Option<ID>) -> Result<Option<Location>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(match id {
            Some(id) => st
                .locations
                .get(&gid_arg("Location", "id", &id)?)
                .cloned()
                .map(Location),
            None => st.locations.values().next().cloned().map(Location),
        })
    }

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
        identifier: super::mutations::ProductIdentifierInput,
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

    async fn inventory_item(&self, ctx: &Context<'_>, id: ID) -> Result<Option<InventoryItem>> {
        let id = gid_arg("InventoryItem", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.items.get(&id).cloned().map(InventoryItem))
    }

    #[allow(clippy::too_many_arguments)]
    async fn inventory_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        query: Option<String>,
    ) -> Result<Connection<String, InventoryItem>> {
        let c = cx(ctx)?;
        let filter = Filter::parse(query.as_deref(), &["sku", "id", "updated_at", "created_at"])?;
        let st = lock(&c.state.store);
        let mut items = Vec::new();
        for i in st.items.values() {
            let sku = st
                .variants
                .get(&i.variant_id)
                .and_then(|v| v.sku.clone())
                .unwrap_or_default();
            let ok = filter.matches(|f| {
                Some(match f {
                    "" | "sku" => FieldVal::Str(sku.clone()),
                    "id" => FieldVal::Int(i.id as i64),
                    "updated_at" => FieldVal::Time(i.updated_at),
                    "created_at" => FieldVal::Time(i.created_at),
                    _ => return None,
                })
            })?;
            if ok {
                items.push((id_key(i.id), i.id, InventoryItem(i.clone())));
            }
        }
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }

    async fn inventory_level(&self, ctx: &Context<'_>, id: ID) -> Result<Option<InventoryLevel>> {
        let level = id
            .as_str()
            .strip_prefix("gid://shopify/InventoryLevel/")
            .and_then(|r| r.split('?').next())
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| {
                Error::new(format!(
                    "argument `id`: `{}` is not a valid InventoryLevel id",
                    id.as_str()
                ))
            })?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st
            .levels
            .values()
            .find(|l| l.id == level)
            .cloned()
            .map(InventoryLevel))
    }

    #[allow(clippy::too_many_arguments)]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        sort_key: Option<OrderSortKeys>,
        query: Option<String>,
        saved_search_id: Option<ID>,
    ) -> Result<Connection<String, Order>> {
        if saved_search_id.is_some() {
            return Err(Error::new(
                "argument `savedSearchId`: saved searches are not supported by the sandbox",
            ));
        }
        let c = cx(ctx)?;
        let filter = Filter::parse(
            query.as_deref(),
            &[
                "updated_at",
                "created_at",
                "processed_at",
                "name",
                "id",
                "status",
                "financial_status",
                "fulfillment_status",
                "sku",
                "email",
                "customer_id",
                "tag",
            ],
        )?;
        let st = lock(&c.state.store);
        let mut items = Vec::new();
        for o in st.orders.values() {
            let ok = filter.matches(|f| {
                Some(match f {
                    "updated_at" => FieldVal::Time(o.updated_at),
                    "created_at" => FieldVal::Time(o.created_at),
                    "processed_at" => FieldVal::Time(o.processed_at),
                    "" | "name" => FieldVal::List(vec![
                        o.name.clone(),
                        o.name.trim_start_matches('#').to_string(),
                    ]),
                    "id" => FieldVal::Int(o.id as i64),
                    "status" => FieldVal::Str(
                        if o.cancelled_at.is_some() {
                            "cancelled"
                        } else {
                            "open"
                        }
                        .to_string(),
                    ),
                    "financial_status" => {
                        FieldVal::Str(financial_status(&st, o).as_str().to_lowercase())
                    }
                    "fulfillment_status" => FieldVal::Str(
                        match fulfillment_status(o) {
                            OrderDisplayFulfillmentStatus::FULFILLED => "shipped",
                            OrderDisplayFulfillmentStatus::PARTIALLY_FULFILLED => "partial",
                            _ => "unshipped",
                        }
                        .to_string(),
                    ),
                    "sku" => FieldVal::List(o.lines.iter().filter_map(|l| l.sku.clone()).collect()),
                    "email" => FieldVal::Str(o.email.clone().unwrap_or_default()),
                    "customer_id" => FieldVal::Int(o.customer_id.map_or(0, |c| c as i64)),
                    "tag" => FieldVal::List(o.tags.clone()),
                    _ => return None,
                })
            })?;
            if ok {
                let key = match sort_key.unwrap_or(OrderSortKeys::PROCESSED_AT) {
                    OrderSortKeys::UPDATED_AT => time_key(o.updated_at),
                    OrderSortKeys::CREATED_AT => time_key(o.created_at),
                    OrderSortKeys::PROCESSED_AT => time_key(o.processed_at),
                    OrderSortKeys::ORDER_NUMBER => SortVal::Int(o.number),
                    OrderSortKeys::TOTAL_PRICE => SortVal::Int(
                        (totals(&st, o).total * Decimal::ONE_HUNDRED)
                            .try_into()
                            .unwrap_or(0),
                    ),
                    _ => id_key(o.id),
                };
                items.push((key, o.id));
            }
        }
        page_by_id(
            items,
            &pargs(first, after, last, before, reverse),
            c.bulk,
            |id| st.orders.get(&id).cloned().map(Order),
        )
    }

    async fn orders_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
    ) -> Result<Option<Count>> {
        let filter = Filter::parse(query.as_deref(), &["updated_at", "created_at"])?;
        let st = lock(&cx(ctx)?.state.store);
        let mut n = 0;
        for o in st.orders.values() {
            if filter.matches(|f| match f {
                "updated_at" => Some(FieldVal::Time(o.updated_at)),
                "created_at" => Some(FieldVal::Time(o.created_at)),
                _ => None,
            })? {
                n += 1;
            }
        }
        Ok(Some(Count::exact(n)))
    }

    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        let id = gid_arg("Order", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.orders.get(&id).cloned().map(Order))
    }

    /// `refund(id:)`: one refund by its GID.
    async fn refund(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Refund>> {
        let id = gid_arg("Refund", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.refunds.get(&id).cloned().map(Refund))
    }

    #[allow(clippy::too_many_arguments)]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        sort_key: Option<CustomerSortKeys>,
        query: Option<String>,
    ) -> Result<Connection<String, Customer>> {
        let c = cx(ctx)?;
        let filter = Filter::parse(
            query.as_deref(),
            &[
                "updated_at",
                "created_at",
                "email",
                "id",
                "phone",
                "first_name",
                "last_name",
                "tag",
            ],
        )?;
        let st = lock(&c.state.store);
        let mut items = Vec::new();
        for cu in st.customers.values() {
            let ok = filter.matches(|f| {
                Some(match f {
                    "updated_at" => FieldVal::Time(cu.updated_at),
                    "created_at" => FieldVal::Time(cu.created_at),
                    "email" => FieldVal::Str(cu.email.clone().unwrap_or_default()),
                    "phone" => FieldVal::Str(cu.phone.clone().unwrap_or_default()),
                    "id" => FieldVal::Int(cu.id as i64),
                    "first_name" => FieldVal::Str(cu.first_name.clone()),
                    "last_name" => FieldVal::Str(cu.last_name.clone()),
                    "" => FieldVal::Str(format!(
                        "{} {} {}",
                        cu.first_name,
                        cu.last_name,
                        cu.email.clone().unwrap_or_default()
                    )),
                    "tag" => FieldVal::List(cu.tags.clone()),
                    _ => return None,
                })
            })?;
            if ok {
                let key = match sort_key.unwrap_or(CustomerSortKeys::ID) {
                    CustomerSortKeys::UPDATED_AT => time_key(cu.updated_at),
                    CustomerSortKeys::CREATED_AT => time_key(cu.created_at),
                    CustomerSortKeys::NAME => {
                        SortVal::Str(format!("{} {}", cu.first_name, cu.last_name))
                    }
                    _ => id_key(cu.id),
                };
                items.push((key, cu.id));
            }
        }
        page_by_id(
            items,
            &pargs(first, after, last, before, reverse),
            c.bulk,
            |id| st.customers.get(&id).cloned().map(Customer),
        )
    }

    async fn customer(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Customer>> {
        let id = gid_arg("Customer", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.customers.get(&id).cloned().map(Customer))
    }

    #[allow(clippy::too_many_arguments)]
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
        callback_url: Option<Url>,
        uri: Option<String>,
        format: Option<WebhookSubscriptionFormat>,
        topics: Option<Vec<WebhookSubscriptionTopic>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        sort_key: Option<WebhookSubscriptionSortKeys>,
        query: Option<String>,
    ) -> Result<Connection<String, WebhookSubscription>> {
        let _ = sort_key;
        let c = cx(ctx)?;
        let filter = Filter::parse(query.as_deref(), &["topic", "uri", "created_at", "id"])?;
        let want_uri = uri.or(callback_url.map(|u| u.0));
        let st = lock(&c.state.store);
        let mut items = Vec::new();
        for w in st.webhooks.values() {
            if want_uri.as_ref().is_some_and(|u| *u != w.uri)
                || format.is_some_and(|f| (f == WebhookSubscriptionFormat::JSON) != w.format_json)
                || topics
                    .as_ref()
                    .is_some_and(|t| !t.iter().any(|t| t.as_str() == w.topic))
            {
                continue;
            }
            let ok = filter.matches(|f| {
                Some(match f {
                    "topic" => FieldVal::Str(w.topic.clone()),
                    "" | "uri" => FieldVal::Str(w.uri.clone()),
                    "created_at" => FieldVal::Time(w.created_at),
                    "id" => FieldVal::Int(w.id as i64),
                    _ => return None,
                })
            })?;
            if ok {
                items.push((time_key(w.created_at), w.id, WebhookSubscription(w.clone())));
            }
        }
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }

    async fn webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<WebhookSubscription>> {
        let id = gid_arg("WebhookSubscription", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.webhooks.get(&id).cloned().map(WebhookSubscription))
    }

    async fn bulk_operation(&self, ctx: &Context<'_>, id: ID) -> Result<Option<BulkOperation>> {
        let id = gid_arg("BulkOperation", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.bulk_ops.get(&id).cloned().map(BulkOperation))
    }

    #[graphql(deprecation = "Use `bulkOperations` with status filter instead.")]
    async fn current_bulk_operation(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "type")] type_: Option<BulkOperationType>,
    ) -> Result<Option<BulkOperation>> {
        let mutation = type_.unwrap_or(BulkOperationType::QUERY) == BulkOperationType::MUTATION;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st
            .bulk_ops
            .values()
            .rev()
            .find(|b| b.mutation == mutation)
            .cloned()
            .map(BulkOperation))
    }

    async fn automatic_discount_node(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<DiscountAutomaticNode>> {
        let id = gid_arg("DiscountAutomaticNode", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.discounts.get(&id).cloned().map(DiscountAutomaticNode))
    }
}

// ===================================================================== dump

/// Everything the stand-in holds, as JSON.
pub(crate) fn dump(state: &ShopifyState) -> Value {
    let st = lock(&state.store);
    let money_s = |d: Decimal| money_str(d);
    let locations: Vec<Value> = st
        .locations
        .values()
        .map(|l| json!({"id": gid("Location", l.id), "name": l.name}))
        .collect();
    let products: Vec<Value> = st
        .products
        .values()
        .map(|p| {
            let variants: Vec<Value> = p
                .variant_ids
                .iter()
                .filter_map(|id| st.variants.get(id))
                .map(|v| {
                    let inventory: Vec<Value> = st
                        .levels
                        .values()
                        .filter(|l| l.item_id == v.inventory_item_id)
                        .map(|l| json!({"location_id": gid("Location", l.location_id), "available": l.available, "on_hand": l.on_hand}))
                        .collect();
                    json!({
                        "id": gid("ProductVariant", v.id),
                        "sku": v.sku,
                        "barcode": v.barcode,
                        "title": v.title(),
                        "price": money_s(v.price),
                        "compare_at_price": v.compare_at_price.map(money_s),
                        "options": v.selected.iter().map(|(n, val)| json!({"name": n, "value": val})).collect::<Vec<_>>(),
                        "inventory_item_id": gid("InventoryItem", v.inventory_item_id),
                        "inventory": inventory,
                        "media_id": v.media_id.map(|m| gid("MediaImage", m)),
                    })
                })
                .collect();
            let media: Vec<Value> = p
                .media_ids
                .iter()
                .filter_map(|id| st.media.get(id))
                .map(|m| json!({"id": gid("MediaImage", m.id), "alt": m.alt, "source": m.original_source, "status": if m.ready {"READY"} else {"FAILED"}}))
                .collect();
            json!({
                "id": gid("Product", p.id),
                "handle": p.handle,
                "title": p.title,
                "status": p.status.as_str(),
                "vendor": p.vendor,
                "product_type": p.product_type,
                "tags": p.tags,
                "options": p.options.iter().map(|o| json!({"name": o.name, "values": o.values.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>()})).collect::<Vec<_>>(),
                "metafields": p.metafields.iter().map(|m| json!({"namespace": m.namespace, "key": m.key, "value": m.value, "type": m.type_})).collect::<Vec<_>>(),
                "variants": variants,
                "media": media,
                "updated_at": time_str(p.updated_at),
            })
        })
        .collect();
    let orders: Vec<Value> = st
        .orders
        .values()
        .map(|o| {
            let t = totals(&st, o);
            json!({
                "id": gid("Order", o.id),
                "name": o.name,
                "cancelled": o.cancelled_at.is_some(),
                "cancelled_at": o.cancelled_at.map(time_str),
                "customer_id": o.customer_id.map(|c| gid("Customer", c)),
                "financial_status": financial_status(&st, o).as_str(),
                "fulfillment_status": fulfillment_status(o).as_str(),
                "total": money_s(t.total),
                "tax": money_s(t.tax),
                "discounts": money_s(t.discounts),
                "shipping": money_s(t.shipping),
                "refunded": money_s(t.refunded),
                "gateways": o.transactions.iter().filter(|x| x.kind == "SALE").map(|x| x.gateway.clone()).collect::<Vec<_>>(),
                "lines": o.lines.iter().map(|l| json!({
                    "id": gid("LineItem", l.id),
                    "sku": l.sku,
                    "variant_id": l.variant_id.map(|v| gid("ProductVariant", v)),
                    "quantity": l.quantity,
                    "unit_price": money_s(l.unit_price),
                    "discount": money_s(l.discount_total()),
                })).collect::<Vec<_>>(),
                "refund_ids": o.refund_ids.iter().map(|r| gid("Refund", *r)).collect::<Vec<_>>(),
                "created_at": time_str(o.created_at),
                "updated_at": time_str(o.updated_at),
            })
        })
        .collect();
    let customers: Vec<Value> = st
        .customers
        .values()
        .map(|c| json!({"id": gid("Customer", c.id), "first_name": c.first_name, "last_name": c.last_name, "email": c.email, "phone": c.phone, "updated_at": time_str(c.updated_at)}))
        .collect();
    let refunds: Vec<Value> = st
        .refunds
        .values()
        .map(|r| json!({
            "id": gid("Refund", r.id),
            "order_id": gid("Order", r.order_id),
            "total": money_s(r.total()),
            "lines": r.lines.iter().map(|l| json!({"line_item_id": gid("LineItem", l.line_item_id), "quantity": l.quantity, "restock_type": l.restock_type, "subtotal": money_s(l.subtotal), "tax": money_s(l.total_tax)})).collect::<Vec<_>>(),
            "shipping": r.shipping.map(|(_, a, t)| json!({"amount": money_s(a), "tax": money_s(t)})),
            "created_at": time_str(r.created_at),
        }))
        .collect();
    let discounts: Vec<Value> = st
        .discounts
        .values()
        .map(|d| json!({
            "id": gid("DiscountAutomaticNode", d.id),
            "title": d.title,
            "percentage": d.percentage,
            "amount": d.amount.map(money_s),
            "all_items": d.all_items,
            "product_ids": d.product_ids.iter().map(|p| gid("Product", *p)).collect::<Vec<_>>(),
            "variant_ids": d.variant_ids.iter().map(|p| gid("ProductVariant", *p)).collect::<Vec<_>>(),
            "starts_at": time_str(d.starts_at),
            "ends_at": d.ends_at.map(time_str),
        }))
        .collect();
    let price_lists: Vec<Value> = st
        .price_lists
        .values()
        .map(|p| json!({
            "id": gid("PriceList", p.id),
            "name": p.name,
            "currency": p.currency,
            "prices": p.prices.iter().map(|(v, (price, cmp))| json!({"variant_id": gid("ProductVariant", *v), "price": money_s(*price), "compare_at_price": cmp.map(money_s)})).collect::<Vec<_>>(),
        }))
        .collect();
    let webhooks: Vec<Value> = st
        .webhooks
        .values()
        .map(|w| json!({"id": gid("WebhookSubscription", w.id), "topic": w.topic, "uri": w.uri}))
        .collect();
    let files: Vec<Value> = st
        .media
        .values()
        .map(|m| json!({"id": gid("MediaImage", m.id), "product_id": m.product_id.map(|p| gid("Product", p)), "filename": m.filename, "source": m.original_source, "ready": m.ready, "error": m.error}))
        .collect();
    let bulk: Vec<Value> = st
        .bulk_ops
        .values()
        .map(|b| json!({"id": gid("BulkOperation", b.id), "type": if b.mutation {"MUTATION"} else {"QUERY"}, "status": b.status, "object_count": b.object_count}))
        .collect();
    let adjustments: Vec<Value> = st
        .adjustment_groups
        .values()
        .map(|g| json!({
            "id": gid("InventoryAdjustmentGroup", g.id),
            "reason": g.reason,
            "reference_document_uri": g.reference_document_uri,
            "changes": g.changes.iter().map(|c| json!({"inventory_item_id": gid("InventoryItem", c.item_id), "location_id": gid("Location", c.location_id), "name": c.name, "delta": c.delta, "quantity_after": c.quantity_after})).collect::<Vec<_>>(),
        }))
        .collect();
    json!({
        "shop": {"domain": state.config.shop_domain, "name": state.config.shop_name, "currency": state.currency.as_str()},
        "locations": locations,
        "products": products,
        "orders": orders,
        "customers": customers,
        "refunds": refunds,
        "discounts": discounts,
        "price_lists": price_lists,
        "webhook_subscriptions": webhooks,
        "files": files,
        "bulk_operations": bulk,
        "inventory_adjustments": adjustments,
    })
}
