//! Signed webhook deliveries to the subscriptions' URIs.
//!
//! Each delivery is a JSON POST whose `X-Shopify-Hmac-Sha256` header is the base64
//! HMAC-SHA256 of the raw body keyed with the app's client secret, with the other
//! `X-Shopify-*` headers Shopify sends. Payloads use Shopify's REST-style webhook shape
//! (numeric `id`, `admin_graphql_api_id`, snake_case fields, amounts as strings); a
//! subscription's `includeFields` keeps only those top-level fields.
//!
//! [`super::WebhookOptions`] adds duplicates (same event id, new webhook id), random delays
//! and reordering. A delivery that is not answered 2xx is retried with a short backoff.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::orders::{financial_status, fulfillment_status, totals};
use super::store::*;
use super::types::{money_str, time_str};
use super::{ShopifyState, lock};

/// Base64 HMAC-SHA256 of `body` keyed with `secret`.
pub(crate) fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `ORDERS_CREATE` -> `orders/create`, `INVENTORY_LEVELS_UPDATE` -> `inventory_levels/update`.
pub(crate) fn topic_header(topic: &str) -> String {
    for prefix in ["INVENTORY_LEVELS", "BULK_OPERATIONS", "APP"] {
        if let Some(rest) = topic.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) {
            return format!("{}/{}", prefix.to_lowercase(), rest.to_lowercase());
        }
    }
    match topic.split_once('_') {
        Some((a, b)) => format!("{}/{}", a.to_lowercase(), b.to_lowercase()),
        None => topic.to_lowercase(),
    }
}

