//! Build a receipt from lines: every derived figure computed per ETA's main calculations and
//! rounded to at most 5 decimals, so the receipt passes ETA's own checks.
//!
//! Per line, following ETA's receipt main-calculations rules (`docs/eta.md` §3 names each
//! rule's source):
//!
//! - `unitPrice` is rounded to 5 decimals first; `totalSale = round5(quantity × unitPrice)`;
//! - `netSale = totalSale − Σ commercialDiscountData.amount − additionalCommercialDiscount.amount`;
//! - a subtype of kind "amount" (T3, T6, T14 and the `…02` / `…04` fee codes) carries its given
//!   amount with rate 0; every subtype must be in ETA's table under its own tax type;
//! - percentage fees T5–T12 and T13–T20 = `round5(netSale × rate / 100)`;
//! - `totalTaxableFees` = Σ of the T5–T12 amounts (rate and fixed);
//! - T2 (table tax, %) = `round5((netSale + totalTaxableFees + valueDifference + T3) × rate / 100)`;
//! - T1 (VAT) = `round5((netSale + totalTaxableFees + valueDifference + T2 + T3) × rate / 100)`;
//! - T4 (withholding) = `round5((netSale − Σ itemDiscountData.amount) × rate / 100)`;
//! - `total = netSale + Σ taxes other than T4 − T4 − Σ itemDiscountData.amount −
//!   additionalItemDiscount.amount`.
//!
//! Receipt totals are plain sums of the rounded line figures (so they hold exactly):
//! `totalSales`, `totalCommercialDiscount`, `totalItemsDiscount`, `netAmount`, `taxTotals` (one
//! per tax type, in order of first appearance), and
//! `totalAmount = Σ total − Σ extraReceiptDiscountData.amount`; `feesAmount` is 0.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use eta_ereceipt::builder::{LineInput, ReceiptBuilder, TaxInput};
//! use eta_ereceipt::codes::{ItemType, PaymentMethod, TaxType, UnitType};
//! # use eta_ereceipt::model::*;
//! use rust_decimal_macros::dec;
//! # let seller = eta_ereceipt::builder::example_seller();
//!
//! let issued = Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap();
//! let receipt = ReceiptBuilder::sale(seller, "R-1", issued)
//!     .payment_method(PaymentMethod::Cash)
//!     .line(
//!         LineInput::new("SKU1", "Tea", ItemType::Egs, "EG-674859545-SKU1", UnitType::Each, dec!(2), dec!(10.50))
//!             .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14))),
//!     )
//!     .build()
//!     .unwrap();
//! assert_eq!(receipt.total_amount, dec!(23.94));
//! ```

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::codes::{BuyerType, ItemType, PaymentMethod, ReceiptType, TaxType, UnitType};
use crate::model::{
    Buyer, Discount, DocumentType, Header, Item, Receipt, Seller, TaxTotal, TaxableItem,
};
use crate::tables::{SubtypeKind, TaxClass};

/// The most lines one receipt may carry.
pub const MAX_LINES: usize = 300;

/// The most decimals ETA accepts.
pub const MAX_DECIMALS: u32 = 5;

/// The largest magnitude accepted for any amount, quantity or rate (10^13): far above any
/// retail receipt, and low enough that no product or sum of a receipt's figures can overflow
/// a [`Decimal`].
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_316_134_912, 2_328, 0, false, 0);

/// `Err` naming `path` when `value` is at or beyond [`MAX_AMOUNT`].
///
/// # Errors
///
/// When the magnitude is too large.
pub fn check_magnitude(path: &str, value: Decimal) -> Result<(), BuildError> {
    if value.abs() >= MAX_AMOUNT {
        Err(build_err(path, "must be below 10^13 in magnitude"))
    } else {
        Ok(())
    }
}

/// Rounds to 5 decimals, half away from zero.
pub fn round5(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(MAX_DECIMALS, RoundingStrategy::MidpointAwayFromZero)
}

/// A line that cannot be built, naming the line and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct BuildError {
    /// JSON path of the field, e.g. `itemData[2].quantity`.
    pub path: String,
    /// The rule broken.
    pub rule: String,
}

fn build_err(path: impl Into<String>, rule: impl Into<String>) -> BuildError {
    BuildError {
        path: path.into(),
        rule: rule.into(),
    }
}

