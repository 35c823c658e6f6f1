//! `demo`: the sandbox's three stand-ins in-process, a configuration written for them, one full
//! cycle of every flow, and a readable summary.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use sync_core::engine::Engine;

use crate::config::Config;
use crate::output::Output;
use crate::wiring;

/// Options of `demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Print one JSON object as the last line.
    pub json: bool,
    /// Item groups in the seeded catalogue.
    pub catalog: usize,
    /// Seeded orders.
    pub orders: usize,
    /// `none`, `mild` or `harsh`.
    pub faults: String,
    /// Seed.
    pub seed: u64,
    /// Serve the operator console afterwards (until Ctrl-C), printing its URL and a sign-in.
    pub console: bool,
}

/// Builds the engine for a configuration file (the same path `run` takes).
///
/// # Errors
///
/// When the configuration is invalid (the message names the key), a client cannot be built, or the store cannot be opened.
pub async fn engine_for(path: &Path) -> Result<(Config, Arc<Engine>, wiring::Wired)> {
    let config = Config::load(path)?;
    let wired = wiring::connect(&config).await?;
    let store = wiring::open_store(&config.store_url()).await?;
    let mut engine_config = config.engine_config();
    engine_config.locations = wiring::resolve_locations(
        wired.connectors.storefront_catalog.as_ref(),
        &config.engine.locations,
    )
    .await?;
    let devices = wiring::tax_devices(&wired).await?;
    let mut engine =
        Engine::new(wired.connectors.clone(), store, engine_config).with_tax_devices(devices);
    if let Some(verifier) = wired.verifier.clone() {
        engine = engine.with_webhook_verifier(verifier);
    }
    engine
        .migrate()
        .await
        .context("preparing the state store")?;
    Ok((config, Arc::new(engine), wired))
}

/// Runs the demo.
///
/// # Errors
///
/// When the sandbox cannot start or the pass fails.
pub async fn run(options: DemoOptions) -> Result<()> {
    let out = Output::with_json(options.json);
    let mut sandbox_config = sandbox::SandboxConfig {
        seed: options.seed,
        catalog_groups: options.catalog,
        orders: options.orders,
        ..sandbox::SandboxConfig::default()
    };
    sandbox_config.faults = sandbox::FaultRates::preset(&options.faults).ok_or_else(|| {
        anyhow!(
            "--faults: expected none, mild or harsh, got {:?}",
            options.faults
        )
    })?;
    let sandbox = sandbox::Sandbox::start(sandbox_config)
        .await
        .map_err(|e| anyhow!("starting the sandbox: {e}"))?;
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let path = sandbox::sync_config::write(&sandbox, dir.path())
        .map_err(|e| anyhow!("writing the sandbox configuration: {e}"))?;
    out.line(&format!(
        "sandbox: Shopify {}  Flow {}  ETA {}",
        sandbox.shopify_url(),
        sandbox.flow_url(),
        sandbox.eta_url()
    ));
    let (_config, engine, wired) = engine_for(&path).await?;
    out.line(&wired.shopify.version_status().to_string());
    let summary = out
        .spin("running every flow once", engine.run_once())
        .await?;
    out.summary(&summary);
    let dead = engine.dead_letters().await?;
    for job in &dead {
        let why = job.parked_on.as_deref().map_or_else(
            || job.last_error.clone().unwrap_or_default(),
            |m| format!("waiting for mapping {m}"),
        );
        out.line(&format!(
            "dead letter {} {} {}: {why}",
            job.id, job.kind, job.key
        ));
    }
    let dump = sandbox.dump();
    let count = |v: &Value| v.as_array().map_or(0, Vec::len);
    let images: usize = dump["shopify"]["products"]
        .as_array()
        .map_or(0, |ps| ps.iter().map(|p| count(&p["media"])).sum());
    out.line(&format!(
        "sandbox now holds: {} Shopify products with {images} images, {} Flow sales documents, {} Flow returns, {} ETA receipts",
        count(&dump["shopify"]["products"]),
        count(&dump["flow"]["sales_documents"]),
        count(&dump["flow"]["returns"]),
        count(&dump["eta"]["receipts"]),
    ));
    if options.json {
        let line = json!({
            "products_pushed": summary.products_pushed,
            "inventory_levels_set": summary.inventory_levels_set,
            "orders_imported": summary.orders_imported,
            "customers_imported": summary.customers_imported,
            "returns_imported": summary.returns_imported,
            "orders_cancelled": summary.orders_cancelled,
            "receipts_accepted": summary.receipts_accepted,
            "receipts_rejected": summary.receipts_rejected,
            "dead_letters": dead.len(),
            "summary": summary,
        });
        crate::output::print_line(&line.to_string());
    }
    if options.console {
        serve_console(&out, engine, &wired).await?;
    }
    sandbox.shutdown().await;
    Ok(())
}

/// Serves the console over the demo's engine on a free loopback port with a one-time operator
/// `demo` (role operator, a random password), prints how to sign in, and serves until Ctrl-C.
async fn serve_console(out: &Output, engine: Arc<Engine>, wired: &wiring::Wired) -> Result<()> {
    let password = crate::console::auth::token();
    let section = crate::config::ConsoleSection {
        operators: vec![crate::config::OperatorEntry {
            name: "demo".to_owned(),
            role: crate::config::Role::Operator,
            password_hash_env: None,
            password_hash_file: None,
            password_hash: crate::console::auth::hash_password(&password)?,
        }],
        secure_cookie: Some(false),
        session_minutes: 480,
        login_attempts: 5,
    };
    let locations = wired.location_names().await.unwrap_or_default();
    let console = crate::console::Console::new(
        engine.clone(),
        Some(wired.shopify.clone()),
        locations,
        &section,
    )
    .with_portal(wired.eta.environment().portal())
    .with_gateways(wired.gateways.clone());
    let limits = crate::listener::Limits::default();
    let app = crate::daemon::with_console(
        crate::daemon::router(engine, None, Some(wired.shopify.clone()), limits),
        console,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the console's port")?;
    let address = listener.local_addr().context("the console's address")?;
    let stop = sync_core::engine::Shutdown::new();
    let server = tokio::spawn(crate::listener::serve(listener, app, limits, stop.clone()));
    out.line(&format!("console: http://{address}/console/"));
    out.line(&format!("sign in as demo with password {password}"));
    out.line("(serving until Ctrl-C)");
    let _ = tokio::signal::ctrl_c().await;
    stop.trigger();
    let _ = server.await;
    Ok(())
}
