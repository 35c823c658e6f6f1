//! Signed webhook deliveries: duplicates, retries and delays.

use super::*;

#[tokio::test]
async fn webhook_deliveries_are_signed_and_can_be_duplicated() {
    let config = ShopifyConfig {
        webhooks: sandbox::shopify::WebhookOptions {
            duplicate_rate: 1.0,
            ..Default::default()
        },
        ..ShopifyConfig::default()
    };
    let secret = config.client_secret.clone();
    let shop = start(config).await;
    let (uri, mut rx) = receiver().await;
    subscribe(&shop, "ORDERS_CREATE", &uri).await;
    let list = shop
        .gql(
            "{ webhookSubscriptions(first: 10) { nodes { topic uri } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["webhookSubscriptions"]["nodes"][0]["uri"], uri);

    let ids = shop.state.generate_orders(2, &catalog(), 0.0, 0.0, 3);
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(
            tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .expect("a delivery")
                .unwrap(),
        );
    }
    let mut events = std::collections::HashMap::new();
    for (headers, body) in &got {
        // Independent HMAC-SHA256 over the raw body, keyed with the client secret.
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(header(headers, "x-shopify-hmac-sha256"), expected);
        assert_eq!(header(headers, "x-shopify-topic"), "orders/create");
        assert_eq!(
            header(headers, "x-shopify-shop-domain"),
            "sandbox-shop.myshopify.com"
        );
        assert_eq!(header(headers, "x-shopify-api-version"), VERSION);
        assert!(!header(headers, "x-shopify-webhook-id").is_empty());
        assert!(header(headers, "x-shopify-triggered-at").ends_with('Z'));
        let payload: Value = serde_json::from_slice(body).unwrap();
        assert!(
            ids.contains(
                &payload["admin_graphql_api_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            )
        );
        events
            .entry(header(headers, "x-shopify-event-id").to_string())
            .or_insert_with(Vec::new)
            .push(header(headers, "x-shopify-webhook-id").to_string());
    }
    // Two events, each delivered twice under one event id with two webhook ids.
    assert_eq!(events.len(), 2);
    for deliveries in events.values() {
        assert_eq!(deliveries.len(), 2);
        assert_ne!(deliveries[0], deliveries[1]);
    }

    // Deleting the subscription stops deliveries.
    let sub = shop
        .gql(
            "{ webhookSubscriptions(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let id = sub["webhookSubscriptions"]["nodes"][0]["id"].clone();
    let del = shop.gql("mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { message } } }", json!({"id": id})).await;
    assert_eq!(
        del["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"],
        id
    );
}

#[tokio::test]
async fn webhooks_are_retried_until_accepted_and_can_be_delayed() {
    let config = ShopifyConfig {
        webhooks: sandbox::shopify::WebhookOptions {
            max_delay_ms: 30,
            reorder: true,
            ..Default::default()
        },
        ..ShopifyConfig::default()
    };
    let shop = start(config).await;
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/flaky",
            post(
                |State((tx, calls)): State<(
                    mpsc::UnboundedSender<String>,
                    Arc<std::sync::atomic::AtomicUsize>,
                )>,
                 headers: HeaderMap| async move {
                    // The first attempt fails: the stand-in must retry.
                    if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let _ = tx.send(header(&headers, "x-shopify-topic").to_string());
                    axum::http::StatusCode::OK
                },
            ),
        )
        .with_state((tx, calls.clone()));
    let uri = format!("{}/flaky", serve(app).await);
    for topic in ["CUSTOMERS_CREATE", "REFUNDS_CREATE", "ORDERS_CANCELLED"] {
        subscribe(&shop, topic, &uri).await;
    }
    shop.state.generate_orders(6, &catalog(), 1.0, 0.5, 11);
    let dump = shop.state.dump();
    let cancelled = dump["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["cancelled"] == true)
        .count();
    let expected = dump["customers"].as_array().unwrap().len()
        + dump["refunds"].as_array().unwrap().len()
        + cancelled;
    let mut topics = Vec::new();
    while topics.len() < expected {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(t)) => topics.push(t),
            _ => break,
        }
    }
    assert_eq!(topics.len(), expected, "{topics:?}");
    assert!(topics.iter().any(|t| t == "customers/create"));
    assert!(topics.iter().any(|t| t == "refunds/create"));
    assert!(topics.iter().any(|t| t == "orders/cancelled"));
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        topics.len() + 1
    );
    // The stand-in counts a delivery once it has read the answer, just after the receiver.
    for _ in 0..100 {
        if shop.state.stats()["webhooks_sent"] == topics.len() as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(shop.state.stats()["webhooks_sent"], topics.len() as u64);
}
