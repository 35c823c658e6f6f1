//! Validation before sending: every failure names the JSON path and the rule.
//!
//! Checks, in the spirit of ETA's structure, code and core-field validators:
//!
//! - structure and mandatory fields (via the typed model: unknown fields and unknown codes are
//!   refused with their path), formats (`dateTimeIssued`, uuids, RIN, national id);
//! - `dateTimeIssued` not in the future, and within the 24-hour submission window;
//! - at most 300 lines; return receipts carry `referenceUUID`;
//! - buyer rules: type B (and F) always need `id` and `name`; type P needs them from
//!   150,000 EGP (`totalAmount`);
//! - tax subtypes from ETA's table, each only under its own tax type;
//! - calculation checks per ETA's receipt main calculations (line and receipt totals; VAT and
//!   T2 on a base that includes the taxable fees T5–T12; withholding; percentage fees; the
//!   additional commercial and item discounts) within a tolerance
//!   (default ±0.5, ETA's reported allowance), tax types unique per line and in `taxTotals`,
//!   at most 5 decimals, `feesAmount` and `adjustment` zero;
//! - string values free of `"`, `\` and control characters (ETA's reference serializers
//!   disagree on those);
//! - for JSON text: a non-empty `header.uuid` must equal the uuid computed from the text.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use eta_ereceipt::validate::{validate_json, ValidationOptions};
//!
//! let now = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
//! let problems = validate_json("{\"header\":{}}", &ValidationOptions::at(now));
//! assert!(problems.iter().any(|p| p.path == "header.dateTimeIssued"));
//! ```

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;

use crate::builder::{MAX_AMOUNT, MAX_DECIMALS, MAX_LINES};
use crate::canonical;
use crate::codes::{BuyerType, ItemType, TaxType};
use crate::model::{Item, Receipt};
use crate::tables::SubtypeKind;

/// One validation failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path, e.g. `itemData[0].total` (`$` for the whole receipt).
    pub path: String,
    /// The rule broken.
    pub rule: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.rule)
    }
}

/// Settings of [`validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationOptions {
    /// The current time (for the future-date and 24-hour checks).
    pub now: DateTime<Utc>,
    /// Allowed difference on calculation checks. Default 0.5.
    pub tolerance: Decimal,
    /// `totalAmount` from which a person buyer needs id and name. Default 150,000.
    pub person_id_threshold: Decimal,
    /// How long after issue a receipt may still be submitted. Default 24 hours.
    pub submission_window: chrono::Duration,
    /// Tolerated clock skew for the future-date check. Default 0.
    pub future_skew: chrono::Duration,
}

impl ValidationOptions {
    /// Defaults, evaluated at `now`.
    pub fn at(now: DateTime<Utc>) -> Self {
        ValidationOptions {
            now,
            tolerance: Decimal::new(5, 1),
            person_id_threshold: Decimal::new(150_000, 0),
            submission_window: chrono::Duration::hours(24),
            future_skew: chrono::Duration::zero(),
        }
    }

    /// Sets the tolerance of calculation checks.
    pub fn tolerance(mut self, tolerance: Decimal) -> Self {
        self.tolerance = tolerance;
        self
    }
}

struct Sink(Vec<Problem>);

impl Sink {
    fn add(&mut self, path: impl Into<String>, rule: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            rule: rule.into(),
        });
    }
}

