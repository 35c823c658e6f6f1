//! Webhook deliveries: the verifier seam and what a delivery can come to.
//!
//! Webhooks are hints, the API is the truth: a verified, first-seen event schedules a re-read
//! of its resource ([`Engine::handle_webhook`](super::Engine::handle_webhook), in the orders
//! flow); its body is never taken as the latest state.

use std::fmt;

use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// A verified webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// The event id (deliveries of one event share it).
    pub event_id: String,
    /// The topic, for example `orders/updated`.
    pub topic: String,
    /// The order the event concerns, when it concerns one.
    pub order_id: Option<crate::model::OrderId>,
}

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No verifier is configured, or the signature does not match: answer 401.
    #[error("webhook signature missing or invalid")]
    Unauthorized,
    /// The delivery is signed but unusable (missing headers, unreadable body): answer 400.
    #[error("webhook delivery malformed: {0}")]
    Malformed(String),
    /// The state store failed: answer 500 so the sender retries.
    #[error("state store failed")]
    Store(#[from] crate::store::StoreError),
}

/// What happened to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// New: a re-read was scheduled.
    Scheduled,
    /// Seen before: nothing to do.
    Duplicate,
    /// A topic the engine does not act on (polling covers it).
    Ignored,
}

/// Verifies a delivery and extracts its event (Shopify's HMAC check lives in the Shopify
/// adapter).
pub trait WebhookVerifier: Send + Sync {
    /// Checks the signature over the raw `body` and reads the event from headers and body.
    ///
    /// # Errors
    ///
    /// [`WebhookError::Unauthorized`] on a bad signature, [`WebhookError::Malformed`] when the
    /// delivery cannot be read.
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent, WebhookError>;
}

impl fmt::Debug for dyn WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookVerifier")
    }
}
