//! Returns and exchanges: creating a return of fulfilled units (the admin hook), approving a
//! requested one, and processing returned and exchanged items (a refund of the returned
//! lines; the exchanged items become lines of the order).

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::orders::{
    record_refund, refund_lines, refund_transactions, refunded_quantities, vat_of,
};
use super::store::*;
use super::webhooks::{self, Event};
use super::{ShopifyState, lock};

/// A line to return, in [`NewReturn`].
#[derive(Debug, Clone, Deserialize)]
pub struct ReturnLineSpec {
    /// The order line (`gid://shopify/LineItem/<n>`).
    pub line_item_id: String,
    /// Units returned (at most those fulfilled and not yet returned).
    pub quantity: i64,
    /// A `ReturnReason` value; default `UNKNOWN`.
    #[serde(default)]
    pub reason: Option<String>,
    /// The merchant's note on the reason.
    #[serde(default)]
    pub note: Option<String>,
    /// The customer's note.
    #[serde(default)]
    pub customer_note: Option<String>,
}

/// An item given in exchange, in [`NewReturn`]: a variant named by SKU or id.
#[derive(Debug, Clone, Deserialize)]
pub struct ExchangeLineSpec {
    /// The SKU of a variant of the shop.
    #[serde(default)]
    pub sku: Option<String>,
    /// The variant (`gid://shopify/ProductVariant/<n>`), instead of the SKU.
    #[serde(default)]
    pub variant_id: Option<String>,
    /// Units given.
    pub quantity: i64,
}

/// A return to create (the body of `POST /__admin/shopify/returns`).
#[derive(Debug, Clone, Deserialize)]
pub struct NewReturn {
    /// The order (`gid://shopify/Order/<n>`).
    pub order_id: String,
    /// `admin` (default), `pos` or `customer_account` (a request: `REQUESTED` until
    /// `returnApproveRequest`).
    #[serde(default)]
    pub source: Option<String>,
    /// The returned lines (at least one).
    pub lines: Vec<ReturnLineSpec>,
    /// Items given in exchange.
    #[serde(default)]
    pub exchange: Vec<ExchangeLineSpec>,
    /// Fulfil the returned lines' unfulfilled units first (as the merchant shipping them);
    /// otherwise returning unfulfilled units is refused.
    #[serde(default)]
    pub fulfill: bool,
    /// Process the whole return at once, as at a point of sale: the returned lines are
    /// refunded, less the exchanged items' value, to the original payment methods.
    #[serde(default)]
    pub process: bool,
}

/// A refused return operation: a `ReturnErrorCode` value, the input field and why.
#[derive(Debug, Clone)]
pub(crate) struct ReturnError {
    pub(crate) code: &'static str,
    pub(crate) field: Vec<String>,
    pub(crate) message: String,
}

fn refuse(code: &'static str, field: &[&str], message: impl Into<String>) -> ReturnError {
    ReturnError {
        code,
        field: field.iter().map(|s| s.to_string()).collect(),
        message: message.into(),
    }
}

/// How the returned lines are paid back when processed.
#[derive(Debug, Clone)]
pub(crate) enum Payback {
    /// No money moves (the refund records the lines only).
    None,
    /// These amounts back to these sale transactions (parent id, amount); above the
    /// returned value less the exchanged one only with `allow_over`.
    Given {
        txs: Vec<(u64, Decimal)>,
        allow_over: bool,
    },
    /// The returned value less the exchanged one, to the original payment methods.
    Suggested,
}

/// What to process of a return.
#[derive(Debug, Clone)]
pub(crate) struct Processing {
    /// (return line id, quantity)
    pub(crate) lines: Vec<(u64, i64)>,
    /// (exchange line id, quantity)
    pub(crate) exchanges: Vec<(u64, i64)>,
    pub(crate) payback: Payback,
    pub(crate) note: Option<String>,
}

