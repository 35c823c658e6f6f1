//! `run`: scheduled passes, the webhook listener, health and metrics.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use sync_core::engine::{Engine, Shutdown, WebhookError};
use sync_core::error::System;
use sync_core::store::JobState;

use crate::config::Config;
use crate::listener::{self, Limits};
use crate::output::Output;
use crate::wiring::Wired;

#[derive(Clone)]
struct AppState {
    engine: Arc<Engine>,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// The Shopify client: its API version's days left (`/healthz`) and fall-forwards
    /// (`/metrics`).
    shopify: Option<shopify_client::ShopifyClient>,
    /// The last queue count and when it was made: `/healthz` counts the queue at most once
    /// every [`DEPTH_FRESH_FOR`], however often it is polled.
    depth: Arc<tokio::sync::Mutex<Option<(std::time::Instant, Depth)>>>,
    limits: Limits,
}

type Depth = std::collections::BTreeMap<&'static str, u64>;

/// How long `/healthz` reuses its last count of the queue.
const DEPTH_FRESH_FOR: Duration = Duration::from_secs(5);

/// The router of the daemon's listener: `POST /webhooks/shopify`, `GET /healthz`,
/// `GET /metrics`. Webhook bodies are read within `limits` (see [`crate::listener`]); with
/// `shopify`, `/healthz` reports its API version's days left and `/metrics` its fall-forwards.
pub fn router(
    engine: Arc<Engine>,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    shopify: Option<shopify_client::ShopifyClient>,
    limits: Limits,
) -> Router {
    Router::new()
        .route("/webhooks/shopify", post(webhook))
        .route("/healthz", get(health))
        .route("/metrics", get(render_metrics))
        .with_state(AppState {
            engine,
            metrics,
            shopify,
            depth: Arc::default(),
            limits,
        })
}

/// `app` with the operator console's routes under `/console` (see [`crate::console`]).
pub fn with_console(app: Router, console: crate::console::Console) -> Router {
    app.merge(crate::console::router(console))
}

async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> (StatusCode, String) {
    let limits = state.limits;
    let body = match tokio::time::timeout(
        limits.body_timeout,
        axum::body::to_bytes(body, limits.max_body_bytes),
    )
    .await
    {
        Err(_) => return (StatusCode::REQUEST_TIMEOUT, "body too slow".to_owned()),
        Ok(Err(_)) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body over {} bytes", limits.max_body_bytes),
            );
        }
        Ok(Ok(body)) => body,
    };
    match state.engine.handle_webhook(&headers, &body).await {
        Ok(outcome) => (StatusCode::OK, format!("{outcome:?}")),
        Err(WebhookError::Unauthorized) => {
            (StatusCode::UNAUTHORIZED, "invalid signature".to_owned())
        }
        Err(WebhookError::Malformed(why)) => (StatusCode::BAD_REQUEST, why),
        Err(error) => {
            tracing::error!(%error, "webhook could not be stored");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again".to_owned())
        }
    }
}

/// The name an operator knows a system by.
pub fn system_name(system: System) -> &'static str {
    match system {
        System::Erp => "Flow ERP",
        System::Storefront => "Shopify",
        System::TaxAuthority => "ETA",
    }
}

/// What an operator knows a breaker by: the system, or the system and its device when only
/// one ETA device is down (`ETA device POS-2`).
pub fn outage_name(outage: &sync_core::engine::OutageReport) -> String {
    match &outage.device {
        Some(device) => format!("{} device {device}", system_name(outage.system)),
        None => system_name(outage.system).to_owned(),
    }
}

/// Fails naming every system the last pass found down (which, why, what the failure said, and
/// that its work waits in the queue): the pass did not do what it was asked, and an operator
/// must act.
///
/// # Errors
///
/// When a system is down.
pub fn systems_up(engine: &Engine) -> Result<()> {
    let outages = engine.outages();
    if outages.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = outages
        .iter()
        .map(|outage| {
            format!(
                "{} is down ({}): {}; its work waits in the queue",
                outage_name(outage),
                outage.cause,
                outage.detail
            )
        })
        .collect();
    Err(anyhow::anyhow!(lines.join("\nerror: ")))
}

/// The queue's depth by state, counted at most once every [`DEPTH_FRESH_FOR`].
async fn queue_depth(state: &AppState) -> Result<Depth, sync_core::engine::EngineError> {
    let mut cached = state.depth.lock().await;
    if let Some((at, depth)) = cached.as_ref()
        && at.elapsed() < DEPTH_FRESH_FOR
    {
        return Ok(depth.clone());
    }
    let depth: Depth = state
        .engine
        .queue_depth()
        .await?
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    *cached = Some((std::time::Instant::now(), depth.clone()));
    Ok(depth)
}

