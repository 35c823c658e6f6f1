//! Webhooks are hints, the API is the truth: a verified, first-seen event schedules a re-read
//! of its resource; its body is never taken as the latest state.

use std::fmt;

use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::Engine;
use super::jobs::Work;

/// A verified webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// The event id (deliveries of one event share it).
    pub event_id: String,
    /// The topic, for example `orders/updated`.
    pub topic: String,
    /// The order the event concerns, when it concerns one.
    pub order_id: Option<String>,
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

impl Engine {
    /// Handles one webhook delivery: verify, dedupe by event id, schedule a re-read.
    ///
    /// # Errors
    ///
    /// See [`WebhookError`]; nothing is stored for a refused delivery.
    pub async fn handle_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        let verifier = self.verifier.as_ref().ok_or(WebhookError::Unauthorized)?;
        let event = verifier.verify(headers, body)?;
        metrics::counter!("sync_webhooks_total", "topic" => event.topic.clone()).increment(1);
        let Some(order_id) = event.order_id.clone() else {
            return Ok(WebhookOutcome::Ignored);
        };
        self.migrate().await.map_err(webhook_error)?;
        if !self
            .store
            .record_event(&self.config.scope, &event.event_id)
            .await?
        {
            return Ok(WebhookOutcome::Duplicate);
        }
        let work = Work::RefetchOrder {
            order_id: order_id.clone(),
        };
        self.enqueue(
            &work,
            format!("refetch:{order_id}:{}", event.event_id),
            format!("order:{order_id}"),
        )
        .await
        .map_err(webhook_error)?;
        self.wake.notify_one();
        Ok(WebhookOutcome::Scheduled)
    }

    /// Runs the queued jobs now (webhook-triggered work) and returns what they did.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn run_pending(&self) -> Result<super::Summary, super::EngineError> {
        self.drain().await
    }
}

fn webhook_error(error: super::EngineError) -> WebhookError {
    match error {
        super::EngineError::Store(s) => WebhookError::Store(s),
        other => WebhookError::Malformed(other.to_string()),
    }
}
