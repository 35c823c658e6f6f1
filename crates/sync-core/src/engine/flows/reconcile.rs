//! Reconciliation: stock compared in full between ERP and storefront (only differences pushed),
//! and the day's sales compared three ways (storefront orders, ERP documents, Valid
//! receipts), by payment method; receipts not decided yet and Invalid ones counted apart.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Decisions, stock};
use crate::connector::{RemoteVariant, StockWrite};
use crate::engine::ReceiptPhase;
use crate::engine::base::{Engine, EngineError, Summary};
use crate::engine::kinds::BindingKind;
use crate::model::{InventoryItemId, LocationId, Order, OrderId, Sku};

/// One stock level that differs between the ERP and the storefront.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDrift {
    /// The SKU.
    pub sku: Sku,
    /// The storefront location.
    pub location_id: LocationId,
    /// What the ERP says.
    pub erp: i64,
    /// What the storefront had.
    pub storefront: i64,
}

/// The result of a stock reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReconciliation {
    /// Levels compared.
    pub compared: u64,
    /// Levels that differed (and were corrected unless it was a dry run).
    pub drift: Vec<StockDrift>,
    /// What the corrections did.
    pub summary: Summary,
}

/// One mismatch of the three-way sales comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesMismatch {
    /// The storefront order id.
    pub order: OrderId,
    /// The order name.
    pub name: String,
    /// What is wrong.
    pub problem: String,
}

/// Sums of one payment method on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySales {
    /// Storefront order totals.
    pub storefront: Decimal,
    /// ERP document totals.
    pub erp: Decimal,
    /// Valid sale receipt totals (only a Valid receipt counts as reported).
    pub receipts: Decimal,
    /// Orders counted.
    pub orders: u64,
    /// Sale receipts sent (or still to send) whose final status is not known yet.
    #[serde(default)]
    pub receipts_pending: u64,
    /// Sale receipts the tax authority found Invalid or refused, not yet replaced.
    #[serde(default)]
    pub receipts_invalid: u64,
}

/// The three-way sales comparison of one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesReconciliation {
    /// The day (UTC).
    pub day: Option<NaiveDate>,
    /// Sums per payment gateway.
    pub by_gateway: BTreeMap<String, DailySales>,
    /// Every mismatch found.
    pub mismatches: Vec<SalesMismatch>,
}

impl Engine {
    /// Compares every stock level of the ERP with the storefront's and, unless `dry_run`,
    /// pushes the differences (compare-and-set against what the storefront reported).
    ///
    /// # Errors
    ///
    /// When the store fails or a side cannot be read.
    pub async fn reconcile_stock(&self, dry_run: bool) -> Result<StockReconciliation, EngineError> {
        self.migrate().await?;
        let mut summary = Summary::default();
        let wanted = stock::wanted(self, &mut summary, true).await?;
        let variants: Vec<(Sku, RemoteVariant)> = self
            .bindings(BindingKind::Variant)
            .await?
            .into_iter()
            .filter_map(|b| {
                serde_json::from_value(b.data)
                    .ok()
                    .map(|v| (Sku::from(b.key), v))
            })
            .collect();
        let remote = self
            .connectors
            .storefront_catalog
            .read_stock(&variants)
            .await
            .map_err(|source| EngineError::Source {
                flow: "reconcile",
                source,
            })?;
        let actual: HashMap<(InventoryItemId, LocationId), i64> = remote
            .into_iter()
            .map(|r| ((r.inventory_item_id, r.location_id), r.available))
            .collect();
        let mut drift = Vec::new();
        let mut corrections = Vec::new();
        for want in &wanted {
            let have = actual
                .get(&(want.inventory_item_id.clone(), want.location_id.clone()))
                .copied()
                .unwrap_or(0);
            if have != want.quantity {
                drift.push(StockDrift {
                    sku: want.sku.clone(),
                    location_id: want.location_id.clone(),
                    erp: want.quantity,
                    storefront: have,
                });
                corrections.push(StockWrite {
                    expected: Some(have),
                    ..want.clone()
                });
            }
        }
        metrics::gauge!("sync_stock_drift").set(drift.len() as f64);
        let mut result = StockReconciliation {
            compared: wanted.len() as u64,
            drift,
            summary: Summary::default(),
        };
        if !dry_run && !corrections.is_empty() {
            let mut decisions = Decisions::run(self);
            stock::add_writes(&mut decisions, &corrections, stock::Pass::Reconcile).await?;
            result.summary = self.drain().await?;
        }
        Ok(result)
    }

