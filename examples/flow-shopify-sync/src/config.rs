//! The TOML configuration of `flow-shopify-sync`.
//!
//! Credentials never live in the file: a secret key `x` of a section is given as `x_env`
//! (the name of an environment variable) or `x_file` (a file holding it). A secret written
//! in the file itself is refused. Every error names the key and what was expected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use sync_core::engine::ReceiptTrigger;

/// The whole configuration. Its `Debug` shows no secret.
#[derive(Clone)]
pub struct Config {
    /// The file it was read from (`None` when parsed from text).
    pub file: Option<PathBuf>,
    /// Where relative paths are resolved.
    pub base_dir: PathBuf,
    /// `[store]`.
    pub store: StoreSection,
    /// `[engine]`.
    pub engine: EngineSection,
    /// `[daemon]`.
    pub daemon: DaemonSection,
    /// `[console]`: the operator console (off without operators).
    pub console: ConsoleSection,
    /// `[alerts]`: digests by e-mail and/or chat webhook (off without a channel).
    pub alerts: AlertsSection,
    /// `[shopify]`, with secrets resolved (kept as TOML for the client's own parser).
    pub shopify: toml::Table,
    /// `[flow]`, with secrets resolved.
    pub flow: toml::Table,
    /// `[eta]`, with secrets resolved.
    pub eta: toml::Table,
}

/// `[store]`: the state store. Its `Debug` shows no password.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// `sqlite://path` (relative to the config file) or `postgres://…` (with `?sslmode=…`).
    /// Default `sqlite://state.db`. A password in the URL is refused: give it with
    /// `password_env` or `password_file`.
    #[serde(default = "default_store")]
    pub url: String,
    /// The environment variable holding the PostgreSQL password.
    pub password_env: Option<String>,
    /// The file holding the PostgreSQL password (relative to the config file).
    pub password_file: Option<String>,
    /// The password, resolved from `password_env` or `password_file`.
    #[serde(skip)]
    password: Option<String>,
}

fn default_store() -> String {
    "sqlite://state.db".to_owned()
}

impl StoreSection {
    /// Resolves `password_env` / `password_file`, and refuses a password written in the URL.
    fn resolve_password(
        &mut self,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<()> {
        let parsed = url::Url::parse(&self.url).ok();
        if parsed.as_ref().and_then(url::Url::password).is_some() {
            bail!(
                "store.url: a password in the URL is not accepted; set store.password_env (an \
                 environment variable name) or store.password_file (a file path) instead"
            );
        }
        let mut table = toml::Table::new();
        for (key, value) in [
            ("password_env", self.password_env.take()),
            ("password_file", self.password_file.take()),
        ] {
            if let Some(value) = value {
                table.insert(key.to_owned(), toml::Value::String(value));
            }
        }
        resolve_secret("store", "password", &mut table, base_dir, env)?;
        self.password = match table.remove("password") {
            Some(toml::Value::String(password)) => Some(password),
            _ => None,
        };
        if self.password.is_some()
            && !parsed
                .is_some_and(|u| u.scheme().starts_with("postgres") && !u.username().is_empty())
        {
            bail!(
                "store.password_env / store.password_file: a password is for a PostgreSQL store; \
                 store.url must be postgres://USER@HOST/DB"
            );
        }
        Ok(())
    }
}

mod operators;

pub use operators::{
    AlertsSection, ChatAlerts, ConsoleSection, EmailAlerts, OperatorEntry, Role, SmtpSecurity,
};

/// `[engine]`: scope, schedule and mappings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    /// The scope of this shop's bindings and jobs. Default `default`.
    #[serde(default = "default_scope")]
    pub scope: String,
    /// Worker name (for leases). Default: host process id.
    pub worker: Option<String>,
    /// Seconds between passes of `run`. Default 60.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// Overlap window of incremental reads, seconds. Default 300.
    #[serde(default = "default_overlap")]
    pub overlap_secs: u64,
    /// When a sale becomes a receipt: `on_paid` (default), `on_fulfilled`, `on_import`.
    #[serde(default)]
    pub receipt_trigger: ReceiptTrigger,
    /// Whether receipts are issued. Default `true`.
    #[serde(default = "yes")]
    pub receipts: bool,
    /// Hours after a sale (or refund) by which its receipt should be Valid at ETA. Default 24 (ETA's window).
    #[serde(default = "default_deadline_hours")]
    pub receipt_deadline_hours: u64,
    /// Receipts not Valid with fewer hours than this left before their deadline are reported (warn log, `/metrics`, `receipts status`). Default 4.
    #[serde(default = "default_deadline_margin_hours")]
    pub receipt_deadline_margin_hours: u64,
    /// When receipts went live, UTC (`"2026-12-01"` or `"2026-12-01T08:00:00Z"`): an order made before it gets no sale receipt, and its refunds a return receipt referencing the sale receipt ETA holds, or else one without reference. Default: none (every sale gets its receipt, and a return always waits for its sale's).
    pub receipts_go_live: Option<String>,
    /// Flow store number → Shopify location id (`gid://shopify/Location/…`) or name.
    #[serde(default)]
    pub locations: BTreeMap<String, String>,
    /// Days of audit log kept. Default 30.
    #[serde(default = "default_retention")]
    pub audit_retention_days: u64,
    /// More orders to read than this (Shopify's `ordersCount`, asked when the first page of
    /// changes is full) and they are read through one bulk query instead of page by page;
    /// 0 never uses one. Default 2000.
    #[serde(default = "default_bulk_threshold")]
    pub bulk_threshold: u64,
}

