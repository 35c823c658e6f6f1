//! Sales documents: templates, building, the operation check, saving with read-back, soft
//! delete, and the exactly-once helper.
//!
//! A document is built from the operation's template (the captured field set, shipped as data
//! in `templates/` and overridable per operation) plus the fields the connector knows. Before
//! saving, the operation's live configuration (`GETOPC`) is read and a document it would
//! reject is refused locally ([`Error::Rejected`]). `ADDPOS` answers `CMDDNE,<docno>` (saved),
//! `CMDERR,<reason>` (refused) or anything else (unknown: [`Error::UncertainSave`]). After a
//! save the document is read back with `GETDOC` and compared.
//!
//! Exactly-once: [`FlowClient::save_document_exactly_once`] never resends after an uncertain
//! save before it has looked the document up by its reference (the Shopify order name) with
//! the configured read-only SQL; only a lookup that certainly finds nothing allows a resend.

use std::time::Duration;

use bytes::Bytes;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};
use sync_core::error::Classify;

use crate::client::FlowClient;
use crate::config::FlowConfig;
use crate::error::{Error, Result};
use crate::reads::{Document, DocumentHeader, OperationConfig, Record};
use crate::sql::{SqlValue, fill_template};
pub use crate::templates::DocumentTemplate;
use crate::wire::{Answer, Param, Separator, parse_answer, render_params};

/// The kind of payment on a document (checked against the operation's `CASH`/`CREDIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    /// Paid up front (cash, card, online payment).
    Cash,
    /// On account.
    Credit,
}

/// The customer on a document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    /// `DISTNO`: the customer number (`CNO`).
    pub number: String,
    /// `DISTNA`.
    pub name: Option<String>,
    /// `TEL1`.
    pub phone: Option<String>,
    /// `EMAIL`.
    pub email: Option<String>,
    /// `DISTADD`.
    pub address: Option<String>,
}

/// One document line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    /// `ITNO`.
    pub item: String,
    /// `ITDES`; default the template's value.
    pub description: Option<String>,
    /// `QTY` (positive; a return is its own operation, not a negative quantity).
    pub quantity: Decimal,
    /// `ITPRICE`, the unit price.
    pub price: Decimal,
    /// `DISC1`: an amount for the whole line, or a percentage (see
    /// `documents.line_discount_is_percent`).
    pub discount: Decimal,
    /// `SALTAX`: VAT percentage.
    pub vat_percent: Decimal,
    /// The colour (written to the configured stock colour field), when the item has colours.
    pub colour: Option<String>,
    /// The size (written to the configured stock size field), when the item has sizes.
    pub size: Option<String>,
}

impl DocumentLine {
    /// A line of `quantity` × `item` at `price`, no discount, no VAT.
    pub fn new(item: impl Into<String>, quantity: Decimal, price: Decimal) -> Self {
        DocumentLine {
            item: item.into(),
            description: None,
            quantity,
            price,
            discount: Decimal::ZERO,
            vat_percent: Decimal::ZERO,
            colour: None,
            size: None,
        }
    }

    /// `ITMTOT`: quantity × price less the discount.
    pub fn total(&self, discount_is_percent: bool) -> Decimal {
        let gross = self.quantity * self.price;
        if discount_is_percent {
            gross - gross * self.discount / Decimal::ONE_HUNDRED
        } else {
            gross - self.discount
        }
    }
}

/// A sales document (or return) to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesDocument {
    /// The operation code (`SALINV`, `SALORD`, the return operation…).
    pub op: String,
    /// The reference (the Shopify order or refund name, e.g. `#1001`), written to the
    /// configured reference field and used to find the document again.
    pub reference: String,
    /// `DOCDT`.
    pub date: NaiveDate,
    /// `CONO`; default the configured company.
    pub company: Option<u32>,
    /// `STRNO`; default the configured store.
    pub store: Option<u32>,
    /// The customer.
    pub customer: Party,
    /// `EMPNO`, the sales agent; default the configured agent.
    pub agent: Option<String>,
    /// The lines (at least one).
    pub lines: Vec<DocumentLine>,
    /// `TOTSHPVAL`, the shipping value.
    pub shipping: Decimal,
    /// `TOTDISC`, a discount on the whole document.
    pub discount: Decimal,
    /// `PY`; `None` keeps the template's value.
    pub payment: Option<PaymentKind>,
    /// `RMK`.
    pub remark: Option<String>,
    /// The source document number, when the operation requires one (`SRCDOC`).
    pub source_document: Option<String>,
}

