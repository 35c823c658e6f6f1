//! The client: construction, the session key, and the request plumbing shared by every call.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use serde_json::{Map, Value, json};
use sync_core::frame::{Frame, FrameBuilder};
use sync_core::retry::retry_after_header;
use sync_core::secret::{ExposeSecret, REDACTED, SecretString, sensitive_header};
use sync_core::transport::{HttpRequest, HttpResponse, TransportError, TransportErrorKind};
use url::Url;

use crate::config::{FlowConfig, LoginOrder, ResolvedHosts};
use crate::error::{Error, Result};
use crate::templates::Templates;
use crate::wire::{self, Answer, Param, Separator};

/// The header carrying the session key on the REST surface.
const API_KEY_HEADER: &str = "apikey";
/// The header carrying the session key on the legacy command surface.
const ERP_KEY_HEADER: &str = "xapikey";

/// How a session key was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// `POST /api/chkusr/login` on the login host.
    Json,
    /// `POST /?OP=CHKUSR` on the command host.
    Legacy,
}

/// A logged-in session: the key and the user's session fields. Nothing else from the login
/// answer is kept.
#[derive(Clone)]
pub struct Session {
    key: SecretString,
    /// How it was obtained.
    pub method: LoginMethod,
    /// `USRID`.
    pub user_id: Option<String>,
    /// `USRNA`.
    pub user_name: Option<String>,
    /// `EMPNO`.
    pub employee: Option<String>,
    /// `DCONO`, the user's default company.
    pub default_company: Option<String>,
    /// `AUTH`.
    pub auth: Option<String>,
    /// `APPLVL`.
    pub app_level: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("key", &REDACTED)
            .field("method", &self.method)
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("employee", &self.employee)
            .field("default_company", &self.default_company)
            .field("auth", &self.auth)
            .field("app_level", &self.app_level)
            .finish()
    }
}

pub(crate) struct Inner {
    pub(crate) config: FlowConfig,
    pub(crate) hosts: ResolvedHosts,
    /// Transport, retry policy and clock: the frame every call runs in.
    pub(crate) frame: Frame,
    session: tokio::sync::Mutex<Option<Session>>,
    pub(crate) templates: Templates,
}

/// The Flow ERP client. Cheap to clone (the state is shared).
///
/// ```no_run
/// use flow_erp_client::{FlowClient, FlowConfig};
///
/// # async fn run() -> Result<(), flow_erp_client::Error> {
/// let config = FlowConfig::from_toml_file("flow.toml")?;
/// let flow = FlowClient::builder(config).build()?;
/// let op = flow.operation_config("SALINV").await?;
/// println!("SALINV carries sales tax: {:?}", op.sales_tax);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FlowClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for FlowClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowClient")
            .field("config", &self.inner.config)
            .field("hosts", &self.inner.hosts)
            .field("retry", self.inner.frame.retry_policy())
            .finish_non_exhaustive()
    }
}

/// Builder for [`FlowClient`].
pub struct FlowClientBuilder {
    config: FlowConfig,
    frame: FrameBuilder,
}

impl std::fmt::Debug for FlowClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowClientBuilder")
            .field("config", &self.config)
            .field("retry", self.frame.retry_policy())
            .finish_non_exhaustive()
    }
}

impl FlowClientBuilder {
    sync_core::frame_setters! {
        frame,
        transport: "Default: a `ReqwestTransport` with its default timeouts (10 s connect, 60 s per attempt).",
        retry: "Saves are never retried once they may have been sent. Default `RetryPolicy::default()` (6 attempts, 2 minutes in all).",
        clock: "Also paces the look-ups before an exactly-once resend and ages the adapter's caches. Default `TokioClock`.",
    }

    /// Validates the configuration, loads the document templates, and builds the client.
    /// Nothing is sent: the first call logs in.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an invalid configuration or template (naming the field), or
    /// when the default transport cannot be created.
    pub fn build(self) -> Result<FlowClient> {
        self.config.validate()?;
        let hosts = self.config.resolved_hosts()?;
        let templates = Templates::load(&self.config)?;
        let frame = self
            .frame
            .build()
            .map_err(|e| Error::config("transport", format!("cannot create: {e}")))?;
        Ok(FlowClient {
            inner: Arc::new(Inner {
                config: self.config,
                hosts,
                frame,
                session: tokio::sync::Mutex::new(None),
                templates,
            }),
        })
    }
}

