//! Typed reads: operation configuration, company, stores, customers, items, groups, price
//! lists, stock balances, documents, document headers and eligible sources.
//!
//! Flow's field lists are observed, not documented, so every typed record keeps the whole row
//! in `raw` (a [`Record`]) next to the fields the connector uses. Field names are matched
//! without regard to case (`GETREC` answers in lower case, REST reads in upper case). Numbers
//! may arrive as JSON numbers or as text; both are read as exact decimals.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::client::{FlowClient, Surface, parse_json};
use crate::error::{Error, Result};
pub use crate::record::{Record, records};
use crate::sql::{Cmp, Select};
use crate::wire::{Param, Separator, render_params};

fn required(endpoint: &str, record: &Record, field: &str) -> Result<String> {
    record
        .text(field)
        .ok_or_else(|| Error::decode(endpoint, format!("row without {field}")))
}

/// An operation's live configuration (`GETOPC`).
#[derive(Debug, Clone, PartialEq)]
pub struct OperationConfig {
    /// `OP`.
    pub op: String,
    /// `SRCDOC`: the operation a document must come from; `None` when `-1` (none).
    pub source_op: Option<String>,
    /// `SALTAX`: whether documents carry sales tax (VAT); `None` when unknown.
    pub sales_tax: Option<bool>,
    /// `TRDTAX`: whether documents carry trade tax.
    pub trade_tax: Option<bool>,
    /// `CASH`: whether cash documents are allowed.
    pub cash: Option<bool>,
    /// `CREDIT`: whether credit documents are allowed.
    pub credit: Option<bool>,
    /// `EFFECTITBAL`: whether the operation moves stock.
    pub affects_stock: Option<bool>,
    /// The whole row.
    pub raw: Record,
}

impl OperationConfig {
    /// Reads the typed fields from a row.
    pub fn from_record(op: &str, raw: Record) -> Self {
        let source_op = raw.text("SRCDOC").filter(|s| s != "-1" && s != "0");
        OperationConfig {
            op: raw.text("OP").unwrap_or_else(|| op.to_owned()),
            source_op,
            sales_tax: raw.flag("SALTAX"),
            trade_tax: raw.flag("TRDTAX"),
            cash: raw.flag("CASH"),
            credit: raw.flag("CREDIT"),
            affects_stock: raw.flag("EFFECTITBAL"),
            raw,
        }
    }
}

/// A company (`GETCOM`).
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    /// `CONO`.
    pub number: String,
    /// `CONA`.
    pub name: Option<String>,
    /// The whole row.
    pub raw: Record,
}

/// A store (`stores` table).
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    /// `cono`.
    pub company: String,
    /// `strno`.
    pub number: String,
    /// `fordes`, the store's name.
    pub name: Option<String>,
    /// The whole row.
    pub raw: Record,
}

/// A customer (`GETCON/C`).
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// `CNO`, the key.
    pub number: String,
    /// `CNAME`.
    pub name: Option<String>,
    /// `FORDES`, the name in the other language.
    pub foreign_name: Option<String>,
    /// `TEL1`.
    pub phone: Option<String>,
    /// `EMAIL`.
    pub email: Option<String>,
    /// `CADD`.
    pub address: Option<String>,
    /// `CONGRP`.
    pub group: Option<String>,
    /// `PRICECODE`.
    pub price_code: Option<String>,
    /// The whole row.
    pub raw: Record,
}

impl Customer {
    /// Reads the typed fields from a row.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the row has no `CNO`.
    pub fn from_record(raw: Record) -> Result<Self> {
        Ok(Customer {
            number: required("GETCON", &raw, "CNO")?,
            name: raw.text("CNAME"),
            foreign_name: raw.text("FORDES"),
            phone: raw.text("TEL1"),
            email: raw.text("EMAIL"),
            address: raw.text("CADD"),
            group: raw.text("CONGRP"),
            price_code: raw.text("PRICECODE"),
            raw,
        })
    }
}

/// An item of the item master (`GETITM`).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `ITNO`, the key.
    pub number: String,
    /// `ITCODE`.
    pub code: Option<String>,
    /// `ITNA`.
    pub name: Option<String>,
    /// `ITDES`.
    pub description: Option<String>,
    /// `STS`.
    pub status: Option<String>,
    /// `SALTAX`, the VAT percentage.
    pub vat_percent: Option<Decimal>,
    /// `ITPRICE`.
    pub price: Option<Decimal>,
    /// `HASCLR`.
    pub has_colours: bool,
    /// `HASSIZ`.
    pub has_sizes: bool,
    /// The whole row.
    pub raw: Record,
}

