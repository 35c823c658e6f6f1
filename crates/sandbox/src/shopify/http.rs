//! The HTTP face of the Shopify stand-in: the GraphQL endpoint with token check, cost and
//! throttling, the client-credentials token endpoint, staged upload targets and bulk result
//! downloads.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Request, Variables};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::{Value, json};

use super::cost::plan;
use super::resolvers::Ctx;
use super::{ShopifyState, lock};
use crate::faults::{Fault, Faults};

#[derive(Clone)]
struct AppState {
    shop: Arc<ShopifyState>,
    faults: Arc<Faults>,
}

/// The stand-in's router:
///
/// - `POST /admin/api/{version}/graphql.json` — the Admin GraphQL API
///   (`X-Shopify-Access-Token` required);
/// - `POST /admin/oauth/access_token` — the client-credentials grant (form or JSON body);
/// - `POST /__shopify/staged-uploads` (multipart) and `PUT|GET /__shopify/staged-uploads/{key}`
///   — staged upload targets returned by `stagedUploadsCreate`;
/// - `GET /__shopify/bulk/{id}.jsonl` — bulk operation results (the `url` of a completed
///   `BulkOperation`).
///
/// `faults` is drawn once per GraphQL or token request.
pub fn router(state: Arc<ShopifyState>, faults: Arc<Faults>) -> Router {
    Router::new()
        .route("/admin/api/{version}/graphql.json", post(graphql))
        .route("/admin/oauth/access_token", post(token))
        .route("/__shopify/staged-uploads", post(upload_post))
        .route(
            "/__shopify/staged-uploads/{*key}",
            get(upload_get).put(upload_put),
        )
        .route("/__shopify/bulk/{file}", get(bulk_file))
        .with_state(AppState {
            shop: state,
            faults,
        })
}

fn json_response(status: StatusCode, body: &Value, version: Option<&str>) -> Response {
    let mut r = (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response();
    if let Some(v) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
        r.headers_mut().insert("x-shopify-api-version", v);
    }
    let id = format!("{:032x}", rand::random::<u128>());
    if let Ok(v) = HeaderValue::from_str(&id) {
        r.headers_mut().insert("x-request-id", v);
    }
    r
}

fn server_error(status: StatusCode) -> Response {
    let text = if status == StatusCode::SERVICE_UNAVAILABLE {
        "Service Unavailable"
    } else {
        "Internal Server Error"
    };
    json_response(status, &json!({"errors": text}), None)
}

/// Answers a processed request by dropping its connection.
async fn drop_answer(extensions: &http::Extensions) -> Response {
    if crate::server::drop_connection(extensions) {
        return std::future::pending::<Response>().await;
    }
    // Not served by the sandbox's server: abort the body after the headers instead.
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other(
            "connection dropped by fault injection",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| server_error(StatusCode::INTERNAL_SERVER_ERROR))
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Counts a `THROTTLED` answer, in all and for its operation.
fn count_throttled(state: &ShopifyState, operation: Option<&str>) {
    let mut stats = lock(&state.stats);
    stats.throttled += 1;
    *stats
        .throttled_by_operation
        .entry(operation.unwrap_or("(anonymous)").to_owned())
        .or_default() += 1;
}

fn throttled_body(state: &ShopifyState, requested: u64) -> Value {
    let status = lock(&state.bucket).status();
    json!({
        "errors": [{
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}
        }],
        "extensions": {"cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": null,
            "throttleStatus": status.to_json(),
        }}
    })
}

fn unauthorized(state: &ShopifyState) -> Response {
    lock(&state.stats).unauthorized += 1;
    json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
        None,
    )
}

/// Whether `token` is the static token or a live issued one.
fn token_ok(state: &ShopifyState, token: &str) -> bool {
    if token.is_empty() {
        return false;
    }
    if token == state.config.access_token {
        return true;
    }
    let mut tokens = lock(&state.tokens);
    let now = Utc::now();
    tokens.retain(|_, exp| *exp > now);
    tokens.contains_key(token)
}