/// Which surface a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    Api,
    Erp,
}

#[derive(Debug)]
struct LoginFailure {
    method: LoginMethod,
    reason: String,
    no_answer: bool,
    /// The login host.
    host: String,
    /// No connection could be made: the cause.
    connect: Option<String>,
    /// Flow answered and refused the credentials.
    refused: bool,
    /// The last attempt of an unreachable host (stops the retry driver).
    last_attempt: bool,
}

impl std::fmt::Display for LoginFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} login: {}", self.method, self.reason)
    }
}

impl sync_core::error::Classify for LoginFailure {
    fn kind(&self) -> sync_core::error::ErrorKind {
        if self.connect.is_some() && self.last_attempt {
            sync_core::error::ErrorKind::Client
        } else if self.no_answer {
            sync_core::error::ErrorKind::Transient
        } else {
            sync_core::error::ErrorKind::Client
        }
    }
    fn retry_after(&self) -> Option<std::time::Duration> {
        self.connect
            .as_ref()
            .map(|_| crate::error::CONNECT_RETRY_WAIT)
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

fn field_ci<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl FlowClient {
    /// A builder for a client with `config`.
    pub fn builder(config: FlowConfig) -> FlowClientBuilder {
        FlowClientBuilder {
            config,
            frame: FrameBuilder::default(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &FlowConfig {
        &self.inner.config
    }

    /// The current session, logging in first when there is none.
    ///
    /// # Errors
    ///
    /// [`Error::Login`] when neither login method gave a key.
    pub async fn session(&self) -> Result<Session> {
        let mut guard = self.inner.session.lock().await;
        if let Some(session) = guard.as_ref() {
            return Ok(session.clone());
        }
        let session = self.login().await?;
        *guard = Some(session.clone());
        Ok(session)
    }

    /// Drops the cached session; the next call logs in again.
    pub async fn forget_session(&self) {
        *self.inner.session.lock().await = None;
    }

    /// Replaces the session whose key is `stale` with a new login; when another task already
    /// renewed it, returns that newer session.
    async fn renew(&self, stale: &SecretString) -> Result<Session> {
        let mut guard = self.inner.session.lock().await;
        if let Some(current) = guard.as_ref()
            && current.key.expose_secret() != stale.expose_secret()
        {
            return Ok(current.clone());
        }
        tracing::debug!("flow session key expired; logging in again");
        *guard = None;
        let session = self.login().await?;
        *guard = Some(session.clone());
        Ok(session)
    }

    /// Logs in with the configured order of methods.
    async fn login(&self) -> Result<Session> {
        let order: &[LoginMethod] = match self.inner.config.login.order {
            LoginOrder::JsonFirst => &[LoginMethod::Json, LoginMethod::Legacy],
            LoginOrder::LegacyFirst => &[LoginMethod::Legacy, LoginMethod::Json],
            LoginOrder::JsonOnly => &[LoginMethod::Json],
            LoginOrder::LegacyOnly => &[LoginMethod::Legacy],
        };
        let mut failures = Vec::new();
        for method in order {
            let result = self
                .inner
                .frame
                .execute("flow", "CHKUSR", |attempt| async move {
                    let mut result = self.login_once(*method).await;
                    if let Err(failure) = &mut result {
                        failure.last_attempt = attempt >= crate::error::CONNECT_ATTEMPTS;
                    }
                    result
                })
                .await;
            match result {
                Ok(session) => return Ok(session),
                Err(failure) => {
                    tracing::debug!(method = ?failure.method, "flow login method failed");
                    failures.push(failure);
                }
            }
        }
        if let Some(first) = failures.first()
            && let Some(cause) = &first.connect
            && failures.iter().all(|f| f.connect.is_some())
        {
            return Err(Error::Unreachable {
                host: first.host.clone(),
                cause: cause.clone(),
                last_attempt: true,
                source: None,
            });
        }
        let refused_at = failures.iter().find(|f| f.refused).map(|f| f.host.clone());
        let no_answer = failures.iter().all(|f| f.no_answer);
        let reason = failures
            .iter()
            .map(|f| {
                let name = match f.method {
                    LoginMethod::Json => "json login",
                    LoginMethod::Legacy => "legacy login",
                };
                format!("{name}: {}", f.reason)
            })
            .collect::<Vec<_>>()
            .join("; ");
        Err(Error::Login {
            reason,
            no_answer,
            refused_at,
        })
    }

    async fn login_once(&self, method: LoginMethod) -> Result<Session, LoginFailure> {
        let config = &self.inner.config;
        let host = crate::error::host_of(match method {
            LoginMethod::Json => &self.inner.hosts.login,
            LoginMethod::Legacy => &self.inner.hosts.erp,
        });
        let fail = |reason: String, no_answer: bool| LoginFailure {
            method,
            reason,
            no_answer,
            host: host.clone(),
            connect: None,
            refused: false,
            last_attempt: false,
        };
        let refused = |reason: String| LoginFailure {
            refused: true,
            ..fail(reason, false)
        };
        let request = match method {
            LoginMethod::Json => {
                let mut url = self.inner.hosts.login.clone();
                url.path_segments_mut()
                    .map_err(|()| fail("login host cannot carry a path".into(), false))?
                    .pop_if_empty()
                    .extend(["api", "chkusr", "login"]);
                let body = json!({
                    "ACC": config.account,
                    "USRID": config.user,
                    "PASS": config.password.expose_secret(),
                    "LNG": config.language,
                    "CMDTXT": "CHKUSR",
                    "CMDPAR": "",
                    "SRCAPP": config.login.src_app,
                });
                http::Request::post(url.as_str())
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Bytes::from(body.to_string()))
            }
            LoginMethod::Legacy => {
                let mut url = self.inner.hosts.erp.clone();
                url.set_query(Some("OP=CHKUSR"));
                let body = wire::render_params(
                    Separator::FormFeed,
                    &[
                        Param::value(config.account.clone()),
                        Param::value(config.user.clone()),
                        Param::value(config.password.expose_secret()),
                        Param::value(config.language.clone()),
                        Param::value(""),
                    ],
                )
                .map_err(|e| {
                    fail(
                        e.to_string()
                            .replace(config.password.expose_secret(), REDACTED),
                        false,
                    )
                })?;
                http::Request::post(url.as_str())
                    .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                    .body(Bytes::from(body))
            }
        }
        .map_err(|e| fail(format!("request not built: {e}"), false))?;

        let response = self
            .inner
            .frame
            .exchange(request, |sent| {
                sent.map_err(|e| {
                    let connect = (e.kind() == TransportErrorKind::Connect)
                        .then(|| e.connect_cause().to_owned());
                    LoginFailure {
                        connect,
                        ..fail(format!("no answer ({e})"), true)
                    }
                })
            })
            .await?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(refused(format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(fail(
                format!("HTTP {}", status.as_u16()),
                status.is_server_error(),
            ));
        }
        let text =
            wire::decode_text("CHKUSR", response.body()).map_err(|e| fail(e.to_string(), false))?;
        match method {
            LoginMethod::Json => {
                let value: Value = serde_json::from_str(text)
                    .map_err(|e| fail(format!("answer is not JSON ({e})"), false))?;
                let Value::Object(map) = value else {
                    return Err(fail("answer is not a JSON object".into(), false));
                };
                if let Some(msg) = text_of(field_ci(&map, "errMsg")) {
                    return Err(refused(format!("errMsg: {msg}")));
                }
                let Some(key) = text_of(field_ci(&map, "apiKey")) else {
                    return Err(fail("answer carries no apiKey".into(), false));
                };
                Ok(Session {
                    key: SecretString::from(key),
                    method,
                    user_id: text_of(field_ci(&map, "usrid")),
                    user_name: text_of(field_ci(&map, "usrna")),
                    employee: text_of(field_ci(&map, "empno")),
                    default_company: text_of(field_ci(&map, "dcono")),
                    auth: text_of(field_ci(&map, "auth")),
                    app_level: text_of(field_ci(&map, "applvl")),
                })
            }
            LoginMethod::Legacy => {
                let parsed =
                    wire::parse_legacy_login(text).map_err(|e| fail(e.to_string(), false))?;
                match parsed.login_err.as_deref() {
                    Some("0") | None => {}
                    Some(code) => return Err(refused(format!("LOGINERR={code}"))),
                }
                let Some(key) = parsed.api_key.filter(|k| !k.is_empty()) else {
                    return Err(fail("answer carries no APIKEY".into(), false));
                };
                Ok(Session {
                    key: SecretString::from(key),
                    method,
                    user_id: parsed.user_id,
                    user_name: parsed.user_name,
                    employee: parsed.employee,
                    default_company: parsed.default_company,
                    auth: parsed.auth,
                    app_level: parsed.app_level,
                })
            }
        }
    }

    /// Runs one attempt of `call` with the session key; when the answer shows the key
    /// expired, logs in again once and repeats the attempt with the new key. The retry driver
    /// wraps this, so a key refused again right after renewal is retried later with backoff.
    pub(crate) async fn with_session<T, F, Fut>(&self, endpoint: &str, call: F) -> Result<T>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let session = self.session().await?;
        match call(session.key.clone()).await {
            Err(Error::SessionExpired { .. }) => {
                let fresh = self.renew(&session.key).await?;
                match call(fresh.key).await {
                    Err(Error::SessionExpired { .. }) => Err(Error::SessionExpired {
                        endpoint: endpoint.to_owned(),
                    }),
                    other => other,
                }
            }
            other => other,
        }
    }

    /// A URL on `surface` with the given path segments (each percent-encoded).
    pub(crate) fn url(&self, surface: Surface, segments: &[&str]) -> Result<Url> {
        let mut url = match surface {
            Surface::Api => self.inner.hosts.api.clone(),
            Surface::Erp => self.inner.hosts.erp.clone(),
        };
        url.path_segments_mut()
            .map_err(|()| Error::config("hosts", "base URL cannot carry a path"))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// A URL on the REST surface from a configured path such as `/api/CONCMD/ADDCON`.
    pub(crate) fn api_path(&self, path: &str) -> Result<Url> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.url(Surface::Api, &segments)
    }

    fn is_expired_reason(&self, reason: &str) -> bool {
        let upper = reason.to_uppercase();
        self.inner
            .config
            .login
            .expired_markers
            .iter()
            .any(|m| !m.is_empty() && upper.contains(&m.to_uppercase()))
    }

    fn build_request(
        &self,
        surface: Surface,
        method: &Method,
        url: &Url,
        key: &SecretString,
        content_type: Option<&'static str>,
        body: &Bytes,
    ) -> Result<HttpRequest> {
        let key_value = sensitive_header(key)
            .map_err(|_| Error::decode("CHKUSR", "the session key is not a valid header value"))?;
        let key_name = match surface {
            Surface::Api => HeaderName::from_static(API_KEY_HEADER),
            Surface::Erp => HeaderName::from_static(ERP_KEY_HEADER),
        };
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .header(key_name, key_value)
            .header(header::ACCEPT, "application/json, text/plain, */*");
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, header_value(ct));
        }
        builder
            .body(body.clone())
            .map_err(|e| Error::invalid("request", e.to_string()))
    }

    /// One call with the session key, in the request frame: per attempt the request is
    /// built with the current key (`body` may depend on it), exchanged, and read by
    /// `classify`; an answer showing the key expired renews it once within the attempt
    /// ([`with_session`](Self::with_session)).
    #[allow(clippy::too_many_arguments)]
    async fn session_call<T>(
        &self,
        endpoint: &str,
        surface: Surface,
        method: &Method,
        url: &Url,
        content_type: Option<&'static str>,
        body: impl Fn(&SecretString) -> Bytes,
        classify: impl Fn(std::result::Result<HttpResponse, TransportError>) -> Result<T>,
    ) -> Result<T> {
        // A connection never made is `Error::Unreachable` (an outage), tried at most
        // `CONNECT_ATTEMPTS` times in the call.
        let classify = &move |sent: std::result::Result<HttpResponse, TransportError>| match sent {
            Err(source) if source.kind() == TransportErrorKind::Connect => {
                Err(Error::Unreachable {
                    host: crate::error::host_of(url),
                    cause: source.connect_cause().to_owned(),
                    last_attempt: false,
                    source: Some(source),
                })
            }
            sent => classify(sent),
        };
        let body = &body;
        self.inner
            .frame
            .execute("flow", endpoint, |attempt| async move {
                let mut result = self
                    .with_session(endpoint, move |key| async move {
                        let request = self.build_request(
                            surface,
                            method,
                            url,
                            &key,
                            content_type,
                            &body(&key),
                        )?;
                        self.inner.frame.exchange(request, classify).await
                    })
                    .await;
                if let Err(Error::Unreachable { last_attempt, .. }) = &mut result
                    && attempt >= crate::error::CONNECT_ATTEMPTS
                {
                    *last_attempt = true;
                }
                result
            })
            .await
    }

    /// An idempotent call (a read, or a command safe to repeat): retried on transient
    /// failures; returns the answer's bytes (BOM removed, checked to be UTF-8, not copied)
    /// after turning `CMDERR` into [`Error::Refused`] (or [`Error::SessionExpired`]).
    pub(crate) async fn idempotent_call(
        &self,
        endpoint: &str,
        surface: Surface,
        method: Method,
        url: Url,
        content_type: Option<&'static str>,
        body: Bytes,
    ) -> Result<Bytes> {
        self.session_call(
            endpoint,
            surface,
            &method,
            &url,
            content_type,
            |_| body.clone(),
            |sent| self.read_answer(endpoint, sent),
        )
        .await
    }

    /// Maps the answer of an idempotent call to its text (as bytes) or an error.
    fn read_answer(
        &self,
        endpoint: &str,
        sent: std::result::Result<HttpResponse, TransportError>,
    ) -> Result<Bytes> {
        let response = sent.map_err(|source| Error::Transport {
            endpoint: endpoint.to_owned(),
            source,
        })?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(Error::SessionExpired {
                endpoint: endpoint.to_owned(),
            });
        }
        if !status.is_success() {
            return Err(Error::Http {
                endpoint: endpoint.to_owned(),
                status: status.as_u16(),
                retry_after: retry_after_header(response.headers(), &**self.inner.frame.clock()),
            });
        }
        let text = wire::decode_text(endpoint, response.body())?;
        if let Some(reason) = wire::refusal_in(text) {
            if self.is_expired_reason(&reason) {
                return Err(Error::SessionExpired {
                    endpoint: endpoint.to_owned(),
                });
            }
            return Err(Error::Refused {
                endpoint: endpoint.to_owned(),
                reason,
            });
        }
        let body = response.body();
        Ok(body.slice(body.len() - text.len()..))
    }

    /// A save (`ADDPOS`, `ADDCON`): a connection failure before sending is retried; once the
    /// request may have been sent, any answer other than `CMDDNE,n` or `CMDERR` (or no
    /// answer) is [`Error::UncertainSave`]. Returns the value after `CMDDNE`.
    pub(crate) async fn save_call(
        &self,
        endpoint: &str,
        url: Url,
        body: Bytes,
        op: &str,
        reference: &str,
    ) -> Result<String> {
        self.session_call(
            endpoint,
            Surface::Api,
            &Method::POST,
            &url,
            Some("application/json"),
            |_| body.clone(),
            |sent| self.read_save(endpoint, op, reference, sent),
        )
        .await
    }

    /// Maps the answer of a save to the value after `CMDDNE` or an error.
    fn read_save(
        &self,
        endpoint: &str,
        op: &str,
        reference: &str,
        sent: std::result::Result<HttpResponse, TransportError>,
    ) -> Result<String> {
        let uncertain = |why: String, source| Error::UncertainSave {
            op: op.to_owned(),
            reference: reference.to_owned(),
            why,
            source,
        };
        let response = match sent {
            Ok(r) => r,
            Err(source) if source.maybe_sent() => {
                return Err(uncertain(
                    "the connection was lost after sending".into(),
                    Some(source),
                ));
            }
            Err(source) => {
                return Err(Error::Transport {
                    endpoint: endpoint.to_owned(),
                    source,
                });
            }
        };
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(Error::SessionExpired {
                endpoint: endpoint.to_owned(),
            });
        }
        if !status.is_success() {
            return Err(uncertain(format!("HTTP {}", status.as_u16()), None));
        }
        let Ok(text) = wire::decode_text(endpoint, response.body()) else {
            return Err(uncertain("the answer is not UTF-8".into(), None));
        };
        match wire::parse_answer(text) {
            Answer::Done(value) => Ok(value),
            Answer::Refused(reason) if self.is_expired_reason(&reason) => {
                Err(Error::SessionExpired {
                    endpoint: endpoint.to_owned(),
                })
            }
            Answer::Refused(reason) => Err(Error::Refused {
                endpoint: endpoint.to_owned(),
                reason,
            }),
            Answer::Other(other) => {
                let excerpt: String = other.chars().take(80).collect();
                Err(uncertain(format!("unexpected answer {excerpt:?}"), None))
            }
        }
    }

