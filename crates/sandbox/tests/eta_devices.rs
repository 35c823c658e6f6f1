//! The ETA stand-in's devices with their own client credentials, and its strict reading of a
//! return without reference (`RWR`), over real HTTP.

use sandbox::eta::{EtaDevice, canonical, json as eta_json};
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::Value;

async fn start() -> RunningSandbox {
    let mut config = SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    };
    config.eta.devices = vec![
        EtaDevice {
            serial: "POS-A".into(),
            preshared_key: "psk-a".into(),
            credentials: Some(("client-a".into(), "secret-a".into())),
        },
        EtaDevice {
            serial: "POS-B".into(),
            preshared_key: "psk-b".into(),
            credentials: None,
        },
    ];
    Sandbox::start(config).await.expect("sandbox starts")
}

/// Asks for a token for `serial` with `client`; (HTTP status, answer).
async fn token(sb: &RunningSandbox, serial: &str, psk: &str, client: (&str, &str)) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/connect/token", sb.eta_url()))
        .header("posserial", serial)
        .header("pososversion", "os")
        .header("posmodelframework", "1")
        .header("presharedkey", psk)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.0),
            ("client_secret", client.1),
        ])
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn a_device_with_its_own_client_credentials_takes_only_those() {
    let sb = start().await;
    let shared = (
        sb.config().eta.client_id.clone(),
        sb.config().eta.client_secret.clone(),
    );
    let shared = (shared.0.as_str(), shared.1.as_str());
    let (status, answer) = token(&sb, "POS-A", "psk-a", shared).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_client"))
    );
    let (status, answer) = token(&sb, "POS-A", "psk-a", ("client-a", "wrong")).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_clientsecret"))
    );
    let (status, _) = token(&sb, "POS-A", "psk-a", ("client-a", "secret-a")).await;
    assert_eq!(status, 200);
    // A device without its own takes the shared credentials, and not another device's.
    let (status, _) = token(&sb, "POS-B", "psk-b", shared).await;
    assert_eq!(status, 200);
    let (status, answer) = token(&sb, "POS-B", "psk-b", ("client-a", "secret-a")).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_client"))
    );
    sb.shutdown().await;
}

/// A return of 1 × 100.00 + 14 % VAT on `POS-B`, of type `kind`, with `extra` header members
/// (JSON text, each followed by a comma); sealed with its uuid.
fn receipt(kind: &str, extra: &str) -> (String, String) {
    let issued = (chrono::Utc::now() - chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let text = format!(
        r#"{{"header": {{"dateTimeIssued": "{issued}", "receiptNumber": "RWR-1", "uuid": "", "previousUUID": "", {extra} "currency": "EGP", "exchangeRate": 0}},
"documentType": {{"receiptType": "{kind}", "typeVersion": "1.2"}},
"seller": {{"rin": "200123456", "companyTradeName": "Sandbox", "branchCode": "0", "branchAddress": {{"country": "EG", "governate": "Cairo", "regionCity": "Nasr City", "street": "Abbas El Akkad", "buildingNumber": "12"}}, "deviceSerialNumber": "POS-B", "activityCode": "4771"}},
"buyer": {{"type": "P"}},
"itemData": [{{"internalCode": "100101", "description": "Tea", "itemType": "EGS", "itemCode": "EG-200123456-100101", "unitType": "EA", "quantity": 1, "unitPrice": 100.00, "netSale": 100.00, "totalSale": 100.00, "total": 114.00, "taxableItems": [{{"taxType": "T1", "amount": 14.00, "subType": "V009", "rate": 14}}]}}],
"totalSales": 100.00, "netAmount": 100.00, "totalAmount": 114.00, "taxTotals": [{{"taxType": "T1", "amount": 14.00}}], "paymentMethod": "C"}}"#
    );
    let uuid = canonical::receipt_uuid(&eta_json::parse(&text).unwrap()).unwrap();
    (
        text.replacen(r#""uuid": """#, &format!(r#""uuid": "{uuid}""#), 1),
        uuid,
    )
}

async fn submit(sb: &RunningSandbox, token: &str, receipt: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{}/api/v1/receiptsubmissions", sb.eta_url()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"receipts": [{receipt}], "signatures": [{{"signatureType": "I", "value": ""}}]}}"#
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn errors(answer: &Value) -> Vec<String> {
    answer["rejectedDocuments"][0]["error"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["code"].as_str().unwrap_or(""),
                        e["propertyPath"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_return_without_reference_needs_its_reason_and_sale_time_and_names_no_sale() {
    let sb = start().await;
    let shared = sb.config().eta.clone();
    let (status, answer) = token(
        &sb,
        "POS-B",
        "psk-b",
        (shared.client_id.as_str(), shared.client_secret.as_str()),
    )
    .await;
    assert_eq!(status, 200);
    let tok = answer["access_token"].as_str().unwrap().to_owned();
    let sold = (chrono::Utc::now() - chrono::Duration::days(40))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();

    let (bare, _) = receipt("RWR", "");
    let answer = submit(&sb, &tok, &bare).await;
    let found = errors(&answer);
    assert!(
        found.iter().any(|e| e.contains("header.documentUseReason"))
            && found
                .iter()
                .any(|e| e.contains("header.salesIssuedDateTime")),
        "{answer}"
    );
    let (with_reference, _) = receipt(
        "RWR",
        &format!(
            r#""referenceUUID": "{}", "documentUseReason": "old sale", "salesIssuedDateTime": "{sold}","#,
            "ab".repeat(32)
        ),
    );
    let answer = submit(&sb, &tok, &with_reference).await;
    assert!(
        errors(&answer)
            .iter()
            .any(|e| e == "InvalidReference receipt.header.referenceUUID"),
        "{answer}"
    );
    let (good, uuid) = receipt(
        "RWR",
        &format!(r#""documentUseReason": "old sale", "salesIssuedDateTime": "{sold}","#),
    );
    let answer = submit(&sb, &tok, &good).await;
    assert_eq!(
        answer["acceptedDocuments"][0]["uuid"],
        uuid.as_str(),
        "{answer}"
    );
    let dump = sb.dump();
    let stored = dump["eta"]["receipts"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(stored["receipt_type"], "RWR");
    assert_eq!(stored["reference_uuid"], "");
    sb.shutdown().await;
}
