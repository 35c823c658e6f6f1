//! From a shop sale with VAT-inclusive prices to a receipt that ETA accepts, with
//! `totalAmount` equal to what the customer paid, to the piaster.
//!
//! For each line, with `P` the amount the customer paid for it (2 decimals, after its own
//! discount and its share of order discounts) and `r` its VAT rate:
//!
//! 1. `unitPrice` = the VAT-exclusive unit price, rounded **up** at 5 decimals, so
//!    `totalSale = round5(quantity × unitPrice)` is never below the net amount;
//! 2. `netSale` = the smallest 5-decimal `N` with `N + round5(N × r) ≥ P` (VAT backed out);
//! 3. the difference `totalSale − netSale` is a commercial discount (before tax: the line's
//!    discounts, plus at most a few 0.00001 of unit-price rounding);
//! 4. `T1 = round5(netSale × r)`; when `netSale + T1` overshoots `P` (by 0.00001 at most, since
//!    the 5-decimal grid can skip `P`), the overshoot is an item discount (after tax) named
//!    "rounding", so the line `total` is exactly `P`.
//!
//! So every ETA check holds to the last decimal (`totalSale`, `netSale`, VAT, `total`), and
//! `totalAmount = Σ total = Σ P` is what the customer paid. Order-level discounts are spread
//! over the lines in proportion to their amounts, in whole piasters (largest remainder), before
//! step 1. Shipping is a service line of its own. A 100 %-discounted line stays, with total 0.
//! Refunds become return receipts covering exactly the refunded lines and shipping.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use eta_ereceipt::builder::example_seller;
//! use eta_ereceipt::mapping::{map_sale, MappingConfig, Sale, SaleLine};
//! use rust_decimal_macros::dec;
//!
//! let config = MappingConfig::new("674859545").gateway("cash", eta_ereceipt::codes::PaymentMethod::Cash);
//! let sale = Sale {
//!     receipt_number: "1001".into(),
//!     order_name: Some("#1001".into()),
//!     issued: Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap(),
//!     lines: vec![SaleLine::new("SKU1", "Tea", dec!(3), dec!(33.33), dec!(14))],
//!     order_discount: dec!(0),
//!     shipping: None,
//!     gateway: "cash".into(),
//!     buyer: None,
//!     currency: None,
//! };
//! let receipt = map_sale(&config, example_seller(), &sale).unwrap();
//! assert_eq!(receipt.total_amount, dec!(99.99));
//! ```

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::builder::{MAX_LINES, check_magnitude, fill_totals, format_issued};
use crate::codes::{ItemType, PaymentMethod, ReceiptType, TaxType, UnitType};
use crate::model::{Buyer, Discount, DocumentType, Header, Item, Receipt, Seller, TaxableItem};

pub mod item_codes;

pub use item_codes::{ItemCode, ItemCodes};

/// A sale that cannot be mapped, naming the input field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct MappingError {
    /// The input field, e.g. `lines[2].unit_price_incl`.
    pub field: String,
    /// The rule broken (or the mapping missing).
    pub rule: String,
}

impl MappingError {
    /// `true` when configuration is missing (an unknown payment gateway): an operator can fix
    /// it and replay.
    pub fn needs_mapping(&self) -> bool {
        self.field == "gateway"
    }
}

fn err(field: impl Into<String>, rule: impl Into<String>) -> MappingError {
    MappingError {
        field: field.into(),
        rule: rule.into(),
    }
}

/// When a sale becomes a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReceiptTrigger {
    /// When the order is paid (cash-on-delivery orders wait for their payment).
    #[default]
    OnPayment,
    /// When the order is fulfilled (shipped), paid or not.
    OnFulfilment,
    /// When paid; cash-on-delivery orders when fulfilled (the courier collects the cash).
    OnPaymentOrCodFulfilment,
}

/// What is known about an order when deciding to issue its receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaleState {
    /// Fully paid.
    pub paid: bool,
    /// Fully fulfilled.
    pub fulfilled: bool,
    /// Paid in cash on delivery.
    pub cash_on_delivery: bool,
}