fn default_bulk_threshold() -> u64 {
    2_000
}

fn default_scope() -> String {
    "default".to_owned()
}
fn default_interval() -> u64 {
    60
}
fn default_overlap() -> u64 {
    300
}
fn default_retention() -> u64 {
    30
}
fn default_deadline_hours() -> u64 {
    24
}
fn default_deadline_margin_hours() -> u64 {
    4
}
fn yes() -> bool {
    true
}

/// `[daemon]`: listeners of `run`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonSection {
    /// Address of the webhook, health and metrics listener. Default `127.0.0.1:8088`.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The public URL of `/webhooks/shopify` (behind your TLS proxy). When set, `run`
    /// subscribes it to the order and refund topics at start. Default: not set (subscribe by
    /// other means, or rely on polling alone).
    pub public_url: Option<String>,
}

fn default_listen() -> String {
    "127.0.0.1:8088".to_owned()
}

impl Default for DaemonSection {
    fn default() -> Self {
        DaemonSection {
            listen: default_listen(),
            public_url: None,
        }
    }
}

impl std::fmt::Debug for StoreSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSection")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .finish_non_exhaustive()
    }
}

/// What `Debug` shows in place of a secret.
const REDACTED: &str = "[redacted]";

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |name: &str, table: &toml::Table| {
            let secrets = SECRETS
                .iter()
                .find(|(section, _)| *section == name)
                .map_or(&[][..], |(_, keys)| *keys);
            let mut shown = table.clone();
            for key in secrets {
                if shown.contains_key(*key) {
                    shown.insert((*key).to_owned(), toml::Value::String(REDACTED.to_owned()));
                }
            }
            // Each ETA device's own secrets too.
            if let Some(toml::Value::Array(devices)) = shown.get_mut("devices") {
                for device in devices.iter_mut().filter_map(toml::Value::as_table_mut) {
                    for key in secrets {
                        if device.contains_key(*key) {
                            device.insert(
                                (*key).to_owned(),
                                toml::Value::String(REDACTED.to_owned()),
                            );
                        }
                    }
                }
            }
            shown
        };
        f.debug_struct("Config")
            .field("file", &self.file)
            .field("base_dir", &self.base_dir)
            .field("store", &self.store)
            .field("engine", &self.engine)
            .field("daemon", &self.daemon)
            .field("console", &self.console)
            .field("alerts", &self.alerts)
            .field("shopify", &redacted("shopify", &self.shopify))
            .field("flow", &redacted("flow", &self.flow))
            .field("eta", &redacted("eta", &self.eta))
            .finish()
    }
}