    /// The JSON wrapper of command calls, with `cmdtxt` and `cmdpar`.
    pub(crate) fn command_wrapper(&self, key: &SecretString, cmdtxt: &str, cmdpar: &str) -> Value {
        let c = &self.inner.config;
        let pass = if c.login.wrapper_sends_password {
            c.password.expose_secret()
        } else {
            ""
        };
        json!({
            "acc": c.account,
            "usrid": c.user,
            "pass": pass,
            "lng": c.language,
            "thm": c.login.theme,
            "srcapp": c.login.command_src_app,
            "srcver": c.login.src_ver,
            "APIKEY": key.expose_secret(),
            "cmdtxt": cmdtxt,
            "cmdpar": cmdpar,
        })
    }

    /// A command call on `surface` with the JSON wrapper (`GETREC` on the REST surface,
    /// `EXECMD` and `LDSRCHDRNO` on the command surface). Idempotent commands only.
    pub(crate) async fn command(
        &self,
        surface: Surface,
        cmdtxt: &str,
        cmdpar: &str,
    ) -> Result<String> {
        let (url, content_type) = match surface {
            Surface::Api => (
                self.url(
                    Surface::Api,
                    &["api", "srvcmd", &cmdtxt.to_ascii_lowercase()],
                )?,
                "application/json",
            ),
            Surface::Erp => (self.url(Surface::Erp, &[])?, "text/json"),
        };
        let body = self
            .session_call(
                cmdtxt,
                surface,
                &Method::POST,
                &url,
                Some(content_type),
                |key| Bytes::from(self.command_wrapper(key, cmdtxt, cmdpar).to_string()),
                |sent| self.read_answer(cmdtxt, sent),
            )
            .await?;
        Ok(wire::decode_text(cmdtxt, &body)?.to_owned())
    }

