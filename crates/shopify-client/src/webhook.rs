//! Webhook deliveries: verify the HMAC over the raw body, read the headers, parse the payload.
//!
//! Shopify signs each delivery with `base64(HMAC-SHA256(app client secret, raw body))` in
//! `X-Shopify-Hmac-Sha256`. Verify **before** parsing, over the exact bytes received (not a
//! re-serialised JSON). Header names are matched case-insensitively, and both the classic
//! `X-Shopify-*` names and the un-prefixed `shopify-*` names of event deliveries are read.
//! Deliveries repeat (8 retries over 4 hours) and arrive out of order: dedupe on
//! [`WebhookDelivery::event_id`], and treat a delivery as a hint to re-read the resource.
//! Sources: <https://shopify.dev/docs/apps/build/webhooks/subscribe/https>,
//! <https://shopify.dev/docs/apps/build/webhooks/ignore-duplicates>.
//!
//! ```
//! use shopify_client::webhook::{verify_hmac, WebhookDelivery};
//!
//! // Published vector (Shopify/shopify-app-js validate.test.ts).
//! let body = br#"{"foo": "bar"}"#;
//! assert!(verify_hmac(b"test_secret_key", body, "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="));
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header is absent.
    #[error("webhook header {0} is missing")]
    MissingHeader(&'static str),
    /// A header value is not what the rule says.
    #[error("webhook header {header}: {rule}")]
    BadHeader {
        /// The header.
        header: &'static str,
        /// The rule it breaks.
        rule: String,
    },
    /// The HMAC does not match the body: not from Shopify, or altered, or the wrong secret.
    #[error("webhook HMAC does not match the body")]
    BadSignature,
    /// The payload is not the expected JSON.
    #[error("webhook payload for topic {topic}: unexpected JSON")]
    Payload {
        /// The topic.
        topic: String,
        /// The cause, with the JSON path.
        #[source]
        source: serde_path_to_error::Error<serde_json::Error>,
    },
}

/// `true` when `signature_b64` is the base64 HMAC-SHA256 of `body` keyed by `secret`
/// (compared in constant time).
pub fn verify_hmac(secret: &[u8], body: &[u8], signature_b64: &str) -> bool {
    let Ok(given) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    expected.len() == given.len() && bool::from(expected.as_slice().ct_eq(&given))
}

/// The base64 HMAC-SHA256 of `body` keyed by `secret` (what Shopify sends); for tests and
/// local stand-ins.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mac = Hmac::<Sha256>::new_from_slice(secret).map(|mut mac| {
        mac.update(body);
        mac.finalize().into_bytes()
    });
    // HMAC accepts keys of any length, so the error arm is unreachable.
    mac.map(|m| STANDARD.encode(m)).unwrap_or_default()
}

/// The metadata of one delivery, read from its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// `X-Shopify-Topic`, e.g. `orders/updated`.
    pub topic: String,
    /// `X-Shopify-Shop-Domain`.
    pub shop_domain: String,
    /// `X-Shopify-Webhook-Id` (one per delivery attempt series of a subscription).
    pub webhook_id: Option<String>,
    /// `X-Shopify-Event-Id`: the same value means the same event; dedupe on it.
    pub event_id: Option<String>,
    /// `X-Shopify-Triggered-At`: when the event happened (staleness check).
    pub triggered_at: Option<DateTime<Utc>>,
    /// `X-Shopify-API-Version` of the payload.
    pub api_version: Option<String>,
}

