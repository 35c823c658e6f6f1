//! Overview: each flow's progress, the queue, each system's health and the day's figures.

use axum::extract::State;
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use sync_core::engine::{Flow, PassOutcome, Summary};
use sync_core::error::System;
use sync_core::store::JobState;

use super::Console;
use super::auth::Signed;
use super::layout::{self, ago};
use crate::daemon::system_name;

/// The day's figures, read from the state store.
#[derive(Debug, Default)]
pub(crate) struct Today {
    /// Orders created today (UTC) that reached Flow.
    pub(crate) orders: u64,
    /// Their Flow documents (one per order).
    pub(crate) documents: u64,
}

/// Today's orders and documents: the order bindings whose order was created today.
pub(crate) async fn today(console: &Console) -> Result<Today, sync_core::store::StoreError> {
    let engine = &console.engine;
    let day = Utc::now().date_naive();
    let orders = engine
        .store()
        .bindings(&engine.config().scope, "order")
        .await?;
    let mut today = Today::default();
    for order in orders {
        let created = order
            .data
            .get("created_at")
            .and_then(serde_json::Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        if created.is_some_and(|c| c.with_timezone(&Utc).date_naive() == day) {
            today.orders += 1;
            if !order.remote_id.is_empty() {
                today.documents += 1;
            }
        }
    }
    Ok(today)
}

/// `GET /console/`.
pub(crate) async fn page(State(console): State<Console>, signed: Signed) -> Markup {
    let engine = &console.engine;
    let scope = &engine.config().scope;
    let mut flows = Vec::new();
    for flow in Flow::ALL {
        let mark = engine
            .store()
            .checkpoint(scope, flow.name())
            .await
            .ok()
            .flatten();
        let at = mark
            .as_deref()
            .and_then(|m| DateTime::parse_from_rfc3339(m).ok())
            .map(|d| d.with_timezone(&Utc));
        let last = engine.last_pass(flow).await.ok().flatten();
        flows.push((flow.name(), at, last));
    }
    let depth = engine.queue_depth().await;
    let receipts = engine.receipt_states().await;
    let today = today(&console).await;
    let outages = engine.outages();
    let version = console
        .shopify
        .as_ref()
        .map(shopify_client::ShopifyClient::version_status);
    let throttle = console
        .shopify
        .as_ref()
        .map(|client| (client.throttle_state(), client.throttled()));
    let body = html! {
        h2 { "Today" }
        @match (&today, &receipts) {
            (Ok(today), Ok(receipts)) => {
                div.cards {
                    div.card { div.num { (today.orders) } div.mute { "orders reached Flow" } }
                    div.card { div.num { (today.documents) } div.mute { "Flow sales documents" } }
                    @for (state, n) in receipts.iter() {
                        div.card { div class=(format!("num {}", state_class(state))) { (n) } div.mute { "receipts " (state) } }
                    }
                }
                @if receipts.is_empty() { p.mute { "No ETA receipt issued yet." } } @else { p.mute { "Receipt counts are all-time, by state." } }
            }
            (Err(e), _) => { (layout::problem("the state store failed", e)) }
            (_, Err(e)) => { (layout::problem("the state store failed", e)) }
        }
        h2 { "Queue" }
        @match &depth {
            Ok(depth) => {
                div.cards {
                    @for state in [JobState::Pending, JobState::Running, JobState::Parked, JobState::Dead] {
                        @let n = depth.get(&state).copied().unwrap_or(0);
                        @let class = match state { JobState::Dead if n > 0 => "bad", JobState::Parked if n > 0 => "warn", _ => "" };
                        div.card {
                            div class=(format!("num {}", class)) { (n) }
                            div.mute { (state.as_str()) " jobs" }
                            @if matches!(state, JobState::Parked | JobState::Dead) && n > 0 {
                                a href="/console/attention" { "Needs attention →" }
                            }
                        }
                    }
                }
            }
            Err(e) => { (layout::problem("the state store failed", e)) }
        }
        h2 { "Systems" }
        div.scroll { table {
            tr { th { "System" } th { "State" } th { "Detail" } }
            @for system in System::ALL {
                @let outage = outages.iter().find(|o| o.system == system);
                tr {
                    td { (system_name(system)) }
                    @match outage {
                        None => { td { span.pill.ok { "reachable" } } td.mute { "no failure in the last pass" } }
                        Some(o) => {
                            td { span.pill.bad { "down: " (format!("{:?}", o.cause).to_lowercase()) } }
                            td { @if let Some(device) = &o.device { "device " (device) ": " } (o.detail) " — since " (layout::when(o.since)) ", next try " (layout::when(o.retry_at)) "; its work waits in the queue." }
                        }
                    }
                }
            }
            @if let Some((throttle, throttled)) = &throttle {
                tr {
                    td { "Shopify cost bucket" }
                    td {
                        @let low = throttle.currently_available < throttle.maximum_available / 10.0;
                        span class=(if low { "pill warn" } else { "pill ok" }) {
                            (format!("{:.0}", throttle.currently_available)) " / " (format!("{:.0}", throttle.maximum_available)) " points"
                        }
                    }
                    td {
                        "restores " (format!("{:.0}", throttle.restore_rate)) " points/s; "
                        (throttled) " request(s) throttled since start"
                        @if *throttled > 0 { " (each waited out and retried; a steady rise means the connector asks for more than the plan restores)" }
                    }
                }
            }
            @if let Some(version) = &version {
                tr {
                    td { "Shopify API version" }
                    td {
                        @let class = if version.needs_attention() { "bad" } else { "ok" };
                        span class=(format!("pill {}", class)) { (version.version) }
                    }
                    td {
                        @match version.days_left {
                            Some(days) => { (days) " days left" @if let Some(on) = version.retires_on { " (retires " (on) ")" } }
                            None => { "no retirement date" }
                        }
                        @if version.needs_attention() { br; span.bad { (version.to_string()) } }
                    }
                }
            }
        } }
        h2 { "Flows" }
        div.scroll { table {
            tr { th { "Flow" } th { "Last pass" } th { "Took" } th { "What it did" } th { "Read up to" } }
            @for (name, at, last) in &flows {
                tr {
                    td { (name) }
                    @match last {
                        Some(last) => {
                            td {
                                (layout::when(last.started_at)) " (" (ago(last.started_at)) ")"
                                @match last.outcome {
                                    PassOutcome::Ran => {}
                                    PassOutcome::Skipped => { br; span.pill.warn { "skipped: its system was down" } }
                                    PassOutcome::Failed => { br; span.pill.bad { "failed: its source could not be read" } }
                                    PassOutcome::ReadElsewhere => { br; span.pill { "read by another worker; this one ran jobs" } }
                                }
                            }
                            td { (took(last.duration_ms)) }
                            td { (did(&last.summary)) }
                        }
                        None => { td.mute { "not yet" } td.mute { "—" } td.mute { "—" } }
                    }
                    td { @match at { Some(at) => { (layout::when(*at)) " (" (ago(*at)) ")" } None => span.mute { "—" } } }
                }
            }
        } }
        p.mute { "“Last pass” is the newest pass of any worker; “What it did” counts the jobs it queued and ran. “Read up to” is where each flow's next pass resumes reading its source. Run a flow now from " a href="/console/sync" { "Sync now" } "." }
    };
    layout::page("Overview", "/console/", &signed, body)
}

/// The colour of a receipt state: Valid good, refused bad, the rest (built, submitted,
/// parked) waiting.
pub(crate) fn state_class(state: &str) -> &'static str {
    if super::receipts::refused(state) {
        "bad"
    } else if super::receipts::settled(state) {
        "ok"
    } else {
        "warn"
    }
}

/// A pass's duration as a person reads it.
fn took(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, ms % 60_000 / 1000),
    }
}

/// What a pass did: its summary's counts that are not zero (`orders imported 3, …`), or
/// "nothing to do".
pub(crate) fn did(summary: &Summary) -> String {
    let counts = serde_json::to_value(summary).unwrap_or_default();
    let done: Vec<String> = counts
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, n)| {
            let n = n.as_u64().filter(|n| *n > 0)?;
            Some(format!("{} {n}", name.replace('_', " ")))
        })
        .collect();
    if done.is_empty() {
        "nothing to do".to_owned()
    } else {
        done.join(", ")
    }
}
