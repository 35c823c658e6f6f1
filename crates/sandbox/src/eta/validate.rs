//! Per-receipt checks that need no state: structure, codes, core fields, calculations.

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::json::{Kind, Node};

/// One reason a receipt is rejected (an element of `error.details`).
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    /// Category, e.g. `CalculationError`.
    pub code: &'static str,
    /// What is wrong, naming the rule.
    pub message: String,
    /// The field's name.
    pub target: String,
    /// Where the field is, e.g. `receipt.itemData[0].netSale`.
    pub property_path: String,
}

impl Detail {
    pub(crate) fn new(code: &'static str, path: &str, message: impl Into<String>) -> Detail {
        let target = path
            .rsplit('.')
            .next()
            .unwrap_or(path)
            .split('[')
            .next()
            .unwrap_or(path)
            .to_string();
        Detail {
            code,
            message: message.into(),
            target,
            property_path: format!("receipt.{path}"),
        }
    }

    pub(crate) fn json(&self) -> Value {
        json!({
            "code": self.code,
            "message": self.message,
            "target": self.target,
            "propertyPath": self.property_path,
        })
    }
}

/// What the stand-in needs from a receipt that passed the structural checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub(crate) uuid: String,
    pub(crate) previous_uuid: Option<String>,
    pub(crate) reference_uuid: String,
    pub(crate) reference_old_uuid: String,
    pub(crate) receipt_number: String,
    pub(crate) receipt_type: String,
    pub(crate) branch_code: String,
    pub(crate) device: String,
    pub(crate) date_time_issued: String,
    pub(crate) total_amount: String,
    /// `header.documentUseReason` (a return without reference).
    pub(crate) document_use_reason: String,
    /// `header.salesIssuedDateTime` (a return without reference), as sent.
    pub(crate) sales_issued: String,
}

/// The settings the checks use.
#[derive(Debug, Clone)]
pub(crate) struct Rules<'a> {
    pub(crate) rin: &'a str,
    pub(crate) tolerance: Decimal,
    pub(crate) max_age: Option<std::time::Duration>,
    pub(crate) now: DateTime<Utc>,
}

const PAYMENT_METHODS: &[&str] = &["C", "V", "CC", "VC", "VO", "PR", "GC", "P", "O"];
/// Largest absolute value accepted for any number (keeps every calculation far from
/// `Decimal`'s limits).
const MAX_MAGNITUDE: i64 = 1_000_000_000_000;
/// Most decimal places accepted in an amount.
const MAX_DECIMALS: u32 = 5;
/// Buyer type `P` needs id and name from this total amount (receipt v1.2).
const P_BUYER_THRESHOLD: i64 = 150_000;

struct Ctx<'a> {
    rules: &'a Rules<'a>,
    errors: Vec<Detail>,
}