async fn graphql(
    State(app): State<AppState>,
    Path(version): Path<String>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let state = app.shop.clone();
    let extensions = request.extensions().clone();
    lock(&state.stats).requests += 1;
    // An unsupported version falls forward to the oldest supported one; the header says
    // which version answered.
    let Some(version) = super::versions::resolve(&state.config.api_versions, &version) else {
        return json_response(StatusCode::NOT_FOUND, &json!({"errors": "Not Found"}), None);
    };
    let fault = app.faults.draw();
    if fault != Fault::None {
        lock(&state.stats).faults_injected += 1;
    }
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match fault {
        Fault::Latency(d) => tokio::time::sleep(d).await,
        Fault::ErrorBefore => return server_error(StatusCode::SERVICE_UNAVAILABLE),
        // An issued (client-credentials) token expires early: it is revoked and the client
        // must fetch a new one. A static token does not expire, so the fault passes it by.
        Fault::ExpireSession if lock(&state.tokens).remove(&token).is_some() => {
            return unauthorized(&state);
        }
        _ => {}
    }
    if !token_ok(&state, &token) {
        return unauthorized(&state);
    }
    let body = match axum::body::to_bytes(request.into_body(), 8 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &json!({"errors": "request body too large (8 MiB max)"}),
                Some(&version),
            );
        }
    };
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"errors": format!("body: invalid JSON ({e})")}),
                Some(&version),
            );
        }
    };
    let Some(query) = parsed
        .get("query")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"errors": {"query": "Required parameter missing or invalid: `query` must be a string"}}),
            Some(&version),
        );
    };
    let variables = match parsed.get("variables") {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"errors": {"variables": "`variables` must be a JSON object"}}),
                Some(&version),
            );
        }
    };
    let op_name = parsed
        .get("operationName")
        .and_then(Value::as_str)
        .map(str::to_string);
    lock(&state.stats).graphql_requests += 1;

    // Cost.
    let doc = async_graphql::parser::parse_query(&query).ok();
    let planned = doc.as_ref().and_then(|d| plan(d, op_name.as_deref()));
    let requested = planned
        .as_ref()
        .map_or(0, |p| p.requested(&state.type_info, &variables));
    if fault == Fault::Throttle {
        count_throttled(&state, op_name.as_deref());
        return json_response(
            StatusCode::OK,
            &throttled_body(&state, requested),
            Some(&version),
        );
    }
    if requested > state.config.max_query_cost {
        let status = lock(&state.bucket).status();
        let max = state.config.max_query_cost;
        let body = json!({
            "errors": [{
                "message": format!("Query cost is {requested}, which exceeds the single query max cost limit ({max}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"),
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": max}
            }],
            "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": null, "throttleStatus": status.to_json()}}
        });
        return json_response(StatusCode::OK, &body, Some(&version));
    }
    if !lock(&state.bucket).try_take(requested) {
        count_throttled(&state, op_name.as_deref());
        return json_response(
            StatusCode::OK,
            &throttled_body(&state, requested),
            Some(&version),
        );
    }

    // Execution.
    let mut req = Request::new(query)
        .variables(Variables::from_json(variables.clone()))
        .data(Ctx {
            state: state.clone(),
            base_url: base_url(&headers),
            version: version.clone(),
            bulk: false,
        });
    if let Some(n) = &op_name {
        req = req.operation_name(n.clone());
    }
    let resp = super::versions::execute(&state, req, &version).await;
    let data = resp.data.clone().into_json().unwrap_or(Value::Null);
    let actual = match &planned {
        Some(p) if !data.is_null() => p.actual(&state.type_info, &variables, &data).min(requested),
        _ => 0,
    };
    let status = {
        let mut bucket = lock(&state.bucket);
        bucket.refund(requested - actual);
        bucket.status()
    };
    {
        let mut s = lock(&state.stats);
        s.cost_requested += requested;
        s.cost_spent += actual;
        let name = op_name.as_deref().unwrap_or("(anonymous)");
        *s.cost_by_operation.entry(name.to_owned()).or_default() += actual;
        *s.calls_by_operation.entry(name.to_owned()).or_default() += 1;
        let max = s
            .requested_max_by_operation
            .entry(name.to_owned())
            .or_default();
        *max = (*max).max(requested);
    }
    let mut out = serde_json::Map::new();
    if !resp.errors.is_empty() {
        out.insert(
            "errors".into(),
            serde_json::to_value(&resp.errors).unwrap_or(Value::Null),
        );
    }
    if !data.is_null() || resp.errors.is_empty() {
        out.insert("data".into(), data);
    }
    out.insert(
        "extensions".into(),
        json!({"cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": status.to_json(),
        }}),
    );
    match fault {
        Fault::ErrorAfter => server_error(StatusCode::INTERNAL_SERVER_ERROR),
        Fault::DropAfter => drop_answer(&extensions).await,
        _ => json_response(StatusCode::OK, &Value::Object(out), Some(&version)),
    }
}

// ------------------------------------------------------------------ token endpoint

async fn token(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let state = app.shop.clone();
    lock(&state.stats).requests += 1;
    let fault = app.faults.draw();
    match fault {
        Fault::Latency(d) => tokio::time::sleep(d).await,
        Fault::ErrorBefore | Fault::ErrorAfter | Fault::DropAfter => {
            lock(&state.stats).faults_injected += 1;
            return server_error(StatusCode::SERVICE_UNAVAILABLE);
        }
        _ => {}
    }
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        json_response(
            status,
            &json!({"error": error, "error_description": description}),
            None,
        )
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let fields: HashMap<String, String> = if is_json {
        match serde_json::from_slice::<HashMap<String, Value>>(&body) {
            Ok(m) => m
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                .collect(),
            Err(_) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the body is not a JSON object",
                );
            }
        }
    } else {
        url_decode_form(&body)
    };
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    if get("grant_type") != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    if get("client_id").is_empty() || get("client_secret").is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and client_secret are required",
        );
    }
    if get("client_id") != state.config.client_id
        || get("client_secret") != state.config.client_secret
    {
        lock(&state.stats).unauthorized += 1;
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed: unknown client_id or wrong client_secret",
        );
    }
    let token = format!("shpca_{:032x}", rand::random::<u128>());
    lock(&state.tokens).insert(
        token.clone(),
        Utc::now() + chrono::Duration::seconds(86_399),
    );
    lock(&state.stats).tokens_issued += 1;
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "scope": state.config.access_scopes.join(","),
            "expires_in": 86_399,
        }),
        None,
    )
}

