//! Orders: search by order name, Flow document number, receipt uuid or Shopify order id; one
//! order's story (Shopify order → Flow document → receipts, refunds, fulfilment) with its
//! audit trail.

use axum::extract::{Query, State};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use sync_core::store::{Binding, StoreError};

use super::Console;
use super::auth::Signed;
use super::layout::{self, text, when};
use super::overview::state_class;

/// The most orders a search lists.
const MAX_FOUND: usize = 20;

/// `?q=`.
#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
}

/// The orders `q` names: by name (with or without `#`), Flow document number, receipt uuid or
/// Shopify order id.
async fn find(console: &Console, q: &str) -> Result<Vec<Binding>, StoreError> {
    let store = console.engine.store();
    let scope = &console.engine.config().scope;
    let q = q.trim();
    let bare = q.trim_start_matches('#');
    let hashed = format!("#{bare}");
    let mut found = store
        .bindings_where(
            scope,
            "order",
            &[("name", &[q, bare, hashed.as_str()])],
            MAX_FOUND,
        )
        .await?;
    if found.is_empty() {
        found = store
            .bindings_where(scope, "order", &[("number", &[q])], MAX_FOUND)
            .await?;
    }
    if found.is_empty()
        && let Some(order) = store.binding(scope, "order", q).await?
    {
        found.push(order);
    }
    if found.is_empty()
        && let Some(operator) = store.operator()
    {
        if let Some(order) = operator.binding_by_remote_id(scope, "order", q).await? {
            found.push(order);
        } else if let Some(receipt) = operator.binding_by_remote_id(scope, "receipt", q).await?
            && let Some(order_id) = receipt
                .data
                .get("order")
                .and_then(serde_json::Value::as_str)
            && let Some(order) = store.binding(scope, "order", order_id).await?
        {
            found.push(order);
        }
    }
    Ok(found)
}

fn field<'a>(binding: &'a Binding, name: &str) -> &'a str {
    binding
        .data
        .get(name)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
}

fn story_link(order: &Binding) -> String {
    format!(
        "/console/orders/story?id={}",
        url::form_urlencoded::byte_serialize(order.key.as_bytes()).collect::<String>()
    )
}

/// `GET /console/orders?q=`.
pub(crate) async fn search(
    State(console): State<Console>,
    signed: Signed,
    Query(query): Query<SearchQuery>,
) -> Markup {
    let q = query.q.unwrap_or_default();
    let q = q.chars().take(200).collect::<String>();
    let found = if q.trim().is_empty() {
        None
    } else {
        Some(find(&console, &q).await)
    };
    let body = html! {
        form method="get" action="/console/orders" {
            label { "Order name, Flow document number, receipt uuid or Shopify order id"
                input name="q" value=(q) dir="auto" placeholder="#1001" autofocus; }
            button type="submit" { "Search" }
        }
        @match found {
            None => {}
            Some(Err(e)) => { (layout::problem("the state store failed", &e)) }
            Some(Ok(orders)) if orders.is_empty() => {
                p { "No order reached Flow under " b dir="auto" { (q) } ". If it is new, it arrives with the next pass of the orders flow; if it is parked or failed, see " a href="/console/attention" { "Needs attention" } "." }
            }
            Some(Ok(orders)) => {
                div.scroll { table {
                    tr { th { "Order" } th { "Flow document" } th { "Created" } th.n { "Total" } th { "Gateway" } }
                    @for order in &orders {
                        tr {
                            td { a href=(story_link(order)) { (text(field(order, "name"))) } }
                            td { (order.remote_id) }
                            td { (field(order, "created_at")) }
                            td.n { (field(order, "total")) }
                            td { (text(field(order, "gateway"))) }
                        }
                    }
                } }
            }
        }
    };
    layout::page("Orders", "/console/orders", &signed, body)
}

/// `?id=` (the Shopify order id).
#[derive(Deserialize)]
pub(crate) struct StoryQuery {
    id: String,
}

/// `GET /console/orders/story?id=`.
pub(crate) async fn story(
    State(console): State<Console>,
    signed: Signed,
    Query(query): Query<StoryQuery>,
) -> Markup {
    let body = match story_body(&console, &query.id).await {
        Ok(body) => body,
        Err(e) => layout::problem("the state store failed", &e),
    };
    layout::page("Order story", "/console/orders", &signed, body)
}

