//! `flow-shopify-sync`: the integration binary linking Flow ERP, Shopify and ETA e-receipts.
//!
//! `demo` runs everything embedded (the sandbox's stand-ins on loopback, SQLite in a temporary
//! folder); `run` is the daemon; the other subcommands are the operator's screens.

use flow_shopify_sync::screens::{
    CustomerMatchesReport, DeadLettersReport, ItemsStatusReport, PassReport, PlanReport,
    ReceiptStatusReport, ReconcileReport,
};
use flow_shopify_sync::{check, config, daemon, demo, eta_codes, output, wiring};

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use sync_core::engine::{Engine, Flow, ReceiptPhase, Summary};
use sync_core::model::ProductStatus;

use crate::config::Config;
use crate::output::Output;

/// Keeps Flow ERP, Shopify and the ETA e-receipt system in step.
///
/// Exit status: 0 done, nothing needs a decision; 1 done, but something needs an operator (the
/// screen names it); 2 could not do it (configuration, a system down, the state store).
#[derive(Debug, Parser)]
#[command(name = "flow-shopify-sync", version, about)]
struct Cli {
    /// The TOML configuration file.
    #[arg(long, global = true, env = "FLOW_SHOPIFY_SYNC_CONFIG")]
    config: Option<PathBuf>,
    /// Log filter (for example `info` or `sync_core=debug`); an invalid filter is an error.
    /// Default: `info` for `run` (it logs where it listens, its configuration and store),
    /// `warn` for the screens.
    #[arg(long, global = true)]
    log: Option<String>,
    /// Log line format on stderr: `text` for people, `json` for log shippers.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Print the screen's report as one JSON document on stdout (shapes in docs/cli.md);
    /// messages for people go to stderr.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs one full cycle of every flow against embedded stand-ins and prints a summary.
    Demo {
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
        /// Then serve the operator console over the demo's state on a local port, print its
        /// URL and a one-time sign-in, and keep serving until Ctrl-C.
        #[arg(long)]
        console: bool,
    },
    /// Runs the daemon: scheduled passes, webhook listener, health and metrics endpoints.
    Run {
        /// Run every flow to completion once, then exit (0 when only dead letters remain).
        #[arg(long)]
        once: bool,
    },
    /// Checks the configuration, then each system in turn, one line per check.
    Config {
        /// What to do.
        action: ConfigAction,
    },
    /// Shows the Shopify store's id, name, currency and API version.
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
    /// Pulls customers into Flow (`pull`), or lists checkout customers whose phone or e-mail
    /// matched an existing Flow customer, for merging (`matches`).
    Customers {
        /// What to do.
        action: CustomersAction,
    },
    /// Submits receipts or lists them with their states (`status`).
    Receipts {
        /// What to do.
        action: ReceiptsAction,
        /// `status`: only the receipts in this state (`built`, `submitted`, `valid`,
        /// `invalid`, `rejected`, `parked`).
        #[arg(long, value_parser = ReceiptPhase::parse)]
        state: Option<ReceiptPhase>,
    },
    /// Compares stock in full (pushing corrections) and the day's sales three ways; exits 1
    /// when anything is out of balance.
    Reconcile {
        /// The day of the sales comparison (UTC, `YYYY-MM-DD`). Default: today.
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
        /// Report only; push no corrections.
        #[arg(long)]
        dry_run: bool,
    },
    /// Lists or replays dead letters and parked jobs.
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
    /// Shows each Flow item's ETA item code and its status at ETA, and prepares a code-usage
    /// request for each of the taxpayer's own codes not registered; files them only with
    /// `--submit`.
    EtaCodes {
        /// File the prepared requests with ETA.
        #[arg(long)]
        submit: bool,
        /// The 8-digit GPC brick code of the requests (default `eta.item_codes.parent_code`).
        #[arg(long)]
        parent_code: Option<String>,
    },
    /// The operator console's tools: `hash-password` reads a password on stdin and prints its
    /// Argon2 PHC string, for `console.operators[].password_hash_env` / `_file`.
    Console {
        /// What to do.
        action: ConsoleAction,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ConsoleAction {
    HashPassword,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ConfigAction {
    Check,
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
enum CustomersAction {
    Pull,
    Matches,
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

/// Logs to stderr with `filter`; colour only on a terminal.
///
/// # Errors
///
/// When `filter` is not a valid filter (the message says why).
fn init_tracing(filter: &str, format: LogFormat) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("--log {filter:?} is not a valid log filter: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| output::LogWriter)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(())
}

fn main() -> ExitCode {
    // Before any thread starts: see `flow_shopify_sync::memory`.
    flow_shopify_sync::memory::keep_large_blocks_returnable();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(run_cli())
}

async fn run_cli() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::with_json(cli.json);
    let default = if matches!(cli.command, Command::Run { once: false }) {
        "info"
    } else {
        "warn"
    };
    let filter = cli.log.clone().unwrap_or_else(|| default.to_owned());
    let result = match init_tracing(&filter, cli.log_format) {
        Ok(()) => dispatch(cli, &out).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            out.error(&format!("{error:#}"));
            ExitCode::from(2)
        }
    }
}

async fn engine_from(path: Option<&PathBuf>) -> Result<(Config, Arc<Engine>, wiring::Wired)> {
    demo::engine_for(config_path(path)?).await
}

fn config_path(path: Option<&PathBuf>) -> Result<&PathBuf> {
    path.ok_or_else(|| {
        anyhow::anyhow!(
            "--config FILE is required for this command (or set FLOW_SHOPIFY_SYNC_CONFIG)"
        )
    })
}

/// A pass screen's report; an error naming each system the pass found down (its work waits in
/// the queue, but the screen did not do what it was asked).
fn pass(engine: &Engine, screen: &str, summary: Summary) -> Result<PassReport> {
    daemon::systems_up(engine)?;
    Ok(PassReport {
        screen: screen.to_owned(),
        replayed: None,
        unknown_codes: Vec::new(),
        summary,
    })
}

async fn dispatch(cli: Cli, out: &Output) -> Result<ExitCode> {
    match &cli.command {
        Command::Demo {
            catalog,
            orders,
            faults,
            seed,
            console,
        } => {
            demo::run(demo::DemoOptions {
                json: cli.json,
                catalog: *catalog,
                orders: *orders,
                faults: faults.clone(),
                seed: *seed,
                console: *console,
            })
            .await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Console {
            action: ConsoleAction::HashPassword,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| anyhow::anyhow!("reading the password on stdin: {e}"))?;
            let hash = flow_shopify_sync::console::auth::hash_password(
                password.trim_end_matches(['\n', '\r']),
            )?;
            output::print_line(&hash);
            return Ok(ExitCode::SUCCESS);
        }
        Command::Config {
            action: ConfigAction::Check,
        } => {
            let report = check::run(config_path(cli.config.as_ref())?).await;
            return Ok(out.report(&report));
        }
        Command::Dlq {
            action: DlqAction::List,
            ..
        } => {
            // Only the state store: dead letters can be listed while a service is down.
            let config = Config::load(config_path(cli.config.as_ref())?)?;
            let store = wiring::open_store(&config.store_url()).await?;
            let scope = sync_core::model::StoreScope::new(config.engine.scope.clone());
            let dead = sync_core::store::dead_letters(&*store, &scope).await?;
            return Ok(out.report(&DeadLettersReport::new(dead)));
        }
        _ => {}
    }
    let (config, engine, wired) = engine_from(cli.config.as_ref()).await?;
    let code = match cli.command {
        Command::Demo { .. }
        | Command::Console { .. }
        | Command::Config { .. }
        | Command::Dlq {
            action: DlqAction::List,
            ..
        } => unreachable!("handled above"),
        Command::Run { once } => return daemon::run(&config, engine, &wired, once).await,
        Command::StoreId => out.report(&wired.store_info().await?),
        Command::Items {
            action: ItemsAction::Push,
            codes,
        } => {
            let asked = (!codes.is_empty()).then_some(codes);
            let pushed = out
                .spin_jobs(
                    "pushing items",
                    &engine,
                    engine.push_items(asked.as_deref(), false),
                )
                .await?;
            out.report(&PassReport {
                unknown_codes: pushed.unknown,
                ..pass(&engine, "items push", pushed.summary)?
            })
        }
        Command::Items { action, codes } => {
            if codes.is_empty() {
                bail!("items hold|activate: name at least one item group code");
            }
            let (status, word) = if matches!(action, ItemsAction::Hold) {
                (ProductStatus::Held, "held")
            } else {
                (ProductStatus::Active, "active")
            };
            let missing = engine.set_items_status(&codes, status).await?;
            out.report(&ItemsStatusReport {
                status: word.to_owned(),
                set: codes
                    .iter()
                    .filter(|c| !missing.contains(c))
                    .cloned()
                    .collect(),
                not_on_storefront: missing,
            })
        }
        Command::Images { action, codes } => {
            let asked = (!codes.is_empty()).then_some(codes);
            let without = matches!(action, ImagesAction::Delete);
            let pushed = out
                .spin_jobs(
                    "syncing images",
                    &engine,
                    engine.push_items(asked.as_deref(), without),
                )
                .await?;
            let screen = if without {
                "images delete"
            } else {
                "images upload"
            };
            out.report(&PassReport {
                unknown_codes: pushed.unknown,
                ..pass(&engine, screen, pushed.summary)?
            })
        }
        Command::Stock {
            action: StockAction::Set,
        } => out.report(&pass(
            &engine,
            "stock set",
            out.spin_jobs(
                "pushing stock changes",
                &engine,
                engine.run_flows(&[Flow::Stock]),
            )
            .await?,
        )?),
        Command::Stock {
            action: StockAction::Reupload,
        } => out.report(&pass(
            &engine,
            "stock reupload",
            out.spin_jobs(
                "re-uploading every stock level",
                &engine,
                engine.reupload_stock(),
            )
            .await?,
        )?),
        Command::Orders { .. } => out.report(&pass(
            &engine,
            "orders pull",
            out.spin_jobs("pulling orders", &engine, engine.run_flows(&[Flow::Orders]))
                .await?,
        )?),
        Command::Customers {
            action: CustomersAction::Pull,
        } => out.report(&pass(
            &engine,
            "customers pull",
            out.spin_jobs(
                "pulling customers",
                &engine,
                engine.run_flows(&[Flow::Customers]),
            )
            .await?,
        )?),
        Command::Customers {
            action: CustomersAction::Matches,
        } => out.report(&CustomerMatchesReport {
            matches: engine.customer_matches().await?,
        }),
        Command::Receipts {
            action: ReceiptsAction::Submit,
            ..
        } => out.report(&pass(
            &engine,
            "receipts submit",
            out.spin_jobs(
                "submitting receipts",
                &engine,
                engine.run_flows(&[Flow::Receipts]),
            )
            .await?,
        )?),
        Command::Receipts {
            action: ReceiptsAction::Status,
            state,
        } => out.report(&ReceiptStatusReport {
            receipts: engine.receipt_statuses(state).await?,
            now: chrono::Utc::now(),
            margin: chrono::Duration::from_std(engine.config().receipt_deadline_margin)
                .unwrap_or_default(),
        }),
        Command::Reconcile { day, dry_run } => {
            let stock = out
                .spin_jobs("comparing stock", &engine, engine.reconcile_stock(dry_run))
                .await?;
            let day = day.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let sales = out
                .spin_jobs("comparing sales", &engine, engine.reconcile_sales(day))
                .await?;
            let locations = wired.location_names().await?;
            out.report(&ReconcileReport::new(
                &stock, &sales, day, dry_run, &locations,
            ))
        }
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
            let replayed = engine.replay(target).await?;
            let summary = out
                .spin_jobs("running the replayed jobs", &engine, engine.run_pending())
                .await?;
            out.report(&PassReport {
                replayed: Some(replayed),
                ..pass(&engine, "dlq replay", summary)?
            })
        }
        Command::Plan => out.report(&PlanReport::new(engine.plan().await?)),
        Command::EtaCodes {
            submit,
            parent_code,
        } => out.report(
            &out.spin(
                "reading the Flow catalogue and ETA's registered codes",
                eta_codes::run(
                    &wired.eta_codes,
                    &wired.flow,
                    &wired.eta,
                    parent_code,
                    submit,
                ),
            )
            .await?,
        ),
    };
    Ok(code)
}
