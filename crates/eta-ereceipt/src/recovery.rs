//! Finding what ETA already holds when the state store does not know it: the receipt of a
//! sale or return (by the receipt number the builder gives it), and the last receipt of a
//! device's chain. Both read Get Recent Receipts (`GET /api/v1/receipts/recent`), filtered on
//! this device's `PosSerialNumber`, a page of 100 at a time with a cap on the pages read; a
//! summary that does not say which device, number or previous receipt it has is confirmed
//! from the receipt itself (`GET /api/v1/receipts/{uuid}/raw`), so that nothing depends on a
//! filter or a summary field ETA might not honour.
//!
//! Recent Receipts rather than Search Receipts: Search's `FreeText` needs at least 5
//! characters and matches fragments, while receipt numbers are order names (`1001`);
//! Recent filters on the exact `ReceiptNumber`.

use serde_json::Value;
use sync_core::connector::{ConnectorError, ConnectorResult, SubmitOutcome};
use sync_core::model::ReceiptState;

use crate::client::{EtaClient, ReceiptListPage, RecentQuery};

/// Receipts asked for per page.
pub(crate) const PAGE_SIZE: u32 = 100;
/// Most pages read when looking a receipt number up.
pub(crate) const MAX_FIND_PAGES: u32 = 5;
/// Most pages read when looking for a device's last receipt (a submission holds at most 500
/// receipts, all received at the same time).
pub(crate) const MAX_TAIL_PAGES: u32 = 6;

fn text<'a>(v: &'a Value, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| v.get(*n).and_then(Value::as_str))
}

/// The receipt JSON inside a Get Receipt answer: `rawDocument` (text, as ETA's page
/// documents it), or a `receipt` object with a `header`, or the answer itself.
pub(crate) fn raw_receipt(answer: &Value) -> Option<Value> {
    if let Some(raw) = answer.get("rawDocument").and_then(Value::as_str) {
        return serde_json::from_str(raw).ok();
    }
    if let Some(r) = answer.get("receipt").filter(|r| r.get("header").is_some()) {
        return Some(r.clone());
    }
    answer.get("header").is_some().then(|| answer.clone())
}

/// What one list entry says, completed from the receipt itself when it is silent.
#[derive(Debug, Clone, Default)]
struct Entry {
    uuid: String,
    number: Option<String>,
    device: Option<String>,
    kind: Option<String>,
    previous: Option<String>,
    status: Option<String>,
    received: Option<String>,
    long_id: Option<String>,
}

impl Entry {
    fn from_summary(s: &Value) -> Option<Entry> {
        Some(Entry {
            uuid: text(s, &["uuid"])?.to_owned(),
            number: text(s, &["receiptNumber", "internalId"]).map(str::to_owned),
            device: text(s, &["deviceSerialNumber", "posSerialNumber", "posSerial"])
                .map(str::to_owned),
            kind: text(s, &["receiptType", "documentTypeCode", "typeName"]).map(str::to_owned),
            previous: text(s, &["previousUUID"]).map(str::to_owned),
            status: text(s, &["status"]).map(str::to_owned),
            received: text(s, &["dateTimeReceived"]).map(str::to_owned),
            long_id: text(s, &["longId"]).map(str::to_owned),
        })
    }

    /// Fills what the summary left out from the receipt ETA holds.
    async fn complete(&mut self, client: &EtaClient) -> ConnectorResult<()> {
        if self.number.is_some()
            && self.device.is_some()
            && self.kind.is_some()
            && self.previous.is_some()
        {
            return Ok(());
        }
        let Some(answer) = client
            .receipt_raw(&self.uuid)
            .await
            .map_err(ConnectorError::from_client)?
        else {
            return Ok(());
        };
        if let Some(raw) = raw_receipt(&answer) {
            let header = &raw["header"];
            self.number = self
                .number
                .take()
                .or_else(|| text(header, &["receiptNumber"]).map(str::to_owned));
            self.previous = self
                .previous
                .take()
                .or_else(|| text(header, &["previousUUID"]).map(str::to_owned));
            self.device = self
                .device
                .take()
                .or_else(|| text(&raw["seller"], &["deviceSerialNumber"]).map(str::to_owned));
            self.kind = self
                .kind
                .take()
                .or_else(|| text(&raw["documentType"], &["receiptType"]).map(str::to_owned));
        }
        if self.status.is_none() {
            self.status = answer
                .get("metadata")
                .and_then(|m| text(m, &["status"]))
                .or_else(|| text(&answer, &["status"]))
                .map(str::to_owned);
        }
        Ok(())
    }

    fn is_of(&self, device: &str) -> bool {
        self.device.as_deref() == Some(device)
    }

    /// Invalid or cancelled receipts do not stand for their sale.
    fn stands(&self) -> bool {
        !matches!(
            self.status
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("invalid" | "cancelled" | "rejected")
        )
    }

    fn outcome(&self) -> SubmitOutcome {
        let valid = self
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("valid"));
        SubmitOutcome {
            uuid: self.uuid.clone().into(),
            state: if valid {
                ReceiptState::Accepted
            } else {
                ReceiptState::Pending
            },
            long_id: self.long_id.clone(),
            reason: None,
            submission: None,
        }
    }
}

