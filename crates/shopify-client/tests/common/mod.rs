//! Shared helpers for the wiremock tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use serde_json::json;
use shopify_client::{Auth, ShopifyClient};
use sync_core::retry::RetryPolicy;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const TOKEN: &str = "shpat_0000000000000000000000000000test";
pub const GRAPHQL_PATH: &str = "/admin/api/2026-10/graphql.json";

/// Reads `tests/fixtures/<name>` (replacing the URL placeholders with the server's).
pub fn fixture(server: &MockServer, name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {path}: {e}"))
        .replace("__UPLOAD_URL__", &format!("{}/upload", server.uri()))
        .replace(
            "__RESULT_URL__",
            &format!("{}/bulk/result.jsonl", server.uri()),
        )
}

pub fn json_fixture(server: &MockServer, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_string(fixture(server, name))
}

/// A fresh server with a catch-all that names what it did not expect.
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(|req: &Request| {
            let op = serde_json::from_slice::<serde_json::Value>(&req.body)
                .ok()
                .and_then(|v| v.get("operationName").cloned())
                .unwrap_or(json!(null));
            ResponseTemplate::new(500).set_body_string(format!(
                "`{} {}` (operation {op}) was not expected by this test",
                req.method,
                req.url.path()
            ))
        })
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

/// A quick retry policy for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
        .max_elapsed(Duration::from_secs(10))
}

pub fn client(server: &MockServer) -> ShopifyClient {
    client_with_retry(server, fast_retry())
}

/// A client with the given retry policy.
pub fn client_with_retry(server: &MockServer, policy: RetryPolicy) -> ShopifyClient {
    ShopifyClient::builder("demo", Auth::access_token(TOKEN))
        .base_url(server.uri())
        .retry(policy)
        .poll_interval(Duration::from_millis(5))
        .build()
        .expect("client builds")
}

/// A mock for one GraphQL operation, with the auth header checked.
pub fn op(name: &str) -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(GRAPHQL_PATH))
        .and(header("x-shopify-access-token", TOKEN))
        .and(body_partial_json(json!({ "operationName": name })))
}

/// The GraphQL variables of the requests received for `operation`.
pub async fn variables_sent(server: &MockServer, operation: &str) -> Vec<serde_json::Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
        .filter(|b| b["operationName"] == operation)
        .map(|b| b["variables"].clone())
        .collect()
}
