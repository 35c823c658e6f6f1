//! Reads the stock of one Flow store: item, colour, size and quantity on hand.
//!
//! Against a Flow tenant:
//!
//! ```sh
//! FLOW_ACCOUNT=1001 FLOW_USER=SYNC FLOW_PASSWORD=… FLOW_COMPANY=1 FLOW_STORE=1 \
//!     cargo run -p flow-erp-client --example read_stock
//! ```
//!
//! (`FLOW_HOST` points all three of Flow's surfaces at one server, for an on-premises
//! installation.) Without `FLOW_ACCOUNT` it starts the workspace's local Flow stand-in (the
//! `sandbox` crate) and reads its stock, so it runs anywhere.

use flow_erp_client::config::Hosts;
use flow_erp_client::{FlowClient, FlowConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).ok();
    let mut _sandbox = None;
    let (config, company, store) = match var("FLOW_ACCOUNT") {
        Some(account) => {
            let password = var("FLOW_PASSWORD").ok_or("set FLOW_PASSWORD")?;
            let mut config = FlowConfig::new(
                account,
                var("FLOW_USER").ok_or("set FLOW_USER")?,
                password.into(),
            );
            if let Some(host) = var("FLOW_HOST") {
                config.hosts = Hosts::all(host);
            }
            let number = |name: &str| var(name).and_then(|v| v.parse().ok()).unwrap_or(1);
            (config, number("FLOW_COMPANY"), number("FLOW_STORE"))
        }
        None => {
            let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig {
                catalog_groups: 2,
                orders: 0,
                ..sandbox::SandboxConfig::default()
            })
            .await?;
            let flow = &sandbox.config().flow;
            let mut config = FlowConfig::new(
                flow.acc.clone(),
                flow.usrid.clone(),
                flow.pass.clone().into(),
            );
            config.hosts = Hosts::all(sandbox.flow_url());
            // The stand-in's balance rows carry the quantity as `QTY` (Flow's own field name is
            // not public; see docs/sandbox.md).
            config.stock.quantity_field = "QTY".into();
            let company = u32::try_from(flow.cono)?;
            eprintln!("no FLOW_ACCOUNT: reading the local stand-in's stock");
            _sandbox = Some(sandbox);
            (config, company, 1)
        }
    };
    let client = FlowClient::builder(config).build()?;
    let balances = client.balances(company, store).await?;
    for b in &balances {
        println!(
            "{:<12} {:<8} {:<6} {:>8}",
            b.item,
            b.colour.as_deref().unwrap_or("-"),
            b.size.as_deref().unwrap_or("-"),
            b.quantity
        );
    }
    eprintln!(
        "{} balance row(s) in company {company}, store {store}",
        balances.len()
    );
    Ok(())
}
