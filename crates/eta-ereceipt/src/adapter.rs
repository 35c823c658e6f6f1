//! sync-core adapter: ETA as the engine's [`TaxAuthority`].
//!
//! [`EtaTaxAuthority`] maps the neutral [`Order`] / [`Refund`] to receipts through
//! [`mapping`](crate::mapping) (VAT backed out of tax-inclusive prices, totals exact to the
//! piaster), chains them after the `previousUUID` the engine hands in, seals them, validates
//! them, and submits them with an [`EtaClient`].
//!
//! - receipt numbers: the order name without its leading `#` for sales, and
//!   `<order name>-R<refund id>` for returns;
//! - `dateTimeIssued`: the adapter's clock at build time (the engine records the built body,
//!   so a receipt is built once), to the second, UTC;
//! - line prices: tax-inclusive orders are taken as they are; for tax-exclusive orders the
//!   amount paid per line is its net total plus its taxes;
//! - the payment method comes from the order's main gateway through [`MappingConfig`]; an
//!   unmapped gateway is a `needs_mapping("gateway:<name>")` error;
//! - each line's item code comes from [`MappingConfig::item_codes`] (with codes read from an
//!   [`ItemCodeSource`], such as the ERP's item master, when one is set); with
//!   [`EtaTaxAuthority::with_code_check`], a receipt whose codes are not all registered and
//!   active at ETA is not issued: the job parks on `eta-item-code:<code>`, naming the item;
//! - the buyer comes from the order's buyer facts by [`MappingConfig::buyer`] (a B2B company
//!   or a tagged customer is a business or a foreigner; the id from the configured sources in
//!   their order); a buyer without what ETA needs for its type (a person: from 150,000 EGP,
//!   compared in EGP) is not issued: the job parks on `buyer-id:<receipt number>` with a
//!   reason naming where the connector looked;
//! - an EGP shop's order paid in another currency is issued in that currency, with
//!   `exchangeRate` from the order's EGP and presentment totals (5 decimals); a shop whose own
//!   currency is not EGP, and the returns of such sales, park on `currency:<code>`;
//! - a receipt that fails [`crate::validate::validate`] is a permanent error naming
//!   every problem;
//! - the state store is a cache: `find_receipt` looks a sale's or return's receipt up at ETA
//!   by its receipt number (Get Recent Receipts, `ReceiptNumber` + `PosSerialNumber`), and
//!   `chain_tail` finds the device's last receipt there (the newest received, the one no
//!   other names as `previousUUID`); both read at most a few pages of 100.

mod buyer;

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use sync_core::clock::{Clock, TokioClock};
use sync_core::connector::{
    BuiltReceipt, ConnectorError, ConnectorResult, SubmitOutcome, TaxAuthority,
};
use sync_core::model::{self, Order, OrderLine, ReceiptState, Refund};

use crate::client::{EtaClient, SubmissionBatch, SubmissionResult};
use crate::code_check::{CodeCheck, CodedLine, ItemCodeSource};
use crate::codes::PaymentMethod;
use crate::mapping::{
    GoodwillCredit, MappingConfig, MappingError, RefundedLine, Sale, SaleLine, SaleRefund,
    SaleShipping, map_refund, map_sale,
};
use crate::model::{Receipt, Seller};
use crate::validate::{ValidationOptions, validate};

/// ETA behind the engine's tax-authority trait, for one POS device.
pub struct EtaTaxAuthority {
    client: EtaClient,
    seller: Seller,
    /// The configuration's mapping, with the gateways mapped since ([`Self::map_gateway`]).
    base: RwLock<MappingConfig>,
    config: RwLock<Arc<MappingConfig>>,
    clock: Arc<dyn Clock>,
    verdict_waits: Vec<Duration>,
    code_check: Option<CodeCheck>,
    code_source: Option<SourceState>,
}

/// An [`ItemCodeSource`] and when it was last read.
struct SourceState {
    source: Arc<dyn ItemCodeSource>,
    keep: Duration,
    read: tokio::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// SKUs whose code from the source is malformed, with the rule.
    bad: RwLock<Vec<(String, String)>>,
}

