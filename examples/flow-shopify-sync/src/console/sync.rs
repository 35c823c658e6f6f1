//! Sync now: run one flow, or re-read a handful of orders by name, without waiting for the
//! next pass. The run happens in the background; the page lists the last runs and their
//! outcome.

use std::sync::Mutex;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use sync_core::engine::Flow;
use sync_core::store::NewJob;

use super::Console;
use super::auth::Signed;
use super::layout::{self, csrf, text, when};

/// The most orders one re-read names.
pub(crate) const MAX_ORDERS: usize = 5;
/// Runs kept on the page.
const KEPT: usize = 20;

/// One run started from the console.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// Who asked.
    pub(crate) operator: String,
    /// What (`flow orders`, `re-read #1001, #1002`).
    pub(crate) what: String,
    /// When it started.
    pub(crate) started: DateTime<Utc>,
    /// How it ended: `None` while running.
    pub(crate) outcome: Option<Result<String, String>>,
}

/// The last runs, newest first.
#[derive(Default)]
pub(crate) struct Runs(Mutex<Vec<Run>>);

impl Runs {
    fn start(&self, operator: &str, what: String) -> DateTime<Utc> {
        let started = Utc::now();
        if let Ok(mut runs) = self.0.lock() {
            runs.insert(
                0,
                Run {
                    operator: operator.to_owned(),
                    what,
                    started,
                    outcome: None,
                },
            );
            runs.truncate(KEPT);
        }
        started
    }

    fn finish(&self, started: DateTime<Utc>, outcome: Result<String, String>) {
        if let Ok(mut runs) = self.0.lock()
            && let Some(run) = runs.iter_mut().find(|r| r.started == started)
        {
            run.outcome = Some(outcome);
        }
    }

