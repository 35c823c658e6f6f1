//! The ETA e-receipt stand-in, written from `specs/eta.md`.
//!
//! One server plays the identity host (`/connect/token`) and the API host (`/api/v1/...`).
//! Each submitted receipt is re-serialized from the JSON text as received ([`canonical`]) to
//! check its uuid, then checked for structure, codes, core fields and calculations, for its
//! device's chain and for duplicates; a receipt taken for processing gets its final status
//! (`Valid` or `Invalid`) after `EtaConfig::validation_delay` (module `verdict`). The reads
//! are the receipt (`…/raw`, `…/details`), the submission's details and the lists (module
//! `search`: Search Receipts, Get Recent Receipts). See `docs/sandbox.md` for every rule and
//! its error code.

pub mod canonical;
mod codes;
pub mod json;
mod search;
mod submission;
mod validate;
mod verdict;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use chrono::{SecondsFormat, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub use search::MAX_LIST_PAGE;
pub use validate::Detail;

/// Largest submission accepted, in bytes (1.5 MB).
pub const MAX_SUBMISSION_BYTES: usize = 1_500_000;
/// Most receipts in one submission.
pub const MAX_RECEIPTS: usize = 500;

/// A registered POS device.
#[derive(Clone, PartialEq, Eq)]
pub struct EtaDevice {
    /// The POS serial number (`posserial` header, `seller.deviceSerialNumber`).
    pub serial: String,
    /// The POS pre-shared key (`presharedkey` header).
    pub preshared_key: String,
    /// The device's own OAuth client id and secret, as ETA issues each registered POS;
    /// `None`: the stand-in's shared [`EtaConfig::client_id`] and
    /// [`EtaConfig::client_secret`].
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for EtaDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtaDevice")
            .field("serial", &self.serial)
            .field("preshared_key", &"[redacted]")
            .field(
                "client_id",
                &self.credentials.as_ref().map(|(id, _)| id.as_str()),
            )
            .finish()
    }
}

/// Settings of the ETA stand-in.
#[derive(Clone)]
pub struct EtaConfig {
    /// OAuth client id. Default `"sandbox-eta-client"`.
    pub client_id: String,
    /// OAuth client secret. Default `"sandbox-eta-secret"`.
    pub client_secret: String,
    /// The taxpayer's registration number (`seller.rin` must equal it). Default `"200123456"`.
    pub taxpayer_rin: String,
    /// Registered POS devices. Default: `POS-0001` (key `sandbox-psk-0001`) and `POS-0002`
    /// (key `sandbox-psk-0002`).
    pub devices: Vec<EtaDevice>,
    /// Lifetime of an access token. Default 3600 s.
    pub token_ttl: Duration,
    /// Allowed difference on every calculation. Default `0.5`.
    pub tolerance: Decimal,
    /// Longest time between `dateTimeIssued` and submission; `None` for no limit. Default 24 h.
    pub max_receipt_age: Option<Duration>,
    /// An identical submission body within this window answers 422 `DuplicateSubmission`;
    /// `None` to disable. Default 10 minutes.
    pub duplicate_window: Option<Duration>,
    /// Whether a submission must carry `signatures` with an issuer (`I`) entry (its value may
    /// be empty: ETA does not validate signatures yet). Default `true`.
    pub require_signatures: bool,
    /// How long after its submission a receipt ETA took for processing gets its final status
    /// (`Valid` or `Invalid`); until then it is `Submitted` and its submission `InProgress`.
    /// Default zero (decided at once).
    pub validation_delay: Duration,
    /// The item codes (`itemCode`, EGS or GS1) registered for the taxpayer, listed by the code
    /// API as approved and active; codes filed through the code API and approved
    /// ([`EtaState::decide_code_request`]) join them. A receipt with a line whose code is not
    /// registered and active becomes `Invalid` at the asynchronous step. `None` (the
    /// default): every well-formed code counts as registered.
    pub registered_item_codes: Option<Vec<String>>,
}