impl fmt::Debug for EtaTaxAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtaTaxAuthority")
            .field("device", &self.seller.device_serial_number)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl EtaTaxAuthority {
    /// An adapter issuing receipts of `seller` (whose `deviceSerialNumber` must be the
    /// client's POS serial) with `config`.
    pub fn new(client: EtaClient, seller: Seller, config: MappingConfig) -> Self {
        EtaTaxAuthority {
            client,
            seller,
            config: RwLock::new(Arc::new(config.clone())),
            base: RwLock::new(config),
            clock: Arc::new(TokioClock),
            code_check: None,
            code_source: None,
            verdict_waits: vec![
                Duration::ZERO,
                Duration::from_secs(1),
                Duration::from_secs(2),
            ],
        }
    }

    /// How long `submit` waits before each reading of the submission's details for the
    /// receipts' final status (ETA decides Valid or Invalid after its synchronous checks).
    /// Receipts still undecided after the last reading are answered pending, and the engine
    /// looks them up later (never sending them again). Default: at once, after 1 s, after 2 s
    /// more. An empty list never waits (every accepted receipt is answered pending).
    pub fn with_verdict_waits(mut self, waits: Vec<Duration>) -> Self {
        self.verdict_waits = waits;
        self
    }

    /// Reads the submissions' details (after each wait) until no receipt of `out` is pending
    /// or the waits are spent. A failed reading leaves the receipts pending: the submission
    /// itself succeeded.
    async fn settle(&self, submissions: &[String], out: &mut [SubmitOutcome]) {
        for wait in &self.verdict_waits {
            if submissions.is_empty() || !out.iter().any(|o| o.state == ReceiptState::Pending) {
                return;
            }
            if !wait.is_zero() {
                self.clock.sleep(*wait).await;
            }
            for id in submissions {
                match crate::verdict::decided(&self.client, id).await {
                    Ok(decided) => {
                        for d in decided {
                            if let Some(o) = out
                                .iter_mut()
                                .find(|o| o.uuid == d.uuid && o.state == ReceiptState::Pending)
                            {
                                let long_id = o.long_id.take();
                                *o = d;
                                o.long_id = o.long_id.take().or(long_id);
                                o.submission = Some(id.clone());
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(submission = %id, error = %e, "could not read the submission's verdict; its receipts stay pending");
                        return;
                    }
                }
            }
        }
    }

    /// Checks, before each receipt is issued, that every line's item code is registered and
    /// active for the taxpayer at ETA ([`CodeCheck`]); a receipt with a code that is not parks
    /// on `eta-item-code:<code>`. Default: not checked (ETA makes such a receipt Invalid).
    pub fn with_code_check(mut self, check: CodeCheck) -> Self {
        self.code_check = Some(check);
        self
    }

    /// Reads item codes by SKU from `source` (read again after `keep`); they come before the
    /// codes of the configuration's pattern, and after the codes it lists by SKU.
    pub fn with_code_source(mut self, source: Arc<dyn ItemCodeSource>, keep: Duration) -> Self {
        self.code_source = Some(SourceState {
            source,
            keep,
            read: tokio::sync::Mutex::new(None),
            bad: RwLock::new(Vec::new()),
        });
        self
    }

    /// Maps payment gateway `gateway` (case-insensitive) to `method` from now on, as if the
    /// configuration had said so: for an operator adding a missing mapping while the adapter
    /// runs (the console). Receipts parked on `gateway:<name>` can then be issued. Kept only
    /// in memory: whoever calls this also keeps the mapping where the next start reads it.
    pub fn map_gateway(&self, gateway: &str, method: PaymentMethod) {
        let mut base = self
            .base
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *base = base.clone().gateway(gateway, method);
        let mut config = self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *config = Arc::new((**config).clone().gateway(gateway, method));
    }

    /// The mapping in force (the configuration's, with the codes read from the source).
    fn mapping(&self) -> Arc<MappingConfig> {
        self.config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads the code source again when its last reading is older than its interval.
    async fn refresh_source(&self) -> ConnectorResult<()> {
        let Some(state) = &self.code_source else {
            return Ok(());
        };
        let now = self.clock.now_utc();
        let mut read = state.read.lock().await;
        if read.is_some_and(|at| (now - at).to_std().unwrap_or_default() < state.keep) {
            return Ok(());
        }
        let pairs = state.source.item_codes().await?;
        let base = self
            .base
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut codes = base.item_codes.clone();
        let mut bad = Vec::new();
        for (sku, code) in &pairs {
            if base.item_codes.configured(sku).is_some() {
                continue; // the configuration file's own code wins
            }
            match codes.clone().with_code(sku.as_str(), code) {
                Ok(c) => codes = c,
                Err(e) => bad.push((sku.clone(), e.rule)),
            }
        }
        let mut config = base;
        config.item_codes = codes;
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(config);
        *state
            .bad
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = bad;
        *read = Some(now);
        Ok(())
    }

    /// The item-coded lines of the receipt `order` (or its `refund`) would carry.
    fn coded_lines(&self, order: &Order, refund: Option<&Refund>) -> Vec<CodedLine> {
        let config = self.mapping();
        let mut out = Vec::new();
        for line in &order.lines {
            if let Some(r) = refund
                && !r.lines.iter().any(|l| l.line_id == line.line_id)
            {
                continue;
            }
            let sku = line_sku(line);
            out.push(CodedLine {
                label: format!("line {:?} (SKU {sku})", line.title),
                code: config.item_code(&sku, None).code,
            });
        }
        let shipping = match refund {
            None => order
                .shipping_lines
                .iter()
                .any(|s| !(s.price - s.discount).is_zero()),
            Some(r) => !r.shipping.is_zero(),
        };
        if shipping {
            out.push(CodedLine {
                label: "the shipping line".into(),
                code: config.shipping_item_code().code,
            });
        }
        if refund
            .and_then(|r| r.credit(order))
            .is_some_and(|c| !c.goodwill.is_empty())
        {
            out.push(CodedLine {
                label: "the goodwill credit line".into(),
                code: config.credit_item_code().code,
            });
        }
        out
    }

    /// Sets the clock used for `dateTimeIssued`. Default [`TokioClock`].
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let now = self.clock.now_utc();
        now - chrono::Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)))
    }

    fn finish(&self, mut receipt: Receipt, previous_uuid: &str) -> ConnectorResult<BuiltReceipt> {
        receipt.header.previous_uuid = previous_uuid.to_owned();
        let options = ValidationOptions::at(self.clock.now_utc());
        buyer_identity(&receipt, &options)?;
        let problems = validate(&receipt, &options);
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(ConnectorError::permanent(format!(
                "receipt {} is not valid: {}",
                receipt.header.receipt_number,
                text.join("; ")
            )));
        }
        let total = receipt.total_amount;
        let sealed = receipt
            .seal()
            .map_err(|e| ConnectorError::permanent(e.to_string()))?;
        Ok(BuiltReceipt {
            uuid: sealed.uuid.into_inner().into(),
            previous_uuid: previous_uuid.into(),
            body: sealed.json,
            total,
        })
    }
}