/// Units of `line` in returns of its order that are not cancelled or declined, and of those
/// the units not processed yet.
fn in_returns(st: &Store, order: u64, line: u64) -> (i64, i64) {
    st.returns
        .values()
        .filter(|r| r.order_id == order && !matches!(r.status, "CANCELED" | "DECLINED"))
        .flat_map(|r| r.lines.iter())
        .filter(|l| l.line_item_id == line)
        .fold((0, 0), |(q, u), l| {
            (q + l.quantity, u + l.quantity - l.processed)
        })
}

/// Fulfils the unfulfilled units of `lines` of an order (one fulfillment).
fn fulfil(st: &mut Store, order: &mut OrderRec, lines: &[u64]) {
    let mut fl = Vec::new();
    for l in order.lines.iter_mut().filter(|l| lines.contains(&l.id)) {
        let left = l.quantity - l.fulfilled_quantity;
        if left > 0 {
            fl.push((l.id, left));
            l.fulfilled_quantity = l.quantity;
        }
    }
    if fl.is_empty() {
        return;
    }
    let n = order.fulfillments.len() + 1;
    order.fulfillments.push(FulfillmentRec {
        id: st.next_id(),
        name: format!("{}-F{n}", order.name),
        location_id: order.location_id,
        lines: fl,
        tracking_company: None,
        tracking_numbers: Vec::new(),
        tracking_urls: Vec::new(),
        created_at: now(),
    });
}

