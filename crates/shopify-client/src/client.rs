//! The client: configuration, the GraphQL round trip, throttling and paging.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use graphql_client::GraphQLQuery;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sync_core::frame::{Frame, FrameBuilder};
use sync_core::paging::{Page, paginate};
use sync_core::retry::retry_after_header;
use sync_core::secret::sensitive_header;
use sync_core::transport::{HttpResponse, TransportError, TransportErrorKind};
use sync_core::url_policy::{InsecureHttp, check_base_url, parse_base_url};
use url::Url;

use crate::auth::{Auth, TokenSource};
use crate::cost::{CostBucket, QueryCost, Reservation};
use crate::error::{Error, GraphQlError};
use crate::response::{request_id, snippet};
use crate::version::{self, VersionStatus};

pub use crate::version::DEFAULT_API_VERSION;
/// Largest `first` Shopify accepts on a connection.
pub const MAX_PAGE_SIZE: u32 = 250;
/// Shopify does not page past this many objects of one list.
pub const LIST_LIMIT: usize = 25_000;
/// Largest input array Shopify accepts (inventory quantities, variants, prices …).
pub const MAX_INPUT_ARRAY: usize = 250;

const ACCESS_TOKEN_HEADER: &str = "x-shopify-access-token";
/// The header naming the version that answered a request.
const API_VERSION_HEADER: &str = "x-shopify-api-version";

/// Whether a request may be sent again after an uncertain failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// A query, or a mutation whose repetition is harmless (sets state, or carries an
    /// idempotency key).
    Repeatable,
    /// A mutation that creates something each time it runs.
    Once,
}

/// A typed Shopify Admin GraphQL client for one shop. Cheap to clone (shared inner state:
/// transport, token cache and cost bucket).
#[derive(Clone)]
pub struct ShopifyClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    shop: String,
    api_version: String,
    base: Url,
    endpoint: Url,
    /// Transport, retry policy and clock: the frame every call runs in.
    pub(crate) frame: Frame,
    tokens: TokenSource,
    bucket: Arc<CostBucket>,
    estimates: Mutex<Estimates>,
    pub(crate) poll_interval: Duration,
    pub(crate) poll_timeout: Duration,
    /// The customer metafield (`namespace`, `key`) order reads ask for as a buyer's tax id.
    pub(crate) buyer_id_metafield: (String, String),
    /// Answers given by another version than the one asked for.
    fall_forwards: AtomicU64,
    /// Whether a fall-forward was logged already (it is logged once).
    fall_forward_logged: AtomicBool,
    /// Answers refused with `THROTTLED`.
    throttled: AtomicU64,
}

impl fmt::Debug for ShopifyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopifyClient")
            .field("shop", &self.inner.shop)
            .field("api_version", &self.inner.api_version)
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("auth", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

/// Builder for [`ShopifyClient`]; see [`ShopifyClient::builder`].
pub struct ShopifyClientBuilder {
    shop: String,
    auth: Auth,
    api_version: String,
    base_url: Option<String>,
    frame: FrameBuilder,
    bucket: Option<Arc<CostBucket>>,
    refresh_margin: Duration,
    poll_interval: Duration,
    poll_timeout: Duration,
    buyer_id_metafield: (String, String),
}

impl fmt::Debug for ShopifyClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopifyClientBuilder")
            .field("shop", &self.shop)
            .field("auth", &self.auth)
            .field("api_version", &self.api_version)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Normalises a shop name (`demo`, `demo.myshopify.com`, `https://demo.myshopify.com/`) to
/// its `*.myshopify.com` host.
///
/// # Errors
///
/// [`Error::Config`] naming `shop` when the name is empty or holds characters a
/// myshopify subdomain cannot have.
pub fn normalize_shop(shop: &str) -> Result<String, Error> {
    let text = shop.trim().trim_end_matches('/');
    let text = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text)
        .to_ascii_lowercase();
    let name = text.strip_suffix(".myshopify.com").unwrap_or(&text);
    let valid = !name.is_empty()
        && name.len() <= 60
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-');
    if !valid {
        return Err(Error::Config {
            field: "shop",
            reason: format!(
                "{shop:?} is not a shop name: expected `name` or `name.myshopify.com` (letters, digits, '-')"
            ),
        });
    }
    Ok(format!("{name}.myshopify.com"))
}