/// The secret keys of each section.
const SECRETS: &[(&str, &[&str])] = &[
    (
        "shopify",
        &["access_token", "client_secret", "webhook_secret"],
    ),
    ("flow", &["password"]),
    ("eta", &["client_secret", "preshared_key"]),
];

impl Config {
    /// Reads and checks the file.
    ///
    /// # Errors
    ///
    /// When the file cannot be read, is not TOML, has an unknown or ill-typed key, holds a
    /// secret in clear, or names a secret source that is missing.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut config = Config::parse(&text, base_dir, &|name| std::env::var(name).ok())
            .with_context(|| format!("config file {}", path.display()))?;
        config.file = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses configuration text; `env` looks environment variables up.
    ///
    /// # Errors
    ///
    /// As [`Config::load`].
    pub fn parse(
        text: &str,
        base_dir: PathBuf,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let mut root: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let at = e.span().map_or_else(String::new, |span| {
                let (line, column) = line_and_column(text, span.start);
                format!(" at line {line}, column {column}")
            });
            anyhow!("not valid TOML{at}: {}", e.message().trim_end())
        })?;
        let known = [
            "store", "engine", "daemon", "console", "alerts", "shopify", "flow", "eta",
        ];
        if let Some(unknown) = root.keys().find(|k| !known.contains(&k.as_str())) {
            bail!(
                "{unknown}: unknown section (expected one of {})",
                known.join(", ")
            );
        }
        let mut store = section::<StoreSection>(&mut root, "store")?;
        store.resolve_password(&base_dir, env)?;
        let engine = section::<EngineSection>(&mut root, "engine")?;
        let daemon = section::<DaemonSection>(&mut root, "daemon")?;
        operators::refuse_clear_secrets(&root)?;
        let mut console = section::<ConsoleSection>(&mut root, "console")?;
        console.resolve(&base_dir, env)?;
        let mut alerts = section::<AlertsSection>(&mut root, "alerts")?;
        alerts.resolve(&base_dir, env)?;
        if console.secure_cookie.is_none() {
            console.secure_cookie = Some(
                daemon
                    .public_url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://")),
            );
        }
        let mut systems = BTreeMap::new();
        for (name, secrets) in SECRETS {
            let mut table = match root.remove(*name) {
                Some(toml::Value::Table(t)) => t,
                Some(_) => bail!("{name}: expected a table"),
                None => bail!("{name}: missing section [{name}]"),
            };
            for secret in *secrets {
                resolve_secret(name, secret, &mut table, &base_dir, env)?;
            }
            // `[[eta.devices]]`: each device's secrets, named by its place in the list.
            if let Some(devices) = table.get_mut("devices") {
                let toml::Value::Array(devices) = devices else {
                    bail!("{name}.devices: expected a list of tables ([[{name}.devices]])");
                };
                for (i, device) in devices.iter_mut().enumerate() {
                    let toml::Value::Table(device) = device else {
                        bail!("{name}.devices[{i}]: expected a table");
                    };
                    for secret in *secrets {
                        resolve_secret(
                            &format!("{name}.devices[{i}]"),
                            secret,
                            device,
                            &base_dir,
                            env,
                        )?;
                    }
                }
            }
            systems.insert(*name, table);
        }
        check_bounds(&engine)?;
        let shopify = systems.get("shopify").cloned().unwrap_or_default();
        if daemon.public_url.is_some()
            && !shopify.contains_key("webhook_secret")
            && !shopify.contains_key("client_secret")
        {
            bail!(
                "daemon.public_url: webhooks are subscribed, but no shopify.webhook_secret (or \
                 shopify.client_secret) is configured to verify them: every delivery would be \
                 refused with 401; set shopify.webhook_secret_env or _file, or remove public_url"
            );
        }
        Ok(Config {
            file: None,
            base_dir,
            store,
            engine,
            daemon,
            console,
            alerts,
            shopify: systems.remove("shopify").unwrap_or_default(),
            flow: systems.remove("flow").unwrap_or_default(),
            eta: systems.remove("eta").unwrap_or_default(),
        })
    }

    /// The state store URL with a relative SQLite path resolved against the config's folder,
    /// and the PostgreSQL password (from `password_env` or `password_file`) filled in.
    pub fn store_url(&self) -> String {
        match self.store.url.strip_prefix("sqlite://") {
            Some(path) if !Path::new(path).is_absolute() && !path.starts_with(':') => {
                format!("sqlite://{}", self.base_dir.join(path).display())
            }
            _ => match (&self.store.password, url::Url::parse(&self.store.url)) {
                (Some(password), Ok(mut url)) => {
                    // Checked at parse time: a postgres URL with a user name.
                    let _ = url.set_password(Some(password));
                    url.to_string()
                }
                _ => self.store.url.clone(),
            },
        }
    }

    /// The engine's configuration.
    pub fn engine_config(&self) -> sync_core::engine::EngineConfig {
        let mut config = sync_core::engine::EngineConfig::new(self.engine.scope.as_str());
        if let Some(worker) = &self.engine.worker {
            config.worker = worker.clone();
        }
        config.locations = self
            .engine
            .locations
            .iter()
            .map(|(store, target)| (store.clone(), target.as_str().into()))
            .collect();
        config.overlap = Duration::from_secs(self.engine.overlap_secs);
        config.receipt_trigger = self.engine.receipt_trigger;
        config.receipts_enabled = self.engine.receipts;
        config.audit_retention = Duration::from_secs(self.engine.audit_retention_days * 86_400);
        config.receipt_deadline = Duration::from_secs(self.engine.receipt_deadline_hours * 3_600);
        config.receipt_deadline_margin =
            Duration::from_secs(self.engine.receipt_deadline_margin_hours * 3_600);
        config.bulk_threshold =
            (self.engine.bulk_threshold > 0).then_some(self.engine.bulk_threshold);
        // Checked when the file was read.
        config.go_live = go_live(&self.engine).ok().flatten();
        config
    }
}

