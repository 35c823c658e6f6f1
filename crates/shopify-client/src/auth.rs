//! Authentication: a static Admin API access token, the client-credentials grant (Dev
//! Dashboard apps, 24 h tokens refreshed ahead of expiry) and the OAuth authorization-code
//! flow (public and custom apps).
//!
//! Tokens are [`SecretString`]s from the start: `Debug` prints `[REDACTED]`, and the only
//! place a token is exposed is the `X-Shopify-Access-Token` header, marked sensitive.
//! Sources: <https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant>,
//! <https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant>.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::Sha256;
use sync_core::clock::Clock;
use sync_core::frame::{self, Frame};
use sync_core::retry::{RetryPolicy, retry_after_header};
use sync_core::secret::{REDACTED, SecretString};
use sync_core::transport::{HttpResponse, Transport, TransportError};
use url::Url;

use crate::error::Error;
use crate::response::{request_id, snippet};

/// How the client authenticates.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// A fixed Admin API access token (`shpat_…`), from a custom app or an OAuth exchange.
    AccessToken(SecretString),
    /// The client-credentials grant: the client asks `POST /admin/oauth/access_token` for a
    /// token (valid 24 h) and asks again before it expires. Only for apps of the
    /// organisation that owns the store.
    ClientCredentials {
        /// The app's client id.
        client_id: String,
        /// The app's client secret (also the webhook HMAC key).
        client_secret: SecretString,
    },
}

impl Auth {
    /// A static access token.
    pub fn access_token(token: impl Into<String>) -> Self {
        Auth::AccessToken(SecretString::from(token.into()))
    }

    /// The client-credentials grant.
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Auth::ClientCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::AccessToken(_) => f.debug_tuple("AccessToken").field(&REDACTED).finish(),
            Auth::ClientCredentials { client_id, .. } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &REDACTED)
                .finish(),
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    scope: String,
    expires_in: Option<u64>,
}

/// An access token obtained from Shopify's token endpoint.
#[derive(Clone)]
pub struct AccessToken {
    /// The token.
    pub token: SecretString,
    /// The granted scopes, comma-separated as Shopify sends them.
    pub scope: String,
    /// When it expires (`None` for offline tokens that do not expire).
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &REDACTED)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

const TOKEN_PATH: &str = "admin/oauth/access_token";
pub(crate) const TOKEN_OPERATION: &str = "oauth/access_token";

/// Posts to the token endpoint once: one exchange of the caller's attempt (the GraphQL call
/// that needs the token runs under the retry driver, and a code exchange is not repeated).
async fn request_token(
    transport: &dyn Transport,
    clock: &dyn Clock,
    base: &Url,
    content_type: &'static str,
    body: Vec<u8>,
) -> Result<AccessToken, Error> {
    let url = base.join(TOKEN_PATH).map_err(|e| Error::Config {
        field: "base_url",
        reason: format!("cannot form the token URL: {e}"),
    })?;
    let request = http::Request::post(url.as_str())
        .header(http::header::CONTENT_TYPE, content_type)
        .header(http::header::ACCEPT, "application/json")
        .body(Bytes::from(body))
        .map_err(|e| Error::Config {
            field: "base_url",
            reason: format!("cannot build the token request: {e}"),
        })?;
    let now = clock.now_utc();
    frame::exchange(transport, request, |sent| read_token(sent, clock, now)).await
}

