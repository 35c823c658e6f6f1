//! The ETA stand-in's code API over HTTP: ETA's shapes, and strict where the SDK pages are
//! unsure (a parameter it does not apply, a malformed request) — see `docs/sandbox.md`.

use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::{Value, json};

async fn start() -> RunningSandbox {
    let mut config = SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    };
    let rin = config.eta.taxpayer_rin.clone();
    config.eta.registered_item_codes = Some(vec![format!("EG-{rin}-TEA-1")]);
    Sandbox::start(config).await.expect("sandbox starts")
}

async fn token(http: &reqwest::Client, sb: &RunningSandbox) -> String {
    let cfg = &sb.config().eta;
    let dev = &cfg.devices[0];
    let v: Value = http
        .post(format!("{}/connect/token", sb.eta_url()))
        .header("posserial", &dev.serial)
        .header("pososversion", "os")
        .header("posmodelframework", "1")
        .header("presharedkey", &dev.preshared_key)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", cfg.client_id.as_str()),
            ("client_secret", cfg.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_code_api_lists_files_and_refuses_what_it_does_not_know() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let tok = token(&http, &sb).await;
    let rin = sb.config().eta.taxpayer_rin.clone();
    let url = |path: &str| format!("{}{path}", sb.eta_url());

    // Without a token: 401.
    let r = http
        .get(url("/api/v1.0/codetypes/requests/my"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // The configured code is listed as approved and active, in ETA's shape.
    let v: Value = http
        .get(url(
            "/api/v1.0/codetypes/requests/my?Status=Approved&PageNumber=1&PageSize=10",
        ))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["metadata"]["totalCount"], 1, "{v}");
    let row = &v["result"][0];
    assert_eq!(row["itemCode"], format!("EG-{rin}-TEA-1"));
    assert_eq!(row["status"], "Approved");
    assert_eq!(row["active"], true);
    assert_eq!(row["ownerTaxpayer"]["rin"], rin.as_str());

    // Strict: Pn/Ps and filters the stand-in does not apply are refused, not ignored.
    for q in [
        "Pn=1",
        "Ps=10",
        "CodeName=tea",
        "PageSize=101",
        "Status=Pending",
    ] {
        let r = http
            .get(url(&format!("/api/v1.0/codetypes/requests/my?{q}")))
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{q}");
    }

    // A malformed request: every problem named by its property path; nothing filed.
    let bad = json!({"items": [{"codeType": "GS1", "parentCode": "12", "itemCode": "EG-999999999-X",
        "codeName": "", "codeNameAr": "شاي", "activeFrom": "yesterday"}]});
    let r = http
        .post(url("/api/v1.0/codetypes/requests/codes"))
        .bearer_auth(&tok)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    let paths: Vec<&str> = e["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["propertyPath"].as_str().unwrap())
        .collect();
    for p in [
        "items[0].codeType",
        "items[0].parentCode",
        "items[0].itemCode",
        "items[0].codeName",
        "items[0].activeFrom",
    ] {
        assert!(paths.contains(&p), "{p} in {paths:?}");
    }
    assert_eq!(sb.eta().code_requests().len(), 1);

    // A good one: 200 with an empty body, listed as Submitted; approved, it becomes active.
    let good = json!({"items": [{"codeType": "EGS", "parentCode": "10000115",
        "itemCode": format!("EG-{rin}-MUG-2"), "codeName": "Mug", "codeNameAr": "كوب",
        "activeFrom": "2026-01-01T00:00:00Z"}]});
    let r = http
        .post(url("/api/v1.0/codetypes/requests/codes"))
        .bearer_auth(&tok)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().is_empty());
    let mine = |q: String| {
        let http = http.clone();
        let tok = tok.clone();
        async move {
            http.get(q)
                .bearer_auth(&tok)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let v = mine(url(&format!(
        "/api/v1.0/codetypes/requests/my?ItemCode=EG-{rin}-MUG-2"
    )))
    .await;
    assert_eq!(v["result"][0]["status"], "Submitted", "{v}");
    assert_eq!(v["result"][0]["active"], false);
    assert!(
        sb.eta()
            .decide_code_request(&format!("EG-{rin}-MUG-2"), true)
    );
    let v = mine(url("/api/v1.0/codetypes/requests/my?Active=true")).await;
    assert_eq!(v["metadata"]["totalCount"], 2, "{v}");
    sb.shutdown().await;
}