/// A discount given as an amount or as a rate of the line's `totalSale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscountInput {
    /// Description printed on the receipt.
    pub description: String,
    /// The amount, or `None` to compute it from `rate`.
    pub amount: Option<Decimal>,
    /// Rate in percent.
    pub rate: Option<Decimal>,
}

impl DiscountInput {
    /// A discount of a fixed amount.
    pub fn amount(description: impl Into<String>, amount: Decimal) -> Self {
        DiscountInput {
            description: description.into(),
            amount: Some(amount),
            rate: None,
        }
    }

    /// A discount of `rate` percent of the line's `totalSale`.
    pub fn rate(description: impl Into<String>, rate: Decimal) -> Self {
        DiscountInput {
            description: description.into(),
            amount: None,
            rate: Some(rate),
        }
    }
}

/// A tax on a line: a rate, or a fixed amount for the subtypes of kind "amount" (T3, T6, T14
/// and the `…02` / `…04` fee codes such as `SC02`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxInput {
    /// Tax type.
    pub tax_type: TaxType,
    /// Subtype code.
    pub sub_type: String,
    /// Rate in percent (0 for fixed-amount taxes).
    pub rate: Decimal,
    /// The amount of a fixed-amount tax.
    pub fixed_amount: Option<Decimal>,
}

impl TaxInput {
    /// A percentage tax.
    pub fn rate(tax_type: TaxType, sub_type: impl Into<String>, rate: Decimal) -> Self {
        TaxInput {
            tax_type,
            sub_type: sub_type.into(),
            rate,
            fixed_amount: None,
        }
    }

    /// A fixed-amount tax: a subtype of kind "amount" (`Tbl02`, `ST02`, `ST04`, `SC02`, …).
    pub fn fixed(tax_type: TaxType, sub_type: impl Into<String>, amount: Decimal) -> Self {
        TaxInput {
            tax_type,
            sub_type: sub_type.into(),
            rate: Decimal::ZERO,
            fixed_amount: Some(amount),
        }
    }
}

/// One line as the seller knows it: quantity, net unit price, discounts and taxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    /// The seller's code.
    pub internal_code: String,
    /// Description.
    pub description: String,
    /// GS1 or EGS.
    pub item_type: ItemType,
    /// GTIN or `EG-<RIN>-<code>`.
    pub item_code: String,
    /// Unit.
    pub unit_type: UnitType,
    /// Quantity (> 0).
    pub quantity: Decimal,
    /// Net unit price (≥ 0), rounded to 5 decimals.
    pub unit_price: Decimal,
    /// Discounts before tax.
    pub commercial_discounts: Vec<DiscountInput>,
    /// Discounts after tax.
    pub item_discounts: Vec<DiscountInput>,
    /// `additionalCommercialDiscount`: one further discount before tax.
    pub additional_commercial_discount: Option<DiscountInput>,
    /// `additionalItemDiscount`: one further discount after tax.
    pub additional_item_discount: Option<DiscountInput>,
    /// Value difference (enters the VAT base only).
    pub value_difference: Option<Decimal>,
    /// Taxes.
    pub taxes: Vec<TaxInput>,
}

impl LineInput {
    /// A line with no discounts and no taxes yet.
    pub fn new(
        internal_code: impl Into<String>,
        description: impl Into<String>,
        item_type: ItemType,
        item_code: impl Into<String>,
        unit_type: UnitType,
        quantity: Decimal,
        unit_price: Decimal,
    ) -> Self {
        LineInput {
            internal_code: internal_code.into(),
            description: description.into(),
            item_type,
            item_code: item_code.into(),
            unit_type,
            quantity,
            unit_price,
            commercial_discounts: Vec::new(),
            item_discounts: Vec::new(),
            additional_commercial_discount: None,
            additional_item_discount: None,
            value_difference: None,
            taxes: Vec::new(),
        }
    }

    /// Adds a tax.
    pub fn tax(mut self, tax: TaxInput) -> Self {
        self.taxes.push(tax);
        self
    }

    /// Adds a commercial discount (before tax).
    pub fn commercial_discount(mut self, discount: DiscountInput) -> Self {
        self.commercial_discounts.push(discount);
        self
    }

    /// Adds an item discount (after tax).
    pub fn item_discount(mut self, discount: DiscountInput) -> Self {
        self.item_discounts.push(discount);
        self
    }

    /// Sets `additionalCommercialDiscount` (before tax; a rate is of the line's `totalSale`).
    pub fn additional_commercial_discount(mut self, discount: DiscountInput) -> Self {
        self.additional_commercial_discount = Some(discount);
        self
    }

