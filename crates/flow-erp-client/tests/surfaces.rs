//! wiremock tests reproducing each Flow surface's answers: both logins, `errMsg`, `CMDDNE`,
//! `CMDERR`, an unknown answer, the byte-order mark, Arabic data; key renewal, the SQL
//! builder on the wire, the `\v`/`\f` payloads, template filling, save → read-back, the
//! uncertain-save lookup path, and soft delete.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use flow_erp_client::config::{Hosts, LoginOrder};
use flow_erp_client::reads::HeaderQuery;
use flow_erp_client::{
    CustomerQuery, CustomerRecord, DocumentLine, Error, FlowClient, FlowConfig, MatchedBy, Party,
    PaymentKind, SalesDocument, SaveOutcome,
};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use sync_core::clock::FixedClock;
use sync_core::error::{Classify, ErrorKind};
use sync_core::retry::RetryPolicy;
use sync_core::transport::{
    HttpRequest, ReqwestTransport, Transport, TransportError, TransportErrorKind,
};
use wiremock::matchers::{
    body_partial_json, body_string, body_string_contains, header, method, path, query_param,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const BOM: &str = "\u{FEFF}";

fn config(server: &MockServer) -> FlowConfig {
    let mut c = FlowConfig::new("1001", "WEB", "pw-secret".into());
    c.hosts = Hosts::all(server.uri());
    c.documents.uncertain_lookup_delay_ms = 10;
    c
}

fn client_with(config: FlowConfig) -> FlowClient {
    FlowClient::builder(config)
        .retry(
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(1)),
        )
        .clock(Arc::new(FixedClock::default()))
        .build()
        .unwrap()
}