/// Reads the token endpoint's answer.
fn read_token(
    sent: Result<HttpResponse, TransportError>,
    clock: &dyn Clock,
    now: DateTime<Utc>,
) -> Result<AccessToken, Error> {
    let response = sent.map_err(|source| Error::Transport {
        operation: TOKEN_OPERATION.into(),
        retry_safe: true,
        source,
    })?;
    let status = response.status();
    if status == http::StatusCode::TOO_MANY_REQUESTS {
        return Err(Error::Throttled {
            operation: TOKEN_OPERATION.into(),
            retry_after: retry_after_header(response.headers(), clock)
                .unwrap_or(Duration::from_secs(1)),
        });
    }
    if !status.is_success() {
        // The body of a token error names the problem (invalid_client …) and holds no secret.
        return Err(Error::Http {
            operation: TOKEN_OPERATION.into(),
            status: status.as_u16(),
            message: snippet(response.body()),
            request_id: request_id(response.headers()),
            retry_safe: true,
        });
    }
    let parsed: TokenResponse = serde_path_to_error::deserialize(
        &mut serde_json::Deserializer::from_slice(response.body()),
    )
    .map_err(|source| Error::Decode {
        operation: TOKEN_OPERATION.into(),
        retry_safe: true,
        source,
        // Never keep a body that holds a token.
        body: Bytes::new(),
    })?;
    Ok(AccessToken {
        token: SecretString::from(parsed.access_token),
        scope: parsed.scope,
        // Checked: an absurd `expires_in` ends at the end of time instead of overflowing.
        expires_at: parsed.expires_in.map(|s| {
            i64::try_from(s)
                .ok()
                .and_then(chrono::Duration::try_seconds)
                .and_then(|d| now.checked_add_signed(d))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        }),
    })
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

/// Hands out the token to send, fetching and caching client-credentials tokens.
pub(crate) struct TokenSource {
    auth: Auth,
    refresh_margin: Duration,
    cache: tokio::sync::Mutex<Option<AccessToken>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("auth", &self.auth)
            .field("refresh_margin", &self.refresh_margin)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    pub(crate) fn new(auth: Auth, refresh_margin: Duration) -> Self {
        TokenSource {
            auth,
            refresh_margin,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The token to send now; a client-credentials token is requested when none is cached
    /// or the cached one expires within the refresh margin.
    pub(crate) async fn token(&self, frame: &Frame, base: &Url) -> Result<SecretString, Error> {
        let clock = &**frame.clock();
        let (client_id, client_secret) = match &self.auth {
            Auth::AccessToken(token) => return Ok(token.clone()),
            Auth::ClientCredentials {
                client_id,
                client_secret,
            } => (client_id, client_secret),
        };
        let mut cache = self.cache.lock().await;
        let now = clock.now_utc();
        let margin = chrono::Duration::from_std(self.refresh_margin).unwrap_or_default();
        if let Some(cached) = cache.as_ref() {
            let fresh = cached.expires_at.is_none_or(|at| now + margin < at);
            if fresh {
                return Ok(cached.token.clone());
            }
        }
        tracing::debug!(client_id = %client_id, "requesting a client-credentials token");
        let body = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose_secret()),
        ]);
        let mut token = request_token(
            &**frame.transport(),
            clock,
            base,
            "application/x-www-form-urlencoded",
            body,
        )
        .await?;
        if token.expires_at.is_none() {
            // Client-credentials tokens live 24 h even when the answer omits expires_in.
            token.expires_at = Some(now + chrono::Duration::hours(24));
        }
        let out = token.token.clone();
        *cache = Some(token);
        Ok(out)
    }

    /// Forgets a cached token (after a 401), so the next call asks for a new one.
    pub(crate) async fn invalidate(&self) {
        self.cache.lock().await.take();
    }

    pub(crate) fn refreshes(&self) -> bool {
        matches!(self.auth, Auth::ClientCredentials { .. })
    }
}

/// An app's OAuth credentials, for the authorization-code grant of public and custom apps.
///
/// 1. Send the merchant to [`OAuthApp::authorize_url`].
/// 2. On the redirect back, check [`OAuthApp::verify_callback`] and your `state`.
/// 3. Exchange the `code` with [`OAuthApp::exchange_code`] and build the client with
///    [`Auth::AccessToken`].
#[derive(Clone)]
pub struct OAuthApp {
    client_id: String,
    client_secret: SecretString,
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &REDACTED)
            .finish()
    }
}

