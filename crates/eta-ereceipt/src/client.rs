//! The ETA e-receipt HTTP client: POS token, submission, and receipt look-ups.
//!
//! Every call goes through a sync-core [`Transport`] and [`retry::run`]: 429 (with
//! `Retry-After`), 5xx and connection failures are retried under the [`RetryPolicy`]; a
//! timeout or broken connection **after** a submission was sent is never retried blindly —
//! [`EtaClient::submit`] first looks the receipts up by uuid and resends only those ETA does not
//! have.
//!
//! ```no_run
//! use eta_ereceipt::client::{EtaClient, Environment, PosCredentials, SubmissionBatch};
//! # async fn run(sealed: Vec<eta_ereceipt::model::SealedReceipt>) -> Result<(), eta_ereceipt::Error> {
//! let credentials = PosCredentials::new("client-id", "client-secret", "POS-1", "os", "1", "preshared-key");
//! let client = EtaClient::builder(Environment::Preproduction, credentials).build()?;
//! let batch = SubmissionBatch::from_sealed(&sealed)?;
//! let result = client.submit(&batch).await?;
//! for accepted in &result.accepted {
//!     println!("{} accepted as {}", accepted.uuid, accepted.long_id.as_deref().unwrap_or("?"));
//! }
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderValue, Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use sync_core::clock::{Clock, TokioClock};
use sync_core::error::Classify;
use sync_core::retry::{self, RetryPolicy};
use sync_core::secret::{ExposeSecret, REDACTED, SecretString, bearer_header, sensitive_header};
use sync_core::trace::request_span;
use sync_core::transport::{HttpRequest, HttpResponse, ReqwestTransport, Transport};
use sync_core::url_policy::{InsecureHttp, parse_base_url};
use tracing::Instrument;
use url::Url;

use crate::ReceiptUuid;
use crate::canonical;
use crate::error::{Error, EtaError};
use crate::model::SealedReceipt;

/// Most receipts in one submission.
pub const MAX_BATCH_RECEIPTS: usize = 500;
/// Most bytes in one submission body (1.5 MB, counted as 1,500,000 bytes to stay safe).
pub const MAX_BATCH_BYTES: usize = 1_500_000;

/// ETA environment presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Environment {
    /// Pre-production (testing).
    Preproduction,
    /// Production.
    Production,
}

impl Environment {
    /// The identity service (token) base URL.
    pub fn identity_url(self) -> &'static str {
        match self {
            Environment::Preproduction => "https://id.preprod.eta.gov.eg",
            Environment::Production => "https://id.eta.gov.eg",
        }
    }

    /// The API base URL.
    pub fn api_url(self) -> &'static str {
        match self {
            Environment::Preproduction => "https://api.preprod.invoicing.eta.gov.eg",
            Environment::Production => "https://api.invoicing.eta.gov.eg",
        }
    }

    /// The portal used in QR links.
    pub fn portal(self) -> crate::qr::Portal {
        match self {
            Environment::Preproduction => crate::qr::Portal::Preproduction,
            Environment::Production => crate::qr::Portal::Production,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Environment::Preproduction => "preprod",
            Environment::Production => "prod",
        }
    }
}

/// The POS's credentials: OAuth client id/secret and the four POS headers.
#[derive(Clone)]
pub struct PosCredentials {
    client_id: String,
    client_secret: SecretString,
    pos_serial: String,
    pos_os_version: String,
    pos_model_framework: String,
    pre_shared_key: SecretString,
}

impl fmt::Debug for PosCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PosCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &REDACTED)
            .field("pos_serial", &self.pos_serial)
            .field("pos_os_version", &self.pos_os_version)
            .field("pos_model_framework", &self.pos_model_framework)
            .field("pre_shared_key", &REDACTED)
            .finish()
    }
}

impl PosCredentials {
    /// Credentials of one POS device (`pos_serial` = `seller.deviceSerialNumber`).
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        pos_serial: impl Into<String>,
        pos_os_version: impl Into<String>,
        pos_model_framework: impl Into<String>,
        pre_shared_key: impl Into<String>,
    ) -> Self {
        PosCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            pos_serial: pos_serial.into(),
            pos_os_version: pos_os_version.into(),
            pos_model_framework: pos_model_framework.into(),
            pre_shared_key: SecretString::from(pre_shared_key.into()),
        }
    }

    /// The OAuth client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The POS serial.
    pub fn pos_serial(&self) -> &str {
        &self.pos_serial
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct TokenKey {
    env: String,
    client_id: String,
    pos_serial: String,
}

struct CachedToken {
    token: SecretString,
    refresh_at: DateTime<Utc>,
}

/// Access tokens cached per environment + client id + POS serial. Clone it to share one cache
/// between clients; each client has its own by default.
#[derive(Clone, Default)]
pub struct TokenCache {
    inner: Arc<tokio::sync::Mutex<HashMap<TokenKey, CachedToken>>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache").finish_non_exhaustive()
    }
}