/// `https://{shop}.myshopify.com/` for a shop name.
///
/// # Errors
///
/// As [`normalize_shop`].
pub fn shop_base_url(shop: &str) -> Result<Url, Error> {
    let host = normalize_shop(shop)?;
    Url::parse(&format!("https://{host}/")).map_err(|e| Error::Config {
        field: "shop",
        reason: e.to_string(),
    })
}

fn valid_version(v: &str) -> bool {
    if v == "unstable" {
        return true;
    }
    let b = v.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && matches!(&v[5..], "01" | "04" | "07" | "10")
}

impl ShopifyClientBuilder {
    /// The Admin API version, `YYYY-MM` (quarterly: 01, 04, 07, 10) or `unstable`.
    /// Default [`DEFAULT_API_VERSION`] (2026-10), the version the operations are checked
    /// against; [`version::OLDEST_API_VERSION`] (2026-07) is the oldest they run on (the order
    /// read asks for the customer's tax id, from 2026-07; they read inactive inventory levels
    /// and send the `@idempotent` keys 2026-04 made mandatory).
    /// [`ShopifyClient::version_status`] tells how long Shopify keeps serving it.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// Points the client at another server instead of `https://{shop}`; useful for tests
    /// and local stand-ins. Plain `http` is accepted for loopback addresses only.
    /// Default: none.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    sync_core::frame_setters! {
        frame,
        transport: "Default: a `ReqwestTransport` built with [`timeout`](Self::timeout) and [`connect_timeout`](Self::connect_timeout).",
        retry: "Used by every call, staged uploads and result downloads included. Default `RetryPolicy::default()` (6 attempts, 2 minutes).",
        clock: "Also paces cost-bucket waits, job polling and token expiry. Default `TokioClock`.",
    }

    /// Time allowed for one attempt (not counting backoff sleeps or cost-bucket waits);
    /// used by the default transport only. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.frame = self.frame.timeout(timeout);
        self
    }

    /// Time allowed to open a connection; used by the default transport only. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.frame = self.frame.connect_timeout(timeout);
        self
    }

    /// Shares a cost bucket with other clients of the same shop and app. Default: a new
    /// [`CostBucket::default`], calibrated by the first response.
    pub fn cost_bucket(mut self, bucket: Arc<CostBucket>) -> Self {
        self.bucket = Some(bucket);
        self
    }

    /// How long before expiry a client-credentials token is replaced. Default 5 minutes.
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// How often asynchronous jobs (product operations, bulk operations) are polled.
    /// Default 2 s.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long to poll an asynchronous job before giving up. Default 1 hour.
    pub fn poll_timeout(mut self, timeout: Duration) -> Self {
        self.poll_timeout = timeout;
        self
    }

    /// The customer metafield (`namespace`, `key`) every order read asks for, whose value
    /// the adapter hands on as a buyer's tax id ([`sync_core::model::BuyerFacts`]). Default
    /// `custom` / `eta_buyer_id`. Shopify's rules apply: a namespace of 3 to 255 and a key of
    /// 2 to 64 characters, each ASCII letters, digits, `-` and `_`.
    pub fn buyer_id_metafield(
        mut self,
        namespace: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        self.buyer_id_metafield = (namespace.into(), key.into());
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the setting: an invalid shop name, API version or base URL
    /// (`http` to a non-loopback host is refused), an empty token, or a TLS back end that
    /// cannot start.
    pub fn build(self) -> Result<ShopifyClient, Error> {
        let shop = normalize_shop(&self.shop)?;
        if !valid_version(&self.api_version) {
            return Err(Error::Config {
                field: "api_version",
                reason: format!(
                    "{:?} is not an API version: expected YYYY-MM with MM one of 01, 04, 07, 10, or `unstable`",
                    self.api_version
                ),
            });
        }
        if version::is_older(&self.api_version, version::OLDEST_API_VERSION) {
            return Err(Error::Config {
                field: "api_version",
                reason: format!(
                    "{} is older than {}, the oldest version this client's operations run on \
                     (the customer's tax id, inactive inventory levels, mandatory @idempotent \
                     keys); use {} or newer",
                    self.api_version,
                    version::OLDEST_API_VERSION,
                    version::OLDEST_API_VERSION
                ),
            });
        }
        match &self.auth {
            Auth::AccessToken(t) if secrecy::ExposeSecret::expose_secret(t).trim().is_empty() => {
                return Err(Error::Config {
                    field: "auth",
                    reason: "the access token is empty".into(),
                });
            }
            Auth::AccessToken(t) => {
                sensitive_header(t).map_err(|_| Error::Config {
                    field: "auth",
                    reason: "the access token holds characters a header cannot carry".into(),
                })?;
            }
            Auth::ClientCredentials { client_id, .. } if client_id.trim().is_empty() => {
                return Err(Error::Config {
                    field: "auth",
                    reason: "the client id is empty".into(),
                });
            }
            Auth::ClientCredentials { .. } => {}
        }
        check_metafield(&self.buyer_id_metafield)?;
        let mut base = match &self.base_url {
            Some(text) => parse_base_url("base_url", text, InsecureHttp::Refuse).map_err(|e| {
                Error::Config {
                    field: "base_url",
                    reason: e.to_string(),
                }
            })?,
            None => shop_base_url(&shop)?,
        };
        check_base_url("base_url", &base, InsecureHttp::Refuse).map_err(|e| Error::Config {
            field: "base_url",
            reason: e.to_string(),
        })?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let endpoint = base
            .join(&format!("admin/api/{}/graphql.json", self.api_version))
            .map_err(|e| Error::Config {
                field: "base_url",
                reason: e.to_string(),
            })?;
        let frame = self.frame.build().map_err(|e| Error::Config {
            field: "transport",
            reason: format!("cannot start the HTTP client: {e}"),
        })?;
        Ok(ShopifyClient {
            inner: Arc::new(Inner {
                shop,
                api_version: self.api_version,
                base,
                endpoint,
                frame,
                tokens: TokenSource::new(self.auth, self.refresh_margin),
                bucket: self.bucket.unwrap_or_default(),
                estimates: Mutex::new(Estimates::default()),
                fall_forwards: AtomicU64::new(0),
                fall_forward_logged: AtomicBool::new(false),
                throttled: AtomicU64::new(0),
                poll_interval: self.poll_interval,
                poll_timeout: self.poll_timeout,
                buyer_id_metafield: self.buyer_id_metafield,
            }),
        })
    }
}