impl ReceiptTrigger {
    /// Whether a receipt should be issued now.
    pub fn should_issue(self, state: SaleState) -> bool {
        match self {
            ReceiptTrigger::OnPayment => state.paid,
            ReceiptTrigger::OnFulfilment => state.fulfilled,
            ReceiptTrigger::OnPaymentOrCodFulfilment => {
                state.paid || (state.cash_on_delivery && state.fulfilled)
            }
        }
    }
}

/// How sales map onto receipts: payment gateways, the shipping service item, VAT subtype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingConfig {
    seller_rin: String,
    gateways: HashMap<String, PaymentMethod>,
    default_method: Option<PaymentMethod>,
    /// The internal code of the shipping service line. Default `SHIPPING`.
    pub shipping_code: String,
    /// The unit of the shipping line. Default `EA`.
    pub shipping_unit: UnitType,
    /// The internal code of a goodwill credit's line on a return receipt (a service, coded
    /// like the shipping line through [`ItemCodes::for_service`]). Default `CREDIT`.
    pub credit_code: String,
    /// VAT subtype at ETA's general rate of 14 %. Default `V009` (general item sales).
    pub vat_subtype: String,
    /// VAT subtype at any other non-zero rate. Default `V010` (other rates).
    pub other_rate_vat_subtype: String,
    /// VAT subtype for zero-rated lines. Default `V003`.
    pub zero_vat_subtype: String,
    /// Subtypes for particular rates, before the defaults ([`MappingConfig::vat_subtype_at`]).
    pub vat_subtype_overrides: Vec<(Decimal, String)>,
    /// When receipts are issued. Default [`ReceiptTrigger::OnPayment`].
    pub trigger: ReceiptTrigger,
    /// Where each line's ETA item code comes from. Default: the pattern `EG-{rin}-{sku}`
    /// (a line's GS1 barcode when it has one).
    pub item_codes: ItemCodes,
    /// Where a buyer's id and type come from. Default [`BuyerRules::default`](crate::buyer::BuyerRules::default).
    pub buyer: crate::buyer::BuyerRules,
}

impl MappingConfig {
    /// Defaults for the seller `seller_rin` (used to form EGS codes `EG-<rin>-<sku>`); no
    /// gateway is mapped yet.
    pub fn new(seller_rin: impl Into<String>) -> Self {
        MappingConfig {
            seller_rin: seller_rin.into(),
            gateways: HashMap::new(),
            default_method: None,
            shipping_code: "SHIPPING".into(),
            shipping_unit: UnitType::Each,
            credit_code: "CREDIT".into(),
            vat_subtype: "V009".into(),
            other_rate_vat_subtype: "V010".into(),
            zero_vat_subtype: "V003".into(),
            vat_subtype_overrides: Vec::new(),
            trigger: ReceiptTrigger::OnPayment,
            item_codes: ItemCodes::default(),
            buyer: crate::buyer::BuyerRules::default(),
        }
    }

    /// The seller's registration number.
    pub fn seller_rin(&self) -> &str {
        &self.seller_rin
    }

    /// The ETA item code of a sale line with SKU `sku` and barcode `gtin`
    /// ([`ItemCodes::for_item`]).
    pub fn item_code(&self, sku: &str, gtin: Option<&str>) -> ItemCode {
        self.item_codes.for_item(&self.seller_rin, sku, gtin)
    }

    /// The ETA item code of the shipping line ([`ItemCodes::for_service`]).
    pub fn shipping_item_code(&self) -> ItemCode {
        self.item_codes
            .for_service(&self.seller_rin, &self.shipping_code)
    }

    /// The ETA item code of a goodwill credit's line ([`ItemCodes::for_service`]).
    pub fn credit_item_code(&self) -> ItemCode {
        self.item_codes
            .for_service(&self.seller_rin, &self.credit_code)
    }

    /// Maps a payment gateway name (case-insensitive) to an ETA payment method.
    pub fn gateway(mut self, name: impl AsRef<str>, method: PaymentMethod) -> Self {
        self.gateways.insert(name.as_ref().to_lowercase(), method);
        self
    }

    /// The method for gateways not mapped. Default: none (an unmapped gateway is an error).
    pub fn default_method(mut self, method: PaymentMethod) -> Self {
        self.default_method = Some(method);
        self
    }

