//! Receipts: counts by state and device, open receipts with their ETA submission deadline
//! (24 hours after issue), and Invalid / rejected receipts with ETA's reasons.

use std::collections::BTreeMap;

use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use maud::{Markup, html};
use sync_core::engine::ReceiptPhase;
use sync_core::store::Binding;

use super::Console;
use super::auth::Signed;
use super::layout::{self, text, when};
use super::overview::state_class;

/// ETA expects a receipt within 24 hours of its issue.
pub(crate) const SUBMIT_WITHIN: Duration = Duration::hours(24);
/// An open receipt this close to its deadline is flagged.
pub(crate) const NEAR_DEADLINE: Duration = Duration::hours(6);
/// The most rows of each list shown.
const MAX_ROWS: usize = 200;

/// The state a receipt binding records (`issued` when it says none).
pub(crate) fn state(receipt: &Binding) -> &str {
    receipt
        .data
        .get("state")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("issued")
}

/// Whether ETA has settled the receipt (Valid, or refused): by the engine's reading of the
/// stored state, earlier versions' forms included.
pub(crate) fn settled(state: &str) -> bool {
    matches!(
        ReceiptPhase::from_stored(state),
        Some(ReceiptPhase::Valid | ReceiptPhase::Invalid | ReceiptPhase::Rejected)
    )
}

/// Whether ETA refused the receipt (Invalid, or Rejected at once).
pub(crate) fn refused(state: &str) -> bool {
    matches!(
        ReceiptPhase::from_stored(state),
        Some(ReceiptPhase::Invalid | ReceiptPhase::Rejected)
    )
}

/// When the receipt was issued (its `dateTimeIssued`), if it says.
pub(crate) fn issued_at(receipt: &Binding) -> Option<DateTime<Utc>> {
    receipt
        .data
        .pointer("/body/header/dateTimeIssued")
        .and_then(serde_json::Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// ETA's reasons for refusing a receipt, as recorded.
pub(crate) fn reasons(receipt: &Binding) -> String {
    ["reasons", "errors", "error", "reason"]
        .iter()
        .find_map(|k| receipt.data.get(*k))
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

/// `GET /console/receipts`.
pub(crate) async fn page(State(console): State<Console>, signed: Signed) -> Markup {
    let engine = &console.engine;
    let body = match engine
        .store()
        .bindings(&engine.config().scope, "receipt")
        .await
    {
        Err(e) => layout::problem("the state store failed", &e),
        Ok(receipts) => {
            let mut by_device: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            let mut states = std::collections::BTreeSet::new();
            for r in &receipts {
                let device = r
                    .data
                    .get("device")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("?");
                states.insert(state(r).to_owned());
                *by_device
                    .entry(device.to_owned())
                    .or_default()
                    .entry(state(r).to_owned())
                    .or_default() += 1;
            }
            let now = Utc::now();
            let mut open: Vec<(&Binding, Option<DateTime<Utc>>)> = receipts
                .iter()
                .filter(|r| !settled(state(r)))
                .map(|r| (r, issued_at(r).map(|at| at + SUBMIT_WITHIN)))
                .collect();
            open.sort_by_key(|(_, due)| *due);
            let bad: Vec<&Binding> = receipts.iter().filter(|r| refused(state(r))).collect();
            html! {
                h2 { "By device and state" }
                @if receipts.is_empty() { p.mute { "No receipt issued yet." } } @else {
                    div.scroll { table {
                        tr { th { "Device" } @for s in &states { th.n { span class=(format!("pill {}", state_class(s))) { (s) } } } }
                        @for (device, counts) in &by_device {
                            tr { td { (device) } @for s in &states { td.n { (counts.get(s).copied().unwrap_or(0)) } } }
                        }
                    } }
                }
                h2 { "Waiting for ETA (" (open.len()) ")" }
                @if open.is_empty() { p.ok { "Every receipt has ETA's answer." } } @else {
                    p.mute { "ETA expects each receipt within 24 hours of its issue." }
                    div.scroll { table {
                        tr { th { "Receipt" } th { "State" } th { "Deadline" } }
                        @for (r, due) in open.iter().take(MAX_ROWS) {
                            tr {
                                td { a href=(format!("/console/orders?q={}", url::form_urlencoded::byte_serialize(r.remote_id.as_bytes()).collect::<String>())) { code { (r.remote_id) } } }
                                td { span.pill.warn { (state(r)) } }
                                td {
                                    @match due {
                                        Some(due) if *due < now => { span.bad { "overdue since " (when(*due)) " — late submission" } }
                                        Some(due) if *due - now < NEAR_DEADLINE => { span.warn { (when(*due)) " (" ((*due - now).num_hours()) " h left)" } }
                                        Some(due) => { (when(*due)) }
                                        None => { span.mute { "—" } }
                                    }
                                }
                            }
                        }
                    } }
                }
                h2 { "Invalid or rejected (" (bad.len()) ")" }
                @if bad.is_empty() { p.ok { "None." } } @else {
                    p { "Correct the cause (the item's ETA code, the buyer's id, the amounts), then issue the receipt again; see the order's story." }
                    div.scroll { table {
                        tr { th { "Receipt" } th { "Order" } th { "ETA's reasons" } th { "Changed" } }
                        @for r in bad.iter().take(MAX_ROWS) {
                            tr {
                                td { code { (r.remote_id) } }
                                td { @if let Some(order) = r.data.get("order").and_then(serde_json::Value::as_str) {
                                    a href=(format!("/console/orders/story?id={}", url::form_urlencoded::byte_serialize(order.as_bytes()).collect::<String>())) { (text(order)) } } }
                                td dir="auto" { (reasons(r)) }
                                td { (when(r.updated_at)) }
                            }
                        }
                    } }
                }
            }
        }
    };
    layout::page("Receipts", "/console/receipts", &signed, body)
}
