//! Orders (incremental pull, by id), refunds, customers (incremental, by id).

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use futures::TryStreamExt;
use rust_decimal_macros::dec;
use shopify_client::ops::enum_text;
use shopify_client::ops::orders::OrderPull;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn order_changes_are_read_as_ids_and_change_times_by_update_order() {
    let server = server().await;
    op("OrderChanges")
        .respond_with(json_fixture(&server, "order_changes__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .order_changes_page(
            Some("updated_at:>='2026-01-10T09:00:00Z'".into()),
            None,
            250,
        )
        .await
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        ["gid://shopify/Order/5001", "gid://shopify/Order/5002"]
    );
    assert_eq!(
        page.items[1].updated_at,
        Utc.with_ymd_and_hms(2026, 1, 10, 11, 0, 0).unwrap()
    );
    assert!(page.has_next_page);
    assert_eq!(page.end_cursor.as_deref(), Some("eyJsYXN0X2lkIjo1MDAyfQ=="));
    let sent = variables_sent(&server, "OrderChanges").await;
    assert_eq!(sent[0]["query"], "updated_at:>='2026-01-10T09:00:00Z'");
    assert_eq!(sent[0]["first"], 250);
    let doc: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert!(
        doc["query"]
            .as_str()
            .unwrap()
            .contains("sortKey: UPDATED_AT")
    );
}