    /// Sets `additionalItemDiscount` (after tax; a rate is of the line's `totalSale`).
    pub fn additional_item_discount(mut self, discount: DiscountInput) -> Self {
        self.additional_item_discount = Some(discount);
        self
    }

    /// Sets the value difference.
    pub fn value_difference(mut self, value: Decimal) -> Self {
        self.value_difference = Some(value);
        self
    }
}

fn discounts(
    list: &[DiscountInput],
    base: Decimal,
    path: &str,
) -> Result<(Vec<Discount>, Decimal), BuildError> {
    let mut out = Vec::with_capacity(list.len());
    let mut sum = Decimal::ZERO;
    for (i, d) in list.iter().enumerate() {
        let amount = match (d.amount, d.rate) {
            (Some(a), _) => round5(a),
            (None, Some(r)) => round5(base * r / Decimal::ONE_HUNDRED),
            (None, None) => {
                return Err(build_err(
                    format!("{path}[{i}]"),
                    "needs an amount or a rate",
                ));
            }
        };
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(build_err(
                format!("{path}[{i}].amount"),
                "must not be negative",
            ));
        }
        sum += amount;
        out.push(Discount {
            amount,
            description: d.description.clone(),
            rate: d.rate,
        });
    }
    Ok((out, sum))
}