impl SalesDocument {
    /// A document of `op` with reference `reference`, dated `date`, for `customer`.
    pub fn new(
        op: impl Into<String>,
        reference: impl Into<String>,
        date: NaiveDate,
        customer: Party,
    ) -> Self {
        SalesDocument {
            op: op.into(),
            reference: reference.into(),
            date,
            company: None,
            store: None,
            customer,
            agent: None,
            lines: Vec::new(),
            shipping: Decimal::ZERO,
            discount: Decimal::ZERO,
            payment: None,
            remark: None,
            source_document: None,
        }
    }
}

/// A document Flow holds, read back after saving or finding it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedDocument {
    /// The operation code.
    pub op: String,
    /// `CONO`.
    pub company: u32,
    /// `STRNO`.
    pub store: u32,
    /// `DOCNO` (unique only within the operation).
    pub docno: String,
    /// The document as `GETDOC` returned it.
    pub document: Document,
}

/// How [`FlowClient::save_document_exactly_once`] ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveOutcome {
    /// Saved now.
    Created(SavedDocument),
    /// Already in Flow (an earlier, uncertain save had worked); not saved again.
    AlreadyPresent(SavedDocument),
}

impl SaveOutcome {
    /// The document, however it got there.
    pub fn document(&self) -> &SavedDocument {
        match self {
            SaveOutcome::Created(d) | SaveOutcome::AlreadyPresent(d) => d,
        }
    }
}

/// The result of a soft delete: the row stays in Flow with `STS = D`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftDeleted {
    /// The operation code.
    pub op: String,
    /// The document number.
    pub docno: String,
    /// The status read back (`D`).
    pub status: String,
    /// `true` when the document was already deleted before this call.
    pub already_deleted: bool,
}

fn number_like(template: Option<&Value>, amount: Decimal) -> Value {
    if matches!(template, Some(Value::String(_))) {
        return Value::String(amount.normalize().to_string());
    }
    let normalized = amount.normalize();
    if normalized.scale() == 0
        && let Some(i) = normalized.to_i64()
    {
        return Value::from(i);
    }
    normalized
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(normalized.to_string()))
}

fn id_like(template: Option<&Value>, id: &str) -> Value {
    if matches!(template, Some(Value::Number(_)))
        && let Ok(i) = id.parse::<i64>()
    {
        return Value::from(i);
    }
    Value::String(id.to_owned())
}

fn set_amount(record: &mut Record, field: &str, amount: Decimal) {
    let value = number_like(record.get(field), amount);
    record.set(field, value);
}

fn set_id(record: &mut Record, field: &str, id: &str) {
    let value = id_like(record.get(field), id);
    record.set(field, value);
}

fn set_text(record: &mut Record, field: &str, text: &str) {
    record.set(field, Value::String(text.to_owned()));
}