/// Builder for [`EtaClient`].
pub struct EtaClientBuilder {
    env: Environment,
    credentials: PosCredentials,
    identity_url: String,
    api_url: String,
    insecure: InsecureHttp,
    transport: Option<Arc<dyn Transport>>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    cache: TokenCache,
    refresh_margin: Duration,
    signatures: bool,
    resend_wait_limit: Duration,
}

impl fmt::Debug for EtaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtaClientBuilder")
            .field("env", &self.env)
            .field("credentials", &self.credentials)
            .field("identity_url", &self.identity_url)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl EtaClientBuilder {
    /// Overrides the identity (token) base URL. Default: the environment's preset. Must be
    /// https unless loopback (see [`insecure_http`](Self::insecure_http)).
    pub fn identity_url(mut self, url: impl Into<String>) -> Self {
        self.identity_url = url.into();
        self
    }

    /// Overrides the API base URL. Default: the environment's preset. This is useful for
    /// testing.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// Allows plain http to non-loopback hosts. Default [`InsecureHttp::Refuse`].
    pub fn insecure_http(mut self, insecure: InsecureHttp) -> Self {
        self.insecure = insecure;
        self
    }

    /// The transport. Default: a [`ReqwestTransport`] with its defaults (10 s connect, 60 s
    /// per attempt).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The retry policy for every call. Default [`RetryPolicy::default`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The clock (token expiry and backoff sleeps). Default [`TokioClock`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A token cache shared with other clients. Default: a cache of this client's own.
    pub fn token_cache(mut self, cache: TokenCache) -> Self {
        self.cache = cache;
        self
    }

    /// How long before `expires_in` a token is renewed. Default 120 s (never more than half
    /// the token's lifetime).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Whether submissions carry `"signatures":[{"signatureType":"I","value":""}]` (ETA's
    /// signature check is not deployed; one shipping integration sends this, another sends
    /// nothing). Default `true`.
    pub fn empty_issuer_signature(mut self, yes: bool) -> Self {
        self.signatures = yes;
        self
    }

    /// The longest `Retry-After` that [`EtaClient::submit`] waits out before resending the
    /// receipts ETA does not have after an uncertain send; beyond it they are returned in
    /// [`SubmissionResult::unresolved`]. Default 30 s.
    pub fn resend_wait_limit(mut self, limit: Duration) -> Self {
        self.resend_wait_limit = limit;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Build`] for a base URL that does not parse or breaks the https policy, or
    /// when the default transport cannot be created.
    pub fn build(self) -> Result<EtaClient, Error> {
        let identity =
            parse_base_url("identity_url", &self.identity_url, self.insecure).map_err(|e| {
                Error::Build {
                    field: "identity_url",
                    reason: e.to_string(),
                }
            })?;
        let api =
            parse_base_url("api_url", &self.api_url, self.insecure).map_err(|e| Error::Build {
                field: "api_url",
                reason: e.to_string(),
            })?;
        for (field, value) in [
            ("posserial", self.credentials.pos_serial.as_str()),
            ("pososversion", self.credentials.pos_os_version.as_str()),
            (
                "posmodelframework",
                self.credentials.pos_model_framework.as_str(),
            ),
        ] {
            HeaderValue::from_str(value).map_err(|_| Error::Build {
                field,
                reason: "not a valid header value".into(),
            })?;
        }
        sensitive_header(&self.credentials.pre_shared_key).map_err(|_| Error::Build {
            field: "presharedkey",
            reason: "not a valid header value".into(),
        })?;
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(ReqwestTransport::new().map_err(|e| Error::Build {
                field: "transport",
                reason: e.to_string(),
            })?),
        };
        let key = TokenKey {
            env: format!("{}|{}", self.env.label(), identity),
            client_id: self.credentials.client_id.clone(),
            pos_serial: self.credentials.pos_serial.clone(),
        };
        Ok(EtaClient {
            inner: Arc::new(Inner {
                env: self.env,
                credentials: self.credentials,
                identity,
                api,
                transport,
                retry: self.retry,
                clock: self.clock,
                cache: self.cache,
                key,
                refresh_margin: self.refresh_margin,
                signatures: self.signatures,
                resend_wait_limit: self.resend_wait_limit,
            }),
        })
    }
}

struct Inner {
    env: Environment,
    credentials: PosCredentials,
    identity: Url,
    api: Url,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    cache: TokenCache,
    key: TokenKey,
    refresh_margin: Duration,
    signatures: bool,
    resend_wait_limit: Duration,
}

/// The ETA e-receipt API client. Cheap to clone.
#[derive(Clone)]
pub struct EtaClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for EtaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtaClient")
            .field("env", &self.inner.env)
            .field("identity", &self.inner.identity.as_str())
            .field("api", &self.inner.api.as_str())
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: EtaError,
}

/// One receipt ready to send: its uuid, number and exact JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReceipt {
    /// The uuid (already in the text).
    pub uuid: ReceiptUuid,
    /// `header.receiptNumber`.
    pub receipt_number: String,
    /// The exact JSON text sent.
    pub json: String,
}

/// Receipts of one POS device to send in one submission (≤ 500 receipts, ≤ 1.5 MB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionBatch {
    device: String,
    receipts: Vec<BatchReceipt>,
}

#[derive(Deserialize)]
struct Probe {
    header: ProbeHeader,
    seller: ProbeSeller,
}
#[derive(Deserialize)]
struct ProbeHeader {
    #[serde(rename = "receiptNumber", default)]
    receipt_number: String,
}
#[derive(Deserialize)]
struct ProbeSeller {
    #[serde(rename = "deviceSerialNumber")]
    device_serial_number: String,
}

#[derive(Deserialize)]
struct BatchText<'a> {
    #[serde(borrow)]
    receipts: Vec<&'a RawValue>,
}

impl SubmissionBatch {
    /// A batch of sealed receipts (their JSON is sent byte for byte).
    ///
    /// # Errors
    ///
    /// [`Error::Batch`] when empty, above 500 receipts or 1.5 MB, or from several devices.
    pub fn from_sealed(sealed: &[SealedReceipt]) -> Result<Self, Error> {
        let receipts = sealed
            .iter()
            .map(|s| BatchReceipt {
                uuid: s.uuid.clone(),
                receipt_number: s.receipt.header.receipt_number.clone(),
                json: s.json.clone(),
            })
            .collect();
        let devices: Vec<&str> = sealed
            .iter()
            .map(|s| s.receipt.seller.device_serial_number.as_str())
            .collect();
        Self::checked(receipts, &devices)
    }

    /// A batch from the text of a `{"receipts":[...]}` document: each receipt's text is kept
    /// as is, except that its uuid is computed and written into `header.uuid`.
    ///
    /// # Errors
    ///
    /// [`Error::Uuid`] for malformed JSON or a receipt without `header.uuid`,
    /// [`Error::Batch`] as in [`from_sealed`](Self::from_sealed).
    pub fn from_batch_json(text: &str) -> Result<Self, Error> {
        canonical::batch_receipt_uuids(text)?;
        let parsed: BatchText<'_> = serde_json::from_str(text)
            .map_err(|e| Error::Batch(format!("not a {{\"receipts\":[...]}} document: {e}")))?;
        let mut receipts = Vec::with_capacity(parsed.receipts.len());
        let mut devices = Vec::with_capacity(parsed.receipts.len());
        for (i, raw) in parsed.receipts.iter().enumerate() {
            let stamped = canonical::stamp_receipt_uuid(raw.get())?;
            let probe: Probe = serde_json::from_str(raw.get()).map_err(|e| {
                Error::Batch(format!("receipts[{i}]: header.receiptNumber and seller.deviceSerialNumber are needed ({e})"))
            })?;
            devices.push(probe.seller.device_serial_number);
            receipts.push(BatchReceipt {
                uuid: stamped.uuid,
                receipt_number: probe.header.receipt_number,
                json: stamped.json,
            });
        }
        let refs: Vec<&str> = devices.iter().map(String::as_str).collect();
        Self::checked(receipts, &refs)
    }

    fn checked(receipts: Vec<BatchReceipt>, devices: &[&str]) -> Result<Self, Error> {
        if receipts.is_empty() {
            return Err(Error::Batch(
                "a submission needs at least one receipt".into(),
            ));
        }
        if receipts.len() > MAX_BATCH_RECEIPTS {
            return Err(Error::Batch(format!(
                "{} receipts; at most {MAX_BATCH_RECEIPTS} per submission",
                receipts.len()
            )));
        }
        let device = devices[0];
        if let Some((i, other)) = devices.iter().enumerate().find(|(_, d)| **d != device) {
            return Err(Error::Batch(format!(
                "receipts[{i}] is from device {other:?} but receipts[0] from {device:?}; one submission carries one POS device"
            )));
        }
        let batch = SubmissionBatch {
            device: device.to_owned(),
            receipts,
        };
        let size = batch.body(None, true).len();
        if size > MAX_BATCH_BYTES {
            return Err(Error::Batch(format!(
                "{size} bytes; at most {MAX_BATCH_BYTES} per submission"
            )));
        }
        Ok(batch)
    }

    /// The POS device of every receipt.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The receipts, in order.
    pub fn receipts(&self) -> &[BatchReceipt] {
        &self.receipts
    }

    /// Splits sealed receipts of one device into batches within both limits, keeping order.
    ///
    /// # Errors
    ///
    /// As [`from_sealed`](Self::from_sealed) (e.g. a single receipt above 1.5 MB).
    pub fn split(sealed: &[SealedReceipt]) -> Result<Vec<SubmissionBatch>, Error> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut size = 64;
        for (i, s) in sealed.iter().enumerate() {
            let add = s.json.len() + 1;
            if i > start && (i - start == MAX_BATCH_RECEIPTS || size + add > MAX_BATCH_BYTES) {
                out.push(Self::from_sealed(&sealed[start..i])?);
                start = i;
                size = 64;
            }
            size += add;
        }
        if start < sealed.len() {
            out.push(Self::from_sealed(&sealed[start..])?);
        }
        Ok(out)
    }

    /// The request body for all receipts, or for those whose uuid is in `only`.
    fn body(&self, only: Option<&[ReceiptUuid]>, signatures: bool) -> String {
        let mut body = String::with_capacity(
            self.receipts
                .iter()
                .map(|r| r.json.len() + 1)
                .sum::<usize>()
                + 80,
        );
        body.push_str("{\"receipts\":[");
        let mut first = true;
        for r in &self.receipts {
            if only.is_some_and(|o| !o.contains(&r.uuid)) {
                continue;
            }
            if !first {
                body.push(',');
            }
            first = false;
            body.push_str(&r.json);
        }
        body.push(']');
        if signatures {
            body.push_str(",\"signatures\":[{\"signatureType\":\"I\",\"value\":\"\"}]");
        }
        body.push('}');
        body
    }
}

/// A receipt ETA accepted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedReceipt {
    /// The uuid.
    pub uuid: String,
    /// ETA's long id.
    #[serde(default)]
    pub long_id: Option<String>,
    /// The receipt number.
    #[serde(default)]
    pub receipt_number: Option<String>,
    /// ETA's hash key.
    #[serde(default)]
    pub hash_key: Option<String>,
}

/// A receipt ETA rejected.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedReceipt {
    /// The uuid.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The receipt number.
    #[serde(default)]
    pub receipt_number: Option<String>,
    /// Why.
    #[serde(default)]
    pub error: Option<EtaError>,
}

/// A receipt found by uuid after an uncertain send (so it was not sent again).
#[derive(Debug, Clone, PartialEq)]
pub struct KnownReceipt {
    /// The uuid.
    pub uuid: ReceiptUuid,
    /// What `GET /api/v1/receipts/{uuid}/raw` returned.
    pub raw: serde_json::Value,
}

/// The outcome of [`EtaClient::submit`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubmissionResult {
    /// The submission id(s) (`submissionId` or `submissionUUID`), one per request that got an
    /// answer.
    pub submission_ids: Vec<String>,
    /// Accepted receipts.
    pub accepted: Vec<AcceptedReceipt>,
    /// Rejected receipts, with ETA's reasons.
    pub rejected: Vec<RejectedReceipt>,
    /// Receipts that ETA already had when a response was lost (found by uuid, not resent).
    pub already_known: Vec<KnownReceipt>,
    /// Receipts ETA did not have after an uncertain send, not resent because ETA asked to wait
    /// longer than [`EtaClientBuilder::resend_wait_limit`]: submit them again later.
    pub unresolved: Vec<ReceiptUuid>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubmitResponse {
    #[serde(default, alias = "submissionUUID", alias = "submissionUuid")]
    submission_id: Option<String>,
    #[serde(default)]
    accepted_documents: Vec<AcceptedReceipt>,
    #[serde(default)]
    rejected_documents: Vec<RejectedReceipt>,
}

/// One page of a submission's details.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionDetailsPage {
    /// The receipts listed on this page (`receipts`, or `documentSummary` as in the invoice
    /// API).
    pub receipts: Vec<serde_json::Value>,
    /// The submission's overall status, when given (`status` or `overallStatus`).
    pub status: Option<String>,
    /// Total pages, when given (`metadata.totalPages`).
    pub total_pages: Option<u32>,
    /// The whole response.
    pub raw: serde_json::Value,
}

/// Filters of [`EtaClient::search`] (ETA's query parameter names; `None`s are omitted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Free text (at least 5 characters).
    pub free_text: Option<String>,
    /// `Submitted` or `Received`.
    pub direction: Option<String>,
    /// Issued from (UTC).
    pub date_time_issued_from: Option<String>,
    /// Issued to (UTC).
    pub date_time_issued_to: Option<String>,
    /// Received from (UTC).
    pub date_time_received_from: Option<String>,
    /// Received to (UTC).
    pub date_time_received_to: Option<String>,
    /// `s` or `r`.
    pub document_type_code: Option<String>,
    /// POS serial.
    pub pos_serial_number: Option<String>,
    /// Page number (1-based).
    pub page_no: Option<u32>,
    /// Page size.
    pub page_size: Option<u32>,
}

impl SearchQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut add = |k: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                out.push((k, v.clone()));
            }
        };
        add("FreeText", &self.free_text);
        add("Direction", &self.direction);
        add("DateTimeIssuedFrom", &self.date_time_issued_from);
        add("DateTimeIssuedTo", &self.date_time_issued_to);
        add("DateTimeReceivedFrom", &self.date_time_received_from);
        add("DateTimeReceivedTo", &self.date_time_received_to);
        add("DocumentTypeCode", &self.document_type_code);
        add("PosSerialNumber", &self.pos_serial_number);
        if let Some(n) = self.page_no {
            out.push(("PageNo", n.to_string()));
        }
        if let Some(n) = self.page_size {
            out.push(("PageSize", n.to_string()));
        }
        out
    }
}

fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let text = response
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    if let Ok(secs) = text.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(text.trim()).ok()?;
    (at.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

fn decode<T: DeserializeOwned>(
    endpoint: &'static str,
    body: &[u8],
    uncertain: bool,
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|source| Error::Decode {
        endpoint,
        uncertain,
        source,
    })
}

fn status_error(endpoint: &'static str, response: &HttpResponse) -> Error {
    let status = response.status();
    let hint = retry_after(response);
    let body: Option<Box<EtaError>> = serde_json::from_slice::<ErrorEnvelope>(response.body())
        .map(|e| Box::new(e.error))
        .ok();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Error::RateLimited {
            endpoint,
            retry_after: hint,
        };
    }
    if status == StatusCode::UNPROCESSABLE_ENTITY
        && endpoint == "submit"
        && body
            .as_ref()
            .and_then(|b| b.code.as_deref())
            .is_none_or(|c| c.eq_ignore_ascii_case("DuplicateSubmission"))
    {
        return Error::DuplicateSubmission { retry_after: hint };
    }
    Error::Api {
        endpoint,
        status: status.as_u16(),
        error: body,
        retry_after: hint,
    }
}

impl EtaClient {
    /// A builder for `env` with `credentials`; see the setters for the defaults.
    pub fn builder(env: Environment, credentials: PosCredentials) -> EtaClientBuilder {
        EtaClientBuilder {
            env,
            credentials,
            identity_url: env.identity_url().to_owned(),
            api_url: env.api_url().to_owned(),
            insecure: InsecureHttp::Refuse,
            transport: None,
            retry: RetryPolicy::default(),
            clock: Arc::new(TokioClock),
            cache: TokenCache::default(),
            refresh_margin: Duration::from_secs(120),
            signatures: true,
            resend_wait_limit: Duration::from_secs(30),
        }
    }

    /// The environment.
    pub fn environment(&self) -> Environment {
        self.inner.env
    }

    fn join(base: &Url, path: &str) -> String {
        format!("{}{}", base.as_str().trim_end_matches('/'), path)
    }

    /// A valid access token, from the cache or from the identity service.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] when the credentials are refused, [`Error::Transport`] / [`Error::Api`]
    /// when the identity service cannot be reached.
    pub async fn access_token(&self) -> Result<SecretString, Error> {
        self.token(None).await
    }

    /// `stale`: a token that just got a 401; a different cached token is reused, the same
    /// one is replaced.
    async fn token(&self, stale: Option<&SecretString>) -> Result<SecretString, Error> {
        let inner = &self.inner;
        let mut cache = inner.cache.inner.lock().await;
        let now = inner.clock.now_utc();
        if let Some(cached) = cache.get(&inner.key) {
            let is_stale = stale.is_some_and(|s| s.expose_secret() == cached.token.expose_secret());
            if !is_stale && now < cached.refresh_at {
                return Ok(cached.token.clone());
            }
        }
        let fetched = self.fetch_token().await?;
        // an absent lifetime counts as ETA's usual hour; an absurd one is capped at a day
        let lifetime = Duration::from_secs(fetched.expires_in.unwrap_or(3600).min(86_400));
        let margin = inner.refresh_margin.min(lifetime / 2);
        let refresh_at = chrono::Duration::from_std(lifetime - margin)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(now);
        let token = SecretString::from(fetched.access_token);
        cache.insert(
            inner.key.clone(),
            CachedToken {
                token: token.clone(),
                refresh_at,
            },
        );
        Ok(token)
    }

    async fn fetch_token(&self) -> Result<TokenResponse, Error> {
        let inner = &self.inner;
        let c = &inner.credentials;
        let url = Self::join(&inner.identity, "/connect/token");
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &c.client_id)
            .append_pair("client_secret", c.client_secret.expose_secret())
            .finish();
        let body = Bytes::from(form);
        let span = request_span("eta", "token");
        retry::run(&inner.retry, &*inner.clock, |_| {
            let body = body.clone();
            let url = url.clone();
            async move {
                let request = http::Request::post(url)
                    .header(
                        http::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .header(http::header::ACCEPT, "application/json")
                    .header("posserial", c.pos_serial.as_str())
                    .header("pososversion", c.pos_os_version.as_str())
                    .header("posmodelframework", c.pos_model_framework.as_str())
                    .header(
                        "presharedkey",
                        sensitive_header(&c.pre_shared_key).map_err(|_| Error::Build {
                            field: "presharedkey",
                            reason: "not a valid header value".into(),
                        })?,
                    )
                    .body(body)
                    .map_err(|e| Error::Build {
                        field: "identity_url",
                        reason: e.to_string(),
                    })?;
                let response =
                    inner
                        .transport
                        .send(request)
                        .await
                        .map_err(|source| Error::Transport {
                            endpoint: "token",
                            // asking for a token twice does no harm
                            uncertain: false,
                            source,
                        })?;
                tracing::Span::current().record("status", response.status().as_u16());
                let status = response.status();
                if status.is_success() {
                    return decode::<TokenResponse>("token", response.body(), false);
                }
                if status == StatusCode::BAD_REQUEST || status == StatusCode::UNAUTHORIZED {
                    let err: OAuthError =
                        serde_json::from_slice(response.body()).unwrap_or_default();
                    return Err(Error::Auth {
                        status: status.as_u16(),
                        code: err.error.unwrap_or_else(|| "unknown".into()),
                    });
                }
                Err(status_error("token", &response))
            }
        })
        .instrument(span)
        .await
    }

    /// One authenticated request with the retry policy; 401 refreshes the token once.
    async fn call(
        &self,
        endpoint: &'static str,
        method: Method,
        path_and_query: &str,
        body: Option<Bytes>,
        authenticated: bool,
    ) -> Result<HttpResponse, Error> {
        let inner = &self.inner;
        let url = Self::join(&inner.api, path_and_query);
        let non_idempotent = method == Method::POST;
        let span = request_span("eta", endpoint);
        retry::run(&inner.retry, &*inner.clock, |_| {
            let url = url.clone();
            let body = body.clone();
            let method = method.clone();
            async move {
                let build = |token: Option<&SecretString>| -> Result<HttpRequest, Error> {
                    let mut b = http::Request::builder()
                        .method(method.clone())
                        .uri(url.as_str())
                        .header(http::header::ACCEPT, "application/json");
                    if body.is_some() {
                        b = b.header(http::header::CONTENT_TYPE, "application/json");
                    }
                    if let Some(t) = token {
                        let value = bearer_header(t).map_err(|_| Error::Build {
                            field: "access_token",
                            reason: "not a valid header value".into(),
                        })?;
                        b = b.header(http::header::AUTHORIZATION, value);
                    }
                    b.body(body.clone().unwrap_or_default())
                        .map_err(|e| Error::Build {
                            field: "api_url",
                            reason: e.to_string(),
                        })
                };
                let send = |request: HttpRequest| async move {
                    inner
                        .transport
                        .send(request)
                        .await
                        .map_err(|source| Error::Transport {
                            endpoint,
                            uncertain: non_idempotent && source.maybe_sent(),
                            source,
                        })
                };
                let token = if authenticated {
                    Some(self.token(None).await?)
                } else {
                    None
                };
                let mut response = send(build(token.as_ref())?).await?;
                if authenticated && response.status() == StatusCode::UNAUTHORIZED {
                    tracing::debug!(endpoint, "401: refreshing the token once");
                    let fresh = self.token(token.as_ref()).await?;
                    response = send(build(Some(&fresh))?).await?;
                }
                tracing::Span::current().record("status", response.status().as_u16());
                if response.status().is_success() {
                    Ok(response)
                } else {
                    Err(status_error(endpoint, &response))
                }
            }
        })
        .instrument(span)
        .await
    }

    /// Submits one batch. Receipts ETA already has after a lost response (or a 422 duplicate)
    /// are looked up by uuid and reported in [`SubmissionResult::already_known`]; only the
    /// others are sent again.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for a refused submission (400 `BadStructure`, 403, …), the last
    /// retryable error when the policy gives up, or the uncertain error when look-ups fail
    /// too (then nothing is known: try [`receipt_raw`](Self::receipt_raw) later).
    pub async fn submit(&self, batch: &SubmissionBatch) -> Result<SubmissionResult, Error> {
        if batch.device != self.inner.credentials.pos_serial {
            return Err(Error::Batch(format!(
                "the batch is from device {:?} but the client's token is for POS {:?}",
                batch.device, self.inner.credentials.pos_serial
            )));
        }
        let mut result = SubmissionResult::default();
        let mut pending: Vec<ReceiptUuid> = batch.receipts.iter().map(|r| r.uuid.clone()).collect();
        let mut rounds = 0u32;
        loop {
            rounds += 1;
            let only = (pending.len() != batch.receipts.len()).then_some(pending.as_slice());
            let body = Bytes::from(batch.body(only, self.inner.signatures));
            match self
                .call(
                    "submit",
                    Method::POST,
                    "/api/v1/receiptsubmissions",
                    Some(body),
                    true,
                )
                .await
            {
                Ok(response) => {
                    let parsed: SubmitResponse = decode("submit", response.body(), true)?;
                    result.submission_ids.extend(parsed.submission_id);
                    result.accepted.extend(parsed.accepted_documents);
                    result.rejected.extend(parsed.rejected_documents);
                    return Ok(result);
                }
                Err(error) if error.is_uncertain() && rounds < self.inner.retry.attempts() => {
                    tracing::warn!(%error, receipts = pending.len(), "submission outcome unknown: looking the receipts up before any resend");
                    let wait = error.retry_after();
                    let mut still = Vec::new();
                    for uuid in pending {
                        match self.receipt_raw(uuid.as_str()).await {
                            Ok(Some(raw)) => result.already_known.push(KnownReceipt { uuid, raw }),
                            Ok(None) => still.push(uuid),
                            // look-up failed: the outcome stays unknown; report the first error
                            Err(_) => return Err(error),
                        }
                    }
                    if still.is_empty() {
                        return Ok(result);
                    }
                    if let Some(wait) = wait {
                        if wait > self.inner.resend_wait_limit {
                            result.unresolved = still;
                            return Ok(result);
                        }
                        self.inner.clock.sleep(wait).await;
                    }
                    pending = still;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// `GET /api/v1/receipts/{uuid}/raw`: the receipt as ETA holds it, `None` on 404.
    ///
    /// # Errors
    ///
    /// Any other failure (after retries).
    pub async fn receipt_raw(&self, uuid: &str) -> Result<Option<serde_json::Value>, Error> {
        self.get_optional(
            "receipt_raw",
            &format!("/api/v1/receipts/{}/raw", path_segment(uuid)),
            true,
        )
        .await
    }

    /// `GET /api/v1/receipts/{uuid}/details`, `None` on 404.
    ///
    /// # Errors
    ///
    /// Any other failure (after retries).
    pub async fn receipt_details(&self, uuid: &str) -> Result<Option<serde_json::Value>, Error> {
        self.get_optional(
            "receipt_details",
            &format!("/api/v1/receipts/{}/details", path_segment(uuid)),
            true,
        )
        .await
    }

    /// `GET /api/v1/receipts/{uuid}/share?dateTimeIssued=…` (anonymous: no token is sent),
    /// `None` on 404.
    ///
    /// # Errors
    ///
    /// Any other failure (after retries).
    pub async fn share(
        &self,
        uuid: &str,
        date_time_issued: &str,
    ) -> Result<Option<serde_json::Value>, Error> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("dateTimeIssued", date_time_issued)
            .finish();
        self.get_optional(
            "share",
            &format!("/api/v1/receipts/{}/share?{query}", path_segment(uuid)),
            false,
        )
        .await
    }

    /// `GET /api/v1/receipts/search` with `query`.
    ///
    /// # Errors
    ///
    /// Any failure (after retries).
    pub async fn search(&self, query: &SearchQuery) -> Result<serde_json::Value, Error> {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query.pairs() {
            q.append_pair(k, &v);
        }
        let response = self
            .call(
                "search",
                Method::GET,
                &format!("/api/v1/receipts/search?{}", q.finish()),
                None,
                true,
            )
            .await?;
        decode("search", response.body(), false)
    }

    /// One page of `GET /api/v1/receiptsubmissions/{id}/details?PageNo=&PageSize=`.
    ///
    /// # Errors
    ///
    /// Any failure (after retries).
    pub async fn submission_details(
        &self,
        submission_id: &str,
        page_no: u32,
        page_size: u32,
    ) -> Result<SubmissionDetailsPage, Error> {
        let path = format!(
            "/api/v1/receiptsubmissions/{}/details?PageNo={page_no}&PageSize={page_size}",
            path_segment(submission_id)
        );
        let response = self
            .call("submission_details", Method::GET, &path, None, true)
            .await?;
        let raw: serde_json::Value = decode("submission_details", response.body(), false)?;
        let receipts = raw
            .get("receipts")
            .or_else(|| raw.get("documentSummary"))
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        let status = raw
            .get("status")
            .or_else(|| raw.get("overallStatus"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let total_pages = raw
            .get("metadata")
            .and_then(|m| m.get("totalPages"))
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        Ok(SubmissionDetailsPage {
            receipts,
            status,
            total_pages,
            raw,
        })
    }

    /// Every receipt of a submission, page after page, as a stream (the first page is fetched
    /// when the stream is first polled; it stops after the last page or the first error).
    pub fn submission_receipts(
        &self,
        submission_id: &str,
        page_size: u32,
    ) -> impl futures::Stream<Item = Result<serde_json::Value, Error>> + '_ {
        let id = submission_id.to_owned();
        sync_core::paging::paginate(Some(1u32), move |page| {
            let id = id.clone();
            async move {
                let page_no = page.unwrap_or(1);
                let details = self.submission_details(&id, page_no, page_size).await?;
                let more = details.total_pages.is_some_and(|t| page_no < t);
                Ok(sync_core::paging::Page::new(
                    details.receipts,
                    more.then_some(page_no + 1),
                ))
            }
        })
    }

    async fn get_optional(
        &self,
        endpoint: &'static str,
        path: &str,
        authenticated: bool,
    ) -> Result<Option<serde_json::Value>, Error> {
        match self
            .call(endpoint, Method::GET, path, None, authenticated)
            .await
        {
            Ok(response) => decode(endpoint, response.body(), false).map(Some),
            Err(Error::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl From<sync_core::paging::PageError> for Error {
    fn from(e: sync_core::paging::PageError) -> Self {
        Error::Batch(e.to_string())
    }
}

/// Percent-encodes a path segment (uuids and ids are plain, but never trust input).
fn path_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let creds = PosCredentials::new("cid", "s3cret-value", "POS-1", "os", "1", "psk-value");
        let client = EtaClient::builder(Environment::Preproduction, creds.clone())
            .transport(Arc::new(|_req: HttpRequest| async {
                Ok::<_, sync_core::transport::TransportError>(http::Response::new(Bytes::new()))
            }))
            .build()
            .unwrap();
        let builder = EtaClient::builder(Environment::Production, creds.clone());
        for text in [
            format!("{creds:?}"),
            format!("{client:?}"),
            format!("{builder:?}"),
        ] {
            assert!(
                !text.contains("s3cret-value") && !text.contains("psk-value"),
                "{text}"
            );
            assert!(text.contains("POS-1"));
        }
    }

    #[test]
    fn plain_http_is_refused_for_remote_hosts() {
        let creds = PosCredentials::new("cid", "s", "POS-1", "os", "1", "k");
        let err = EtaClient::builder(Environment::Production, creds)
            .api_url("http://api.invoicing.eta.gov.eg")
            .build()
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Build {
                    field: "api_url",
                    ..
                }
            ),
            "{err}"
        );
    }
}