    /// The ETA payment method of `gateway`.
    ///
    /// # Errors
    ///
    /// [`MappingError`] on field `gateway` when it is not mapped and there is no default.
    pub fn payment_method(&self, gateway: &str) -> Result<PaymentMethod, MappingError> {
        self.gateways
            .get(&gateway.to_lowercase())
            .copied()
            .or(self.default_method)
            .ok_or_else(|| {
                err(
                    "gateway",
                    format!("payment gateway {gateway:?} is not mapped to an ETA payment method"),
                )
            })
    }

    /// Uses VAT subtype `subtype` for lines taxed at `rate` percent (overrides the defaults).
    pub fn vat_subtype_at(mut self, rate: Decimal, subtype: impl Into<String>) -> Self {
        self.vat_subtype_overrides.retain(|(r, _)| *r != rate);
        self.vat_subtype_overrides.push((rate, subtype.into()));
        self
    }

    /// The VAT subtype at `rate` percent: an override, else `zero_vat_subtype` at 0,
    /// `vat_subtype` at 14 and `other_rate_vat_subtype` at any other rate.
    pub fn vat_subtype_for(&self, rate: Decimal) -> &str {
        if let Some((_, sub)) = self.vat_subtype_overrides.iter().find(|(r, _)| *r == rate) {
            sub
        } else if rate.is_zero() {
            &self.zero_vat_subtype
        } else if rate == crate::tables::GENERAL_VAT_RATE {
            &self.vat_subtype
        } else {
            &self.other_rate_vat_subtype
        }
    }
}

/// One line of a sale, prices VAT-inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleLine {
    /// SKU: the internal code, and the key of its ETA item code ([`MappingConfig::item_code`]).
    pub sku: String,
    /// Description.
    pub description: String,
    /// A GS1 barcode, when the item has one registered with ETA.
    pub gtin: Option<String>,
    /// Unit. Default `EA`.
    pub unit: UnitType,
    /// Quantity (> 0).
    pub quantity: Decimal,
    /// Unit price, VAT included.
    pub unit_price_incl: Decimal,
    /// Discount on the line, VAT included.
    pub discount_incl: Decimal,
    /// VAT rate in percent (14, 5, 0, …).
    pub vat_rate: Decimal,
}

impl SaleLine {
    /// A line with no discount, unit `EA`, EGS code from the SKU.
    pub fn new(
        sku: impl Into<String>,
        description: impl Into<String>,
        quantity: Decimal,
        unit_price_incl: Decimal,
        vat_rate: Decimal,
    ) -> Self {
        SaleLine {
            sku: sku.into(),
            description: description.into(),
            gtin: None,
            unit: UnitType::Each,
            quantity,
            unit_price_incl,
            discount_incl: Decimal::ZERO,
            vat_rate,
        }
    }

    /// `round2(quantity × unit_price_incl) − discount_incl`.
    pub fn amount_before_order_discount(&self) -> Decimal {
        round2(self.quantity * self.unit_price_incl) - self.discount_incl
    }
}

/// Shipping charged on a sale (VAT-inclusive, after any shipping discount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleShipping {
    /// Description (carrier or method).
    pub description: String,
    /// Price paid, VAT included.
    pub price_incl: Decimal,
    /// VAT rate in percent.
    pub vat_rate: Decimal,
}

/// A sale as the shop knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    /// The receipt number (unique per branch).
    pub receipt_number: String,
    /// The shop's order name, sent as `sOrderNameCode`.
    pub order_name: Option<String>,
    /// When the receipt is issued.
    pub issued: DateTime<Utc>,
    /// Lines.
    pub lines: Vec<SaleLine>,
    /// Order-level discount, VAT included (spread over the lines).
    pub order_discount: Decimal,
    /// Shipping.
    pub shipping: Option<SaleShipping>,
    /// The payment gateway that took the money.
    pub gateway: String,
    /// A named buyer; default walk-in person.
    pub buyer: Option<Buyer>,
    /// The currency, when not EGP: the receipt is issued in it, with ETA's `exchangeRate`.
    pub currency: Option<SaleCurrency>,
}

/// A sale paid in another currency than EGP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleCurrency {
    /// ISO 4217 code (`USD`).
    pub code: String,
    /// EGP per unit of `code`: ETA's `exchangeRate` (greater than 0).
    pub egp_per_unit: Decimal,
}

