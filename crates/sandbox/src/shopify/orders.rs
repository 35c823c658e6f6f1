//! Orders' arithmetic: totals, display statuses, refunded quantities, and recording a refund.

use rust_decimal::Decimal;

use super::store::*;
use super::types::{OrderDisplayFinancialStatus, OrderDisplayFulfillmentStatus};

pub(crate) fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// VAT contained in a tax-inclusive amount.
pub(crate) fn vat_of(amount: Decimal, rate: Decimal) -> Decimal {
    round2(amount * rate / (Decimal::ONE + rate))
}

/// Spreads `total` over `weights` in proportion, the rounding rest on the last share.
pub(crate) fn allocate(total: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    let sum: Decimal = weights.iter().copied().sum();
    if sum.is_zero() {
        return vec![Decimal::ZERO; weights.len()];
    }
    let mut out: Vec<Decimal> = weights.iter().map(|w| round2(total * *w / sum)).collect();
    let diff = total - out.iter().copied().sum::<Decimal>();
    if let Some(last) = out.last_mut() {
        *last += diff;
    }
    out
}

/// Refunds `lines` ((line id, quantity)) of `order`, and its shipping when asked, to the
/// payment methods it was paid with (last first); records the refund and its transactions.
#[allow(clippy::too_many_arguments)]
pub(crate) fn refund(
    st: &mut Store,
    order: &mut OrderRec,
    lines: &[(u64, i64)],
    with_shipping: bool,
    cancel: bool,
    location: Option<u64>,
    rate: Decimal,
    at: chrono::DateTime<chrono::Utc>,
    note: &str,
) -> Result<RefundRec, String> {
    let restock = if cancel { "CANCEL" } else { "RETURN" };
    let rlines = refund_lines(st, order, lines, restock, location, rate)?;
    let shipping_done = order
        .refund_ids
        .iter()
        .filter_map(|r| st.refunds.get(r))
        .any(|r| r.shipping.is_some());
    let refund_shipping = match order.shipping.first() {
        Some(s) if with_shipping && !shipping_done => Some((s.id, s.price, vat_of(s.price, rate))),
        _ if with_shipping && !cancel => {
            return Err(format!(
                "order {} has no shipping left to refund",
                order.name
            ));
        }
        _ => None,
    };
    if rlines.is_empty() && refund_shipping.is_none() {
        return Err("nothing to refund".to_string());
    }
    let amount: Decimal = rlines.iter().map(|l| l.subtotal).sum::<Decimal>()
        + refund_shipping.map_or(Decimal::ZERO, |s| s.1);
    let txs = refund_transactions(st, order, amount, at);
    Ok(record_refund(
        st,
        order,
        rlines,
        refund_shipping,
        txs,
        at,
        note,
    ))
}

/// The refund lines for `lines` ((line id, quantity)) of `order`, at their net value (VAT
/// included, discounts deducted).
///
/// # Errors
/// A line not of the order, or a quantity above what is left to refund.
pub(crate) fn refund_lines(
    st: &mut Store,
    order: &OrderRec,
    lines: &[(u64, i64)],
    restock_type: &'static str,
    location: Option<u64>,
    rate: Decimal,
) -> Result<Vec<RefundLineRec>, String> {
    let done = refunded_quantities(st, order);
    let mut rlines = Vec::new();
    for (id, qty) in lines {
        let Some(l) = order.lines.iter().find(|l| l.id == *id) else {
            return Err(format!(
                "line item {} is not a line of order {}",
                gid("LineItem", *id),
                order.name
            ));
        };
        let already = done.iter().find(|(l, _)| *l == *id).map_or(0, |(_, q)| *q);
        if *qty < 1 || qty + already > l.quantity {
            return Err(format!(
                "line item {}: quantity {qty} is not between 1 and the refundable {}",
                gid("LineItem", *id),
                l.quantity - already
            ));
        }
        let net_line = l.unit_price * Decimal::from(l.quantity) - l.discount_total();
        let subtotal = if *qty == l.quantity {
            net_line
        } else {
            round2(net_line * Decimal::from(*qty) / Decimal::from(l.quantity))
        };
        rlines.push(RefundLineRec {
            id: st.next_id(),
            line_item_id: l.id,
            quantity: *qty,
            restock_type,
            location_id: location,
            unit_price: l.unit_price,
            subtotal,
            total_tax: vat_of(subtotal, rate),
        });
    }
    Ok(rlines)
}