/// A person buyer at or above ETA's threshold (150,000 EGP, compared in EGP) needs a national
/// id and a name. Without them the receipt is not issued: the job parks on
/// `buyer-id:<receipt number>` with the reason, until the order carries them and it is replayed.
fn buyer_identity(receipt: &Receipt, options: &ValidationOptions) -> ConnectorResult<()> {
    let buyer = &receipt.buyer;
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    let egp = crate::validate::total_in_egp(receipt);
    if buyer.buyer_type != crate::codes::BuyerType::Person
        || egp < options.person_id_threshold
        || !(blank(&buyer.id) || blank(&buyer.name))
    {
        return Ok(());
    }
    let number = &receipt.header.receipt_number;
    let missing = match (blank(&buyer.id), blank(&buyer.name)) {
        (true, true) => "no national id and no name",
        (true, false) => "no national id",
        _ => "no name",
    };
    Err(ConnectorError::needs_mapping(
        format!("buyer-id:{number}"),
        format!(
            "receipt {number}: the buyer is a person and the total is {} EGP, at or above ETA's {} EGP, \
             so ETA needs the buyer's 14-digit national id and name; the order carries {missing}: \
             add the customer's tax id and name in the shop, then replay the job",
            egp.round_dp(2),
            options.person_id_threshold
        ),
    ))
}