impl Default for EtaConfig {
    fn default() -> Self {
        EtaConfig {
            client_id: "sandbox-eta-client".into(),
            client_secret: "sandbox-eta-secret".into(),
            taxpayer_rin: "200123456".into(),
            devices: vec![
                EtaDevice {
                    serial: "POS-0001".into(),
                    preshared_key: "sandbox-psk-0001".into(),
                    credentials: None,
                },
                EtaDevice {
                    serial: "POS-0002".into(),
                    preshared_key: "sandbox-psk-0002".into(),
                    credentials: None,
                },
            ],
            token_ttl: Duration::from_secs(3600),
            tolerance: Decimal::new(5, 1),
            max_receipt_age: Some(Duration::from_secs(24 * 3600)),
            duplicate_window: Some(Duration::from_secs(600)),
            require_signatures: true,
            validation_delay: Duration::ZERO,
            registered_item_codes: None,
        }
    }
}

impl fmt::Debug for EtaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtaConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("taxpayer_rin", &self.taxpayer_rin)
            .field("devices", &self.devices)
            .field("token_ttl", &self.token_ttl)
            .field("tolerance", &self.tolerance)
            .field("max_receipt_age", &self.max_receipt_age)
            .field("duplicate_window", &self.duplicate_window)
            .field("require_signatures", &self.require_signatures)
            .field("validation_delay", &self.validation_delay)
            .field("registered_item_codes", &self.registered_item_codes)
            .finish()
    }
}

impl EtaConfig {
    pub(crate) fn validate(&self) -> Result<(), crate::Error> {
        let bad = |field: &'static str, rule: &str| {
            Err(crate::Error::Config {
                field,
                rule: rule.into(),
            })
        };
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            return bad("eta.client_id/client_secret", "must not be empty");
        }
        if self.taxpayer_rin.len() != 9 || !self.taxpayer_rin.bytes().all(|b| b.is_ascii_digit()) {
            return bad("eta.taxpayer_rin", "must be 9 digits");
        }
        if self.devices.is_empty()
            || self
                .devices
                .iter()
                .any(|d| d.serial.is_empty() || d.serial.len() > 100 || d.preshared_key.is_empty())
        {
            return bad(
                "eta.devices",
                "needs at least one device, each with a serial (1 to 100 characters) and a pre-shared key",
            );
        }
        if self.devices.iter().any(|d| {
            d.credentials
                .as_ref()
                .is_some_and(|(id, secret)| id.is_empty() || secret.is_empty())
        }) {
            return bad(
                "eta.devices.credentials",
                "a device's own client id and secret must not be empty",
            );
        }
        if self.tolerance < Decimal::ZERO {
            return bad("eta.tolerance", "must not be negative");
        }
        if self.token_ttl.is_zero() || self.token_ttl > Duration::from_secs(10 * 365 * 24 * 3600) {
            return bad("eta.token_ttl", "must be between 1 second and 10 years");
        }
        if self.validation_delay > Duration::from_secs(24 * 3600) {
            return bad("eta.validation_delay", "must be at most 24 hours");
        }
        Ok(())
    }
}

#[derive(Debug)]
struct Token {
    serial: String,
    expires: Instant,
}

#[derive(Debug, Clone)]
struct Receipt {
    uuid: String,
    previous_uuid: String,
    reference_uuid: String,
    device: String,
    receipt_type: String,
    receipt_number: String,
    /// Refused synchronously (listed in `rejectedDocuments`): `Invalid` at once, never held.
    refused: bool,
    /// When the asynchronous verdict is due.
    verdict_at: Instant,
    /// The asynchronous step's error (ETA's error body), when it fails the receipt.
    verdict_error: Option<Value>,
    raw: String,
    submission_id: String,
    long_id: String,
    hash_key: String,
    date_time_issued: String,
    date_time_received: String,
    total_amount: String,
    error: Option<Value>,
}