/// The longest overlap window an incremental read may have (one day).
const MAX_OVERLAP_SECS: u64 = 86_400;
/// The longest receipt deadline or margin, in hours (30 days).
const MAX_RECEIPT_HOURS: u64 = 720;
/// The longest audit retention (ten years).
const MAX_AUDIT_RETENTION_DAYS: u64 = 3_650;

/// `engine.receipts_go_live` as a time: a date is its midnight UTC.
fn go_live(engine: &EngineSection) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    let Some(text) = engine.receipts_go_live.as_deref() else {
        return Ok(None);
    };
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.with_timezone(&chrono::Utc)));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            anyhow!(
                "engine.receipts_go_live: expected a date (\"2026-12-01\") or an RFC 3339 time (\"2026-12-01T08:00:00Z\"), got {text:?}"
            )
        })
}

/// Numbers that would overflow the engine's date arithmetic are refused, naming the key.
fn check_bounds(engine: &EngineSection) -> Result<()> {
    go_live(engine)?;
    if engine.overlap_secs > MAX_OVERLAP_SECS {
        bail!(
            "engine.overlap_secs: at most {MAX_OVERLAP_SECS} (one day), got {}",
            engine.overlap_secs
        );
    }
    for (key, hours) in [
        (
            "engine.receipt_deadline_hours",
            engine.receipt_deadline_hours,
        ),
        (
            "engine.receipt_deadline_margin_hours",
            engine.receipt_deadline_margin_hours,
        ),
    ] {
        if hours > MAX_RECEIPT_HOURS {
            bail!("{key}: at most {MAX_RECEIPT_HOURS} (30 days), got {hours}");
        }
    }
    if engine.audit_retention_days > MAX_AUDIT_RETENTION_DAYS {
        bail!(
            "engine.audit_retention_days: at most {MAX_AUDIT_RETENTION_DAYS} (ten years), got {}",
            engine.audit_retention_days
        );
    }
    Ok(())
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn section<T: serde::de::DeserializeOwned>(root: &mut toml::Table, name: &str) -> Result<T> {
    let table = match root.remove(name) {
        Some(toml::Value::Table(table)) => table,
        Some(_) => bail!("{name}: expected a table"),
        None => toml::Table::new(),
    };
    parse_section(name, &table)
}

/// Deserializes the table of section `name`; an error names the key (`name.key`) and what was
/// expected.
///
/// # Errors
///
/// When a key is unknown or does not have the expected type.
pub fn parse_section<T: serde::de::DeserializeOwned>(name: &str, table: &toml::Table) -> Result<T> {
    let text = toml::to_string(table).map_err(|e| anyhow!("{name}: {e}"))?;
    let de = toml::Deserializer::parse(&text).map_err(|e| anyhow!("{name}: {}", e.message()))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let key = if path == "." {
            name.to_owned()
        } else {
            format!("{name}.{path}")
        };
        anyhow!("{key}: {}", e.inner().message())
    })
}

