//! `flow-shopify-sync`: the integration binary linking Flow ERP, Shopify and ETA e-receipts.
//!
//! `demo` runs everything embedded (the sandbox's stand-ins on loopback, SQLite in a temporary
//! folder); `run` is the daemon; the other subcommands are the operator's screens.

use flow_shopify_sync::{config, daemon, demo, output, wiring};

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use sync_core::engine::{Engine, Flow};
use sync_core::model::ProductStatus;

use crate::config::Config;
use crate::output::Output;

/// Keeps Flow ERP, Shopify and the ETA e-receipt system in step.
#[derive(Debug, Parser)]
#[command(name = "flow-shopify-sync", version, about)]
struct Cli {
    /// The TOML configuration file.
    #[arg(long, global = true, env = "FLOW_SHOPIFY_SYNC_CONFIG")]
    config: Option<PathBuf>,
    /// Log filter (for example `info` or `sync_core=debug`).
    #[arg(long, global = true, default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs one full cycle of every flow against embedded stand-ins and prints a summary.
    Demo {
        /// Print one JSON object as the last line.
        #[arg(long)]
        json: bool,
        /// Item groups in the seeded Flow catalogue.
        #[arg(long, default_value_t = 12)]
        catalog: usize,
        /// Seeded Shopify orders.
        #[arg(long, default_value_t = 40)]
        orders: usize,
        /// Fault injection: none, mild or harsh.
        #[arg(long, default_value = "none")]
        faults: String,
        /// Seed of the generators.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Runs the daemon: scheduled passes, webhook listener, health and metrics endpoints.
    Run {
        /// Run every flow to completion once, then exit (0 when only dead letters remain).
        #[arg(long)]
        once: bool,
    },
    /// Shows the Shopify store's id, name and currency.
    StoreId,
    /// Pushes, holds or activates items.
    Items {
        /// What to do.
        action: ItemsAction,
        /// Item group codes (all with `push` when none).
        codes: Vec<String>,
    },
    /// Uploads or deletes product images.
    Images {
        /// What to do.
        action: ImagesAction,
        /// Item group codes (all when none).
        codes: Vec<String>,
    },
    /// Pushes stock changes (`set`) or every level (`reupload`).
    Stock {
        /// What to do.
        action: StockAction,
    },
    /// Pulls orders (with cancellations and refunds) into Flow.
    Orders {
        /// What to do.
        action: PullAction,
    },
    /// Pulls customers into Flow.
    Customers {
        /// What to do.
        action: PullAction,
    },
    /// Submits receipts or shows their states.
    Receipts {
        /// What to do.
        action: ReceiptsAction,
    },
    /// Compares stock in full (pushing corrections) and the day's sales three ways.
    Reconcile {
        /// The day of the sales comparison (UTC, `YYYY-MM-DD`). Default: today.
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
        /// Report only; push no corrections.
        #[arg(long)]
        dry_run: bool,
    },
    /// Lists or replays dead letters.
    Dlq {
        /// What to do.
        action: DlqAction,
        /// The job id to replay (all with `--all`).
        id: Option<i64>,
        /// Replay every dead letter.
        #[arg(long)]
        all: bool,
    },
    /// Shows what every flow would write, without writing.
    Plan,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ItemsAction {
    Push,
    Hold,
    Activate,
}
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ImagesAction {
    Upload,
    Delete,
}
#[derive(Debug, Clone, Copy, ValueEnum)]
enum StockAction {
    Set,
    Reupload,
}
#[derive(Debug, Clone, Copy, ValueEnum)]
enum PullAction {
    Pull,
}
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReceiptsAction {
    Submit,
    Status,
}
#[derive(Debug, Clone, Copy, ValueEnum)]
enum DlqAction {
    List,
    Replay,
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> std::process::ExitCode {
    // Before any thread starts: see `flow_shopify_sync::memory`.
    flow_shopify_sync::memory::keep_large_blocks_returnable();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    runtime.block_on(run_cli())
}

async fn run_cli() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log);
    match dispatch(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn engine_from(path: Option<&PathBuf>) -> Result<(Config, Arc<Engine>, wiring::Wired)> {
    let Some(path) = path else {
        bail!("--config FILE is required for this command (or set FLOW_SHOPIFY_SYNC_CONFIG)");
    };
    demo::engine_for(path).await
}

async fn dispatch(cli: Cli) -> Result<std::process::ExitCode> {
    let out = Output::new();
    let ok = std::process::ExitCode::SUCCESS;
    if let Command::Demo {
        json,
        catalog,
        orders,
        faults,
        seed,
    } = &cli.command
    {
        demo::run(demo::DemoOptions {
            json: *json,
            catalog: *catalog,
            orders: *orders,
            faults: faults.clone(),
            seed: *seed,
        })
        .await?;
        return Ok(ok);
    }
    if let Command::Dlq {
        action: DlqAction::List,
        ..
    } = &cli.command
    {
        // Only the state store: dead letters can be listed while a service is down.
        let Some(path) = cli.config.as_ref() else {
            bail!("--config FILE is required for this command (or set FLOW_SHOPIFY_SYNC_CONFIG)");
        };
        let config = Config::load(path)?;
        let store = wiring::open_store(&config.store_url()).await?;
        let scope = sync_core::model::StoreScope::new(config.engine.scope.clone());
        let dead = sync_core::store::dead_letters(&*store, &scope).await?;
        if dead.is_empty() {
            out.line("no dead letters");
        }
        for job in dead {
            let why = job.parked_on.as_deref().map_or_else(
                || job.last_error.clone().unwrap_or_default(),
                |m| format!("waiting for mapping {m}"),
            );
            out.line(&format!(
                "{:>6}  {:<16} {:<40} {}",
                job.id, job.kind, job.key, why
            ));
        }
        return Ok(ok);
    }
    let (config, engine, wired) = engine_from(cli.config.as_ref()).await?;
    match cli.command {
        Command::Demo { .. } => unreachable!("handled above"),
        Command::Run { once } => return daemon::run(&config, engine, &wired, once).await,
        Command::StoreId => {
            let info = wired.store_info().await?;
            out.line(&info);
            out.line(&wired.shopify_client().version_status().to_string());
        }
        Command::Items {
            action: ItemsAction::Push,
            codes,
        } => {
            let codes = (!codes.is_empty()).then_some(codes);
            let summary = out
                .spin("pushing items", engine.push_items(codes.as_deref(), false))
                .await?;
            out.summary(&summary);
        }
        Command::Items { action, codes } => {
            if codes.is_empty() {
                bail!("items hold|activate: name at least one item group code");
            }
            let status = if matches!(action, ItemsAction::Hold) {
                ProductStatus::Held
            } else {
                ProductStatus::Active
            };
            let missing = engine.set_items_status(&codes, status).await?;
            for code in &missing {
                out.line(&format!(
                    "{code}: not on the storefront yet (push it first)"
                ));
            }
            out.line(&format!(
                "{} item(s) set to {status:?}",
                codes.len() - missing.len()
            ));
        }
        Command::Images { action, codes } => {
            let codes = (!codes.is_empty()).then_some(codes);
            let without = matches!(action, ImagesAction::Delete);
            let summary = out
                .spin(
                    "syncing images",
                    engine.push_items(codes.as_deref(), without),
                )
                .await?;
            out.summary(&summary);
        }
        Command::Stock {
            action: StockAction::Set,
        } => {
            out.summary(
                &out.spin("pushing stock changes", engine.run_flows(&[Flow::Stock]))
                    .await?,
            );
        }
        Command::Stock {
            action: StockAction::Reupload,
        } => {
            out.summary(
                &out.spin("re-uploading every stock level", engine.reupload_stock())
                    .await?,
            );
        }
        Command::Orders { .. } => {
            out.summary(
                &out.spin("pulling orders", engine.run_flows(&[Flow::Orders]))
                    .await?,
            );
        }
        Command::Customers { .. } => {
            out.summary(
                &out.spin("pulling customers", engine.run_flows(&[Flow::Customers]))
                    .await?,
            );
        }
        Command::Receipts {
            action: ReceiptsAction::Submit,
        } => {
            out.summary(
                &out.spin("submitting receipts", engine.run_flows(&[Flow::Receipts]))
                    .await?,
            );
        }
        Command::Receipts {
            action: ReceiptsAction::Status,
        } => {
            for (state, count) in engine.receipt_states().await? {
                out.line(&format!("{state:>10}  {count}"));
            }
        }
        Command::Reconcile { day, dry_run } => {
            let stock = out
                .spin("comparing stock", engine.reconcile_stock(dry_run))
                .await?;
            out.line(&format!(
                "stock: {} levels compared, {} differed{}",
                stock.compared,
                stock.drift.len(),
                if dry_run { " (dry run)" } else { ", corrected" }
            ));
            for d in &stock.drift {
                out.line(&format!(
                    "  {} @ {}: Flow {} / Shopify {}",
                    d.sku, d.location_id, d.erp, d.storefront
                ));
            }
            let day = day.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let sales = out
                .spin("comparing sales", engine.reconcile_sales(day))
                .await?;
            out.line(&format!("sales of {day}:"));
            for (gateway, s) in &sales.by_gateway {
                out.line(&format!(
                    "  {gateway:<12} orders {:>4}  Shopify {:>12}  Flow {:>12}  ETA {:>12}",
                    s.orders, s.storefront, s.erp, s.receipts
                ));
            }
            for m in &sales.mismatches {
                out.line(&format!("  mismatch {}: {}", m.name, m.problem));
            }
        }
        Command::Dlq {
            action: DlqAction::List,
            ..
        } => unreachable!("handled above"),
        Command::Dlq {
            action: DlqAction::Replay,
            id,
            all,
        } => {
            let target = match (id, all) {
                (Some(id), false) => Some(id),
                (None, true) => None,
                _ => bail!("dlq replay: give a job id or --all"),
            };
            let n = engine.replay(target).await?;
            out.line(&format!("{n} job(s) back in the queue"));
            out.summary(&engine.run_pending().await?);
        }
        Command::Plan => {
            let plan = engine.plan().await?;
            if plan.is_empty() {
                out.line("nothing to do");
            }
            for w in &plan {
                out.line(&format!(
                    "{:<10} {:<7} {:<10} {}",
                    w.flow, w.action, w.target, w.key
                ));
            }
        }
    }
    Ok(ok)
}
