//! Inventory: items, levels per location, quantities and adjustment groups; the queries that
//! read them and the mutations that set, adjust and activate stock.

use std::collections::HashSet;

use async_graphql::connection::Connection;
use async_graphql::{
    Context, Error, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use serde_json::{Value, json};

use super::outputs::*;
use super::*;
use crate::shopify::search::{FieldVal, Filter, PageArgs, page};
use crate::shopify::store::*;
use crate::shopify::types::*;
use crate::shopify::webhooks::{Event, emit_all};
use crate::shopify::{lock, webhooks};

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

pub(crate) fn levels_connection(
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

/// `InventoryQuantityInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryQuantityInput {
    pub(crate) inventory_item_id: ID,
    pub(crate) location_id: ID,
    pub(crate) quantity: i32,
    #[graphql(deprecation = "Use `changeFromQuantity` instead. This will be removed in 2026-04.")]
    pub(crate) compare_quantity: Option<i32>,
    pub(crate) change_from_quantity: MaybeUndefined<i32>,
}

/// `InventorySetQuantitiesInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventorySetQuantitiesInput {
    pub(crate) reason: String,
    pub(crate) name: String,
    pub(crate) reference_document_uri: Option<String>,
    pub(crate) quantities: Vec<InventoryQuantityInput>,
    #[graphql(
        deprecation = "Pass a null `changeFromQuantity` instead. This field will be removed in 2026-04."
    )]
    pub(crate) ignore_compare_quantity: Option<bool>,
}

/// `InventoryChangeInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryChangeInput {
    pub(crate) delta: i32,
    pub(crate) change_from_quantity: Option<i32>,
    pub(crate) inventory_item_id: ID,
    pub(crate) location_id: ID,
    pub(crate) ledger_document_uri: Option<String>,
}

/// `InventoryAdjustQuantitiesInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryAdjustQuantitiesInput {
    pub(crate) reason: String,
    pub(crate) name: String,
    pub(crate) reference_document_uri: Option<String>,
    pub(crate) changes: Vec<InventoryChangeInput>,
}