impl Ctx<'_> {
    fn err(&mut self, code: &'static str, path: &str, msg: impl Into<String>) {
        self.errors.push(Detail::new(code, path, msg));
    }

    fn obj<'n>(&mut self, parent: &'n Node, name: &str, path: &str) -> Option<&'n Node> {
        match parent.get(name) {
            Some(n) if n.is_object() => Some(n),
            Some(_) => {
                self.err("BadStructure", path, format!("{name} must be an object"));
                None
            }
            None => {
                self.err("BadStructure", path, format!("{name} is mandatory"));
                None
            }
        }
    }

    /// A mandatory string (may be empty only if `allow_empty`).
    fn text(&mut self, parent: &Node, name: &str, path: &str, allow_empty: bool) -> Option<String> {
        match parent.get(name).map(|n| &n.kind) {
            Some(Kind::Str(s)) if allow_empty || !s.trim().is_empty() => Some(s.clone()),
            Some(Kind::Str(_)) => {
                self.err("BadStructure", path, format!("{name} must not be empty"));
                None
            }
            Some(_) => {
                self.err(
                    "BadStructure",
                    path,
                    format!("{name} must be a JSON string"),
                );
                None
            }
            None => {
                self.err("BadStructure", path, format!("{name} is mandatory"));
                None
            }
        }
    }

    fn opt_text(&mut self, parent: &Node, name: &str, path: &str) -> Option<String> {
        match parent.get(name).map(|n| &n.kind) {
            None => None,
            Some(Kind::Str(s)) => Some(s.clone()),
            Some(_) => {
                self.err(
                    "BadStructure",
                    path,
                    format!("{name} must be a JSON string"),
                );
                None
            }
        }
    }

    /// A number (JSON number, at most 5 decimals); `None` when absent (reported if mandatory).
    fn num(&mut self, parent: &Node, name: &str, path: &str, mandatory: bool) -> Option<Decimal> {
        let node = match parent.get(name) {
            Some(n) => n,
            None => {
                if mandatory {
                    self.err("BadStructure", path, format!("{name} is mandatory"));
                }
                return None;
            }
        };
        let Some(lit) = node.as_num() else {
            self.err(
                "BadStructure",
                path,
                format!("{name} must be a JSON number"),
            );
            return None;
        };
        let value = lit
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(lit))
            .ok();
        match value {
            None => {
                self.err(
                    "BadStructure",
                    path,
                    format!("{name} = {lit} is not a usable decimal"),
                );
                None
            }
            Some(v) if v.abs() > Decimal::from(MAX_MAGNITUDE) => {
                self.err(
                    "BadStructure",
                    path,
                    format!("{name} = {lit} is larger than {MAX_MAGNITUDE}"),
                );
                None
            }
            Some(v) if v.scale() > MAX_DECIMALS => {
                self.err(
                    "BadStructure",
                    path,
                    format!("{name} = {lit} has more than {MAX_DECIMALS} decimal places"),
                );
                None
            }
            Some(v) => Some(v),
        }
    }

    fn array<'n>(
        &mut self,
        parent: &'n Node,
        name: &str,
        path: &str,
        mandatory: bool,
    ) -> &'n [Node] {
        match parent.get(name) {
            Some(n) => match n.as_array() {
                Some(items) => items,
                None => {
                    self.err("BadStructure", path, format!("{name} must be an array"));
                    &[]
                }
            },
            None => {
                if mandatory {
                    self.err("BadStructure", path, format!("{name} is mandatory"));
                }
                &[]
            }
        }
    }

    fn close(&mut self, path: &str, what: &str, actual: Option<Decimal>, expected: Decimal) {
        if let Some(a) = actual
            && (a - expected).abs() > self.rules.tolerance
        {
            self.err(
                "CalculationError",
                path,
                format!(
                    "{what}: expected {} (within {}), got {a}",
                    expected.normalize(),
                    self.rules.tolerance
                ),
            );
        }
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks everything that needs no state; returns the facts and the problems found.
pub(crate) fn check(receipt: &Node, rules: &Rules<'_>) -> (Facts, Vec<Detail>) {
    let mut c = Ctx {
        rules,
        errors: Vec::new(),
    };
    let mut f = Facts::default();
    if !receipt.is_object() {
        c.err("BadStructure", "", "a receipt must be a JSON object");
        return (f, c.errors);
    }

    // header
    // EGP per unit of the receipt's currency: the buyer threshold is compared in EGP.
    let mut egp_rate = Decimal::ONE;
    if let Some(h) = c.obj(receipt, "header", "header") {
        if let Some(dt) = c.text(h, "dateTimeIssued", "header.dateTimeIssued", false) {
            check_date(&mut c, &dt);
            f.date_time_issued = dt;
        }
        f.receipt_number = c
            .text(h, "receiptNumber", "header.receiptNumber", false)
            .unwrap_or_default();
        if f.receipt_number.chars().count() > 50 {
            c.err(
                "BadStructure",
                "header.receiptNumber",
                "receiptNumber is longer than 50 characters",
            );
        }
        if let Some(u) = c.text(h, "uuid", "header.uuid", false) {
            if !is_hex64(&u) {
                c.err(
                    "InvalidUuid",
                    "header.uuid",
                    "uuid must be 64 lowercase hexadecimal characters",
                );
            }
            f.uuid = u;
        }
        f.previous_uuid = c.text(h, "previousUUID", "header.previousUUID", true);
        if let Some(p) = &f.previous_uuid
            && !p.is_empty()
            && !is_hex64(p)
        {
            c.err(
                "InvalidChain",
                "header.previousUUID",
                "previousUUID must be \"\" or 64 lowercase hexadecimal characters",
            );
        }
        f.reference_uuid = c
            .opt_text(h, "referenceUUID", "header.referenceUUID")
            .unwrap_or_default();
        f.document_use_reason = c
            .opt_text(h, "documentUseReason", "header.documentUseReason")
            .unwrap_or_default();
        f.sales_issued = c
            .opt_text(h, "salesIssuedDateTime", "header.salesIssuedDateTime")
            .unwrap_or_default();
        let old = c.opt_text(h, "referenceOldUUID", "header.referenceOldUUID");
        f.reference_old_uuid = old.clone().unwrap_or_default();
        if let Some(old) = old
            && !old.is_empty()
            && !is_hex64(&old)
        {
            c.err(
                "BadStructure",
                "header.referenceOldUUID",
                "referenceOldUUID must be \"\" or 64 lowercase hexadecimal characters",
            );
        }
        if let Some(cur) = c.text(h, "currency", "header.currency", false) {
            if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_uppercase()) {
                c.err(
                    "CodeValidationError",
                    "header.currency",
                    "currency must be an ISO 4217 code such as EGP",
                );
            } else if cur != "EGP" {
                match c.num(h, "exchangeRate", "header.exchangeRate", true) {
                    Some(r) if r > Decimal::ZERO => egp_rate = r,
                    Some(_) => c.err(
                        "CoreFieldsError",
                        "header.exchangeRate",
                        "exchangeRate must be greater than 0 when currency is not EGP",
                    ),
                    None => {}
                }
            } else {
                c.num(h, "exchangeRate", "header.exchangeRate", false);
            }
        }
    }

    // documentType
    if let Some(dtype) = c.obj(receipt, "documentType", "documentType") {
        if let Some(t) = c.text(dtype, "receiptType", "documentType.receiptType", false) {
            match t.as_str() {
                "s" | "S" | "r" | "R" => f.receipt_type = t.to_ascii_lowercase(),
                "RWR" => f.receipt_type = t,
                other => c.err(
                    "CodeValidationError",
                    "documentType.receiptType",
                    format!("receiptType {other} is not accepted (s, r or RWR)"),
                ),
            }
        }
        if f.receipt_type == "RWR" {
            check_unreferenced(&mut c, &f);
        }
        if let Some(v) = c.text(dtype, "typeVersion", "documentType.typeVersion", false)
            && v != "1.2"
        {
            c.err(
                "CoreFieldsError",
                "documentType.typeVersion",
                format!("typeVersion must be 1.2, not {v}"),
            );
        }
    }

    // seller
    if let Some(s) = c.obj(receipt, "seller", "seller") {
        if let Some(rin) = c.text(s, "rin", "seller.rin", false)
            && rin != rules.rin
        {
            c.err(
                "CoreFieldsError",
                "seller.rin",
                "seller.rin must be the registration number of the authenticated taxpayer",
            );
        }
        c.text(s, "companyTradeName", "seller.companyTradeName", false);
        f.branch_code = c
            .text(s, "branchCode", "seller.branchCode", false)
            .unwrap_or_default();
        if let Some(a) = c.obj(s, "branchAddress", "seller.branchAddress") {
            for k in [
                "country",
                "governate",
                "regionCity",
                "street",
                "buildingNumber",
            ] {
                c.text(a, k, &format!("seller.branchAddress.{k}"), false);
            }
            if let Some(Kind::Str(country)) = a.get("country").map(|n| &n.kind)
                && (country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()))
            {
                c.err(
                    "CodeValidationError",
                    "seller.branchAddress.country",
                    "country must be an ISO 3166 alpha-2 code such as EG",
                );
            }
        }
        f.device = c
            .text(s, "deviceSerialNumber", "seller.deviceSerialNumber", false)
            .unwrap_or_default();
        c.text(s, "activityCode", "seller.activityCode", false);
    }

    // items and totals
    let totals = check_amounts(&mut c, receipt);
    f.total_amount = receipt
        .get("totalAmount")
        .and_then(Node::as_num)
        .unwrap_or("")
        .to_string();

    // buyer
    if let Some(b) = c.obj(receipt, "buyer", "buyer")
        && let Some(t) = c.text(b, "type", "buyer.type", false)
    {
        let id = c.opt_text(b, "id", "buyer.id").unwrap_or_default();
        let name = c.opt_text(b, "name", "buyer.name").unwrap_or_default();
        match t.as_str() {
            "B" => {
                if !digits(&id, 9) {
                    c.err(
                        "CoreFieldsError",
                        "buyer.id",
                        "buyer type B needs id = the 9-digit registration number",
                    );
                }
                if name.trim().is_empty() {
                    c.err("CoreFieldsError", "buyer.name", "buyer type B needs a name");
                }
            }
            "F" => {
                if id.trim().is_empty() || name.trim().is_empty() {
                    c.err(
                        "CoreFieldsError",
                        "buyer.id",
                        "buyer type F needs id and name",
                    );
                }
            }
            "P" => {
                let over = totals.is_some_and(|t| t * egp_rate >= Decimal::from(P_BUYER_THRESHOLD));
                if over && (!digits(&id, 14) || name.trim().is_empty()) {
                    c.err("CoreFieldsError", "buyer.id", "buyer type P with totalAmount >= 150000 EGP (totalAmount × exchangeRate in another currency) needs the 14-digit national id and a name");
                } else if !id.is_empty() && !digits(&id, 14) {
                    c.err(
                        "CoreFieldsError",
                        "buyer.id",
                        "buyer type P: id must be a 14-digit national id or empty",
                    );
                }
            }
            other => c.err(
                "CodeValidationError",
                "buyer.type",
                format!("buyer type {other} is not B, P or F"),
            ),
        }
    }

    if let Some(pm) = c.text(receipt, "paymentMethod", "paymentMethod", false)
        && !PAYMENT_METHODS.contains(&pm.as_str())
    {
        c.err(
            "CodeValidationError",
            "paymentMethod",
            format!(
                "paymentMethod {pm} is not a payment method code (C, V, CC, VC, VO, PR, GC, P, O)"
            ),
        );
    }
    (f, c.errors)
}

