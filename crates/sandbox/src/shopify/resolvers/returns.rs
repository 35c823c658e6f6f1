//! Returns and exchanges: `Return`, its return and exchange line items, `Order.returns`
//! (through [`returns_connection`]), the `return` query field, and `returnApproveRequest`
//! and `returnProcess`.

use async_graphql::connection::Connection;
use async_graphql::{Context, Error, ID, InputObject, Interface, Object, Result, SimpleObject};

use super::discounts::MoneyInput;
use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::returns::{self as state, Payback, Processing, ReturnError};
use crate::shopify::search::{FieldVal, Filter, PageArgs, page};
use crate::shopify::store::*;
use crate::shopify::types::*;
use crate::shopify::webhooks::emit_all;

/// `Return`.
#[derive(Clone)]
pub(crate) struct Return(pub(crate) ReturnRec);

/// `ReturnLineItem`.
#[derive(Clone)]
pub(crate) struct ReturnLineItem {
    rec: ReturnLineRec,
    order_id: u64,
}

/// `ExchangeLineItem`.
#[derive(Clone)]
pub(crate) struct ExchangeLineItem {
    rec: ExchangeLineRec,
    order_id: u64,
}

/// `FulfillmentLineItem`: the fulfilled units of an order line a return line refers to.
pub(crate) struct FulfillmentLineItem {
    line_item_id: u64,
    fulfillment_id: u64,
    order_id: u64,
}

/// `ReturnLineItemType`.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "quantity", ty = "i32"),
    field(name = "processed_quantity", ty = "i32"),
    field(name = "unprocessed_quantity", ty = "i32"),
    field(name = "processable_quantity", ty = "i32"),
    field(name = "refundable_quantity", ty = "i32"),
    field(name = "refunded_quantity", ty = "i32"),
    field(name = "return_reason", ty = "ReturnReason"),
    field(name = "return_reason_note", ty = "&str"),
    field(name = "customer_note", ty = "Option<&str>")
)]
pub(crate) enum ReturnLineItemType {
    ReturnLineItem(ReturnLineItem),
}

