//! The chat channel: one JSON POST per digest to an incoming webhook. `{"text": "…"}` is what
//! Slack's and Microsoft Teams' incoming webhooks (and Mattermost, Rocket.Chat, Google Chat)
//! accept; the text uses their common markdown (`*bold*` and `-` lists).

use anyhow::{Context, Result, bail};

use super::Digest;
use crate::config::ChatAlerts;

/// The longest a delivery may take.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
/// The most of the webhook's answer kept for an error message.
const ANSWER_BYTES: usize = 300;

/// The message's JSON.
pub fn payload(digest: &Digest, console_url: Option<&str>) -> serde_json::Value {
    let mut text = format!("*{}*\n", digest.subject());
    for finding in &digest.findings {
        text.push_str(&format!("\n*{}*\n", finding.title));
        for example in &finding.examples {
            text.push_str(&format!("- {example}\n"));
        }
        text.push_str(&format!("What to do: {}\n", finding.what_to_do));
    }
    if let Some(url) = console_url {
        text.push_str(&format!("\nOperator console: {url}\n"));
    }
    serde_json::json!({ "text": text })
}

/// Posts the digest.
///
/// # Errors
///
/// When the webhook cannot be reached or answers other than 2xx (the URL, a secret, is not
/// named).
pub async fn send(config: &ChatAlerts, digest: &Digest, console_url: Option<&str>) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .context("building the HTTP client")?;
    let answer = client
        .post(&config.webhook_url)
        .json(&payload(digest, console_url))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("the webhook could not be reached: {}", e.without_url()))?;
    let status = answer.status();
    if !status.is_success() {
        let body = answer.bytes().await.unwrap_or_default();
        let cut = String::from_utf8_lossy(&body[..body.len().min(ANSWER_BYTES)]).into_owned();
        bail!("the webhook answered {status}: {cut}");
    }
    Ok(())
}