/// Creates a return (see [`NewReturn`]); answers its ids.
pub(crate) fn create(state: &Arc<ShopifyState>, spec: &NewReturn) -> Result<Value, String> {
    let mut events: Vec<Event> = Vec::new();
    let answer = {
        let mut st = lock(&state.store);
        let oid = parse_gid("Order", &spec.order_id)
            .filter(|id| st.orders.contains_key(id))
            .ok_or_else(|| format!("order_id: no order {}", spec.order_id))?;
        let mut order = st.orders.get(&oid).cloned().ok_or("order vanished")?;
        if order.cancelled_at.is_some() {
            return Err(format!("order {} is cancelled", order.name));
        }
        let source = match spec.source.as_deref() {
            None => ReturnSource::Admin,
            Some(s) => ReturnSource::parse(s)
                .ok_or_else(|| format!("source: `{s}` is not admin, pos or customer_account"))?,
        };
        if spec.lines.is_empty() {
            return Err("lines: a return needs at least one returned line".into());
        }
        let mut ids = Vec::new();
        for (i, l) in spec.lines.iter().enumerate() {
            let id = parse_gid("LineItem", &l.line_item_id)
                .filter(|id| order.lines.iter().any(|x| x.id == *id))
                .ok_or_else(|| {
                    format!(
                        "lines[{i}].line_item_id: {} is not a line of order {}",
                        l.line_item_id, order.name
                    )
                })?;
            ids.push(id);
        }
        if spec.fulfill {
            fulfil(&mut st, &mut order, &ids);
        }
        let refunded = refunded_quantities(&st, &order);
        let mut lines = Vec::new();
        for (i, (l, id)) in spec.lines.iter().zip(&ids).enumerate() {
            let line = order
                .lines
                .iter()
                .find(|x| x.id == *id)
                .ok_or("line vanished")?;
            let (returned, unprocessed) = in_returns(&st, oid, *id);
            let gone = refunded
                .iter()
                .find(|(x, _)| x == id)
                .map_or(0, |(_, q)| *q);
            let room = (line.fulfilled_quantity - returned).min(line.quantity - gone - unprocessed);
            if l.quantity < 1 || l.quantity > room {
                return Err(format!(
                    "lines[{i}].quantity: {} is not between 1 and the {room} fulfilled units not yet returned or refunded",
                    l.quantity
                ));
            }
            let reason = match l.reason.as_deref() {
                None => "UNKNOWN",
                Some(r) => super::types::ReturnReason::parse(r)
                    .map(|r| r.as_str())
                    .ok_or_else(|| format!("lines[{i}].reason: `{r}` is not a ReturnReason"))?,
            };
            let fulfillment_id = order
                .fulfillments
                .iter()
                .find(|f| f.lines.iter().any(|(x, _)| x == id))
                .map_or(0, |f| f.id);
            lines.push(ReturnLineRec {
                id: st.next_id(),
                line_item_id: *id,
                fulfillment_id,
                quantity: l.quantity,
                processed: 0,
                reason,
                note: l.note.clone().unwrap_or_default(),
                customer_note: l.customer_note.clone(),
            });
        }
        let mut exchanges = Vec::new();
        for (i, x) in spec.exchange.iter().enumerate() {
            let variant = match (&x.sku, &x.variant_id) {
                (Some(sku), None) => st.variant_by_sku(sku).cloned(),
                (None, Some(v)) => {
                    parse_gid("ProductVariant", v).and_then(|v| st.variants.get(&v).cloned())
                }
                _ => return Err(format!("exchange[{i}]: give either sku or variant_id")),
            }
            .ok_or_else(|| format!("exchange[{i}]: no such variant in the shop"))?;
            if x.quantity < 1 {
                return Err(format!("exchange[{i}].quantity: must be at least 1"));
            }
            let vt = variant.title();
            let title = st
                .products
                .get(&variant.product_id)
                .map_or_else(|| vt.clone(), |p| p.title.clone());
            exchanges.push(ExchangeLineRec {
                id: st.next_id(),
                variant_id: Some(variant.id),
                product_id: Some(variant.product_id),
                sku: variant.sku.clone(),
                title,
                variant_title: (vt != "Default Title").then_some(vt),
                unit_price: variant.price,
                quantity: x.quantity,
                processed: 0,
                line_item_ids: Vec::new(),
            });
        }
        let n = st.returns.values().filter(|r| r.order_id == oid).count() + 1;
        let requested = source == ReturnSource::CustomerAccount;
        let at = now();
        let rec = ReturnRec {
            id: st.next_id(),
            order_id: oid,
            name: format!("{}-R{n}", order.name),
            status: if requested { "REQUESTED" } else { "OPEN" },
            source,
            lines,
            exchanges,
            refund_ids: Vec::new(),
            created_at: at,
            approved_at: (!requested).then_some(at),
            closed_at: None,
        };
        order.updated_at = at;
        st.orders.insert(oid, order);
        st.returns.insert(rec.id, rec.clone());
        let topic = if requested {
            "RETURNS_REQUEST"
        } else {
            "RETURNS_APPROVE"
        };
        events.push((topic, webhooks::return_payload(&st, &rec)));
        let mut refund = None;
        if spec.process {
            if requested {
                return Err("process: a requested return must be approved first".into());
            }
            let all = Processing {
                lines: rec.lines.iter().map(|l| (l.id, l.quantity)).collect(),
                exchanges: rec.exchanges.iter().map(|x| (x.id, x.quantity)).collect(),
                payback: Payback::Suggested,
                note: None,
            };
            let (done, more) = process(&mut st, rec.id, &all, state.config.vat_rate)
                .map_err(|e| format!("process: {}", e.message))?;
            refund = done.refund_ids.last().map(|r| gid("Refund", *r));
            events.extend(more);
        }
        let rec = st.returns.get(&rec.id).cloned().ok_or("return vanished")?;
        json!({
            "return_id": gid("Return", rec.id),
            "name": rec.name,
            "status": rec.status,
            "return_line_item_ids": rec.lines.iter().map(|l| gid("ReturnLineItem", l.id)).collect::<Vec<_>>(),
            "exchange_line_item_ids": rec.exchanges.iter().map(|x| gid("ExchangeLineItem", x.id)).collect::<Vec<_>>(),
            "refund_id": refund,
        })
    };
    webhooks::emit_all(state, events);
    Ok(answer)
}

/// Approves a requested return: it opens.
pub(crate) fn approve(st: &mut Store, id: u64) -> Result<(ReturnRec, Vec<Event>), ReturnError> {
    let f = &["input", "id"];
    let rec = st
        .returns
        .get_mut(&id)
        .ok_or_else(|| refuse("NOT_FOUND", f, "Return not found."))?;
    if rec.status != "REQUESTED" {
        return Err(refuse(
            "INVALID_STATE",
            f,
            format!("Return is {}, not REQUESTED.", rec.status),
        ));
    }
    rec.status = "OPEN";
    rec.approved_at = Some(now());
    let rec = rec.clone();
    let events = vec![("RETURNS_APPROVE", webhooks::return_payload(st, &rec))];
    Ok((rec, events))
}

