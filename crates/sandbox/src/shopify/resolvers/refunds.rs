//! Refunds (returns): the refund, its lines and its shipping line.

use async_graphql::connection::Connection;
use async_graphql::{Context, Error, ID, Object, Result};
use rust_decimal::Decimal;

use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::search::page;
use crate::shopify::store::*;
use crate::shopify::types::*;

#[Object]
impl Refund {
    pub(crate) async fn id(&self) -> Result<ID> {
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