/// A return without reference (`RWR`) names no sale receipt: it carries why it is issued
/// (`documentUseReason`) and when the sale was made (`salesIssuedDateTime`, UTC, not after the
/// return). The stand-in is strict: both are required and `referenceUUID` must be absent.
fn check_unreferenced(c: &mut Ctx<'_>, f: &Facts) {
    if !f.reference_uuid.is_empty() {
        c.err(
            "InvalidReference",
            "header.referenceUUID",
            "a return without reference (RWR) must not carry a referenceUUID",
        );
    }
    if f.document_use_reason.trim().is_empty() {
        c.err(
            "CoreFieldsError",
            "header.documentUseReason",
            "documentUseReason is mandatory on a return without reference (RWR)",
        );
    }
    let sold = NaiveDateTime::parse_from_str(&f.sales_issued, "%Y-%m-%dT%H:%M:%SZ")
        .ok()
        .filter(|_| f.sales_issued.len() == 20)
        .map(|t| t.and_utc());
    let issued = NaiveDateTime::parse_from_str(&f.date_time_issued, "%Y-%m-%dT%H:%M:%SZ")
        .ok()
        .map(|t| t.and_utc());
    match (sold, issued) {
        (None, _) => c.err(
            "CoreFieldsError",
            "header.salesIssuedDateTime",
            "salesIssuedDateTime is mandatory on a return without reference (RWR), UTC in the form YYYY-MM-DDTHH:MM:SSZ",
        ),
        (Some(sold), Some(issued)) if sold > issued => c.err(
            "CoreFieldsError",
            "header.salesIssuedDateTime",
            "salesIssuedDateTime is after the return's dateTimeIssued",
        ),
        _ => {}
    }
}