fn header<'h>(headers: &'h http::HeaderMap, names: &[&'static str]) -> Option<&'h str> {
    // http::HeaderMap names are case-insensitive (stored lowercase).
    names
        .iter()
        .find_map(|n| headers.get(*n))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

impl WebhookDelivery {
    /// Verifies the delivery's HMAC with the app's client `secret` and reads its headers.
    ///
    /// # Errors
    ///
    /// [`WebhookError::MissingHeader`] for a missing HMAC, topic or shop header,
    /// [`WebhookError::BadSignature`] when the HMAC does not match, and
    /// [`WebhookError::BadHeader`] for an unreadable `Triggered-At`.
    pub fn verify(
        headers: &http::HeaderMap,
        body: &[u8],
        secret: &[u8],
    ) -> Result<Self, WebhookError> {
        let signature = header(headers, &["x-shopify-hmac-sha256", "shopify-hmac-sha256"])
            .ok_or(WebhookError::MissingHeader("X-Shopify-Hmac-Sha256"))?;
        if !verify_hmac(secret, body, signature) {
            return Err(WebhookError::BadSignature);
        }
        Self::from_headers(headers)
    }

    /// Reads the headers without checking the HMAC (use [`WebhookDelivery::verify`] for
    /// anything received from the network).
    ///
    /// # Errors
    ///
    /// As [`WebhookDelivery::verify`], minus the signature.
    pub fn from_headers(headers: &http::HeaderMap) -> Result<Self, WebhookError> {
        let topic = header(headers, &["x-shopify-topic", "shopify-topic"])
            .ok_or(WebhookError::MissingHeader("X-Shopify-Topic"))?;
        let shop = header(headers, &["x-shopify-shop-domain", "shopify-shop-domain"])
            .ok_or(WebhookError::MissingHeader("X-Shopify-Shop-Domain"))?;
        let triggered_at =
            match header(headers, &["x-shopify-triggered-at", "shopify-triggered-at"]) {
                None => None,
                Some(text) => Some(
                    DateTime::parse_from_rfc3339(text)
                        .map_err(|e| WebhookError::BadHeader {
                            header: "X-Shopify-Triggered-At",
                            rule: format!("expected an RFC 3339 time, got {text:?} ({e})"),
                        })?
                        .with_timezone(&Utc),
                ),
            };
        let text = |names: &[&'static str]| header(headers, names).map(str::to_owned);
        Ok(WebhookDelivery {
            topic: topic.to_owned(),
            shop_domain: shop.to_owned(),
            webhook_id: text(&["x-shopify-webhook-id", "shopify-webhook-id"]),
            event_id: text(&["x-shopify-event-id", "shopify-event-id"]),
            triggered_at,
            api_version: text(&["x-shopify-api-version", "shopify-api-version"]),
        })
    }

    /// Parses the body as `T` (for example [`OrderPayload`]).
    ///
    /// # Errors
    ///
    /// [`WebhookError::Payload`] with the JSON path that failed.
    pub fn parse<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, WebhookError> {
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body)).map_err(
            |source| WebhookError::Payload {
                topic: self.topic.clone(),
                source,
            },
        )
    }

    /// Parses the body into the typed payload of its topic.
    ///
    /// # Errors
    ///
    /// As [`WebhookDelivery::parse`].
    pub fn payload(&self, body: &[u8]) -> Result<WebhookPayload, WebhookError> {
        Ok(match self.topic.as_str() {
            t if t.starts_with("orders/") => WebhookPayload::Order(self.parse(body)?),
            "refunds/create" => WebhookPayload::Refund(self.parse(body)?),
            t if t.starts_with("returns/") => WebhookPayload::Return(self.parse(body)?),
            t if t.starts_with("customers/") => WebhookPayload::Customer(self.parse(body)?),
            t if t.starts_with("products/") => WebhookPayload::Product(self.parse(body)?),
            t if t.starts_with("inventory_levels/") => {
                WebhookPayload::InventoryLevel(self.parse(body)?)
            }
            "bulk_operations/finish" => WebhookPayload::BulkOperation(self.parse(body)?),
            "app/uninstalled" => WebhookPayload::AppUninstalled(self.parse(body)?),
            _ => WebhookPayload::Other(self.parse(body)?),
        })
    }
}

/// The typed payload of a delivery. Webhooks are hints: the payloads keep the identifiers
/// and timestamps needed to schedule a re-read through the API.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookPayload {
    /// `orders/*`.
    Order(OrderPayload),
    /// `refunds/create`.
    Refund(RefundPayload),
    /// `returns/*` (request, approve, process, close, …).
    Return(ReturnPayload),
    /// `customers/*`.
    Customer(ResourcePayload),
    /// `products/*`.
    Product(ResourcePayload),
    /// `inventory_levels/*`.
    InventoryLevel(InventoryLevelPayload),
    /// `bulk_operations/finish`.
    BulkOperation(BulkOperationPayload),
    /// `app/uninstalled`.
    AppUninstalled(ResourcePayload),
    /// Any other topic, as JSON.
    Other(serde_json::Value),
}

