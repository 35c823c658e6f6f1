//! The Shopify stand-in over real HTTP on loopback: products, inventory, cost and throttling,
//! orders paging, webhooks, tokens, staged uploads, bulk operations and faults.
//!
//! One test binary; the tests are in a module per topic, the shared helpers here.

mod bulk;
mod media;
mod orders;
mod products;
mod protocol;
mod returns;
mod v2026_10;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use sandbox::faults::{FaultRates, Faults};
use sandbox::shopify::{CatalogEntry, ShopifyConfig, ShopifyState, router};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

const VERSION: &str = "2026-01";

struct Shop {
    base: String,
    state: Arc<ShopifyState>,
    http: reqwest::Client,
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

async fn start_with(config: ShopifyConfig, faults: Faults) -> Shop {
    let state = ShopifyState::new(config);
    let base = serve(router(state.clone(), Arc::new(faults))).await;
    Shop {
        base,
        state,
        http: reqwest::Client::new(),
    }
}

async fn start(config: ShopifyConfig) -> Shop {
    start_with(config, Faults::none()).await
}

impl Shop {
    fn url(&self) -> String {
        format!("{}/admin/api/{VERSION}/graphql.json", self.base)
    }

    async fn raw(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> (reqwest::StatusCode, Value) {
        let r = self
            .http
            .post(self.url())
            .header("X-Shopify-Access-Token", token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap())
    }

    /// Posts a request to the endpoint of an API `version` with the static token; returns
    /// the status, the `X-Shopify-API-Version` header and the body.
    async fn at(&self, version: &str, query: &str, variables: Value) -> (u16, String, Value) {
        let r = self
            .http
            .post(format!("{}/admin/api/{version}/graphql.json", self.base))
            .header("X-Shopify-Access-Token", &self.state.config().access_token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let served = r
            .headers()
            .get("x-shopify-api-version")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = r.json().await.unwrap_or(Value::Null);
        (status, served, body)
    }

    /// Like [`Shop::gql`], at an API `version`.
    async fn gql_at(&self, version: &str, query: &str, variables: Value) -> Value {
        let (status, _, body) = self.at(version, query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Runs a request that must succeed without GraphQL errors; returns `data`.
    async fn gql(&self, query: &str, variables: Value) -> Value {
        let token = self.state.config().access_token.clone();
        let (status, body) = self.raw(&token, query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

const PRODUCT_SET: &str = r#"
mutation Upsert($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id handle title status variants(first: 10) { nodes { id sku price compareAtPrice inventoryItem { id } selectedOptions { name value } } } }
    userErrors { field message code }
  }
}"#;

fn tee_input(title: &str, location: &str, colours: &[(&str, &str, &str)]) -> Value {
    json!({
        "title": title,
        "status": "ACTIVE",
        "productOptions": [{"name": "Color", "values": colours.iter().map(|(c, _, _)| json!({"name": c})).collect::<Vec<_>>()}],
        "variants": colours.iter().map(|(c, sku, price)| json!({
            "optionValues": [{"optionName": "Color", "name": c}],
            "sku": sku,
            "price": price,
            "inventoryQuantities": [{"locationId": location, "name": "available", "quantity": 5}],
        })).collect::<Vec<_>>(),
    })
}

fn catalog() -> Vec<CatalogEntry> {
    (1..=5)
        .map(|i| CatalogEntry {
            sku: format!("SKU-{i}"),
            title: format!("Item {i}"),
            price: Decimal::new(10_000 + i * 2_550, 2),
        })
        .collect()
}

type Received = (HeaderMap, axum::body::Bytes);

async fn receiver() -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel::<Received>();
    let app = axum::Router::new()
        .route(
            "/hooks",
            post(
                |State(tx): State<mpsc::UnboundedSender<Received>>,
                 headers: HeaderMap,
                 body: axum::body::Bytes| async move {
                    let _ = tx.send((headers, body));
                    "ok"
                },
            ),
        )
        .with_state(tx);
    (format!("{}/hooks", serve(app).await), rx)
}

async fn subscribe(shop: &Shop, topic: &str, uri: &str) {
    let d = shop
        .gql(
            "mutation($t: WebhookSubscriptionTopic!, $s: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: $s) { webhookSubscription { id topic uri } userErrors { message } } }",
            json!({"t": topic, "s": {"uri": uri, "format": "JSON"}}),
        )
        .await;
    assert_eq!(d["webhookSubscriptionCreate"]["userErrors"], json!([]));
    assert_eq!(
        d["webhookSubscriptionCreate"]["webhookSubscription"]["topic"],
        topic
    );
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name} missing"))
}