impl EtaTaxAuthority {
    /// The sale receipt of `order`, not chained or sealed yet.
    fn sale_receipt(&self, order: &Order) -> ConnectorResult<Receipt> {
        let number = order.name.trim_start_matches('#').to_owned();
        let config = self.mapping();
        let (sale, found) = sale_from_order(order, number, self.now(), &config)?;
        let receipt = map_sale(&config, self.seller.clone(), &sale).map_err(mapping_error)?;
        buyer::require(
            &receipt,
            &found,
            &ValidationOptions::at(self.clock.now_utc()),
        )?;
        Ok(receipt)
    }

    /// The return receipt of `refund`, referencing `sale_uuid`, not chained or sealed yet.
    fn return_receipt(
        &self,
        order: &Order,
        refund: &Refund,
        sale_uuid: &model::ReceiptUuid,
    ) -> ConnectorResult<Receipt> {
        let name = order.name.trim_start_matches('#');
        let config = self.mapping();
        if let Some(p) = order
            .presentment
            .as_ref()
            .filter(|p| p.currency != sync_core::money::Currency::EGP)
        {
            let code = p.currency.as_str();
            return Err(ConnectorError::needs_mapping(
                format!("currency:{code}"),
                format!(
                    "order {}: refund {} of a sale paid in {code}: the connector does not read \
                     refunds' {code} amounts yet, so it issues no return receipt for it",
                    order.name, refund.external_id
                ),
            ));
        }
        let (sale, found) = sale_from_order(order, name.to_owned(), self.now(), &config)?;
        let mut lines = Vec::with_capacity(refund.lines.len());
        for r in &refund.lines {
            let index = order
                .lines
                .iter()
                .position(|l| l.line_id == r.line_id)
                .ok_or_else(|| {
                    ConnectorError::permanent(format!(
                        "refund {} names line {} that order {} does not have",
                        refund.external_id, r.line_id, order.name
                    ))
                })?;
            let amount = if order.taxes_included {
                r.amount
            } else {
                r.amount + r.tax
            };
            lines.push(RefundedLine {
                line: index,
                quantity: r.quantity,
                amount_incl: Some(amount),
            });
        }
        // A refund that returns no item credits its shipping and goodwill, split as the
        // ERP's credit document splits them (`Refund::credit`).
        let (shipping_incl, goodwill) = match refund.credit(order) {
            Some(credit) => (
                credit.shipping,
                credit
                    .goodwill
                    .iter()
                    .map(|p| GoodwillCredit {
                        amount_incl: p.amount,
                        vat_rate: (p.rate * Decimal::ONE_HUNDRED).normalize(),
                    })
                    .collect(),
            ),
            None => (refund.shipping, Vec::new()),
        };
        let sale_refund = SaleRefund {
            receipt_number: format!("{name}-R{}", refund.external_id),
            issued: self.now(),
            lines,
            shipping_incl,
            goodwill,
        };
        let receipt = map_refund(
            &config,
            self.seller.clone(),
            &sale,
            &sale_refund,
            sale_uuid.as_str(),
        )
        .map_err(mapping_error)?;
        buyer::require(
            &receipt,
            &found,
            &ValidationOptions::at(self.clock.now_utc()),
        )?;
        Ok(receipt)
    }
}

/// `header.documentUseReason` of a return without reference.
const UNREFERENCED_REASON: &str = "refund of a sale made before e-receipts were issued for it";

fn mapping_error(e: MappingError) -> ConnectorError {
    if e.needs_mapping() {
        let gateway = e.rule.split('"').nth(1).unwrap_or_default().to_lowercase();
        ConnectorError::needs_mapping(format!("gateway:{gateway}"), e.to_string())
    } else {
        ConnectorError::permanent(e.to_string())
    }
}

fn vat_percent(line_rates: impl Iterator<Item = Decimal>) -> Decimal {
    line_rates.sum::<Decimal>() * Decimal::ONE_HUNDRED
}