    /// A REST `GET` on the API surface, parsed as JSON.
    pub(crate) async fn get_json(&self, endpoint: &str, segments: &[&str]) -> Result<Value> {
        let text = self.get_text(endpoint, segments).await?;
        parse_json(endpoint, &text)
    }

    /// A REST `GET` on the API surface, as the decoded answer text (for readers that parse it
    /// their own way).
    pub(crate) async fn get_text(&self, endpoint: &str, segments: &[&str]) -> Result<String> {
        let body = self.get_body(endpoint, segments).await?;
        Ok(wire::decode_text(endpoint, &body)?.to_owned())
    }

    /// A `GET` on the REST surface whose answer is kept as received (BOM removed, checked
    /// to be UTF-8): for long answers read straight from their bytes, without a copy.
    pub(crate) async fn get_body(&self, endpoint: &str, segments: &[&str]) -> Result<Bytes> {
        let url = self.url(Surface::Api, segments)?;
        self.idempotent_call(endpoint, Surface::Api, Method::GET, url, None, Bytes::new())
            .await
    }
}

/// Parses an answer text as JSON; an empty answer is `null`.
pub(crate) fn parse_json(endpoint: &str, text: &str) -> Result<Value> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(trimmed).map_err(|e| {
        Error::decode(
            endpoint,
            format!(
                "not JSON at line {} column {}: {}",
                e.line(),
                e.column(),
                e.classify_name()
            ),
        )
    })
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "i/o",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "unexpected end",
        }
    }
}
