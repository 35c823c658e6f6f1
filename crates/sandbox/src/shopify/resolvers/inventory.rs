//! Inventory: items, levels per location, quantities and adjustment groups, and the queries
//! that read them (the writes are in `inventory_writes`).

use async_graphql::connection::Connection;
use async_graphql::{Context, Error, ID, Object, Result};

use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::search::{FieldVal, Filter, PageArgs, page};
use crate::shopify::store::*;
use crate::shopify::types::*;

#[Object]
impl InventoryItem {
    pub(crate) async fn id(&self) -> Result<ID> {
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
        #[graphql(
            default_with = "Some(false)",
            visible = "crate::shopify::versions::since_2026_04"
        )]
        include_inactive: Option<bool>,
    ) -> Result<Option<InventoryLevel>> {
        let loc = gid_arg("Location", "locationId", &location_id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(level_at(
            &st,
            self.0.id,
            loc,
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
            (Some(self.0.id), None),
            pargs(first, after, last, before, reverse),
            query,
            include_inactive.unwrap_or(false),
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

#[Object]
impl InventoryLevel {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(ID(format!(
            "gid://shopify/InventoryLevel/{}?inventory_item_id={}",
            self.0.id, self.0.item_id
        )))
    }
    async fn can_deactivate(&self) -> bool {
        true
    }
    /// From 2026-04.
    #[graphql(visible = "crate::shopify::versions::since_2026_04")]
    async fn is_active(&self) -> bool {
        self.0.active
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
        let items: Option<Vec<u64>> =
            inventory_item_ids.map(|v| resolve_ids("InventoryItem", &v, |_| true).0);
        let locs: Option<Vec<u64>> = location_ids.map(|v| resolve_ids("Location", &v, |_| true).0);
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

/// The level of an item at a location: an inactive one only when asked for.
pub(crate) fn level_at(
    st: &Store,
    item: u64,
    location: u64,
    include_inactive: bool,
) -> Option<InventoryLevel> {
    st.levels
        .get(&(item, location))
        .filter(|l| l.active || include_inactive)
        .cloned()
        .map(InventoryLevel)
}

/// The levels of an item or of a location (`(item, location)`), inactive ones only when
/// asked for.
pub(crate) fn levels_connection(
    ctx: &Context<'_>,
    (item, location): (Option<u64>, Option<u64>),
    args: PageArgs,
    query: Option<String>,
    include_inactive: bool,
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
        if item.is_some_and(|i| i != l.item_id)
            || location.is_some_and(|i| i != l.location_id)
            || !(l.active || include_inactive)
        {
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

/// Sets one quantity (`available` or `on_hand`) and moves the other by the same delta;
/// returns the changes to record.
pub(crate) fn set_quantity(
    st: &mut Store,
    item: u64,
    loc: u64,
    name: &str,
    qty: i64,
    uri: Option<String>,
) -> Vec<ChangeRec> {
    let now = now();
    let level = st.level_mut(item, loc, now);
    let (current, other_name) = if name == "on_hand" {
        (level.on_hand, "available")
    } else {
        (level.available, "on_hand")
    };
    let delta = qty - current;
    level.available += delta;
    level.on_hand += delta;
    level.updated_at = now;
    let (a, o) = (level.available, level.on_hand);
    if let Some(i) = st.items.get_mut(&item) {
        i.updated_at = now;
    }
    let after = |n: &str| if n == "on_hand" { o } else { a };
    vec![
        ChangeRec {
            item_id: item,
            location_id: loc,
            name: name.to_string(),
            delta,
            quantity_after: after(name),
            ledger_document_uri: uri.clone(),
        },
        ChangeRec {
            item_id: item,
            location_id: loc,
            name: other_name.to_string(),
            delta,
            quantity_after: after(other_name),
            ledger_document_uri: uri,
        },
    ]
}

/// The inventory item and level query fields.
#[derive(Default)]
pub(crate) struct InventoryQueries;

#[Object]
impl InventoryQueries {
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
}
