//! wiremock contract tests for every endpoint of the client.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use eta_ereceipt::Error;
use eta_ereceipt::builder::{LineInput, ReceiptBuilder, TaxInput, example_seller};
use eta_ereceipt::client::{
    Environment, EtaClient, PosCredentials, SearchQuery, SubmissionBatch, TokenCache,
};
use eta_ereceipt::codes::{ItemType, TaxType, UnitType};
use eta_ereceipt::model::SealedReceipt;
use futures::TryStreamExt;
use rust_decimal_macros::dec;
use sync_core::clock::FixedClock;
use sync_core::error::{Classify, ErrorKind};
use sync_core::retry::RetryPolicy;
use sync_core::transport::ReqwestTransport;
use wiremock::matchers::{
    bearer_token, body_string, body_string_contains, header, method, path, query_param,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "client-s3cret";
const PSK: &str = "psk-s3cret";

async fn server() -> MockServer {
    let server = MockServer::start().await;
    // Anything not matched answers 500 with a readable reason (lowest priority).
    Mock::given(|_: &Request| true)
        .respond_with(|req: &Request| {
            ResponseTemplate::new(500).set_body_string(format!(
                "`{} {}` was not received",
                req.method,
                req.url.path()
            ))
        })
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

fn creds() -> PosCredentials {
    PosCredentials::new("client-1", SECRET, "POS-1", "os", "1", PSK)
}

fn client(server: &MockServer, clock: &FixedClock) -> EtaClient {
    EtaClient::builder(Environment::Preproduction, creds())
        .identity_url(server.uri())
        .api_url(server.uri())
        .clock(Arc::new(clock.clone()))
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(1))
                .max_attempts(4),
        )
        .build()
        .unwrap()
}

fn clock() -> FixedClock {
    FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap())
}

fn token_response(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": token, "token_type": "Bearer", "expires_in": expires_in, "scope": "InvoicingAPI"
    }))
}

/// The token endpoint, checking the grant, the form body and the four POS headers.
/// Answers the first `times` submissions with `refusal`, then accepts `receipts` once.
async fn refuse_then_accept(
    server: &MockServer,
    refusal: ResponseTemplate,
    times: u64,
    receipts: &[SealedReceipt],
) {
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(refusal)
        .up_to_n_times(times)
        .with_priority(1)
        .expect(times)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(ResponseTemplate::new(202).set_body_json(accepted(receipts, "submissionId")))
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_token(server: &MockServer, token: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("posserial", "POS-1"))
        .and(header("pososversion", "os"))
        .and(header("posmodelframework", "1"))
        .and(header("presharedkey", PSK))
        .and(body_string(format!(
            "grant_type=client_credentials&client_id=client-1&client_secret={SECRET}"
        )))
        .respond_with(token_response(token, 3600))
        .expect(times)
        .mount(server)
        .await;
}

fn sealed(n: usize) -> Vec<SealedReceipt> {
    let issued = Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap();
    let mut previous = String::new();
    (0..n)
        .map(|i| {
            let mut r = ReceiptBuilder::sale(example_seller(), format!("R-{i}"), issued)
                .line(
                    LineInput::new(
                        "SKU1",
                        "Tea",
                        ItemType::Egs,
                        "EG-674859545-SKU1",
                        UnitType::Each,
                        dec!(1),
                        dec!(10),
                    )
                    .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14))),
                )
                .build()
                .unwrap();
            r.header.previous_uuid = previous.clone();
            let s = r.seal().unwrap();
            previous = s.uuid.to_string();
            s
        })
        .collect()
}

fn body_of(receipts: &[SealedReceipt]) -> String {
    let texts: Vec<&str> = receipts.iter().map(|s| s.json.as_str()).collect();
    format!(
        r#"{{"receipts":[{}],"signatures":[{{"signatureType":"I","value":""}}]}}"#,
        texts.join(",")
    )
}