/// Computes one line's figures. `index` names the line in errors.
///
/// # Errors
///
/// Negative or zero quantity, negative price or discount, discounts above the line's sale,
/// a rate outside 0..=100, a tax type twice on the line, a subtype not in ETA's table under its
/// tax type, an amount given for a rate subtype (or none for a fixed one), a negative tax.
pub fn compute_line(line: &LineInput, index: usize) -> Result<Item, BuildError> {
    let p = format!("itemData[{index}]");
    check_magnitude(&format!("{p}.quantity"), line.quantity)?;
    check_magnitude(&format!("{p}.unitPrice"), line.unit_price)?;
    if let Some(v) = line.value_difference {
        check_magnitude(&format!("{p}.valueDifference"), v)?;
    }
    let additional = [
        (
            "additionalCommercialDiscount",
            line.additional_commercial_discount.as_slice(),
        ),
        (
            "additionalItemDiscount",
            line.additional_item_discount.as_slice(),
        ),
    ];
    for (field, list) in [
        (
            "commercialDiscountData",
            line.commercial_discounts.as_slice(),
        ),
        ("itemDiscountData", line.item_discounts.as_slice()),
    ]
    .into_iter()
    .chain(additional)
    {
        for (i, d) in list.iter().enumerate() {
            for v in d.amount.iter().chain(d.rate.iter()) {
                check_magnitude(&format!("{p}.{field}[{i}]"), *v)?;
            }
        }
    }
    for (i, t) in line.taxes.iter().enumerate() {
        for v in t.fixed_amount.iter() {
            check_magnitude(&format!("{p}.taxableItems[{i}].amount"), *v)?;
        }
    }
    if line.quantity <= Decimal::ZERO {
        return Err(build_err(format!("{p}.quantity"), "must be greater than 0"));
    }
    if line.quantity.scale() > MAX_DECIMALS {
        return Err(build_err(format!("{p}.quantity"), "at most 5 decimals"));
    }
    if line.unit_price.is_sign_negative() && !line.unit_price.is_zero() {
        return Err(build_err(format!("{p}.unitPrice"), "must not be negative"));
    }
    let unit_price = round5(line.unit_price);
    let total_sale = round5(line.quantity * unit_price);
    let (commercial, commercial_sum) = discounts(
        &line.commercial_discounts,
        total_sale,
        &format!("{p}.commercialDiscountData"),
    )?;
    let (additional_commercial, additional_commercial_sum) = one_discount(
        line.additional_commercial_discount.as_ref(),
        total_sale,
        &format!("{p}.additionalCommercialDiscount"),
    )?;
    let net_sale = total_sale - commercial_sum - additional_commercial_sum;
    if net_sale.is_sign_negative() && !net_sale.is_zero() {
        return Err(build_err(
            format!("{p}.commercialDiscountData"),
            "discounts exceed the line's totalSale",
        ));
    }
    let (item_disc, item_sum) = discounts(
        &line.item_discounts,
        total_sale,
        &format!("{p}.itemDiscountData"),
    )?;
    let (additional_item, additional_item_sum) = one_discount(
        line.additional_item_discount.as_ref(),
        total_sale,
        &format!("{p}.additionalItemDiscount"),
    )?;
    let value_difference = line.value_difference.map(round5);
    let vd = value_difference.unwrap_or_default();

    for (i, t) in line.taxes.iter().enumerate() {
        let tp = format!("{p}.taxableItems[{i}]");
        if t.rate < Decimal::ZERO || t.rate > Decimal::ONE_HUNDRED {
            return Err(build_err(format!("{tp}.rate"), "must be between 0 and 100"));
        }
        if line.taxes[..i].iter().any(|o| o.tax_type == t.tax_type) {
            return Err(build_err(
                format!("{tp}.taxType"),
                format!("{} appears twice on the line", t.tax_type),
            ));
        }
        let sub = t
            .tax_type
            .subtype(&t.sub_type)
            .map_err(|rule| build_err(format!("{tp}.subType"), rule))?;
        let fixed = sub.kind == SubtypeKind::Amount;
        if fixed != t.fixed_amount.is_some() {
            return Err(build_err(
                tp,
                if fixed {
                    format!(
                        "subtype {} is a fixed amount: it needs its amount",
                        sub.code
                    )
                } else {
                    format!(
                        "subtype {} is a rate: it takes a rate, not an amount",
                        sub.code
                    )
                },
            ));
        }
        if t.fixed_amount
            .is_some_and(|a| a.is_sign_negative() && !a.is_zero())
        {
            return Err(build_err(format!("{tp}.amount"), "must not be negative"));
        }
    }
    let amount_of = |ty: TaxType, amounts: &[(TaxType, Decimal)]| {
        amounts
            .iter()
            .filter(|(t, _)| *t == ty)
            .map(|(_, a)| *a)
            .sum::<Decimal>()
    };
    let pct = |base: Decimal, rate: Decimal| round5(base * rate / Decimal::ONE_HUNDRED);
    // Fixed amounts first, then the percentage fees, then T2, T1 and T4 (which depend on them).
    let mut amounts: Vec<(TaxType, Decimal)> = Vec::with_capacity(line.taxes.len());
    for t in &line.taxes {
        if let Some(a) = t.fixed_amount {
            amounts.push((t.tax_type, round5(a)));
        }
    }
    for t in &line.taxes {
        if matches!(
            t.tax_type.class(),
            TaxClass::TaxableFee | TaxClass::NonTaxableFee
        ) && t.fixed_amount.is_none()
        {
            amounts.push((t.tax_type, pct(net_sale, t.rate)));
        }
    }
    let taxable_fees: Decimal = amounts
        .iter()
        .filter(|(t, _)| t.is_taxable_fee())
        .map(|(_, a)| *a)
        .sum();
    let t3 = amount_of(TaxType::T3, &amounts);
    if let Some(t) = line.taxes.iter().find(|t| t.tax_type == TaxType::T2) {
        let base = net_sale + taxable_fees + vd + t3;
        amounts.push((TaxType::T2, pct(base, t.rate)));
    }
    if let Some(t) = line.taxes.iter().find(|t| t.tax_type == TaxType::T1) {
        let base = net_sale + taxable_fees + vd + amount_of(TaxType::T2, &amounts) + t3;
        amounts.push((TaxType::T1, pct(base, t.rate)));
    }
    if let Some(t) = line.taxes.iter().find(|t| t.tax_type == TaxType::T4) {
        amounts.push((TaxType::T4, pct(net_sale - item_sum, t.rate)));
    }
    let mut total = net_sale - item_sum - additional_item_sum;
    let mut taxable_items = Vec::with_capacity(line.taxes.len());
    for (i, t) in line.taxes.iter().enumerate() {
        let amount = amount_of(t.tax_type, &amounts);
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(build_err(
                format!("{p}.taxableItems[{i}].amount"),
                format!(
                    "{} would be negative: its base (with valueDifference) is below zero",
                    t.tax_type
                ),
            ));
        }
        if t.tax_type.is_withholding() {
            total -= amount;
        } else {
            total += amount;
        }
        taxable_items.push(TaxableItem {
            tax_type: t.tax_type,
            sub_type: t.sub_type.clone(),
            amount,
            rate: t.rate,
        });
    }
    Ok(Item {
        internal_code: line.internal_code.clone(),
        description: line.description.clone(),
        item_type: line.item_type,
        item_code: line.item_code.clone(),
        unit_type: line.unit_type,
        quantity: line.quantity,
        unit_price,
        net_sale,
        total_sale,
        total,
        commercial_discount_data: commercial,
        item_discount_data: item_disc,
        additional_commercial_discount: additional_commercial,
        additional_item_discount: additional_item,
        value_difference,
        taxable_items,
    })
}