/// Checks the document's own rules (nothing is sent).
///
/// # Errors
///
/// [`Error::Invalid`] naming the field.
pub fn validate_document(doc: &SalesDocument) -> Result<()> {
    if doc.reference.trim().is_empty() {
        return Err(Error::invalid("reference", "must not be empty"));
    }
    if doc.customer.number.trim().is_empty() {
        return Err(Error::invalid("customer.number", "must not be empty"));
    }
    if doc.lines.is_empty() {
        return Err(Error::invalid(
            "lines",
            "a document needs at least one line",
        ));
    }
    for (i, line) in doc.lines.iter().enumerate() {
        if line.item.trim().is_empty() {
            return Err(Error::invalid(
                format!("lines[{i}].item"),
                "must not be empty",
            ));
        }
        if line.quantity <= Decimal::ZERO {
            return Err(Error::invalid(
                format!("lines[{i}].quantity"),
                "must be positive",
            ));
        }
        if line.price < Decimal::ZERO {
            return Err(Error::invalid(
                format!("lines[{i}].price"),
                "must not be negative",
            ));
        }
        if line.discount < Decimal::ZERO || line.vat_percent < Decimal::ZERO {
            return Err(Error::invalid(
                format!("lines[{i}]"),
                "discount and VAT must not be negative",
            ));
        }
    }
    if doc.shipping < Decimal::ZERO || doc.discount < Decimal::ZERO {
        return Err(Error::invalid("shipping/discount", "must not be negative"));
    }
    Ok(())
}

/// Refuses a document that the operation's live configuration would reject: a required
/// source document missing, VAT on an operation without sales tax, a payment kind the
/// operation does not allow.
///
/// # Errors
///
/// [`Error::Rejected`] naming the rule.
pub fn check_against_operation(op: &OperationConfig, doc: &SalesDocument) -> Result<()> {
    let reject = |rule: String| Error::Rejected {
        op: doc.op.clone(),
        rule,
    };
    if let Some(source) = &op.source_op
        && doc.source_document.as_deref().is_none_or(str::is_empty)
    {
        return Err(reject(format!(
            "it requires a source document of operation {source} (SRCDOC), and none is given"
        )));
    }
    if op.sales_tax == Some(false)
        && let Some((i, line)) = doc
            .lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.vat_percent > Decimal::ZERO)
    {
        return Err(reject(format!(
            "lines[{i}] carries VAT {}% but the operation has no sales tax (SALTAX off)",
            line.vat_percent.normalize()
        )));
    }
    match doc.payment {
        Some(PaymentKind::Cash) if op.cash == Some(false) => {
            Err(reject("cash payment is not allowed (CASH off)".into()))
        }
        Some(PaymentKind::Credit) if op.credit == Some(false) => {
            Err(reject("credit payment is not allowed (CREDIT off)".into()))
        }
        _ => Ok(()),
    }
}

/// Builds the `ADDPOS` payload of `doc` from `template` and the configuration.
///
/// # Errors
///
/// [`Error::Invalid`] when the document breaks its own rules.
pub fn build_payload(
    config: &FlowConfig,
    template: &DocumentTemplate,
    doc: &SalesDocument,
) -> Result<Value> {
    validate_document(doc)?;
    let d = &config.documents;
    let mut header = template.header.clone();
    set_text(&mut header, "OP", &doc.op);
    set_amount(&mut header, "DOCNO", Decimal::ZERO);
    set_text(
        &mut header,
        "DOCDT",
        &doc.date.format(&d.date_format).to_string(),
    );
    let company = doc.company.unwrap_or(config.tenant.company);
    let store = doc.store.unwrap_or(config.tenant.store);
    set_amount(&mut header, "CONO", Decimal::from(company));
    set_amount(&mut header, "STRNO", Decimal::from(store));
    set_id(&mut header, "DISTNO", &doc.customer.number);
    let optional = [
        ("DISTNA", &doc.customer.name),
        ("TEL1", &doc.customer.phone),
        ("EMAIL", &doc.customer.email),
        ("DISTADD", &doc.customer.address),
    ];
    for (field, value) in optional {
        if let Some(value) = value {
            set_text(&mut header, field, value);
        }
    }
    if let Some(agent) = doc.agent.as_ref().or(config.tenant.agent.as_ref()) {
        set_id(&mut header, "EMPNO", agent);
    }
    if let Some(remark) = &doc.remark {
        set_text(&mut header, "RMK", remark);
    }
    // The reference last, so it wins when it shares the remark field.
    set_text(&mut header, &d.reference_field, &doc.reference);
    set_amount(&mut header, "TOTSHPVAL", doc.shipping);
    set_amount(&mut header, "TOTDISC", doc.discount);
    if let Some(kind) = doc.payment {
        let code = match kind {
            PaymentKind::Cash => &d.payment_codes.cash,
            PaymentKind::Credit => &d.payment_codes.credit,
        };
        set_id(&mut header, "PY", code);
    }
    if let Some(source) = &doc.source_document {
        set_id(&mut header, &d.source_field, source);
    }
    let mut lines = Vec::with_capacity(doc.lines.len());
    for line in &doc.lines {
        let mut l = template.line.clone();
        set_id(&mut l, "ITNO", &line.item);
        if let Some(description) = &line.description {
            set_text(&mut l, "ITDES", description);
        }
        set_amount(&mut l, "QTY", line.quantity);
        set_amount(&mut l, "ITPRICE", line.price);
        set_amount(&mut l, "DISC1", line.discount);
        set_amount(&mut l, "SALTAX", line.vat_percent);
        set_amount(&mut l, "ITMTOT", line.total(d.line_discount_is_percent));
        if let Some(colour) = &line.colour {
            set_id(&mut l, &config.stock.colour_field, colour);
        }
        if let Some(size) = &line.size {
            set_id(&mut l, &config.stock.size_field, size);
        }
        lines.push(Value::Object(l.0));
    }
    let mut out: Map<String, Value> = header.0;
    out.insert("DTL".to_owned(), Value::Array(lines));
    Ok(Value::Object(out))
}

