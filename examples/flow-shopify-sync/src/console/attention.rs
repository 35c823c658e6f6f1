//! Needs attention: parked jobs grouped by the mapping they wait for, with what to do and a
//! form to run them again once the mapping exists; dead letters with their error, payload,
//! attempts and times, and retry, edit-and-retry and dismiss (recorded with who and why).

use std::collections::BTreeMap;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use sync_core::store::{Job, JobState};

use super::Console;
use super::auth::{Signed, TokenForm};
use super::layout::{self, ago, csrf, text, when};
use crate::screens::DeadLettersReport;
use eta_ereceipt::codes::PaymentMethod;

/// The largest payload an edit may send.
const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
/// The longest reason for a dismissal.
const MAX_REASON_CHARS: usize = 500;

/// What an operator does about a missing mapping of this kind (`sku:…`, `gateway:…`, …).
pub(crate) fn remedy(mapping: &str) -> String {
    let (kind, value) = mapping.split_once(':').unwrap_or((mapping, ""));
    match kind {
        "sku" => format!(
            "SKU {value} is not a Flow item (or is on several Shopify variants): create the item in Flow, or correct the SKU in Shopify, then run the jobs again."
        ),
        "gateway" => format!(
            "Payment gateway {value:?} has no ETA payment method: add it to eta.payment_methods (or set eta.default_payment_method) in the configuration, restart, then run the jobs again."
        ),
        "location" => format!(
            "Location {value} is not linked to a Flow store: add it to engine.locations in the configuration, restart, then run the jobs again."
        ),
        "customer" => format!(
            "Customer {value} matches several Flow customers, or there is no walk-in customer: merge them in Flow (or set flow.adapter.walk_in_customer), then run the jobs again."
        ),
        "currency" => format!(
            "Currency {value} is not known: correct the shop's currency, then run the jobs again."
        ),
        "item" | "eta_code" => format!(
            "Item {value} has no ETA item code: add its code (GS1/EGS) in Flow, then run the jobs again."
        ),
        _ => format!("Add the mapping {mapping}, then run the jobs again."),
    }
}

/// Runs the queue's due jobs in the background (what the daemon's next pass would do now).
pub(crate) fn run_soon(console: &Console) {
    let engine = console.engine.clone();
    tokio::spawn(async move {
        if let Err(error) = engine.run_pending().await {
            tracing::warn!(%error, "running the jobs an operator released failed");
        }
    });
}