/// Checks the sale's currency: three capital letters, and a positive rate unless EGP.
fn check_currency(sale: &Sale) -> Result<(), MappingError> {
    let Some(c) = &sale.currency else {
        return Ok(());
    };
    if c.code.len() != 3 || !c.code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(err(
            "currency.code",
            format!("{:?} is not an ISO 4217 code", c.code),
        ));
    }
    if c.code != "EGP" && c.egp_per_unit <= Decimal::ZERO {
        return Err(err(
            "currency.egp_per_unit",
            "must be greater than 0 (EGP per unit of the currency)",
        ));
    }
    check_magnitude("currency.egp_per_unit", c.egp_per_unit).map_err(|e| err(e.path, e.rule))
}

/// One refunded line: which sale line, how many, and the amount refunded (VAT included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundedLine {
    /// Index into [`Sale::lines`].
    pub line: usize,
    /// Quantity refunded.
    pub quantity: Decimal,
    /// Amount refunded to the customer for it, VAT included; `None` = the sale line's paid
    /// amount pro rata to the quantity.
    pub amount_incl: Option<Decimal>,
}

/// A refund of a sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRefund {
    /// The return receipt's number.
    pub receipt_number: String,
    /// When the return receipt is issued.
    pub issued: DateTime<Utc>,
    /// The refunded lines.
    pub lines: Vec<RefundedLine>,
    /// Shipping refunded, VAT included (0 for none).
    pub shipping_incl: Decimal,
    /// Money refunded beyond the lines and the shipping (a goodwill price reduction), one
    /// entry per VAT rate; each becomes a line of the credit service item
    /// ([`MappingConfig::credit_code`]). Empty for none.
    pub goodwill: Vec<GoodwillCredit>,
}

/// One VAT rate's share of a goodwill credit on a return receipt ([`SaleRefund::goodwill`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoodwillCredit {
    /// Amount credited, VAT included.
    pub amount_incl: Decimal,
    /// VAT rate in percent.
    pub vat_rate: Decimal,
}

fn round2(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn round5(v: Decimal) -> Decimal {
    crate::builder::round5(v)
}

const STEP: Decimal = Decimal::from_parts(1, 0, 0, false, 5);

/// The item of one line whose customer paid `paid` (VAT included), `quantity` at
/// `unit_price_incl` each, VAT `vat_rate` percent.
///
/// # Errors
///
/// When the amounts are negative, the quantity is not positive, or the VAT rate is outside
/// 0..=100.
#[allow(clippy::too_many_arguments)]
pub fn line_item(
    field: &str,
    internal_code: &str,
    description: &str,
    item_type: ItemType,
    item_code: String,
    unit: UnitType,
    quantity: Decimal,
    unit_price_incl: Decimal,
    paid: Decimal,
    vat_rate: Decimal,
    vat_subtype: &str,
) -> Result<Item, MappingError> {
    for (name, v) in [
        ("quantity", quantity),
        ("unit_price_incl", unit_price_incl),
        ("paid", paid),
    ] {
        check_magnitude(&format!("{field}.{name}"), v).map_err(|e| err(e.path, e.rule))?;
    }
    if quantity <= Decimal::ZERO {
        return Err(err(format!("{field}.quantity"), "must be greater than 0"));
    }
    if quantity.normalize().scale() > 5 {
        return Err(err(format!("{field}.quantity"), "at most 5 decimals"));
    }
    if unit_price_incl < Decimal::ZERO {
        return Err(err(
            format!("{field}.unit_price_incl"),
            "must not be negative",
        ));
    }
    if paid < Decimal::ZERO {
        return Err(err(field, "discounts exceed the line amount"));
    }
    if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&vat_rate) {
        return Err(err(
            format!("{field}.vat_rate"),
            "must be between 0 and 100",
        ));
    }
    let rate = vat_rate / Decimal::ONE_HUNDRED;
    let vat = |n: Decimal| round5(n * rate);
    // 2. smallest N on the 5-decimal grid with N + vat(N) >= paid
    let mut net = (paid / (Decimal::ONE + rate))
        .round_dp_with_strategy(5, RoundingStrategy::ToZero)
        - STEP * Decimal::TWO;
    if net < Decimal::ZERO {
        net = Decimal::ZERO;
    }
    while net + vat(net) < paid {
        net += STEP;
    }
    let overshoot = net + vat(net) - paid;
    // 1. unit price rounded up so that totalSale >= netSale
    let up5 = |v: Decimal| v.round_dp_with_strategy(5, RoundingStrategy::AwayFromZero);
    let mut unit_price = up5(unit_price_incl / (Decimal::ONE + rate));
    let mut total_sale = round5(quantity * unit_price);
    if total_sale < net {
        // paid more than quantity × price (a refund amount given directly): the smallest unit
        // price whose totalSale reaches netSale; rounding a value >= netSale (a 5-decimal grid
        // point) to 5 decimals cannot fall below it
        unit_price = up5(net / quantity).max(unit_price);
        total_sale = round5(quantity * unit_price);
    }
    let commercial = total_sale - net;
    let has_discount = paid < round2(quantity * unit_price_incl);
    let commercial_discount_data = if commercial.is_zero() {
        Vec::new()
    } else {
        vec![Discount {
            amount: commercial,
            description: if has_discount { "discount" } else { "rounding" }.into(),
            rate: None,
        }]
    };
    let item_discount_data = if overshoot.is_zero() {
        Vec::new()
    } else {
        vec![Discount {
            amount: overshoot,
            description: "rounding".into(),
            rate: None,
        }]
    };
    let tax = vat(net);
    Ok(Item {
        internal_code: internal_code.to_owned(),
        description: description.to_owned(),
        item_type,
        item_code,
        unit_type: unit,
        quantity,
        unit_price,
        net_sale: net,
        total_sale,
        total: net + tax - overshoot,
        commercial_discount_data,
        item_discount_data,
        additional_commercial_discount: None,
        additional_item_discount: None,
        value_difference: None,
        taxable_items: vec![TaxableItem {
            tax_type: TaxType::T1,
            sub_type: vat_subtype.to_owned(),
            amount: tax,
            rate: vat_rate,
        }],
    })
}