fn one_discount(
    d: Option<&DiscountInput>,
    base: Decimal,
    path: &str,
) -> Result<(Option<Discount>, Decimal), BuildError> {
    let Some(d) = d else {
        return Ok((None, Decimal::ZERO));
    };
    let (mut list, sum) = discounts(std::slice::from_ref(d), base, path)
        .map_err(|e| build_err(e.path.replacen(&format!("{path}[0]"), path, 1), e.rule))?;
    Ok((list.pop(), sum))
}

/// Fills the receipt-level totals from its lines and extra discounts.
pub fn fill_totals(receipt: &mut Receipt) {
    let items = &receipt.item_data;
    receipt.total_sales = items.iter().map(|i| i.total_sale).sum();
    receipt.total_commercial_discount = Some(
        items
            .iter()
            .flat_map(|i| &i.commercial_discount_data)
            .map(|d| d.amount)
            .sum(),
    );
    receipt.total_items_discount = Some(
        items
            .iter()
            .flat_map(|i| &i.item_discount_data)
            .map(|d| d.amount)
            .sum(),
    );
    receipt.net_amount = items.iter().map(|i| i.net_sale).sum();
    let mut totals: Vec<TaxTotal> = Vec::new();
    for t in items.iter().flat_map(|i| &i.taxable_items) {
        match totals.iter_mut().find(|x| x.tax_type == t.tax_type) {
            Some(x) => x.amount += t.amount,
            None => totals.push(TaxTotal {
                tax_type: t.tax_type,
                amount: t.amount,
            }),
        }
    }
    receipt.tax_totals = totals;
    let extra: Decimal = receipt
        .extra_receipt_discount_data
        .iter()
        .map(|d| d.amount)
        .sum();
    receipt.total_amount = items.iter().map(|i| i.total).sum::<Decimal>() - extra;
    receipt.fees_amount = Some(Decimal::ZERO);
}