/// `GET /console/attention`.
pub(crate) async fn page(State(console): State<Console>, signed: Signed) -> Markup {
    let engine = &console.engine;
    let jobs =
        sync_core::store::dead_letters(engine.store().as_ref(), &engine.config().scope).await;
    let body = match jobs {
        Err(e) => layout::problem("the state store failed", &e),
        Ok(jobs) => {
            let report = DeadLettersReport::new(jobs);
            let mut parked: BTreeMap<String, Vec<_>> = BTreeMap::new();
            let mut dead = Vec::new();
            for row in &report.jobs {
                match &row.waiting_for {
                    Some(mapping) if row.state == "parked" => {
                        parked.entry(mapping.clone()).or_default().push(row);
                    }
                    _ => dead.push(row),
                }
            }
            let acts = signed.0.role == crate::config::Role::Operator;
            html! {
                h2 { "Parked: waiting for a mapping" }
                @if parked.is_empty() { p.ok { "Nothing is waiting for a mapping." } }
                @for (mapping, rows) in &parked {
                    div.card {
                        h3 { "Missing mapping " code dir="auto" { (mapping) } " — " (rows.len()) " job(s)" }
                        p { (remedy(mapping)) }
                        div.scroll { table {
                            tr { th { "Job" } th { "Order" } th { "Waiting since" } th { "Why" } }
                            @for row in rows {
                                tr {
                                    td { a href=(format!("/console/attention/jobs/{}", row.id)) { (row.id) " " (row.kind) } }
                                    td { (text(row.order_name.as_deref().unwrap_or(&row.key))) }
                                    td { (when(row.created_at)) " (" (ago(row.created_at)) ")" }
                                    td dir="auto" { (row.error.as_deref().unwrap_or_default()) }
                                }
                            }
                        } }
                        @if acts {
                            @match (mapping.strip_prefix("gateway:"), &console.gateways) {
                                (Some(gateway), Some(gateways)) => {
                                    form method="post" action="/console/attention/mapping" {
                                        (csrf(&signed))
                                        input type="hidden" name="mapping" value=(mapping);
                                        label {
                                            "ETA payment method of gateway " code dir="auto" { (gateway) } " "
                                            select name="method" required {
                                                option value="" { "choose…" }
                                                @for method in PaymentMethod::ALL {
                                                    option value=(method.code()) { (method.code()) " — " (method.name()) }
                                                }
                                            }
                                        }
                                        button type="submit" { "Add the mapping and run these " (rows.len()) " job(s)" }
                                        p.mute { "Kept in " code { (gateways.file().display()) } ", read at every start." }
                                    }
                                }
                                _ => {
                                    form method="post" action="/console/attention/mapping" {
                                        (csrf(&signed))
                                        input type="hidden" name="mapping" value=(mapping);
                                        label { input type="checkbox" name="confirm" value="yes" required; " The mapping " code { (mapping) } " is in place" }
                                        button type="submit" { "Run these " (rows.len()) " job(s) again" }
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "Dead letters" }
                @if dead.is_empty() { p.ok { "No dead letters." } } @else {
                    div.scroll { table {
                        tr { th { "Job" } th { "Order / key" } th.n { "Tries" } th { "Last change" } th { "Error" } }
                        @for row in &dead {
                            tr {
                                td { a href=(format!("/console/attention/jobs/{}", row.id)) { (row.id) " " (row.kind) } }
                                td { (text(row.order_name.as_deref().unwrap_or(&row.key))) }
                                td.n { (row.attempts) }
                                td { (when(row.updated_at)) " (" (ago(row.updated_at)) ")" }
                                td dir="auto" { (row.error.as_deref().unwrap_or_default()) }
                            }
                        }
                    } }
                }
            }
        }
    };
    layout::page("Needs attention", "/console/attention", &signed, body)
}

/// `GET /console/attention/jobs/{id}`: one job with its payload and the actions on it.
pub(crate) async fn job(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Response {
    let job = match console.engine.store().job(id).await {
        Ok(Some(job)) if job.scope == console.engine.config().scope => job,
        Ok(_) => return (StatusCode::NOT_FOUND, format!("no job {id}")).into_response(),
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                layout::problem("the state store failed", &e),
            )
                .into_response();
        }
    };
    let acts = signed.0.role == crate::config::Role::Operator;
    let open = matches!(job.state, JobState::Dead | JobState::Parked);
    let body = html! {
        (details(&job))
        @if acts && open {
            h2 { "Retry" }
            form method="post" action=(format!("/console/attention/jobs/{id}/retry")) {
                (csrf(&signed))
                button type="submit" { "Retry job " (id) }
            }
            @if job.state == JobState::Dead && console.engine.store().operator().is_some() {
                h2 { "Edit the payload and retry" }
                p.mute { "When the payload itself is wrong (a bad address, a wrong amount typed in Shopify), correct it here; the job then runs with it." }
                form method="post" action=(format!("/console/attention/jobs/{id}/edit")) {
                    (csrf(&signed))
                    textarea name="payload" dir="auto" spellcheck="false" { (layout::json(&job.payload)) }
                    button type="submit" { "Save and retry" }
                }
            }
            @if console.engine.store().operator().is_some() {
                h2 { "Dismiss" }
                form method="post" action=(format!("/console/attention/jobs/{id}/dismiss")) {
                    (csrf(&signed))
                    label { "Why (kept in the audit log with your name)" input name="reason" required maxlength="500" dir="auto"; }
                    button.quiet type="submit" { "Dismiss job " (id) }
                }
            }
        }
        p { a href="/console/attention" { "← Needs attention" } }
    };
    layout::page(&format!("Job {id}"), "/console/attention", &signed, body).into_response()
}

fn details(job: &Job) -> Markup {
    html! {
        div.scroll { table {
            tr { th { "State" } td { span class=(format!("pill {}", if job.state == JobState::Dead { "bad" } else { "warn" })) { (job.state.as_str()) } } }
            tr { th { "Kind" } td { (job.kind) } }
            tr { th { "Key" } td { (job.key) } }
            tr { th { "Attempts" } td { (job.attempts) } }
            @if let Some(mapping) = &job.parked_on { tr { th { "Waiting for" } td { code { (mapping) } br; (remedy(mapping)) } } }
            tr { th { "Error" } td dir="auto" { (job.last_error.as_deref().unwrap_or_default()) } }
            tr { th { "Queued" } td { (when(job.created_at)) } }
            tr { th { "Last change" } td { (when(job.updated_at)) } }
        } }
        h2 { "Payload" }
        pre dir="auto" { (layout::json(&job.payload)) }
    }
}

/// The form of "run the parked jobs again".
#[derive(Deserialize)]
pub(crate) struct MappingForm {
    csrf: Option<String>,
    mapping: String,
    /// For a `gateway:<name>` mapping: the ETA payment method code to add for it.
    method: Option<String>,
}

/// `POST /console/attention/mapping`: the mapping is in place; the jobs parked on it run.
pub(crate) async fn add_mapping(
    State(console): State<Console>,
    signed: Signed,
    Form(form): Form<MappingForm>,
) -> Response {
    if let Err(refused) = signed.may_act(form.csrf.as_deref()) {
        return refused.into_response();
    }
    let mapping = form.mapping.trim();
    if mapping.is_empty() || mapping.len() > 300 {
        return (StatusCode::BAD_REQUEST, "mapping: 1 to 300 characters").into_response();
    }
    let method = match form.method.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => match add_gateway(&console, mapping, code).await {
            Ok(method) => Some(method),
            Err(refused) => return refused,
        },
    };
    match console.engine.store().unpark(mapping).await {
        Ok(released) => {
            console
                .record(
                    &signed.0.operator,
                    "mapping_added",
                    &format!("mapping:{mapping}"),
                    serde_json::json!({
                        "jobs_released": released,
                        "payment_method": method.map(PaymentMethod::code),
                    }),
                )
                .await;
            run_soon(&console);
            Redirect::to("/console/attention").into_response()
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            layout::problem("the state store failed", &e),
        )
            .into_response(),
    }
}

/// Adds the ETA payment method `code` for the gateway of `mapping` (`gateway:<name>`).
async fn add_gateway(
    console: &Console,
    mapping: &str,
    code: &str,
) -> Result<PaymentMethod, Response> {
    let refuse = |why: String| (StatusCode::BAD_REQUEST, why).into_response();
    let Some(gateway) = mapping.strip_prefix("gateway:") else {
        return Err(refuse(format!(
            "method: only a gateway:<name> mapping takes a payment method, not {mapping:?}"
        )));
    };
    let Some(gateways) = &console.gateways else {
        return Err(refuse(
            "method: set eta.payment_methods_file to add gateway mappings in the console".into(),
        ));
    };
    let method = code
        .parse::<PaymentMethod>()
        .map_err(|e| refuse(format!("method: {e}")))?;
    gateways.add(gateway, method).await.map_err(|e| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the gateway mapping could not be kept: {e:#}"),
        )
            .into_response()
    })?;
    Ok(method)
}

async fn in_scope(console: &Console, id: i64) -> Result<Job, Response> {
    match console.engine.store().job(id).await {
        Ok(Some(job)) if job.scope == console.engine.config().scope => Ok(job),
        Ok(_) => Err((StatusCode::NOT_FOUND, format!("no job {id}")).into_response()),
        Err(e) => Err((
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the state store failed: {e}"),
        )
            .into_response()),
    }
}

/// `POST /console/attention/jobs/{id}/retry`.
pub(crate) async fn retry(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(refused) = signed.may_act(form.csrf.as_deref()) {
        return refused.into_response();
    }
    if let Err(response) = in_scope(&console, id).await {
        return response;
    }
    match console.engine.replay(Some(id)).await {
        Ok(n) => {
            console
                .record(
                    &signed.0.operator,
                    "retry",
                    &format!("job:{id}"),
                    serde_json::json!({"replayed": n}),
                )
                .await;
            run_soon(&console);
            Redirect::to("/console/attention").into_response()
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("retry failed: {e}"),
        )
            .into_response(),
    }
}

/// The edit-and-retry form.
#[derive(Deserialize)]
pub(crate) struct EditForm {
    csrf: Option<String>,
    payload: String,
}

/// `POST /console/attention/jobs/{id}/edit`: replaces a dead letter's payload and retries it.
pub(crate) async fn edit_and_retry(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<EditForm>,
) -> Response {
    if let Err(refused) = signed.may_act(form.csrf.as_deref()) {
        return refused.into_response();
    }
    let before = match in_scope(&console, id).await {
        Ok(job) => job,
        Err(response) => return response,
    };
    if form.payload.len() > MAX_PAYLOAD_BYTES {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("payload: at most {MAX_PAYLOAD_BYTES} bytes"),
        )
            .into_response();
    }
    let payload: serde_json::Value = match serde_json::from_str(&form.payload) {
        Ok(value) => value,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("payload: not valid JSON ({e}); nothing was changed"),
            )
                .into_response();
        }
    };
    let Some(operator) = console.engine.store().operator() else {
        return (
            StatusCode::NOT_IMPLEMENTED,
            "this state store cannot edit payloads",
        )
            .into_response();
    };
    match operator.replace_payload(id, payload.clone()).await {
        Ok(0) => (
            StatusCode::CONFLICT,
            format!("job {id} is not a dead letter (any more); nothing was changed"),
        )
            .into_response(),
        Ok(_) => {
            console
                .record(
                    &signed.0.operator,
                    "edit_and_retry",
                    &format!("job:{id}"),
                    serde_json::json!({"before": before.payload, "after": payload}),
                )
                .await;
            let _ = console.engine.replay(Some(id)).await;
            run_soon(&console);
            Redirect::to("/console/attention").into_response()
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("edit failed: {e}")).into_response(),
    }
}

