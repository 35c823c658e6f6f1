//! Orders: the order and the order query fields (its parts are in `order_lines`).

use async_graphql::connection::Connection;
use async_graphql::{Context, Error, ID, MaybeUndefined, Object, Result};
use rust_decimal::Decimal;

use super::order_lines::{DiscountApplication, discount_application, tax_line};
use super::outputs::*;
use super::returns::{Return, returns_connection};
use super::*;
use crate::shopify::lock;
use crate::shopify::orders::{
    Totals, display_fulfillment_status, financial_status, fulfillment_status, refunded_quantities,
    totals,
};
use crate::shopify::search::{FieldVal, Filter, SortVal, page, page_by_id};
use crate::shopify::store::*;
use crate::shopify::types::*;

/// Locks the store and computes `order`'s totals (the lock is released on return).
fn order_totals(ctx: &Context<'_>, order: &OrderRec) -> Result<Totals> {
    let st = lock(&cx(ctx)?.state.store);
    Ok(totals(&st, order))
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

#[Object]
impl Order {
    pub(crate) async fn id(&self) -> Result<ID> {
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
    /// The location of a point-of-sale order (`null` for an online one), as Shopify's
    /// `retailLocation` since 2024-07.
    async fn retail_location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        if self.0.source_name != "pos" {
            return Ok(None);
        }
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .0
            .location_id
            .and_then(|id| st.locations.get(&id))
            .cloned()
            .map(Location))
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
        let state = &cx(ctx)?.state;
        Ok(state.presentment.map_or(state.currency, |(c, _)| c))
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
    async fn display_fulfillment_status(
        &self,
        ctx: &Context<'_>,
    ) -> Result<OrderDisplayFulfillmentStatus> {
        let c = cx(ctx)?;
        let st = lock(&c.state.store);
        Ok(display_fulfillment_status(&st, &self.0, &c.version))
    }
    /// The returns' status, most pressing first: one open return makes it `IN_PROGRESS`, then
    /// a requested one `RETURN_REQUESTED`, then a closed one `RETURNED`; only declined or
    /// cancelled returns, `RETURN_FAILED`; none, `NO_RETURN` (`docs/sandbox.md`).
    async fn return_status(&self, ctx: &Context<'_>) -> Result<OrderReturnStatus> {
        let c = cx(ctx)?;
        let st = lock(&c.state.store);
        let statuses: Vec<&str> = st
            .returns
            .values()
            .filter(|r| r.order_id == self.0.id)
            .map(|r| r.status)
            .collect();
        let has = |s: &str| statuses.contains(&s);
        Ok(if statuses.is_empty() {
            OrderReturnStatus::NO_RETURN
        } else if has("OPEN") {
            OrderReturnStatus::IN_PROGRESS
        } else if has("REQUESTED") {
            OrderReturnStatus::RETURN_REQUESTED
        } else if has("CLOSED") {
            OrderReturnStatus::RETURNED
        } else {
            OrderReturnStatus::RETURN_FAILED
        })
    }
    async fn fully_paid(&self, ctx: &Context<'_>) -> Result<bool> {
        let t = order_totals(ctx, &self.0)?;
        Ok(t.received >= t.total)
    }
    async fn unpaid(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(order_totals(ctx, &self.0)?.received.is_zero())
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
    async fn custom_attributes(&self) -> Vec<Attribute> {
        self.0
            .custom_attributes
            .iter()
            .map(|(key, value)| Attribute {
                key: key.clone(),
                value: value.clone(),
            })
            .collect()
    }
    /// The company of a B2B order, else the customer.
    async fn purchasing_entity(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::buyers::PurchasingEntity>> {
        use super::buyers::{PurchasingCompany, PurchasingEntity};
        if let Some(c) = &self.0.company {
            return Ok(Some(PurchasingEntity::PurchasingCompany(
                PurchasingCompany(c.clone()),
            )));
        }
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .0
            .customer_id
            .and_then(|id| st.customers.get(&id))
            .cloned()
            .map(|c| PurchasingEntity::Customer(Customer(c))))
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
        let refunded_tax = order_totals(ctx, &self.0)?.refunded_tax;
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
        let t = order_totals(ctx, &self.0)?;
        Ok(Some(bag(ctx, t.subtotal)?))
    }
    async fn current_subtotal_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.subtotal - t.refunded_subtotal)
    }
    async fn total_discounts_set(&self, ctx: &Context<'_>) -> Result<Option<MoneyBag>> {
        let t = order_totals(ctx, &self.0)?;
        Ok(Some(bag(ctx, t.discounts)?))
    }
    async fn current_total_discounts_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.discounts)
    }
    async fn cart_discount_amount_set(&self, ctx: &Context<'_>) -> Result<Option<MoneyBag>> {
        let t = order_totals(ctx, &self.0)?;
        Ok(Some(bag(ctx, t.discounts)?))
    }
    async fn total_shipping_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.shipping)
    }
    async fn current_shipping_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.shipping - t.refunded_shipping)
    }
    async fn total_tax_set(&self, ctx: &Context<'_>) -> Result<Option<MoneyBag>> {
        let t = order_totals(ctx, &self.0)?;
        Ok(Some(bag(ctx, t.tax)?))
    }
    async fn current_total_tax_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.tax - t.refunded_tax)
    }
    async fn total_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.total)
    }
    async fn original_total_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.total)
    }
    async fn current_total_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.total - t.refunded)
    }
    async fn total_refunded_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.refunded)
    }
    async fn total_refunded_shipping_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.refunded_shipping)
    }
    async fn total_received_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.received)
    }
    async fn net_payment_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
        bag(ctx, t.received - t.refunded)
    }
    async fn total_outstanding_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        let t = order_totals(ctx, &self.0)?;
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
    #[allow(clippy::too_many_arguments)]
    async fn returns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        query: Option<String>,
    ) -> Result<Connection<String, Return>> {
        returns_connection(
            ctx,
            Some(self.0.id),
            pargs(first, after, last, before, reverse),
            query,
        )
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

/// The `orders`, `ordersCount`, `order` and `refund` query fields.
#[derive(Default)]
pub(crate) struct OrderQueries;

#[Object]
impl OrderQueries {
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
        limit: MaybeUndefined<i32>,
    ) -> Result<Option<Count>> {
        let st = lock(&cx(ctx)?.state.store);
        let times = st.orders.values().map(|r| (r.updated_at, r.created_at));
        Ok(Some(count_by_time(times, query.as_deref(), &limit)?))
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
}