async fn page(client: &EtaClient, query: &RecentQuery) -> ConnectorResult<ReceiptListPage> {
    client
        .recent(query)
        .await
        .map_err(ConnectorError::from_client)
}

/// The receipt numbered `number` of type `kind` (`s`, `r` or `RWR`) that `device` issued and ETA
/// holds (Valid before pending; Invalid and cancelled ones do not count).
pub(crate) async fn find(
    client: &EtaClient,
    device: &str,
    number: &str,
    kind: &str,
) -> ConnectorResult<Option<SubmitOutcome>> {
    let mut pending: Option<SubmitOutcome> = None;
    for page_no in 1..=MAX_FIND_PAGES {
        let query = RecentQuery {
            receipt_number: Some(number.to_owned()),
            // The search knows the codes `s` and `r` only; another type (`RWR`) is told by
            // each receipt's own type below.
            document_type_code: matches!(kind, "s" | "r").then(|| kind.to_owned()),
            pos_serial_number: Some(device.to_owned()),
            page_no: Some(page_no),
            page_size: Some(PAGE_SIZE),
            ..RecentQuery::default()
        };
        let list = page(client, &query).await?;
        for summary in &list.receipts {
            let Some(mut entry) = Entry::from_summary(summary) else {
                continue;
            };
            // A summary that contradicts the filters is not this receipt; one that is silent
            // is checked against the receipt itself.
            if entry.number.as_deref().is_some_and(|n| n != number)
                || entry.device.as_deref().is_some_and(|d| d != device)
                || entry
                    .kind
                    .as_deref()
                    .is_some_and(|k| !k.eq_ignore_ascii_case(kind))
            {
                continue;
            }
            entry.complete(client).await?;
            if entry.number.as_deref() != Some(number)
                || !entry.is_of(device)
                || !entry
                    .kind
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case(kind))
                || !entry.stands()
            {
                continue;
            }
            let outcome = entry.outcome();
            if outcome.state == ReceiptState::Accepted {
                return Ok(Some(outcome));
            }
            pending.get_or_insert(outcome);
        }
        let last = list.receipts.is_empty() || list.total_pages.is_none_or(|t| page_no >= t);
        if last {
            return Ok(pending);
        }
    }
    if pending.is_some() {
        return Ok(pending);
    }
    Err(ConnectorError::permanent(format!(
        "ETA lists more than {} receipts numbered {number} for POS {device}; cannot tell whether it holds this one",
        MAX_FIND_PAGES * PAGE_SIZE
    )))
}

/// The uuid of the last receipt of `device`'s chain that ETA holds: among the receipts it
/// received last (one submission, or several received in the same instant), the one no other
/// names as its previous.
pub(crate) async fn chain_tail(
    client: &EtaClient,
    device: &str,
) -> ConnectorResult<Option<String>> {
    let mut candidates: Vec<Entry> = Vec::new();
    let mut newest: Option<String> = None;
    let mut complete = false;
    for page_no in 1..=MAX_TAIL_PAGES {
        let query = RecentQuery {
            pos_serial_number: Some(device.to_owned()),
            sort_by: Some("dateTimeReceived".into()),
            sort_dir: Some("Desc".into()),
            page_no: Some(page_no),
            page_size: Some(PAGE_SIZE),
            ..RecentQuery::default()
        };
        let list = page(client, &query).await?;
        let mut older_seen = false;
        for summary in &list.receipts {
            let Some(entry) = Entry::from_summary(summary) else {
                continue;
            };
            if entry.device.as_deref().is_some_and(|d| d != device) {
                continue;
            }
            match (&newest, &entry.received) {
                (None, _) => newest = Some(entry.received.clone().unwrap_or_default()),
                (Some(n), Some(r)) if r != n => {
                    older_seen = true;
                    continue;
                }
                _ => {}
            }
            candidates.push(entry);
        }
        // Without receive times, the first page stands for the newest receipts.
        let timed = newest.as_deref().is_some_and(|n| !n.is_empty());
        let last = list.receipts.is_empty() || list.total_pages.is_none_or(|t| page_no >= t);
        if older_seen || last || !timed {
            complete = true;
            break;
        }
    }
    if !complete {
        return Err(ConnectorError::permanent(format!(
            "ETA lists more than {} receipts of POS {device} received at one time; cannot tell its last receipt",
            MAX_TAIL_PAGES * PAGE_SIZE
        )));
    }
    for entry in &mut candidates {
        entry.complete(client).await?;
    }
    candidates.retain(|e| e.device.is_none() || e.is_of(device));
    if candidates.is_empty() {
        return Ok(None);
    }
    let previous: std::collections::HashSet<&str> = candidates
        .iter()
        .filter_map(|e| e.previous.as_deref())
        .collect();
    let tails: Vec<&Entry> = candidates
        .iter()
        .filter(|e| !previous.contains(e.uuid.as_str()))
        .collect();
    match tails.as_slice() {
        [tail] => Ok(Some(tail.uuid.clone())),
        _ => Err(ConnectorError::permanent(format!(
            "cannot tell the last receipt of POS {device}: {} of its {} newest receipts at ETA are named by none as previousUUID",
            tails.len(),
            candidates.len()
        ))),
    }
}
