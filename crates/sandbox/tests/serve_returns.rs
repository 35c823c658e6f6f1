//! The admin hook that creates Shopify returns: `POST /__admin/shopify/returns`.

use sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

#[tokio::test]
async fn the_admin_hook_creates_and_processes_a_pos_return() {
    let sb = Sandbox::start(SandboxConfig {
        seed: 5,
        catalog_groups: 2,
        orders: 6,
        refund_rate: 0.0,
        cancel_rate: 0.0,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/__admin/shopify/returns", sb.shopify_url());
    let order = sb.dump()["shopify"]["orders"][0].clone();
    let line = order["lines"][0].clone();
    let body = json!({
        "order_id": order["id"],
        "source": "pos",
        "lines": [{"line_item_id": line["id"], "quantity": 1, "reason": "DEFECTIVE"}],
        "fulfill": true,
        "process": true,
    });
    let r = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let made: Value = r.json().await.unwrap();
    assert_eq!(made["status"], "CLOSED");
    assert!(
        made["refund_id"]
            .as_str()
            .unwrap()
            .starts_with("gid://shopify/Refund/")
    );
    let dump = sb.dump();
    let ret = &dump["shopify"]["returns"][0];
    assert_eq!(ret["id"], made["return_id"]);
    assert_eq!(ret["source"], "pos");
    assert_eq!(ret["lines"][0]["processed"], 1);
    let o = dump["shopify"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == order["id"])
        .unwrap();
    assert!(
        o["refund_ids"]
            .as_array()
            .unwrap()
            .contains(&made["refund_id"])
    );
    assert_eq!(o["financial_status"], "PARTIALLY_REFUNDED");

    // The same unit again: nothing left to return. A bad body; an unknown order.
    let r = http.post(&url).json(&body).send().await.unwrap();
    if line["quantity"] == 1 {
        assert_eq!(r.status(), 422);
    }
    let r = http.post(&url).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .post(&url)
        .json(&json!({"order_id": "gid://shopify/Order/999999", "lines": [{"line_item_id": line["id"], "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("order_id"));
    sb.shutdown().await;
}
