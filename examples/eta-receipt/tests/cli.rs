//! The built `eta-receipt` binary, run as a process.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use chrono::{TimeZone, Utc};
use eta_ereceipt::builder::{LineInput, ReceiptBuilder, TaxInput, example_seller};
use eta_ereceipt::codes::{ItemType, TaxType, UnitType};
use rust_decimal_macros::dec;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SDK_UUID: &str = "6b41ed3d90caaf841411bf6e922600f665c05fc066748f61841641ac596614d9";

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/eta-ereceipt/tests/vectors")
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    run_env(args, stdin, &[])
}

fn run_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eta-receipt"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "ETA_CLIENT_ID",
        "ETA_CLIENT_SECRET",
        "ETA_POS_SERIAL",
        "ETA_PRESHARED_KEY",
        "ETA_ENV",
        "ETA_API_URL",
        "ETA_IDENTITY_URL",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    // A command that refuses its arguments exits without reading its input: a broken pipe
    // here is that, not a failure (its exit status says what happened).
    if let Err(error) = input.write_all(stdin.unwrap_or("").as_bytes()) {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn issued() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
}

fn receipt_json() -> String {
    receipt_issued_at(issued())
}

fn receipt_issued_at(at: chrono::DateTime<Utc>) -> String {
    ReceiptBuilder::sale(example_seller(), "R-1", at)
        .line(
            LineInput::new(
                "SKU1",
                "Tea",
                ItemType::Egs,
                "EG-674859545-SKU1",
                UnitType::Each,
                dec!(2),
                dec!(10.50),
            )
            .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14))),
        )
        .build()
        .unwrap()
        .to_json()
}

#[test]
fn canonicalize_reproduces_the_official_vector_from_a_file_and_stdin() {
    let file = vectors().join("invoice-one-doc.json");
    let want = std::fs::read_to_string(vectors().join("invoice-one-doc-serialized.txt")).unwrap();
    let o = run(&["canonicalize", file.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{want}\n"));
    let text = std::fs::read_to_string(&file).unwrap();
    let o = run(&["canonicalize"], Some(&text));
    assert_eq!(stdout(&o), format!("{want}\n"));
}

#[test]
fn malformed_json_exits_2_with_the_byte_offset() {
    let o = run(&["canonicalize"], Some("{\"a\":}"));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "eta-receipt: invalid JSON at byte 5: expected a value"
    );
    let o = run(&["uuid", "/nonexistent/file.json"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/file.json"));
}

#[test]
fn uuid_single_and_batch() {
    let batch = std::fs::read_to_string(vectors().join("receipt-sdk-sample-batch.json")).unwrap();
    let o = run(&["uuid", "--batch"], Some(&batch));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{SDK_UUID}\n"));
    let single = r#"{"header":{"receiptNumber":"R-1","uuid":"","previousUUID":""},"totalAmount":"1000.000"}"#;
    let o = run(&["uuid"], Some(single));
    assert_eq!(
        stdout(&o),
        "2ed1573cf9fd00e782c429a5372533cf19ea8b497f324c815c192a4e306ce343\n"
    );
    // many receipts: one line each, in order
    let receipts: Vec<String> = (0..50)
        .map(|i| single.replace("R-1", &format!("R-{i}")))
        .collect();
    let o = run(
        &["uuid", "--batch"],
        Some(&format!("{{\"receipts\":[{}]}}", receipts.join(","))),
    );
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 50);
    let o7 = run(&["uuid"], Some(&receipts[7]));
    assert_eq!(lines[7], stdout(&o7).trim());
    assert_ne!(lines[7], lines[8]);
    let o = run(&["uuid"], Some(&batch));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("header: is missing"));
}

#[test]
fn validate_exit_codes_and_one_line_per_problem() {
    let good = receipt_json();
    let o = run(&["validate", "--now", "2026-11-28T09:00:00Z"], Some(&good));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "");
    let bad = good
        .replace("\"receiptNumber\":\"R-1\"", "\"receiptNumber\":\"\"")
        .replace("\"totalAmount\":23.94", "\"totalAmount\":25.94");
    let o = run(&["validate", "--now", "2026-11-28T09:00:00Z"], Some(&bad));
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        lines[0],
        "header.receiptNumber: is mandatory, at most 50 characters"
    );
    assert!(lines[1].starts_with("totalAmount: must equal"));
    let o = run(&["validate", "--now", "2026-11-30T09:00:00Z"], Some(&good));
    assert_eq!(
        stdout(&o).trim(),
        "header.dateTimeIssued: is older than the 24-hour submission window"
    );
    let o = run(&["validate"], Some("{\"header\":"));
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("$: invalid JSON at byte 10"));
}