fn check_date(c: &mut Ctx<'_>, dt: &str) {
    let parsed = NaiveDateTime::parse_from_str(dt, "%Y-%m-%dT%H:%M:%SZ");
    let Ok(naive) = parsed else {
        c.err(
            "CoreFieldsError",
            "header.dateTimeIssued",
            "dateTimeIssued must be UTC in the form YYYY-MM-DDTHH:MM:SSZ",
        );
        return;
    };
    if dt.len() != 20 {
        c.err(
            "CoreFieldsError",
            "header.dateTimeIssued",
            "dateTimeIssued must be UTC in the form YYYY-MM-DDTHH:MM:SSZ",
        );
        return;
    }
    let issued = naive.and_utc();
    if issued > c.rules.now {
        c.err(
            "CoreFieldsError",
            "header.dateTimeIssued",
            "dateTimeIssued is in the future",
        );
    }
    if let Some(max) = c.rules.max_age
        && let Ok(max) = chrono::Duration::from_std(max)
        && c.rules.now - issued > max
    {
        c.err(
            "CoreFieldsError",
            "header.dateTimeIssued",
            format!(
                "receipts must be submitted within {} hours of dateTimeIssued",
                max.num_hours()
            ),
        );
    }
}

/// Checks lines and totals; returns `totalAmount` when readable.
fn check_amounts(c: &mut Ctx<'_>, r: &Node) -> Option<Decimal> {
    let items = c.array(r, "itemData", "itemData", true);
    if r.get("itemData").is_some() && (items.is_empty() || items.len() > 300) {
        c.err(
            "BadStructure",
            "itemData",
            "itemData must have 1 to 300 lines",
        );
    }
    let hundred = Decimal::from(100);
    let (mut sum_total_sale, mut sum_net, mut sum_total) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut sum_commercial, mut sum_item_disc) = (Decimal::ZERO, Decimal::ZERO);
    let mut tax_sums: Vec<(String, Decimal)> = Vec::new();
    let mut lines_ok = true;
    for (i, it) in items.iter().enumerate() {
        let p = format!("itemData[{i}]");
        if !it.is_object() {
            c.err("BadStructure", &p, "an itemData line must be an object");
            lines_ok = false;
            continue;
        }
        for k in ["internalCode", "description", "unitType"] {
            c.text(it, k, &format!("{p}.{k}"), false);
        }
        match c
            .text(it, "itemType", &format!("{p}.itemType"), false)
            .as_deref()
        {
            Some("GS1") | None => {
                c.text(it, "itemCode", &format!("{p}.itemCode"), false);
            }
            Some("EGS") => {
                if let Some(code) = c.text(it, "itemCode", &format!("{p}.itemCode"), false) {
                    let prefix = format!("EG-{}-", c.rules.rin);
                    if !code.starts_with(&prefix) || code.len() == prefix.len() {
                        c.err(
                            "CodeValidationError",
                            &format!("{p}.itemCode"),
                            format!("an EGS itemCode must look like {prefix}<code>"),
                        );
                    }
                }
            }
            Some(other) => c.err(
                "CodeValidationError",
                &format!("{p}.itemType"),
                format!("itemType {other} is not GS1 or EGS"),
            ),
        }
        let qty = c.num(it, "quantity", &format!("{p}.quantity"), true);
        let price = c.num(it, "unitPrice", &format!("{p}.unitPrice"), true);
        let total_sale = c.num(it, "totalSale", &format!("{p}.totalSale"), true);
        let net_sale = c.num(it, "netSale", &format!("{p}.netSale"), true);
        let total = c.num(it, "total", &format!("{p}.total"), true);
        let value_diff = c
            .num(
                it,
                "valueDifference",
                &format!("{p}.valueDifference"),
                false,
            )
            .unwrap_or_default();
        if qty.is_some_and(|q| q <= Decimal::ZERO) {
            c.err(
                "CoreFieldsError",
                &format!("{p}.quantity"),
                "quantity must be greater than 0",
            );
        }
        if price.is_some_and(|q| q < Decimal::ZERO) {
            c.err(
                "CoreFieldsError",
                &format!("{p}.unitPrice"),
                "unitPrice must not be negative",
            );
        }
        let discounts = |c: &mut Ctx<'_>, name: &str| {
            let mut sum = Decimal::ZERO;
            for (j, d) in c
                .array(it, name, &format!("{p}.{name}"), false)
                .iter()
                .enumerate()
            {
                let dp = format!("{p}.{name}[{j}]");
                c.text(d, "description", &format!("{dp}.description"), false);
                match c.num(d, "amount", &format!("{dp}.amount"), true) {
                    Some(a) if a < Decimal::ZERO => c.err(
                        "CoreFieldsError",
                        &format!("{dp}.amount"),
                        "a discount amount must not be negative",
                    ),
                    Some(a) => sum += a,
                    None => {}
                }
            }
            sum
        };
        let commercial = discounts(c, "commercialDiscountData");
        let item_disc = discounts(c, "itemDiscountData");
        let mut taxes = Vec::new();
        for (j, t) in c
            .array(it, "taxableItems", &format!("{p}.taxableItems"), false)
            .iter()
            .enumerate()
        {
            let tp = format!("{p}.taxableItems[{j}]");
            let ty = c.text(t, "taxType", &format!("{tp}.taxType"), false);
            c.text(t, "subType", &format!("{tp}.subType"), false);
            let amount = c.num(t, "amount", &format!("{tp}.amount"), true);
            let rate = c.num(t, "rate", &format!("{tp}.rate"), true);
            if rate.is_some_and(|r| r < Decimal::ZERO || r > hundred) {
                c.err(
                    "CoreFieldsError",
                    &format!("{tp}.rate"),
                    "rate must be between 0 and 100",
                );
            }
            if let Some(ty) = &ty {
                let valid = ty
                    .strip_prefix('T')
                    .and_then(|n| n.parse::<u8>().ok())
                    .is_some_and(|n| (1..=20).contains(&n));
                if !valid {
                    c.err(
                        "CodeValidationError",
                        &format!("{tp}.taxType"),
                        format!("taxType {ty} is not T1 to T20"),
                    );
                } else if taxes.iter().any(|(t, _, _, _): &(String, _, _, _)| t == ty) {
                    c.err(
                        "CoreFieldsError",
                        &format!("{tp}.taxType"),
                        format!("tax type {ty} appears twice on one line"),
                    );
                }
            }
            if let (Some(ty), Some(amount)) = (ty, amount) {
                taxes.push((ty, amount, rate, tp));
            } else {
                lines_ok = false;
            }
        }
        let (Some(qty), Some(price), Some(total_sale), Some(net_sale), Some(total)) =
            (qty, price, total_sale, net_sale, total)
        else {
            lines_ok = false;
            continue;
        };
        c.close(
            &format!("{p}.totalSale"),
            "totalSale = quantity x unitPrice",
            Some(total_sale),
            qty * price,
        );
        c.close(
            &format!("{p}.netSale"),
            "netSale = totalSale - commercial discounts",
            Some(net_sale),
            total_sale - commercial,
        );
        let table_taxes: Decimal = taxes
            .iter()
            .filter(|(t, ..)| t == "T2" || t == "T3")
            .map(|(_, a, ..)| *a)
            .sum();
        // ETA's main calculations: the taxable fees T5–T12 are in the VAT base; the
        // non-taxable fees T13–T20 are not.
        let taxable_fees: Decimal = taxes
            .iter()
            .filter(|(t, ..)| {
                t.strip_prefix('T')
                    .and_then(|n| n.parse::<u8>().ok())
                    .is_some_and(|n| (5..=12).contains(&n))
            })
            .map(|(_, a, ..)| *a)
            .sum();
        let mut added = Decimal::ZERO;
        let mut withheld = Decimal::ZERO;
        for (ty, amount, rate, tp) in &taxes {
            match (ty.as_str(), rate) {
                ("T1", Some(rate)) => c.close(
                    &format!("{tp}.amount"),
                    "T1 amount = (netSale + taxable fees T5-T12 + valueDifference + T2 + T3) x rate / 100",
                    Some(*amount),
                    (net_sale + taxable_fees + value_diff + table_taxes) * rate / hundred,
                ),
                ("T4", Some(rate)) => c.close(
                    &format!("{tp}.amount"),
                    "T4 amount = (netSale - item discounts) x rate / 100",
                    Some(*amount),
                    (net_sale - item_disc) * rate / hundred,
                ),
                _ => {}
            }
            if ty == "T4" {
                withheld += *amount;
            } else {
                added += *amount;
            }
            match tax_sums.iter_mut().find(|(t, _)| t == ty) {
                Some((_, s)) => *s += *amount,
                None => tax_sums.push((ty.clone(), *amount)),
            }
        }
        c.close(
            &format!("{p}.total"),
            "total = netSale + taxes - T4 - item discounts",
            Some(total),
            net_sale + added - withheld - item_disc,
        );
        sum_total_sale += total_sale;
        sum_net += net_sale;
        sum_total += total;
        sum_commercial += commercial;
        sum_item_disc += item_disc;
    }

    let total_sales = c.num(r, "totalSales", "totalSales", true);
    let net_amount = c.num(r, "netAmount", "netAmount", true);
    let total_amount = c.num(r, "totalAmount", "totalAmount", true);
    let total_commercial = c.num(
        r,
        "totalCommercialDiscount",
        "totalCommercialDiscount",
        false,
    );
    let total_item_disc = c.num(r, "totalItemsDiscount", "totalItemsDiscount", false);
    for k in ["feesAmount", "adjustment"] {
        if let Some(v) = c.num(r, k, k, false)
            && !v.is_zero()
        {
            c.err("CoreFieldsError", k, format!("{k} must be 0"));
        }
    }
    let mut extra = Decimal::ZERO;
    for (j, d) in c
        .array(
            r,
            "extraReceiptDiscountData",
            "extraReceiptDiscountData",
            false,
        )
        .iter()
        .enumerate()
    {
        let dp = format!("extraReceiptDiscountData[{j}]");
        c.text(d, "description", &format!("{dp}.description"), false);
        if let Some(a) = c.num(d, "amount", &format!("{dp}.amount"), true) {
            extra += a;
        }
    }
    let tax_totals = c.array(r, "taxTotals", "taxTotals", false);
    let mut seen: Vec<String> = Vec::new();
    for (j, t) in tax_totals.iter().enumerate() {
        let tp = format!("taxTotals[{j}]");
        let ty = c.text(t, "taxType", &format!("{tp}.taxType"), false);
        let amount = c.num(t, "amount", &format!("{tp}.amount"), true);
        if let Some(ty) = ty {
            if seen.contains(&ty) {
                c.err(
                    "CoreFieldsError",
                    &format!("{tp}.taxType"),
                    format!("tax type {ty} appears twice in taxTotals"),
                );
            }
            seen.push(ty.clone());
            if lines_ok {
                let expected = tax_sums
                    .iter()
                    .find(|(t, _)| *t == ty)
                    .map(|(_, s)| *s)
                    .unwrap_or_default();
                c.close(
                    &format!("{tp}.amount"),
                    &format!("taxTotals {ty} = sum of the lines' {ty} amounts"),
                    amount,
                    expected,
                );
            }
        }
    }
    if lines_ok {
        for (ty, sum) in &tax_sums {
            if !seen.contains(ty) && !sum.is_zero() {
                c.err(
                    "CalculationError",
                    "taxTotals",
                    format!("taxTotals has no entry for tax type {ty} used on the lines"),
                );
            }
        }
        c.close(
            "totalSales",
            "totalSales = sum of totalSale",
            total_sales,
            sum_total_sale,
        );
        c.close(
            "netAmount",
            "netAmount = sum of netSale",
            net_amount,
            sum_net,
        );
        c.close(
            "totalCommercialDiscount",
            "totalCommercialDiscount = sum of commercial discounts",
            total_commercial,
            sum_commercial,
        );
        c.close(
            "totalItemsDiscount",
            "totalItemsDiscount = sum of item discounts",
            total_item_disc,
            sum_item_disc,
        );
        c.close(
            "totalAmount",
            "totalAmount = sum of line totals - extra receipt discounts",
            total_amount,
            sum_total - extra,
        );
    }
    total_amount
}
