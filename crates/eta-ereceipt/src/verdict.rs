//! The final status of submitted receipts. ETA's submit answer reflects only its synchronous
//! checks; each receipt's verdict (Valid, or Invalid with the failed validation steps) comes
//! from Get Receipt Submission (`GET /api/v1/receiptsubmissions/{id}/details`), page by page,
//! or from the receipt itself (`GET /api/v1/receipts/{uuid}/raw`).

use serde_json::Value;
use sync_core::connector::SubmitOutcome;
use sync_core::model::ReceiptState;

use crate::client::EtaClient;

/// Receipts asked for per page of submission details.
pub(crate) const DETAILS_PAGE: u32 = 100;
/// Most pages of one submission read (a submission holds at most 500 receipts).
pub(crate) const MAX_DETAILS_PAGES: u32 = 6;
/// Longest reason kept from ETA's errors, in bytes.
const MAX_REASON: usize = 2_000;

/// The receipts of `submission` that ETA has decided (Valid or Invalid), as outcomes.
pub(crate) async fn decided(
    client: &EtaClient,
    submission: &str,
) -> Result<Vec<SubmitOutcome>, crate::Error> {
    let mut out = Vec::new();
    for page_no in 1..=MAX_DETAILS_PAGES {
        let page = client
            .submission_details(submission, page_no, DETAILS_PAGE)
            .await?;
        out.extend(page.receipts.iter().filter_map(final_outcome));
        if page.receipts.is_empty() || page.total_pages.is_none_or(|t| page_no >= t) {
            break;
        }
    }
    Ok(out)
}

/// A receipt summary's final status as an outcome; `None` while ETA has not decided it.
pub(crate) fn final_outcome(summary: &Value) -> Option<SubmitOutcome> {
    let uuid = summary.get("uuid")?.as_str()?;
    let status = summary.get("status")?.as_str()?;
    let state = state_of(status)?;
    Some(SubmitOutcome {
        uuid: uuid.to_owned().into(),
        state,
        long_id: summary
            .get("longId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        reason: matches!(state, ReceiptState::Rejected | ReceiptState::Invalid)
            .then(|| reason(summary, status)),
        submission: None,
    })
}

/// `Valid` → accepted, `Invalid` → invalid (a replacement is due), `Rejected` / `Cancelled`
/// → rejected, anything else (still `Submitted`, `InProgress`) → not decided.
pub(crate) fn state_of(status: &str) -> Option<ReceiptState> {
    match status.to_ascii_lowercase().as_str() {
        "valid" => Some(ReceiptState::Accepted),
        "invalid" => Some(ReceiptState::Invalid),
        "rejected" | "cancelled" => Some(ReceiptState::Rejected),
        _ => None,
    }
}

/// ETA's reasons, as ETA words them: the status, then the error's message and each detail's
/// code, message and property path (at most 2,000 bytes).
pub(crate) fn reason(summary: &Value, status: &str) -> String {
    let Some(error) = summary
        .get("errors")
        .or_else(|| summary.get("error"))
        .filter(|e| e.is_object())
    else {
        return format!("ETA status {status}");
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let mut parts = Vec::new();
    let message = text(error, "message");
    if !message.is_empty() {
        parts.push(message);
    }
    for d in error
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let path = text(d, "propertyPath");
        let path = if path.is_empty() {
            text(d, "target")
        } else {
            path
        };
        parts.push(format!(
            "{}: {} ({path})",
            text(d, "code"),
            text(d, "message")
        ));
    }
    let mut out = format!("ETA status {status}: {}", parts.join("; "));
    if out.len() > MAX_REASON {
        let mut end = MAX_REASON;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}