/// The dismiss form.
#[derive(Deserialize)]
pub(crate) struct DismissForm {
    csrf: Option<String>,
    reason: String,
}

/// `POST /console/attention/jobs/{id}/dismiss`: closes a dead letter without running it.
pub(crate) async fn dismiss(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<DismissForm>,
) -> Response {
    if let Err(refused) = signed.may_act(form.csrf.as_deref()) {
        return refused.into_response();
    }
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return (
            StatusCode::BAD_REQUEST,
            format!("reason: 1 to {MAX_REASON_CHARS} characters; say why the job is dismissed"),
        )
            .into_response();
    }
    if let Err(response) = in_scope(&console, id).await {
        return response;
    }
    let Some(operator) = console.engine.store().operator() else {
        return (
            StatusCode::NOT_IMPLEMENTED,
            "this state store cannot dismiss jobs",
        )
            .into_response();
    };
    let note = serde_json::json!({"dismissed_by": signed.0.operator, "why": reason, "at": chrono::Utc::now()});
    match operator.dismiss(id, note).await {
        Ok(0) => (
            StatusCode::CONFLICT,
            format!("job {id} is neither dead nor parked; nothing was changed"),
        )
            .into_response(),
        Ok(_) => {
            console
                .record(
                    &signed.0.operator,
                    "dismiss",
                    &format!("job:{id}"),
                    serde_json::json!({"why": reason}),
                )
                .await;
            Redirect::to("/console/attention").into_response()
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("dismiss failed: {e}"),
        )
            .into_response(),
    }
}