fn same_text(a: Option<String>, b: Option<String>) -> bool {
    a.unwrap_or_default().trim() == b.unwrap_or_default().trim()
}

fn same_amount(a: Option<Decimal>, b: Option<Decimal>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.round_dp(4) == b.round_dp(4),
        (None, None) => true,
        _ => false,
    }
}

/// Compares what was sent with what `GETDOC` returned: operation, company, store, customer,
/// reference (when the read-back carries the field) and, per line, item, quantity and price.
/// Returns one entry per difference.
pub fn compare_read_back(config: &FlowConfig, sent: &Value, read: &Document) -> Vec<String> {
    let mut diffs = Vec::new();
    let Some(sent) = sent.as_object() else {
        return vec!["payload is not an object".into()];
    };
    let sent_header = Record(sent.clone());
    for field in ["OP", "CONO", "STRNO", "DISTNO"] {
        if read.header.get(field).is_some()
            && !same_text(sent_header.text(field), read.header.text(field))
        {
            diffs.push(format!(
                "{field}: sent {:?}, read {:?}",
                sent_header.text(field).unwrap_or_default(),
                read.header.text(field).unwrap_or_default()
            ));
        }
    }
    let reference = &config.documents.reference_field;
    if read.header.get(reference).is_some()
        && !same_text(sent_header.text(reference), read.header.text(reference))
    {
        diffs.push(format!(
            "{reference}: sent {:?}, read {:?}",
            sent_header.text(reference).unwrap_or_default(),
            read.header.text(reference).unwrap_or_default()
        ));
    }
    let sent_lines: Vec<Record> = sent_header
        .get("DTL")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .filter_map(|l| l.as_object().cloned().map(Record))
                .collect()
        })
        .unwrap_or_default();
    if sent_lines.len() != read.lines.len() {
        diffs.push(format!(
            "DTL: sent {} lines, read {}",
            sent_lines.len(),
            read.lines.len()
        ));
        return diffs;
    }
    for (i, (s, r)) in sent_lines.iter().zip(&read.lines).enumerate() {
        if !same_text(s.text("ITNO"), r.text("ITNO")) {
            diffs.push(format!(
                "DTL[{i}].ITNO: sent {:?}, read {:?}",
                s.text("ITNO").unwrap_or_default(),
                r.text("ITNO").unwrap_or_default()
            ));
        }
        for field in ["QTY", "ITPRICE"] {
            if !same_amount(s.decimal(field), r.decimal(field)) {
                diffs.push(format!(
                    "DTL[{i}].{field}: sent {}, read {}",
                    s.text(field).unwrap_or_default(),
                    r.text(field).unwrap_or_default()
                ));
            }
        }
    }
    diffs
}

