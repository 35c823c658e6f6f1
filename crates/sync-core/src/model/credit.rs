//! What a refund that returns no item credits: its shipping and the money given beyond it
//! (goodwill), each with the VAT rate it carries.
//!
//! Both the ERP's credit document and the tax authority's return receipt are built from
//! [`Refund::credit`], so the two always split the same amount the same way.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Order, Refund};

/// The parts of a refund that returns no item ([`Refund::credit`]).
///
/// Amounts include VAT. `shipping` is the shipping refunded at the shipping's own rate; the
/// rest of the money refunded (a goodwill gesture: a price reduction after the sale) is split
/// over the VAT rates of the order's lines in proportion to what each rate's lines cost, so
/// the VAT it reduces is the VAT the sale charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// Shipping refunded, VAT included (`0` for none).
    pub shipping: Decimal,
    /// The shipping's VAT rate as a fraction (`0.14`).
    pub shipping_rate: Decimal,
    /// The goodwill, one part per VAT rate of the order's lines; empty for none.
    pub goodwill: Vec<CreditPart>,
}

/// One VAT rate's share of a goodwill credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditPart {
    /// VAT rate as a fraction (`0.14`).
    pub rate: Decimal,
    /// Amount credited at that rate, VAT included.
    pub amount: Decimal,
}

impl Credit {
    /// Everything credited, VAT included.
    pub fn total(&self) -> Decimal {
        self.shipping + self.goodwill.iter().map(|p| p.amount).sum::<Decimal>()
    }
}

impl Refund {
    /// Whether the refund returns at least one unit of an order line.
    pub fn returns_items(&self) -> bool {
        self.lines.iter().any(|l| l.quantity > Decimal::ZERO)
    }

    /// What this refund credits when it returns no item (a refund of shipping alone, or of
    /// money alone); `None` when it returns items (those are a return of the lines) or
    /// credits nothing.
    ///
    /// The shipping is taken VAT included (the refund's `shipping` plus its VAT when the order's
    /// prices exclude it); the goodwill is what was refunded beyond it. An order
    /// whose lines cost nothing (or have no lines) puts it at rate `0`.
    pub fn credit(&self, order: &Order) -> Option<Credit> {
        if self.returns_items() {
            return None;
        }
        let shipping_rate: Decimal = order
            .shipping_lines
            .iter()
            .find(|s| !s.tax_lines.is_empty())
            .map(|s| s.tax_lines.iter().map(|t| t.rate).sum())
            .unwrap_or_default();
        let shipping = self.shipping.max(Decimal::ZERO);
        let shipping = if order.taxes_included {
            shipping
        } else {
            shipping * (Decimal::ONE + shipping_rate)
        };
        let goodwill = (self.total - shipping).max(Decimal::ZERO).round_dp(2);
        let credit = Credit {
            shipping: shipping.round_dp(2),
            shipping_rate,
            goodwill: split_by_rate(order, goodwill),
        };
        (!credit.total().is_zero()).then_some(credit)
    }
}

/// `amount` split over the VAT rates of `order`'s lines in proportion to each rate's line
/// totals (rounded to cents, the last part taking the remainder so the parts add up).
fn split_by_rate(order: &Order, amount: Decimal) -> Vec<CreditPart> {
    if amount.is_zero() {
        return Vec::new();
    }
    let mut weights: Vec<(Decimal, Decimal)> = Vec::new();
    for line in &order.lines {
        let rate: Decimal = line.tax_lines.iter().map(|t| t.rate).sum();
        let weight = line.net_total().max(Decimal::ZERO);
        match weights.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, w)) => *w += weight,
            None => weights.push((rate, weight)),
        }
    }
    weights.retain(|(_, w)| !w.is_zero());
    weights.sort_by_key(|(rate, _)| std::cmp::Reverse(*rate));
    let whole: Decimal = weights.iter().map(|(_, w)| *w).sum();
    if whole.is_zero() {
        return vec![CreditPart {
            rate: Decimal::ZERO,
            amount,
        }];
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut left = amount;
    for (k, (rate, weight)) in weights.iter().enumerate() {
        let share = if k + 1 == weights.len() {
            left
        } else {
            (amount * weight / whole).round_dp(2)
        };
        left -= share;
        if !share.is_zero() {
            parts.push(CreditPart {
                rate: *rate,
                amount: share,
            });
        }
    }
    parts
}