/// Refuses a metafield namespace or key outside Shopify's rules, naming the setting.
fn check_metafield((namespace, key): &(String, String)) -> Result<(), Error> {
    let ok = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !ok(namespace, 3, 255) || !ok(key, 2, 64) {
        return Err(Error::Config {
            field: "buyer_id_metafield",
            reason: format!(
                "{namespace:?}.{key:?} is not a metafield: the namespace needs 3 to 255 and the \
                 key 2 to 64 characters, each an ASCII letter, digit, '-' or '_'"
            ),
        });
    }
    Ok(())
}

#[derive(Deserialize)]
struct RawResponse {
    data: Option<serde_json::Value>,
    errors: Option<Vec<RawError>>,
    extensions: Option<RawExtensions>,
}

#[derive(Deserialize)]
struct RawError {
    message: String,
    #[serde(default)]
    extensions: Option<RawErrorExtensions>,
    #[serde(default)]
    path: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
struct RawErrorExtensions {
    code: Option<String>,
}

#[derive(Deserialize)]
struct RawExtensions {
    cost: Option<QueryCost>,
}

/// What an operation's cost is remembered under: its name and the shape of its variables.
///
/// Shopify costs a query before running it from its selection and its variables (a
/// connection's `first`, the number of `ids`), so one operation costs differently with other
/// sizes. The shape keeps every number and every list's length (and the shape of its first
/// element), and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CostKey {
    operation: String,
    shape: u64,
}