async fn health(State(state): State<AppState>) -> (StatusCode, String) {
    match queue_depth(&state).await {
        Ok(depth) => {
            let outages = state.engine.outages();
            let systems: serde_json::Map<String, serde_json::Value> = System::ALL
                .iter()
                .map(|system| {
                    let report = outages.iter().find(|o| o.system == *system);
                    let value = match report {
                        None => serde_json::json!({"status": "ok"}),
                        Some(o) => serde_json::json!({
                            "status": "down",
                            "cause": o.cause,
                            "detail": o.detail,
                            "since": o.since,
                            "retry_at": o.retry_at,
                            "device": o.device,
                        }),
                    };
                    (system.as_str().to_owned(), value)
                })
                .collect();
            // 200 either way: the daemon itself is alive (a restart would not mend a refused
            // password); monitors read `status` and `systems`.
            let status = if outages.is_empty() { "ok" } else { "degraded" };
            let mut body = serde_json::json!({"status": status, "jobs": depth, "systems": systems});
            if let Some(client) = &state.shopify {
                let version = client.version_status();
                body["shopify_api"] = serde_json::json!({
                    "version": version.version,
                    "retires_on": version.retires_on,
                    "days_left": version.days_left,
                    "warning": version.needs_attention().then(|| version.to_string()),
                    "fall_forwards": client.fall_forwards(),
                });
            }
            (StatusCode::OK, body.to_string())
        }
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("state store unavailable: {error}"),
        ),
    }
}

async fn render_metrics(State(state): State<AppState>) -> String {
    if let Some(client) = &state.shopify {
        metrics::counter!("shopify_api_version_fall_forwards_total")
            .absolute(client.fall_forwards());
        if let Some(days) = client.version_status().days_left {
            metrics::gauge!("shopify_api_version_days_left").set(days as f64);
        }
    }
    state
        .metrics
        .as_ref()
        .map(|h| h.render())
        .unwrap_or_default()
}

/// Runs the daemon (or, with `once`, one complete pass).
///
/// # Errors
///
/// When the listener cannot bind, or the store fails.
pub async fn run(
    config: &Config,
    engine: Arc<Engine>,
    wired: &Wired,
    once: bool,
) -> Result<ExitCode> {
    let out = Output::new();
    if once {
        let summary = out
            .spin_jobs("running every flow", &engine, engine.run_once())
            .await?;
        out.summary(&summary);
        if let Err(error) = systems_up(&engine) {
            crate::output::print_err(&format!("error: {error}"));
            return Ok(ExitCode::from(2));
        }
        let depth = engine.queue_depth().await?;
        let open = depth.get(&JobState::Pending).copied().unwrap_or(0)
            + depth.get(&JobState::Running).copied().unwrap_or(0);
        if open > 0 {
            out.line(&format!("{open} job(s) still waiting for a retry"));
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let stop = stop_signal();
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok();
    let listener = tokio::net::TcpListener::bind(&config.daemon.listen)
        .await
        .with_context(|| format!("daemon.listen: cannot listen on {}", config.daemon.listen))?;
    let bound = listener
        .local_addr()
        .map_or_else(|_| config.daemon.listen.clone(), |a| a.to_string());
    tracing::info!(
        address = %bound,
        config = %config.file.as_deref().map_or_else(|| "-".into(), |p| p.display().to_string()),
        store = %config.store.url,
        "listening for webhooks, /healthz and /metrics"
    );
    let version = wired.shopify.version_status();
    if version.needs_attention() {
        tracing::warn!(version = %version.version, days_left = ?version.days_left, "{version}");
    } else {
        tracing::info!(version = %version.version, days_left = ?version.days_left, "{version}");
    }
    if let Some(url) = &config.daemon.public_url {
        let created = wired.register_webhooks(url).await?;
        tracing::info!(url = %url, created, "webhook subscriptions in place");
    }
    let shutdown = Shutdown::new();
    let limits = Limits::default();
    let mut app = router(engine.clone(), metrics, Some(wired.shopify.clone()), limits);
    if config.console.enabled() {
        let console = crate::console::Console::for_daemon(config, engine.clone(), wired).await;
        app = with_console(app, console);
        tracing::info!(
            url = %format!("http://{bound}/console/"),
            operators = config.console.operators.len(),
            "operator console on"
        );
    }
    let server = tokio::spawn(listener::serve(listener, app, limits, shutdown.clone()));
    if config.alerts.enabled() {
        let sources = crate::alerts::Sources {
            engine: engine.clone(),
            shopify: Some(wired.shopify.clone()),
        };
        let console_url = config.console.enabled().then(|| {
            config
                .daemon
                .public_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .map_or_else(
                    || format!("http://{bound}/console/"),
                    |mut u| {
                        u.set_path("/console/");
                        u.set_query(None);
                        u.to_string()
                    },
                )
        });
        tokio::spawn(crate::alerts::run(
            sources,
            config.alerts.clone(),
            console_url,
            shutdown.clone(),
        ));
        tracing::info!(
            email = config.alerts.email.is_some(),
            chat = config.alerts.chat.is_some(),
            "alert digests on"
        );
    }
    let signals = shutdown.clone();
    tokio::spawn(async move {
        stop.await;
        tracing::info!("stopping after the job in hand");
        signals.trigger();
    });
    let interval = Duration::from_secs(config.engine.interval_secs.max(1));
    let total = engine.run(interval, shutdown.clone()).await;
    shutdown.trigger();
    let _ = server.await;
    out.summary(&total?);
    Ok(ExitCode::SUCCESS)
}

/// Registers for SIGTERM and SIGINT now, and returns the future that ends at the first of
/// them. Registering at start, before the listener binds, means a stop asked for as soon as
/// the daemon says it listens is a graceful stop, not the signal's default (an abrupt exit).
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