/// Validates a receipt given as JSON text: parses it into the typed model (any mismatch is one
/// problem with its path), runs [`validate`], and checks a non-empty `header.uuid` against the
/// uuid computed from the text itself.
pub fn validate_json(text: &str, options: &ValidationOptions) -> Vec<Problem> {
    let mut sink = Sink(Vec::new());
    let computed = match canonical::receipt_uuid(text) {
        Ok(u) => Some(u),
        Err(canonical::UuidError::Shape { path, rule }) => {
            sink.add(path, rule);
            None
        }
        Err(e) => {
            sink.add("$", e.to_string());
            return sink.0;
        }
    };
    match Receipt::from_json(text) {
        Ok(receipt) => {
            let uuid = &receipt.header.uuid;
            if let Some(computed) = computed
                && !uuid.is_empty()
                && uuid != computed.as_str()
            {
                sink.add(
                    "header.uuid",
                    format!("does not match the receipt's content (computed {computed})"),
                );
            }
            sink.0.extend(validate_inner(&receipt, options, false));
        }
        Err(e) => sink.add(e.path, e.message),
    }
    sink.0
}

/// The receipt's `totalAmount` in EGP: as it is in EGP, else times `exchangeRate` (EGP per
/// unit of the receipt's currency; the amount as it is when the rate is missing, which the
/// header rule reports). ETA's person-buyer threshold (150,000 EGP) is compared in EGP.
pub fn total_in_egp(r: &Receipt) -> Decimal {
    match r.header.exchange_rate {
        Some(rate) if r.header.currency != "EGP" && rate > Decimal::ZERO => r.total_amount * rate,
        _ => r.total_amount,
    }
}