    /// Compares one day's storefront orders, ERP documents and accepted receipts.
    ///
    /// # Errors
    ///
    /// When the store fails or the storefront cannot be read.
    pub async fn reconcile_sales(
        &self,
        day: NaiveDate,
    ) -> Result<SalesReconciliation, EngineError> {
        self.migrate().await?;
        let orders_bound: HashMap<String, Value> = self
            .bindings(BindingKind::Order)
            .await?
            .into_iter()
            .map(|b| (b.key, b.data))
            .collect();
        let receipts: HashMap<String, Value> = self
            .bindings(BindingKind::Receipt)
            .await?
            .into_iter()
            .filter(|b| b.key.starts_with("sale:"))
            .map(|b| (b.key.trim_start_matches("sale:").to_owned(), b.data))
            .collect();
        let start = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let mut report = SalesReconciliation {
            day: Some(day),
            ..SalesReconciliation::default()
        };
        let mut cursor = None;
        loop {
            let page = self
                .connectors
                .storefront_orders
                .orders_page(start, cursor.take())
                .await
                .map_err(|source| EngineError::Source {
                    flow: "reconcile",
                    source,
                })?;
            // Each order's exchanges are sales of their own, on the day they were made.
            let sales: Vec<Order> = page
                .items
                .iter()
                .filter(|o| o.cancelled_at.is_none())
                .flat_map(|o| std::iter::once(o.clone()).chain(o.exchange_sales()))
                .filter(|o| o.created_at.date_naive() == day)
                .collect();
            for order in &sales {
                let gateway = order.main_gateway().unwrap_or("unknown").to_owned();
                let entry = report.by_gateway.entry(gateway).or_default();
                entry.orders += 1;
                entry.storefront += order.total;
                let mut mismatch = |problem: String| {
                    report.mismatches.push(SalesMismatch {
                        order: order.external_id.clone(),
                        name: order.name.clone(),
                        problem,
                    })
                };
                match orders_bound.get(order.external_id.as_str()) {
                    None => mismatch("no ERP sales document".to_owned()),
                    Some(data) => {
                        let erp_total: Decimal = data
                            .get("total")
                            .and_then(Value::as_str)
                            .and_then(|t| t.parse().ok())
                            .unwrap_or_default();
                        entry.erp += erp_total;
                        if erp_total != order.total {
                            mismatch(format!(
                                "ERP total {erp_total} differs from storefront total {}",
                                order.total
                            ));
                        }
                    }
                }
                let phase = receipts.get(order.external_id.as_str()).and_then(|data| {
                    crate::engine::ReceiptPhase::from_stored(
                        data.get("state").and_then(Value::as_str).unwrap_or("built"),
                    )
                });
                match phase {
                    Some(ReceiptPhase::Built | ReceiptPhase::Submitted) => {
                        entry.receipts_pending += 1;
                    }
                    Some(ReceiptPhase::Invalid | ReceiptPhase::Rejected) => {
                        entry.receipts_invalid += 1;
                    }
                    _ => {}
                }
                match receipts.get(order.external_id.as_str()) {
                    Some(data) if phase == Some(ReceiptPhase::Valid) => {
                        // In the shop's currency (`total` is the receipt's own, which may be
                        // the customer's currency); receipts recorded before have only `total`.
                        let total: Decimal = data
                            .get("shop_total")
                            .or_else(|| data.get("total"))
                            .and_then(Value::as_str)
                            .and_then(|t| t.parse().ok())
                            .unwrap_or_default();
                        entry.receipts += total;
                        if total != order.total {
                            mismatch(format!(
                                "receipt total {total} differs from storefront total {}",
                                order.total
                            ));
                        }
                    }
                    Some(data) => mismatch(format!(
                        "receipt {}",
                        data.get("state")
                            .and_then(Value::as_str)
                            .unwrap_or("unknown")
                    )),
                    None => mismatch("no receipt".to_owned()),
                }
            }
            match page.next {
                Some(next) if page.has_more => cursor = Some(next),
                _ => break,
            }
        }
        Ok(report)
    }
}
