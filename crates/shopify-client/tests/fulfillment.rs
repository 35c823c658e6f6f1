//! Fulfilment with tracking: order lines mapped to open fulfillment-order lines.

mod common;

use common::*;
use serde_json::json;
use shopify_client::ops::fulfillment::*;

fn request(lines: Vec<(String, i64)>) -> FulfillmentRequest {
    FulfillmentRequest {
        order_id: "gid://shopify/Order/5001".parse().unwrap(),
        lines: lines
            .into_iter()
            .map(|(line, quantity)| (line.parse().unwrap(), quantity))
            .collect(),
        tracking: Some(Tracking {
            company: Some("Aramex".into()),
            number: Some("AX123456789EG".into()),
            url: None,
        }),
        notify_customer: true,
    }
}

#[tokio::test]
async fn order_lines_are_fulfilled_through_their_fulfillment_orders() {
    let server = server().await;
    op("OrderFulfillmentOrders")
        .respond_with(json_fixture(&server, "order_fulfillment_orders__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("FulfillmentCreate")
        .respond_with(json_fixture(&server, "fulfillment_create__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let out = client(&server)
        .fulfill(&request(vec![("gid://shopify/LineItem/11001".into(), 1)]))
        .await
        .unwrap();
    assert_eq!(out.id, "gid://shopify/Fulfillment/17001");
    assert_eq!(out.status, "SUCCESS");
    let sent = &variables_sent(&server, "FulfillmentCreate").await[0]["fulfillment"];
    assert_eq!(
        sent["lineItemsByFulfillmentOrder"],
        json!([{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/15001",
                "fulfillmentOrderLineItems": [{"id": "gid://shopify/FulfillmentOrderLineItem/16001", "quantity": 1}]}])
    );
    assert_eq!(
        sent["trackingInfo"],
        json!({"company": "Aramex", "number": "AX123456789EG"})
    );
    assert_eq!(sent["notifyCustomer"], true);
}

#[tokio::test]
async fn asking_for_more_than_is_open_is_refused_and_user_errors_are_typed() {
    let server = server().await;
    op("OrderFulfillmentOrders")
        .respond_with(json_fixture(&server, "order_fulfillment_orders__ok.json"))
        .mount(&server)
        .await;
    op("FulfillmentCreate")
        .respond_with(json_fixture(
            &server,
            "fulfillment_create__user_errors.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c
        .fulfill(&request(vec![("gid://shopify/LineItem/11001".into(), 3)]))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "lines[0]: line gid://shopify/LineItem/11001 has 1 fewer open units than the 3 asked"
    );
    // Everything open (the closed fulfillment order is skipped).
    let err = c.fulfill(&request(vec![])).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "FulfillmentCreate: refused: fulfillment.lineItemsByFulfillmentOrder: Fulfillment order is closed."
    );
    let sent = &variables_sent(&server, "FulfillmentCreate").await[0]["fulfillment"];
    assert_eq!(
        sent["lineItemsByFulfillmentOrder"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