/// Spreads `total` (2 decimals) over `weights` in proportion, in whole piasters, so the
/// shares add up to `total` exactly (largest remainder; ties to the earlier line).
///
/// # Errors
///
/// When `total` is negative, exceeds the sum of the weights, or a weight is negative.
pub fn spread(total: Decimal, weights: &[Decimal]) -> Result<Vec<Decimal>, MappingError> {
    let sum: Decimal = weights.iter().sum();
    if total < Decimal::ZERO || weights.iter().any(|w| *w < Decimal::ZERO) {
        return Err(err("order_discount", "must not be negative"));
    }
    if total > sum {
        return Err(err("order_discount", "exceeds the lines' amounts"));
    }
    if total.is_zero() || sum.is_zero() {
        return Ok(vec![Decimal::ZERO; weights.len()]);
    }
    let cents = round2(total) * Decimal::ONE_HUNDRED;
    let mut shares: Vec<Decimal> = Vec::with_capacity(weights.len());
    let mut rests: Vec<(Decimal, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = cents * *w / sum;
        let floor = exact.floor();
        shares.push(floor);
        rests.push((exact - floor, i));
    }
    let mut left = cents - shares.iter().sum::<Decimal>();
    rests.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rests {
        if left <= Decimal::ZERO {
            break;
        }
        shares[i] += Decimal::ONE;
        left -= Decimal::ONE;
    }
    Ok(shares
        .into_iter()
        .map(|c| c / Decimal::ONE_HUNDRED)
        .collect())
}

fn sale_item(
    config: &MappingConfig,
    field: &str,
    line: &SaleLine,
    paid: Decimal,
) -> Result<Item, MappingError> {
    let code = config.item_code(&line.sku, line.gtin.as_deref());
    let subtype = config.vat_subtype_for(line.vat_rate);
    line_item(
        field,
        &line.sku,
        &line.description,
        code.item_type,
        code.code,
        line.unit,
        line.quantity,
        line.unit_price_incl,
        paid,
        line.vat_rate,
        subtype,
    )
}

fn shipping_item(
    config: &MappingConfig,
    description: &str,
    paid: Decimal,
    vat_rate: Decimal,
) -> Result<Item, MappingError> {
    let subtype = config.vat_subtype_for(vat_rate);
    let code = config.shipping_item_code();
    line_item(
        "shipping",
        &config.shipping_code,
        description,
        code.item_type,
        code.code,
        config.shipping_unit,
        Decimal::ONE,
        paid,
        paid,
        vat_rate,
        subtype,
    )
}

