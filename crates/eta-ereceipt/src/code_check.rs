//! Item codes checked against ETA before a receipt is issued, and item codes read from the ERP.
//!
//! ETA makes a receipt Invalid when a line's `itemCode` is not registered and active for the
//! taxpayer. [`CodeCheck`] keeps the taxpayer's code-usage requests
//! ([`EtaClient::registered_codes`]) for a while (default 10 minutes) and reads them again
//! early (at most once a minute) when a code is missing, so a code approved meanwhile is seen.
//! The adapter ([`crate::adapter::EtaTaxAuthority`]) parks a receipt whose code is not active,
//! naming the item and the code, instead of issuing it.
//!
//! [`ItemCodeSource`] is where codes configured per item come from at run time, for example a
//! field of the ERP's item master; the adapter reads it again after the same interval.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sync_core::connector::{ConnectorError, ConnectorResult};

use crate::client::{CodeStatus, EtaClient, RegisteredCodes};

/// Item codes by SKU, read from somewhere else than the configuration file (the ERP).
#[async_trait]
pub trait ItemCodeSource: Send + Sync {
    /// Every `(sku, item code)` pair known now.
    ///
    /// # Errors
    ///
    /// A failed read, classified as usual.
    async fn item_codes(&self) -> ConnectorResult<Vec<(String, String)>>;
}

struct Cached {
    codes: Arc<RegisteredCodes>,
    at: DateTime<Utc>,
}

/// The taxpayer's registered codes, read from ETA and kept for a while.
pub struct CodeCheck {
    client: EtaClient,
    keep: Duration,
    early: Duration,
    cached: tokio::sync::Mutex<Option<Cached>>,
}

impl std::fmt::Debug for CodeCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeCheck")
            .field("keep", &self.keep)
            .field("early", &self.early)
            .finish_non_exhaustive()
    }
}

/// One line whose code must be active: what to call it, and its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedLine {
    /// How the operator knows the line (`line "Tea" (SKU TEA-1)`).
    pub label: String,
    /// The line's item code.
    pub code: String,
}

impl CodeCheck {
    /// Checks against what `client` lists, kept 10 minutes, read early at most once a minute.
    pub fn new(client: EtaClient) -> Self {
        CodeCheck {
            client,
            keep: Duration::from_secs(600),
            early: Duration::from_secs(60),
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// How long a reading is kept (`keep`), and how soon it may be read again when a code is
    /// missing (`early`).
    pub fn with_intervals(mut self, keep: Duration, early: Duration) -> Self {
        self.keep = keep;
        self.early = early;
        self
    }

    async fn codes(
        &self,
        now: DateTime<Utc>,
        missing: bool,
    ) -> ConnectorResult<Arc<RegisteredCodes>> {
        let mut cached = self.cached.lock().await;
        let age = |c: &Cached| (now - c.at).to_std().unwrap_or_default();
        let fresh = cached.as_ref().is_some_and(|c| {
            let a = age(c);
            a < self.keep && (!missing || a < self.early)
        });
        if !fresh {
            let codes = self
                .client
                .registered_codes()
                .await
                .map_err(ConnectorError::from_client)?;
            *cached = Some(Cached {
                codes: Arc::new(codes),
                at: now,
            });
        }
        Ok(cached.as_ref().map(|c| c.codes.clone()).unwrap_or_default())
    }

    /// The status of each line's code at `now` (ETA read again early when one is not active).
    ///
    /// # Errors
    ///
    /// When the codes cannot be read from ETA.
    pub async fn statuses(
        &self,
        now: DateTime<Utc>,
        lines: &[CodedLine],
    ) -> ConnectorResult<Vec<CodeStatus>> {
        let codes = self.codes(now, false).await?;
        let mut out: Vec<CodeStatus> = lines.iter().map(|l| codes.status(&l.code, now)).collect();
        if out.iter().any(|s| *s != CodeStatus::Active) {
            let codes = self.codes(now, true).await?;
            out = lines.iter().map(|l| codes.status(&l.code, now)).collect();
        }
        Ok(out)
    }

    /// `Ok` when every line's code is active at `now`; else a needs-mapping error
    /// `eta-item-code:<code>` naming the first line whose code is not (its receipt parks until
    /// the code is approved and the job replayed).
    ///
    /// # Errors
    ///
    /// As said, and when the codes cannot be read from ETA.
    pub async fn require_active(
        &self,
        now: DateTime<Utc>,
        receipt: &str,
        lines: &[CodedLine],
    ) -> ConnectorResult<()> {
        let statuses = self.statuses(now, lines).await?;
        match lines
            .iter()
            .zip(statuses)
            .find(|(_, s)| *s != CodeStatus::Active)
        {
            None => Ok(()),
            Some((line, status)) => Err(ConnectorError::needs_mapping(
                format!("eta-item-code:{}", line.code),
                format!(
                    "receipt {receipt}: {}: item code {} is {} at ETA; file a code-usage request \
                     for it (flow-shopify-sync eta-codes --submit), or map the item to a \
                     registered code, then replay the job",
                    line.label,
                    line.code,
                    status.as_str()
                ),
            )),
        }
    }
}