/// Processes returned and exchanged units of an open return: a refund of the returned
/// lines (restock `RETURN`) with the `payback` transactions, the exchanged items added to
/// the order; the return closes when nothing is left to process. All or nothing.
pub(crate) fn process(
    st: &mut Store,
    id: u64,
    p: &Processing,
    rate: Decimal,
) -> Result<(ReturnRec, Vec<Event>), ReturnError> {
    let mut rec = st
        .returns
        .get(&id)
        .cloned()
        .ok_or_else(|| refuse("NOT_FOUND", &["input", "returnId"], "Return not found."))?;
    if rec.status != "OPEN" {
        return Err(refuse(
            "INVALID_STATE",
            &["input", "returnId"],
            format!(
                "Only an OPEN return can be processed; this one is {}.",
                rec.status
            ),
        ));
    }
    if p.lines.is_empty() && p.exchanges.is_empty() {
        return Err(refuse(
            "BLANK",
            &["input"],
            "Nothing to process: give returnLineItems or exchangeLineItems.",
        ));
    }
    let mut returned = Vec::new();
    for (i, (lid, qty)) in p.lines.iter().enumerate() {
        let idx = i.to_string();
        let Some(l) = rec.lines.iter_mut().find(|l| l.id == *lid) else {
            return Err(refuse(
                "NOT_FOUND",
                &["input", "returnLineItems", &idx, "id"],
                "Return line item not found in this return.",
            ));
        };
        if *qty < 1 || *qty > l.quantity - l.processed {
            return Err(refuse(
                "GREATER_THAN",
                &["input", "returnLineItems", &idx, "quantity"],
                format!(
                    "Quantity must be between 1 and the {} unprocessed.",
                    l.quantity - l.processed
                ),
            ));
        }
        l.processed += qty;
        returned.push((l.line_item_id, *qty));
    }
    let mut exchanged = Vec::new();
    for (i, (xid, qty)) in p.exchanges.iter().enumerate() {
        let idx = i.to_string();
        let Some(x) = rec.exchanges.iter_mut().find(|x| x.id == *xid) else {
            return Err(refuse(
                "NOT_FOUND",
                &["input", "exchangeLineItems", &idx, "id"],
                "Exchange line item not found in this return.",
            ));
        };
        if *qty < 1 || *qty > x.quantity - x.processed {
            return Err(refuse(
                "GREATER_THAN",
                &["input", "exchangeLineItems", &idx, "quantity"],
                format!(
                    "Quantity must be between 1 and the {} unprocessed.",
                    x.quantity - x.processed
                ),
            ));
        }
        x.processed += qty;
        exchanged.push((x.clone(), *qty));
    }
    let mut order = st.orders.get(&rec.order_id).cloned().ok_or_else(|| {
        refuse(
            "NOT_FOUND",
            &["input", "returnId"],
            "The return's order is gone.",
        )
    })?;
    let location = order.location_id;
    let rlines = refund_lines(st, &order, &returned, "RETURN", location, rate)
        .map_err(|m| refuse("INVALID", &["input", "returnLineItems"], m))?;
    let returned_value: Decimal = rlines.iter().map(|l| l.subtotal).sum();
    let exchange_value: Decimal = exchanged
        .iter()
        .map(|(x, q)| x.unit_price * Decimal::from(*q))
        .sum();
    let due = (returned_value - exchange_value).max(Decimal::ZERO);
    let at = now();
    let txs = match &p.payback {
        Payback::None => Vec::new(),
        Payback::Suggested => refund_transactions(st, &order, due, at),
        Payback::Given { txs, allow_over } => {
            let f = [
                "input",
                "financialTransfer",
                "issueRefund",
                "orderTransactions",
            ];
            if rlines.is_empty() {
                return Err(refuse(
                    "INVALID",
                    &f,
                    "A refund needs returned line items to process.",
                ));
            }
            let total: Decimal = txs.iter().map(|(_, a)| *a).sum();
            if total > due && !allow_over {
                return Err(refuse(
                    "GREATER_THAN",
                    &f,
                    format!(
                        "The refund ({total}) is more than the returned items less the exchanged ones ({due}); set allowOverRefunding to refund more."
                    ),
                ));
            }
            let mut out = Vec::new();
            for (i, (parent, amount)) in txs.iter().enumerate() {
                let idx = i.to_string();
                let Some(sale) = order
                    .transactions
                    .iter()
                    .find(|t| t.id == *parent && t.kind == "SALE" && t.status == "SUCCESS")
                else {
                    return Err(refuse(
                        "NOT_FOUND",
                        &[
                            "input",
                            "financialTransfer",
                            "issueRefund",
                            "orderTransactions",
                            &idx,
                            "parentId",
                        ],
                        "Not a successful sale transaction of the order.",
                    ));
                };
                let back: Decimal = order
                    .transactions
                    .iter()
                    .filter(|t| t.kind == "REFUND" && t.gateway == sale.gateway)
                    .map(|t| t.amount)
                    .sum::<Decimal>()
                    + out
                        .iter()
                        .filter(|t: &&TransactionRec| t.gateway == sale.gateway)
                        .map(|t| t.amount)
                        .sum::<Decimal>();
                if *amount <= Decimal::ZERO || *amount > sale.amount - back {
                    return Err(refuse(
                        "GREATER_THAN",
                        &[
                            "input",
                            "financialTransfer",
                            "issueRefund",
                            "orderTransactions",
                            &idx,
                            "transactionAmount",
                        ],
                        format!(
                            "The amount must be above 0 and at most the {} left on that transaction.",
                            sale.amount - back
                        ),
                    ));
                }
                out.push(TransactionRec {
                    id: st.next_id(),
                    kind: "REFUND",
                    status: "SUCCESS",
                    gateway: sale.gateway.clone(),
                    amount: *amount,
                    created_at: at,
                });
            }
            out
        }
    };
    let mut events: Vec<Event> = Vec::new();
    let refund = (!rlines.is_empty()).then(|| {
        let note = p
            .note
            .clone()
            .unwrap_or_else(|| format!("Return {}", rec.name));
        record_refund(st, &mut order, rlines, None, txs, at, &note)
    });
    for (x, qty) in exchanged {
        let lid = st.next_id();
        let net = x.unit_price * Decimal::from(qty);
        let ships = x
            .variant_id
            .and_then(|v| st.variants.get(&v))
            .and_then(|v| st.items.get(&v.inventory_item_id))
            .is_none_or(|i| i.requires_shipping);
        order.lines.push(LineRec {
            id: lid,
            title: x.title.clone(),
            variant_title: x.variant_title.clone(),
            sku: x.sku.clone(),
            variant_id: x.variant_id,
            product_id: x.product_id,
            quantity: qty,
            unit_price: x.unit_price,
            allocations: Vec::new(),
            tax_lines: vec![TaxRec {
                title: "VAT".into(),
                rate,
                amount: vat_of(net, rate),
            }],
            fulfilled_quantity: 0,
            requires_shipping: ships,
        });
        if let Some(e) = rec.exchanges.iter_mut().find(|e| e.id == x.id) {
            e.line_item_ids.push(lid);
        }
    }
    order.updated_at = at;
    if let Some(r) = &refund {
        rec.refund_ids.push(r.id);
    }
    let done = rec.lines.iter().all(|l| l.processed >= l.quantity)
        && rec.exchanges.iter().all(|x| x.processed >= x.quantity);
    if done {
        rec.status = "CLOSED";
        rec.closed_at = Some(at);
    }
    st.orders.insert(order.id, order.clone());
    st.returns.insert(rec.id, rec.clone());
    events.push(("RETURNS_PROCESS", webhooks::return_payload(st, &rec)));
    if let Some(r) = &refund {
        events.push(("REFUNDS_CREATE", webhooks::refund_payload(r)));
    }
    if done {
        events.push(("RETURNS_CLOSE", webhooks::return_payload(st, &rec)));
    }
    events.push(("ORDERS_UPDATED", webhooks::order_payload(st, &order)));
    Ok((rec, events))
}