/// An `orders/*` payload (REST-shaped JSON).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OrderPayload {
    /// Numeric id.
    pub id: u64,
    /// GraphQL id (`gid://shopify/Order/…`).
    pub admin_graphql_api_id: String,
    /// Order name (`#1001`).
    #[serde(default)]
    pub name: Option<String>,
    /// Last update.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Cancellation time.
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Financial status (`paid`, `refunded` …).
    #[serde(default)]
    pub financial_status: Option<String>,
}

/// A `refunds/create` payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RefundPayload {
    /// Numeric id.
    pub id: u64,
    /// GraphQL id (`gid://shopify/Refund/…`).
    pub admin_graphql_api_id: String,
    /// The order's numeric id.
    pub order_id: u64,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// A `returns/*` payload: the return and its order (re-read the `Return` for the truth).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReturnPayload {
    /// Numeric id.
    pub id: u64,
    /// GraphQL id (`gid://shopify/Return/…`).
    pub admin_graphql_api_id: String,
    /// The order's numeric id, when the payload carries it flat.
    #[serde(default)]
    pub order_id: Option<u64>,
    /// The order, when the payload carries it as an object (`{"id": …}`).
    #[serde(default)]
    pub order: Option<ReturnOrderRef>,
    /// The return's status (`requested`, `open`, `closed`, …).
    #[serde(default)]
    pub status: Option<String>,
}

/// The order a `returns/*` payload names.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReturnOrderRef {
    /// Numeric id.
    pub id: u64,
}

impl ReturnPayload {
    /// The order's GraphQL id (`gid://shopify/Order/…`), whichever way the payload names it.
    pub fn order_gid(&self) -> Option<String> {
        self.order_id
            .or(self.order.as_ref().map(|o| o.id))
            .map(|id| format!("gid://shopify/Order/{id}"))
    }
}

