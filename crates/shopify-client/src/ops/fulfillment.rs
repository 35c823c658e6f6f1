//! Fulfilment back to Shopify: the ERP ships, Shopify records the fulfilment with tracking.
//!
//! Shopify fulfils *fulfillment order* lines, not order lines: the client reads the order's
//! open fulfillment orders, maps each requested order line to the fulfillment order lines
//! that still have quantity to ship, and sends one `fulfillmentCreate`.

use std::collections::BTreeMap;

use crate::client::{Safety, ShopifyClient};
use crate::error::Error;
use crate::gid::{LineItemGid, OrderGid};
use crate::ops::{missing, user_errors};
use crate::queries::{self, fulfillment_create as fc, order_fulfillment_orders as ofo};

/// Tracking details of a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tracking {
    /// Carrier name as Shopify knows it (e.g. `Aramex`, `DHL Express`).
    pub company: Option<String>,
    /// Tracking number.
    pub number: Option<String>,
    /// Tracking URL.
    pub url: Option<String>,
}

/// What to fulfil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfillmentRequest {
    /// The order (`gid://shopify/Order/…`).
    pub order_id: OrderGid,
    /// Order line ids (`gid://shopify/LineItem/…`) and quantities; empty = everything
    /// still open.
    pub lines: Vec<(LineItemGid, i64)>,
    /// Tracking.
    pub tracking: Option<Tracking>,
    /// Whether Shopify e-mails the customer.
    pub notify_customer: bool,
}

/// The fulfilment Shopify recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfillmentResult {
    /// Fulfilment id.
    pub id: String,
    /// Its status (`SUCCESS`, …).
    pub status: String,
}

impl ShopifyClient {
    /// Creates a fulfilment for lines of an order, with tracking. Not retried after an
    /// uncertain failure (it would ship twice): re-read the order's fulfilment status first.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for non-positive quantities, a line that is not
    /// open or has less left to ship than asked, or an order with nothing to fulfil;
    /// [`Error::UserErrors`] when refused.
    pub async fn fulfill(&self, request: &FulfillmentRequest) -> Result<FulfillmentResult, Error> {
        const OP: &str = "FulfillmentCreate";
        for (i, (_, qty)) in request.lines.iter().enumerate() {
            if *qty <= 0 {
                return Err(Error::invalid(
                    format!("lines[{i}].1"),
                    format!("quantity must be positive, got {qty}"),
                ));
            }
        }
        let data: ofo::ResponseData = self
            .run::<queries::OrderFulfillmentOrders, _>(
                ofo::Variables {
                    id: request.order_id.as_str().to_owned(),
                },
                Safety::Repeatable,
            )
            .await?;
        let order = data.order.ok_or_else(|| {
            Error::invalid(
                "order_id",
                format!("no order {} in this shop", request.order_id),
            )
        })?;
        // fulfillment order id -> [(fulfillment order line id, quantity)]
        let mut plan: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
        let open: Vec<_> = order
            .fulfillment_orders
            .nodes
            .iter()
            .filter(|fo| {
                matches!(
                    fo.status,
                    ofo::FulfillmentOrderStatus::OPEN | ofo::FulfillmentOrderStatus::IN_PROGRESS
                )
            })
            .collect();
        if request.lines.is_empty() {
            for fo in &open {
                for l in &fo.line_items.nodes {
                    if l.remaining_quantity > 0 {
                        plan.entry(fo.id.clone())
                            .or_default()
                            .push((l.id.clone(), l.remaining_quantity));
                    }
                }
            }
        } else {
            for (i, (line, qty)) in request.lines.iter().enumerate() {
                let mut left = *qty;
                for fo in &open {
                    for l in fo
                        .line_items
                        .nodes
                        .iter()
                        .filter(|l| line == l.line_item.id.as_str())
                    {
                        let take = left.min(l.remaining_quantity);
                        if take > 0 {
                            plan.entry(fo.id.clone())
                                .or_default()
                                .push((l.id.clone(), take));
                            left -= take;
                        }
                    }
                }
                if left > 0 {
                    return Err(Error::invalid(
                        format!("lines[{i}]"),
                        format!(
                            "line {line} has {} fewer open units than the {qty} asked",
                            left
                        ),
                    ));
                }
            }
        }
        if plan.is_empty() {
            return Err(Error::invalid(
                "order_id",
                "the order has nothing left to fulfil",
            ));
        }
        let fulfillment = fc::FulfillmentInput {
            notify_customer: Some(request.notify_customer),
            tracking_info: request
                .tracking
                .as_ref()
                .map(|t| fc::FulfillmentTrackingInput {
                    company: t.company.clone(),
                    number: t.number.clone(),
                    url: t.url.clone(),
                    ..Default::default()
                }),
            line_items_by_fulfillment_order: plan
                .into_iter()
                .map(|(fo, lines)| fc::FulfillmentOrderLineItemsInput {
                    fulfillment_order_id: fo,
                    fulfillment_order_line_items: Some(
                        lines
                            .into_iter()
                            .map(|(id, quantity)| fc::FulfillmentOrderLineItemInput {
                                id,
                                quantity,
                            })
                            .collect(),
                    ),
                })
                .collect(),
            ..Default::default()
        };
        let data: fc::ResponseData = self
            .run::<queries::FulfillmentCreate, _>(fc::Variables { fulfillment }, Safety::Once)
            .await?;
        let payload = data
            .fulfillment_create
            .ok_or_else(|| missing(OP, "fulfillmentCreate"))?;
        user_errors!(OP, payload.user_errors)?;
        let f = payload
            .fulfillment
            .ok_or_else(|| missing(OP, "fulfillment"))?;
        Ok(FulfillmentResult {
            id: f.id,
            status: crate::ops::enum_text(&f.status),
        })
    }
}