impl CostKey {
    pub(crate) fn new(operation: &str, variables: &serde_json::Value) -> Self {
        use std::hash::{Hash, Hasher};
        fn walk(value: &serde_json::Value, hasher: &mut impl Hasher) {
            match value {
                serde_json::Value::Number(n) => {
                    0u8.hash(hasher);
                    n.to_string().hash(hasher);
                }
                serde_json::Value::Array(items) => {
                    1u8.hash(hasher);
                    items.len().hash(hasher);
                    if let Some(first) = items.first() {
                        walk(first, hasher);
                    }
                }
                serde_json::Value::Object(members) => {
                    2u8.hash(hasher);
                    for (name, member) in members {
                        name.hash(hasher);
                        walk(member, hasher);
                    }
                }
                _ => 3u8.hash(hasher),
            }
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        walk(variables, &mut hasher);
        CostKey {
            operation: operation.to_owned(),
            shape: hasher.finish(),
        }
    }
}

/// The requested costs seen, by operation and shape, and the largest per operation.
#[derive(Debug, Default)]
pub(crate) struct Estimates {
    exact: HashMap<CostKey, f64>,
    largest: HashMap<String, f64>,
}

impl Estimates {
    /// The cost of this operation with these variables the last time; for a shape not seen
    /// yet, the largest cost the operation was seen to request (never less than it may cost,
    /// so a new size cannot be let through a bucket that cannot afford it).
    pub(crate) fn get(&self, key: &CostKey) -> Option<f64> {
        self.exact
            .get(key)
            .or_else(|| self.largest.get(&key.operation))
            .copied()
    }

    /// Records the cost Shopify requested for `key`.
    pub(crate) fn learn(&mut self, key: &CostKey, requested: f64) {
        let largest = self.largest.entry(key.operation.clone()).or_insert(0.0);
        *largest = largest.max(requested);
        // Bounded: an operation called with ever new shapes (paging cursors are not part of
        // the shape) forgets the exact ones and keeps its largest.
        if self.exact.len() >= 4096 {
            self.exact.clear();
        }
        self.exact.insert(key.clone(), requested);
    }
}

fn is_mutation(query: &str) -> bool {
    query
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("mutation"))
}

impl ShopifyClient {
    /// Starts a builder for `shop` (`name` or `name.myshopify.com`) with `auth`.
    pub fn builder(shop: impl Into<String>, auth: Auth) -> ShopifyClientBuilder {
        ShopifyClientBuilder {
            shop: shop.into(),
            auth,
            api_version: DEFAULT_API_VERSION.to_owned(),
            base_url: None,
            frame: FrameBuilder::default(),
            bucket: None,
            refresh_margin: Duration::from_secs(300),
            poll_interval: Duration::from_secs(2),
            poll_timeout: Duration::from_secs(3600),
            buyer_id_metafield: ("custom".into(), "eta_buyer_id".into()),
        }
    }

    /// The shop's `*.myshopify.com` host.
    pub fn shop(&self) -> &str {
        &self.inner.shop
    }

    /// The API version in use.
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// How long Shopify keeps serving the configured API version, as of the client's clock
    /// (see [`crate::version`]).
    pub fn version_status(&self) -> VersionStatus {
        VersionStatus::at(&self.inner.api_version, self.inner.frame.clock().now_utc())
    }

    /// How many answers came from another API version than the one asked for (Shopify's
    /// fall-forward after a retirement, seen in `X-Shopify-API-Version`). The first is logged
    /// as a warning; all are counted, for the daemon's `/metrics`.
    pub fn fall_forwards(&self) -> u64 {
        self.inner.fall_forwards.load(Ordering::Relaxed)
    }