    fn list(&self) -> Vec<Run> {
        self.0.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// `GET /console/sync`.
pub(crate) async fn page(State(console): State<Console>, signed: Signed) -> Markup {
    let acts = signed.0.role == crate::config::Role::Operator;
    let runs = console.runs.list();
    let body = html! {
        @if acts {
            div.cards {
                form.card method="post" action="/console/sync" {
                    (csrf(&signed))
                    input type="hidden" name="action" value="flow";
                    h2 { "Run one flow" }
                    label { "Flow " select name="flow" { @for flow in Flow::ALL { option value=(flow.name()) { (flow.name()) } } } }
                    button type="submit" { "Run now" }
                }
                form.card method="post" action="/console/sync" {
                    (csrf(&signed))
                    input type="hidden" name="action" value="orders";
                    h2 { "Re-read orders" }
                    label { "Up to " (MAX_ORDERS) " order names, separated by commas or spaces" input name="names" placeholder="#1001, #1002" dir="auto"; }
                    button type="submit" { "Re-read" }
                }
            }
        } @else {
            p.mute { "Your role is read_only: you can see the runs, not start them." }
        }
        h2 { "Last runs" }
        @if runs.is_empty() { p.mute { "None since the daemon started." } } @else {
            div.scroll { table {
                tr { th { "Started" } th { "By" } th { "What" } th { "Outcome" } }
                @for run in &runs {
                    tr {
                        td { (when(run.started)) }
                        td { (text(&run.operator)) }
                        td dir="auto" { (run.what) }
                        td { @match &run.outcome { None => { span.pill.warn { "running" } } Some(Ok(s)) => { span.pill.ok { "done" } " " (s) } Some(Err(e)) => { span.pill.bad { "failed" } " " (e) } } }
                    }
                }
            } }
        }
    };
    layout::page("Sync now", "/console/sync", &signed, body)
}

/// The sync form.
#[derive(Deserialize)]
pub(crate) struct SyncForm {
    csrf: Option<String>,
    action: String,
    flow: Option<String>,
    names: Option<String>,
}

/// `POST /console/sync`.
pub(crate) async fn run(
    State(console): State<Console>,
    signed: Signed,
    Form(form): Form<SyncForm>,
) -> Response {
    if let Err(refused) = signed.may_act(form.csrf.as_deref()) {
        return refused.into_response();
    }
    let operator = signed.0.operator.clone();
    match form.action.as_str() {
        "flow" => {
            let name = form.flow.unwrap_or_default();
            let Some(flow) = Flow::ALL.into_iter().find(|f| f.name() == name) else {
                let names: Vec<&str> = Flow::ALL.iter().map(|f| f.name()).collect();
                return (
                    StatusCode::BAD_REQUEST,
                    format!("flow: expected one of {}, got {name:?}", names.join(", ")),
                )
                    .into_response();
            };
            console
                .record(
                    &operator,
                    "run_flow",
                    &format!("flow:{name}"),
                    serde_json::Value::Null,
                )
                .await;
            let started = console.runs.start(&operator, format!("flow {name}"));
            let (engine, runs) = (console.engine.clone(), console.runs.clone());
            tokio::spawn(async move {
                let outcome = engine
                    .run_flows(&[flow])
                    .await
                    .map(|summary| {
                        crate::screens::summary_lines(&summary)
                            .iter()
                            .map(|l| l.trim().to_owned())
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .map_err(|e| e.to_string());
                runs.finish(started, outcome);
            });
        }
        "orders" => {
            let names: Vec<String> = form
                .names
                .unwrap_or_default()
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
            if names.is_empty() || names.len() > MAX_ORDERS {
                return (
                    StatusCode::BAD_REQUEST,
                    format!("names: 1 to {MAX_ORDERS} order names, got {}", names.len()),
                )
                    .into_response();
            }
            let store = console.engine.store();
            let scope = &console.engine.config().scope;
            let mut queued = Vec::new();
            let mut unknown = Vec::new();
            for name in &names {
                let bare = name.trim_start_matches('#');
                let hashed = format!("#{bare}");
                let found = store
                    .bindings_where(
                        scope,
                        "order",
                        &[("name", &[name.as_str(), bare, hashed.as_str()])],
                        1,
                    )
                    .await;
                match found {
                    Ok(found) if !found.is_empty() => {
                        let id = &found[0].key;
                        let job = NewJob {
                            scope: scope.clone(),
                            kind: "refetch_order".to_owned(),
                            key: format!("refetch:{id}:console:{}", Utc::now().timestamp_micros()),
                            resource: format!("order:{id}"),
                            payload: serde_json::json!({"kind": "refetch_order", "order_id": id}),
                        };
                        if let Err(e) = store.enqueue(job).await {
                            return (
                                StatusCode::SERVICE_UNAVAILABLE,
                                layout::problem("the state store failed", &e),
                            )
                                .into_response();
                        }
                        queued.push(name.clone());
                    }
                    Ok(_) => unknown.push(name.clone()),
                    Err(e) => {
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            layout::problem("the state store failed", &e),
                        )
                            .into_response();
                    }
                }
            }
            console
                .record(
                    &operator,
                    "reread_orders",
                    "orders",
                    serde_json::json!({"queued": queued, "not_imported": unknown}),
                )
                .await;
            let mut what = format!("re-read {}", queued.join(", "));
            if !unknown.is_empty() {
                what.push_str(&format!(
                    " (not imported yet, the orders flow reads them: {})",
                    unknown.join(", ")
                ));
            }
            let started = console.runs.start(&operator, what);
            let (engine, runs) = (console.engine.clone(), console.runs.clone());
            tokio::spawn(async move {
                let outcome = engine
                    .run_pending()
                    .await
                    .map(|summary| {
                        crate::screens::summary_lines(&summary)
                            .iter()
                            .map(|l| l.trim().to_owned())
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .map_err(|e| e.to_string());
                runs.finish(started, outcome);
            });
        }
        other => {
            return (
                StatusCode::BAD_REQUEST,
                format!("action: expected flow or orders, got {other:?}"),
            )
                .into_response();
        }
    }
    Redirect::to("/console/sync").into_response()
}