/// The SKU a line is mapped by: its SKU, else its line id.
fn line_sku(line: &OrderLine) -> String {
    line.sku
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| line.line_id.to_string())
}

fn sale_line(order: &Order, line: &OrderLine) -> ConnectorResult<SaleLine> {
    let vat = vat_percent(line.tax_lines.iter().map(|t| t.rate)).normalize();
    let sku = line_sku(line);
    let mut out = SaleLine::new(sku, line.title.clone(), line.quantity, line.unit_price, vat);
    if order.taxes_included {
        out.discount_incl = line.discount;
    } else {
        let paid = line.net_total() + line.tax_lines.iter().map(|t| t.amount).sum::<Decimal>();
        out.unit_price_incl = line.unit_price * (Decimal::ONE + vat / Decimal::ONE_HUNDRED);
        let gross = (line.quantity * out.unit_price_incl).round_dp(2);
        out.discount_incl = gross - paid;
        if out.discount_incl < Decimal::ZERO {
            return Err(ConnectorError::permanent(format!(
                "order {} line {}: the taxes charged exceed the line's rate",
                order.name, line.line_id
            )));
        }
    }
    Ok(out)
}

/// The sale of `order`: in EGP, or in the currency the customer paid in with its rate to EGP
/// (see [`buyer`]), with the buyer the configuration's rules find.
fn sale_from_order(
    order: &Order,
    number: String,
    issued: chrono::DateTime<chrono::Utc>,
    config: &MappingConfig,
) -> ConnectorResult<(Sale, buyer::BuyerLookup)> {
    let currency = buyer::sale_currency(order)?;
    let (order_lines, shipping_lines, payments) = match (&currency, &order.presentment) {
        (Some(_), Some(p)) => (&p.lines, &p.shipping_lines, &p.payments),
        _ => (&order.lines, &order.shipping_lines, &order.payments),
    };
    if order_lines.len() != order.lines.len() {
        return Err(ConnectorError::permanent(format!(
            "order {}: {} lines in the presentment currency for {} lines",
            order.name,
            order_lines.len(),
            order.lines.len()
        )));
    }
    let lines = order_lines
        .iter()
        .map(|l| sale_line(order, l))
        .collect::<ConnectorResult<Vec<_>>>()?;
    let shipping = if shipping_lines.is_empty() {
        None
    } else {
        let price: Decimal = shipping_lines
            .iter()
            .map(|s| {
                let net = s.price - s.discount;
                if order.taxes_included {
                    net
                } else {
                    net + s.tax_lines.iter().map(|t| t.amount).sum::<Decimal>()
                }
            })
            .sum();
        let rate = shipping_lines
            .iter()
            .find(|s| !s.tax_lines.is_empty())
            .map(|s| vat_percent(s.tax_lines.iter().map(|t| t.rate)).normalize())
            .unwrap_or_default();
        let titles: Vec<&str> = shipping_lines.iter().map(|s| s.title.as_str()).collect();
        Some(SaleShipping {
            description: titles.join(", "),
            price_incl: price,
            vat_rate: rate,
        })
    };
    let found = buyer::lookup(order, &config.buyer);
    let named = order.customer.is_some()
        || found.buyer.buyer_type != crate::codes::BuyerType::Person
        || found.buyer.id.is_some();
    let gateway = payments
        .iter()
        .max_by_key(|p| p.amount)
        .map(|p| p.gateway.clone())
        .unwrap_or_default();
    let sale = Sale {
        receipt_number: number,
        order_name: Some(order.name.clone()),
        issued,
        lines,
        order_discount: Decimal::ZERO,
        shipping,
        gateway,
        buyer: named.then(|| found.buyer.clone()),
        currency,
    };
    Ok((sale, found))
}

