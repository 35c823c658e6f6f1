//! The ETA e-receipt HTTP client: POS token, submission, and receipt look-ups.
//!
//! Every call runs in sync-core's request frame ([`Frame`]: a span, the retry driver, the
//! [`Transport`](sync_core::transport::Transport), and this module's classification of the
//! answer): 429 (with `Retry-After`, seconds or an HTTP-date read on the injected clock), 5xx
//! and connection failures are retried under the
//! [`RetryPolicy`](sync_core::retry::RetryPolicy); a timeout or broken connection **after** a
//! submission was sent is never retried blindly — [`EtaClient::submit`] first looks the
//! receipts up by uuid and resends only those ETA does not have.
//!
//! The module is split by what the calls do: [`auth`] (POS credentials and the token
//! cache), [`submit`] (batches and their submission), [`queries`] (look-ups, search and
//! submission details) and [`codes`] (the taxpayer's registered item codes and code-usage
//! requests). Their types are re-exported here.
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

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sync_core::clock::Clock;
use sync_core::frame::{Frame, FrameBuilder};
use sync_core::retry::retry_after_header;
use sync_core::secret::{SecretString, bearer_header, sensitive_header};
use sync_core::transport::{HttpRequest, HttpResponse, TransportError};
use sync_core::url_policy::{InsecureHttp, parse_base_url};
use url::Url;

use crate::error::{Error, EtaError};

pub mod auth;
pub mod codes;
pub mod queries;
pub mod submit;

use auth::TokenKey;
pub use auth::{PosCredentials, TokenCache};
pub use codes::{
    CodeRequest, CodeRequestPage, CodeRequestQuery, CodeStatus, NewCodeRequest, RegisteredCodes,
};
pub use queries::{ReceiptListPage, RecentQuery, SearchQuery, SubmissionDetailsPage};
pub use submit::{
    AcceptedReceipt, BatchReceipt, KnownReceipt, MAX_BATCH_BYTES, MAX_BATCH_RECEIPTS,
    RejectedReceipt, SubmissionBatch, SubmissionResult,
};

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

/// Builder for [`EtaClient`].
pub struct EtaClientBuilder {
    env: Environment,
    credentials: PosCredentials,
    identity_url: String,
    api_url: String,
    insecure: InsecureHttp,
    frame: FrameBuilder,
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

    sync_core::frame_setters! {
        frame,
        transport: "Default: a `ReqwestTransport` with its defaults (10 s connect, 60 s per attempt).",
        retry: "Also bounds the look-up-and-resend rounds of [`EtaClient::submit`]. Default `RetryPolicy::default()`.",
        clock: "Also decides token expiry. Default `TokioClock`.",
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
        let frame = self.frame.build().map_err(|e| Error::Build {
            field: "transport",
            reason: e.to_string(),
        })?;
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
                frame,
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
    /// Transport, retry policy and clock: the frame every call runs in.
    frame: Frame,
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
struct ErrorEnvelope {
    error: EtaError,
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

/// The error for a non-success answer; `Retry-After` is read on `clock`.
fn status_error(endpoint: &'static str, response: &HttpResponse, clock: &dyn Clock) -> Error {
    let status = response.status();
    let hint = retry_after_header(response.headers(), clock);
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
            frame: FrameBuilder::default(),
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

    /// One request in the request frame; when `authenticated`, with the token, and a 401
    /// refreshes the token and sends the request again at once (in the same attempt).
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
        let sent = |sent: Result<HttpResponse, TransportError>| {
            sent.map_err(|source| {
                crate::error::unreachable_or(&inner.api, source, |source| Error::Transport {
                    endpoint,
                    uncertain: non_idempotent && source.maybe_sent(),
                    source,
                })
            })
        };
        let (build, sent) = (&build, &sent);
        inner
            .frame
            .execute("eta", endpoint, move |attempt| async move {
                crate::error::mark_last_attempt(
                    attempt,
                    async {
                        let token = if authenticated {
                            Some(self.token(None).await?)
                        } else {
                            None
                        };
                        let mut response =
                            inner.frame.exchange(build(token.as_ref())?, sent).await?;
                        if authenticated && response.status() == StatusCode::UNAUTHORIZED {
                            tracing::debug!(endpoint, "401: refreshing the token once");
                            let fresh = self.token(token.as_ref()).await?;
                            response = inner.frame.exchange(build(Some(&fresh))?, sent).await?;
                        }
                        if response.status().is_success() {
                            Ok(response)
                        } else {
                            Err(status_error(endpoint, &response, &**inner.frame.clock()))
                        }
                    }
                    .await,
                )
            })
            .await
    }
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