impl Item {
    /// Reads the typed fields from a row.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the row has no `ITNO`.
    pub fn from_record(raw: Record) -> Result<Self> {
        Ok(Item {
            number: required("GETITM", &raw, "ITNO")?,
            code: raw.text("ITCODE"),
            name: raw.text("ITNA"),
            description: raw.text("ITDES"),
            status: raw.text("STS"),
            vat_percent: raw.decimal("SALTAX"),
            price: raw.decimal("ITPRICE"),
            has_colours: raw.flag("HASCLR").unwrap_or(false),
            has_sizes: raw.flag("HASSIZ").unwrap_or(false),
            raw,
        })
    }
}

/// A stock balance row (`GETBAL`), read with the configured field names.
#[derive(Debug, Clone, PartialEq)]
pub struct StockBalance {
    /// The item (`ITNO` by default).
    pub item: String,
    /// The colour, when the row has one.
    pub colour: Option<String>,
    /// The size, when the row has one.
    pub size: Option<String>,
    /// The quantity on hand.
    pub quantity: Decimal,
    /// The whole row.
    pub raw: Record,
}

/// A saved document (`GETDOC`): the header and its `DTL` lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// The header fields (without `DTL`).
    pub header: Record,
    /// The lines.
    pub lines: Vec<Record>,
}

impl Document {
    /// Splits an answer into header and lines.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the answer is not an object (or a one-element array of one).
    pub fn from_value(endpoint: &str, value: Value) -> Result<Self> {
        let value = match value {
            Value::Array(mut items) if items.len() == 1 => items.remove(0),
            other => other,
        };
        let Value::Object(mut map) = value else {
            return Err(Error::decode(endpoint, "expected a document object"));
        };
        let key = map.keys().find(|k| k.eq_ignore_ascii_case("DTL")).cloned();
        let lines = match key.and_then(|k| map.remove(&k)) {
            Some(dtl) => records(endpoint, dtl)?,
            None => Vec::new(),
        };
        Ok(Document {
            header: Record(map),
            lines,
        })
    }

    /// `DOCNO`.
    pub fn number(&self) -> Option<String> {
        self.header.text("DOCNO")
    }

    /// `STS`; `D` means soft-deleted.
    pub fn status(&self) -> Option<String> {
        self.header.text("STS")
    }

    /// `true` when `STS` is `D`.
    pub fn is_deleted(&self) -> bool {
        self.status().is_some_and(|s| s.eq_ignore_ascii_case("D"))
    }
}

/// A document header row from `trnhdr`.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentHeader {
    /// `opcode`.
    pub op: String,
    /// `docno`.
    pub number: String,
    /// `cono`.
    pub company: Option<String>,
    /// `strno`.
    pub store: Option<String>,
    /// `distno`, the customer or supplier.
    pub party: Option<String>,
    /// `sts`.
    pub status: Option<String>,
    /// `post`.
    pub posted: Option<bool>,
    /// `docdt`.
    pub date: Option<String>,
    /// The whole row.
    pub raw: Record,
}

impl DocumentHeader {
    /// Reads the typed fields from a row.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the row has no `opcode` or `docno`.
    pub fn from_record(raw: Record) -> Result<Self> {
        Ok(DocumentHeader {
            op: required("GETREC trnhdr", &raw, "opcode")?,
            number: required("GETREC trnhdr", &raw, "docno")?,
            company: raw.text("cono"),
            store: raw.text("strno"),
            party: raw.text("distno"),
            status: raw.text("sts"),
            posted: raw.flag("post"),
            date: raw.text("docdt"),
            raw,
        })
    }

    /// `true` when `sts` is `D` (soft-deleted).
    pub fn is_deleted(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("D"))
    }
}

/// Filters for [`FlowClient::document_headers`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderQuery {
    /// Operation code (required).
    pub op: String,
    /// Company; default the configured one.
    pub company: Option<u32>,
    /// Store.
    pub store: Option<u32>,
    /// Customer or supplier (`distno`).
    pub party: Option<String>,
    /// Status (`sts`).
    pub status: Option<String>,
    /// Documents dated on or after.
    pub since: Option<NaiveDate>,
    /// Most rows. Default 500.
    pub limit: Option<u32>,
}

impl HeaderQuery {
    /// Headers of operation `op`.
    pub fn new(op: impl Into<String>) -> Self {
        HeaderQuery {
            op: op.into(),
            ..HeaderQuery::default()
        }
    }
}

