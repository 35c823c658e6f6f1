//! Webhook subscriptions: create, list, delete.

mod common;

use common::*;
use serde_json::json;
use shopify_client::ops::webhooks::{WebhookSubscriptionTopic, engine_topics};

#[tokio::test]
async fn subscriptions_are_created_listed_and_deleted() {
    let server = server().await;
    op("WebhookSubscriptionCreate")
        .respond_with(json_fixture(
            &server,
            "webhook_subscription_create__ok.json",
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    op("WebhookSubscriptions")
        .respond_with(json_fixture(&server, "webhook_subscriptions__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("WebhookSubscriptionDelete")
        .respond_with(json_fixture(
            &server,
            "webhook_subscription_delete__ok.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let id = c
        .create_webhook_subscription(
            WebhookSubscriptionTopic::ORDERS_UPDATED,
            "https://erp-connector.example/webhooks/shopify",
        )
        .await
        .unwrap();
    assert_eq!(id, "gid://shopify/WebhookSubscription/18001");
    assert_eq!(
        variables_sent(&server, "WebhookSubscriptionCreate").await[0],
        json!({"topic": "ORDERS_UPDATED",
               "subscription": {"uri": "https://erp-connector.example/webhooks/shopify", "format": "JSON"}})
    );
    let all = c.all_webhook_subscriptions().await.unwrap();
    assert_eq!(all[0].uri, "https://erp-connector.example/webhooks/shopify");
    assert_eq!(
        c.delete_webhook_subscription(&id.parse().unwrap())
            .await
            .unwrap(),
        id
    );
    assert!(engine_topics().contains(&WebhookSubscriptionTopic::REFUNDS_CREATE));
    assert!(engine_topics().contains(&WebhookSubscriptionTopic::RETURNS_PROCESS));

    op("WebhookSubscriptionCreate")
        .respond_with(json_fixture(
            &server,
            "webhook_subscription_create__user_errors.json",
        ))
        .mount(&server)
        .await;
    let err = c
        .create_webhook_subscription(
            WebhookSubscriptionTopic::ORDERS_UPDATED,
            "https://erp-connector.example/webhooks/shopify",
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("Address for this topic has already been taken")
    );
}