fn resolve_secret(
    section: &str,
    key: &str,
    table: &mut toml::Table,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    if table.contains_key(key) {
        bail!(
            "{section}.{key}: secrets are not accepted in the config file; set {section}.{key}_env (an environment variable name) or {section}.{key}_file (a file path) instead"
        );
    }
    let from_env = table.remove(&format!("{key}_env"));
    let from_file = table.remove(&format!("{key}_file"));
    let value = match (from_env, from_file) {
        (Some(_), Some(_)) => {
            bail!("{section}.{key}_env and {section}.{key}_file: give one of them, not both")
        }
        (Some(toml::Value::String(var)), None) => Some(env(&var).ok_or_else(|| {
            anyhow!("{section}.{key}_env: environment variable {var} is not set")
        })?),
        (None, Some(toml::Value::String(file))) => {
            let path = base_dir.join(&file);
            warn_if_shared(&format!("{section}.{key}_file"), &path);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                anyhow!("{section}.{key}_file: cannot read {}: {e}", path.display())
            })?;
            Some(text.trim_end_matches(['\n', '\r']).to_owned())
        }
        (Some(_), None) => bail!("{section}.{key}_env: expected a string (a variable name)"),
        (None, Some(_)) => bail!("{section}.{key}_file: expected a string (a file path)"),
        (None, None) => None,
    };
    if let Some(value) = value {
        table.insert(key.to_owned(), toml::Value::String(value));
    }
    Ok(())
}

/// Warns when a secret file can be read by other users than its owner; returns whether it
/// warned.
fn warn_if_shared(key: &str, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                key,
                path = %path.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "a secret file is readable by other users: chmod 600 it"
            );
            return true;
        }
    }
    #[cfg(not(unix))]
    let _ = (key, path);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "FLOW_PASS").then(|| "s3cret".to_owned())
    }

    const GOOD: &str = r#"