impl FlowClient {
    /// The template used for operation `op`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when there is none.
    pub fn template(&self, op: &str) -> Result<&DocumentTemplate> {
        self.inner.templates.document(op)
    }

    /// Builds the `ADDPOS` payload of `doc` (nothing is sent).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the document breaks its own rules or has no template.
    pub fn build_document(&self, doc: &SalesDocument) -> Result<Value> {
        build_payload(&self.inner.config, self.template(&doc.op)?, doc)
    }

    fn place(&self, doc: &SalesDocument) -> (u32, u32) {
        (
            doc.company.unwrap_or(self.inner.config.tenant.company),
            doc.store.unwrap_or(self.inner.config.tenant.store),
        )
    }

    /// Saves a document once: reads `GETOPC` and refuses what the operation would reject,
    /// sends `ADDPOS`, then reads the document back with `GETDOC` and compares.
    ///
    /// # Errors
    ///
    /// [`Error::Rejected`] before sending; [`Error::Refused`] for `CMDERR`;
    /// [`Error::UncertainSave`] when the outcome is unknown (look it up before anything
    /// else, or use [`FlowClient::save_document_exactly_once`]); [`Error::ReadBackMismatch`]
    /// when the saved document differs (it *was* saved: do not save it again).
    pub async fn save_document(&self, doc: &SalesDocument) -> Result<SavedDocument> {
        let payload = self.build_document(doc)?;
        let op_config = self.operation_config(&doc.op).await?;
        check_against_operation(&op_config, doc)?;
        let url = self.url(crate::client::Surface::Api, &["api", "POSCMD", "ADDPOS"])?;
        let body = Bytes::from(payload.to_string());
        let docno = self
            .save_call("ADDPOS", url, body, &doc.op, &doc.reference)
            .await?;
        if docno.trim().is_empty() || docno.trim() == "0" {
            return Err(Error::UncertainSave {
                op: doc.op.clone(),
                reference: doc.reference.clone(),
                why: "CMDDNE without a document number".into(),
                source: None,
            });
        }
        let docno = docno.trim().to_owned();
        tracing::info!(op = %doc.op, %docno, "flow document saved");
        self.read_back(doc, &payload, docno).await
    }

    async fn read_back(
        &self,
        doc: &SalesDocument,
        payload: &Value,
        docno: String,
    ) -> Result<SavedDocument> {
        let (company, store) = self.place(doc);
        let document = self.document(&doc.op, company, store, &docno).await?;
        let differences = compare_read_back(&self.inner.config, payload, &document);
        if !differences.is_empty() {
            return Err(Error::ReadBackMismatch {
                op: doc.op.clone(),
                docno,
                differences,
            });
        }
        Ok(SavedDocument {
            op: doc.op.clone(),
            company,
            store,
            docno,
            document,
        })
    }

    /// Documents of operation `op` whose reference is `reference`, found with the configured
    /// read-only SQL (`documents.reference_lookup_sql`).
    ///
    /// # Errors
    ///
    /// As [`FlowClient::query`].
    pub async fn find_documents_by_reference(
        &self,
        op: &str,
        reference: &str,
    ) -> Result<Vec<DocumentHeader>> {
        let tenant = &self.inner.config.tenant;
        self.find_by_reference_in(op, reference, tenant.company, tenant.store)
            .await
    }