fn order_line(ctx: &Context<'_>, order_id: u64, line: u64) -> Result<Option<LineItem>> {
    let st = lock(&cx(ctx)?.state.store);
    Ok(st.orders.get(&order_id).and_then(|o| {
        o.lines.iter().find(|l| l.id == line).map(|l| LineItem {
            line: l.clone(),
            order: o.clone(),
        })
    }))
}

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object]
impl Return {
    async fn id(&self) -> ID {
        gql_id("Return", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> ReturnStatus {
        ReturnStatus::parse(self.0.status).unwrap_or(ReturnStatus::OPEN)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn request_approved_at(&self) -> Option<DateTime> {
        self.0.approved_at.map(DateTime)
    }
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.closed_at.map(DateTime)
    }
    async fn total_quantity(&self) -> i32 {
        int(self.0.lines.iter().map(|l| l.quantity).sum())
    }
    async fn order(&self, ctx: &Context<'_>) -> Result<Order> {
        let st = lock(&cx(ctx)?.state.store);
        st.orders
            .get(&self.0.order_id)
            .cloned()
            .map(Order)
            .ok_or_else(|| Error::new("order not found"))
    }
    async fn return_line_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, ReturnLineItemType>> {
        let items = self
            .0
            .lines
            .iter()
            .map(|l| {
                let item = ReturnLineItem {
                    rec: l.clone(),
                    order_id: self.0.order_id,
                };
                (id_key(l.id), l.id, ReturnLineItemType::ReturnLineItem(item))
            })
            .collect();
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
    async fn exchange_line_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, ExchangeLineItem>> {
        let items = self
            .0
            .exchanges
            .iter()
            .map(|x| {
                let item = ExchangeLineItem {
                    rec: x.clone(),
                    order_id: self.0.order_id,
                };
                (id_key(x.id), x.id, item)
            })
            .collect();
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
    async fn refunds(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, Refund>> {
        let c = cx(ctx)?;
        let items = {
            let st = lock(&c.state.store);
            self.0
                .refund_ids
                .iter()
                .filter_map(|id| st.refunds.get(id))
                .map(|r| (id_key(r.id), r.id, Refund(r.clone())))
                .collect()
        };
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }
}

#[Object]
impl ReturnLineItem {
    async fn id(&self) -> ID {
        gql_id("ReturnLineItem", self.rec.id)
    }
    async fn quantity(&self) -> i32 {
        int(self.rec.quantity)
    }
    async fn processed_quantity(&self) -> i32 {
        int(self.rec.processed)
    }
    async fn unprocessed_quantity(&self) -> i32 {
        int(self.rec.quantity - self.rec.processed)
    }
    async fn processable_quantity(&self) -> i32 {
        int(self.rec.quantity - self.rec.processed)
    }
    async fn refundable_quantity(&self) -> i32 {
        int(self.rec.quantity - self.rec.processed)
    }
    async fn refunded_quantity(&self) -> i32 {
        int(self.rec.processed)
    }
    async fn return_reason(&self) -> ReturnReason {
        ReturnReason::parse(self.rec.reason).unwrap_or(ReturnReason::UNKNOWN)
    }
    async fn return_reason_note(&self) -> &str {
        &self.rec.note
    }
    async fn customer_note(&self) -> Option<&str> {
        self.rec.customer_note.as_deref()
    }
    async fn fulfillment_line_item(&self) -> FulfillmentLineItem {
        FulfillmentLineItem {
            line_item_id: self.rec.line_item_id,
            fulfillment_id: self.rec.fulfillment_id,
            order_id: self.order_id,
        }
    }
}

#[Object]
impl FulfillmentLineItem {
    async fn id(&self) -> ID {
        ID(format!(
            "gid://shopify/FulfillmentLineItem/{}?line_item_id={}",
            self.fulfillment_id, self.line_item_id
        ))
    }
    async fn quantity(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(st
            .orders
            .get(&self.order_id)
            .and_then(|o| o.fulfillments.iter().find(|f| f.id == self.fulfillment_id))
            .and_then(|f| f.lines.iter().find(|(l, _)| *l == self.line_item_id))
            .map(|(_, q)| int(*q)))
    }
    async fn line_item(&self, ctx: &Context<'_>) -> Result<LineItem> {
        order_line(ctx, self.order_id, self.line_item_id)?
            .ok_or_else(|| Error::new("line item not found"))
    }
}

#[Object]
impl ExchangeLineItem {
    async fn id(&self) -> ID {
        gql_id("ExchangeLineItem", self.rec.id)
    }
    async fn quantity(&self) -> i32 {
        int(self.rec.quantity)
    }
    async fn processed_quantity(&self) -> i32 {
        int(self.rec.processed)
    }
    async fn unprocessed_quantity(&self) -> i32 {
        int(self.rec.quantity - self.rec.processed)
    }
    async fn processable_quantity(&self) -> i32 {
        int(self.rec.quantity - self.rec.processed)
    }
    async fn variant_id(&self) -> Option<ID> {
        self.rec.variant_id.map(|v| gql_id("ProductVariant", v))
    }
    /// The order lines the processed units became (none before processing).
    async fn line_items(&self, ctx: &Context<'_>) -> Result<Option<Vec<LineItem>>> {
        let mut out = Vec::new();
        for l in &self.rec.line_item_ids {
            out.extend(order_line(ctx, self.order_id, *l)?);
        }
        Ok(Some(out))
    }
    #[graphql(visible = "crate::shopify::versions::since_2026_10")]
    async fn product_id(&self) -> Option<ID> {
        self.rec.product_id.map(|v| gql_id("Product", v))
    }
    #[graphql(visible = "crate::shopify::versions::since_2026_10")]
    async fn title(&self) -> Option<&str> {
        Some(&self.rec.title)
    }
    #[graphql(visible = "crate::shopify::versions::since_2026_10")]
    async fn variant_sku(&self) -> Option<&str> {
        self.rec.sku.as_deref()
    }
    #[graphql(visible = "crate::shopify::versions::since_2026_10")]
    async fn variant_title(&self) -> Option<&str> {
        self.rec.variant_title.as_deref()
    }
}

/// The returns of an order (or all), `status:` filterable.
pub(crate) fn returns_connection(
    ctx: &Context<'_>,
    order: Option<u64>,
    args: PageArgs,
    query: Option<String>,
) -> Result<Connection<String, Return>> {
    let c = cx(ctx)?;
    let filter = Filter::parse(query.as_deref(), &["status"])?;
    let mut items = Vec::new();
    {
        let st = lock(&c.state.store);
        for r in st.returns.values() {
            if order.is_some_and(|o| o != r.order_id) {
                continue;
            }
            let ok = filter.matches(|f| match f {
                "status" => Some(FieldVal::Str(r.status.to_lowercase())),
                _ => None,
            })?;
            if ok {
                items.push((id_key(r.id), r.id, Return(r.clone())));
            }
        }
    }
    page(items, &args, c.bulk)
}

/// The `return` query field.
#[derive(Default)]
pub(crate) struct ReturnQueries;

#[Object]
impl ReturnQueries {
    #[graphql(name = "return")]
    async fn return_(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Return>> {
        let id = gid_arg("Return", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.returns.get(&id).cloned().map(Return))
    }
}

/// `ReturnProcessReturnLineItemInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ReturnProcessReturnLineItemInput {
    id: ID,
    quantity: i32,
}

/// `ReturnProcessExchangeLineItemInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ReturnProcessExchangeLineItemInput {
    id: ID,
    quantity: i32,
}

/// `ReturnRefundOrderTransactionInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ReturnRefundOrderTransactionInput {
    parent_id: ID,
    transaction_amount: MoneyInput,
}

/// `ReturnProcessRefundInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ReturnProcessRefundInput {
    allow_over_refunding: Option<bool>,
    order_transactions: Vec<ReturnRefundOrderTransactionInput>,
}

/// `ReturnProcessFinancialTransferInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ReturnProcessFinancialTransferInput {
    issue_refund: Option<ReturnProcessRefundInput>,
}

/// `ReturnProcessInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ReturnProcessInput {
    return_id: ID,
    return_line_items: Option<Vec<ReturnProcessReturnLineItemInput>>,
    exchange_line_items: Option<Vec<ReturnProcessExchangeLineItemInput>>,
    financial_transfer: Option<ReturnProcessFinancialTransferInput>,
    note: Option<String>,
    notify_customer: Option<bool>,
}

