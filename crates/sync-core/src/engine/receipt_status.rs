//! Where each tax receipt stands: the states the engine keeps, their stored text forms (with
//! the older forms still read), and the per-receipt listing an operator reads
//! ([`Engine::receipt_statuses`]).
//!
//! ```text
//!   (mapping missing) parked ──mapping added──► built ──sent──► submitted ──ETA decides──► valid
//!                                                 │                  │
//!                                                 └─refused at once─►│rejected
//!                                                                    └──────────────────► invalid
//!                                                                     (dead letter; replayed:
//!                                                                      a replacement is built)
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::base::{Engine, EngineError};
use super::kinds::{BindingKind, JobKind};
use crate::store::{Binding, JobState};

/// Built and chained, not sent yet.
pub(crate) const BUILT: &str = "built";
/// Being sent: the submission may have reached the tax authority (looked up before sending
/// again).
pub(crate) const SENDING: &str = "sending";
/// Taken for processing; its final status is not known yet (the polling job reads it).
pub(crate) const SUBMITTED: &str = "submitted";
/// Valid at the tax authority.
pub(crate) const VALID: &str = "valid";
/// Invalid at the tax authority (its reasons kept); a replacement is due.
pub(crate) const INVALID: &str = "invalid";
/// Refused by the synchronous checks.
pub(crate) const REJECTED: &str = "rejected";

/// The stored forms of a receipt to send: built or being sent (with the forms of earlier
/// versions, `issued` and `submitting`).
pub(crate) const TO_SEND: &[&str] = &[BUILT, "issued", SENDING, "submitting"];
/// The stored forms of a receipt sent and not decided (with `pending`, the earlier form).
pub(crate) const UNDECIDED: &[&str] = &[SUBMITTED, "pending"];

/// Whether a stored state means "being sent" (outcome of the send unknown).
pub(crate) fn is_sending(stored: &str) -> bool {
    stored == SENDING || stored == "submitting"
}

/// A receipt's state, as an operator reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptPhase {
    /// Waiting for a mapping (a payment gateway, an item code…) before it can be built.
    Parked,
    /// Built and chained; not sent yet.
    Built,
    /// Sent and taken for processing; the tax authority has not decided yet.
    Submitted,
    /// Valid: the only state that counts as reported.
    Valid,
    /// Invalid after the authority's later validation (its reasons kept); a dead letter until
    /// the cause is fixed and it is replaced.
    Invalid,
    /// Refused by the authority's synchronous checks.
    Rejected,
}

impl ReceiptPhase {
    /// Every state.
    pub const ALL: [ReceiptPhase; 6] = [
        ReceiptPhase::Parked,
        ReceiptPhase::Built,
        ReceiptPhase::Submitted,
        ReceiptPhase::Valid,
        ReceiptPhase::Invalid,
        ReceiptPhase::Rejected,
    ];

    /// The state's name (`built`, `submitted`, `valid`, `invalid`, `rejected`, `parked`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptPhase::Parked => "parked",
            ReceiptPhase::Built => "built",
            ReceiptPhase::Submitted => "submitted",
            ReceiptPhase::Valid => "valid",
            ReceiptPhase::Invalid => "invalid",
            ReceiptPhase::Rejected => "rejected",
        }
    }

    /// The state a stored text form means, the forms of earlier versions included (`issued`
    /// is built, `submitting` and `pending` are submitted, `accepted` is valid); `None` for a
    /// text no version wrote.
    pub fn from_stored(text: &str) -> Option<ReceiptPhase> {
        Some(match text {
            "parked" => ReceiptPhase::Parked,
            BUILT | "issued" => ReceiptPhase::Built,
            SENDING | "submitting" | SUBMITTED | "pending" => ReceiptPhase::Submitted,
            VALID | "accepted" => ReceiptPhase::Valid,
            INVALID => ReceiptPhase::Invalid,
            REJECTED => ReceiptPhase::Rejected,
            _ => return None,
        })
    }

    /// Parses a state's name as [`ReceiptPhase::as_str`] writes it.
    ///
    /// # Errors
    ///
    /// A text naming no state, with the names that are.
    pub fn parse(text: &str) -> Result<ReceiptPhase, String> {
        ReceiptPhase::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = ReceiptPhase::ALL.iter().map(|p| p.as_str()).collect();
                format!(
                    "unknown receipt state {text:?}: expected one of {}",
                    names.join(", ")
                )
            })
    }

    /// The status the tax authority gives a receipt in this state (`Valid`, `Invalid`,
    /// `Submitted`, `Rejected`); `None` before it was sent.
    pub fn eta_status(self) -> Option<&'static str> {
        match self {
            ReceiptPhase::Parked | ReceiptPhase::Built => None,
            ReceiptPhase::Submitted => Some("Submitted"),
            ReceiptPhase::Valid => Some("Valid"),
            ReceiptPhase::Invalid => Some("Invalid"),
            ReceiptPhase::Rejected => Some("Rejected"),
        }
    }
}