/// What the customer paid per sale line: its amount minus its share of the order discount.
///
/// # Errors
///
/// When the order discount exceeds the lines or an amount is negative.
pub fn paid_per_line(sale: &Sale) -> Result<Vec<Decimal>, MappingError> {
    let bound =
        |field: String, v: Decimal| check_magnitude(&field, v).map_err(|e| err(e.path, e.rule));
    for (i, l) in sale.lines.iter().enumerate() {
        bound(format!("lines[{i}].quantity"), l.quantity)?;
        bound(format!("lines[{i}].unit_price_incl"), l.unit_price_incl)?;
        bound(format!("lines[{i}].discount_incl"), l.discount_incl)?;
        bound(format!("lines[{i}].vat_rate"), l.vat_rate)?;
    }
    bound("order_discount".into(), sale.order_discount)?;
    if let Some(x) = &sale.shipping {
        bound("shipping.price_incl".into(), x.price_incl)?;
        bound("shipping.vat_rate".into(), x.vat_rate)?;
    }
    let amounts: Vec<Decimal> = sale
        .lines
        .iter()
        .map(SaleLine::amount_before_order_discount)
        .collect();
    for (i, a) in amounts.iter().enumerate() {
        if *a < Decimal::ZERO {
            return Err(err(
                format!("lines[{i}].discount_incl"),
                "exceeds the line amount",
            ));
        }
    }
    let shares = spread(round2(sale.order_discount), &amounts)?;
    Ok(amounts.iter().zip(shares).map(|(a, s)| a - s).collect())
}

fn receipt_shell(
    seller: Seller,
    receipt_type: ReceiptType,
    number: &str,
    issued: DateTime<Utc>,
    sale: &Sale,
    method: PaymentMethod,
    items: Vec<Item>,
) -> Receipt {
    let order_name = sale.order_name.clone();
    let buyer = sale.buyer.clone();
    let mut receipt = Receipt {
        header: Header {
            date_time_issued: format_issued(issued),
            receipt_number: number.to_owned(),
            uuid: String::new(),
            previous_uuid: String::new(),
            reference_uuid: None,
            reference_old_uuid: None,
            currency: sale
                .currency
                .as_ref()
                .map_or_else(|| "EGP".to_owned(), |c| c.code.clone()),
            exchange_rate: Some(
                sale.currency
                    .as_ref()
                    .filter(|c| c.code != "EGP")
                    .map_or(Decimal::ZERO, |c| c.egp_per_unit),
            ),
            s_order_name_code: order_name,
            order_delivery_mode: None,
            gross_weight: None,
            net_weight: None,
            document_use_reason: None,
            sales_issued_date_time: None,
        },
        document_type: DocumentType {
            receipt_type,
            type_version: "1.2".into(),
        },
        seller,
        buyer: buyer.unwrap_or_else(Buyer::walk_in),
        item_data: items,
        total_sales: Decimal::ZERO,
        total_commercial_discount: None,
        total_items_discount: None,
        extra_receipt_discount_data: Vec::new(),
        net_amount: Decimal::ZERO,
        fees_amount: None,
        total_amount: Decimal::ZERO,
        tax_totals: Vec::new(),
        payment_method: method,
        adjustment: None,
        contractor: None,
        beneficiary: None,
    };
    fill_totals(&mut receipt);
    receipt
}

/// Maps a sale to a sale receipt (`previousUUID` and `uuid` empty: chain and seal it next).
///
/// # Errors
///
/// [`MappingError`] naming the input field: unmapped gateway, negative amounts, discounts
/// above the amounts, no lines, more than 300 lines.
pub fn map_sale(
    config: &MappingConfig,
    seller: Seller,
    sale: &Sale,
) -> Result<Receipt, MappingError> {
    let method = config.payment_method(&sale.gateway)?;
    check_currency(sale)?;
    if sale.lines.is_empty() {
        return Err(err("lines", "a sale needs at least one line"));
    }
    let paid = paid_per_line(sale)?;
    let mut items = Vec::with_capacity(sale.lines.len() + 1);
    for (i, (line, p)) in sale.lines.iter().zip(paid).enumerate() {
        items.push(sale_item(config, &format!("lines[{i}]"), line, p)?);
    }
    if let Some(s) = &sale.shipping
        && !s.price_incl.is_zero()
    {
        items.push(shipping_item(
            config,
            &s.description,
            round2(s.price_incl),
            s.vat_rate,
        )?);
    }
    if items.len() > MAX_LINES {
        return Err(err(
            "lines",
            format!("at most {MAX_LINES} lines per receipt"),
        ));
    }
    Ok(receipt_shell(
        seller,
        ReceiptType::Sale,
        &sale.receipt_number,
        sale.issued,
        sale,
        method,
        items,
    ))
}