/// Validates a typed receipt. A non-empty `header.uuid` must equal the receipt's uuid.
pub fn validate(receipt: &Receipt, options: &ValidationOptions) -> Vec<Problem> {
    validate_inner(receipt, options, true)
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses `dateTimeIssued`: `YYYY-MM-DDTHH:MM:SSZ`, optionally with fractional seconds.
pub fn parse_issued(text: &str) -> Option<DateTime<Utc>> {
    let body = text.strip_suffix('Z')?;
    NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

fn validate_inner(r: &Receipt, o: &ValidationOptions, check_uuid: bool) -> Vec<Problem> {
    let mut s = Sink(Vec::new());
    let h = &r.header;

    // header
    match parse_issued(&h.date_time_issued) {
        None => s.add(
            "header.dateTimeIssued",
            "must be UTC date-time YYYY-MM-DDTHH:MM:SSZ",
        ),
        Some(at) => {
            if at > o.now + o.future_skew {
                s.add("header.dateTimeIssued", "must not be in the future");
            } else if o.now - at > o.submission_window {
                s.add(
                    "header.dateTimeIssued",
                    format!(
                        "is older than the {}-hour submission window",
                        o.submission_window.num_hours()
                    ),
                );
            }
        }
    }
    if h.receipt_number.is_empty() || h.receipt_number.chars().count() > 50 {
        s.add(
            "header.receiptNumber",
            "is mandatory, at most 50 characters",
        );
    }
    if !h.uuid.is_empty() && !is_hex64(&h.uuid) {
        s.add(
            "header.uuid",
            "must be empty or 64 lowercase hex characters",
        );
    } else if check_uuid
        && !h.uuid.is_empty()
        && let Ok(computed) = r.compute_uuid()
        && computed.as_str() != h.uuid
    {
        s.add(
            "header.uuid",
            format!("does not match the receipt's content (computed {computed})"),
        );
    }
    if !h.previous_uuid.is_empty() && !is_hex64(&h.previous_uuid) {
        s.add(
            "header.previousUUID",
            "must be empty (first receipt of the device) or 64 lowercase hex characters",
        );
    }
    match (&h.reference_uuid, r.document_type.receipt_type.is_return()) {
        (Some(u), _) if !is_hex64(u) => {
            s.add(
                "header.referenceUUID",
                "must be 64 lowercase hex characters",
            );
        }
        (None, true) if r.document_type.receipt_type == crate::codes::ReceiptType::Return => {
            s.add(
                "header.referenceUUID",
                "is mandatory on a return receipt (the sale receipt's uuid)",
            );
        }
        _ => {}
    }
    if r.document_type.receipt_type == crate::codes::ReceiptType::ReturnWithoutReference {
        if h.document_use_reason
            .as_deref()
            .is_none_or(|x| x.trim().is_empty())
        {
            s.add(
                "header.documentUseReason",
                "is mandatory on a return without reference (RWR)",
            );
        }
        if h.sales_issued_date_time
            .as_deref()
            .and_then(parse_issued)
            .is_none()
        {
            s.add(
                "header.salesIssuedDateTime",
                "is mandatory on a return without reference (RWR): UTC date-time of the sale",
            );
        }
    }
    if let Some(u) = &h.reference_old_uuid
        && !u.is_empty()
        && !is_hex64(u)
    {
        s.add(
            "header.referenceOldUUID",
            "must be 64 lowercase hex characters",
        );
    }
    if h.currency.len() != 3 || !h.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        s.add("header.currency", "must be an ISO 4217 code");
    } else if h.currency != "EGP" && h.exchange_rate.is_none_or(|x| x <= Decimal::ZERO) {
        s.add(
            "header.exchangeRate",
            "is mandatory and positive when the currency is not EGP",
        );
    }
    if r.document_type.type_version != "1.2" {
        s.add("documentType.typeVersion", "must be \"1.2\"");
    }

    // seller
    let sl = &r.seller;
    if !digits(&sl.rin, 9) {
        s.add("seller.rin", "must be the 9-digit registration number");
    }
    for (path, v, max) in [
        ("seller.companyTradeName", &sl.company_trade_name, 200),
        ("seller.branchCode", &sl.branch_code, 50),
        ("seller.deviceSerialNumber", &sl.device_serial_number, 100),
        ("seller.activityCode", &sl.activity_code, 10),
        (
            "seller.branchAddress.governate",
            &sl.branch_address.governate,
            100,
        ),
        (
            "seller.branchAddress.regionCity",
            &sl.branch_address.region_city,
            100,
        ),
        (
            "seller.branchAddress.street",
            &sl.branch_address.street,
            200,
        ),
        (
            "seller.branchAddress.buildingNumber",
            &sl.branch_address.building_number,
            100,
        ),
    ] {
        if v.trim().is_empty() || v.chars().count() > max {
            s.add(path, format!("is mandatory, at most {max} characters"));
        }
    }
    if sl.branch_address.country.len() != 2
        || !sl
            .branch_address
            .country
            .bytes()
            .all(|b| b.is_ascii_uppercase())
    {
        s.add(
            "seller.branchAddress.country",
            "must be an ISO 3166 alpha-2 code",
        );
    }

    // buyer
    let b = &r.buyer;
    let id = b.id.as_deref().unwrap_or("");
    let name = b.name.as_deref().unwrap_or("");
    let needs_id = match b.buyer_type {
        BuyerType::Business | BuyerType::Foreigner => true,
        BuyerType::Person => total_in_egp(r) >= o.person_id_threshold,
    };
    if needs_id && (id.trim().is_empty() || name.trim().is_empty()) {
        s.add(
            "buyer",
            match b.buyer_type {
                BuyerType::Business => "a business buyer (B) always needs id and name".to_owned(),
                BuyerType::Foreigner => "a foreign buyer (F) always needs id and name".to_owned(),
                _ => format!(
                    "a person buyer (P) needs id and name when totalAmount is {} EGP or more",
                    o.person_id_threshold
                ),
            },
        );
    }
    if !id.is_empty() {
        match b.buyer_type {
            BuyerType::Business if !digits(id, 9) => {
                s.add(
                    "buyer.id",
                    "must be a 9-digit registration number for type B",
                );
            }
            BuyerType::Person if !digits(id, 14) => {
                s.add("buyer.id", "must be a 14-digit national id for type P");
            }
            _ => {}
        }
        if id == sl.rin {
            s.add("buyer.id", "must differ from the seller's RIN");
        }
    }

    // magnitudes: beyond them the calculation checks could overflow, so they are skipped
    let huge: Vec<String> = amounts(r)
        .into_iter()
        .filter(|(_, v)| v.abs() >= MAX_AMOUNT)
        .map(|(p, _)| p)
        .collect();
    if !huge.is_empty() {
        for p in huge {
            s.add(p, "must be below 10^13 in magnitude");
        }
        let value = serde_json::to_value(r).unwrap_or_default();
        check_strings(&mut s, "", &value);
        return s.0;
    }

    // lines
    if r.item_data.is_empty() {
        s.add("itemData", "at least one line is mandatory");
    }
    if r.item_data.len() > MAX_LINES {
        s.add("itemData", format!("at most {MAX_LINES} lines per receipt"));
    }
    for (i, item) in r.item_data.iter().enumerate() {
        check_item(&mut s, o, &sl.rin, i, item);
    }

    // totals
    let tol = o.tolerance;
    let near = |a: Decimal, b: Decimal| (a - b).abs() <= tol;
    let items = &r.item_data;
    let sum = |f: &dyn Fn(&Item) -> Decimal| items.iter().map(f).sum::<Decimal>();
    let total_sales = sum(&|i| i.total_sale);
    if !near(r.total_sales, total_sales) {
        s.add(
            "totalSales",
            format!("must equal Σ itemData.totalSale = {total_sales}"),
        );
    }
    let net = sum(&|i| i.net_sale);
    if !near(r.net_amount, net) {
        s.add(
            "netAmount",
            format!("must equal Σ itemData.netSale = {net}"),
        );
    }
    let cd = sum(&|i| i.commercial_discount_data.iter().map(|d| d.amount).sum());
    let acd = sum(&|i| {
        i.additional_commercial_discount
            .as_ref()
            .map_or(Decimal::ZERO, |d| d.amount)
    });
    // ETA's pages do not say whether the additional discounts count in these totals: both
    // readings are accepted.
    if let Some(v) = r.total_commercial_discount
        && !near(v, cd)
        && !near(v, cd + acd)
    {
        s.add(
            "totalCommercialDiscount",
            format!("must equal Σ commercialDiscountData.amount = {cd}"),
        );
    }
    let idisc = sum(&|i| i.item_discount_data.iter().map(|d| d.amount).sum());
    let aid = sum(&|i| {
        i.additional_item_discount
            .as_ref()
            .map_or(Decimal::ZERO, |d| d.amount)
    });
    if let Some(v) = r.total_items_discount
        && !near(v, idisc)
        && !near(v, idisc + aid)
    {
        s.add(
            "totalItemsDiscount",
            format!("must equal Σ itemDiscountData.amount = {idisc}"),
        );
    }
    let extra: Decimal = r.extra_receipt_discount_data.iter().map(|d| d.amount).sum();
    let fees = r.fees_amount.unwrap_or_default();
    let adjustment = r.adjustment.unwrap_or_default();
    if !fees.is_zero() {
        s.add(
            "feesAmount",
            "must be 0 (reserved by ETA; put fees on item lines)",
        );
    }
    if !adjustment.is_zero() {
        s.add("adjustment", "must be 0");
    }
    let expected_total = sum(&|i| i.total) - extra + fees + adjustment;
    if !near(r.total_amount, expected_total) {
        s.add(
            "totalAmount",
            format!(
                "must equal Σ itemData.total − Σ extraReceiptDiscountData.amount = {expected_total}"
            ),
        );
    }
    for (i, t) in r.tax_totals.iter().enumerate() {
        if r.tax_totals[..i].iter().any(|x| x.tax_type == t.tax_type) {
            s.add(format!("taxTotals[{i}].taxType"), "tax type must be unique");
        }
        let lines: Decimal = items
            .iter()
            .flat_map(|it| &it.taxable_items)
            .filter(|x| x.tax_type == t.tax_type)
            .map(|x| x.amount)
            .sum();
        if !near(t.amount, lines) {
            s.add(
                format!("taxTotals[{i}].amount"),
                format!("must equal Σ {} amounts of the lines = {lines}", t.tax_type),
            );
        }
    }
    for tax in items.iter().flat_map(|it| &it.taxable_items) {
        if !r.tax_totals.iter().any(|t| t.tax_type == tax.tax_type) {
            s.add(
                "taxTotals",
                format!("has no entry for {} used on a line", tax.tax_type),
            );
            break;
        }
    }
    for (path, v) in [
        ("totalSales", Some(r.total_sales)),
        ("netAmount", Some(r.net_amount)),
        ("totalAmount", Some(r.total_amount)),
        ("totalCommercialDiscount", r.total_commercial_discount),
        ("totalItemsDiscount", r.total_items_discount),
    ] {
        if let Some(v) = v {
            scale(&mut s, path, v);
        }
    }
    for (i, d) in r.extra_receipt_discount_data.iter().enumerate() {
        scale(
            &mut s,
            &format!("extraReceiptDiscountData[{i}].amount"),
            d.amount,
        );
        negative(
            &mut s,
            &format!("extraReceiptDiscountData[{i}].amount"),
            d.amount,
        );
    }

    // strings
    let value = serde_json::to_value(r).unwrap_or_default();
    check_strings(&mut s, "", &value);
    s.0
}

/// Every amount, quantity and rate of the receipt with its JSON path.
fn amounts(r: &Receipt) -> Vec<(String, Decimal)> {
    let mut out: Vec<(String, Decimal)> = Vec::new();
    let mut opt = |p: &str, v: Option<Decimal>| {
        if let Some(v) = v {
            out.push((p.to_owned(), v));
        }
    };
    opt("header.exchangeRate", r.header.exchange_rate);
    opt("header.grossWeight", r.header.gross_weight);
    opt("header.netWeight", r.header.net_weight);
    opt("totalSales", Some(r.total_sales));
    opt("totalCommercialDiscount", r.total_commercial_discount);
    opt("totalItemsDiscount", r.total_items_discount);
    opt("netAmount", Some(r.net_amount));
    opt("feesAmount", r.fees_amount);
    opt("totalAmount", Some(r.total_amount));
    opt("adjustment", r.adjustment);
    if let Some(c) = &r.contractor {
        opt("contractor.amount", Some(c.amount));
        opt("contractor.rate", Some(c.rate));
    }
    if let Some(b) = &r.beneficiary {
        opt("beneficiary.amount", Some(b.amount));
        opt("beneficiary.rate", Some(b.rate));
    }
    for (i, d) in r.extra_receipt_discount_data.iter().enumerate() {
        opt(
            &format!("extraReceiptDiscountData[{i}].amount"),
            Some(d.amount),
        );
        opt(&format!("extraReceiptDiscountData[{i}].rate"), d.rate);
    }
    for (i, t) in r.tax_totals.iter().enumerate() {
        opt(&format!("taxTotals[{i}].amount"), Some(t.amount));
    }
    for (i, it) in r.item_data.iter().enumerate() {
        let p = format!("itemData[{i}]");
        for (f, v) in [
            ("quantity", it.quantity),
            ("unitPrice", it.unit_price),
            ("netSale", it.net_sale),
            ("totalSale", it.total_sale),
            ("total", it.total),
        ] {
            opt(&format!("{p}.{f}"), Some(v));
        }
        opt(&format!("{p}.valueDifference"), it.value_difference);
        for (field, list) in [
            ("commercialDiscountData", &it.commercial_discount_data),
            ("itemDiscountData", &it.item_discount_data),
        ] {
            for (k, d) in list.iter().enumerate() {
                opt(&format!("{p}.{field}[{k}].amount"), Some(d.amount));
                opt(&format!("{p}.{field}[{k}].rate"), d.rate);
            }
        }
        for (field, d) in [
            (
                "additionalCommercialDiscount",
                &it.additional_commercial_discount,
            ),
            ("additionalItemDiscount", &it.additional_item_discount),
        ] {
            if let Some(d) = d {
                opt(&format!("{p}.{field}.amount"), Some(d.amount));
                opt(&format!("{p}.{field}.rate"), d.rate);
            }
        }
        for (k, t) in it.taxable_items.iter().enumerate() {
            opt(&format!("{p}.taxableItems[{k}].amount"), Some(t.amount));
            opt(&format!("{p}.taxableItems[{k}].rate"), Some(t.rate));
        }
    }
    out
}

fn scale(s: &mut Sink, path: &str, v: Decimal) {
    if v.scale() > MAX_DECIMALS && v.normalize().scale() > MAX_DECIMALS {
        s.add(path, "at most 5 decimals");
    }
}

fn negative(s: &mut Sink, path: &str, v: Decimal) {
    if v.is_sign_negative() && !v.is_zero() {
        s.add(path, "must not be negative");
    }
}

fn check_item(s: &mut Sink, o: &ValidationOptions, rin: &str, i: usize, it: &Item) {
    let p = format!("itemData[{i}]");
    let tol = o.tolerance;
    let near = |a: Decimal, b: Decimal| (a - b).abs() <= tol;
    if it.internal_code.trim().is_empty() {
        s.add(format!("{p}.internalCode"), "is mandatory");
    }
    if it.description.trim().is_empty() {
        s.add(format!("{p}.description"), "is mandatory");
    }
    match it.item_type {
        ItemType::Egs => {
            let prefix = format!("EG-{rin}-");
            if !(it.item_code.starts_with(&prefix) && it.item_code.len() > prefix.len()) {
                s.add(
                    format!("{p}.itemCode"),
                    format!("an EGS code must be EG-<seller RIN>-<code>, i.e. start with {prefix}"),
                );
            }
        }
        ItemType::Gs1 => {
            let n = it.item_code.len();
            if !(8..=14).contains(&n) || !it.item_code.bytes().all(|b| b.is_ascii_digit()) {
                s.add(
                    format!("{p}.itemCode"),
                    "a GS1 code must be an 8 to 14 digit GTIN",
                );
            }
        }
    }
    if it.quantity <= Decimal::ZERO {
        s.add(format!("{p}.quantity"), "must be greater than 0");
    }
    for (f, v) in [
        ("quantity", it.quantity),
        ("unitPrice", it.unit_price),
        ("netSale", it.net_sale),
        ("totalSale", it.total_sale),
        ("total", it.total),
    ] {
        scale(s, &format!("{p}.{f}"), v);
        if f != "total" {
            negative(s, &format!("{p}.{f}"), v);
        }
    }
    let expected_total_sale = it.quantity * it.unit_price;
    if !near(it.total_sale, expected_total_sale) {
        s.add(
            format!("{p}.totalSale"),
            format!("must equal quantity × unitPrice = {expected_total_sale}"),
        );
    }
    let cd: Decimal = it.commercial_discount_data.iter().map(|d| d.amount).sum();
    let idisc: Decimal = it.item_discount_data.iter().map(|d| d.amount).sum();
    for (k, d) in it.commercial_discount_data.iter().enumerate() {
        let path = format!("{p}.commercialDiscountData[{k}].amount");
        scale(s, &path, d.amount);
        negative(s, &path, d.amount);
    }
    for (k, d) in it.item_discount_data.iter().enumerate() {
        let path = format!("{p}.itemDiscountData[{k}].amount");
        scale(s, &path, d.amount);
        negative(s, &path, d.amount);
    }
    let mut additional = |field: &str, d: &Option<crate::model::Discount>| {
        let Some(d) = d else {
            return Decimal::ZERO;
        };
        let path = format!("{p}.{field}.amount");
        scale(s, &path, d.amount);
        negative(s, &path, d.amount);
        d.amount
    };
    let acd = additional(
        "additionalCommercialDiscount",
        &it.additional_commercial_discount,
    );
    let aid = additional("additionalItemDiscount", &it.additional_item_discount);
    if !near(it.net_sale, it.total_sale - cd - acd) {
        s.add(
            format!("{p}.netSale"),
            format!(
                "must equal totalSale − Σ commercialDiscountData.amount − additionalCommercialDiscount.amount = {}",
                it.total_sale - cd - acd
            ),
        );
    }
    let of = |ty: TaxType| {
        it.taxable_items
            .iter()
            .filter(|t| t.tax_type == ty)
            .map(|t| t.amount)
            .sum::<Decimal>()
    };
    let vd = it.value_difference.unwrap_or_default();
    let fees: Decimal = it
        .taxable_items
        .iter()
        .filter(|t| t.tax_type.is_taxable_fee())
        .map(|t| t.amount)
        .sum();
    let mut expected_total = it.net_sale - idisc - aid;
    for (k, t) in it.taxable_items.iter().enumerate() {
        let tp = format!("{p}.taxableItems[{k}]");
        if it.taxable_items[..k]
            .iter()
            .any(|x| x.tax_type == t.tax_type)
        {
            s.add(format!("{tp}.taxType"), "tax type must be unique on a line");
        }
        let kind = match t.tax_type.subtype(&t.sub_type) {
            Ok(sub) => Some(sub.kind),
            Err(rule) => {
                s.add(format!("{tp}.subType"), rule);
                None
            }
        };
        if t.rate < Decimal::ZERO || t.rate > Decimal::ONE_HUNDRED {
            s.add(format!("{tp}.rate"), "must be between 0 and 100");
        }
        scale(s, &format!("{tp}.amount"), t.amount);
        negative(s, &format!("{tp}.amount"), t.amount);
        let rate = t.rate / Decimal::ONE_HUNDRED;
        // a fixed-amount subtype (T3, T6, T14, the …02 / …04 fees) is taken as given; its
        // amount is checked through the line total and the T1/T2 bases
        let expected = match (t.tax_type, kind) {
            (_, Some(SubtypeKind::Amount)) => None,
            (TaxType::T1, _) => Some((
                (it.net_sale + fees + vd + of(TaxType::T2) + of(TaxType::T3)) * rate,
                "(netSale + totalTaxableFees T5–T12 + valueDifference + T2 + T3) × rate",
            )),
            (TaxType::T2, _) => Some((
                (it.net_sale + fees + vd + of(TaxType::T3)) * rate,
                "(netSale + totalTaxableFees T5–T12 + valueDifference + T3) × rate",
            )),
            (TaxType::T4, _) => Some((
                (it.net_sale - idisc) * rate,
                "(netSale − Σ itemDiscountData.amount) × rate",
            )),
            (_, None) => None,
            _ => Some((it.net_sale * rate, "netSale × rate")),
        };
        if let Some((expected, formula)) = expected
            && !near(t.amount, expected)
        {
            s.add(
                format!("{tp}.amount"),
                format!("must equal {formula} = {expected}"),
            );
        }
        if t.tax_type.is_withholding() {
            expected_total -= t.amount;
        } else {
            expected_total += t.amount;
        }
    }
    if !near(it.total, expected_total) {
        s.add(
            format!("{p}.total"),
            format!(
                "must equal netSale + taxes − T4 − Σ itemDiscountData.amount − additionalItemDiscount.amount = {expected_total}"
            ),
        );
    }
}

fn check_strings(s: &mut Sink, path: &str, v: &serde_json::Value) {
    match v {
        serde_json::Value::String(text)
            if text
                .chars()
                .any(|c| c == '"' || c == '\\' || c.is_control()) =>
        {
            s.add(
                if path.is_empty() { "$" } else { path },
                "must not contain quotes, backslashes or control characters (ETA's reference serializers disagree on them)",
            );
        }
        serde_json::Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                check_strings(s, &format!("{path}[{i}]"), x);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                check_strings(s, &p, x);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