impl Receipt {
    /// ETA's status of the receipt at `now`: `Invalid` when refused synchronously, else
    /// `Submitted` until its verdict is due, then `Valid` or `Invalid`.
    fn status(&self, now: Instant) -> &'static str {
        if self.refused {
            "Invalid"
        } else if now < self.verdict_at {
            "Submitted"
        } else if self.verdict_error.is_some() {
            "Invalid"
        } else {
            "Valid"
        }
    }

    /// The error that made the receipt Invalid, as known at `now`.
    fn errors(&self, now: Instant) -> Option<&Value> {
        if self.refused {
            self.error.as_ref()
        } else if now >= self.verdict_at {
            self.verdict_error.as_ref()
        } else {
            None
        }
    }

    fn summary(&self) -> Value {
        let now = Instant::now();
        let mut v = json!({
            "uuid": self.uuid,
            "submissionUUID": self.submission_id,
            "longId": self.long_id,
            "receiptNumber": self.receipt_number,
            "previousUUID": self.previous_uuid,
            "referenceUUID": self.reference_uuid,
            "dateTimeIssued": self.date_time_issued,
            "dateTimeReceived": self.date_time_received,
            "receiptType": self.receipt_type,
            "typeVersion": "1.2",
            "deviceSerialNumber": self.device,
            "totalAmount": self.total_amount.parse::<f64>().ok(),
            "status": self.status(now),
        });
        if let Some(e) = self.errors(now) {
            v["errors"] = e.clone();
        }
        v
    }
}

#[derive(Debug)]
struct Submission {
    id: String,
    device: String,
    received: String,
    receipts: Vec<usize>,
}

#[derive(Debug, Default)]
struct Counters {
    tokens_issued: u64,
    token_failures: u64,
    unauthorized: u64,
    submissions: u64,
    submissions_refused: u64,
    duplicate_submissions: u64,
    accepted: u64,
    rejected: u64,
}

#[derive(Debug)]
struct Data {
    rng: StdRng,
    tokens: HashMap<String, Token>,
    receipts: Vec<Receipt>,
    accepted: HashMap<String, usize>,
    /// The accepted receipts of each receipt number, as indexes into `receipts`: the
    /// lists' look-up by number reads these instead of every receipt held.
    by_number: HashMap<String, Vec<usize>>,
    last_uuid: HashMap<String, String>,
    submissions: Vec<Submission>,
    submission_index: HashMap<String, usize>,
    recent_bodies: HashMap<[u8; 32], Instant>,
    counters: Counters,
    /// Item codes registered after start (`EtaState::register_item_codes`).
    registered_later: Vec<String>,
}

/// The state of the ETA stand-in.
#[derive(Debug)]
pub struct EtaState {
    cfg: EtaConfig,
    data: Mutex<Data>,
    /// The taxpayer's code-usage requests (module `codes`).
    codes: Mutex<codes::Registry>,
}