    /// As [`FlowClient::find_documents_by_reference`], in a given company and store.
    async fn find_by_reference_in(
        &self,
        op: &str,
        reference: &str,
        company: u32,
        store: u32,
    ) -> Result<Vec<DocumentHeader>> {
        let sql = fill_template(
            &self.inner.config.documents.reference_lookup_sql,
            &[
                ("op", SqlValue::from(op)),
                ("reference", SqlValue::from(reference)),
                ("company", SqlValue::from(company)),
                ("store", SqlValue::from(store)),
            ],
        )?;
        let rows = self.query(&sql).await?;
        rows.into_iter()
            .map(|mut row| {
                if row.text("opcode").is_none() {
                    row.set("opcode", Value::String(op.to_owned()));
                }
                DocumentHeader::from_record(row)
            })
            .collect()
    }

    /// Looks `doc` up by its reference; `Some` when Flow holds it (read back and compared).
    async fn lookup_saved(&self, doc: &SalesDocument) -> Result<Option<SavedDocument>> {
        let (company, store) = self.place(doc);
        let headers = self
            .find_by_reference_in(&doc.op, &doc.reference, company, store)
            .await?;
        let Some(found) = headers
            .iter()
            .find(|h| !h.is_deleted())
            .or_else(|| headers.first())
        else {
            return Ok(None);
        };
        if headers.len() > 1 {
            tracing::warn!(op = %doc.op, count = headers.len(), "several flow documents carry one reference");
        }
        let payload = self.build_document(doc)?;
        self.read_back(doc, &payload, found.number.clone())
            .await
            .map(Some)
    }