    /// Notes the version that answered: a version other than the one asked for is counted,
    /// and logged once.
    fn note_answered_version(&self, headers: &http::HeaderMap) {
        let inner = &self.inner;
        let Some(answered) = headers
            .get(API_VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
        else {
            return;
        };
        if answered.is_empty() || answered == inner.api_version {
            return;
        }
        inner.fall_forwards.fetch_add(1, Ordering::Relaxed);
        if !inner.fall_forward_logged.swap(true, Ordering::Relaxed) {
            // Bounded: a header value from the server is cut to a version's length.
            let answered: String = answered.chars().take(16).collect();
            tracing::warn!(
                requested = %inner.api_version,
                answered = %answered,
                "Shopify answered with API version {answered} instead of {}: the requested \
                 version is retired or not served; move shopify.api_version to a supported \
                 version",
                inner.api_version
            );
        }
    }

    /// The shop's cost bucket as the client sees it now: the points it thinks are free
    /// (Shopify's last `throttleStatus`, refilled since at the restore rate, less what requests
    /// in flight reserved), the bucket size and restore rate, in Shopify's shape; for an
    /// operator's view of how close the connector runs to the limit.
    pub fn throttle_state(&self) -> crate::cost::ThrottleStatus {
        let bucket = &self.inner.bucket;
        let (maximum_available, restore_rate) = bucket.limits();
        crate::cost::ThrottleStatus {
            maximum_available,
            currently_available: bucket.available(tokio::time::Instant::now()),
            restore_rate,
        }
    }

    /// How many answers Shopify refused with `THROTTLED` since the client was built (each was
    /// waited out and retried; a steady rise means the connector asks for more than the
    /// plan's restore rate).
    pub fn throttled(&self) -> u64 {
        self.inner.throttled.load(Ordering::Relaxed)
    }

    /// The GraphQL endpoint URL.
    pub fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// The shared cost-bucket model.
    pub fn cost_bucket(&self) -> &Arc<CostBucket> {
        &self.inner.bucket
    }

    /// Runs any operation of [`crate::queries`] (or your own `#[derive(GraphQLQuery)]`
    /// type): waits for the cost bucket, sends through the transport with the retry policy,
    /// and returns `data`.
    ///
    /// Queries are retried on transient failures, 5xx and throttling; mutations sent
    /// through this method are treated as not repeatable (an uncertain outcome is returned,
    /// not retried). `userErrors` are part of the returned data: check them.
    ///
    /// # Errors
    ///
    /// See [`Error`]: `errors` on HTTP 200 is [`Error::GraphQl`] (or [`Error::Throttled`]
    /// when its code is `THROTTLED` and retries ran out).
    pub async fn execute<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, Error> {
        self.run::<Q, Q::ResponseData>(variables, Safety::Once)
            .await
    }

    /// Runs `Q` and reads `data` as `D` (used where several operations share one output
    /// type, e.g. `Order` reads the same fields as `Orders`).
    pub(crate) async fn run<Q: GraphQLQuery, D: DeserializeOwned>(
        &self,
        variables: Q::Variables,
        safety: Safety,
    ) -> Result<D, Error> {
        let body = Q::build_query(variables);
        let operation = body.operation_name.to_owned();
        let invalid = |e: serde_json::Error| Error::Invalid {
            field: "variables".into(),
            rule: format!("cannot be serialized: {e}"),
        };
        // The variables are turned into JSON once: the cost key reads their shape, and the
        // request body carries them.
        let variables = serde_json::to_value(&body.variables).map_err(invalid)?;
        let cost_key = CostKey::new(&operation, &variables);
        let mutation = is_mutation(body.query);
        let retry_safe = !mutation || safety == Safety::Repeatable;
        let body = graphql_client::QueryBody {
            variables,
            query: body.query,
            operation_name: body.operation_name,
        };
        let bytes = Bytes::from(serde_json::to_vec(&body).map_err(invalid)?);
        self.inner
            .frame
            .execute("shopify", &operation, |attempt| {
                let sent = self.attempt::<D>(&cost_key, bytes.clone(), mutation, retry_safe);
                async move {
                    // A connection never made (to the API or the token endpoint) is an
                    // outage, tried at most `CONNECT_ATTEMPTS` times in the call.
                    match sent.await {
                        Err(Error::Transport { source, .. })
                            if source.kind() == TransportErrorKind::Connect =>
                        {
                            Err(Error::Unreachable {
                                host: host_port(&self.inner.base),
                                cause: source.connect_cause().to_owned(),
                                last_attempt: attempt >= crate::error::CONNECT_ATTEMPTS,
                                source,
                            })
                        }
                        other => other,
                    }
                }
            })
            .await
    }

    fn estimate(&self, cost_key: &CostKey, mutation: bool) -> f64 {
        self.inner
            .estimates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(cost_key)
            .unwrap_or(if mutation { 10.0 } else { 50.0 })
    }

    /// One attempt of a GraphQL call: the token, a cost-bucket reservation, then one
    /// exchange through the frame.
    async fn attempt<D: DeserializeOwned>(
        &self,
        cost_key: &CostKey,
        body: Bytes,
        mutation: bool,
        retry_safe: bool,
    ) -> Result<D, Error> {
        let inner = &self.inner;
        let token = inner.tokens.token(&inner.frame, &inner.base).await?;
        let header = sensitive_header(&token).map_err(|_| Error::Config {
            field: "auth",
            reason: "the access token holds characters a header cannot carry".into(),
        })?;
        let reservation = inner
            .bucket
            .reserve(self.estimate(cost_key, mutation), &**inner.frame.clock())
            .await;
        let request = http::Request::post(inner.endpoint.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .header(ACCESS_TOKEN_HEADER, header)
            .body(body)
            .map_err(|e| Error::Config {
                field: "base_url",
                reason: format!("cannot build the request: {e}"),
            })?;
        let answer = inner.frame.exchange(request, |sent| sent).await;
        // A 401 drops a renewable token before the answer is classified.
        if let Ok(response) = &answer
            && response.status() == http::StatusCode::UNAUTHORIZED
            && inner.tokens.refreshes()
        {
            inner.tokens.invalidate().await;
        }
        self.classify(cost_key, reservation, answer, retry_safe)
    }

    /// Settles the cost-bucket reservation and reads one GraphQL answer as `data` or an
    /// [`Error`].
    fn classify<D: DeserializeOwned>(
        &self,
        cost_key: &CostKey,
        reservation: Reservation,
        answer: Result<HttpResponse, TransportError>,
        retry_safe: bool,
    ) -> Result<D, Error> {
        let inner = &self.inner;
        let operation = cost_key.operation.as_str();
        let now = inner.frame.clock().instant();
        let response = match answer {
            Ok(r) => r,
            Err(source) => {
                inner.bucket.settle(reservation, None, now);
                return Err(Error::Transport {
                    operation: operation.to_owned(),
                    retry_safe,
                    source,
                });
            }
        };
        self.note_answered_version(response.headers());
        let status = response.status();
        if status == http::StatusCode::TOO_MANY_REQUESTS {
            inner.bucket.settle(reservation, None, now);
            let (max, rate) = inner.bucket.limits();
            let fallback = Duration::from_secs_f64((max / rate.max(1.0)).clamp(0.5, 10.0) / 2.0);
            return Err(Error::Throttled {
                operation: operation.to_owned(),
                retry_after: retry_after_header(response.headers(), &**inner.frame.clock())
                    .unwrap_or(fallback),
            });
        }
        if status == http::StatusCode::UNAUTHORIZED {
            inner.bucket.settle(reservation, None, now);
            return Err(Error::Unauthorized {
                operation: operation.to_owned(),
                renewable: inner.tokens.refreshes(),
                request_id: request_id(response.headers()),
            });
        }
        if !status.is_success() {
            inner.bucket.settle(reservation, None, now);
            return Err(Error::Http {
                operation: operation.to_owned(),
                status: status.as_u16(),
                message: snippet(response.body()),
                request_id: request_id(response.headers()),
                retry_safe,
            });
        }
        let body = response.into_body();
        let decode = |source| Error::Decode {
            operation: operation.to_owned(),
            retry_safe,
            source,
            body: body.clone(),
        };
        let raw: RawResponse = match serde_path_to_error::deserialize(
            &mut serde_json::Deserializer::from_slice(&body),
        ) {
            Ok(raw) => raw,
            Err(source) => {
                inner.bucket.settle(reservation, None, now);
                return Err(decode(source));
            }
        };
        let cost = raw.extensions.as_ref().and_then(|e| e.cost);
        inner.bucket.settle(reservation, cost.as_ref(), now);
        if let Some(cost) = &cost {
            self.inner
                .estimates
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .learn(cost_key, cost.requested_query_cost);
            tracing::debug!(
                requested = cost.requested_query_cost,
                actual = cost.actual_query_cost,
                available = cost.throttle_status.currently_available,
                "query cost"
            );
        }
        if let Some(errors) = raw.errors.filter(|e| !e.is_empty()) {
            let errors: Vec<GraphQlError> = errors
                .into_iter()
                .map(|e| GraphQlError {
                    message: e.message,
                    code: e.extensions.and_then(|x| x.code),
                    path: e.path.map(|p| {
                        p.iter()
                            .map(|s| match s {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(".")
                    }),
                })
                .collect();
            if errors
                .iter()
                .any(|e| e.code.as_deref() == Some("THROTTLED"))
            {
                self.inner.throttled.fetch_add(1, Ordering::Relaxed);
                let wait = cost
                    .map(|c| c.wait_for(c.requested_query_cost))
                    .unwrap_or(Duration::from_secs(1))
                    .max(Duration::from_millis(100));
                return Err(Error::Throttled {
                    operation: operation.to_owned(),
                    retry_after: wait,
                });
            }
            return Err(Error::GraphQl {
                operation: operation.to_owned(),
                errors,
            });
        }
        let data = raw.data.unwrap_or(serde_json::Value::Null);
        serde_path_to_error::deserialize(data).map_err(|source| {
            // serde_path_to_error over a Value yields serde_json::Error too.
            decode(source)
        })
    }

    /// Streams every item of a connection, `page_size` per request (1..=250), stopping
    /// with [`Error::ListLimit`] past 25,000 objects.
    pub(crate) fn paged<T, F, Fut>(
        &self,
        operation: &'static str,
        page_size: u32,
        mut fetch: F,
    ) -> impl Stream<Item = Result<T, Error>> + use<T, F, Fut>
    where
        F: FnMut(i64, Option<String>) -> Fut,
        Fut: Future<Output = Result<(Vec<T>, bool, Option<String>), Error>>,
    {
        let seen = Arc::new(AtomicUsize::new(0));
        let bad_size = !(1..=MAX_PAGE_SIZE).contains(&page_size);
        paginate(None::<String>, move |cursor| {
            let seen = Arc::clone(&seen);
            let over = seen.load(Ordering::Relaxed) >= LIST_LIMIT;
            let fut = (!bad_size && !over).then(|| fetch(i64::from(page_size), cursor));
            async move {
                if bad_size {
                    return Err(Error::invalid(
                        "page_size",
                        format!("must be between 1 and {MAX_PAGE_SIZE}, got {page_size}"),
                    ));
                }
                let Some(fut) = fut else {
                    return Err(Error::ListLimit {
                        operation: operation.to_owned(),
                        limit: LIST_LIMIT,
                    });
                };
                let (items, has_next, next) = fut.await?;
                seen.fetch_add(items.len(), Ordering::Relaxed);
                Ok(Page {
                    items,
                    next,
                    has_more: has_next,
                })
            }
        })
    }
}

/// `host:port` of `url`.
fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cost_is_remembered_per_size_and_a_new_size_assumes_the_largest() {
        let small = CostKey::new("Levels", &json!({"ids": vec!["a"; 10], "first": 5}));
        let large = CostKey::new("Levels", &json!({"ids": vec!["b"; 250], "first": 5}));
        let same_size = CostKey::new("Levels", &json!({"ids": vec!["c"; 10], "first": 5}));
        let other_first = CostKey::new("Levels", &json!({"ids": vec!["a"; 10], "first": 50}));
        assert_eq!(small, same_size, "only sizes and numbers make the shape");
        assert_ne!(small, large);
        assert_ne!(small, other_first);

        let mut estimates = Estimates::default();
        assert_eq!(
            estimates.get(&small),
            None,
            "nothing seen: the caller's default"
        );
        estimates.learn(&large, 252.0);
        estimates.learn(&small, 12.0);
        assert_eq!(estimates.get(&small), Some(12.0));
        assert_eq!(estimates.get(&large), Some(252.0));
        assert_eq!(
            estimates.get(&other_first),
            Some(252.0),
            "a size not seen yet assumes the largest cost seen, not the last"
        );
        assert_eq!(
            estimates.get(&CostKey::new("Other", &json!({}))),
            None,
            "per operation"
        );
    }
}