[store]
url = "sqlite://state.db"
[engine]
scope = "shop-1"
locations = { "1" = "gid://shopify/Location/1" }
[shopify]
shop = "x.myshopify.com"
[flow]
account = "1"
password_env = "FLOW_PASS"
[eta]
client_id = "abc"
"#;

    #[test]
    fn a_toml_syntax_error_gives_its_line_and_column() {
        let text = "[store]\nurl = \"sqlite://x.db\"\n[engine]\nscope = shop\n";
        let error = Config::parse(text, PathBuf::from("/cfg"), &env)
            .expect_err("invalid TOML is refused")
            .to_string();
        assert!(error.contains("line 4, column 9"), "{error}");
        assert_eq!(line_and_column("ab\nقد x", 8), (2, 4));
    }

    #[test]
    fn secrets_come_from_env_or_files_never_from_the_file() {
        let config = Config::parse(GOOD, PathBuf::from("/cfg"), &env).unwrap();
        assert_eq!(config.flow["password"].as_str(), Some("s3cret"));
        assert!(!config.flow.contains_key("password_env"));
        assert_eq!(config.store_url(), "sqlite:///cfg/state.db");
        assert_eq!(
            config.engine_config().locations["1"],
            "gid://shopify/Location/1"
        );

        let clear = GOOD.replace("password_env = \"FLOW_PASS\"", "password = \"oops\"");
        let err = Config::parse(&clear, PathBuf::new(), &env)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("flow.password: secrets are not accepted"),
            "{err}"
        );
        assert!(!err.contains("oops"));

        let missing = GOOD.replace("FLOW_PASS", "NOPE");
        let err = Config::parse(&missing, PathBuf::new(), &env)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "flow.password_env: environment variable NOPE is not set"
        );
    }

    #[test]
    fn a_bad_key_is_named_with_what_is_expected() {
        let bad = GOOD.replace(
            "scope = \"shop-1\"",
            "scope = \"shop-1\"\ninterval_secs = \"soon\"",
        );
        let err = Config::parse(&bad, PathBuf::new(), &env)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("engine.interval_secs:"), "{err}");
        let unknown = GOOD.replace("[store]", "[stroe]");
        let err = Config::parse(&unknown, PathBuf::new(), &env)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("stroe: unknown section"), "{err}");
        let trigger = GOOD.replace("scope = \"shop-1\"", "receipt_trigger = \"whenever\"");
        let err = Config::parse(&trigger, PathBuf::new(), &env)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("engine.receipt_trigger:"), "{err}");
    }

    #[test]
    fn numbers_that_would_overflow_are_refused_naming_the_key() {
        for (key, value) in [
            ("overlap_secs", "9223372036854775807"),
            ("audit_retention_days", "9223372036854775807"),
            ("overlap_secs", "86401"),
        ] {
            let bad = GOOD.replace(
                "scope = \"shop-1\"",
                &format!("scope = \"shop-1\"\n{key} = {value}"),
            );
            let err = Config::parse(&bad, PathBuf::new(), &env)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("engine.{key}:")), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_readable_by_others_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "s").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(warn_if_shared("flow.password_file", &path));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(!warn_if_shared("flow.password_file", &path));
    }

    #[test]
    fn debug_shows_no_secret() {
        let with_pg = GOOD.replace(
            "url = \"sqlite://state.db\"",
            "url = \"postgres://sync@db.example.com/sync?sslmode=verify-full\"\npassword_env = \"FLOW_PASS\"",
        );
        let config = Config::parse(&with_pg, PathBuf::new(), &env).unwrap();
        assert_eq!(config.flow["password"].as_str(), Some("s3cret"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        // The resolved store URL carries the password, for the store alone.
        assert_eq!(
            config.store_url(),
            "postgres://sync:s3cret@db.example.com/sync?sslmode=verify-full"
        );
    }

    #[test]
    fn a_store_password_comes_from_env_or_file_never_from_the_url() {
        let in_url = GOOD.replace(
            "url = \"sqlite://state.db\"",
            "url = \"postgres://sync:hunter2@db.example.com/sync\"",
        );
        let err = Config::parse(&in_url, PathBuf::new(), &env)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("store.url: a password in the URL"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let sqlite_with_password = GOOD.replace(
            "url = \"sqlite://state.db\"",
            "url = \"sqlite://state.db\"\npassword_env = \"FLOW_PASS\"",
        );
        let err = Config::parse(&sqlite_with_password, PathBuf::new(), &env)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("store.password_env"), "{err}");
    }

    #[test]
    fn a_public_url_without_a_webhook_secret_is_a_configuration_error() {
        let with_url =
            format!("{GOOD}[daemon]\npublic_url = \"https://sync.example.com/webhooks/shopify\"\n");
        let err = Config::parse(&with_url, PathBuf::new(), &env)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("daemon.public_url:"), "{err}");
        assert!(err.contains("webhook_secret"), "{err}");
        let with_secret = with_url.replace(
            "shop = \"x.myshopify.com\"",
            "shop = \"x.myshopify.com\"\nwebhook_secret_env = \"FLOW_PASS\"",
        );
        Config::parse(&with_secret, PathBuf::new(), &env).expect("a secret makes it valid");
    }
}
