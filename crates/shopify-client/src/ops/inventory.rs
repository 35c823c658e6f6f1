//! Inventory: absolute quantities with compare-and-set, levels for reconciliation, and
//! stocking an item at a location.
//!
//! `inventorySetQuantities` is sent in chunks of at most 250 quantities, each with
//! `changeFromQuantity` (the quantity we believe Shopify holds; the write applies only if
//! it still does) and an `@idempotent(key:)` derived from the caller's key and the chunk
//! number, so a retried chunk is applied once. A stale compare
//! (`CHANGE_FROM_QUANTITY_STALE`) re-reads the chunk's current quantities and tries again
//! with them (the ERP is the source of truth). So does `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`:
//! a batch sent again after an earlier attempt took effect reads other compare values than
//! that attempt did; the quantities are absolute, so setting them again under a derived key
//! changes nothing more.
//!
//! Rules of 2026-04 and 2026-10 this module follows:
//!
//! - every inventory mutation carries `@idempotent(key:)` (mandatory since 2026-04 on
//!   `inventoryActivate` and supported on `inventorySetQuantities`), with a key derived
//!   deterministically from the caller's: a retried call is a no-op;
//! - `changeFromQuantity` is sent on every quantity, never `null`: a quantity whose current
//!   value the caller does not know is read first (the client never opts out of the compare);
//! - level reads pass `includeInactive: true` and read `isActive`: an inactive level keeps its
//!   quantity, and counting it as 0 would send a stale compare;
//! - since 2026-10 a quantity written where the item is not stocked lands on an *inactive*
//!   level (not sellable) instead of failing with `ITEM_NOT_STOCKED_AT_LOCATION`; with
//!   [`SetQuantities::activate`] the levels a batch writes to that are missing or inactive
//!   are activated (keeping their quantity) before the write, so the stock ends up sellable.
//!
//! <https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities>

use std::collections::HashMap;

use crate::client::{MAX_INPUT_ARRAY, Safety, ShopifyClient};
use crate::error::Error;
use crate::gid::{InventoryItemGid, LocationGid};
use crate::ops::{missing, user_errors};
use crate::queries::{self, inventory_activate, inventory_levels, inventory_set_quantities as isq};
use sync_core::id::IdempotencyKey;

/// Which quantity to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantityName {
    /// `available`: what can be sold.
    Available,
    /// `on_hand`: physically present (available + committed + reserved …).
    OnHand,
}

impl QuantityName {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            QuantityName::Available => "available",
            QuantityName::OnHand => "on_hand",
        }
    }
}

/// One absolute quantity to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityChange {
    /// The inventory item (`gid://shopify/InventoryItem/…`).
    pub inventory_item_id: InventoryItemGid,
    /// The location (`gid://shopify/Location/…`).
    pub location_id: LocationGid,
    /// The new quantity.
    pub quantity: i64,
    /// The quantity we believe Shopify holds now; `None` = read it first (the client always
    /// sends a `changeFromQuantity`: it never opts out of the compare).
    pub change_from: Option<i64>,
}

/// A batch of absolute quantities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetQuantities {
    /// `available` or `on_hand`.
    pub name: QuantityName,
    /// Shopify's reason code, e.g. `correction`, `cycle_count_available`, `received`.
    pub reason: String,
    /// What caused the change, preferably a GID-like URI
    /// (`gid://flow-erp/StockSync/2026-01-10-001`).
    pub reference_document_uri: Option<String>,
    /// The quantities.
    pub changes: Vec<QuantityChange>,
    /// A deterministic key for the whole batch (e.g. the sync job id); chunk `n` is sent
    /// with `{key}-{n}` (and `{key}-{n}-r{k}` for re-reads after a stale compare), and the
    /// activation of its `i`-th quantity with `{key}-{n}-a{i}`.
    pub idempotency_key: IdempotencyKey,
    /// Make every level written sellable: the chunk's levels are read first (one read per
    /// chunk of 250) and those missing or inactive are activated with `inventoryActivate`,
    /// keeping their quantity, before the write. Without it a 2026-10 write where the item is
    /// not stocked lands on an inactive level that is not sold.
    pub activate: bool,
}

/// The stock of one item at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryLevel {
    /// The inventory item.
    pub inventory_item_id: String,
    /// Its SKU.
    pub sku: Option<String>,
    /// The location.
    pub location_id: String,
    /// Quantities by name (`available`, `on_hand`, …).
    pub quantities: HashMap<String, i64>,
    /// Whether the level is active (sellable); an inactive level keeps its quantities but
    /// is not sold from (2026-04).
    pub is_active: bool,
}