fn accepted(receipts: &[SealedReceipt], id_field: &str) -> serde_json::Value {
    serde_json::json!({
        id_field: "SUB-1",
        "acceptedDocuments": receipts.iter().map(|s| serde_json::json!({
            "uuid": s.uuid.as_str(), "longId": format!("L-{}", s.receipt.header.receipt_number),
            "receiptNumber": s.receipt.header.receipt_number, "hashKey": "hk"
        })).collect::<Vec<_>>(),
        "rejectedDocuments": []
    })
}

#[tokio::test]
async fn token_is_fetched_once_with_pos_headers_and_reused() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/abc/raw"))
        .and(bearer_token("tok-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"receipt": {"uuid": "abc"}})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server, &clock());
    assert_eq!(
        c.receipt_raw("abc").await.unwrap().unwrap()["receipt"]["uuid"],
        "abc"
    );
    assert!(c.receipt_raw("abc").await.unwrap().is_some());
}

#[tokio::test]
async fn token_is_renewed_shortly_before_expires_in_and_shared_per_pos() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(token_response("tok-1", 600))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(token_response("tok-2", 600))
        .expect(1)
        .mount(&server)
        .await;
    let clock = clock();
    let cache = TokenCache::default();
    let build = || {
        EtaClient::builder(Environment::Preproduction, creds())
            .identity_url(server.uri())
            .api_url(server.uri())
            .clock(Arc::new(clock.clone()))
            .token_cache(cache.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (build(), build());
    use secrecy::ExposeSecret;
    assert_eq!(a.access_token().await.unwrap().expose_secret(), "tok-1");
    clock.advance(Duration::from_secs(479)); // 600 s lifetime, 120 s margin
    assert_eq!(
        b.access_token().await.unwrap().expose_secret(),
        "tok-1",
        "shared cache"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(a.access_token().await.unwrap().expose_secret(), "tok-2");
}

#[tokio::test]
async fn refused_credentials_are_an_auth_error_without_secrets() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"error": "invalid_posserial"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server, &clock())
        .receipt_raw("abc")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth { status: 400, code } if code == "invalid_posserial"),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Client);
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(SECRET) && !shown.contains(PSK));
}

#[tokio::test]
async fn a_401_refreshes_the_token_once() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(token_response("tok-old", 3600))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(token_response("tok-new", 3600))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/abc/details"))
        .and(bearer_token("tok-old"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/abc/details"))
        .and(bearer_token("tok-new"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "Valid"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server, &clock())
        .receipt_details("abc")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got["status"], "Valid");
}

#[tokio::test]
async fn a_401_that_outlasts_fresh_tokens_is_retried_within_the_policy_not_a_loop() {
    let server = server().await;
    // 4 attempts of the policy, each: the request, a 401, a new token, the request again.
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(token_response("tok", 3600))
        .expect(5)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/abc/details"))
        .respond_with(ResponseTemplate::new(401))
        .expect(8)
        .mount(&server)
        .await;
    let err = client(&server, &clock())
        .receipt_details("abc")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        err.kind(),
        ErrorKind::Transient,
        "the request never ran: a later try may pass"
    );
}

#[tokio::test]
async fn a_401_twice_in_a_row_then_success_submits_once() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(token_response("tok", 3600))
        .mount(&server)
        .await;
    let receipts = sealed(1);
    refuse_then_accept(&server, ResponseTemplate::new(401), 2, &receipts).await;
    let result = client(&server, &clock())
        .submit(&SubmissionBatch::from_sealed(&receipts).unwrap())
        .await
        .unwrap();
    assert_eq!(result.accepted.len(), 1);
}

#[tokio::test]
async fn submit_sends_the_exact_sealed_bytes_and_parses_accepted() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    let receipts = sealed(2);
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .and(bearer_token("tok-1"))
        .and(header("content-type", "application/json"))
        .and(body_string(body_of(&receipts)))
        .respond_with(ResponseTemplate::new(202).set_body_json(accepted(&receipts, "submissionId")))
        .expect(1)
        .mount(&server)
        .await;
    let batch = SubmissionBatch::from_sealed(&receipts).unwrap();
    let result = client(&server, &clock()).submit(&batch).await.unwrap();
    assert_eq!(result.submission_ids, vec!["SUB-1"]);
    assert_eq!(result.accepted.len(), 2);
    assert_eq!(result.accepted[1].uuid, receipts[1].uuid.as_str());
    assert_eq!(result.accepted[1].long_id.as_deref(), Some("L-R-1"));
    assert!(result.rejected.is_empty() && result.already_known.is_empty());
}

