//! The ETA stand-in over real HTTP. Receipts here are built and hashed by this file's own
//! small canonical serializer (independent of the stand-in's), so a wrong rule on either side
//! shows up as a rejected receipt.

use sandbox::eta::{canonical, json as eta_json};
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};

const RIN: &str = "200123456";

/// A JSON tree whose numbers keep their literal text.
#[derive(Clone, Debug)]
enum J {
    O(Vec<(&'static str, J)>),
    A(Vec<J>),
    S(String),
    N(&'static str),
}

fn o(m: Vec<(&'static str, J)>) -> J {
    J::O(m)
}
fn s(v: &str) -> J {
    J::S(v.to_string())
}

impl J {
    fn text(&self) -> String {
        match self {
            J::O(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("\"{k}\": {}", v.text()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            J::A(items) => format!(
                "[{}]",
                items.iter().map(J::text).collect::<Vec<_>>().join(",")
            ),
            J::S(v) => serde_json::to_string(v).unwrap(),
            J::N(n) => n.to_string(),
        }
    }

    /// ETA's canonical form (root object: members only).
    fn canon(&self, out: &mut String) {
        match self {
            J::O(m) => {
                for (k, v) in m {
                    let name = format!("\"{}\"", k.to_uppercase());
                    out.push_str(&name);
                    if let J::A(items) = v {
                        for item in items {
                            out.push_str(&name);
                            item.canon(out);
                        }
                    } else {
                        v.canon(out);
                    }
                }
            }
            J::A(_) => unreachable!("arrays are handled by their parent"),
            J::S(v) => out.push_str(&format!("\"{v}\"")),
            J::N(n) => out.push_str(&format!("\"{n}\"")),
        }
    }

    fn get_mut(&mut self, key: &str) -> &mut J {
        match self {
            J::O(m) => &mut m.iter_mut().find(|(k, _)| *k == key).expect(key).1,
            _ => panic!("not an object"),
        }
    }

    fn set_header(&mut self, key: &'static str, value: &str) {
        let J::O(h) = self.get_mut("header") else {
            unreachable!()
        };
        match h.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = s(value),
            None => h.push((key, s(value))),
        }
    }

    /// Sets `header.uuid` to the SHA-256 of the canonical form with an empty uuid.
    fn seal(mut self) -> (J, String) {
        self.set_header("uuid", "");
        let mut text = String::new();
        self.canon(&mut text);
        let uuid = hex::encode(Sha256::digest(text.as_bytes()));
        self.set_header("uuid", &uuid);
        (self, uuid)
    }
}

fn issued() -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A valid sale: 2 x 100.00 + 14 % VAT = 228.00.
fn sale(number: &str, prev: &str, device: &str) -> J {
    o(vec![
        (
            "header",
            o(vec![
                ("dateTimeIssued", s(&issued())),
                ("receiptNumber", s(number)),
                ("uuid", s("")),
                ("previousUUID", s(prev)),
                ("currency", s("EGP")),
                ("exchangeRate", J::N("0")),
            ]),
        ),
        (
            "documentType",
            o(vec![("receiptType", s("S")), ("typeVersion", s("1.2"))]),
        ),
        (
            "seller",
            o(vec![
                ("rin", s(RIN)),
                ("companyTradeName", s("شركة ساندبوكس للتجارة")),
                ("branchCode", s("0")),
                (
                    "branchAddress",
                    o(vec![
                        ("country", s("EG")),
                        ("governate", s("Cairo")),
                        ("regionCity", s("Nasr City")),
                        ("street", s("12 Abbas El Akkad")),
                        ("buildingNumber", s("12")),
                    ]),
                ),
                ("deviceSerialNumber", s(device)),
                ("activityCode", s("4771")),
            ]),
        ),
        ("buyer", o(vec![("type", s("P"))])),
        (
            "itemData",
            J::A(vec![o(vec![
                ("internalCode", s("100101")),
                ("description", s("تيشيرت قطن - أسود - M")),
                ("itemType", s("EGS")),
                ("itemCode", s("EG-200123456-100101")),
                ("unitType", s("EA")),
                ("quantity", J::N("2")),
                ("unitPrice", J::N("100.00")),
                ("netSale", J::N("200.00")),
                ("totalSale", J::N("200.00")),
                ("total", J::N("228.00")),
                (
                    "taxableItems",
                    J::A(vec![o(vec![
                        ("taxType", s("T1")),
                        ("amount", J::N("28.00")),
                        ("subType", s("V009")),
                        ("rate", J::N("14")),
                    ])]),
                ),
            ])]),
        ),
        ("totalSales", J::N("200.00")),
        ("netAmount", J::N("200.00")),
        ("totalAmount", J::N("228.00")),
        (
            "taxTotals",
            J::A(vec![o(vec![
                ("taxType", s("T1")),
                ("amount", J::N("28.00")),
            ])]),
        ),
        ("paymentMethod", s("C")),
    ])
}

fn body(receipts: &[J]) -> String {
    format!(
        "{{\"receipts\": [{}], \"signatures\": [{{\"signatureType\": \"I\", \"value\": \"\"}}]}}",
        receipts.iter().map(J::text).collect::<Vec<_>>().join(", ")
    )
}

async fn start() -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn token_request(
    http: &reqwest::Client,
    sb: &RunningSandbox,
    device: usize,
) -> reqwest::RequestBuilder {
    let cfg = &sb.config().eta;
    let dev = &cfg.devices[device];
    http.post(format!("{}/connect/token", sb.eta_url()))
        .header("posserial", &dev.serial)
        .header("pososversion", "os")
        .header("posmodelframework", "1")
        .header("presharedkey", &dev.preshared_key)
}

async fn token(http: &reqwest::Client, sb: &RunningSandbox, device: usize) -> String {
    let cfg = &sb.config().eta;
    let resp = token_request(http, sb, device)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", cfg.client_id.as_str()),
            ("client_secret", cfg.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    v["access_token"].as_str().unwrap().to_string()
}

async fn submit(
    http: &reqwest::Client,
    sb: &RunningSandbox,
    token: &str,
    body: String,
) -> (u16, Value) {
    let resp = http
        .post(format!("{}/api/v1/receiptsubmissions", sb.eta_url()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn first_error_code(answer: &Value) -> &str {
    answer["rejectedDocuments"][0]["error"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn token_needs_client_credentials_and_the_four_pos_headers() {
    let sb = start().await;
    let http = reqwest::Client::new();
    token(&http, &sb, 0).await;
    let cfg = sb.config().eta.clone();
    let form = |secret: &str| {
        vec![
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("client_id".to_string(), cfg.client_id.clone()),
            ("client_secret".to_string(), secret.to_string()),
        ]
    };
    let with = |serial: &str, framework: Option<&str>, key: &str, secret: &str| {
        let mut req = http
            .post(format!("{}/connect/token", sb.eta_url()))
            .header("posserial", serial)
            .header("pososversion", "os")
            .header("presharedkey", key);
        if let Some(f) = framework {
            req = req.header("posmodelframework", f);
        }
        req.form(&form(secret))
    };
    let good = cfg.client_secret.as_str();
    let cases: Vec<(reqwest::RequestBuilder, &str)> = vec![
        (
            token_request(&http, &sb, 0).form(&form("wrong")),
            "invalid_clientsecret",
        ),
        (
            with("POS-0001", Some("1"), "nope", good),
            "invalid_presharedkey",
        ),
        (
            with("POS-0001", None, "sandbox-psk-0001", good),
            "invalid_posmodelframework",
        ),
        (
            with("UNKNOWN", Some("1"), "sandbox-psk-0001", good),
            "invalid_posserial",
        ),
        (
            with("POS-0002", Some("1"), "sandbox-psk-0001", good),
            "invalid_presharedkey",
        ),
    ];
    for (req, code) in cases {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 400);
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"], code);
    }
    // No token, or a made-up one: 401.
    let (status, _) = submit(&http, &sb, "made-up", body(&[])).await;
    assert_eq!(status, 401);
    sb.shutdown().await;
}

#[tokio::test]
async fn an_accepted_receipt_keeps_its_raw_text_and_starts_the_chain() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    let (r1, uuid1) = sale("R-1", "", "POS-0001").seal();
    let sent = body(std::slice::from_ref(&r1));
    let (status, answer) = submit(&http, &sb, &tok, sent).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["rejectedDocuments"], serde_json::json!([]));
    let acc = &answer["acceptedDocuments"][0];
    assert_eq!(acc["uuid"], uuid1.as_str());
    assert_eq!(acc["receiptNumber"], "R-1");
    assert!(!acc["longId"].as_str().unwrap().is_empty());
    assert!(!acc["hashKey"].as_str().unwrap().is_empty());

    // The dump keeps the receipt text exactly as sent (literals like 100.00 included).
    let dump = sb.dump();
    let stored = &dump["eta"]["receipts"][0];
    assert_eq!(stored["raw"], r1.text().as_str());
    assert!(
        stored["raw"]
            .as_str()
            .unwrap()
            .contains("\"unitPrice\": 100.00")
    );
    assert_eq!(stored["status"], "Valid");
    assert_eq!(stored["device"], "POS-0001");
    assert_eq!(stored["previous_uuid"], "");
    assert_eq!(stored["receipt_type"], "s");
    assert_eq!(sb.eta().last_uuid("POS-0001"), Some(uuid1.clone()));

    // Raw, details, submission details.
    let raw: Value = http
        .get(format!("{}/api/v1/receipts/{uuid1}/raw", sb.eta_url()))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // ETA's ReceiptExtended: the text as received, and the summary with the status.
    assert_eq!(raw["rawDocument"], r1.text().as_str());
    assert_eq!(raw["receipt"]["uuid"], uuid1.as_str());
    assert_eq!(raw["receipt"]["status"], "Valid");
    assert_eq!(raw["submissionUUID"], answer["submissionId"]);
    assert_eq!(raw["submissionChannel"], "POS");
    let details: Value = http
        .get(format!("{}/api/v1/receipts/{uuid1}/details", sb.eta_url()))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(details["receipt"]["status"], "Valid");
    let sub = answer["submissionId"].as_str().unwrap();
    let page: Value = http
        .get(format!(
            "{}/api/v1/receiptsubmissions/{sub}/details?PageNo=1&PageSize=10",
            sb.eta_url()
        ))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["status"], "Valid");
    assert_eq!(page["receipts"][0]["uuid"], uuid1.as_str());
    assert_eq!(page["metadata"]["totalCount"], 1);

    // The next receipt chains on the first.
    let (r2, uuid2) = sale("R-2", &uuid1, "POS-0001").seal();
    let (status, answer) = submit(&http, &sb, &tok, body(&[r2])).await;
    assert_eq!(status, 202);
    assert_eq!(answer["acceptedDocuments"][0]["uuid"], uuid2.as_str());
    sb.shutdown().await;
}

#[tokio::test]
async fn a_wrong_uuid_is_rejected_and_does_not_move_the_chain() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    let (mut r1, _) = sale("R-1", "", "POS-0001").seal();
    r1.set_header("uuid", &"ab".repeat(32));
    let (status, answer) = submit(&http, &sb, &tok, body(&[r1])).await;
    assert_eq!(status, 202);
    assert_eq!(first_error_code(&answer), "InvalidUuid");
    assert_eq!(answer["rejectedDocuments"][0]["receiptNumber"], "R-1");
    assert_eq!(sb.eta().last_uuid("POS-0001"), None);
    // A literal changed after hashing (100.00 -> 100.0) breaks the uuid too.
    let (r1, _) = sale("R-1", "", "POS-0001").seal();
    let tampered = body(&[r1]).replace("\"unitPrice\": 100.00", "\"unitPrice\": 100.0");
    let (_, answer) = submit(&http, &sb, &tok, tampered).await;
    assert_eq!(first_error_code(&answer), "InvalidUuid");
    assert_eq!(sb.dump()["eta"]["receipts"][0]["status"], "Invalid");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_broken_chain_is_rejected() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    // First receipt of a POS must have previousUUID "".
    let (bad_first, _) = sale("R-0", &"cd".repeat(32), "POS-0001").seal();
    let (_, answer) = submit(&http, &sb, &tok, body(&[bad_first])).await;
    assert_eq!(first_error_code(&answer), "InvalidChain");

    let (r1, uuid1) = sale("R-1", "", "POS-0001").seal();
    let (_, answer) = submit(&http, &sb, &tok, body(&[r1])).await;
    assert_eq!(answer["acceptedDocuments"][0]["uuid"], uuid1.as_str());
    // "" again, after the first receipt: rejected.
    let (r2, _) = sale("R-2", "", "POS-0001").seal();
    let (_, answer) = submit(&http, &sb, &tok, body(&[r2])).await;
    assert_eq!(first_error_code(&answer), "InvalidChain");
    // Chains are per device: POS-0002 starts with "".
    let tok2 = token(&http, &sb, 1).await;
    let (other, _) = sale("R-1", "", "POS-0002").seal();
    let (_, answer) = submit(&http, &sb, &tok2, body(&[other])).await;
    assert_eq!(answer["acceptedDocuments"].as_array().unwrap().len(), 1);
    // In one submission, the second receipt chains on the first.
    let (a, ua) = sale("R-3", &uuid1, "POS-0001").seal();
    let (b, _) = sale("R-4", &ua, "POS-0001").seal();
    let (_, answer) = submit(&http, &sb, &tok, body(&[a, b])).await;
    assert_eq!(answer["acceptedDocuments"].as_array().unwrap().len(), 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_uuid_already_held_is_a_duplicate() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    let (r1, uuid1) = sale("R-1", "", "POS-0001").seal();
    let first = body(std::slice::from_ref(&r1));
    let (status, _) = submit(&http, &sb, &tok, first.clone()).await;
    assert_eq!(status, 202);
    // The identical body again within 10 minutes: DuplicateSubmission.
    let resp = http
        .post(format!("{}/api/v1/receiptsubmissions", sb.eta_url()))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body(first)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp.headers().contains_key("retry-after"));
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "DuplicateSubmission");
    // The same receipt in a different body: rejected as a duplicate receipt.
    let resent = body(&[r1]).replace("\"value\": \"\"", "\"value\":\"\"");
    let (status, answer) = submit(&http, &sb, &tok, resent).await;
    assert_eq!(status, 202);
    assert_eq!(first_error_code(&answer), "DuplicateReceipt");
    assert_eq!(answer["rejectedDocuments"][0]["uuid"], uuid1.as_str());
    assert_eq!(sb.eta().last_uuid("POS-0001"), Some(uuid1));
    sb.shutdown().await;
}

#[tokio::test]
async fn receipts_must_come_from_the_tokens_device() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    let (other, _) = sale("R-1", "", "POS-0002").seal();
    let (status, answer) = submit(&http, &sb, &tok, body(&[other])).await;
    assert_eq!(status, 403);
    assert_eq!(answer["error"]["code"], "IncorrectSubmitter");
    assert!(sb.dump()["eta"]["receipts"].as_array().unwrap().is_empty());
    sb.shutdown().await;
}

#[tokio::test]
async fn calculations_are_checked_with_the_tolerance() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    // 0.40 off on the VAT total: within ETA's 0.5 tolerance only on that field.
    let mut r = sale("R-1", "", "POS-0001");
    *r.get_mut("totalAmount") = J::N("229.00");
    let (r, _) = r.seal();
    let (_, answer) = submit(&http, &sb, &tok, body(&[r])).await;
    assert_eq!(first_error_code(&answer), "CalculationError");
    let details = &answer["rejectedDocuments"][0]["error"]["details"][0];
    assert_eq!(details["target"], "totalAmount");
    assert_eq!(details["propertyPath"], "receipt.totalAmount");

    let mut r = sale("R-2", "", "POS-0001");
    *r.get_mut("totalAmount") = J::N("228.40");
    let (r, _) = r.seal();
    let (_, answer) = submit(&http, &sb, &tok, body(&[r])).await;
    assert_eq!(
        answer["acceptedDocuments"].as_array().unwrap().len(),
        1,
        "{answer}"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn a_return_needs_an_accepted_sale() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    let (r1, uuid1) = sale("R-1", "", "POS-0001").seal();
    submit(&http, &sb, &tok, body(&[r1])).await;
    let ret = |reference: &str, prev: &str, number: &str| {
        let mut r = sale(number, prev, "POS-0001");
        r.set_header("referenceUUID", reference);
        *r.get_mut("documentType") = o(vec![("receiptType", s("r")), ("typeVersion", s("1.2"))]);
        r.seal()
    };
    let (bad, _) = ret(&"ef".repeat(32), &uuid1, "RET-1");
    let (_, answer) = submit(&http, &sb, &tok, body(&[bad])).await;
    assert_eq!(first_error_code(&answer), "InvalidReference");
    let (good, uuid2) = ret(&uuid1, &uuid1, "RET-2");
    let (_, answer) = submit(&http, &sb, &tok, body(&[good])).await;
    assert_eq!(answer["acceptedDocuments"][0]["uuid"], uuid2.as_str());
    let dump = sb.dump();
    let stored = dump["eta"]["receipts"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(stored["receipt_type"], "r");
    assert_eq!(stored["reference_uuid"], uuid1.as_str());
    sb.shutdown().await;
}

#[tokio::test]
async fn submission_limits_and_signatures_are_enforced() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    let (r, _) = sale("R-1", "", "POS-0001").seal();
    let many = body(&vec![r.clone(); 501]);
    let (status, v) = submit(&http, &sb, &tok, many).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "MaximumSizeExceeded");
    let huge = format!(
        "{{\"receipts\": [{}], \"pad\": \"{}\"}}",
        r.text(),
        "x".repeat(1_600_000)
    );
    let (status, v) = submit(&http, &sb, &tok, huge).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "MaximumSizeExceeded");
    let unsigned = format!("{{\"receipts\": [{}]}}", r.text());
    let (status, v) = submit(&http, &sb, &tok, unsigned).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "BadStructure");
    let resp = http
        .post(format!("{}/api/v1/receiptsubmissions", sb.eta_url()))
        .bearer_auth(&tok)
        .header("content-type", "text/plain")
        .body(body(std::slice::from_ref(&r)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    let (status, v) = submit(&http, &sb, &tok, "{\"receipts\": [".into()).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "BadStructure");
    sb.shutdown().await;
}

#[test]
fn the_official_serialization_vector_is_reproduced_byte_for_byte() {
    let doc = include_str!("vectors/invoice-one-doc.json");
    let expected = include_str!("vectors/invoice-one-doc-serialized.txt");
    let node = eta_json::parse(doc).unwrap();
    let text = canonical::serialize(&node).unwrap();
    assert_eq!(text.len(), 5752);
    assert_eq!(text, expected);
    assert_eq!(
        hex::encode(Sha256::digest(text.as_bytes())),
        "d43fae25b02b7e466fa5aa39e5fa45c7d92661e5b0a0e7964e04783bff3c2651"
    );
    // The SDK's sample receipt: the uuid derived with the published algorithm.
    let batch = eta_json::parse(include_str!("vectors/receipt-sdk-sample-batch.json")).unwrap();
    let receipt = &batch.get("receipts").unwrap().as_array().unwrap()[0];
    assert_eq!(
        canonical::receipt_uuid(receipt).unwrap(),
        "6b41ed3d90caaf841411bf6e922600f665c05fc066748f61841641ac596614d9"
    );
}

#[tokio::test]
async fn a_lost_answer_leaves_the_receipt_accepted_and_a_resend_is_a_duplicate() {
    let sb = Sandbox::start(SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        faults: sandbox::FaultRates {
            error_after: 1.0,
            ..sandbox::FaultRates::none()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    // The token request takes effect but its answer is a 500.
    let resp = token_request(&http, &sb, 0)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-eta-client"),
            ("client_secret", "sandbox-eta-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    assert_eq!(sb.stats()["eta"]["tokens_issued"], 1);
    // The submission is accepted although the client sees a 500.
    let tok = sb.eta().issue_token("POS-0001").unwrap();
    let (r1, uuid1) = sale("R-1", "", "POS-0001").seal();
    let sent = body(std::slice::from_ref(&r1));
    let resp = http
        .post(format!("{}/api/v1/receiptsubmissions", sb.eta_url()))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body(sent.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    assert_eq!(sb.eta().last_uuid("POS-0001"), Some(uuid1.clone()));
    // Resending the same body is a duplicate submission; nothing new is stored.
    http.post(format!("{}/api/v1/receiptsubmissions", sb.eta_url()))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body(sent)
        .send()
        .await
        .unwrap();
    let stats = sb.stats();
    assert_eq!(stats["eta"]["duplicate_submissions"], 1);
    assert_eq!(stats["eta"]["receipts_accepted"], 1);
    assert_eq!(sb.dump()["eta"]["receipts"].as_array().unwrap().len(), 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_refused_until_a_new_one_is_taken() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    sb.eta().expire_token(&tok);
    let (r1, _) = sale("R-1", "", "POS-0001").seal();
    let resp = http
        .post(format!("{}/api/v1/receiptsubmissions", sb.eta_url()))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body(body(std::slice::from_ref(&r1)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let tok = token(&http, &sb, 0).await;
    let (status, answer) = submit(&http, &sb, &tok, body(&[r1])).await;
    assert_eq!(status, 202);
    assert_eq!(answer["acceptedDocuments"].as_array().unwrap().len(), 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn faults_drop_the_answer_or_expire_the_token() {
    let faulty = |rates: sandbox::FaultRates| {
        Sandbox::start(SandboxConfig {
            orders: 0,
            catalog_groups: 1,
            faults: rates,
            ..SandboxConfig::default()
        })
    };
    let http = reqwest::Client::new();

    // Dropped after processing: no answer, but the receipt is accepted.
    let sb = faulty(sandbox::FaultRates {
        drop_after: 1.0,
        ..sandbox::FaultRates::none()
    })
    .await
    .unwrap();
    let tok = sb.eta().issue_token("POS-0001").unwrap();
    let (r1, uuid1) = sale("R-1", "", "POS-0001").seal();
    let sent = http
        .post(format!("{}/api/v1/receiptsubmissions", sb.eta_url()))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body(body(&[r1]))
        .send()
        .await;
    assert!(sent.is_err(), "the connection is closed without an answer");
    assert_eq!(sb.eta().last_uuid("POS-0001"), Some(uuid1));
    sb.shutdown().await;

    // Expired session: a token taken normally is refused on its next use.
    let sb = faulty(sandbox::FaultRates {
        expire_session: 1.0,
        ..sandbox::FaultRates::none()
    })
    .await
    .unwrap();
    let tok = token(&http, &sb, 0).await;
    let (r1, _) = sale("R-1", "", "POS-0001").seal();
    let (status, _) = submit(&http, &sb, &tok, body(&[r1])).await;
    assert_eq!(status, 401);
    assert!(sb.dump()["eta"]["receipts"].as_array().unwrap().is_empty());
    sb.shutdown().await;
}

#[tokio::test]
async fn absurd_amounts_are_rejected_not_a_crash() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    let (r, _) = sale("R-1", "", "POS-0001").seal();
    let huge = body(&[r]).replace(
        "\"quantity\": 2",
        "\"quantity\": 99999999999999999999999999",
    );
    let (status, answer) = submit(&http, &sb, &tok, huge).await;
    assert_eq!(status, 202);
    let details = &answer["rejectedDocuments"][0]["error"]["details"];
    assert!(
        details
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["target"] == "quantity" && d["code"] == "BadStructure"),
        "{answer}"
    );
    sb.shutdown().await;
}

async fn list(http: &reqwest::Client, sb: &RunningSandbox, tok: &str, path: &str) -> (u16, Value) {
    let resp = http
        .get(format!("{}/api/v1/receipts/{path}", sb.eta_url()))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn search_and_recent_list_the_devices_held_receipts_with_etas_filters_and_refuse_what_they_do_not_know()
 {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    let other = token(&http, &sb, 1).await;
    let (r1, u1) = sale("ORD-1001", "", "POS-0001").seal();
    let (r2, u2) = sale("ORD-1002", &u1, "POS-0001").seal();
    let (bad, u_bad) = sale("ORD-1003", "f".repeat(64).as_str(), "POS-0001").seal();
    let (status, answer) = submit(&http, &sb, &tok, body(&[r1, r2, bad])).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["rejectedDocuments"].as_array().unwrap().len(), 1);

    // Recent: exact receipt number on this POS; the refused receipt is not held.
    let (status, page) = list(
        &http,
        &sb,
        &tok,
        "recent?ReceiptNumber=ORD-1002&PosSerialNumber=POS-0001&DocumentTypeCode=s",
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["receipts"].as_array().unwrap().len(), 1);
    assert_eq!(page["receipts"][0]["uuid"], u2.as_str());
    assert_eq!(page["receipts"][0]["status"], "Valid");
    assert_eq!(page["metadata"]["totalCount"], 1);
    let (_, page) = list(&http, &sb, &tok, "recent?ReceiptNumber=ORD-1003").await;
    assert_eq!(page["metadata"]["totalCount"], 0, "{page}");
    // An exact number or uuid is looked up, and the other filters still apply to it.
    let (_, page) = list(&http, &sb, &tok, &format!("recent?Uuid={u1}")).await;
    assert_eq!(page["receipts"][0]["receiptNumber"], "ORD-1001", "{page}");
    assert_eq!(page["metadata"]["totalCount"], 1, "{page}");
    let (_, page) = list(&http, &sb, &tok, &format!("recent?Uuid={u_bad}")).await;
    assert_eq!(page["metadata"]["totalCount"], 0, "{page}");
    for path in [
        "recent?ReceiptNumber=ORD-1002&DocumentTypeCode=r",
        "recent?ReceiptNumber=ORD-1002&PosSerialNumber=POS-0002",
    ] {
        let (_, page) = list(&http, &sb, &tok, path).await;
        assert_eq!(page["metadata"]["totalCount"], 0, "{path}: {page}");
    }
    let (_, page) = list(&http, &sb, &other, "recent?ReceiptNumber=ORD-1002").await;
    assert_eq!(page["metadata"]["totalCount"], 0, "{page}");
    // Newest first by default, paged.
    let (_, page) = list(&http, &sb, &tok, "recent?PageSize=1&PageNo=1").await;
    assert_eq!(page["receipts"][0]["uuid"], u2.as_str(), "{page}");
    assert_eq!(page["metadata"]["totalPages"], 2);
    let (_, page) = list(&http, &sb, &tok, "recent?pagesize=1&pageno=2&sortdir=desc").await;
    assert_eq!(page["receipts"][0]["uuid"], u1.as_str(), "{page}");
    // Another POS sees none of them.
    let (_, page) = list(&http, &sb, &other, "recent").await;
    assert_eq!(page["metadata"]["totalCount"], 0, "{page}");

    // Search: FreeText fragments of at least 5 characters.
    let (status, page) = list(
        &http,
        &sb,
        &tok,
        "search?FreeText=ORD-100&PosSerialNumber=POS-0001",
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["metadata"]["totalCount"], 2, "{page}");
    let (_, page) = list(&http, &sb, &tok, "search?Direction=Received").await;
    assert_eq!(page["metadata"]["totalCount"], 0);

    // Strict: short FreeText, unknown names, bad values, pages over 100.
    for path in [
        "search?FreeText=1001",
        "search?ReceiptNumber=ORD-1001",
        "recent?DeviceSerialNumber=POS-0001",
        "recent?Status=Pending",
        "recent?PageSize=101",
        "recent?PageNo=0",
        "recent?SortBy=total",
        "search?DateTimeIssuedFrom=yesterday",
        "recent?DocumentTypeCode=x",
    ] {
        let (status, answer) = list(&http, &sb, &tok, path).await;
        assert_eq!(status, 400, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "BadStructure", "{path}");
    }
    let (status, _) = list(&http, &sb, "not-a-token", "recent").await;
    assert_eq!(status, 401);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_final_status_comes_after_the_delay_an_unregistered_code_is_invalid_and_only_invalid_receipts_are_replaced()
 {
    let mut config = SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    };
    config.eta.validation_delay = std::time::Duration::from_millis(400);
    config.eta.registered_item_codes = Some(vec!["EG-200123456-100101".into()]);
    let sb = Sandbox::start(config).await.unwrap();
    let http = reqwest::Client::new();
    let tok = token(&http, &sb, 0).await;
    let (good, u1) = sale("V-1", "", "POS-0001").seal();
    let mut unregistered = sale("V-2", &u1, "POS-0001");
    let J::A(lines) = unregistered.get_mut("itemData") else {
        unreachable!()
    };
    *lines[0].get_mut("itemCode") = s("EG-200123456-999999");
    let (bad, u2) = unregistered.seal();
    let (status, answer) = submit(&http, &sb, &tok, body(&[good, bad])).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(
        answer["acceptedDocuments"].as_array().unwrap().len(),
        2,
        "{answer}"
    );
    let sub = answer["submissionId"].as_str().unwrap().to_owned();
    let details = |http: reqwest::Client, tok: String| {
        let url = format!("{}/api/v1/receiptsubmissions/{sub}/details", sb.eta_url());
        async move {
            let v: Value = http
                .get(url)
                .bearer_auth(tok)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v
        }
    };
    // Before the delay: submitted, the submission in progress.
    let page = details(http.clone(), tok.clone()).await;
    assert_eq!(page["status"], "InProgress", "{page}");
    assert_eq!(page["receipts"][0]["status"], "Submitted");
    // A return of a sale that is not Valid yet is refused.
    let ret = |reference: &str, prev: &str, number: &str| {
        let mut r = sale(number, prev, "POS-0001");
        r.set_header("referenceUUID", reference);
        *r.get_mut("documentType") = o(vec![("receiptType", s("r")), ("typeVersion", s("1.2"))]);
        r.seal()
    };
    let (early, _) = ret(&u1, &u2, "VR-1");
    let (_, answer) = submit(&http, &sb, &tok, body(&[early])).await;
    assert_eq!(first_error_code(&answer), "InvalidReference", "{answer}");

    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let page = details(http.clone(), tok.clone()).await;
    assert_eq!(page["status"], "PartiallyValid", "{page}");
    let status_of = |uuid: &str| {
        page["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["uuid"] == uuid)
            .unwrap()
            .clone()
    };
    assert_eq!(status_of(&u1)["status"], "Valid");
    let invalid = status_of(&u2);
    assert_eq!(invalid["status"], "Invalid");
    assert_eq!(
        invalid["errors"]["details"][0]["code"], "ItemCodeNotRegistered",
        "{invalid}"
    );
    assert_eq!(
        invalid["errors"]["details"][0]["propertyPath"],
        "receipt.itemData[0].itemCode"
    );
    // Now Valid, the sale takes its return.
    let (late, u3) = ret(&u1, &u2, "VR-2");
    let (_, answer) = submit(&http, &sb, &tok, body(&[late])).await;
    assert_eq!(
        answer["acceptedDocuments"][0]["uuid"],
        u3.as_str(),
        "{answer}"
    );

    // Only an Invalid receipt is replaced (referenceOldUUID).
    let replacement = |old: &str| {
        let mut r = sale("V-2", &u3, "POS-0001");
        r.set_header("referenceOldUUID", old);
        r.seal()
    };
    let (of_valid, _) = replacement(&u1);
    let (_, answer) = submit(&http, &sb, &tok, body(&[of_valid])).await;
    assert_eq!(first_error_code(&answer), "InvalidReference", "{answer}");
    let (of_invalid, u4) = replacement(&u2);
    let (_, answer) = submit(&http, &sb, &tok, body(&[of_invalid])).await;
    assert_eq!(
        answer["acceptedDocuments"][0]["uuid"],
        u4.as_str(),
        "{answer}"
    );
    sb.shutdown().await;
}