const REASONS: &[&str] = &[
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
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

/// How many times a chunk is re-read and re-sent after stale compares.
pub const STALE_RETRIES: u32 = 3;

/// Locations asked for per item by a stock read. A read's requested cost grows with it (about
/// three points per location per item list), and most shops stock an item at a handful of
/// locations; an item stocked at more is read again with [`MAX_LEVELS_PER_ITEM`].
pub const LEVELS_PER_ITEM: u32 = 10;

/// Shopify's most levels per item in one read (its connection limit).
pub const MAX_LEVELS_PER_ITEM: u32 = 250;

impl ShopifyClient {
    /// Sets absolute quantities (see the [module docs](self)); returns the ids of the
    /// inventory adjustment groups Shopify recorded (empty for chunks that changed nothing).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an unknown reason, a derived key too long to be an
    /// [`IdempotencyKey`], negative quantities or a duplicate item/location pair;
    /// [`Error::UserErrors`] when refused (after [`STALE_RETRIES`] re-reads for stale
    /// compares).
    pub async fn set_inventory_quantities(
        &self,
        batch: &SetQuantities,
    ) -> Result<Vec<String>, Error> {
        if !REASONS.contains(&batch.reason.as_str()) {
            return Err(Error::invalid(
                "reason",
                format!(
                    "must be one of {}, got {:?}",
                    REASONS.join(", "),
                    batch.reason
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in batch.changes.iter().enumerate() {
            if c.quantity < 0 && batch.name == QuantityName::OnHand {
                return Err(Error::invalid(
                    format!("changes[{i}].quantity"),
                    "on_hand must not be negative",
                ));
            }
            if !seen.insert((&c.inventory_item_id, &c.location_id)) {
                return Err(Error::invalid(
                    format!("changes[{i}]"),
                    "each item/location pair may appear once per batch",
                ));
            }
        }
        let mut groups = Vec::new();
        for (n, chunk) in batch.changes.chunks(MAX_INPUT_ARRAY).enumerate() {
            let mut chunk = chunk.to_vec();
            if batch.activate || chunk.iter().any(|c| c.change_from.is_none()) {
                let inactive = self.fill_change_from(&mut chunk, batch.name, false).await?;
                if batch.activate {
                    for i in inactive {
                        let c = &chunk[i];
                        let key = batch
                            .idempotency_key
                            .with_suffix(&format!("-{n}-a{i}"))
                            .map_err(|e| Error::invalid("idempotency_key", e.rule()))?;
                        self.activate_inventory(&c.inventory_item_id, &c.location_id, None, &key)
                            .await?;
                    }
                }
            }
            let mut round = 0;
            loop {
                let suffix = if round == 0 {
                    format!("-{n}")
                } else {
                    format!("-{n}-r{round}")
                };
                let key = batch
                    .idempotency_key
                    .with_suffix(&suffix)
                    .map_err(|e| Error::invalid("idempotency_key", e.rule()))?
                    .to_string();
                match self.set_chunk(batch, &chunk, key).await {
                    Ok(group) => {
                        groups.extend(group);
                        break;
                    }
                    Err(e)
                        if round < STALE_RETRIES
                            && (e.has_user_error_code("CHANGE_FROM_QUANTITY_STALE")
                                || e.has_user_error_code("COMPARE_QUANTITY_STALE")
                                || e.has_user_error_code("IDEMPOTENCY_KEY_PARAMETER_MISMATCH")) =>
                    {
                        round += 1;
                        tracing::info!(
                            chunk = n,
                            round,
                            "stale compare quantity or reused key: re-reading"
                        );
                        self.fill_change_from(&mut chunk, batch.name, true).await?;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(groups)
    }

    async fn set_chunk(
        &self,
        batch: &SetQuantities,
        chunk: &[QuantityChange],
        key: String,
    ) -> Result<Option<String>, Error> {
        const OP: &str = "InventorySetQuantities";
        let input = isq::InventorySetQuantitiesInput {
            name: batch.name.as_str().to_owned(),
            reason: batch.reason.clone(),
            reference_document_uri: batch.reference_document_uri.clone(),
            quantities: chunk
                .iter()
                .map(|c| isq::InventoryQuantityInput {
                    inventory_item_id: c.inventory_item_id.as_str().to_owned(),
                    location_id: c.location_id.as_str().to_owned(),
                    quantity: c.quantity,
                    change_from_quantity: c.change_from,
                })
                .collect(),
        };
        // The idempotency key makes a repeat harmless.
        let data: isq::ResponseData = self
            .run::<queries::InventorySetQuantities, _>(
                isq::Variables { input, key },
                Safety::Repeatable,
            )
            .await?;
        let payload = data
            .inventory_set_quantities
            .ok_or_else(|| missing(OP, "inventorySetQuantities"))?;
        user_errors!(OP, payload.user_errors, code)?;
        Ok(payload.inventory_adjustment_group.map(|g| g.id))
    }

    /// Fills `change_from` with Shopify's current quantities (all of them when `all`), read
    /// from every level, inactive ones included. An item not stocked at the location counts
    /// as 0. Returns the indexes of the changes whose level is missing or inactive.
    async fn fill_change_from(
        &self,
        chunk: &mut [QuantityChange],
        name: QuantityName,
        all: bool,
    ) -> Result<Vec<usize>, Error> {
        let mut ids: Vec<InventoryItemGid> =
            chunk.iter().map(|c| c.inventory_item_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let levels = self.inventory_levels(&ids, &[name]).await?;
        let current: HashMap<(&str, &str), (i64, bool)> = levels
            .iter()
            .map(|l| {
                (
                    (l.inventory_item_id.as_str(), l.location_id.as_str()),
                    (
                        l.quantities.get(name.as_str()).copied().unwrap_or(0),
                        l.is_active,
                    ),
                )
            })
            .collect();
        let mut inactive = Vec::new();
        for (i, c) in chunk.iter_mut().enumerate() {
            let level = current
                .get(&(c.inventory_item_id.as_str(), c.location_id.as_str()))
                .copied();
            if all || c.change_from.is_none() {
                c.change_from = Some(level.map_or(0, |(quantity, _)| quantity));
            }
            if !level.is_some_and(|(_, active)| active) {
                inactive.push(i);
            }
        }
        Ok(inactive)
    }

    /// Reads the quantities `names` of inventory items at every location that stocks them,
    /// inactive levels included (see [`InventoryLevel::is_active`]); 250 items per request,
    /// the first 250 locations of each.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for no names.
    pub async fn inventory_levels(
        &self,
        inventory_item_ids: &[InventoryItemGid],
        names: &[QuantityName],
    ) -> Result<Vec<InventoryLevel>, Error> {
        if names.is_empty() {
            return Err(Error::invalid(
                "names",
                "must list at least one quantity name",
            ));
        }
        let inventory_item_ids: Vec<String> = inventory_item_ids
            .iter()
            .map(|id| id.as_str().to_owned())
            .collect();
        let names: Vec<String> = names.iter().map(|n| n.as_str().to_owned()).collect();
        let mut out = Vec::new();
        let mut overflowing = Vec::new();
        for chunk in inventory_item_ids.chunks(MAX_INPUT_ARRAY) {
            self.read_levels(
                chunk,
                &names,
                LEVELS_PER_ITEM,
                &mut out,
                Some(&mut overflowing),
            )
            .await?;
        }
        // Items stocked at more locations than the first read asked for: read again in full
        // (their partial levels were not kept).
        for chunk in overflowing.chunks(MAX_INPUT_ARRAY) {
            self.read_levels(chunk, &names, MAX_LEVELS_PER_ITEM, &mut out, None)
                .await?;
        }
        Ok(out)
    }

    /// One `InventoryLevels` request: the levels of `ids` at up to `levels` locations each,
    /// appended to `out`; with `overflowing`, the ids of items with more levels than that go
    /// there instead (without it, the levels read are kept as they are).
    async fn read_levels(
        &self,
        ids: &[String],
        names: &[String],
        levels: u32,
        out: &mut Vec<InventoryLevel>,
        mut overflowing: Option<&mut Vec<String>>,
    ) -> Result<(), Error> {
        let data: inventory_levels::ResponseData = self
            .run::<queries::InventoryLevels, _>(
                inventory_levels::Variables {
                    ids: ids.to_vec(),
                    names: names.to_vec(),
                    levels: i64::from(levels),
                },
                Safety::Repeatable,
            )
            .await?;
        for node in data.nodes.into_iter().flatten() {
            let inventory_levels::InventoryLevelsNodes::InventoryItem(item) = node else {
                continue;
            };
            if item.inventory_levels.page_info.has_next_page
                && let Some(overflowing) = overflowing.as_deref_mut()
            {
                overflowing.push(item.id);
                continue;
            }
            for level in item.inventory_levels.nodes {
                out.push(InventoryLevel {
                    inventory_item_id: item.id.clone(),
                    sku: item.sku.clone(),
                    location_id: level.location.id,
                    quantities: level
                        .quantities
                        .into_iter()
                        .map(|q| (q.name, q.quantity))
                        .collect(),
                    is_active: level.is_active,
                });
            }
        }
        Ok(())
    }

    /// Stocks an inventory item at a location (`inventoryActivate`), or makes its inactive
    /// level active again (keeping its quantity unless `available` is given). Activating an
    /// item that is already stocked is harmless. `idempotency_key` (mandatory since 2026-04)
    /// makes a retried call with the same key a no-op: derive it from what causes the call.
    ///
    /// # Errors
    ///
    /// [`Error::UserErrors`] when refused.
    pub async fn activate_inventory(
        &self,
        inventory_item_id: &InventoryItemGid,
        location_id: &LocationGid,
        available: Option<i64>,
        idempotency_key: &IdempotencyKey,
    ) -> Result<String, Error> {
        const OP: &str = "InventoryActivate";
        let data: inventory_activate::ResponseData = self
            .run::<queries::InventoryActivate, _>(
                inventory_activate::Variables {
                    inventory_item_id: inventory_item_id.as_str().to_owned(),
                    location_id: location_id.as_str().to_owned(),
                    available,
                    key: idempotency_key.as_str().to_owned(),
                },
                Safety::Repeatable,
            )
            .await?;
        let payload = data
            .inventory_activate
            .ok_or_else(|| missing(OP, "inventoryActivate"))?;
        user_errors!(OP, payload.user_errors)?;
        Ok(payload
            .inventory_level
            .ok_or_else(|| missing(OP, "inventoryLevel"))?
            .id)
    }
}