#[tokio::test]
async fn submit_reads_submission_uuid_and_rejections_with_details() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    let receipts = sealed(1);
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({
            "submissionUUID": "SUB-9",
            "acceptedDocuments": [],
            "rejectedDocuments": [{"uuid": receipts[0].uuid.as_str(), "receiptNumber": "R-0", "error": {
                "code": "ValidationError", "message": "invalid", "target": "R-0",
                "details": [{"code": "CF410", "message": "totalAmount mismatch", "propertyPath": "receipt.totalAmount"}]
            }}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let result = client(&server, &clock())
        .submit(&SubmissionBatch::from_sealed(&receipts).unwrap())
        .await
        .unwrap();
    assert_eq!(result.submission_ids, vec!["SUB-9"]);
    let error = result.rejected[0].error.as_ref().unwrap();
    assert_eq!(
        error.details[0].property_path.as_deref(),
        Some("receipt.totalAmount")
    );
    assert_eq!(
        error.to_string(),
        "ValidationError: invalid (R-0); CF410: totalAmount mismatch (receipt.totalAmount)"
    );
}

#[tokio::test]
async fn bad_structure_is_a_client_error_and_not_retried() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": {"code": "BadStructure", "message": "bad", "target": "receipts", "details": []}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server, &clock())
        .submit(&SubmissionBatch::from_sealed(&sealed(1)).unwrap())
        .await
        .unwrap_err();
    match &err {
        Error::Api {
            status: 400,
            error: Some(e),
            ..
        } => assert_eq!(e.code.as_deref(), Some("BadStructure")),
        other => panic!("{other:?}"),
    }
    assert_eq!(err.kind(), ErrorKind::Client);
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_then_200() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    let receipts = sealed(1);
    refuse_then_accept(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", "7"),
        1,
        &receipts,
    )
    .await;
    let clock = clock();
    let result = client(&server, &clock)
        .submit(&SubmissionBatch::from_sealed(&receipts).unwrap())
        .await
        .unwrap();
    assert_eq!(result.accepted.len(), 1);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn server_errors_are_retried_and_the_last_one_returned() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/search"))
        .respond_with(ResponseTemplate::new(503))
        .expect(4)
        .mount(&server)
        .await;
    let err = client(&server, &clock())
        .search(&SearchQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.kind(), ErrorKind::Server);
}

#[tokio::test]
async fn duplicate_submission_looks_the_receipts_up_instead_of_resending() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    let receipts = sealed(1);
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(
            ResponseTemplate::new(422)
                .insert_header("retry-after", "600")
                .set_body_json(
                    serde_json::json!({"error": {"code": "DuplicateSubmission", "message": "dup"}}),
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/receipts/{}/raw", receipts[0].uuid)))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "Valid"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let result = client(&server, &clock())
        .submit(&SubmissionBatch::from_sealed(&receipts).unwrap())
        .await
        .unwrap();
    assert_eq!(result.already_known.len(), 1);
    assert_eq!(result.already_known[0].raw["status"], "Valid");
}

fn timeout_client(server: &MockServer, clock: &FixedClock) -> EtaClient {
    let transport = ReqwestTransport::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    EtaClient::builder(Environment::Preproduction, creds())
        .identity_url(server.uri())
        .api_url(server.uri())
        .transport(Arc::new(transport))
        .clock(Arc::new(clock.clone()))
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(1))
                .max_attempts(4),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn lost_response_found_by_uuid_is_not_resent() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    let receipts = sealed(2);
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(accepted(&receipts, "submissionId"))
                .set_delay(Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&server)
        .await;
    for r in &receipts {
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/receipts/{}/raw", r.uuid)))
            .and(bearer_token("tok-1"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"receipt": {"uuid": r.uuid.as_str()}})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let result = timeout_client(&server, &clock())
        .submit(&SubmissionBatch::from_sealed(&receipts).unwrap())
        .await
        .unwrap();
    assert_eq!(result.already_known.len(), 2);
    assert!(result.accepted.is_empty());
}

#[tokio::test]
async fn lost_response_resends_only_the_receipts_eta_does_not_have() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    let receipts = sealed(2);
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .and(body_string(body_of(&receipts)))
        .respond_with(ResponseTemplate::new(202).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    // the second receipt never arrived: only it is sent again
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .and(body_string(body_of(&receipts[1..])))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(accepted(&receipts[1..], "submissionId")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/receipts/{}/raw", receipts[0].uuid)))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "Valid"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/receipts/{}/raw", receipts[1].uuid)))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let result = timeout_client(&server, &clock())
        .submit(&SubmissionBatch::from_sealed(&receipts).unwrap())
        .await
        .unwrap();
    assert_eq!(result.already_known[0].uuid, receipts[0].uuid);
    assert_eq!(result.accepted.len(), 1);
    assert_eq!(result.accepted[0].uuid, receipts[1].uuid.as_str());
}