#[derive(SimpleObject)]
pub(crate) struct InventorySetQuantitiesPayload {
    inventory_adjustment_group: Option<InventoryAdjustmentGroup>,
    user_errors: Vec<InventorySetQuantitiesUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct InventoryAdjustQuantitiesPayload {
    inventory_adjustment_group: Option<InventoryAdjustmentGroup>,
    user_errors: Vec<InventoryAdjustQuantitiesUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct InventoryActivatePayload {
    inventory_level: Option<InventoryLevel>,
    user_errors: Vec<UserError>,
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

const REASONS: &[&str] = &[
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_canceled",
    "movement_created",
    "movement_received",
    "movement_updated",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
];

fn ise(
    code: InventorySetQuantitiesUserErrorCode,
    field: &[&str],
    msg: impl Into<String>,
) -> InventorySetQuantitiesUserError {
    InventorySetQuantitiesUserError::new(code, path(field), msg)
}

/// Validates and applies inventorySetQuantities; all or nothing.
fn inventory_set(
    st: &mut Store,
    input: &InventorySetQuantitiesInput,
    version: &str,
) -> std::result::Result<u64, Vec<InventorySetQuantitiesUserError>> {
    use InventorySetQuantitiesUserErrorCode as C;
    let new_api = version >= "2026-04";
    let mut errors = Vec::new();
    if input.name != "available" && input.name != "on_hand" {
        errors.push(ise(
            C::INVALID_NAME,
            &["input", "name"],
            format!(
                "The quantity name must be either 'available' or 'on_hand', got `{}`.",
                input.name
            ),
        ));
    }
    if !REASONS.contains(&input.reason.as_str()) {
        errors.push(ise(
            C::INVALID_REASON,
            &["input", "reason"],
            format!(
                "The specified reason `{}` is invalid. Valid values: {}.",
                input.reason,
                REASONS.join(", ")
            ),
        ));
    }
    if let Some(uri) = &input.reference_document_uri
        && !uri.split_once(':').is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty()
        })
    {
        errors.push(ise(
            C::INVALID_REFERENCE_DOCUMENT,
            &["input", "referenceDocumentUri"],
            "The reference document URI must be a valid URI, e.g. gid://erp/SyncJob/1.",
        ));
    }
    if new_api && input.ignore_compare_quantity.is_some() {
        errors.push(ise(
            C::COMPARE_QUANTITY_REQUIRED,
            &["input", "ignoreCompareQuantity"],
            "ignoreCompareQuantity was removed in 2026-04; pass a null changeFromQuantity instead",
        ));
    }
    let mut seen = HashSet::new();
    let mut plan = Vec::new();
    for (i, q) in input.quantities.iter().enumerate() {
        let idx = i.to_string();
        let item = parse_gid("InventoryItem", q.inventory_item_id.as_str())
            .filter(|id| st.items.contains_key(id));
        let loc = parse_gid("Location", q.location_id.as_str())
            .filter(|id| st.locations.contains_key(id));
        let Some(item) = item else {
            errors.push(ise(
                C::INVALID_INVENTORY_ITEM,
                &["input", "quantities", &idx, "inventoryItemId"],
                "The specified inventory item could not be found.",
            ));
            continue;
        };
        let Some(loc) = loc else {
            errors.push(ise(
                C::INVALID_LOCATION,
                &["input", "quantities", &idx, "locationId"],
                "The specified location could not be found.",
            ));
            continue;
        };
        if !seen.insert((item, loc)) {
            errors.push(ise(
                C::NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR,
                &["input", "quantities", &idx],
                "The combination of inventoryItemId and locationId must be unique.",
            ));
            continue;
        }
        let Some(level) = st.levels.get(&(item, loc)) else {
            errors.push(ise(
                C::ITEM_NOT_STOCKED_AT_LOCATION,
                &["input", "quantities", &idx, "locationId"],
                "The specified inventory item is not stocked at the location.",
            ));
            continue;
        };
        if q.quantity < 0 {
            errors.push(ise(
                C::INVALID_QUANTITY_NEGATIVE,
                &["input", "quantities", &idx, "quantity"],
                "The quantity can't be negative.",
            ));
        } else if q.quantity > 1_000_000_000 {
            errors.push(ise(
                C::INVALID_QUANTITY_TOO_HIGH,
                &["input", "quantities", &idx, "quantity"],
                "The quantity can't be higher than 1,000,000,000.",
            ));
        }
        let current = if input.name == "on_hand" {
            level.on_hand
        } else {
            level.available
        };
        match (&q.change_from_quantity, q.compare_quantity) {
            (MaybeUndefined::Value(expected), _) => {
                if i64::from(*expected) != current {
                    errors.push(ise(C::CHANGE_FROM_QUANTITY_STALE, &["input", "quantities", &idx, "changeFromQuantity"], format!("The specified changeFromQuantity ({expected}) does not match the current quantity ({current}).")));
                }
            }
            (MaybeUndefined::Null, _) => {}
            (MaybeUndefined::Undefined, Some(_)) if new_api => {
                errors.push(ise(
                    C::COMPARE_QUANTITY_REQUIRED,
                    &["input", "quantities", &idx, "compareQuantity"],
                    "compareQuantity was removed in 2026-04; use changeFromQuantity",
                ));
            }
            (MaybeUndefined::Undefined, Some(expected)) => {
                if i64::from(expected) != current {
                    errors.push(ise(C::COMPARE_QUANTITY_STALE, &["input", "quantities", &idx, "compareQuantity"], format!("The specified compare quantity ({expected}) does not match the current quantity ({current}).")));
                }
            }
            (MaybeUndefined::Undefined, None) => {
                if new_api || !input.ignore_compare_quantity.unwrap_or(false) {
                    errors.push(ise(C::COMPARE_QUANTITY_REQUIRED, &["input", "quantities", &idx, "changeFromQuantity"], "changeFromQuantity is required: pass the expected current quantity, or null to skip the check."));
                }
            }
        }
        plan.push((item, loc, i64::from(q.quantity)));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut changes = Vec::new();
    for (item, loc, qty) in plan {
        changes.extend(set_quantity(
            st,
            item,
            loc,
            &input.name,
            qty,
            input.reference_document_uri.clone(),
        ));
    }
    let id = st.next_id();
    st.adjustment_groups.insert(
        id,
        AdjustmentGroupRec {
            id,
            reason: input.reason.clone(),
            reference_document_uri: input.reference_document_uri.clone(),
            changes,
            created_at: now(),
        },
    );
    Ok(id)
}

fn level_events(st: &Store, group: u64) -> Vec<Event> {
    let Some(g) = st.adjustment_groups.get(&group) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    g.changes
        .iter()
        .filter(|c| seen.insert((c.item_id, c.location_id)))
        .filter_map(|c| st.levels.get(&(c.item_id, c.location_id)))
        .map(|l| ("INVENTORY_LEVELS_UPDATE", webhooks::level_payload(l)))
        .collect()
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

/// `inventorySetQuantities` and `inventoryAdjustQuantities`.
#[derive(Default)]
pub(crate) struct InventoryMutations;

#[Object]
impl InventoryMutations {
    async fn inventory_set_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventorySetQuantitiesInput,
    ) -> Result<Option<InventorySetQuantitiesPayload>> {
        let result: Result<InventorySetQuantitiesPayload> = async move {
        check_input_size("input.quantities", input.quantities.len())?;
        let c = cx(ctx)?;
        let key = idempotency_key(ctx)?;
        let new_api = c.version.as_str() >= "2026-04";
        if new_api && key.is_none() {
            return Err(Error::new("The @idempotent directive is required for inventorySetQuantities as of API version 2026-04.")
                .extend_with(|_, e| e.set("code", "BAD_REQUEST")));
        }
        let fingerprint = format!("inventorySetQuantities:{:?}", ctx.field().arguments()?);
        let (group, errors, events) = {
            let mut st = lock(&c.state.store);
            if let Some(k) = &key
                && let Some(prior) = st.idempotent.get(k).cloned()
            {
                if prior.fingerprint != fingerprint {
                    let e = ise(InventorySetQuantitiesUserErrorCode::IDEMPOTENCY_KEY_PARAMETER_MISMATCH, &["input"], "The same idempotency key was used with different parameters.");
                    return Ok(InventorySetQuantitiesPayload { inventory_adjustment_group: None, user_errors: vec![e] });
                }
                let group = prior.result.get("group").and_then(Value::as_u64).and_then(|g| st.adjustment_groups.get(&g)).cloned();
                let errors = prior
                    .result
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|e| InventorySetQuantitiesUserError {
                                code: e["code"].as_str().and_then(InventorySetQuantitiesUserErrorCode::parse),
                                field: e["field"].as_array().map(|f| f.iter().filter_map(|s| s.as_str().map(String::from)).collect()),
                                message: e["message"].as_str().unwrap_or_default().to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                return Ok(InventorySetQuantitiesPayload { inventory_adjustment_group: group.map(InventoryAdjustmentGroup), user_errors: errors });
            }
            let result = inventory_set(&mut st, &input, &c.version);
            let (group, errors) = match result {
                Ok(g) => (Some(g), Vec::new()),
                Err(e) => (None, e),
            };
            if let Some(k) = key {
                let remembered = json!({
                    "group": group,
                    "errors": errors.iter().map(|e| json!({"code": e.code.map(|c| c.as_str()), "field": e.field, "message": e.message})).collect::<Vec<_>>(),
                });
                st.idempotent.insert(k, IdempotentRec { fingerprint, result: remembered });
            }
            let events = group.map(|g| level_events(&st, g)).unwrap_or_default();
            (group.and_then(|g| st.adjustment_groups.get(&g).cloned()), errors, events)
        };
        emit_all(&c.state, events);
        Ok(InventorySetQuantitiesPayload { inventory_adjustment_group: group.map(InventoryAdjustmentGroup), user_errors: errors })
            }
        .await;
        result.map(Some)
    }

    async fn inventory_adjust_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventoryAdjustQuantitiesInput,
    ) -> Result<Option<InventoryAdjustQuantitiesPayload>> {
        let result: Result<InventoryAdjustQuantitiesPayload> = async move {
        use InventoryAdjustQuantitiesUserErrorCode as C;
        check_input_size("input.changes", input.changes.len())?;
        let c = cx(ctx)?;
        let e = |code, f: &[&str], m: &str| InventoryAdjustQuantitiesUserError::new(code, path(f), m);
        let (payload, events) = {
            let mut st = lock(&c.state.store);
            let mut errors = Vec::new();
            if input.name != "available" && input.name != "on_hand" {
                errors.push(e(C::INVALID_QUANTITY_NAME, &["input", "name"], "The quantity name must be 'available' or 'on_hand' (the sandbox tracks no other state)."));
            }
            if !REASONS.contains(&input.reason.as_str()) {
                errors.push(e(C::INVALID_REASON, &["input", "reason"], &format!("The specified reason `{}` is invalid.", input.reason)));
            }
            if let Some(uri) = &input.reference_document_uri
                && !uri.contains(':')
            {
                errors.push(e(C::INVALID_REFERENCE_DOCUMENT, &["input", "referenceDocumentUri"], "The reference document URI must be a valid URI."));
            }
            let mut plan = Vec::new();
            for (i, ch) in input.changes.iter().enumerate() {
                let idx = i.to_string();
                let Some(item) = parse_gid("InventoryItem", ch.inventory_item_id.as_str()).filter(|n| st.items.contains_key(n)) else {
                    errors.push(e(C::INVALID_INVENTORY_ITEM, &["input", "changes", &idx, "inventoryItemId"], "The specified inventory item could not be found."));
                    continue;
                };
                let Some(loc) = parse_gid("Location", ch.location_id.as_str()).filter(|n| st.locations.contains_key(n)) else {
                    errors.push(e(C::INVALID_LOCATION, &["input", "changes", &idx, "locationId"], "The specified location could not be found."));
                    continue;
                };
                match (&ch.ledger_document_uri, input.name.as_str()) {
                    (Some(_), "available") => errors.push(e(C::INVALID_AVAILABLE_DOCUMENT, &["input", "changes", &idx, "ledgerDocumentUri"], "The available quantity can't have a ledger document.")),
                    (None, name) if name != "available" => errors.push(e(C::INVALID_QUANTITY_DOCUMENT, &["input", "changes", &idx, "ledgerDocumentUri"], "A ledger document URI is required for quantity names other than available.")),
                    _ => {}
                }
                let Some(level) = st.levels.get(&(item, loc)) else {
                    errors.push(e(C::ITEM_NOT_STOCKED_AT_LOCATION, &["input", "changes", &idx, "locationId"], "The specified inventory item is not stocked at the location."));
                    continue;
                };
                let current = if input.name == "on_hand" { level.on_hand } else { level.available };
                if let Some(expected) = ch.change_from_quantity
                    && i64::from(expected) != current
                {
                    errors.push(e(C::CHANGE_FROM_QUANTITY_STALE, &["input", "changes", &idx, "changeFromQuantity"], &format!("The specified changeFromQuantity ({expected}) does not match the current quantity ({current}).")));
                }
                let after = current + i64::from(ch.delta);
                if after > 1_000_000_000 {
                    errors.push(e(C::INVALID_QUANTITY_TOO_HIGH, &["input", "changes", &idx, "delta"], "The quantity can't be higher than 1,000,000,000."));
                } else if after < -1_000_000_000 {
                    errors.push(e(C::INVALID_QUANTITY_TOO_LOW, &["input", "changes", &idx, "delta"], "The quantity can't be lower than -1,000,000,000."));
                }
                plan.push((item, loc, after, ch.ledger_document_uri.clone()));
            }
            if !errors.is_empty() {
                return Ok(InventoryAdjustQuantitiesPayload { inventory_adjustment_group: None, user_errors: errors });
            }
            let mut changes = Vec::new();
            for (item, loc, after, ledger) in plan {
                changes.extend(set_quantity(&mut st, item, loc, &input.name, after, ledger));
            }
            let id = st.next_id();
            let group = AdjustmentGroupRec { id, reason: input.reason.clone(), reference_document_uri: input.reference_document_uri.clone(), changes, created_at: now() };
            st.adjustment_groups.insert(id, group.clone());
            let events = level_events(&st, id);
            (InventoryAdjustQuantitiesPayload { inventory_adjustment_group: Some(InventoryAdjustmentGroup(group)), user_errors: Vec::new() }, events)
        };
        emit_all(&c.state, events);
        Ok(payload)
            }
        .await;
        result.map(Some)
    }
}

/// `inventoryActivate` (a part of its own: it comes after the variant mutations in the
/// served schema).
#[derive(Default)]
pub(crate) struct InventoryActivationMutations;

#[Object]
impl InventoryActivationMutations {
    async fn inventory_activate(
        &self,
        ctx: &Context<'_>,
        inventory_item_id: ID,
        location_id: ID,
        available: Option<i32>,
        on_hand: Option<i32>,
        #[graphql(default_with = "Some(false)")] stock_at_legacy_location: Option<bool>,
    ) -> Result<Option<InventoryActivatePayload>> {
        let result: Result<InventoryActivatePayload> = async move {
        let _ = stock_at_legacy_location;
        let c = cx(ctx)?;
        let err = |f: &str, m: &str| Ok(InventoryActivatePayload { inventory_level: None, user_errors: vec![UserError { field: path(&[f]), message: m.to_string() }] });
        let mut st = lock(&c.state.store);
        let Some(item) = parse_gid("InventoryItem", inventory_item_id.as_str()).filter(|n| st.items.contains_key(n)) else {
            return err("inventoryItemId", "Inventory item does not exist");
        };
        let Some(loc) = parse_gid("Location", location_id.as_str()).filter(|n| st.locations.contains_key(n)) else {
            return err("locationId", "Location does not exist");
        };
        if available.is_some() && on_hand.is_some() {
            return err("available", "available and onHand can't both be given");
        }
        if available.is_some_and(|a| a < 0) || on_hand.is_some_and(|a| a < 0) {
            return err("available", "quantity must be at least 0");
        }
        let existed = st.levels.contains_key(&(item, loc));
        if existed && (available.is_some() || on_hand.is_some()) {
            return err("available", "Not allowed to set available quantity when the item is already active at the location.");
        }
        st.level_mut(item, loc, now());
        if let Some(a) = available {
            set_quantity(&mut st, item, loc, "available", i64::from(a), None);
        } else if let Some(o) = on_hand {
            set_quantity(&mut st, item, loc, "on_hand", i64::from(o), None);
        }
        Ok(InventoryActivatePayload { inventory_level: st.levels.get(&(item, loc)).cloned().map(InventoryLevel), user_errors: Vec::new() })
            }
        .await;
        result.map(Some)
    }
}