fn random_id(rng: &mut impl Rng) -> String {
    let a: u64 = rng.random();
    let b: u64 = rng.random();
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// A webhook to send once the store lock is released.
pub(crate) type Event = (&'static str, Value);

/// Sends `events` in order (see [`emit`]).
pub(crate) fn emit_all(state: &Arc<ShopifyState>, events: Vec<Event>) {
    for (topic, payload) in events {
        emit(state, topic, payload);
    }
}

/// Queues deliveries of `payload` to every subscription of `topic`.
pub(crate) fn emit(state: &Arc<ShopifyState>, topic: &str, payload: Value) {
    let subs: Vec<WebhookRec> = lock(&state.store)
        .webhooks
        .values()
        .filter(|w| w.topic == topic)
        .cloned()
        .collect();
    if subs.is_empty() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(topic, "no Tokio runtime: webhook not delivered");
        return;
    };
    let opts = state.config.webhooks.clone();
    let triggered_at = time_str(super::store::now());
    let mut rng = lock(&state.webhook_rng);
    let event_id = random_id(&mut *rng);
    for sub in subs {
        let body = match (&payload, sub.include_fields.is_empty()) {
            (Value::Object(map), false) => Value::Object(
                map.iter()
                    .filter(|(k, _)| sub.include_fields.iter().any(|f| f == *k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Map<String, Value>>(),
            ),
            _ => payload.clone(),
        };
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let copies = if opts.duplicate_rate > 0.0 && rng.random::<f64>() < opts.duplicate_rate {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let max_delay = if opts.reorder && opts.max_delay_ms == 0 {
                50
            } else {
                opts.max_delay_ms
            };
            let delay = if max_delay > 0 {
                rng.random_range(0..=max_delay)
            } else {
                0
            };
            let delivery = Delivery {
                uri: sub.uri.clone(),
                topic: topic_header(topic),
                webhook_id: random_id(&mut *rng),
                event_id: event_id.clone(),
                triggered_at: triggered_at.clone(),
                api_version: sub.api_version.clone(),
                body: body.clone(),
                delay: Duration::from_millis(delay),
            };
            runtime.spawn(deliver(state.clone(), delivery));
        }
    }
}

struct Delivery {
    uri: String,
    topic: String,
    webhook_id: String,
    event_id: String,
    triggered_at: String,
    api_version: String,
    body: Vec<u8>,
    delay: Duration,
}

async fn deliver(state: Arc<ShopifyState>, d: Delivery) {
    if !d.delay.is_zero() {
        tokio::time::sleep(d.delay).await;
    }
    let hmac = sign(&state.config.client_secret, &d.body);
    let attempts = state.config.webhooks.max_attempts.max(1);
    for attempt in 0..attempts {
        let result = state
            .http
            .post(&d.uri)
            .header("Content-Type", "application/json")
            .header("X-Shopify-Topic", &d.topic)
            .header("X-Shopify-Hmac-Sha256", &hmac)
            .header("X-Shopify-Shop-Domain", &state.config.shop_domain)
            .header("X-Shopify-Webhook-Id", &d.webhook_id)
            .header("X-Shopify-Event-Id", &d.event_id)
            .header("X-Shopify-Triggered-At", &d.triggered_at)
            .header("X-Shopify-API-Version", &d.api_version)
            .body(d.body.clone())
            .send()
            .await;
        match result {
            Ok(r) if r.status().is_success() => {
                lock(&state.stats).webhooks_sent += 1;
                return;
            }
            Ok(r) => {
                tracing::debug!(status = %r.status(), topic = %d.topic, attempt, "webhook refused")
            }
            Err(e) => {
                tracing::debug!(error = %e, topic = %d.topic, attempt, "webhook not delivered")
            }
        }
        tokio::time::sleep(Duration::from_millis(50u64 << attempt.min(10))).await;
    }
    tracing::warn!(topic = %d.topic, uri = %d.uri, "webhook given up");
    lock(&state.stats).webhooks_failed += 1;
}

// ------------------------------------------------------------------ payloads

fn tax_json(t: &TaxRec) -> Value {
    json!({"title": t.title, "rate": t.rate.to_string().parse::<f64>().unwrap_or(0.0), "price": money_str(t.amount)})
}

fn address_json(a: &AddressRec) -> Value {
    json!({
        "first_name": a.first_name, "last_name": a.last_name, "address1": a.address1, "city": a.city,
        "province": a.province, "country": a.country, "country_code": a.country_code, "zip": a.zip, "phone": a.phone,
    })
}

/// The `orders/*` payload.
pub(crate) fn order_payload(st: &Store, o: &OrderRec) -> Value {
    let t = totals(st, o);
    let customer = o
        .customer_id
        .and_then(|c| st.customers.get(&c))
        .map(customer_payload);
    let gross: rust_decimal::Decimal = o
        .lines
        .iter()
        .map(|l| l.unit_price * rust_decimal::Decimal::from(l.quantity))
        .sum();
    json!({
        "id": o.id,
        "admin_graphql_api_id": gid("Order", o.id),
        "name": o.name,
        "order_number": o.number,
        "number": o.number - 1000,
        "email": o.email,
        "phone": o.phone,
        "created_at": time_str(o.created_at),
        "updated_at": time_str(o.updated_at),
        "processed_at": time_str(o.processed_at),
        "cancelled_at": o.cancelled_at.map(time_str),
        "cancel_reason": o.cancel_reason.map(str::to_lowercase),
        "currency": o.currency,
        "financial_status": financial_status(st, o).as_str().to_lowercase(),
        "fulfillment_status": match fulfillment_status(o).as_str() {
            "FULFILLED" => Some("fulfilled"),
            "PARTIALLY_FULFILLED" => Some("partial"),
            _ => None,
        },
        "taxes_included": true,
        "total_price": money_str(t.total),
        "subtotal_price": money_str(t.subtotal),
        "total_line_items_price": money_str(gross),
        "total_tax": money_str(t.tax),
        "total_discounts": money_str(t.discounts),
        "payment_gateway_names": o.transactions.iter().filter(|x| x.kind == "SALE").map(|x| x.gateway.clone()).collect::<Vec<_>>(),
        "customer": customer,
        "billing_address": o.billing_address.as_ref().map(address_json),
        "shipping_address": o.shipping_address.as_ref().map(address_json),
        "line_items": o.lines.iter().map(|l| json!({
            "id": l.id,
            "admin_graphql_api_id": gid("LineItem", l.id),
            "variant_id": l.variant_id,
            "product_id": l.product_id,
            "sku": l.sku,
            "title": l.title,
            "variant_title": l.variant_title,
            "quantity": l.quantity,
            "requires_shipping": l.requires_shipping,
            "price": money_str(l.unit_price),
            "total_discount": money_str(l.discount_total()),
            "tax_lines": l.tax_lines.iter().map(tax_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "shipping_lines": o.shipping.iter().map(|s| json!({
            "id": s.id, "title": s.title, "code": s.code, "price": money_str(s.price),
            "tax_lines": s.tax_lines.iter().map(tax_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "refunds": o.refund_ids.iter().filter_map(|r| st.refunds.get(r)).map(refund_payload).collect::<Vec<_>>(),
    })
}

/// The `customers/*` payload.
pub(crate) fn customer_payload(c: &CustomerRec) -> Value {
    json!({
        "id": c.id,
        "admin_graphql_api_id": gid("Customer", c.id),
        "email": c.email,
        "phone": c.phone,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "created_at": time_str(c.created_at),
        "updated_at": time_str(c.updated_at),
        "default_address": c.address.as_ref().map(address_json),
    })
}

/// The `refunds/create` payload.
pub(crate) fn refund_payload(r: &RefundRec) -> Value {
    json!({
        "id": r.id,
        "admin_graphql_api_id": gid("Refund", r.id),
        "order_id": r.order_id,
        "created_at": time_str(r.created_at),
        "note": r.note,
        "refund_line_items": r.lines.iter().map(|l| json!({
            "id": l.id, "line_item_id": l.line_item_id, "quantity": l.quantity,
            "restock_type": l.restock_type.to_lowercase(), "location_id": l.location_id,
            "subtotal": money_str(l.subtotal), "total_tax": money_str(l.total_tax),
        })).collect::<Vec<_>>(),
        "transactions": r.transactions.iter().map(|t| json!({
            "id": t.id, "kind": t.kind.to_lowercase(), "status": t.status.to_lowercase(),
            "gateway": t.gateway, "amount": money_str(t.amount),
        })).collect::<Vec<_>>(),
    })
}

/// The `returns/*` payload (REST-shaped, like the order payloads).
pub(crate) fn return_payload(st: &Store, r: &ReturnRec) -> Value {
    json!({
        "id": r.id,
        "admin_graphql_api_id": gid("Return", r.id),
        "order_id": r.order_id,
        "name": r.name,
        "status": r.status.to_lowercase(),
        "total_return_line_items": r.lines.iter().map(|l| l.quantity).sum::<i64>(),
        "return_line_items": r.lines.iter().map(|l| json!({
            "id": l.id,
            "admin_graphql_api_id": gid("ReturnLineItem", l.id),
            "fulfillment_line_item": {
                "line_item": {"id": l.line_item_id, "admin_graphql_api_id": gid("LineItem", l.line_item_id)},
            },
            "quantity": l.quantity,
            "processed_quantity": l.processed,
            "return_reason": l.reason.to_lowercase(),
            "return_reason_note": l.note,
            "customer_note": l.customer_note,
        })).collect::<Vec<_>>(),
        "exchange_line_items": r.exchanges.iter().map(|x| json!({
            "id": x.id,
            "admin_graphql_api_id": gid("ExchangeLineItem", x.id),
            "variant_id": x.variant_id,
            "sku": x.sku,
            "quantity": x.quantity,
            "processed_quantity": x.processed,
            "line_item_ids": x.line_item_ids,
        })).collect::<Vec<_>>(),
        "refunds": r.refund_ids.iter().filter_map(|id| st.refunds.get(id)).map(refund_payload).collect::<Vec<_>>(),
    })
}

/// The `products/*` payload.
pub(crate) fn product_payload(st: &Store, p: &ProductRec) -> Value {
    json!({
        "id": p.id,
        "admin_graphql_api_id": gid("Product", p.id),
        "title": p.title,
        "handle": p.handle,
        "status": p.status.as_str().to_lowercase(),
        "updated_at": time_str(p.updated_at),
        "variants": p.variant_ids.iter().filter_map(|v| st.variants.get(v)).map(|v| json!({
            "id": v.id, "sku": v.sku, "price": money_str(v.price), "inventory_item_id": v.inventory_item_id,
        })).collect::<Vec<_>>(),
    })
}

/// The `inventory_levels/update` payload.
pub(crate) fn level_payload(l: &LevelRec) -> Value {
    json!({
        "inventory_item_id": l.item_id,
        "location_id": l.location_id,
        "available": l.available,
        "updated_at": time_str(l.updated_at),
        "admin_graphql_api_id": format!("gid://shopify/InventoryLevel/{}?inventory_item_id={}", l.id, l.item_id),
    })
}

/// The `fulfillments/create` payload.
pub(crate) fn fulfillment_payload(o: &OrderRec, f: &FulfillmentRec) -> Value {
    json!({
        "id": f.id,
        "admin_graphql_api_id": gid("Fulfillment", f.id),
        "order_id": o.id,
        "name": f.name,
        "status": "success",
        "created_at": time_str(f.created_at),
        "tracking_company": f.tracking_company,
        "tracking_numbers": f.tracking_numbers,
        "tracking_urls": f.tracking_urls,
        "line_items": f.lines.iter().map(|(id, q)| json!({"id": id, "quantity": q})).collect::<Vec<_>>(),
    })
}

/// The `bulk_operations/finish` payload.
pub(crate) fn bulk_payload(b: &BulkRec) -> Value {
    json!({
        "admin_graphql_api_id": gid("BulkOperation", b.id),
        "completed_at": b.completed_at.map(time_str),
        "created_at": time_str(b.created_at),
        "error_code": b.error_code.map(str::to_lowercase),
        "status": b.status.to_lowercase(),
        "type": if b.mutation { "mutation" } else { "query" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_shopify_and_names_topics() {
        // Published vector from Shopify/shopify-app-js (see specs/shopify.md §4).
        assert_eq!(
            sign("test_secret_key", br#"{"foo": "bar"}"#),
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
        );
        assert_eq!(topic_header("ORDERS_CREATE"), "orders/create");
        assert_eq!(
            topic_header("ORDERS_PARTIALLY_FULFILLED"),
            "orders/partially_fulfilled"
        );
        assert_eq!(
            topic_header("INVENTORY_LEVELS_UPDATE"),
            "inventory_levels/update"
        );
        assert_eq!(
            topic_header("BULK_OPERATIONS_FINISH"),
            "bulk_operations/finish"
        );
    }
}