#[test]
fn qr_prints_content_and_writes_images() {
    let good = receipt_json();
    let o = run(&["qr", "--portal", "preprod"], Some(&good));
    assert!(o.status.success(), "{}", stderr(&o));
    let uuid = stdout(&run(&["uuid"], Some(&good))).trim().to_owned();
    assert_eq!(
        stdout(&o),
        format!(
            "https://preprod.invoicing.eta.gov.eg/receipts/search/{uuid}/share/2026-11-28T08:00:00Z#Total:23.94,IssuerRIN:674859545\n"
        )
    );
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("qr.png");
    let svg = dir.path().join("qr.svg");
    assert!(
        run(&["qr", "--png", png.to_str().unwrap()], Some(&good))
            .status
            .success()
    );
    assert!(
        std::fs::read(&png)
            .unwrap()
            .starts_with(b"\x89PNG\r\n\x1a\n")
    );
    assert!(
        run(&["qr", "--svg", svg.to_str().unwrap()], Some(&good))
            .status
            .success()
    );
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let both = run(&["qr", "--png", "a", "--svg", "b"], Some(&good));
    assert_eq!(both.status.code(), Some(2), "clap refuses both");
}

#[tokio::test]
async fn submit_against_a_configured_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .and(body_string_contains("client_secret=cli-secret"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": "t", "expires_in": 3600})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let recent = Utc::now() - chrono::Duration::minutes(1);
    let good = receipt_issued_at(
        recent - chrono::Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&recent))),
    );
    let uuid = stdout(&run(&["uuid"], Some(&good))).trim().to_owned();
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .and(body_string_contains(format!("\"uuid\":\"{uuid}\"")))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({
            "submissionId": "S-1",
            "acceptedDocuments": [{"uuid": uuid, "longId": "L1", "receiptNumber": "R-1", "hashKey": "h"}],
            "rejectedDocuments": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let psk = dir.path().join("psk");
    std::fs::write(&psk, "psk-value\n").unwrap();
    let uri = server.uri();
    let good2 = good.clone();
    let psk2 = psk.clone();
    let o = tokio::task::spawn_blocking(move || {
        run_env(
            &[
                "submit",
                "--api-url",
                &uri,
                "--identity-url",
                &uri,
                "--preshared-key-file",
                psk2.to_str().unwrap(),
            ],
            Some(&good2),
            &[
                ("ETA_CLIENT_ID", "cid"),
                ("ETA_CLIENT_SECRET", "cli-secret"),
                ("ETA_POS_SERIAL", "POS-1"),
            ],
        )
    })
    .await
    .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(summary["submissionIds"][0], "S-1");
    assert_eq!(summary["accepted"][0]["longId"], "L1");
    // no secret: a clear message, exit 2, nothing sent
    let uri = server.uri();
    let o = tokio::task::spawn_blocking(move || {
        run_env(
            &["submit", "--api-url", &uri, "--identity-url", &uri],
            Some(&good),
            &[("ETA_CLIENT_ID", "cid"), ("ETA_POS_SERIAL", "POS-1")],
        )
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("set ETA_CLIENT_SECRET or pass --client-secret-file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn submit_refuses_an_invalid_receipt_before_sending() {
    // an old receipt (outside the 24-hour window) with a wrong total: nothing is sent (the
    // endpoint is a closed port, so sending would fail with exit 2 instead of 1)
    let old = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let bad = receipt_issued_at(old).replace("\"totalAmount\":23.94", "\"totalAmount\":24.94");
    let o = run_env(
        &[
            "submit",
            "--api-url",
            "http://127.0.0.1:9",
            "--identity-url",
            "http://127.0.0.1:9",
        ],
        Some(&bad),
        &[
            ("ETA_CLIENT_ID", "cid"),
            ("ETA_CLIENT_SECRET", "s"),
            ("ETA_POS_SERIAL", "POS-1"),
            ("ETA_PRESHARED_KEY", "k"),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("receipts[0].header.dateTimeIssued: ")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("receipts[0].totalAmount: must equal")),
        "{out}"
    );
}