/// A source document still eligible to feed a new document (`LDSRCHDRNO`).
#[derive(Debug, Clone, PartialEq)]
pub struct EligibleSource {
    /// The source document's number, decoded from `SRCDOCNO=<n>` inside `DOCNO`.
    pub source_docno: String,
    /// The whole row.
    pub raw: Record,
}

/// Extracts `SRCDOCNO=<n>` from an encoded `DOCNO` string.
pub fn source_docno_of(encoded: &str) -> Option<String> {
    encoded
        .split(['\u{000B}', '\u{000C}', ';', ','])
        .filter_map(|part| part.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("SRCDOCNO"))
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn check_segment(field: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(
            field,
            "must be non-empty and free of control characters",
        ));
    }
    Ok(())
}

impl FlowClient {
    /// The documents of operation `op` carrying any of `references`, by reference, found
    /// with `documents.reference_batch_sql`: one read per `documents.reference_batch`
    /// references. References Flow holds no document for are absent from the map.
    ///
    /// # Errors
    ///
    /// As [`FlowClient::query`]; [`Error::Config`] when `reference_batch_sql` is empty.
    pub async fn find_documents_by_references(
        &self,
        op: &str,
        references: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<DocumentHeader>>> {
        let config = &self.inner.config;
        let template = &config.documents.reference_batch_sql;
        if template.is_empty() {
            return Err(Error::config(
                "documents.reference_batch_sql",
                "is empty: look references up one at a time",
            ));
        }
        let mut found: std::collections::HashMap<String, Vec<DocumentHeader>> =
            std::collections::HashMap::new();
        let field = &config.documents.reference_field;
        for chunk in references.chunks(config.documents.reference_batch.max(1)) {
            let list = chunk.iter().map(crate::sql::SqlValue::from).collect();
            let sql = crate::sql::fill_template(
                template,
                &[
                    ("op", op.into()),
                    ("references", crate::sql::SqlValue::List(list)),
                    ("company", config.tenant.company.into()),
                    ("store", config.tenant.store.into()),
                ],
            )?;
            for mut row in self.query(&sql).await? {
                let Some(reference) = row.text(field).filter(|r| chunk.contains(r)) else {
                    continue;
                };
                if row.text("opcode").is_none() {
                    row.set("opcode", Value::String(op.to_owned()));
                }
                found
                    .entry(reference)
                    .or_default()
                    .push(DocumentHeader::from_record(row)?);
            }
        }
        Ok(found)
    }
    /// `GETOPC/<op>`: the operation's live configuration.
    ///
    /// # Errors
    ///
    /// As every call: transport, HTTP, `CMDERR`, decoding; [`Error::NotFound`] for an empty
    /// answer.
    pub async fn operation_config(&self, op: &str) -> Result<OperationConfig> {
        check_segment("op", op)?;
        let value = self
            .get_json("GETOPC", &["api", "SRVCMD", "GETOPC", op])
            .await?;
        let row = records("GETOPC", value)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound {
                what: format!("operation {op}"),
            })?;
        Ok(OperationConfig::from_record(op, row))
    }