    /// Saves `doc` exactly once. After an uncertain save it waits
    /// `documents.uncertain_lookup_delay_ms`, looks the document up by its reference, and
    /// returns [`SaveOutcome::AlreadyPresent`] when Flow holds it; only when the lookup
    /// certainly finds nothing is it saved again (at most `documents.max_resaves` times).
    ///
    /// # Errors
    ///
    /// As [`FlowClient::save_document`]; when the lookup itself fails, the original
    /// [`Error::UncertainSave`] is returned (still uncertain, with the lookup's failure in
    /// `why`).
    pub async fn save_document_exactly_once(&self, doc: &SalesDocument) -> Result<SaveOutcome> {
        let mut resaves = 0;
        loop {
            match self.save_document(doc).await {
                Ok(saved) => return Ok(SaveOutcome::Created(saved)),
                Err(error) if error.is_uncertain() => {
                    let delay = self.inner.config.documents.uncertain_lookup_delay_ms;
                    self.inner
                        .frame
                        .clock()
                        .sleep(Duration::from_millis(delay))
                        .await;
                    match self.lookup_saved(doc).await {
                        Ok(Some(saved)) => return Ok(SaveOutcome::AlreadyPresent(saved)),
                        Ok(None) if resaves < self.inner.config.documents.max_resaves => {
                            tracing::info!(op = %doc.op, "uncertain flow save not found; saving again");
                            resaves += 1;
                        }
                        Ok(None) => return Err(error),
                        Err(lookup) => {
                            return Err(match error {
                                Error::UncertainSave {
                                    op,
                                    reference,
                                    why,
                                    source,
                                } => Error::UncertainSave {
                                    op,
                                    reference,
                                    why: format!("{why}; the lookup failed too: {lookup}"),
                                    source,
                                },
                                other => other,
                            });
                        }
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// For a save whose outcome was never learnt (a job found pending after a crash): looks
    /// the document up first, and saves it (exactly once) only when it is absent.
    ///
    /// # Errors
    ///
    /// As [`FlowClient::save_document_exactly_once`]; a failed lookup is returned as is and
    /// nothing is saved.
    pub async fn resume_document(&self, doc: &SalesDocument) -> Result<SaveOutcome> {
        match self.lookup_saved(doc).await? {
            Some(saved) => Ok(SaveOutcome::AlreadyPresent(saved)),
            None => self.save_document_exactly_once(doc).await,
        }
    }

    /// Soft-deletes a document with `EXECMD DELPOS`: Flow sets `STS = D` and keeps the row
    /// (`GETDOC` still returns it). The status is read back to confirm; deleting an already
    /// deleted document reports `already_deleted`.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] when Flow refuses and the document is not deleted;
    /// [`Error::ReadBackMismatch`] when the answer claimed success but `STS` is not `D`.
    pub async fn soft_delete_document(
        &self,
        op: &str,
        company: u32,
        store: u32,
        docno: &str,
    ) -> Result<SoftDeleted> {
        let cmdpar = render_params(
            Separator::VerticalTab,
            &[Param::Command(
                "DELPOS".into(),
                vec![
                    Param::pair("OPCODE", op),
                    Param::pair("CONO", company),
                    Param::pair("STRNO", store),
                    Param::pair("DOCNO", docno),
                ],
            )],
        )?;
        let before = self.document(op, company, store, docno).await?;
        if before.is_deleted() {
            return Ok(SoftDeleted {
                op: op.to_owned(),
                docno: docno.to_owned(),
                status: before.status().unwrap_or_default(),
                already_deleted: true,
            });
        }
        let answer = match self.execmd(&cmdpar).await {
            Ok(text) => parse_answer(&text),
            Err(Error::Refused { reason, .. }) => Answer::Refused(reason),
            Err(e) => return Err(e),
        };
        let after = self.document(op, company, store, docno).await?;
        let status = after.status().unwrap_or_default();
        match answer {
            _ if after.is_deleted() => {
                tracing::info!(%op, %docno, "flow document soft-deleted (STS=D)");
                Ok(SoftDeleted {
                    op: op.to_owned(),
                    docno: docno.to_owned(),
                    status,
                    already_deleted: false,
                })
            }
            Answer::Refused(reason) => Err(Error::Refused {
                endpoint: "EXECMD DELPOS".into(),
                reason,
            }),
            Answer::Done(_) | Answer::Other(_) => Err(Error::ReadBackMismatch {
                op: op.to_owned(),
                docno: docno.to_owned(),
                differences: vec![format!("STS: expected \"D\" after DELPOS, read {status:?}")],
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn config() -> FlowConfig {
        FlowConfig::new("1001", "WEB", "pw".into())
    }

    fn doc() -> SalesDocument {
        let mut d = SalesDocument::new(
            "SALINV",
            "#1001",
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            Party {
                number: "77".into(),
                name: Some("د. أحمد".into()),
                phone: Some("01001234567".into()),
                ..Party::default()
            },
        );
        let mut line = DocumentLine::new("1234", dec!(2), dec!(99.50));
        line.vat_percent = dec!(14);
        line.discount = dec!(9);
        d.lines.push(line);
        d.shipping = dec!(50);
        d.payment = Some(PaymentKind::Cash);
        d.remark = Some("web order".into());
        d
    }

    #[test]
    fn template_is_filled_with_known_fields_and_keeps_the_rest() {
        let c = config();
        let template =
            DocumentTemplate::parse("t", include_str!("../templates/SALINV.json")).unwrap();
        let payload = build_payload(&c, &template, &doc()).unwrap();
        assert_eq!(payload["OP"], "SALINV");
        assert_eq!(payload["DOCNO"], 0);
        assert_eq!(payload["DOCDT"], "2026-11-28");
        assert_eq!(payload["CONO"], 1);
        assert_eq!(payload["DISTNO"], "77");
        assert_eq!(payload["DISTNA"], "د. أحمد");
        assert_eq!(payload["REFDOCNO"], "#1001");
        assert_eq!(payload["RMK"], "web order");
        assert_eq!(payload["TOTSHPVAL"], 50);
        assert_eq!(payload["PY"], "1");
        assert_eq!(payload["FRMORD"], "", "untouched template field");
        let line = &payload["DTL"][0];
        assert_eq!(line["ITNO"], "1234");
        assert_eq!(line["QTY"], 2);
        assert_eq!(line["ITPRICE"], 99.5);
        assert_eq!(line["SALTAX"], 14);
        assert_eq!(line["ITMTOT"], 190);
        assert_eq!(line["USECSZ"], 0, "untouched line field");
        assert_eq!(payload["DTL"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn reference_in_the_remark_field_wins_over_the_remark() {
        let mut c = config();
        c.documents.reference_field = "RMK".into();
        let template =
            DocumentTemplate::parse("t", include_str!("../templates/SALINV.json")).unwrap();
        let payload = build_payload(&c, &template, &doc()).unwrap();
        assert_eq!(payload["RMK"], "#1001");
        assert_eq!(payload["REFDOCNO"], "");
    }

    #[test]
    fn string_typed_template_fields_stay_strings() {
        let template = DocumentTemplate::parse(
            "t",
            r#"{"OP":"", "CONO":"1", "STRNO":"1", "DISTNO":0, "DTL":[{"ITNO":"", "QTY":"0", "ITPRICE":"0"}]}"#,
        )
        .unwrap();
        let payload = build_payload(&config(), &template, &doc()).unwrap();
        assert_eq!(payload["CONO"], "1");
        assert_eq!(payload["DISTNO"], 77);
        assert_eq!(payload["DTL"][0]["ITPRICE"], "99.5");
    }

    #[test]
    fn bad_documents_and_templates_name_the_field() {
        let mut d = doc();
        d.lines[0].quantity = Decimal::ZERO;
        let t = DocumentTemplate::parse("t", include_str!("../templates/SALINV.json")).unwrap();
        let err = build_payload(&config(), &t, &d).unwrap_err();
        assert_eq!(err.to_string(), "lines[0].quantity: must be positive");
        let err = DocumentTemplate::parse("documents.templates.X", "{\"OP\":1}").unwrap_err();
        assert!(err.to_string().starts_with("documents.templates.X: "));
    }

    #[test]
    fn operation_rules_refuse_what_flow_would_reject() {
        let mut op = OperationConfig::from_record(
            "SALINV",
            Record(
                json!({"OP":"SALINV","SRCDOC":"-1","SALTAX":1,"CASH":1,"CREDIT":0})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        );
        check_against_operation(&op, &doc()).unwrap();
        op.sales_tax = Some(false);
        let err = check_against_operation(&op, &doc()).unwrap_err();
        assert!(err.to_string().contains("SALTAX"), "{err}");
        op.sales_tax = Some(true);
        op.source_op = Some("SALORD".into());
        let err = check_against_operation(&op, &doc()).unwrap_err();
        assert!(
            err.to_string()
                .contains("source document of operation SALORD"),
            "{err}"
        );
        let mut d = doc();
        d.source_document = Some("512".into());
        check_against_operation(&op, &d).unwrap();
        d.payment = Some(PaymentKind::Credit);
        assert!(
            check_against_operation(&op, &d)
                .unwrap_err()
                .to_string()
                .contains("CREDIT")
        );
    }

    #[test]
    fn read_back_comparison_reports_differences() {
        let c = config();
        let t = DocumentTemplate::parse("t", include_str!("../templates/SALINV.json")).unwrap();
        let sent = build_payload(&c, &t, &doc()).unwrap();
        let same = Document::from_value(
            "GETDOC",
            json!({"DOCNO": 9, "OP": "SALINV", "CONO": "1", "STRNO": 1, "DISTNO": 77, "REFDOCNO": "#1001",
                   "DTL": [{"ITNO": 1234, "QTY": "2.000", "ITPRICE": 99.5}]}),
        )
        .unwrap();
        assert!(compare_read_back(&c, &sent, &same).is_empty());
        let different = Document::from_value(
            "GETDOC",
            json!({"DOCNO": 9, "OP": "SALINV", "DISTNO": 78, "DTL": [{"ITNO": 1234, "QTY": 1, "ITPRICE": 99.5}]}),
        )
        .unwrap();
        let diffs = compare_read_back(&c, &sent, &different);
        assert_eq!(diffs.len(), 2, "{diffs:?}");
        assert!(diffs[0].starts_with("DISTNO"));
        assert!(diffs[1].starts_with("DTL[0].QTY"));
    }
}