#[tokio::test]
async fn an_order_changes_page_size_outside_1_to_250_is_refused_before_sending() {
    let server = server().await;
    for size in [0, 251] {
        let err = client(&server)
            .order_changes_page(None, None, size)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("page_size"), "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn orders_are_pulled_incrementally_with_overlap_and_updated_at_sort() {
    let server = server().await;
    op("Orders")
        .respond_with(json_fixture(&server, "orders__page1.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("Orders")
        .and(wiremock::matchers::body_partial_json(
            serde_json::json!({"variables": {"after": "eyJsYXN0X2lkIjo1MDAxfQ=="}}),
        ))
        .respond_with(json_fixture(&server, "orders__page2.json"))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    let since = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
    let orders: Vec<_> = client(&server)
        .orders_updated_since(since, OrderPull::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(orders.len(), 2);
    let sent = variables_sent(&server, "Orders").await;
    assert_eq!(sent[0]["query"], "updated_at:>='2026-01-10T08:55:00Z'");
    assert_eq!(sent[0]["first"], 3);
    assert_eq!(sent[0]["buyerIdNamespace"], "custom");
    assert_eq!(sent[0]["buyerIdKey"], "eta_buyer_id");
    assert_eq!(sent[0]["lines"], 5);
    let doc: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert!(
        doc["query"]
            .as_str()
            .unwrap()
            .contains("sortKey: UPDATED_AT")
    );

    let o = &orders[0];
    assert_eq!(o.name, "#1");
    assert!(o.taxes_included);
    assert_eq!(o.payment_gateway_names, ["cash_on_delivery"]);
    assert_eq!(
        enum_text(o.display_financial_status.as_ref().unwrap()),
        "PAID"
    );
    let line = &o.line_items.nodes[0];
    assert_eq!(line.sku.as_deref(), Some("SHIRT-M"));
    assert_eq!(line.original_unit_price_set.shop_money.amount, dec!(450.00));
    assert_eq!(
        line.discount_allocations[0]
            .allocated_amount_set
            .shop_money
            .amount,
        dec!(90.00)
    );
    assert_eq!(line.tax_lines[0].rate, Some(0.14));
    let shipping = &o.shipping_lines.nodes[0];
    assert_eq!(
        shipping.tax_lines[0].price_set.shop_money.amount,
        dec!(6.14)
    );
    assert_eq!(
        o.transactions[0].gateway.as_deref(),
        Some("cash_on_delivery")
    );
    assert_eq!(
        o.shipping_address.as_ref().unwrap().city.as_deref(),
        Some("Cairo")
    );
    assert_eq!(orders[1].refunds[0].id, "gid://shopify/Refund/14001");
}

#[tokio::test]
async fn one_order_by_id_reads_the_same_fields_and_cancellation() {
    let server = server().await;
    op("Order")
        .respond_with(json_fixture(&server, "order__ok.json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let o = c
        .order(&"gid://shopify/Order/5001".parse().unwrap(), 250)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        o.cancelled_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 11, 8, 0, 0).unwrap())
    );
    assert_eq!(enum_text(o.cancel_reason.as_ref().unwrap()), "CUSTOMER");
    op("Order")
        .respond_with(json_fixture(&server, "order__missing.json"))
        .mount(&server)
        .await;
    assert!(
        c.order(&"gid://shopify/Order/404".parse().unwrap(), 10)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        c.order(&"gid://shopify/Order/1".parse().unwrap(), 0)
            .await
            .unwrap_err()
            .to_string(),
        "lines: must be between 1 and 250, got 0"
    );
}

#[tokio::test]
async fn a_refund_is_its_own_record_with_lines() {
    let server = server().await;
    op("Refund")
        .respond_with(json_fixture(&server, "refund__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let r = client(&server)
        .refund(&"gid://shopify/Refund/14001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.order.id, "gid://shopify/Order/5002");
    let line = &r.refund_line_items.nodes[0];
    assert_eq!(line.quantity, 1);
    assert_eq!(line.line_item.sku.as_deref(), Some("SHIRT-M"));
    assert_eq!(line.total_tax_set.shop_money.amount, dec!(49.74));
    assert_eq!(enum_text(&line.restock_type), "RETURN");
}

#[tokio::test]
async fn customers_are_pulled_incrementally_and_read_by_id() {
    let server = server().await;
    op("Customers")
        .respond_with(json_fixture(&server, "customers__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("Customer")
        .respond_with(json_fixture(&server, "customer__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let since = Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap();
    let all: Vec<_> = c
        .customers_updated_since(since, std::time::Duration::ZERO, 100)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].number_of_orders.0, 3);
    assert_eq!(
        variables_sent(&server, "Customers").await[0]["query"],
        "updated_at:>='2026-01-10T00:00:00Z'"
    );
    let one = c
        .customer(&"gid://shopify/Customer/6001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        one.default_email_address.unwrap().email_address,
        "customer@example.com"
    );
}

#[tokio::test]
async fn a_failing_page_ends_the_stream_with_the_error() {
    let server = server().await;
    op("Orders")
        .respond_with(json_fixture(&server, "orders__page1.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("Orders")
        .and(wiremock::matchers::body_partial_json(
            serde_json::json!({"variables": {"after": "eyJsYXN0X2lkIjo1MDAxfQ=="}}),
        ))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .expect(4)
        .mount(&server)
        .await;
    let results: Vec<_> = futures::StreamExt::collect(
        client(&server).orders_updated_since(Utc::now(), OrderPull::default()),
    )
    .await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().status(), Some(500));
}

#[tokio::test]
async fn the_rest_of_a_long_order_is_read_by_line_cursor() {
    let server = server().await;
    op("OrderLines")
        .and(wiremock::matchers::body_partial_json(
            serde_json::json!({"variables": {"id": "gid://shopify/Order/5001", "after": "bGluZS0x", "first": 32}}),
        ))
        .respond_with(json_fixture(&server, "order_lines__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let text = fixture(&server, "orders__page1.json");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut order: shopify_client::ops::orders::Order =
        serde_json::from_value(v["data"]["orders"]["nodes"][0].clone()).unwrap();
    order.line_items.page_info.has_next_page = true;
    order.line_items.page_info.end_cursor = Some("bGluZS0x".into());
    client(&server)
        .complete_order_lines(&mut order)
        .await
        .unwrap();
    let skus: Vec<_> = order
        .line_items
        .nodes
        .iter()
        .map(|l| l.sku.clone().unwrap())
        .collect();
    assert_eq!(skus, ["SHIRT-M", "SHIRT-L"]);
    assert!(!order.line_items.page_info.has_next_page);
}
