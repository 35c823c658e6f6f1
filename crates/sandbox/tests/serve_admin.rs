//! The admin endpoints every server answers, and the order generator.

use sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

#[tokio::test]
async fn admin_dump_stats_and_run_time_order_generation() {
    let sb = Sandbox::start(SandboxConfig {
        seed: 3,
        catalog_groups: 2,
        orders: 5,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    // The same dump from each of the three servers.
    for base in [sb.shopify_url(), sb.flow_url(), sb.eta_url()] {
        let dump: Value = http
            .get(format!("{base}/__admin/dump"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let orders = dump["shopify"]["orders"].as_array().unwrap();
        assert_eq!(orders.len(), 5);
        for o in orders {
            assert!(
                o["id"]
                    .as_str()
                    .unwrap()
                    .starts_with("gid://shopify/Order/")
            );
            assert!(o["name"].is_string());
            assert!(o["cancelled"].is_boolean());
        }
        for key in ["sales_documents", "returns", "stock"] {
            assert!(dump["flow"][key].is_array(), "flow.{key}");
        }
        assert!(dump["eta"]["receipts"].is_array());
    }

    // Generate more orders at run time.
    let resp = http
        .post(format!("{}/__admin/shopify/orders?n=3", sb.flow_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["generated"], 3);
    assert_eq!(sb.dump()["shopify"]["orders"].as_array().unwrap().len(), 8);
    let bad = http
        .post(format!("{}/__admin/shopify/orders?n=0", sb.flow_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // Requests are counted per service; admin calls are not.
    http.get(format!("{}/api/POSCMD/GETITM/-1", sb.flow_url()))
        .send()
        .await
        .unwrap();
    let stats: Value = http
        .get(format!("{}/__admin/stats", sb.eta_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["flow"], 1);
    assert_eq!(stats["requests"]["eta"], 0);
    assert_eq!(stats["flow"]["rejected_keys"], 1);
    assert!(stats["cost_spent"].is_number());
    assert!(stats["throttled"]["shopify"].is_number());
    sb.shutdown().await;
}

#[tokio::test]
async fn a_bad_configuration_names_the_field() {
    let err = Sandbox::start(SandboxConfig {
        refund_rate: 1.5,
        ..SandboxConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("`refund_rate`"), "{err}");
    let err = Sandbox::start(SandboxConfig {
        catalog_groups: 0,
        ..SandboxConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("`catalog_groups`"), "{err}");
}

#[test]
fn debug_output_hides_the_secrets() {
    let config = SandboxConfig::default();
    let text = format!("{config:?}");
    assert!(!text.contains(&config.flow.pass));
    assert!(!text.contains(&config.eta.client_secret));
    assert!(!text.contains(&config.eta.devices[0].preshared_key));
    assert!(text.contains("[redacted]"));
}

#[tokio::test]
async fn admin_can_move_flow_stock_and_hold_items() {
    let sb = Sandbox::start(SandboxConfig {
        catalog_groups: 1,
        orders: 0,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let sku = sb.flow().catalog_items()[0].sku.clone();
    let post = |path: &str, body: serde_json::Value| {
        let req = http.post(format!("{}{path}", sb.flow_url())).json(&body);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        post(
            "/__admin/flow/stock",
            serde_json::json!({"sku": sku, "store": 2, "qty": 77})
        )
        .await,
        200
    );
    assert_eq!(
        post(
            "/__admin/flow/item",
            serde_json::json!({"sku": sku, "sts": "H", "price": "123.50"})
        )
        .await,
        200
    );
    let dump = sb.dump();
    let stock = dump["flow"]["stock"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == sku.as_str() && r["store"] == 2)
        .unwrap()
        .clone();
    assert_eq!(stock["qty"], 77);
    let item = dump["flow"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["sku"] == sku.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["sts"], "H");
    assert_eq!(item["price"], 123.5);
    assert!(
        !sb.flow().catalog_items().iter().any(|i| i.sku == sku),
        "held items are not sold"
    );
    assert_eq!(
        post(
            "/__admin/flow/stock",
            serde_json::json!({"sku": "nope", "store": 1, "qty": 1})
        )
        .await,
        400
    );
    assert_eq!(
        post(
            "/__admin/flow/item",
            serde_json::json!({"sku": sku, "sts": "X"})
        )
        .await,
        400
    );
    sb.shutdown().await;
}
