//! The shop, its locations, and the `node(s)` lookups.

use async_graphql::connection::Connection;
use async_graphql::{Context, Error, ID, Object, Result};

use super::inventory::{level_at, levels_connection};
use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::search::{FieldVal, Filter, SortVal, page};
use crate::shopify::types::*;

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

#[Object]
impl Location {
    pub(crate) async fn id(&self) -> Result<ID> {
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
        Ok(st
            .levels
            .values()
            .any(|l| l.location_id == self.0.id && l.active))
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
        #[graphql(
            default_with = "Some(false)",
            visible = "crate::shopify::versions::since_2026_04"
        )]
        include_inactive: Option<bool>,
    ) -> Result<Option<InventoryLevel>> {
        let item = gid_arg("InventoryItem", "inventoryItemId", &inventory_item_id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(level_at(
            &st,
            item,
            self.0.id,
            include_inactive.unwrap_or(false),
        ))
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
        #[graphql(
            default_with = "Some(false)",
            visible = "crate::shopify::versions::since_2026_04"
        )]
        include_inactive: Option<bool>,
    ) -> Result<Connection<String, InventoryLevel>> {
        levels_connection(
            ctx,
            (None, Some(self.0.id)),
            pargs(first, after, last, before, reverse),
            query,
            include_inactive.unwrap_or(false),
        )
    }
}

/// The `shop`, `node`, `nodes`, `locations` and `location` query fields.
#[derive(Default)]
pub(crate) struct ShopQueries;

#[Object]
impl ShopQueries {
    async fn shop(&self) -> Shop {
        Shop
    }

    /// The calling app's installation: the access scopes the shop granted it
    /// ([`ShopifyConfig::access_scopes`](crate::shopify::ShopifyConfig::access_scopes)).
    async fn current_app_installation(&self, ctx: &Context<'_>) -> Result<AppInstallation> {
        let scopes = &cx(ctx)?.state.config.access_scopes;
        Ok(AppInstallation {
            id: gql_id("AppInstallation", 1),
            access_scopes: scopes
                .iter()
                .map(|handle| AccessScope {
                    description: format!("Allows the app to {}", handle.replace('_', " ")),
                    handle: handle.clone(),
                })
                .collect(),
        })
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
}