impl EtaState {
    /// A stand-in with no receipts.
    pub fn new(cfg: EtaConfig, seed: u64) -> Arc<EtaState> {
        Arc::new(EtaState {
            codes: Mutex::new(codes::Registry::new(&cfg)),
            cfg,
            data: Mutex::new(Data {
                rng: StdRng::seed_from_u64(seed ^ 0xE7A0_0000_0000_0003),
                tokens: HashMap::new(),
                receipts: Vec::new(),
                accepted: HashMap::new(),
                by_number: HashMap::new(),
                last_uuid: HashMap::new(),
                submissions: Vec::new(),
                submission_index: HashMap::new(),
                recent_bodies: HashMap::new(),
                counters: Counters::default(),
                registered_later: Vec::new(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EtaConfig {
        &self.cfg
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a token for a registered device as `/connect/token` would (for tests that need
    /// a token while every request is made to fail); `None` for an unknown serial.
    pub fn issue_token(&self, serial: &str) -> Option<String> {
        if !self.cfg.devices.iter().any(|d| d.serial == serial) {
            return None;
        }
        let mut d = self.lock();
        Some(new_token(&mut d, serial, self.cfg.token_ttl))
    }

    /// Forgets an access token (the fault "expired session").
    pub fn expire_token(&self, token: &str) {
        self.lock().tokens.remove(token);
    }

    /// Registers item codes for the taxpayer from now on (an operator fixing the cause of
    /// Invalid receipts): receipts submitted later with them are not Invalid for it; receipts
    /// already decided keep their status. Also `POST /__admin/eta/item_codes`.
    pub fn register_item_codes(&self, codes: &[String]) {
        let mut d = self.lock();
        for code in codes {
            if !d.registered_later.contains(code) {
                d.registered_later.push(code.clone());
            }
        }
    }

    /// The last accepted uuid of a device (`None` before its first receipt).
    pub fn last_uuid(&self, device: &str) -> Option<String> {
        self.lock().last_uuid.get(device).cloned()
    }

    /// Everything the stand-in holds (the `eta` part of `/__admin/dump`).
    pub fn dump(&self) -> Value {
        let d = self.lock();
        let now = Instant::now();
        json!({
            "receipts": d.receipts.iter().map(|r| json!({
                "uuid": r.uuid,
                "previous_uuid": r.previous_uuid,
                "reference_uuid": r.reference_uuid,
                "reference_old_uuid": serde_json::from_str::<Value>(&r.raw).ok()
                    .and_then(|raw| raw["header"]["referenceOldUUID"].as_str().map(str::to_owned))
                    .unwrap_or_default(),
                "device": r.device,
                "receipt_type": r.receipt_type,
                "receipt_number": r.receipt_number,
                "status": r.status(now),
                "submission_id": r.submission_id,
                "error": r.errors(now),
                "raw": r.raw,
            })).collect::<Vec<_>>(),
            "devices": self.cfg.devices.iter().map(|dev| json!({
                "serial": dev.serial,
                "last_uuid": d.last_uuid.get(&dev.serial),
            })).collect::<Vec<_>>(),
            "submissions": d.submissions.iter().map(|s| json!({
                "submission_id": s.id,
                "device": s.device,
                "received": s.received,
                "receipts": s.receipts.len(),
            })).collect::<Vec<_>>(),
        })
    }

    /// Counters (the `eta` part of `/__admin/stats`).
    pub fn stats(&self) -> Value {
        let d = self.lock();
        let c = &d.counters;
        json!({
            "tokens_issued": c.tokens_issued,
            "token_failures": c.token_failures,
            "unauthorized": c.unauthorized,
            "submissions": c.submissions,
            "submissions_refused": c.submissions_refused,
            "duplicate_submissions": c.duplicate_submissions,
            "receipts_accepted": c.accepted,
            "receipts_rejected": c.rejected,
        })
    }
}

/// The router of the ETA stand-in (without admin routes and faults).
pub(crate) fn router(state: Arc<EtaState>) -> Router {
    Router::new()
        .route("/connect/token", post(token))
        .route("/api/v1/receiptsubmissions", post(submit))
        .route(
            "/api/v1/receiptsubmissions/{id}/details",
            get(submission_details),
        )
        .route("/api/v1/receipts/search", get(search::search))
        .route("/api/v1/receipts/recent", get(search::recent))
        .route("/api/v1/receipts/{uuid}/raw", get(receipt_raw))
        .route("/api/v1/receipts/{uuid}/details", get(receipt_details))
        .route("/api/v1.0/codetypes/requests/my", get(codes::my_requests))
        .route(
            "/api/v1.0/codetypes/requests/codes",
            post(codes::file_requests),
        )
        .layer(DefaultBodyLimit::max(4 * MAX_SUBMISSION_BYTES))
        .with_state(state)
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut r = (status, value.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// ETA's standard error body.
fn eta_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    json_response(
        status,
        &json!({"error": {"code": code, "message": message.into(), "target": "", "details": []}}),
    )
}

fn boxed(status: StatusCode, code: &str, message: impl Into<String>) -> Box<Response> {
    Box::new(eta_error(status, code, message))
}

fn oauth_error(error: &str, description: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": error, "error_description": description}),
    )
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn random_id(rng: &mut StdRng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

async fn token(State(st): State<Arc<EtaState>>, headers: HeaderMap, body: Bytes) -> Response {
    let fail = |error: &str, description: &str| {
        st.lock().counters.token_failures += 1;
        oauth_error(error, description)
    };
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !form_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return fail(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    }
    let text = String::from_utf8_lossy(&body);
    let form: HashMap<String, String> = text
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (form_decode(k), form_decode(v))
        })
        .collect();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return fail(
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let cfg = &st.cfg;
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let serial = h("posserial");
    let known = cfg.devices.iter().find(|d| d.serial == serial);
    // A device registered with its own client credentials takes only those.
    let (client_id, client_secret) = known.and_then(|d| d.credentials.as_ref()).map_or(
        (cfg.client_id.as_str(), cfg.client_secret.as_str()),
        |(id, secret)| (id.as_str(), secret.as_str()),
    );
    if field("client_id") != client_id {
        return fail("invalid_client", "unknown client_id");
    }
    if field("client_secret") != client_secret {
        return fail("invalid_clientsecret", "wrong client_secret");
    }
    let Some(device) = known else {
        return fail(
            "invalid_posserial",
            "posserial is missing or not a registered POS",
        );
    };
    let os = h("pososversion");
    if os.is_empty() || os.len() > 50 {
        return fail(
            "invalid_pososversion",
            "pososversion must be 1 to 50 characters",
        );
    }
    let framework = h("posmodelframework");
    if framework.is_empty() || framework.len() > 10 {
        return fail(
            "invalid_posmodelframework",
            "posmodelframework must be 1 to 10 characters",
        );
    }
    if h("presharedkey") != device.preshared_key {
        return fail(
            "invalid_presharedkey",
            "presharedkey does not match the POS",
        );
    }
    let mut d = st.lock();
    let token = new_token(&mut d, &serial, cfg.token_ttl);
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": cfg.token_ttl.as_secs(),
            "scope": "InvoicingAPI",
        }),
    )
}

fn new_token(d: &mut Data, serial: &str, ttl: Duration) -> String {
    let token: String = (0..48)
        .map(|_| char::from_digit(d.rng.random_range(0..16), 16).unwrap_or('0'))
        .collect();
    d.tokens.insert(
        token.clone(),
        Token {
            serial: serial.to_string(),
            expires: Instant::now() + ttl,
        },
    );
    d.counters.tokens_issued += 1;
    token
}

/// The device serial of the request's live token, or the 401 answer.
fn authenticate(st: &EtaState, headers: &HeaderMap) -> Result<String, Box<Response>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    let mut d = st.lock();
    let serial = match d.tokens.get(token) {
        Some(t) if t.expires > Instant::now() => Some(t.serial.clone()),
        _ => None,
    };
    match serial {
        Some(s) => Ok(s),
        None => {
            d.tokens.remove(token);
            d.counters.unauthorized += 1;
            let mut r = eta_error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "missing, invalid or expired access token",
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            Err(Box::new(r))
        }
    }
}

async fn submit(State(st): State<Arc<EtaState>>, headers: HeaderMap, body: Bytes) -> Response {
    let serial = match authenticate(&st, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        st.lock().counters.submissions_refused += 1;
        return eta_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BadStructure",
            "Content-Type must be application/json",
        );
    }
    match st.process_submission(&serial, &body) {
        Ok(v) => json_response(StatusCode::ACCEPTED, &v),
        Err(r) => {
            st.lock().counters.submissions_refused += 1;
            *r
        }
    }
}

#[derive(Debug)]
struct DetailsQuery {
    page_no: Option<String>,
    page_size: Option<String>,
    status: Option<String>,
    receipt_number: Option<String>,
}

async fn submission_details(
    State(st): State<Arc<EtaState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let serial = match authenticate(&st, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let lower: HashMap<String, String> = q
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let q = DetailsQuery {
        page_no: lower.get("pageno").cloned(),
        page_size: lower.get("pagesize").cloned(),
        status: lower.get("status").cloned(),
        receipt_number: lower.get("receiptnumber").cloned(),
    };
    let page_no = match q.page_no.as_deref().map(str::parse::<usize>) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        _ => {
            return eta_error(
                StatusCode::BAD_REQUEST,
                "BadStructure",
                "PageNo must be an integer >= 1",
            );
        }
    };
    let page_size = match q.page_size.as_deref().map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => {
            return eta_error(
                StatusCode::BAD_REQUEST,
                "BadStructure",
                "PageSize must be an integer from 1 to 100",
            );
        }
    };
    let d = st.lock();
    let Some(sub) = d.submission_index.get(&id).map(|i| &d.submissions[*i]) else {
        return eta_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("no submission {id}"),
        );
    };
    if sub.device != serial {
        return eta_error(
            StatusCode::FORBIDDEN,
            "IncorrectSubmitter",
            "only the submitting POS may read a submission",
        );
    }
    let all: Vec<&Receipt> = sub.receipts.iter().map(|i| &d.receipts[*i]).collect();
    let now = Instant::now();
    let valid = all.iter().filter(|r| r.status(now) == "Valid").count();
    let overall = if all.iter().any(|r| r.status(now) == "Submitted") {
        "InProgress"
    } else if valid == all.len() {
        "Valid"
    } else if valid == 0 {
        "Invalid"
    } else {
        "PartiallyValid"
    };
    let filtered: Vec<&Receipt> = all
        .iter()
        .copied()
        .filter(|r| {
            q.status
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(r.status(now)))
        })
        .filter(|r| {
            q.receipt_number
                .as_deref()
                .is_none_or(|n| n == r.receipt_number)
        })
        .collect();
    let total = filtered.len();
    let pages = total.div_ceil(page_size).max(1);
    let page: Vec<Value> = filtered
        .iter()
        .skip((page_no - 1) * page_size)
        .take(page_size)
        .map(|r| r.summary())
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "submissionId": sub.id,
            "submissionUUID": sub.id,
            "status": overall,
            "documentCount": all.len(),
            "dateTimeReceived": sub.received,
            "receipts": page,
            "metadata": {"totalPages": pages, "totalCount": total, "pageNo": page_no, "pageSize": page_size},
        }),
    )
}