/// Refund transactions for `amount`, to the payment methods `order` was paid with, last one
/// first, never more than each one took (what no method can take back is left out).
pub(crate) fn refund_transactions(
    st: &mut Store,
    order: &OrderRec,
    amount: Decimal,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<TransactionRec> {
    let mut left = amount;
    let mut txs = Vec::new();
    for (gateway, room) in refundable_by_gateway(order).iter().rev() {
        if left <= Decimal::ZERO {
            break;
        }
        let part = left.min(*room);
        if part > Decimal::ZERO {
            txs.push(TransactionRec {
                id: st.next_id(),
                kind: "REFUND",
                status: "SUCCESS",
                gateway: gateway.clone(),
                amount: part,
                created_at: at,
            });
            left -= part;
        }
    }
    txs
}

/// What each successful sale of `order` can still give back: (gateway, amount), in order.
pub(crate) fn refundable_by_gateway(order: &OrderRec) -> Vec<(String, Decimal)> {
    order
        .transactions
        .iter()
        .filter(|t| t.kind == "SALE" && t.status == "SUCCESS")
        .map(|t| {
            let back: Decimal = order
                .transactions
                .iter()
                .filter(|r| r.kind == "REFUND" && r.gateway == t.gateway)
                .map(|r| r.amount)
                .sum();
            (t.gateway.clone(), (t.amount - back).max(Decimal::ZERO))
        })
        .collect()
}

/// Records a refund of `order` with its transactions.
pub(crate) fn record_refund(
    st: &mut Store,
    order: &mut OrderRec,
    lines: Vec<RefundLineRec>,
    shipping: Option<(u64, Decimal, Decimal)>,
    txs: Vec<TransactionRec>,
    at: chrono::DateTime<chrono::Utc>,
    note: &str,
) -> RefundRec {
    let rid = st.next_id();
    let rec = RefundRec {
        id: rid,
        order_id: order.id,
        note: Some(note.to_string()),
        lines,
        shipping,
        transactions: txs.clone(),
        created_at: at,
    };
    order.transactions.extend(txs);
    order.refund_ids.push(rid);
    order.updated_at = at;
    st.refunds.insert(rid, rec.clone());
    rec
}

/// Derived order amounts.
pub(crate) struct Totals {
    pub(crate) subtotal: Decimal,
    pub(crate) discounts: Decimal,
    pub(crate) shipping: Decimal,
    pub(crate) tax: Decimal,
    pub(crate) total: Decimal,
    pub(crate) refunded: Decimal,
    pub(crate) refunded_subtotal: Decimal,
    pub(crate) refunded_tax: Decimal,
    pub(crate) refunded_shipping: Decimal,
    pub(crate) received: Decimal,
}

pub(crate) fn totals(st: &Store, o: &OrderRec) -> Totals {
    let subtotal: Decimal = o
        .lines
        .iter()
        .map(|l| l.unit_price * Decimal::from(l.quantity) - l.discount_total())
        .sum();
    let discounts: Decimal = o.lines.iter().map(|l| l.discount_total()).sum();
    let shipping: Decimal = o.shipping.iter().map(|s| s.price).sum();
    let tax: Decimal = o
        .lines
        .iter()
        .flat_map(|l| l.tax_lines.iter())
        .chain(o.shipping.iter().flat_map(|s| s.tax_lines.iter()))
        .map(|t| t.amount)
        .sum();
    let refunds: Vec<&RefundRec> = o
        .refund_ids
        .iter()
        .filter_map(|id| st.refunds.get(id))
        .collect();
    let refunded = refunds.iter().map(|r| r.total()).sum();
    let refunded_subtotal = refunds
        .iter()
        .flat_map(|r| r.lines.iter())
        .map(|l| l.subtotal)
        .sum();
    let refunded_tax: Decimal = refunds
        .iter()
        .map(|r| {
            r.lines.iter().map(|l| l.total_tax).sum::<Decimal>()
                + r.shipping.map_or(Decimal::ZERO, |s| s.2)
        })
        .sum();
    let refunded_shipping = refunds.iter().filter_map(|r| r.shipping).map(|s| s.1).sum();
    let received = o
        .transactions
        .iter()
        .filter(|t| t.kind == "SALE" && t.status == "SUCCESS")
        .map(|t| t.amount)
        .sum();
    Totals {
        subtotal,
        discounts,
        shipping,
        tax,
        total: subtotal + shipping,
        refunded,
        refunded_subtotal,
        refunded_tax,
        refunded_shipping,
        received,
    }
}

pub(crate) fn financial_status(st: &Store, o: &OrderRec) -> OrderDisplayFinancialStatus {
    let t = totals(st, o);
    if t.received.is_zero() {
        if o.cancelled_at.is_some() {
            return OrderDisplayFinancialStatus::VOIDED;
        }
        return OrderDisplayFinancialStatus::PENDING;
    }
    if t.refunded >= t.received {
        OrderDisplayFinancialStatus::REFUNDED
    } else if t.refunded > Decimal::ZERO {
        OrderDisplayFinancialStatus::PARTIALLY_REFUNDED
    } else if t.received < t.total {
        OrderDisplayFinancialStatus::PARTIALLY_PAID
    } else {
        OrderDisplayFinancialStatus::PAID
    }
}

pub(crate) fn fulfillment_status(o: &OrderRec) -> OrderDisplayFulfillmentStatus {
    let ordered: i64 = o.lines.iter().map(|l| l.quantity).sum();
    let done: i64 = o.lines.iter().map(|l| l.fulfilled_quantity).sum();
    if done == 0 {
        OrderDisplayFulfillmentStatus::UNFULFILLED
    } else if done >= ordered {
        OrderDisplayFulfillmentStatus::FULFILLED
    } else {
        OrderDisplayFulfillmentStatus::PARTIALLY_FULFILLED
    }
}

/// The display fulfillment status as an API `version` shows it: from 2026-10 an order with
/// nothing fulfilled and nothing left to fulfil (cancelled, or every unit refunded) is
/// `FULFILLMENT_NOT_REQUIRED`; before, such an order stays `UNFULFILLED`.
pub(crate) fn display_fulfillment_status(
    st: &Store,
    o: &OrderRec,
    version: &str,
) -> OrderDisplayFulfillmentStatus {
    let status = fulfillment_status(o);
    if version >= super::versions::V2026_10
        && status == OrderDisplayFulfillmentStatus::UNFULFILLED
        && nothing_to_fulfil(st, o)
    {
        OrderDisplayFulfillmentStatus::FULFILLMENT_NOT_REQUIRED
    } else {
        status
    }
}

/// Whether no unit of the order is left to fulfil: it is cancelled, or each line's units are
/// fulfilled or refunded.
pub(crate) fn nothing_to_fulfil(st: &Store, o: &OrderRec) -> bool {
    if o.cancelled_at.is_some() {
        return true;
    }
    let refunded = refunded_quantities(st, o);
    o.lines.iter().all(|l| {
        let r = refunded
            .iter()
            .find(|(id, _)| *id == l.id)
            .map_or(0, |(_, q)| *q);
        l.quantity - l.fulfilled_quantity - r <= 0
    })
}

/// (line id, refunded quantity) over all refunds of an order.
pub(crate) fn refunded_quantities(st: &Store, o: &OrderRec) -> Vec<(u64, i64)> {
    let mut out: Vec<(u64, i64)> = Vec::new();
    for r in o.refund_ids.iter().filter_map(|id| st.refunds.get(id)) {
        for l in &r.lines {
            match out.iter_mut().find(|(id, _)| *id == l.line_item_id) {
                Some(e) => e.1 += l.quantity,
                None => out.push((l.line_item_id, l.quantity)),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_adds_up() {
        let parts = allocate(
            Decimal::new(1000, 2),
            &[Decimal::ONE, Decimal::ONE, Decimal::ONE],
        );
        assert_eq!(
            parts.iter().copied().sum::<Decimal>(),
            Decimal::new(1000, 2)
        );
    }
}