impl std::fmt::Display for ReceiptPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One receipt as `receipts status` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptStatus {
    /// Its uuid (`None` while parked: not built yet).
    pub uuid: Option<String>,
    /// The storefront order.
    pub order_id: String,
    /// The order's name (`#1001`), when known.
    pub order_name: Option<String>,
    /// The POS device whose chain it is on.
    pub device: String,
    /// `sale` or `return`.
    pub kind: String,
    /// Its state.
    pub state: ReceiptPhase,
    /// The status the tax authority gives it, once sent.
    pub eta_status: Option<String>,
    /// Why it is Invalid or rejected (the authority's words), or parked.
    pub reason: Option<String>,
    /// The sale receipt a return references.
    pub reference_uuid: Option<String>,
    /// The Invalid receipt this one replaces.
    pub reference_old_uuid: Option<String>,
    /// The receipt that replaced this Invalid one.
    pub replaced_by: Option<String>,
    /// When it was last sent.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When the tax authority expects it Valid by (the sale or refund time plus the
    /// configured window).
    pub deadline: Option<DateTime<Utc>>,
}

fn text(data: &Value, member: &str) -> Option<String> {
    data.get(member)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn time(data: &Value, member: &str) -> Option<DateTime<Utc>> {
    data.get(member)
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl ReceiptStatus {
    /// The status of a stored receipt binding; `None` for a binding that is not a receipt.
    pub(crate) fn of_binding(binding: &Binding) -> Option<ReceiptStatus> {
        let data = &binding.data;
        let stored = data.get("state").and_then(Value::as_str).unwrap_or(BUILT);
        let state = ReceiptPhase::from_stored(stored)?;
        let kind = if binding.key.starts_with("return:") || text(data, "refund").is_some() {
            "return"
        } else {
            "sale"
        };
        Some(ReceiptStatus {
            uuid: Some(binding.remote_id.clone()),
            order_id: text(data, "order").unwrap_or_default(),
            order_name: text(data, "name"),
            device: text(data, "device").unwrap_or_default(),
            kind: kind.to_owned(),
            state,
            eta_status: state.eta_status().map(str::to_owned),
            reason: text(data, "reason"),
            reference_uuid: text(data, "reference"),
            reference_old_uuid: text(data, "replaces"),
            replaced_by: text(data, "replaced_by"),
            submitted_at: time(data, "submitted_at"),
            deadline: time(data, "deadline"),
        })
    }
}

impl Engine {
    /// Every receipt, one entry each (in the order they were first stored, parked ones
    /// last), optionally only those in `state`. A replaced Invalid receipt is listed too,
    /// with the uuid that replaced it. Reads only the state store.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn receipt_statuses(
        &self,
        state: Option<ReceiptPhase>,
    ) -> Result<Vec<ReceiptStatus>, EngineError> {
        self.migrate().await?;
        let mut out: Vec<ReceiptStatus> = self
            .bindings(BindingKind::Receipt)
            .await?
            .iter()
            .filter_map(ReceiptStatus::of_binding)
            .collect();
        for job in self
            .store
            .jobs(&self.config.scope, Some(JobState::Parked))
            .await?
        {
            if job.kind != JobKind::IssueReceipt.as_str() {
                continue;
            }
            let order = &job.payload["order"];
            let refund = text(&job.payload, "refund_id");
            out.push(ReceiptStatus {
                uuid: None,
                order_id: text(order, "external_id").unwrap_or_default(),
                order_name: text(order, "name"),
                device: job
                    .resource
                    .strip_prefix("chain:")
                    .unwrap_or_else(|| self.devices.default_device())
                    .to_owned(),
                kind: if refund.is_some() { "return" } else { "sale" }.to_owned(),
                state: ReceiptPhase::Parked,
                eta_status: None,
                reason: job.last_error.clone(),
                reference_uuid: None,
                reference_old_uuid: None,
                replaced_by: None,
                submitted_at: None,
                deadline: None,
            });
        }
        if let Some(state) = state {
            out.retain(|r| r.state == state);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_text_forms_read_as_the_new_states() {
        assert_eq!(
            ReceiptPhase::from_stored("accepted"),
            Some(ReceiptPhase::Valid)
        );
        assert_eq!(
            ReceiptPhase::from_stored("pending"),
            Some(ReceiptPhase::Submitted)
        );
        assert_eq!(
            ReceiptPhase::from_stored("submitting"),
            Some(ReceiptPhase::Submitted)
        );
        assert_eq!(
            ReceiptPhase::from_stored("issued"),
            Some(ReceiptPhase::Built)
        );
        assert_eq!(ReceiptPhase::from_stored("nonsense"), None);
        for phase in ReceiptPhase::ALL {
            assert_eq!(ReceiptPhase::parse(phase.as_str()), Ok(phase));
            assert_eq!(ReceiptPhase::from_stored(phase.as_str()), Some(phase));
        }
        assert!(
            ReceiptPhase::parse("accepted")
                .unwrap_err()
                .contains("valid")
        );
    }
}
