//! The POS's credentials and its access token: the OAuth client-credentials grant on the
//! identity host, with the four POS headers, cached per environment + client id + POS serial
//! until shortly before it expires.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Deserialize;
use sync_core::secret::{ExposeSecret, REDACTED, SecretString, sensitive_header};
use sync_core::transport::{HttpRequest, HttpResponse, TransportError};

use super::{EtaClient, decode, status_error};
use crate::error::Error;

/// The POS's credentials: OAuth client id/secret and the four POS headers.
#[derive(Clone)]
pub struct PosCredentials {
    pub(super) client_id: String,
    pub(super) client_secret: SecretString,
    pub(super) pos_serial: String,
    pub(super) pos_os_version: String,
    pub(super) pos_model_framework: String,
    pub(super) pre_shared_key: SecretString,
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
pub(super) struct TokenKey {
    pub(super) env: String,
    pub(super) client_id: String,
    pub(super) pos_serial: String,
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

impl EtaClient {
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
    pub(super) async fn token(&self, stale: Option<&SecretString>) -> Result<SecretString, Error> {
        let inner = &self.inner;
        let mut cache = inner.cache.inner.lock().await;
        let now = inner.frame.clock().now_utc();
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
        let build = || -> Result<HttpRequest, Error> {
            http::Request::post(url.as_str())
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
                .body(body.clone())
                .map_err(|e| Error::Build {
                    field: "identity_url",
                    reason: e.to_string(),
                })
        };
        let classify = |sent: Result<HttpResponse, TransportError>| {
            let response = sent.map_err(|source| {
                crate::error::unreachable_or(&inner.identity, source, |source| Error::Transport {
                    endpoint: "token",
                    // asking for a token twice does no harm
                    uncertain: false,
                    source,
                })
            })?;
            let status = response.status();
            if status.is_success() {
                return decode::<TokenResponse>("token", response.body(), false);
            }
            if status == StatusCode::BAD_REQUEST || status == StatusCode::UNAUTHORIZED {
                let err: OAuthError = serde_json::from_slice(response.body()).unwrap_or_default();
                return Err(Error::Auth {
                    status: status.as_u16(),
                    code: err.error.unwrap_or_else(|| "unknown".into()),
                });
            }
            Err(status_error("token", &response, &**inner.frame.clock()))
        };
        let (build, classify) = (&build, &classify);
        inner
            .frame
            .execute("eta", "token", |attempt| async move {
                let sent = inner.frame.exchange(build()?, classify).await;
                crate::error::mark_last_attempt(attempt, sent)
            })
            .await
    }
}