/// Maps a refund of `sale` to a return receipt (`r`) whose `referenceUUID` is `sale_uuid`,
/// covering exactly the refunded lines and shipping; its `totalAmount` is the amount
/// refunded.
///
/// # Errors
///
/// [`MappingError`] naming the field: unknown line index, refunding more than was sold,
/// nothing refunded, unmapped gateway.
pub fn map_refund(
    config: &MappingConfig,
    seller: Seller,
    sale: &Sale,
    refund: &SaleRefund,
    sale_uuid: &str,
) -> Result<Receipt, MappingError> {
    let method = config.payment_method(&sale.gateway)?;
    check_currency(sale)?;
    let paid = paid_per_line(sale)?;
    let mut items = Vec::with_capacity(refund.lines.len() + 1);
    for (k, r) in refund.lines.iter().enumerate() {
        let field = format!("refund.lines[{k}]");
        let line = sale.lines.get(r.line).ok_or_else(|| {
            err(
                format!("{field}.line"),
                format!("sale has no line {}", r.line),
            )
        })?;
        if r.quantity <= Decimal::ZERO || r.quantity > line.quantity {
            return Err(err(
                format!("{field}.quantity"),
                format!(
                    "must be greater than 0 and at most the {} sold",
                    line.quantity
                ),
            ));
        }
        let amount = match r.amount_incl {
            Some(a) => round2(a),
            None => round2(paid[r.line] * r.quantity / line.quantity),
        };
        if amount > paid[r.line] {
            return Err(err(
                format!("{field}.amount_incl"),
                "exceeds what was paid for the line",
            ));
        }
        let mut item = sale_item(
            config,
            &field,
            &SaleLine {
                quantity: r.quantity,
                ..line.clone()
            },
            amount,
        )?;
        item.description = line.description.clone();
        items.push(item);
    }
    if !refund.shipping_incl.is_zero() {
        let shipping = sale
            .shipping
            .as_ref()
            .ok_or_else(|| err("refund.shipping_incl", "the sale had no shipping"))?;
        if refund.shipping_incl > shipping.price_incl {
            return Err(err("refund.shipping_incl", "exceeds the shipping paid"));
        }
        items.push(shipping_item(
            config,
            &shipping.description,
            round2(refund.shipping_incl),
            shipping.vat_rate,
        )?);
    }
    if !refund.goodwill.is_empty() {
        let returned: Decimal = items.iter().map(|i| i.total).sum();
        let credited: Decimal = refund.goodwill.iter().map(|g| g.amount_incl).sum();
        let sold: Decimal = paid.iter().sum::<Decimal>()
            + sale
                .shipping
                .as_ref()
                .map_or(Decimal::ZERO, |s| s.price_incl);
        if returned + credited > sold {
            return Err(err(
                "refund.goodwill",
                "the lines, shipping and goodwill credited exceed what the sale was paid",
            ));
        }
        let code = config.credit_item_code();
        for (k, g) in refund.goodwill.iter().enumerate() {
            let paid = round2(g.amount_incl);
            items.push(line_item(
                &format!("refund.goodwill[{k}]"),
                &config.credit_code,
                "Goodwill credit",
                code.item_type,
                code.code.clone(),
                config.shipping_unit,
                Decimal::ONE,
                paid,
                paid,
                g.vat_rate,
                config.vat_subtype_for(g.vat_rate),
            )?);
        }
    }
    if items.is_empty() {
        return Err(err(
            "refund",
            "nothing refunded: no lines, no shipping and no goodwill",
        ));
    }
    let mut receipt = receipt_shell(
        seller,
        ReceiptType::Return,
        &refund.receipt_number,
        refund.issued,
        sale,
        method,
        items,
    );
    receipt.header.reference_uuid = Some(sale_uuid.to_owned());
    Ok(receipt)
}

#[cfg(test)]
mod tests;