fn outcome_from_raw(uuid: &str, raw: &serde_json::Value) -> SubmitOutcome {
    let status = raw
        .get("status")
        .or_else(|| raw.get("receipt").and_then(|r| r.get("status")))
        .or_else(|| raw.get("metadata").and_then(|r| r.get("status")))
        .and_then(|s| s.as_str())
        .unwrap_or("");
    let state = crate::verdict::state_of(status).unwrap_or(ReceiptState::Pending);
    SubmitOutcome {
        uuid: uuid.into(),
        state,
        long_id: raw
            .get("longId")
            .or_else(|| raw.get("receipt").and_then(|r| r.get("longId")))
            .and_then(|s| s.as_str())
            .map(str::to_owned),
        reason: matches!(state, ReceiptState::Rejected | ReceiptState::Invalid)
            .then(|| crate::verdict::reason(raw.get("receipt").unwrap_or(raw), status)),
        submission: None,
    }
}

fn outcomes(receipts: &[BuiltReceipt], result: &SubmissionResult) -> Vec<SubmitOutcome> {
    // The submission a receipt taken for processing belongs to, when the answer names one
    // (several requests: the receipt itself is read later instead).
    let submission = match result.submission_ids.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    receipts
        .iter()
        .map(|r| {
            if let Some(a) = result.accepted.iter().find(|a| a.uuid == r.uuid) {
                // taken for processing: it passed the synchronous checks only; its final
                // status (Valid or Invalid) comes from the submission's details
                SubmitOutcome {
                    uuid: r.uuid.clone(),
                    state: ReceiptState::Pending,
                    long_id: a.long_id.clone(),
                    reason: None,
                    submission: submission.clone(),
                }
            } else if let Some(x) = result
                .rejected
                .iter()
                .find(|x| x.uuid.as_deref() == Some(r.uuid.as_str()))
            {
                SubmitOutcome {
                    uuid: r.uuid.clone(),
                    state: ReceiptState::Rejected,
                    long_id: None,
                    reason: Some(
                        x.error
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_else(|| "rejected".into()),
                    ),
                    submission: None,
                }
            } else if let Some(k) = result
                .already_known
                .iter()
                .find(|k| k.uuid.as_str() == r.uuid)
            {
                outcome_from_raw(r.uuid.as_str(), &k.raw)
            } else {
                SubmitOutcome {
                    uuid: r.uuid.clone(),
                    state: ReceiptState::Pending,
                    long_id: None,
                    reason: None,
                    submission: None,
                }
            }
        })
        .collect()
}

#[async_trait]
impl TaxAuthority for EtaTaxAuthority {
    fn device(&self) -> &str {
        &self.seller.device_serial_number
    }