/// `ReturnApproveRequestInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ReturnApproveRequestInput {
    id: ID,
    notify_customer: Option<bool>,
}

#[derive(SimpleObject)]
pub(crate) struct ReturnProcessPayload {
    #[graphql(name = "return")]
    ret: Option<Return>,
    user_errors: Vec<ReturnUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ReturnApproveRequestPayload {
    #[graphql(name = "return")]
    ret: Option<Return>,
    user_errors: Vec<ReturnUserError>,
}

fn user_error(e: ReturnError) -> Vec<ReturnUserError> {
    vec![ReturnUserError::new(
        ReturnErrorCode::parse(e.code).unwrap_or(ReturnErrorCode::INVALID),
        Some(e.field),
        e.message,
    )]
}

/// Resolves a list of `kind` GIDs with quantities; the first one that is not a `kind` GID is
/// answered as a `NOT_FOUND` at `field`.
fn id_quantities(
    kind: &str,
    field: &str,
    items: impl Iterator<Item = (ID, i32)>,
) -> std::result::Result<Vec<(u64, i64)>, ReturnError> {
    let mut out = Vec::new();
    for (i, (id, q)) in items.enumerate() {
        let Some(n) = parse_gid(kind, id.as_str()) else {
            return Err(ReturnError {
                code: "NOT_FOUND",
                field: vec!["input".into(), field.into(), i.to_string(), "id".into()],
                message: format!("`{}` is not a {kind} id.", id.as_str()),
            });
        };
        out.push((n, i64::from(q)));
    }
    Ok(out)
}

/// `returnApproveRequest` and `returnProcess`.
#[derive(Default)]
pub(crate) struct ReturnMutations;

#[Object]
impl ReturnMutations {
    async fn return_approve_request(
        &self,
        ctx: &Context<'_>,
        input: ReturnApproveRequestInput,
    ) -> Result<Option<ReturnApproveRequestPayload>> {
        let _ = input.notify_customer;
        let c = cx(ctx)?;
        let id = parse_gid("Return", input.id.as_str()).unwrap_or(0);
        let result = state::approve(&mut lock(&c.state.store), id);
        Ok(Some(match result {
            Ok((rec, events)) => {
                emit_all(&c.state, events);
                ReturnApproveRequestPayload {
                    ret: Some(Return(rec)),
                    user_errors: Vec::new(),
                }
            }
            Err(e) => ReturnApproveRequestPayload {
                ret: None,
                user_errors: user_error(e),
            },
        }))
    }

