//! Verifies Shopify webhook deliveries in an axum handler: the HMAC of the raw body first,
//! then the headers, then the payload; a delivery that fails the check gets 401 and is never
//! acted on.
//!
//! ```sh
//! cargo run -p shopify-client --example verify_webhook
//! ```
//!
//! It serves `POST /webhooks/shopify` on loopback, then posts two deliveries to itself, one
//! signed with the app's secret and one not, and prints what the handler answered. In an app,
//! the secret is the app's client secret (or the webhook secret of a custom app), read from
//! the environment or a file, never from code.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use hmac::Mac;
use shopify_client::webhook::{WebhookDelivery, WebhookError, WebhookPayload};

struct App {
    secret: Vec<u8>,
}

async fn webhook(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    // Verify against the raw bytes, before any parsing.
    let delivery = match WebhookDelivery::verify(&headers, &body, &app.secret) {
        Ok(delivery) => delivery,
        Err(WebhookError::BadSignature | WebhookError::MissingHeader(_)) => {
            return StatusCode::UNAUTHORIZED;
        }
        Err(_) => return StatusCode::BAD_REQUEST,
    };
    match delivery.payload(&body) {
        Ok(WebhookPayload::Order(order)) => {
            // Answer fast and do the work later: queue the order id (deduplicated on the
            // event id), as the sync engine does.
            println!(
                "handler: {} for {} (event {:?})",
                delivery.topic, order.admin_graphql_api_id, delivery.event_id
            );
            StatusCode::OK
        }
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = b"the-app-client-secret".to_vec();
    let app = Router::new()
        .route("/webhooks/shopify", post(webhook))
        .with_state(Arc::new(App {
            secret: secret.clone(),
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/shopify", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let body = br##"{"id":1001,"admin_graphql_api_id":"gid://shopify/Order/1001","name":"#1001"}"##;
    let http = reqwest::Client::new();
    for (label, signature) in [
        ("signed with the secret", sign(&secret, body)),
        ("signed with another key", sign(b"someone-else", body)),
    ] {
        let answer = http
            .post(&url)
            .header("X-Shopify-Hmac-Sha256", signature)
            .header("X-Shopify-Topic", "orders/updated")
            .header("X-Shopify-Shop-Domain", "my-shop.myshopify.com")
            .header("X-Shopify-Event-Id", "event-1")
            .body(body.to_vec())
            .send()
            .await?;
        println!("{label}: {}", answer.status());
    }
    Ok(())
}