    fn build_sale(
        &self,
        order: &Order,
        previous_uuid: &model::ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt> {
        self.finish(self.sale_receipt(order)?, previous_uuid.as_str())
    }

    fn build_return(
        &self,
        order: &Order,
        refund: &Refund,
        sale_uuid: &model::ReceiptUuid,
        previous_uuid: &model::ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt> {
        let receipt = self.return_receipt(order, refund, sale_uuid)?;
        self.finish(receipt, previous_uuid.as_str())
    }

    /// A return without reference (`RWR`): the refund of a sale made before the connector
    /// went live, which ETA never received. It carries `header.documentUseReason` and the
    /// sale's time in `header.salesIssuedDateTime`, and no `referenceUUID`.
    fn build_unreferenced_return(
        &self,
        order: &Order,
        refund: &Refund,
        previous_uuid: &model::ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt> {
        let mut receipt = self.return_receipt(order, refund, &model::ReceiptUuid::new(""))?;
        receipt.document_type.receipt_type = crate::codes::ReceiptType::ReturnWithoutReference;
        receipt.header.reference_uuid = None;
        receipt.header.document_use_reason = Some(UNREFERENCED_REASON.to_owned());
        receipt.header.sales_issued_date_time =
            Some(crate::builder::format_issued(order.created_at));
        self.finish(receipt, previous_uuid.as_str())
    }

    /// The receipt built again from today's data, with `header.referenceOldUUID` = the
    /// Invalid receipt's uuid, chained at the device's head.
    fn build_replacement(
        &self,
        order: &Order,
        refund: Option<(&Refund, &model::ReceiptUuid)>,
        invalid: &model::ReceiptUuid,
        previous_uuid: &model::ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt> {
        let mut receipt = match refund {
            None => self.sale_receipt(order)?,
            Some((refund, sale_uuid)) => self.return_receipt(order, refund, sale_uuid)?,
        };
        receipt.header.reference_old_uuid = Some(invalid.as_str().to_owned());
        self.finish(receipt, previous_uuid.as_str())
    }

    async fn prepare(&self, order: &Order, refund: Option<&Refund>) -> ConnectorResult<()> {
        self.refresh_source().await?;
        if let Some(state) = &self.code_source {
            let bad = state
                .bad
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            for line in &order.lines {
                let sku = line_sku(line);
                if let Some((_, rule)) = bad.iter().find(|(s, _)| *s == sku) {
                    return Err(ConnectorError::needs_mapping(
                        format!("eta-item-code:{sku}"),
                        format!(
                            "order {}: line {:?} (SKU {sku}): the item code read for it is not usable: {rule}",
                            order.name, line.title
                        ),
                    ));
                }
            }
        }
        let Some(check) = &self.code_check else {
            return Ok(());
        };
        let name = order.name.trim_start_matches('#');
        let number = match refund {
            None => name.to_owned(),
            Some(r) => format!("{name}-R{}", r.external_id),
        };
        check
            .require_active(
                self.clock.now_utc(),
                &number,
                &self.coded_lines(order, refund),
            )
            .await
    }

    async fn submit(&self, receipts: &[BuiltReceipt]) -> ConnectorResult<Vec<SubmitOutcome>> {
        let texts: Vec<&str> = receipts.iter().map(|r| r.body.as_str()).collect();
        let batch =
            SubmissionBatch::from_batch_json(&format!("{{\"receipts\":[{}]}}", texts.join(",")))
                .map_err(ConnectorError::from_client)?;
        let result = self
            .client
            .submit(&batch)
            .await
            .map_err(ConnectorError::from_client)?;
        let mut out = outcomes(receipts, &result);
        self.settle(&result.submission_ids, &mut out).await;
        Ok(out)
    }

    async fn find_receipt(
        &self,
        order: &Order,
        refund: Option<&Refund>,
    ) -> ConnectorResult<Option<SubmitOutcome>> {
        let name = order.name.trim_start_matches('#');
        let (number, kind) = match refund {
            None => (name.to_owned(), "s"),
            Some(refund) => (format!("{name}-R{}", refund.external_id), "r"),
        };
        let found = crate::recovery::find(&self.client, self.device(), &number, kind).await?;
        if found.is_some() || refund.is_none() {
            return Ok(found);
        }
        // A refund of a sale made before go-live was issued as a return without reference.
        crate::recovery::find(&self.client, self.device(), &number, "RWR").await
    }

    async fn chain_tail(&self) -> ConnectorResult<Option<model::ReceiptUuid>> {
        Ok(crate::recovery::chain_tail(&self.client, self.device())
            .await?
            .map(model::ReceiptUuid::from))
    }

    async fn lookup(&self, uuid: &model::ReceiptUuid) -> ConnectorResult<Option<SubmitOutcome>> {
        let raw = self
            .client
            .receipt_raw(uuid.as_str())
            .await
            .map_err(ConnectorError::from_client)?;
        Ok(raw.map(|raw| outcome_from_raw(uuid.as_str(), &raw)))
    }

    /// Reads the submission's details (Get Receipt Submission) when it is known, else each
    /// receipt (Get Receipt); answers the receipts of `uuids` ETA has decided.
    async fn verdicts(
        &self,
        submission: Option<&str>,
        uuids: &[model::ReceiptUuid],
    ) -> ConnectorResult<Vec<SubmitOutcome>> {
        let Some(submission) = submission else {
            let mut out = Vec::with_capacity(uuids.len());
            for uuid in uuids {
                if let Some(outcome) = self.lookup(uuid).await? {
                    out.push(outcome);
                }
            }
            return Ok(out);
        };
        let decided = crate::verdict::decided(&self.client, submission)
            .await
            .map_err(ConnectorError::from_client)?;
        Ok(decided
            .into_iter()
            .filter(|d| uuids.contains(&d.uuid))
            .map(|mut d| {
                d.submission = Some(submission.to_owned());
                d
            })
            .collect())
    }
}