/// A receipt's QR code (an inline SVG) and the ETA link it encodes, from the receipt as it was
/// sent (`body` of its binding); `None` before it is built.
fn receipt_qr(console: &Console, receipt: &Binding) -> Option<(String, String)> {
    let body = receipt.data.get("body")?.as_str()?;
    let parsed = eta_ereceipt::model::Receipt::from_json(body).ok()?;
    let link = eta_ereceipt::qr::receipt_qr_content(&console.portal, &parsed).ok()?;
    let svg = eta_ereceipt::qr::qr_svg(&link).ok()?;
    Some((link, svg))
}

async fn story_body(console: &Console, id: &str) -> Result<Markup, StoreError> {
    let store = console.engine.store();
    let scope = &console.engine.config().scope;
    let Some(order) = store.binding(scope, "order", id).await? else {
        return Ok(html! { p { "No order " b { (id) } " in the state store." } });
    };
    let receipts = store
        .bindings_where(scope, "receipt", &[("order", &[id])], 50)
        .await?;
    let refunds = store
        .bindings_where(scope, "refund", &[("order", &[id])], 50)
        .await?;
    let fulfilment = match store.operator() {
        Some(operator) => {
            operator
                .binding_by_remote_id(scope, "fulfillment", id)
                .await?
        }
        None => None,
    };
    let mut keys: Vec<&str> = vec![id];
    keys.extend(receipts.iter().map(|r| r.key.as_str()));
    keys.extend(refunds.iter().map(|r| r.key.as_str()));
    let trail = match store.operator() {
        Some(operator) => Some(operator.audit_trail(scope, &keys, 200).await?),
        None => None,
    };
    Ok(html! {
        h2 { "Shopify order " (text(field(&order, "name"))) }
        div.scroll { table {
            tr { th { "Shopify order id" } td { (order.key) } }
            tr { th { "Created" } td { (field(&order, "created_at")) } }
            tr { th { "Total" } td { (field(&order, "total")) } }
            tr { th { "Payment gateway" } td { (text(field(&order, "gateway"))) } }
            tr { th { "Flow document" } td { b { (order.remote_id) } } }
            tr { th { "Cancelled" } td { (if order.data.get("cancelled").and_then(serde_json::Value::as_bool).unwrap_or(false) { "yes" } else { "no" }) } }
            tr { th { "Fulfilment" } td { @match &fulfilment { Some(f) => { "reported to Shopify " (when(f.updated_at)) } None => { span.mute { "none reported yet" } } } } }
        } }
        h2 { "ETA receipts" }
        @if receipts.is_empty() {
            p.mute { "No receipt issued yet." }
        } @else {
            div.scroll { table {
                tr { th { "Receipt" } th { "uuid" } th { "State" } th { "Device" } th.n { "Total" } th { "ETA's reasons" } th { "Changed" } th { "QR" } }
                @for r in &receipts {
                    @let state = field(r, "state");
                    tr {
                        td { (if r.key.starts_with("return:") { "return" } else { "sale" }) }
                        td { code { (r.remote_id) } }
                        td { span class=(format!("pill {}", state_class(state))) { (state) } }
                        td { (field(r, "device")) }
                        td.n { (field(r, "total")) }
                        td { @if let Some(reasons) = r.data.get("reasons").or_else(|| r.data.get("errors")) { (reasons.to_string()) } }
                        td { (when(r.updated_at)) }
                        td { @if let Some((link, svg)) = receipt_qr(console, r) {
                            details { summary { "show" } div.qr { (PreEscaped(svg)) } a href=(link) { "open at ETA" } }
                        } }
                    }
                }
            } }
        }
        h2 { "Refunds and returns" }
        @if refunds.is_empty() {
            p.mute { "None." }
        } @else {
            div.scroll { table {
                tr { th { "Shopify refund" } th { "Flow return document" } th.n { "Total" } th { "Created" } }
                @for r in &refunds {
                    tr { td { (r.key) } td { (r.remote_id) } td.n { (field(r, "total")) } td { (field(r, "created_at")) } }
                }
            } }
        }
        h2 { "Audit trail" }
        @match &trail {
            None => { p.mute { "This state store keeps no readable audit trail." } }
            Some(trail) if trail.is_empty() => { p.mute { "No audit entry (entries older than engine.audit_retention_days are pruned)." } }
            Some(trail) => {
                div.scroll { table {
                    tr { th { "When" } th { "Way" } th { "System" } th { "What" } th { "Payload" } }
                    @for record in trail {
                        tr {
                            td { (when(record.at)) }
                            td { (format!("{:?}", record.entry.direction).to_lowercase()) }
                            td { (record.entry.system) }
                            td { (record.entry.kind) " " (record.entry.key) }
                            td { details { summary { "show" } pre dir="auto" { (layout::json(&record.entry.payload)) } } }
                        }
                    }
                } }
            }
        }
    })
}
