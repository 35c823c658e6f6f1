//! Inventory writes: the inputs and payloads of the quantity mutations, and
//! `inventorySetQuantities`, `inventoryAdjustQuantities` and `inventoryActivate`.

use std::collections::HashSet;

use async_graphql::{
    Context, Error, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use serde_json::{Value, json};

use super::inventory::{InventoryAdjustmentGroup, set_quantity};
use super::outputs::*;
use super::*;
use crate::shopify::store::*;
use crate::shopify::types::*;
use crate::shopify::versions::{V2026_04, V2026_10};
use crate::shopify::webhooks::{Event, emit_all};
use crate::shopify::{lock, webhooks};

/// `InventoryQuantityInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryQuantityInput {
    pub(crate) inventory_item_id: ID,
    pub(crate) location_id: ID,
    pub(crate) quantity: i32,
    #[graphql(
        deprecation = "Use `changeFromQuantity` instead. This will be removed in 2026-04.",
        visible = "crate::shopify::versions::before_2026_04"
    )]
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
        deprecation = "Pass a null `changeFromQuantity` instead. This field will be removed in 2026-04.",
        visible = "crate::shopify::versions::before_2026_04"
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

/// The `@idempotent` key of an inventory mutation; required from 2026-04 (a request without
/// one is refused before anything is done).
fn required_key(ctx: &Context<'_>, mutation: &str) -> Result<Option<String>> {
    let key = idempotency_key(ctx)?;
    if key.is_none() && cx(ctx)?.version.as_str() >= V2026_04 {
        return Err(Error::new(format!(
            "The @idempotent directive is required for {mutation} as of API version 2026-04."
        ))
        .extend_with(|_, e| e.set("code", "BAD_REQUEST")));
    }
    Ok(key)
}

/// `(on_hand, available)` of the level a write may change: an active level; from 2026-10
/// also an inactive or missing one (zero), where the write lands on an inactive level.
fn writable_level(st: &Store, item: u64, loc: u64, unstocked_ok: bool) -> Option<(i64, i64)> {
    match st.levels.get(&(item, loc)) {
        Some(l) if l.active || unstocked_ok => Some((l.on_hand, l.available)),
        None if unstocked_ok => Some((0, 0)),
        _ => None,
    }
}

/// Sets a quantity; a level created by the write is inactive (the item is not stocked there
/// until `inventoryActivate`).
fn write_quantity(
    st: &mut Store,
    (item, loc): (u64, u64),
    name: &str,
    qty: i64,
    uri: Option<String>,
) -> Vec<ChangeRec> {
    let fresh = !st.levels.contains_key(&(item, loc));
    let changes = set_quantity(st, item, loc, name, qty, uri);
    if fresh && let Some(l) = st.levels.get_mut(&(item, loc)) {
        l.active = false;
    }
    changes
}

/// Validates and applies inventorySetQuantities; all or nothing.
fn inventory_set(
    st: &mut Store,
    input: &InventorySetQuantitiesInput,
    version: &str,
) -> std::result::Result<u64, Vec<InventorySetQuantitiesUserError>> {
    use InventorySetQuantitiesUserErrorCode as C;
    let new_api = version >= V2026_04;
    let unstocked_ok = version >= V2026_10;
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
        let Some((on_hand, available)) = writable_level(st, item, loc, unstocked_ok) else {
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
            on_hand
        } else {
            available
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
        changes.extend(write_quantity(
            st,
            (item, loc),
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
        let key = required_key(ctx, "inventorySetQuantities")?;
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
        required_key(ctx, "inventoryAdjustQuantities")?;
        let unstocked_ok = c.version.as_str() >= V2026_10;
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
                let Some((on_hand, available)) = writable_level(&st, item, loc, unstocked_ok) else {
                    errors.push(e(C::ITEM_NOT_STOCKED_AT_LOCATION, &["input", "changes", &idx, "locationId"], "The specified inventory item is not stocked at the location."));
                    continue;
                };
                let current = if input.name == "on_hand" { on_hand } else { available };
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
                changes.extend(write_quantity(&mut st, (item, loc), &input.name, after, ledger));
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
        required_key(ctx, "inventoryActivate")?;
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
        let active = st.active_level(item, loc).is_some();
        if active && (available.is_some() || on_hand.is_some()) {
            return err("available", "Not allowed to set available quantity when the item is already active at the location.");
        }
        // An inactive level (2026-10: written while not stocked) becomes active with the
        // quantity it kept, unless one is given.
        let level = st.level_mut(item, loc, now());
        if !level.active {
            level.active = true;
            level.updated_at = now();
        }
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