/// The format of `header.dateTimeIssued`: UTC to the second with a `Z`.
pub fn format_issued(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Builds a sale or return receipt from lines.
#[derive(Debug, Clone)]
pub struct ReceiptBuilder {
    receipt_type: ReceiptType,
    seller: Seller,
    buyer: Buyer,
    receipt_number: String,
    issued: DateTime<Utc>,
    reference_uuid: Option<String>,
    currency: String,
    exchange_rate: Decimal,
    order_name_code: Option<String>,
    delivery_mode: Option<String>,
    payment_method: PaymentMethod,
    lines: Vec<LineInput>,
    extra_discounts: Vec<DiscountInput>,
}

impl ReceiptBuilder {
    /// A sale receipt (`s`) of `seller`, numbered `receipt_number`, issued at `issued`.
    /// Defaults: walk-in person buyer, EGP with exchange rate 0, cash.
    pub fn sale(seller: Seller, receipt_number: impl Into<String>, issued: DateTime<Utc>) -> Self {
        ReceiptBuilder {
            receipt_type: ReceiptType::Sale,
            seller,
            buyer: Buyer::walk_in(),
            receipt_number: receipt_number.into(),
            issued,
            reference_uuid: None,
            currency: "EGP".into(),
            exchange_rate: Decimal::ZERO,
            order_name_code: None,
            delivery_mode: None,
            payment_method: PaymentMethod::Cash,
            lines: Vec::new(),
            extra_discounts: Vec::new(),
        }
    }

    /// A return receipt (`r`) referencing the sale receipt `sale_uuid`. Lines carry positive
    /// quantities and amounts.
    pub fn return_of(
        seller: Seller,
        receipt_number: impl Into<String>,
        issued: DateTime<Utc>,
        sale_uuid: impl Into<String>,
    ) -> Self {
        let mut b = Self::sale(seller, receipt_number, issued);
        b.receipt_type = ReceiptType::Return;
        b.reference_uuid = Some(sale_uuid.into());
        b
    }

    /// Sets the buyer. Default: walk-in person.
    pub fn buyer(mut self, buyer: Buyer) -> Self {
        self.buyer = buyer;
        self
    }

    /// Sets a named buyer of `buyer_type` with `id` and `name`.
    pub fn buyer_with_id(
        mut self,
        buyer_type: BuyerType,
        id: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        self.buyer = Buyer {
            buyer_type,
            id: Some(id.into()),
            name: Some(name.into()),
            mobile_number: None,
            payment_number: None,
        };
        self
    }

    /// Sets the payment method. Default cash (`C`).
    pub fn payment_method(mut self, method: PaymentMethod) -> Self {
        self.payment_method = method;
        self
    }

    /// Sets the currency and its exchange rate. Default EGP, 0.
    pub fn currency(mut self, code: impl Into<String>, exchange_rate: Decimal) -> Self {
        self.currency = code.into();
        self.exchange_rate = exchange_rate;
        self
    }

    /// Sets `sOrderNameCode`. Default: omitted.
    pub fn order_name_code(mut self, code: impl Into<String>) -> Self {
        self.order_name_code = Some(code.into());
        self
    }

    /// Sets `orderdeliveryMode`. Default: omitted.
    pub fn delivery_mode(mut self, mode: impl Into<String>) -> Self {
        self.delivery_mode = Some(mode.into());
        self
    }

    /// Adds a line.
    pub fn line(mut self, line: LineInput) -> Self {
        self.lines.push(line);
        self
    }

    /// Adds a receipt-level discount (subtracted after tax).
    pub fn extra_discount(mut self, description: impl Into<String>, amount: Decimal) -> Self {
        self.extra_discounts
            .push(DiscountInput::amount(description, amount));
        self
    }

    /// Computes every figure and returns the receipt with `previousUUID` and `uuid` empty (a
    /// [`ReceiptChain`](crate::chain::ReceiptChain) fills them in).
    ///
    /// # Errors
    ///
    /// No lines, more than 300 lines, or a line that cannot be computed (see
    /// [`compute_line`]).
    pub fn build(self) -> Result<Receipt, BuildError> {
        if self.lines.is_empty() {
            return Err(build_err("itemData", "a receipt needs at least one line"));
        }
        if self.lines.len() > MAX_LINES {
            return Err(build_err(
                "itemData",
                format!("at most {MAX_LINES} lines per receipt"),
            ));
        }
        let items = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| compute_line(l, i))
            .collect::<Result<Vec<_>, _>>()?;
        let total_before: Decimal = items.iter().map(|i| i.total).sum();
        let (extra, extra_sum) = discounts(
            &self.extra_discounts,
            total_before,
            "extraReceiptDiscountData",
        )?;
        if extra_sum > total_before {
            return Err(build_err(
                "extraReceiptDiscountData",
                "discounts exceed the receipt total",
            ));
        }
        let mut receipt = Receipt {
            header: Header {
                date_time_issued: format_issued(self.issued),
                receipt_number: self.receipt_number,
                uuid: String::new(),
                previous_uuid: String::new(),
                reference_uuid: self.reference_uuid,
                reference_old_uuid: None,
                currency: self.currency,
                exchange_rate: Some(self.exchange_rate),
                s_order_name_code: self.order_name_code,
                order_delivery_mode: self.delivery_mode,
                gross_weight: None,
                net_weight: None,
                document_use_reason: None,
                sales_issued_date_time: None,
            },
            document_type: DocumentType {
                receipt_type: self.receipt_type,
                type_version: "1.2".into(),
            },
            seller: self.seller,
            buyer: self.buyer,
            item_data: items,
            total_sales: Decimal::ZERO,
            total_commercial_discount: None,
            total_items_discount: None,
            extra_receipt_discount_data: extra,
            net_amount: Decimal::ZERO,
            fees_amount: None,
            total_amount: Decimal::ZERO,
            tax_totals: Vec::new(),
            payment_method: self.payment_method,
            adjustment: None,
            contractor: None,
            beneficiary: None,
        };
        fill_totals(&mut receipt);
        Ok(receipt)
    }
}

/// A seller used in examples and tests (RIN 674859545, POS `POS-1`).
pub fn example_seller() -> Seller {
    use crate::model::BranchAddress;
    Seller {
        rin: "674859545".into(),
        company_trade_name: "Example Store".into(),
        branch_code: "0".into(),
        branch_address: BranchAddress {
            country: "EG".into(),
            governate: "Cairo".into(),
            region_city: "Nasr City".into(),
            street: "1 Example St".into(),
            building_number: "1".into(),
            ..BranchAddress::default()
        },
        device_serial_number: "POS-1".into(),
        syndicate_license_number: None,
        activity_code: "4791".into(),
    }
}

#[cfg(test)]
mod tests;
