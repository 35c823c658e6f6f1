//! `eta-receipt`: the ETA e-receipt side on the command line.
//!
//! ```text
//! eta-receipt canonicalize [FILE]            canonical text + newline
//! eta-receipt uuid [FILE] [--batch]          the uuid (one per receipt with --batch)
//! eta-receipt validate [FILE]                exit 0 when valid, else 1 and one line per problem
//! eta-receipt qr [FILE] [--png OUT | --svg OUT] [--portal prod|preprod|URL]
//! eta-receipt submit [FILE] --env preprod|prod   credentials from the environment or files
//! ```
//!
//! FILE defaults to standard input. Errors go to standard error with exit code 2.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use eta_ereceipt::canonical::{
    batch_receipt_uuids, canonicalize_into, receipt_uuid, stamp_receipt_uuid,
};
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials, SubmissionBatch};
use eta_ereceipt::qr::{Portal, qr_content, qr_png, qr_svg};
use eta_ereceipt::validate::{ValidationOptions, validate_json};
use serde::Deserialize;
use serde_json::value::RawValue;
use sync_core::transport::ReqwestTransport;

#[derive(Parser, Debug)]
#[command(
    name = "eta-receipt",
    version,
    about = "ETA e-receipts: canonical form, uuid, validation, QR code, submission"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print ETA's canonical serialization of a JSON document, then a newline.
    Canonicalize {
        /// The JSON file (standard input when absent).
        file: Option<PathBuf>,
    },
    /// Print a receipt's uuid (SHA-256 of its canonical form with header.uuid = "").
    Uuid {
        /// The receipt JSON file (standard input when absent).
        file: Option<PathBuf>,
        /// Read {"receipts":[...]} and print one uuid per line, in order.
        #[arg(long)]
        batch: bool,
    },
    /// Check a receipt before sending: exit 0 when valid, else 1 with one "path: rule" line per
    /// problem.
    Validate {
        /// The receipt JSON file (standard input when absent).
        file: Option<PathBuf>,
        /// The time to check dateTimeIssued against (RFC 3339). Default: now.
        #[arg(long)]
        now: Option<String>,
        /// Tolerance of calculation checks. Default 0.5.
        #[arg(long)]
        tolerance: Option<rust_decimal::Decimal>,
    },
    /// Print a receipt's QR content, or write it as an image.
    Qr {
        /// The receipt JSON file (standard input when absent).
        file: Option<PathBuf>,
        /// Write a PNG image here.
        #[arg(long, conflicts_with = "svg")]
        png: Option<PathBuf>,
        /// Write an SVG image here.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Portal of the link: prod, preprod, or a base URL.
        #[arg(long, default_value = "prod")]
        portal: String,
        /// Pixels per module of the PNG.
        #[arg(long, default_value_t = 8)]
        module_px: u32,
    },
    /// Submit receipts (a receipt or {"receipts":[...]}); uuids are computed and written in.
    ///
    /// Credentials come from the environment or from files only: ETA_CLIENT_ID,
    /// ETA_CLIENT_SECRET or --client-secret-file, ETA_POS_SERIAL, ETA_POS_OS_VERSION,
    /// ETA_POS_MODEL_FRAMEWORK, ETA_PRESHARED_KEY or --preshared-key-file.
    Submit {
        /// The JSON file (standard input when absent).
        file: Option<PathBuf>,
        /// ETA environment.
        #[arg(long, value_enum, env = "ETA_ENV", default_value = "preprod")]
        env: Env,
        /// API base URL (default: the environment's).
        #[arg(long, env = "ETA_API_URL")]
        api_url: Option<String>,
        /// Identity (token) base URL (default: the environment's).
        #[arg(long, env = "ETA_IDENTITY_URL")]
        identity_url: Option<String>,
        /// OAuth client id.
        #[arg(long, env = "ETA_CLIENT_ID")]
        client_id: String,
        /// File holding the client secret (else ETA_CLIENT_SECRET).
        #[arg(long)]
        client_secret_file: Option<PathBuf>,
        /// POS serial (= seller.deviceSerialNumber).
        #[arg(long, env = "ETA_POS_SERIAL")]
        pos_serial: String,
        /// POS OS version header.
        #[arg(long, env = "ETA_POS_OS_VERSION", default_value = "os")]
        pos_os_version: String,
        /// POS model framework header.
        #[arg(long, env = "ETA_POS_MODEL_FRAMEWORK", default_value = "1")]
        pos_model_framework: String,
        /// File holding the POS pre-shared key (else ETA_PRESHARED_KEY).
        #[arg(long)]
        preshared_key_file: Option<PathBuf>,
        /// Per-attempt timeout in seconds.
        #[arg(long, default_value_t = 60)]
        timeout_secs: u64,
        /// Use the platform TLS library (needs the native-tls feature).
        #[arg(long)]
        native_tls: bool,
        /// Send even when local validation finds problems (by default they are printed, one
        /// line each, and nothing is sent: exit 1).
        #[arg(long)]
        skip_validation: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Env {
    Preprod,
    Prod,
}

/// A failure: message on standard error, exit code 2.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn read_input(file: Option<&Path>) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    match file {
        Some(p) => {
            bytes = std::fs::read(p).map_err(|e| Failure(format!("{}: {e}", p.display())))?;
        }
        None => {
            std::io::stdin().read_to_end(&mut bytes)?;
        }
    }
    String::from_utf8(bytes).map_err(|e| {
        Failure(format!(
            "input is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn secret(file: Option<&Path>, var: &str, flag: &str) -> Result<String, Failure> {
    match file {
        Some(p) => Ok(std::fs::read_to_string(p)
            .map_err(|e| Failure(format!("{}: {e}", p.display())))?
            .trim_end_matches(['\r', '\n'])
            .to_owned()),
        None => std::env::var(var).map_err(|_| {
            Failure(format!(
                "set {var} or pass {flag} (secrets are never taken as plain flags)"
            ))
        }),
    }
}

#[derive(Deserialize)]
struct QrProbe<'a> {
    header: QrHeader,
    seller: QrSeller,
    #[serde(rename = "totalAmount", borrow)]
    total_amount: &'a RawValue,
}
#[derive(Deserialize)]
struct QrHeader {
    #[serde(rename = "dateTimeIssued")]
    date_time_issued: String,
}
#[derive(Deserialize)]
struct QrSeller {
    rin: String,
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cli.command {
        Command::Canonicalize { file } => {
            let text = read_input(file.as_deref())?;
            let mut buf = Vec::with_capacity(text.len());
            canonicalize_into(&text, &mut buf)?;
            buf.push(b'\n');
            out.write_all(&buf)?;
        }
        Command::Uuid { file, batch } => {
            let text = read_input(file.as_deref())?;
            if batch {
                for entry in batch_receipt_uuids(&text)? {
                    writeln!(out, "{}", entry.uuid)?;
                }
            } else {
                writeln!(out, "{}", receipt_uuid(&text)?)?;
            }
        }
        Command::Validate {
            file,
            now,
            tolerance,
        } => {
            let text = read_input(file.as_deref())?;
            let now = match now {
                Some(t) => chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|e| Failure(format!("--now: {e}")))?
                    .with_timezone(&chrono::Utc),
                None => chrono::Utc::now(),
            };
            let mut options = ValidationOptions::at(now);
            if let Some(t) = tolerance {
                options = options.tolerance(t);
            }
            let problems = validate_json(&text, &options);
            for p in &problems {
                writeln!(out, "{p}")?;
            }
            out.flush()?;
            return Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        Command::Qr {
            file,
            png,
            svg,
            portal,
            module_px,
        } => {
            let text = read_input(file.as_deref())?;
            let stamped = stamp_receipt_uuid(&text)?;
            let probe: QrProbe<'_> = serde_json::from_str(&stamped.json).map_err(|e| {
                Failure(format!(
                    "a QR code needs header.dateTimeIssued, seller.rin and totalAmount: {e}"
                ))
            })?;
            let total = probe.total_amount.get().trim_matches('"');
            let portal = match portal.as_str() {
                "prod" => Portal::Production,
                "preprod" => Portal::Preproduction,
                url => Portal::Custom(url.to_owned()),
            };
            let content = qr_content(
                &portal,
                stamped.uuid.as_str(),
                &probe.header.date_time_issued,
                total,
                &probe.seller.rin,
            );
            if let Some(path) = png {
                std::fs::write(&path, qr_png(&content, module_px)?)
                    .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
            } else if let Some(path) = svg {
                std::fs::write(&path, qr_svg(&content)?)
                    .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
            } else {
                writeln!(out, "{content}")?;
            }
        }
        Command::Submit {
            file,
            env,
            api_url,
            identity_url,
            client_id,
            client_secret_file,
            pos_serial,
            pos_os_version,
            pos_model_framework,
            preshared_key_file,
            timeout_secs,
            native_tls,
            skip_validation,
        } => {
            let text = read_input(file.as_deref())?;
            let client_secret = secret(
                client_secret_file.as_deref(),
                "ETA_CLIENT_SECRET",
                "--client-secret-file",
            )?;
            let preshared = secret(
                preshared_key_file.as_deref(),
                "ETA_PRESHARED_KEY",
                "--preshared-key-file",
            )?;
            let credentials = PosCredentials::new(
                client_id,
                client_secret,
                pos_serial,
                pos_os_version,
                pos_model_framework,
                preshared,
            );
            let environment = match env {
                Env::Preprod => Environment::Preproduction,
                Env::Prod => Environment::Production,
            };
            let transport = ReqwestTransport::builder()
                .timeout(std::time::Duration::from_secs(timeout_secs))
                .native_tls(native_tls)
                .build()?;
            let mut builder =
                EtaClient::builder(environment, credentials).transport(Arc::new(transport));
            if let Some(url) = api_url {
                builder = builder.api_url(url);
            }
            if let Some(url) = identity_url {
                builder = builder.identity_url(url);
            }
            let client = builder.build()?;
            let is_batch =
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
                    .map(|m| m.contains_key("receipts"))
                    .unwrap_or(false);
            let batch_text = if is_batch {
                text
            } else {
                format!("{{\"receipts\":[{text}]}}")
            };
            let batch = SubmissionBatch::from_batch_json(&batch_text)?;
            if !skip_validation {
                let options = ValidationOptions::at(chrono::Utc::now());
                let mut invalid = false;
                for (i, receipt) in batch.receipts().iter().enumerate() {
                    for p in validate_json(&receipt.json, &options) {
                        invalid = true;
                        writeln!(out, "receipts[{i}].{p}")?;
                    }
                }
                if invalid {
                    out.flush()?;
                    return Ok(ExitCode::from(1));
                }
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let result = runtime.block_on(client.submit(&batch))?;
            let summary = serde_json::json!({
                "submissionIds": result.submission_ids,
                "accepted": result.accepted,
                "rejected": result.rejected,
                "alreadyKnown": result.already_known.iter().map(|k| k.uuid.as_str()).collect::<Vec<_>>(),
                "unresolved": result.unresolved.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
            out.flush()?;
            return Ok(if result.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("ETA_LOG"))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(Failure(message)) => {
            eprintln!("eta-receipt: {message}");
            ExitCode::from(2)
        }
    }
}
