//! Bulk operations: run a query, poll, download and stream JSONL; run a mutation over a
//! staged JSONL upload; failures.

mod common;

use common::*;
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn a_bulk_query_runs_is_polled_and_its_lines_are_streamed() {
    let server = server().await;
    op("BulkOperationRunQuery")
        .respond_with(json_fixture(&server, "bulk_operation_run_query__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("BulkOperation")
        .respond_with(json_fixture(&server, "bulk_operation__running.json"))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    op("BulkOperation")
        .respond_with(json_fixture(&server, "bulk_operation__completed.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/bulk/result.jsonl"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(fixture(&server, "bulk_result__products.jsonl")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let id = c
        .bulk_query(
            "{ products { edges { node { id handle variants { edges { node { id sku } } } } } } }",
        )
        .await
        .unwrap();
    let op = c.wait_bulk_operation(&id.parse().unwrap()).await.unwrap();
    assert_eq!(op.object_count.0, 3);
    let lines: Vec<serde_json::Value> = c
        .bulk_results(op.url.as_deref().unwrap())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["__parentId"], "gid://shopify/Product/1001");
    // The download is pre-signed: no token.
    let reqs = server.received_requests().await.unwrap();
    let get = reqs.iter().find(|r| r.method.as_str() == "GET").unwrap();
    assert!(get.headers.get("x-shopify-access-token").is_none());
}

#[tokio::test]
async fn a_failed_bulk_operation_reports_its_error_code() {
    let server = server().await;
    op("BulkOperation")
        .respond_with(json_fixture(&server, "bulk_operation__failed.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .wait_bulk_operation(&"gid://shopify/BulkOperation/19001".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bulk operation gid://shopify/BulkOperation/19001 ended as FAILED: INTERNAL_SERVER_ERROR"
    );
}

#[tokio::test]
async fn a_bulk_query_refused_while_another_runs_is_a_typed_user_error() {
    let server = server().await;
    op("BulkOperationRunQuery")
        .respond_with(json_fixture(
            &server,
            "bulk_operation_run_query__user_errors.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .bulk_query("{ orders { edges { node { id } } } }")
        .await
        .unwrap_err();
    assert!(err.has_user_error_code("OPERATION_IN_PROGRESS"));
}

#[tokio::test]
async fn a_bulk_mutation_uploads_its_jsonl_then_runs() {
    let server = server().await;
    op("StagedUploadsCreate")
        .respond_with(json_fixture(&server, "staged_uploads_create__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/upload"))
        .and(body_string_contains(
            "{\"input\":{\"id\":\"gid://shopify/Product/1001\",\"status\":\"ACTIVE\"}}\n{\"input\"",
        ))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    op("BulkOperationRunMutation")
        .respond_with(json_fixture(
            &server,
            "bulk_operation_run_mutation__ok.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let vars = vec![
        json!({"input": {"id": "gid://shopify/Product/1001", "status": "ACTIVE"}}),
        json!({"input": {"id": "gid://shopify/Product/1002", "status": "DRAFT"}}),
    ];
    let id = client(&server)
        .bulk_mutation(
            "mutation call($input: ProductInput!) { productUpdate(input: $input) { userErrors { message } } }",
            &vars,
            Some("sync-42"),
        )
        .await
        .unwrap();
    assert_eq!(id, "gid://shopify/BulkOperation/19002");
    let sent = &variables_sent(&server, "BulkOperationRunMutation").await[0];
    assert_eq!(
        sent["stagedUploadPath"],
        "tmp/1000000001/products/abc/red.jpg"
    );
    assert_eq!(sent["clientIdentifier"], "sync-42");
    let staged = &variables_sent(&server, "StagedUploadsCreate").await[0];
    assert_eq!(staged["input"][0]["resource"], "BULK_MUTATION_VARIABLES");
    assert_eq!(staged["input"][0]["mimeType"], "text/jsonl");
}

#[tokio::test]
async fn a_broken_result_line_is_a_decode_error_in_the_stream() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/bulk/result.jsonl"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"id\":1}\n{not json\n"))
        .mount(&server)
        .await;
    let c = client(&server);
    let items: Vec<_> = futures::StreamExt::collect(
        c.bulk_results(&format!("{}/bulk/result.jsonl", server.uri()))
            .await
            .unwrap(),
    )
    .await;
    assert!(items[0].is_ok());
    assert!(matches!(
        items[1],
        Err(shopify_client::Error::Decode { .. })
    ));
    let err = c
        .bulk_results("http://storage.example.com/x.jsonl")
        .await
        .err()
        .unwrap();
    assert!(err.to_string().starts_with("url: must use https"), "{err}");
}

#[tokio::test]
async fn a_result_download_follows_the_clients_retry_policy() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/bulk/result.jsonl"))
        .respond_with(ResponseTemplate::new(503).set_body_string("storage unavailable"))
        .expect(1)
        .mount(&server)
        .await;
    // One attempt allowed: the failing download is not sent again (it used to be retried
    // under the default policy, whatever the client was built with).
    let c = client_with_retry(&server, sync_core::retry::RetryPolicy::none());
    let err = c
        .bulk_results(&format!("{}/bulk/result.jsonl", server.uri()))
        .await
        .err()
        .unwrap();
    assert_eq!(err.status(), Some(503), "{err}");
}

#[tokio::test]
async fn a_result_download_is_retried_within_the_clients_policy() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/bulk/result.jsonl"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/bulk/result.jsonl"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"id\":1}\n"))
        .expect(1)
        .mount(&server)
        .await;
    let lines: Vec<serde_json::Value> = client(&server)
        .bulk_results(&format!("{}/bulk/result.jsonl", server.uri()))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(lines, [json!({"id": 1})]);
}