    /// `GETCOM/<cono>`: a company.
    ///
    /// # Errors
    ///
    /// As [`FlowClient::operation_config`].
    pub async fn company(&self, company: u32) -> Result<Company> {
        let cono = company.to_string();
        let value = self
            .get_json("GETCOM", &["api", "SRVCMD", "GETCOM", &cono])
            .await?;
        let raw = records("GETCOM", value)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound {
                what: format!("company {company}"),
            })?;
        Ok(Company {
            number: raw.text("CONO").unwrap_or(cono),
            name: raw.text("CONA"),
            raw,
        })
    }

    /// Runs a read-only query through `GETREC` and returns its rows.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (nothing sent) when the query is not a single `SELECT`; otherwise
    /// as every call.
    pub async fn query(&self, sql: &str) -> Result<Vec<Record>> {
        crate::sql::ensure_read_only(sql)?;
        let text = self.command(Surface::Api, "GETREC", sql).await?;
        records("GETREC", parse_json("GETREC", &text)?)
    }

    /// Runs a [`Select`] through `GETREC`.
    ///
    /// # Errors
    ///
    /// As [`FlowClient::query`].
    pub async fn select(&self, select: &Select) -> Result<Vec<Record>> {
        self.query(&select.to_sql()?).await
    }

    /// The stores (`stores` table), optionally of one company.
    ///
    /// # Errors
    ///
    /// As [`FlowClient::query`].
    pub async fn stores(&self, company: Option<u32>) -> Result<Vec<Store>> {
        let mut select = Select::from("stores").columns(["cono", "strno", "fordes"]);
        if let Some(cono) = company {
            select = select.filter("cono", Cmp::Eq, cono);
        }
        let rows = self.select(&select.order_by("strno", false)).await?;
        rows.into_iter()
            .map(|raw| {
                Ok(Store {
                    company: required("GETREC stores", &raw, "cono")?,
                    number: required("GETREC stores", &raw, "strno")?,
                    name: raw.text("fordes"),
                    raw,
                })
            })
            .collect()
    }

    /// `GETCON/C`: every customer.
    ///
    /// # Errors
    ///
    /// As every call; [`Error::Decode`] for a row without `CNO`.
    pub async fn customers(&self) -> Result<Vec<Customer>> {
        let value = self
            .get_json("GETCON", &["api", "CONCMD", "GETCON", "C"])
            .await?;
        records("GETCON", value)?
            .into_iter()
            .map(Customer::from_record)
            .collect()
    }

    /// `GETCON/C/<phone, e-mail or number>`: one customer, as older clients read it.
    ///
    /// # Errors
    ///
    /// As every call.
    pub async fn customer_by_key(&self, key: &str) -> Result<Option<Customer>> {
        check_segment("key", key)?;
        let value = self
            .get_json("GETCON", &["api", "CONCMD", "GETCON", "C", key])
            .await?;
        records("GETCON", value)?
            .into_iter()
            .next()
            .map(Customer::from_record)
            .transpose()
    }

    /// `GETITM/-1`: the item master.
    ///
    /// # Errors
    ///
    /// As every call; [`Error::Decode`] for a row without `ITNO`.
    pub async fn items(&self) -> Result<Vec<Item>> {
        let value = self
            .get_json("GETITM", &["api", "POSCMD", "GETITM", "-1"])
            .await?;
        records("GETITM", value)?
            .into_iter()
            .map(Item::from_record)
            .collect()
    }

    /// `GetGroup/ITM`: item groups.
    ///
    /// # Errors
    ///
    /// As every call.
    pub async fn item_groups(&self) -> Result<Vec<Record>> {
        let value = self
            .get_json("GetGroup", &["api", "SRVCMD", "GetGroup", "ITM"])
            .await?;
        records("GetGroup/ITM", value)
    }

    /// `GetGroup/ITC`: item categories.
    ///
    /// # Errors
    ///
    /// As every call.
    pub async fn item_categories(&self) -> Result<Vec<Record>> {
        let value = self
            .get_json("GetGroup", &["api", "SRVCMD", "GetGroup", "ITC"])
            .await?;
        records("GetGroup/ITC", value)
    }

    /// `GETPRCLST`: price lists.
    ///
    /// # Errors
    ///
    /// As every call.
    pub async fn price_lists(&self) -> Result<Vec<Record>> {
        let value = self
            .get_json("GETPRCLST", &["api", "SRVCMD", "GETPRCLST"])
            .await?;
        records("GETPRCLST", value)
    }

    /// `GETBAL/<cono>/<strno>`: stock balances of one store, read with the configured field
    /// names (rows without an item are skipped; a missing quantity counts as zero).
    ///
    /// # Errors
    ///
    /// As every call.
    pub async fn balances(&self, company: u32, store: u32) -> Result<Vec<StockBalance>> {
        let (cono, strno) = (company.to_string(), store.to_string());
        let value = self
            .get_json("GETBAL", &["api", "POSCMD", "GETBAL", &cono, &strno])
            .await?;
        let fields = &self.inner.config.stock;
        Ok(records("GETBAL", value)?
            .into_iter()
            .filter_map(|raw| {
                let item = raw.text(&fields.item_field)?;
                Some(StockBalance {
                    item,
                    colour: raw.text(&fields.colour_field),
                    size: raw.text(&fields.size_field),
                    quantity: raw.decimal(&fields.quantity_field).unwrap_or_default(),
                    raw,
                })
            })
            .collect())
    }

    /// `GETDOC/<op>/<cono>/<strno>/<docno>`: one saved document (soft-deleted ones too).
    ///
    /// # Errors
    ///
    /// As every call; [`Error::NotFound`] for an empty answer.
    pub async fn document(
        &self,
        op: &str,
        company: u32,
        store: u32,
        docno: &str,
    ) -> Result<Document> {
        check_segment("op", op)?;
        check_segment("docno", docno)?;
        let (cono, strno) = (company.to_string(), store.to_string());
        let value = self
            .get_json(
                "GETDOC",
                &["api", "POSCMD", "GETDOC", op, &cono, &strno, docno],
            )
            .await?;
        if value.is_null() || value.as_array().is_some_and(Vec::is_empty) {
            return Err(Error::NotFound {
                what: format!("document {op} {docno}"),
            });
        }
        Document::from_value("GETDOC", value)
    }

    /// Document headers from `trnhdr` by operation, party, status and date.
    ///
    /// # Errors
    ///
    /// As [`FlowClient::query`].
    pub async fn document_headers(&self, q: &HeaderQuery) -> Result<Vec<DocumentHeader>> {
        let company = q.company.unwrap_or(self.inner.config.tenant.company);
        let mut select = Select::from("trnhdr")
            .columns([
                "opcode", "docno", "cono", "strno", "distno", "empno", "sts", "post", "docdt",
                "srcdocno",
            ])
            .filter("opcode", Cmp::Eq, q.op.as_str())
            .filter("cono", Cmp::Eq, company);
        if let Some(store) = q.store {
            select = select.filter("strno", Cmp::Eq, store);
        }
        if let Some(party) = &q.party {
            select = select.filter("distno", Cmp::Eq, party.as_str());
        }
        if let Some(status) = &q.status {
            select = select.filter("sts", Cmp::Eq, status.as_str());
        }
        if let Some(since) = q.since {
            select = select.filter("docdt", Cmp::Ge, since);
        }
        let select = select
            .order_by("docno", false)
            .limit(q.limit.unwrap_or(500));
        self.select(&select)
            .await?
            .into_iter()
            .map(DocumentHeader::from_record)
            .collect()
    }

    /// `LDSRCHDRNO`: source documents still eligible to feed a new `op` document for
    /// `party`. An empty list means every source is fully consumed.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when a value holds a separator; otherwise as every call.
    pub async fn eligible_sources(
        &self,
        op: &str,
        company: u32,
        store: u32,
        party: &str,
    ) -> Result<Vec<EligibleSource>> {
        let cmdpar = render_params(
            Separator::VerticalTab,
            &[
                Param::pair("OPCODE", op),
                Param::pair("CONO", company),
                Param::pair("STRNO", store),
                Param::pair("DISTNO", party),
            ],
        )?;
        let text = self.command(Surface::Erp, "LDSRCHDRNO", &cmdpar).await?;
        let rows = records("LDSRCHDRNO", parse_json("LDSRCHDRNO", &text)?)?;
        Ok(rows
            .into_iter()
            .filter_map(|raw| {
                let encoded = raw.text("DOCNO")?;
                let source_docno = source_docno_of(&encoded).unwrap_or(encoded);
                Some(EligibleSource { source_docno, raw })
            })
            .collect())
    }

    /// Sends a raw `EXECMD` payload (already rendered by [`render_params`]) to the command
    /// surface and returns the answer text. Used for `DELPOS`.
    pub(crate) async fn execmd(&self, cmdpar: &str) -> Result<String> {
        self.command(Surface::Erp, "EXECMD", cmdpar).await
    }

    /// A raw REST `GET` on the API surface (for endpoints without a typed method). Path
    /// segments are percent-encoded.
    ///
    /// # Errors
    ///
    /// As every call.
    pub async fn get_raw(&self, segments: &[&str]) -> Result<Value> {
        let endpoint = segments.last().copied().unwrap_or("GET");
        self.get_json(endpoint, segments).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operation_config_reads_flags_and_source() {
        let raw = Record(
            json!({"OP": "SALINV", "SRCDOC": "-1", "SALTAX": 1, "TRDTAX": 0, "CASH": "Y", "CREDIT": "N"})
                .as_object()
                .unwrap()
                .clone(),
        );
        let c = OperationConfig::from_record("SALINV", raw);
        assert_eq!(c.source_op, None);
        assert_eq!(c.sales_tax, Some(true));
        assert_eq!(c.credit, Some(false));
        let raw = Record(json!({"SRCDOC": "SALORD"}).as_object().unwrap().clone());
        assert_eq!(
            OperationConfig::from_record("SALINV", raw)
                .source_op
                .as_deref(),
            Some("SALORD")
        );
    }

    #[test]
    fn source_docno_is_decoded() {
        assert_eq!(
            source_docno_of("OPCODE=SALORD\u{b}SRCDOCNO=512\u{b}CONO=1\u{b}").as_deref(),
            Some("512")
        );
        assert_eq!(source_docno_of("512"), None);
    }
}