#[tokio::test]
async fn lost_response_with_failing_lookups_stays_uncertain() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    let receipts = sealed(1);
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(ResponseTemplate::new(202).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/receipts/{}/raw", receipts[0].uuid)))
        .respond_with(ResponseTemplate::new(400))
        .expect(1)
        .mount(&server)
        .await;
    let err = timeout_client(&server, &clock())
        .submit(&SubmissionBatch::from_sealed(&receipts).unwrap())
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn submission_details_are_paged() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    for (page, items) in [("1", vec!["a", "b"]), ("2", vec!["c"])] {
        Mock::given(method("GET"))
            .and(path("/api/v1/receiptsubmissions/SUB-1/details"))
            .and(query_param("PageNo", page))
            .and(query_param("PageSize", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "status": "Valid",
                "receipts": items.iter().map(|u| serde_json::json!({"uuid": u})).collect::<Vec<_>>(),
                "metadata": {"totalPages": 2, "totalCount": 3}
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server, &clock());
    let all: Vec<serde_json::Value> = c
        .submission_receipts("SUB-1", 2)
        .try_collect()
        .await
        .unwrap();
    let uuids: Vec<&str> = all.iter().map(|v| v["uuid"].as_str().unwrap()).collect();
    assert_eq!(uuids, ["a", "b", "c"]);
}

#[tokio::test]
async fn share_is_anonymous_and_404_is_none() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/abc/share"))
        .and(query_param("dateTimeIssued", "2026-11-28T08:00:00Z"))
        .and(|req: &Request| !req.headers.contains_key("authorization"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"maxPrecision": 3})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/zzz/share"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, &clock());
    let got = c
        .share("abc", "2026-11-28T08:00:00Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got["maxPrecision"], 3);
    assert!(
        c.share("zzz", "2026-11-28T08:00:00Z")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn search_sends_eta_query_names() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/search"))
        .and(query_param("FreeText", "R-0001 tea"))
        .and(query_param("PosSerialNumber", "POS-1"))
        .and(query_param("PageNo", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"result": [{"uuid": "u"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let q = SearchQuery {
        free_text: Some("R-0001 tea".into()),
        pos_serial_number: Some("POS-1".into()),
        page_no: Some(1),
        ..SearchQuery::default()
    };
    let got = client(&server, &clock()).search(&q).await.unwrap();
    assert_eq!(got["result"][0]["uuid"], "u");
}

#[tokio::test]
async fn undecodable_success_body_is_a_decode_error_with_path() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(serde_json::json!({"acceptedDocuments": [{"longId": "x"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server, &clock())
        .submit(&SubmissionBatch::from_sealed(&sealed(1)).unwrap())
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            source,
            uncertain: true,
            ..
        } => assert_eq!(source.path().to_string(), "acceptedDocuments[0]"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn batches_keep_to_eta_limits() {
    let receipts = sealed(3);
    let mut other = receipts[2].receipt.clone();
    other.seller.device_serial_number = "POS-2".into();
    let mixed = vec![receipts[0].clone(), other.seal().unwrap()];
    let err = SubmissionBatch::from_sealed(&mixed).unwrap_err();
    assert!(err.to_string().contains("one POS device"), "{err}");
    assert!(SubmissionBatch::from_sealed(&[]).is_err());
    let many: Vec<SealedReceipt> = (0..501).map(|_| receipts[0].clone()).collect();
    assert!(
        SubmissionBatch::from_sealed(&many)
            .unwrap_err()
            .to_string()
            .contains("at most 500")
    );
    let parts = SubmissionBatch::split(&many).unwrap();
    assert_eq!(
        parts.iter().map(|b| b.receipts().len()).collect::<Vec<_>>(),
        [500, 1]
    );
    // a batch for another POS than the token's is refused before sending
    let server = server().await;
    let mut foreign = receipts[0].receipt.clone();
    foreign.seller.device_serial_number = "POS-2".into();
    let batch = SubmissionBatch::from_sealed(&[foreign.seal().unwrap()]).unwrap();
    let err = client(&server, &clock()).submit(&batch).await.unwrap_err();
    assert!(matches!(err, Error::Batch(_)));
}

#[tokio::test]
async fn batch_from_text_stamps_uuids_and_keeps_bytes() {
    let receipts = sealed(2);
    let blank: Vec<String> = receipts
        .iter()
        .map(|s| s.json.replace(s.uuid.as_str(), ""))
        .collect();
    let text = format!("{{\"receipts\": [{}]}}", blank.join(", "));
    let batch = SubmissionBatch::from_batch_json(&text).unwrap();
    assert_eq!(batch.device(), "POS-1");
    for (b, s) in batch.receipts().iter().zip(&receipts) {
        assert_eq!(b.uuid, s.uuid);
        assert_eq!(b.json, s.json);
        assert_eq!(b.receipt_number, s.receipt.header.receipt_number);
    }
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .and(body_string_contains(receipts[1].json.as_str()))
        .respond_with(ResponseTemplate::new(202).set_body_json(accepted(&receipts, "submissionId")))
        .expect(1)
        .mount(&server)
        .await;
    let result = client(&server, &clock()).submit(&batch).await.unwrap();
    assert_eq!(result.accepted.len(), 2);
}

#[tokio::test]
async fn error_bodies_of_get_endpoints_are_kept() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receiptsubmissions/NOPE/details"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "error": {"code": "NotFound", "message": "submission not found", "target": "NOPE"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/search"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": {"code": "BadArgument", "message": "FreeText must have at least 5 characters",
                      "details": [{"code": "MinLength", "target": "FreeText"}]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, &clock());
    let err = c.submission_details("NOPE", 1, 10).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "submission_details: HTTP 404: NotFound: submission not found (NOPE)"
    );
    let q = SearchQuery {
        free_text: Some("abc".into()),
        ..SearchQuery::default()
    };
    match c.search(&q).await.unwrap_err() {
        Error::Api {
            status: 400,
            error: Some(e),
            ..
        } => {
            assert_eq!(e.details[0].target.as_deref(), Some("FreeText"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn duplicate_with_a_long_retry_after_leaves_missing_receipts_unresolved() {
    let server = server().await;
    mount_token(&server, "tok-1", 1).await;
    let receipts = sealed(2);
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(ResponseTemplate::new(422).insert_header("retry-after", "600"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/receipts/{}/raw", receipts[0].uuid)))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "Valid"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/receipts/{}/raw", receipts[1].uuid)))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let clock = clock();
    let result = client(&server, &clock)
        .submit(&SubmissionBatch::from_sealed(&receipts).unwrap())
        .await
        .unwrap();
    assert_eq!(result.already_known[0].uuid, receipts[0].uuid);
    assert_eq!(result.unresolved, vec![receipts[1].uuid.clone()]);
    assert!(clock.sleeps().is_empty(), "did not wait 10 minutes");
}