/// The receipt with `uuid`: the accepted one, or else the latest rejected one.
fn find<'d>(d: &'d Data, uuid: &str) -> Option<&'d Receipt> {
    d.accepted
        .get(uuid)
        .map(|i| &d.receipts[*i])
        .or_else(|| d.receipts.iter().rev().find(|r| r.uuid == uuid))
}

async fn receipt_raw(
    State(st): State<Arc<EtaState>>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authenticate(&st, &headers) {
        return *r;
    }
    let d = st.lock();
    let Some(r) = find(&d, &uuid) else {
        return eta_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("no receipt {uuid}"),
        );
    };
    // ETA's `ReceiptExtended`: the receipt as received (`rawDocument`, its text exactly, so
    // its number literals survive), where and when it came, and its summary with the status.
    json_response(
        StatusCode::OK,
        &json!({
            "rawDocument": r.raw,
            "submissionUUID": r.submission_id,
            "dateTimeReceived": r.date_time_received,
            "dateTimeIssued": r.date_time_issued,
            "submissionChannel": "POS",
            "maxPrecision": 5,
            "receipt": r.summary(),
        }),
    )
}

async fn receipt_details(
    State(st): State<Arc<EtaState>>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authenticate(&st, &headers) {
        return *r;
    }
    let d = st.lock();
    match find(&d, &uuid) {
        Some(r) => json_response(StatusCode::OK, &json!({"receipt": r.summary()})),
        None => eta_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("no receipt {uuid}"),
        ),
    }
}
