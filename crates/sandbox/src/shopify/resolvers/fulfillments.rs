//! Fulfillments and fulfillment orders, and `fulfillmentCreate`.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::outputs::*;
use super::*;
use crate::shopify::orders::fulfillment_status;
use crate::shopify::search::page;
use crate::shopify::store::*;
use crate::shopify::types::*;
use crate::shopify::webhooks::emit_all;
use crate::shopify::{lock, webhooks};

#[Object]
impl Fulfillment {
    pub(crate) async fn id(&self) -> Result<ID> {
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

#[Object]
impl FulfillmentOrder {
    pub(crate) async fn id(&self) -> Result<ID> {
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
        self.line.requires_shipping
    }
    async fn line_item(&self) -> LineItem {
        LineItem {
            line: self.line.clone(),
            order: self.order.clone(),
        }
    }
}

/// `FulfillmentTrackingInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FulfillmentTrackingInput {
    pub(crate) number: Option<String>,
    pub(crate) url: Option<Url>,
    pub(crate) company: Option<String>,
    pub(crate) numbers: Option<Vec<String>>,
    pub(crate) urls: Option<Vec<Url>>,
}

/// `FulfillmentOrderLineItemInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FulfillmentOrderLineItemInput {
    pub(crate) id: ID,
    pub(crate) quantity: i32,
}

/// `FulfillmentOrderLineItemsInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FulfillmentOrderLineItemsInput {
    pub(crate) fulfillment_order_id: ID,
    pub(crate) fulfillment_order_line_items: Option<Vec<FulfillmentOrderLineItemInput>>,
}

/// `FulfillmentInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FulfillmentInput {
    pub(crate) tracking_info: Option<FulfillmentTrackingInput>,
    pub(crate) notify_customer: Option<bool>,
    pub(crate) line_items_by_fulfillment_order: Vec<FulfillmentOrderLineItemsInput>,
}

#[derive(SimpleObject)]
pub(crate) struct FulfillmentCreatePayload {
    fulfillment: Option<Fulfillment>,
    user_errors: Vec<UserError>,
}

/// `fulfillmentCreate`.
#[derive(Default)]
pub(crate) struct FulfillmentMutations;

#[Object]
impl FulfillmentMutations {
    async fn fulfillment_create(
        &self,
        ctx: &Context<'_>,
        fulfillment: FulfillmentInput,
        message: Option<String>,
    ) -> Result<Option<FulfillmentCreatePayload>> {
        let result: Result<FulfillmentCreatePayload> = async move {
        let _ = message;
        let c = cx(ctx)?;
        let err = |f: &[&str], m: &str| Ok(FulfillmentCreatePayload { fulfillment: None, user_errors: vec![UserError { field: path(f), message: m.to_string() }] });
        let (payload, events) = {
            let mut st = lock(&c.state.store);
            if fulfillment.line_items_by_fulfillment_order.is_empty() {
                return err(&["fulfillment", "lineItemsByFulfillmentOrder"], "At least one fulfillment order is required");
            }
            let mut order_id = None;
            let mut plan: Vec<(u64, i64)> = Vec::new();
            for (i, fo) in fulfillment.line_items_by_fulfillment_order.iter().enumerate() {
                let idx = i.to_string();
                let Some(foid) = parse_gid("FulfillmentOrder", fo.fulfillment_order_id.as_str()) else {
                    return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderId"], "Fulfillment order does not exist.");
                };
                let Some(order) = st.orders.values().find(|o| o.fulfillment_order_id == foid) else {
                    return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderId"], "Fulfillment order does not exist.");
                };
                if order_id.is_some_and(|o| o != order.id) {
                    return err(&["fulfillment", "lineItemsByFulfillmentOrder"], "All fulfillment orders must belong to the same order.");
                }
                if order.cancelled_at.is_some() {
                    return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderId"], "Fulfillment order is cancelled and can't be fulfilled.");
                }
                order_id = Some(order.id);
                match &fo.fulfillment_order_line_items {
                    None => plan.extend(order.lines.iter().filter(|l| l.quantity > l.fulfilled_quantity).map(|l| (l.id, l.quantity - l.fulfilled_quantity))),
                    Some(items) => {
                        for (j, li) in items.iter().enumerate() {
                            let jdx = j.to_string();
                            let line = parse_gid("FulfillmentOrderLineItem", li.id.as_str()).and_then(|n| order.lines.iter().find(|l| l.id == n));
                            let Some(line) = line else {
                                return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderLineItems", &jdx, "id"], "Fulfillment order line item does not exist.");
                            };
                            let remaining = line.quantity - line.fulfilled_quantity;
                            if li.quantity < 1 || i64::from(li.quantity) > remaining {
                                return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderLineItems", &jdx, "quantity"], &format!("Quantity must be between 1 and the remaining quantity ({remaining})."));
                            }
                            plan.push((line.id, i64::from(li.quantity)));
                        }
                    }
                }
            }
            let Some(oid) = order_id else { return err(&["fulfillment"], "nothing to fulfill") };
            if plan.is_empty() {
                return err(&["fulfillment", "lineItemsByFulfillmentOrder"], "The fulfillment order has nothing left to fulfill.");
            }
            let fid = st.next_id();
            let now = now();
            let t = fulfillment.tracking_info.clone();
            let mut numbers: Vec<String> = t.as_ref().and_then(|t| t.number.clone()).into_iter().collect();
            numbers.extend(t.as_ref().and_then(|t| t.numbers.clone()).unwrap_or_default());
            let mut urls: Vec<String> = t.as_ref().and_then(|t| t.url.clone()).map(|u| u.0).into_iter().collect();
            urls.extend(t.as_ref().and_then(|t| t.urls.clone()).unwrap_or_default().into_iter().map(|u| u.0));
            let Some(order) = st.orders.get_mut(&oid) else { return err(&["fulfillment"], "order vanished") };
            for (lid, q) in &plan {
                if let Some(l) = order.lines.iter_mut().find(|l| l.id == *lid) {
                    l.fulfilled_quantity += q;
                }
            }
            let rec = FulfillmentRec {
                id: fid,
                name: format!("{}-F{}", order.name, order.fulfillments.len() + 1),
                location_id: order.location_id,
                lines: plan,
                tracking_company: t.as_ref().and_then(|t| t.company.clone()),
                tracking_numbers: numbers,
                tracking_urls: urls,
                created_at: now,
            };
            order.fulfillments.push(rec.clone());
            order.updated_at = now;
            let order = order.clone();
            let full = fulfillment_status(&order) == OrderDisplayFulfillmentStatus::FULFILLED;
            let payload = webhooks::order_payload(&st, &order);
            let events = vec![
                ("FULFILLMENTS_CREATE", webhooks::fulfillment_payload(&order, &rec)),
                (if full { "ORDERS_FULFILLED" } else { "ORDERS_PARTIALLY_FULFILLED" }, payload.clone()),
                ("ORDERS_UPDATED", payload),
            ];
            (FulfillmentCreatePayload { fulfillment: Some(Fulfillment(rec)), user_errors: Vec::new() }, events)
        };
        emit_all(&c.state, events);
        Ok(payload)
            }
        .await;
        result.map(Some)
    }
}