/// A payload of which only the identity matters (customers, products, app).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResourcePayload {
    /// Numeric id.
    #[serde(default)]
    pub id: Option<u64>,
    /// GraphQL id, when the payload has one.
    #[serde(default)]
    pub admin_graphql_api_id: Option<String>,
    /// Last update.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// An `inventory_levels/*` payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InventoryLevelPayload {
    /// The inventory item's numeric id.
    pub inventory_item_id: u64,
    /// The location's numeric id.
    pub location_id: u64,
    /// Available quantity.
    #[serde(default)]
    pub available: Option<i64>,
    /// Last update.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A `bulk_operations/finish` payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BulkOperationPayload {
    /// GraphQL id of the bulk operation.
    pub admin_graphql_api_id: String,
    /// `completed`, `failed`, `canceled` …
    pub status: String,
    /// Error code when it failed.
    #[serde(default)]
    pub error_code: Option<String>,
    /// `query` or `mutation`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_vectors_pass() {
        // Shopify/shopify-app-js @ ef2043d4, lib/webhooks/__tests__/validate.test.ts.
        assert!(verify_hmac(
            b"test_secret_key",
            br#"{"foo": "bar"}"#,
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
        ));
        // Shopify/shopify-api-php @ 3c41a5e1, tests/Webhooks/RegistryTest.php.
        assert!(verify_hmac(
            b"7008c5f4da4718b9b45d26d3fcbbb157",
            br#"{"foo":"bar"}"#,
            "+R9TwYM4mbLTk3hEAOBkpA7zW2lc9vNFmVKs2u2jtyY="
        ));
        assert_eq!(
            sign(b"test_secret_key", br#"{"foo": "bar"}"#),
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
        );
    }

    #[test]
    fn altered_bodies_wrong_secrets_and_garbage_fail() {
        let sig = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=";
        assert!(!verify_hmac(b"test_secret_key", br#"{"foo":"bar"}"#, sig));
        assert!(!verify_hmac(b"other", br#"{"foo": "bar"}"#, sig));
        assert!(!verify_hmac(
            b"test_secret_key",
            br#"{"foo": "bar"}"#,
            "not base64!"
        ));
        assert!(!verify_hmac(
            b"test_secret_key",
            br#"{"foo": "bar"}"#,
            "AAAA"
        ));
    }

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn headers_are_read_case_insensitively_and_payloads_are_typed() {
        let body = br##"{"id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508", "name": "#1001", "updated_at": "2026-01-10T12:00:00-05:00", "financial_status": "paid"}"##;
        let h = headers(&[
            ("X-SHOPIFY-HMAC-SHA256", &sign(b"s3cret", body)),
            ("x-shopify-topic", "orders/updated"),
            ("X-Shopify-Shop-Domain", "demo.myshopify.com"),
            (
                "X-Shopify-Webhook-Id",
                "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            ),
            ("x-shopify-event-id", "98880550-7158-44d4-b7cd-2c97c8a091b5"),
            ("X-Shopify-Triggered-At", "2026-01-10T17:00:00.123Z"),
            ("X-Shopify-API-Version", "2026-01"),
        ]);
        let d = WebhookDelivery::verify(&h, body, b"s3cret").unwrap();
        assert_eq!(d.topic, "orders/updated");
        assert_eq!(d.shop_domain, "demo.myshopify.com");
        assert_eq!(
            d.event_id.as_deref(),
            Some("98880550-7158-44d4-b7cd-2c97c8a091b5")
        );
        assert_eq!(d.api_version.as_deref(), Some("2026-01"));
        assert_eq!(
            d.triggered_at.unwrap().to_rfc3339(),
            "2026-01-10T17:00:00.123+00:00"
        );
        let WebhookPayload::Order(order) = d.payload(body).unwrap() else {
            panic!("orders/updated is an order payload");
        };
        assert_eq!(order.id, 820982911946154508);
        assert_eq!(order.financial_status.as_deref(), Some("paid"));
        assert!(matches!(
            WebhookDelivery::verify(&h, body, b"wrong"),
            Err(WebhookError::BadSignature)
        ));
    }

    #[test]
    fn missing_headers_and_bad_payloads_are_named() {
        let body = b"{}";
        let h = headers(&[("shopify-hmac-sha256", &sign(b"k", body))]);
        let err = WebhookDelivery::verify(&h, body, b"k").unwrap_err();
        assert_eq!(err.to_string(), "webhook header X-Shopify-Topic is missing");
        let h = headers(&[
            ("shopify-hmac-sha256", &sign(b"k", body)),
            ("shopify-topic", "refunds/create"),
            ("shopify-shop-domain", "demo.myshopify.com"),
            ("shopify-triggered-at", "yesterday"),
        ]);
        let err = WebhookDelivery::verify(&h, body, b"k").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("webhook header X-Shopify-Triggered-At")
        );
        let h = headers(&[
            ("shopify-topic", "refunds/create"),
            ("shopify-shop-domain", "demo.myshopify.com"),
        ]);
        let d = WebhookDelivery::from_headers(&h).unwrap();
        let err = d.payload(br#"{"id": "x"}"#).unwrap_err();
        let WebhookError::Payload { source, .. } = err else {
            panic!("payload error expected");
        };
        assert_eq!(source.path().to_string(), "id");
    }

    #[test]
    fn return_payloads_name_their_order_flat_or_nested() {
        let h = headers(&[
            ("shopify-topic", "returns/process"),
            ("shopify-shop-domain", "demo.myshopify.com"),
        ]);
        let d = WebhookDelivery::from_headers(&h).unwrap();
        let flat = br#"{"id": 9, "admin_graphql_api_id": "gid://shopify/Return/9", "order_id": 77, "status": "open"}"#;
        let WebhookPayload::Return(r) = d.payload(flat).unwrap() else {
            panic!("a return payload expected");
        };
        assert_eq!(r.order_gid().as_deref(), Some("gid://shopify/Order/77"));
        let nested =
            br#"{"id": 9, "admin_graphql_api_id": "gid://shopify/Return/9", "order": {"id": 78}}"#;
        let WebhookPayload::Return(r) = d.payload(nested).unwrap() else {
            panic!("a return payload expected");
        };
        assert_eq!(r.order_gid().as_deref(), Some("gid://shopify/Order/78"));
    }
}