    async fn return_process(
        &self,
        ctx: &Context<'_>,
        input: ReturnProcessInput,
    ) -> Result<Option<ReturnProcessPayload>> {
        let _ = input.notify_customer;
        let c = cx(ctx)?;
        let lines = input.return_line_items.unwrap_or_default();
        let exchanges = input.exchange_line_items.unwrap_or_default();
        check_input_size("input.returnLineItems", lines.len())?;
        check_input_size("input.exchangeLineItems", exchanges.len())?;
        let shop_currency = c.state.currency;
        let parsed = (|| {
            let lines = id_quantities(
                "ReturnLineItem",
                "returnLineItems",
                lines.into_iter().map(|l| (l.id, l.quantity)),
            )?;
            let exchanges = id_quantities(
                "ExchangeLineItem",
                "exchangeLineItems",
                exchanges.into_iter().map(|l| (l.id, l.quantity)),
            )?;
            let payback = match input.financial_transfer.and_then(|f| f.issue_refund) {
                None => Payback::None,
                Some(r) => {
                    let mut txs = Vec::new();
                    for (i, t) in r.order_transactions.iter().enumerate() {
                        let at = |f: &str| {
                            [
                                "input",
                                "financialTransfer",
                                "issueRefund",
                                "orderTransactions",
                            ]
                            .iter()
                            .map(|s| s.to_string())
                            .chain([i.to_string(), f.to_string()])
                            .collect::<Vec<_>>()
                        };
                        if t.transaction_amount.currency_code != shop_currency {
                            return Err(ReturnError {
                                code: "INVALID",
                                field: at("transactionAmount"),
                                message: "The currency must be the shop currency.".into(),
                            });
                        }
                        let parent = parse_gid("OrderTransaction", t.parent_id.as_str())
                            .ok_or_else(|| ReturnError {
                                code: "NOT_FOUND",
                                field: at("parentId"),
                                message: "Not an OrderTransaction id.".into(),
                            })?;
                        txs.push((parent, t.transaction_amount.amount.0));
                    }
                    Payback::Given {
                        txs,
                        allow_over: r.allow_over_refunding.unwrap_or(false),
                    }
                }
            };
            Ok((lines, exchanges, payback))
        })();
        let result = parsed.and_then(|(lines, exchanges, payback)| {
            let id = parse_gid("Return", input.return_id.as_str()).unwrap_or(0);
            let p = Processing {
                lines,
                exchanges,
                payback,
                note: input.note.clone(),
            };
            state::process(&mut lock(&c.state.store), id, &p, c.state.config.vat_rate)
        });
        Ok(Some(match result {
            Ok((rec, events)) => {
                emit_all(&c.state, events);
                ReturnProcessPayload {
                    ret: Some(Return(rec)),
                    user_errors: Vec::new(),
                }
            }
            Err(e) => ReturnProcessPayload {
                ret: None,
                user_errors: user_error(e),
            },
        }))
    }
}