fn url_decode_form(body: &[u8]) -> HashMap<String, String> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    fn dec(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    match (
                        bytes.get(i + 1).copied().and_then(hex),
                        bytes.get(i + 2).copied().and_then(hex),
                    ) {
                        (Some(h), Some(l)) => {
                            out.push(h * 16 + l);
                            i += 2;
                        }
                        _ => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (dec(k), dec(v)),
            None => (dec(p), String::new()),
        })
        .collect()
}

// ------------------------------------------------------------------ staged uploads

fn xml_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/xml")],
        format!("<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"),
    )
        .into_response()
}

async fn upload_post(
    State(app): State<AppState>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<Bytes> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "file" {
                    match field.bytes().await {
                        Ok(b) => file = Some(b),
                        Err(e) => {
                            return xml_error(
                                StatusCode::BAD_REQUEST,
                                "InvalidArgument",
                                &format!("file part: {e}"),
                            );
                        }
                    }
                } else {
                    match field.text().await {
                        Ok(t) => {
                            fields.insert(name, t);
                        }
                        Err(e) => {
                            return xml_error(
                                StatusCode::BAD_REQUEST,
                                "InvalidArgument",
                                &format!("field `{name}`: {e}"),
                            );
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                return xml_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidArgument",
                    &format!("multipart body: {e}"),
                );
            }
        }
    }
    let Some(key) = fields.get("key").cloned() else {
        return xml_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "the form has no `key` field",
        );
    };
    let Some(file) = file else {
        return xml_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "the form has no `file` part",
        );
    };
    let mut st = lock(&app.shop.store);
    let Some(target) = st.staged.get_mut(&key) else {
        return xml_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "unknown key: not a staged upload target",
        );
    };
    if !target.post {
        return xml_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "this target takes a PUT",
        );
    }
    for (name, value) in &target.params {
        if fields.get(name) != Some(value) {
            return xml_error(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                &format!(
                    "form field `{name}` is missing or differs from the staged target's parameters"
                ),
            );
        }
    }
    target.bytes = Some(file);
    let location = format!("{}/__shopify/staged-uploads/{key}", base_url(&headers));
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/xml")],
        format!("<?xml version='1.0' encoding='UTF-8'?><PostResponse><Location>{location}</Location><Bucket>shopify-staged-uploads</Bucket><Key>{key}</Key><ETag>\"sandbox\"</ETag></PostResponse>"),
    )
        .into_response()
}

async fn upload_put(
    State(app): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let mut st = lock(&app.shop.store);
    let Some(target) = st.staged.get_mut(&key) else {
        return xml_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "unknown key: not a staged upload target",
        );
    };
    if target.post {
        return xml_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "this target takes a multipart POST",
        );
    }
    if q.get("X-Goog-Signature") != Some(&target.signature) {
        return xml_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "the X-Goog-Signature query parameter is missing or wrong",
        );
    }
    target.bytes = Some(body);
    StatusCode::OK.into_response()
}

async fn upload_get(State(app): State<AppState>, Path(key): Path<String>) -> Response {
    let st = lock(&app.shop.store);
    match st.staged.get(&key) {
        Some(t) => match &t.bytes {
            Some(b) => ([(header::CONTENT_TYPE, t.mime_type.clone())], b.clone()).into_response(),
            None => xml_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "nothing was uploaded to this target",
            ),
        },
        None => xml_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ),
    }
}

async fn bulk_file(State(app): State<AppState>, Path(file): Path<String>) -> Response {
    let id = file
        .strip_suffix(".jsonl")
        .and_then(|n| n.parse::<u64>().ok());
    let st = lock(&app.shop.store);
    match id
        .and_then(|id| st.bulk_ops.get(&id))
        .and_then(|b| b.result.clone())
    {
        Some(text) => ([(header::CONTENT_TYPE, "application/jsonl")], text).into_response(),
        None => xml_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        let m = url_decode_form(b"grant_type=client_credentials&client_secret=a%2Bb+c&x");
        assert_eq!(m["grant_type"], "client_credentials");
        assert_eq!(m["client_secret"], "a+b c");
        assert_eq!(m["x"], "");
    }
}