/// Answers 500 naming any request no other mock matched, so mismatches read clearly.
async fn catch_all(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(|req: &Request| {
            ResponseTemplate::new(500).set_body_string(format!(
                "{} {} was not mocked",
                req.method,
                req.url.path()
            ))
        })
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

async fn json_login(server: &MockServer, key: &str) {
    Mock::given(method("POST"))
        .and(path("/api/chkusr/login"))
        .and(body_partial_json(
            json!({"ACC": "1001", "USRID": "WEB", "PASS": "pw-secret", "CMDTXT": "CHKUSR"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "{BOM}{}",
            json!({"apiKey": key, "errMsg": "", "acc": "1001", "usrid": "WEB", "usrna": "متجر الويب",
                   "empno": 5, "dcono": 1, "auth": 1, "applvl": 3, "fsysdt": "0/0/0", "lng": "ENG"})
        )))
        .named("json login")
        .mount(server)
        .await;
}

fn bom_json(value: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_string(format!("{BOM}{value}"))
}

fn text(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_string(body.to_owned())
}

fn order() -> SalesDocument {
    let mut doc = SalesDocument::new(
        "SALINV",
        "#1001",
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        Party {
            number: "77".into(),
            name: Some("د. أحمد عبد الله".into()),
            phone: Some("01001234567".into()),
            ..Party::default()
        },
    );
    let mut line = DocumentLine::new("1234", dec!(2), dec!(99.50));
    line.vat_percent = dec!(14);
    doc.lines.push(line);
    doc.shipping = dec!(50);
    doc.payment = Some(PaymentKind::Cash);
    doc
}

async fn opc(server: &MockServer, saltax: i64) {
    Mock::given(method("GET"))
        .and(path("/api/SRVCMD/GETOPC/SALINV"))
        .and(header("apikey", "K1"))
        .respond_with(bom_json(
            json!([{"OP": "SALINV", "SRCDOC": -1, "SALTAX": saltax,
            "TRDTAX": 0, "CASH": 1, "CREDIT": 1, "EXPDT": 0, "EFFECTITBAL": 1}]),
        ))
        .mount(server)
        .await;
}

async fn getdoc(server: &MockServer, docno: &str, sts: &str) {
    Mock::given(method("GET"))
        .and(path(format!("/api/POSCMD/GETDOC/SALINV/1/1/{docno}")))
        .respond_with(bom_json(json!({
            "DOCNO": docno.parse::<i64>().unwrap(), "OP": "SALINV", "DISTNO": 77, "EMPNO": 5,
            "CONO": 1, "STRNO": 1, "DOCDT": "2026-11-28", "DOCTOT": 249, "TOTSALTAX": 27.86,
            "DOCNET": 276.86, "STS": sts, "POST": 0, "REFDOCNO": "#1001",
            "DTL": [{"ITNO": 1234, "ITDES": "تيشيرت قطن", "QTY": 2, "ITPRICE": 99.5, "SALTAX": 14}]
        })))
        .mount(server)
        .await;
}

#[tokio::test]
async fn json_login_then_rest_reads_with_apikey_bom_and_arabic() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chkusr/login"))
        .respond_with(bom_json(
            json!({"apiKey": "K1", "errMsg": "", "usrna": "متجر"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETITM/-1"))
        .and(header("apikey", "K1"))
        .respond_with(bom_json(json!([
            {"ITNO": 1234, "ITCODE": "TS-01", "ITNA": "تيشيرت قطن", "ITDES": "قطن ١٠٠٪", "STS": "A",
             "SALTAX": 14, "ITPRICE": "99.50", "HASCLR": 1, "HASSIZ": 0},
            {"ITNO": "1235", "ITNA": "Cap", "ITPRICE": 45}
        ])))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let items = flow.items().await.unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].number, "1234");
    assert_eq!(items[0].name.as_deref(), Some("تيشيرت قطن"));
    assert_eq!(items[0].price, Some(dec!(99.50)));
    assert!(items[0].has_colours && !items[0].has_sizes);
    flow.items().await.unwrap();
    let session = flow.session().await.unwrap();
    assert_eq!(session.user_name.as_deref(), Some("متجر"));
    assert!(!format!("{session:?}").contains("K1"));
    let debug = format!("{flow:?}");
    assert!(!debug.contains("pw-secret") && !debug.contains("K1"));
}

#[tokio::test]
async fn errmsg_on_200_is_a_failure_and_legacy_login_is_the_fallback() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chkusr/login"))
        .respond_with(bom_json(
            json!({"apiKey": "", "errMsg": "Invalid user or password"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(query_param("OP", "CHKUSR"))
        .and(body_string("1001\u{c}WEB\u{c}pw-secret\u{c}ENG\u{c}\u{c}"))
        .respond_with(text(
            "\u{FEFF}LOGIN LOGINERR=0;APIKEY=K2;USRID=WEB;USRNA=Web;EMPNO=5;DCONO=1;AUTH=1;APPLVL=3;DBSRV=10.1.1.1;DBPWD=db-secret;",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/SRVCMD/GETCOM/1"))
        .and(header("apikey", "K2"))
        .respond_with(bom_json(json!({"CONO": 1, "CONA": "شركة النيل"})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let company = flow.company(1).await.unwrap();
    assert_eq!(company.name.as_deref(), Some("شركة النيل"));
    let session = flow.session().await.unwrap();
    assert_eq!(session.method, flow_erp_client::LoginMethod::Legacy);
    let debug = format!("{session:?}");
    assert!(!debug.contains("db-secret") && !debug.contains("10.1.1.1") && !debug.contains("K2"));
}

#[tokio::test]
async fn legacy_first_and_both_failing_give_one_clear_login_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(query_param("OP", "CHKUSR"))
        .respond_with(text("LOGIN LOGINERR=3;"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chkusr/login"))
        .respond_with(bom_json(
            json!({"apiKey": null, "errMsg": "Account locked"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let mut c = config(&server);
    c.login.order = LoginOrder::LegacyFirst;
    let flow = client_with(c);
    let err = flow.items().await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(
            "login failed: legacy login: LOGINERR=3; json login: errMsg: Account locked"
        ),
        "{message}"
    );
    assert_eq!(err.kind(), ErrorKind::Client);
    assert!(!message.contains("pw-secret"));
}

#[tokio::test]
async fn an_expired_key_is_renewed_once_and_the_call_repeated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chkusr/login"))
        .respond_with(bom_json(json!({"apiKey": "K1", "errMsg": ""})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chkusr/login"))
        .respond_with(bom_json(json!({"apiKey": "K2", "errMsg": ""})))
        // 1 renewal for the price lists, then 1 per GETREC attempt (3 attempts).
        .expect(4)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/SRVCMD/GETPRCLST"))
        .and(header("apikey", "K1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/SRVCMD/GETPRCLST"))
        .and(header("apikey", "K2"))
        .respond_with(bom_json(
            json!([{"PRICECODE": "WEB", "ITNO": 1234, "ITPRICE": 95}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // A CMDERR naming the key also means "expired"; here the server keeps refusing K2, even
    // right after a renewal (the login answers K2 again): each attempt renews once, the
    // retry policy bounds the attempts, and the error is transient (retry later).
    Mock::given(method("POST"))
        .and(path("/api/srvcmd/getrec"))
        .and(header("apikey", "K2"))
        .respond_with(text("CMDERR,Invalid APIKEY"))
        .expect(6)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let lists = flow.price_lists().await.unwrap();
    assert_eq!(lists[0].decimal("ITPRICE"), Some(dec!(95)));
    // A key refused right after its renewal is reported, not looped on.
    let err = flow.query("SELECT cono FROM stores").await.unwrap_err();
    assert!(matches!(err, Error::SessionExpired { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Transient);
}

#[tokio::test]
async fn getrec_sends_escaped_typed_sql_in_the_command_wrapper() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    Mock::given(method("POST"))
        .and(path("/api/srvcmd/getrec"))
        .and(header("apikey", "K1"))
        .and(body_partial_json(json!({
            "acc": "1001", "usrid": "WEB", "lng": "ENG", "srcapp": "FLOW", "APIKEY": "K1",
            "cmdtxt": "GETREC",
            "cmdpar": "SELECT opcode, docno, cono, strno, distno, empno, sts, post, docdt, srcdocno \
                       FROM trnhdr WHERE opcode = 'SALINV' AND cono = 1 AND distno = 'O''Neil; DROP' \
                       AND sts = 'A' ORDER BY docno LIMIT 500"
        })))
        .respond_with(bom_json(json!([
            {"opcode": "SALINV", "docno": 345, "cono": 1, "strno": 1, "distno": "O'Neil; DROP",
             "sts": "A", "post": 0, "docdt": "2026-11-28", "srcdocno": null}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let mut q = HeaderQuery::new("SALINV");
    q.party = Some("O'Neil; DROP".into());
    q.status = Some("A".into());
    let headers = flow.document_headers(&q).await.unwrap();
    assert_eq!(headers.len(), 1);
    assert_eq!(
        (headers[0].op.as_str(), headers[0].number.as_str()),
        ("SALINV", "345")
    );
    assert_eq!(headers[0].posted, Some(false));

    // Anything but a single SELECT is refused before sending (the mock above expects 1 call).
    let err = flow.query("DELETE FROM trnhdr").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Client);
    assert!(err.to_string().starts_with("sql: "));
}

#[tokio::test]
async fn cmderr_on_a_read_is_a_permanent_error_with_the_reason() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    Mock::given(method("POST"))
        .and(path("/api/srvcmd/getrec"))
        .respond_with(text("\u{FEFF}CMDERR,Table 'flow.nosuch' doesn't exist"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let err = flow.query("SELECT * FROM nosuch").await.unwrap_err();
    assert_eq!(
        err.refusal_reason(),
        Some("Table 'flow.nosuch' doesn't exist")
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_read_is_retried_after_the_connection_is_refused() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETBAL/1/2"))
        .respond_with(bom_json(json!([
            {"ITNO": 1234, "CLRNO": "RED", "SIZNO": "M", "BAL": "3.000"},
            {"ITNO": 1235, "BAL": 7}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let real = ReqwestTransport::new().unwrap();
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = calls.clone();
    let flaky = move |req: HttpRequest| {
        let real = real.clone();
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            if req.uri().path().contains("GETBAL") && n == 1 {
                Err(TransportError::new(TransportErrorKind::Connect, None))
            } else {
                real.send(req).await
            }
        }
    };
    let flow = FlowClient::builder(config(&server))
        .transport(Arc::new(flaky))
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .clock(Arc::new(FixedClock::default()))
        .build()
        .unwrap();
    let balances = flow.balances(1, 2).await.unwrap();
    assert_eq!(balances.len(), 2);
    assert_eq!(balances[0].colour.as_deref(), Some("RED"));
    assert_eq!(balances[0].quantity, dec!(3));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test]
async fn save_fills_the_template_checks_getopc_and_reads_back() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    opc(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .and(header("apikey", "K1"))
        .and(body_partial_json(json!({
            "OP": "SALINV", "DOCNO": 0, "CONO": 1, "STRNO": 1, "DISTNO": "77",
            "DISTNA": "د. أحمد عبد الله", "REFDOCNO": "#1001", "TOTSHPVAL": 50, "PY": "1",
            "DTL": [{"ITNO": "1234", "QTY": 2, "ITPRICE": 99.5, "SALTAX": 14, "ITMTOT": 199}]
        })))
        .respond_with(text("\u{FEFF}CMDDNE,345"))
        .expect(1)
        .mount(&server)
        .await;
    getdoc(&server, "345", "A").await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let saved = flow.save_document(&order()).await.unwrap();
    assert_eq!(saved.docno, "345");
    assert_eq!(
        saved.document.lines[0].text("ITDES").as_deref(),
        Some("تيشيرت قطن")
    );
}

#[tokio::test]
async fn a_read_back_that_differs_is_reported_field_by_field() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    opc(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .respond_with(text("CMDDNE,345"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETDOC/SALINV/1/1/345"))
        .respond_with(bom_json(
            json!({"DOCNO": 345, "OP": "SALINV", "DISTNO": 77, "CONO": 1, "STRNO": 1,
            "DTL": [{"ITNO": 1234, "QTY": 1, "ITPRICE": 99.5}]}),
        ))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let err = flow.save_document(&order()).await.unwrap_err();
    let Error::ReadBackMismatch {
        docno, differences, ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(docno, "345");
    assert_eq!(differences, &["DTL[0].QTY: sent 2, read 1"]);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn cmderr_on_save_is_refused_once_without_retry() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    opc(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .respond_with(text("CMDERR,الصنف غير موجود 1234"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let err = flow.save_document_exactly_once(&order()).await.unwrap_err();
    assert_eq!(err.refusal_reason(), Some("الصنف غير موجود 1234"));
    assert_eq!(err.kind(), ErrorKind::Client);
}

#[tokio::test]
async fn the_operation_config_refuses_vat_on_an_untaxed_operation_before_sending() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    opc(&server, 0).await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .respond_with(text("CMDDNE,1"))
        .expect(0)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let err = flow.save_document(&order()).await.unwrap_err();
    assert!(matches!(err, Error::Rejected { .. }), "{err}");
    assert!(err.to_string().contains("SALTAX"));
}

#[tokio::test]
async fn an_unknown_answer_is_uncertain_and_the_lookup_finds_the_document() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    opc(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .respond_with(text("<html><body>Gateway busy</body></html>"))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/srvcmd/getrec"))
        .and(body_partial_json(json!({"cmdpar":
            "SELECT opcode, docno, cono, strno, distno, sts, post, docdt FROM trnhdr \
             WHERE opcode = 'SALINV' AND cono = 1 AND refdocno = '#1001' LIMIT 10"})))
        .respond_with(bom_json(
            json!([{"opcode": "SALINV", "docno": 346, "cono": 1, "strno": 1,
            "distno": 77, "sts": "A", "post": 0, "docdt": "2026-11-28"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    getdoc(&server, "346", "A").await;
    catch_all(&server).await;
    let flow = client_with(config(&server));

    let err = flow.save_document(&order()).await.unwrap_err();
    assert!(err.is_uncertain(), "{err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("Gateway busy"));

    let outcome = flow.save_document_exactly_once(&order()).await.unwrap();
    let SaveOutcome::AlreadyPresent(saved) = outcome else {
        panic!("expected the lookup to find it: {outcome:?}");
    };
    assert_eq!(saved.docno, "346");
}

#[tokio::test]
async fn when_the_lookup_proves_it_absent_the_document_is_saved_again() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    opc(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .respond_with(text("OK"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .respond_with(text("CMDDNE,345"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/srvcmd/getrec"))
        .respond_with(bom_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    getdoc(&server, "345", "A").await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let outcome = flow.save_document_exactly_once(&order()).await.unwrap();
    assert!(
        matches!(&outcome, SaveOutcome::Created(d) if d.docno == "345"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_failed_lookup_keeps_the_save_uncertain_and_sends_nothing_more() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    opc(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/srvcmd/getrec"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let err = flow.save_document_exactly_once(&order()).await.unwrap_err();
    assert!(err.is_uncertain(), "{err}");
    assert!(err.to_string().contains("HTTP 502"), "{err}");
    let Error::UncertainSave { why, .. } = &err else {
        panic!("{err}")
    };
    assert!(why.contains("lookup failed"), "{why}");
}

#[tokio::test]
async fn a_connection_lost_after_sending_a_save_is_uncertain_not_retried() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    opc(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .respond_with(text("CMDDNE,345").set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let transport = ReqwestTransport::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let flow = FlowClient::builder(config(&server))
        .transport(Arc::new(transport))
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .clock(Arc::new(FixedClock::default()))
        .build()
        .unwrap();
    let err = flow.save_document(&order()).await.unwrap_err();
    assert!(err.is_uncertain(), "{err}");
    assert!(err.to_string().contains("lost after sending"), "{err}");
}

#[tokio::test]
async fn delpos_soft_deletes_through_execmd_and_reads_sts_d_back() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETDOC/SALINV/1/1/345"))
        .respond_with(bom_json(
            json!({"DOCNO": 345, "OP": "SALINV", "STS": "A", "DTL": []}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    getdoc(&server, "345", "D").await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("xapikey", "K1"))
        .and(header("content-type", "text/json"))
        .and(body_partial_json(json!({
            "cmdtxt": "EXECMD",
            "cmdpar": "DELPOS,OPCODE=SALINV\u{c}CONO=1\u{c}STRNO=1\u{c}DOCNO=345\u{c}\u{b}"
        })))
        .respond_with(text("\u{FEFF}CMDDNE"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let deleted = flow
        .soft_delete_document("SALINV", 1, 1, "345")
        .await
        .unwrap();
    assert_eq!(deleted.status, "D");
    assert!(!deleted.already_deleted);
    // A second cancellation sees STS = D and sends nothing (EXECMD expects exactly 1 call).
    let again = flow
        .soft_delete_document("SALINV", 1, 1, "345")
        .await
        .unwrap();
    assert!(again.already_deleted);
}

#[tokio::test]
async fn ldsrchdrno_decodes_eligible_sources_from_the_vertical_tab_payload() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("xapikey", "K1"))
        .and(body_partial_json(json!({
            "cmdtxt": "LDSRCHDRNO",
            "cmdpar": "OPCODE=SALINV\u{b}CONO=1\u{b}STRNO=1\u{b}DISTNO=77\u{b}"
        })))
        .respond_with(bom_json(json!([
            {"DOCNO": "OPCODE=SALORD\u{b}SRCDOCNO=512\u{b}", "DOCDT": "2026-11-20"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let sources = flow.eligible_sources("SALINV", 1, 1, "77").await.unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].source_docno, "512");
    let err = flow
        .eligible_sources("SALINV", 1, 1, "77\u{b}CONO=2")
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("parameter DISTNO: "), "{err}");
}

#[tokio::test]
async fn customers_match_normalised_arabic_names_and_addcon_saves() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    Mock::given(method("GET"))
        .and(path("/api/CONCMD/GETCON/C"))
        .respond_with(bom_json(json!([
            {"CNO": 10, "CNAME": "د. أحمد عبد الله", "FORDES": "Ahmed Abdallah", "TEL1": "0100 123 4567", "EMAIL": ""},
            {"CNO": 11, "CNAME": "أحمد عبد الله محمود", "TEL1": "0111"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/CONCMD/ADDCON"))
        .and(body_partial_json(
            json!({"CNO": 0, "CNAME": "سارة مصطفى", "TEL1": "01234567890",
            "EMAIL": "sara@example.com", "CONO": 1}),
        ))
        .respond_with(text("CMDDNE,88"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let found = flow
        .find_customer(&CustomerQuery {
            name: Some("احمد عبد اللّه".into()),
            ..CustomerQuery::default()
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.by, MatchedBy::Name);
    assert_eq!(found.customers.len(), 1, "never a substring match");
    assert_eq!(found.customers[0].number, "10");
    let cno = flow
        .save_customer(&CustomerRecord {
            name: "سارة مصطفى".into(),
            phone: Some("01234567890".into()),
            email: Some("sara@example.com".into()),
            ..CustomerRecord::default()
        })
        .await
        .unwrap();
    assert_eq!(cno, "88");
}

#[tokio::test]
async fn an_update_answered_with_another_customer_number_is_an_error_naming_both() {
    let server = MockServer::start().await;
    json_login(&server, "K1").await;
    Mock::given(method("POST"))
        .and(path("/api/CONCMD/ADDCON"))
        .and(body_partial_json(json!({"CNO": 42, "CNAME": "Sara"})))
        .respond_with(text("CMDDNE,43"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config(&server));
    let err = flow
        .save_customer(&CustomerRecord {
            number: Some("42".into()),
            name: "Sara".into(),
            ..CustomerRecord::default()
        })
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("ADDCON") && text.contains("customer 42") && text.contains("customer 43"),
        "{text}"
    );
    assert!(
        !err.is_retryable(),
        "resending would add yet another customer"
    );
}

#[tokio::test]
async fn a_template_overridden_from_toml_is_what_gets_sent() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("salord.json"),
        r#"{"OP": "", "DOCNO": 0, "CONO": "0", "STRNO": "0", "DISTNO": "", "RMK": "", "WEBFLAG": 1,
            "DTL": [{"ITNO": "", "QTY": "0", "ITPRICE": "0", "BINDTL": "B1"}]}"#,
    )
    .unwrap();
    let toml_path = dir.path().join("flow.toml");
    std::fs::write(
        &toml_path,
        format!(
            r#"
account = "1001"
user = "WEB"
password = "pw-secret"

[hosts]
login = "{uri}"
api = "{uri}"
erp = "{uri}"

[operations]
web_order = "SALORD"

[documents]
reference_field = "RMK"
templates.SALORD = {{ file = "salord.json" }}
"#,
            uri = server.uri()
        ),
    )
    .unwrap();
    let config = FlowConfig::from_toml_file(&toml_path).unwrap();
    assert_eq!(config.operations.web_order, "SALORD");
    json_login(&server, "K1").await;
    Mock::given(method("GET"))
        .and(path("/api/SRVCMD/GETOPC/SALORD"))
        .respond_with(bom_json(json!({"OP": "SALORD", "SRCDOC": -1, "SALTAX": 1})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .and(body_partial_json(
            json!({"OP": "SALORD", "CONO": "1", "RMK": "#1001", "WEBFLAG": 1,
            "DTL": [{"ITNO": "1234", "QTY": "2", "ITPRICE": "99.5", "BINDTL": "B1"}]}),
        ))
        .and(body_string_contains("\"ITMTOT\""))
        .respond_with(text("CMDDNE,9"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETDOC/SALORD/1/1/9"))
        .respond_with(bom_json(json!({"DOCNO": 9, "OP": "SALORD", "RMK": "#1001",
            "DTL": [{"ITNO": "1234", "QTY": "2", "ITPRICE": "99.5"}]})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let flow = client_with(config);
    let mut doc = order();
    doc.op = flow.config().operations.web_order.clone();
    let saved = flow.save_document(&doc).await.unwrap();
    assert_eq!((saved.op.as_str(), saved.docno.as_str()), ("SALORD", "9"));
}