impl OAuthApp {
    /// The app's client id and secret.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        OAuthApp {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
        }
    }

    /// The page that asks the merchant to install the app: `{shop}/admin/oauth/authorize`.
    ///
    /// `shop_base` is `https://{shop}.myshopify.com/` (see [`crate::client::shop_base_url`]).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `shop_base` cannot take the path.
    pub fn authorize_url(
        &self,
        shop_base: &Url,
        scopes: &[&str],
        redirect_uri: &str,
        state: &str,
    ) -> Result<Url, Error> {
        let mut url = shop_base
            .join("admin/oauth/authorize")
            .map_err(|e| Error::Config {
                field: "shop",
                reason: format!("cannot form the authorize URL: {e}"),
            })?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("scope", &scopes.join(","))
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state);
        Ok(url)
    }

    /// Checks the `hmac` parameter of the redirect's query string: hex HMAC-SHA256, keyed
    /// with the client secret, of the other parameters sorted by name and joined as
    /// `k=v&k=v`. Compared in constant time.
    pub fn verify_callback(&self, query: &str) -> bool {
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let Some(pos) = pairs.iter().position(|(k, _)| k == "hmac") else {
            return false;
        };
        let (_, given) = pairs.remove(pos);
        pairs.retain(|(k, _)| k != "signature");
        pairs.sort();
        let message = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let Ok(given) = hex::decode(&given) else {
            return false;
        };
        let Ok(mut mac) =
            Hmac::<Sha256>::new_from_slice(self.client_secret.expose_secret().as_bytes())
        else {
            return false;
        };
        mac.update(message.as_bytes());
        mac.verify_slice(&given).is_ok()
    }

    /// Exchanges an authorization `code` for an access token
    /// (`POST {shop}/admin/oauth/access_token`).
    ///
    /// # Errors
    ///
    /// [`Error::Http`] when Shopify refuses the code (HTTP 400 for a used or expired code),
    /// [`Error::Transport`] / [`Error::Decode`] as usual.
    pub async fn exchange_code(
        &self,
        transport: &dyn Transport,
        shop_base: &Url,
        code: &str,
        clock: &dyn Clock,
    ) -> Result<AccessToken, Error> {
        if code.trim().is_empty() {
            return Err(Error::invalid("code", "must not be empty"));
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "client_id": self.client_id,
            "client_secret": self.client_secret.expose_secret(),
            "code": code,
        }))
        .map_err(|e| Error::invalid("code", e.to_string()))?;
        // A code is good for one exchange: one attempt, in the request frame.
        frame::execute(
            &RetryPolicy::none(),
            clock,
            "shopify",
            TOKEN_OPERATION,
            |_| {
                request_token(
                    transport,
                    clock,
                    shop_base,
                    "application/json",
                    body.clone(),
                )
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let a = Auth::access_token("shpat_topsecret");
        let b = Auth::client_credentials("cid", "cs_topsecret");
        let app = OAuthApp::new("cid", "cs_topsecret");
        for text in [format!("{a:?}"), format!("{b:?}"), format!("{app:?}")] {
            assert!(!text.contains("topsecret"), "{text}");
            assert!(text.contains(REDACTED));
        }
        let token = AccessToken {
            token: SecretString::from("shpat_topsecret".to_owned()),
            scope: "read_orders".into(),
            expires_at: None,
        };
        assert!(!format!("{token:?}").contains("topsecret"));
    }

    #[test]
    fn oauth_callback_hmac_is_checked() {
        let app = OAuthApp::new("cid", "hush");
        let message = "code=abc&shop=demo.myshopify.com&state=xyz&timestamp=1700000000";
        let mut mac = Hmac::<Sha256>::new_from_slice(b"hush").unwrap();
        mac.update(message.as_bytes());
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let query =
            format!("shop=demo.myshopify.com&code=abc&hmac={hex}&timestamp=1700000000&state=xyz");
        assert!(app.verify_callback(&query));
        assert!(!app.verify_callback(&query.replace("code=abc", "code=abd")));
        assert!(!app.verify_callback("shop=x&code=y"));
        assert!(!app.verify_callback("shop=x&hmac=zz"));
    }

    #[test]
    fn authorize_url_carries_the_parameters() {
        let app = OAuthApp::new("cid", "hush");
        let base = Url::parse("https://demo.myshopify.com/").unwrap();
        let url = app
            .authorize_url(
                &base,
                &["read_orders", "write_products"],
                "https://app.example/cb",
                "n0nce",
            )
            .unwrap();
        assert_eq!(url.path(), "/admin/oauth/authorize");
        let q = url.query().unwrap();
        assert!(q.contains("client_id=cid"));
        assert!(q.contains("scope=read_orders%2Cwrite_products"));
        assert!(q.contains("state=n0nce"));
        assert!(!q.contains("hush"));
    }
}
