//! `sandbox serve`: the three stand-ins as a process.
//!
//! Prints one JSON line with the base URLs when ready, then runs until SIGINT or SIGTERM.

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sandbox::{FaultRates, Ports, RunningSandbox, Sandbox, SandboxConfig};

#[derive(Debug, Parser)]
#[command(
    name = "sandbox",
    version,
    about = "Local stand-ins of Shopify, Flow ERP and ETA for tests, demos and benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the three stand-ins and print their base URLs as one JSON line.
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Preset {
    None,
    Mild,
    Harsh,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Write a `flow-shopify-sync` configuration pointing at the stand-ins to this file (its
    /// credential files and SQLite state file go beside it) before the ready line.
    #[arg(long, value_name = "FILE")]
    write_config: Option<std::path::PathBuf>,
    /// Seed of every generator (catalog, orders, keys, faults).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Fault preset; the per-fault flags below override single probabilities.
    #[arg(long, value_enum, default_value = "none")]
    faults: Preset,
    /// Probability of added latency per request.
    #[arg(long, value_parser = probability)]
    latency: Option<f64>,
    /// Upper bound of the added latency, in milliseconds.
    #[arg(long)]
    max_latency_ms: Option<u64>,
    /// Probability of a 5xx answered before processing.
    #[arg(long, value_parser = probability)]
    error_before: Option<f64>,
    /// Probability of a 5xx answered after processing (the request took effect).
    #[arg(long, value_parser = probability)]
    error_after: Option<f64>,
    /// Probability of the connection dropped after processing (the answer is lost).
    #[arg(long, value_parser = probability)]
    drop_after: Option<f64>,
    /// Probability of a throttling answer.
    #[arg(long, value_parser = probability)]
    throttle: Option<f64>,
    /// Probability of the session key / token being expired on a request.
    #[arg(long, value_parser = probability)]
    expire_session: Option<f64>,
    /// Number of Flow item groups (Shopify products) to seed.
    #[arg(long, default_value_t = 10)]
    catalog: usize,
    /// Number of Shopify orders generated at start.
    #[arg(long, default_value_t = 20)]
    orders: usize,
    /// Share of generated orders with a refund (0 to 1).
    #[arg(long, default_value_t = 0.1, value_parser = probability)]
    refund_rate: f64,
    /// Share of generated orders that are cancelled (0 to 1).
    #[arg(long, default_value_t = 0.05, value_parser = probability)]
    cancel_rate: f64,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port of the Shopify stand-in (0 = any free port).
    #[arg(long, default_value_t = 0)]
    shopify_port: u16,
    /// Port of the Flow ERP stand-in (0 = any free port).
    #[arg(long, default_value_t = 0)]
    flow_port: u16,
    /// Port of the ETA stand-in (0 = any free port).
    #[arg(long, default_value_t = 0)]
    eta_port: u16,
}

fn probability(text: &str) -> Result<f64, String> {
    let p: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not a probability between 0 and 1"))
    }
}

impl ServeArgs {
    fn config(&self) -> SandboxConfig {
        let mut rates = match self.faults {
            Preset::None => FaultRates::none(),
            Preset::Mild => FaultRates::mild(),
            Preset::Harsh => FaultRates::harsh(),
        };
        let set = |slot: &mut f64, v: Option<f64>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut rates.latency, self.latency);
        set(&mut rates.error_before, self.error_before);
        set(&mut rates.error_after, self.error_after);
        set(&mut rates.drop_after, self.drop_after);
        set(&mut rates.throttle, self.throttle);
        set(&mut rates.expire_session, self.expire_session);
        if let Some(ms) = self.max_latency_ms {
            rates.max_latency_ms = ms;
        }
        SandboxConfig {
            seed: self.seed,
            faults: rates,
            catalog_groups: self.catalog,
            orders: self.orders,
            refund_rate: self.refund_rate,
            cancel_rate: self.cancel_rate,
            bind: self.bind,
            ports: Ports {
                shopify: self.shopify_port,
                flow: self.flow_port,
                eta: self.eta_port,
            },
            ..SandboxConfig::default()
        }
    }
}

/// The line printed when the sandbox is ready.
fn ready_line(running: &RunningSandbox, seed: u64) -> String {
    serde_json::json!({
        "shopify_url": running.shopify_url(),
        "flow_url": running.flow_url(),
        "eta_url": running.eta_url(),
        "seed": seed,
    })
    .to_string()
}

/// Work done once the servers are up, before the ready line is printed.
///
/// Runs after the servers are up and before the ready line: writes the `--write-config` file
/// (a `flow-shopify-sync` configuration pointing at the stand-ins, with its credential files
/// and a SQLite state file beside it), so the ready line means the files exist.
fn after_start(running: &RunningSandbox, args: &ServeArgs) -> Result<(), String> {
    let Some(file) = &args.write_config else {
        return Ok(());
    };
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("--write-config: cannot create {}: {e}", dir.display()))?;
    let written =
        sandbox::sync_config::write(running, &dir).map_err(|e| format!("--write-config: {e}"))?;
    if written != *file {
        std::fs::rename(&written, file)
            .map_err(|e| format!("--write-config: cannot write {}: {e}", file.display()))?;
    }
    Ok(())
}

async fn wait_for_stop() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    let config = args.config();
    let running = match Sandbox::start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = after_start(&running, &args) {
        eprintln!("sandbox: {e}");
        running.shutdown().await;
        return ExitCode::from(1);
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", ready_line(&running, args.seed));
        let _ = out.flush();
    }
    wait_for_stop().await;
    running.shutdown().await;
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sandbox: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
    }
}
