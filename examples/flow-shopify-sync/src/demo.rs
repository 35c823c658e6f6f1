//! `demo`: the sandbox's three stand-ins in-process, a configuration written for them, one full
//! cycle of every flow, and a readable summary.

use std::path::{Path, PathBuf};
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
}

/// Writes a `flow-shopify-sync` configuration for a running sandbox into `dir` (with the
/// credential files it names and a SQLite state file beside it); returns its path.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_sandbox_config(sandbox: &sandbox::RunningSandbox, dir: &Path) -> Result<PathBuf> {
    let c = sandbox.config();
    let device = c
        .eta
        .devices
        .first()
        .ok_or_else(|| anyhow!("the sandbox has no ETA device"))?;
    let secrets = [
        ("shopify-token", c.shopify.access_token.as_str()),
        ("shopify-secret", c.shopify.client_secret.as_str()),
        ("flow-password", c.flow.pass.as_str()),
        ("eta-secret", c.eta.client_secret.as_str()),
        ("eta-psk", device.preshared_key.as_str()),
    ];
    for (name, value) in secrets {
        std::fs::write(dir.join(name), value).with_context(|| format!("writing {name}"))?;
    }
    let locations = &c.shopify.locations;
    let text = format!(
        r#"# flow-shopify-sync configuration for the local sandbox (written by the demo).
[store]
url = "sqlite://state.db"

[engine]
scope = "sandbox"
interval_secs = 30
locations = {{ "1" = "{loc1}", "2" = "{loc2}" }}

[daemon]
listen = "127.0.0.1:0"

[shopify]
shop = "{shop}"
base_url = "{shopify_url}"
access_token_file = "shopify-token"
webhook_secret_file = "shopify-secret"

[flow]
account = "{acc}"
user = "{usr}"
password_file = "flow-password"
hosts = {{ login = "{flow_url}", api = "{flow_url}", erp = "{flow_url}" }}
# The sandbox's choices where Flow's API is not public (see docs/sandbox.md and docs/flow-erp.md).
adapter = {{ stock_stores = [1, 2], walk_in_customer = "1" }}
operations = {{ refund = "SALRTN" }}
documents = {{ source_field = "SRCDOCNO", line_discount_is_percent = true, templates = {{ SALRTN = {{ builtin = "SALRET" }} }} }}
stock = {{ quantity_field = "QTY" }}

[eta]
environment = "preprod"
identity_url = "{eta_url}"
api_url = "{eta_url}"
client_id = "{eta_client}"
client_secret_file = "eta-secret"
pos_serial = "{serial}"
preshared_key_file = "eta-psk"
default_payment_method = "O"
payment_methods = {{ "shopify_payments" = "V", "paymob" = "V", "valu" = "O", "Cash on Delivery (COD)" = "C", "manual" = "C", "gift_card" = "GC" }}

[eta.seller]
rin = "{rin}"
companyTradeName = "Sandbox Trading"
branchCode = "0"
deviceSerialNumber = "{serial}"
activityCode = "4771"
branchAddress = {{ country = "EG", governate = "Cairo", regionCity = "Nasr City", street = "Abbas El Akkad", buildingNumber = "12" }}
"#,
        loc1 = locations.first().map_or("", String::as_str),
        loc2 = locations
            .get(1)
            .or(locations.first())
            .map_or("", String::as_str),
        shop = c.shopify.shop_domain,
        shopify_url = sandbox.shopify_url(),
        acc = c.flow.acc,
        usr = c.flow.usrid,
        flow_url = sandbox.flow_url(),
        eta_url = sandbox.eta_url(),
        eta_client = c.eta.client_id,
        serial = device.serial,
        rin = c.eta.taxpayer_rin,
    );
    let path = dir.join("flow-shopify-sync.toml");
    std::fs::write(&path, text).context("writing the configuration")?;
    Ok(path)
}

/// Builds the engine for a configuration file (the same path `run` takes).
pub async fn engine_for(path: &Path) -> Result<(Config, Arc<Engine>, wiring::Wired)> {
    let config = Config::load(path)?;
    let wired = wiring::connect(&config).await?;
    let store = wiring::open_store(&config.store_url()).await?;
    let mut engine_config = config.engine_config();
    engine_config.locations = wiring::resolve_locations(
        wired.connectors.storefront_catalog.as_ref(),
        &engine_config.locations,
    )
    .await?;
    let mut engine = Engine::new(wired.connectors.clone(), store, engine_config);
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
pub async fn run(options: DemoOptions) -> Result<()> {
    let out = Output::new();
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
    let path = write_sandbox_config(&sandbox, dir.path())?;
    out.line(&format!(
        "sandbox: Shopify {}  Flow {}  ETA {}",
        sandbox.shopify_url(),
        sandbox.flow_url(),
        sandbox.eta_url()
    ));
    let (_config, engine, _wired) = engine_for(&path).await?;
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
    out.line(&format!(
        "sandbox now holds: {} Shopify products, {} Flow sales documents, {} Flow returns, {} ETA receipts",
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
        println!("{line}");
    }
    sandbox.shutdown().await;
    Ok(())
}
