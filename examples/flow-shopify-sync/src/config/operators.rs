//! The sections of the people who run the connector: `[console]` (operators and their
//! sessions) and `[alerts]` (digest channels), with their checks.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use serde::Deserialize;

use super::{REDACTED, resolve_secret};

/// `[console]`: the operator console under `/console` on the daemon's listener. It is off
/// unless at least one operator is configured. Its `Debug` shows no password hash.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSection {
    /// The people who may sign in: `[[console.operators]]` tables with `name`, `role`
    /// (`operator` or `read_only`) and `password_hash_env` or `password_hash_file` (an
    /// Argon2 PHC string, `$argon2id$…`). None: the console is off.
    #[serde(default)]
    pub operators: Vec<OperatorEntry>,
    /// Mark the session cookie `Secure` (sent over HTTPS only). Default: `true` when
    /// `daemon.public_url` is `https://…` (the listener sits behind a TLS proxy), else `false`.
    pub secure_cookie: Option<bool>,
    /// Minutes a session lasts. Default 480 (a working day).
    #[serde(default = "default_session_minutes")]
    pub session_minutes: u64,
    /// Failed sign-ins allowed per operator name (and ten times that in all) per 15 minutes;
    /// more are refused with 429 until the window passes. Default 5.
    #[serde(default = "default_login_attempts")]
    pub login_attempts: u32,
}

fn default_session_minutes() -> u64 {
    480
}
fn default_login_attempts() -> u32 {
    5
}

/// What an operator may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees every page; cannot change anything.
    ReadOnly,
    /// Sees every page and acts: replay, dismiss, add a mapping, sync now.
    Operator,
}

impl Role {
    /// The role's name as configured.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadOnly => "read_only",
            Role::Operator => "operator",
        }
    }
}

/// One `[[console.operators]]` entry. Its `Debug` shows no password hash.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorEntry {
    /// The name typed at sign-in and written in the audit log with every action.
    pub name: String,
    /// `operator` or `read_only`.
    pub role: Role,
    /// The environment variable holding the password hash (a PHC string).
    pub password_hash_env: Option<String>,
    /// The file holding the password hash (relative to the config file).
    pub password_hash_file: Option<String>,
    /// The hash, resolved from `password_hash_env` or `password_hash_file`.
    #[serde(skip)]
    pub password_hash: String,
}

impl std::fmt::Debug for OperatorEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorEntry")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password_hash", &REDACTED)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ConsoleSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSection")
            .field("operators", &self.operators)
            .field("secure_cookie", &self.secure_cookie)
            .field("session_minutes", &self.session_minutes)
            .field("login_attempts", &self.login_attempts)
            .finish()
    }
}

/// The longest session (one week).
const MAX_SESSION_MINUTES: u64 = 7 * 24 * 60;

impl ConsoleSection {
    /// Whether the console is served (an operator is configured).
    pub fn enabled(&self) -> bool {
        !self.operators.is_empty()
    }

    /// Resolves each operator's hash and checks names, hashes and bounds.
    pub(super) fn resolve(
        &mut self,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<()> {
        if self.session_minutes == 0 || self.session_minutes > MAX_SESSION_MINUTES {
            bail!(
                "console.session_minutes: between 1 and {MAX_SESSION_MINUTES} (one week), got {}",
                self.session_minutes
            );
        }
        if self.login_attempts == 0 {
            bail!("console.login_attempts: at least 1, got 0");
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, operator) in self.operators.iter_mut().enumerate() {
            let key = format!("console.operators[{i}]");
            let name = operator.name.trim();
            if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
                bail!(
                    "{key}.name: 1 to 64 printable characters, got {:?}",
                    operator.name
                );
            }
            if !seen.insert(name.to_lowercase()) {
                bail!("{key}.name: {name:?} is configured twice");
            }
            let mut table = toml::Table::new();
            for (k, v) in [
                ("password_hash_env", operator.password_hash_env.clone()),
                ("password_hash_file", operator.password_hash_file.clone()),
            ] {
                if let Some(v) = v {
                    table.insert(k.to_owned(), toml::Value::String(v));
                }
            }
            resolve_secret(&key, "password_hash", &mut table, base_dir, env)?;
            let Some(toml::Value::String(hash)) = table.remove("password_hash") else {
                bail!("{key}: set password_hash_env or password_hash_file (an Argon2 PHC string)");
            };
            if argon2::PasswordHash::new(&hash).is_err() || !hash.starts_with("$argon2") {
                bail!(
                    "{key}.password_hash: not an Argon2 PHC string (expected $argon2id$v=19$…; \
                     make one with `flow-shopify-sync console hash-password`)"
                );
            }
            operator.name = name.to_owned();
            operator.password_hash = hash;
        }
        Ok(())
    }
}

/// `[alerts]`: what needs an operator, sent as a digest by e-mail and/or to a chat webhook.
/// Off unless `[alerts.email]` or `[alerts.chat]` is set. Its `Debug` shows no secret.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsSection {
    /// Minutes between checks. Default 15.
    #[serde(default = "default_alert_interval")]
    pub interval_minutes: u64,
    /// Hours after which the same findings are sent again. Default 24.
    #[serde(default = "default_repeat_hours")]
    pub repeat_hours: u64,
    /// Hours a dead letter or parked job may wait before it is reported. Default 4.
    #[serde(default = "default_stale_hours")]
    pub stale_after_hours: u64,
    /// Hours before its ETA deadline (24 h after issue) an open receipt is reported. Default 6.
    #[serde(default = "default_deadline_hours")]
    pub deadline_hours: u64,
    /// Days before the Shopify API version's retirement it is reported. Default 90.
    #[serde(default = "default_version_days")]
    pub api_version_days: i64,
    /// `[alerts.email]`: SMTP.
    pub email: Option<EmailAlerts>,
    /// `[alerts.chat]`: a Slack or Teams incoming webhook.
    pub chat: Option<ChatAlerts>,
}

impl Default for AlertsSection {
    fn default() -> Self {
        AlertsSection {
            interval_minutes: default_alert_interval(),
            repeat_hours: default_repeat_hours(),
            stale_after_hours: default_stale_hours(),
            deadline_hours: default_deadline_hours(),
            api_version_days: default_version_days(),
            email: None,
            chat: None,
        }
    }
}

fn default_alert_interval() -> u64 {
    15
}
fn default_repeat_hours() -> u64 {
    24
}
fn default_stale_hours() -> u64 {
    4
}
fn default_deadline_hours() -> u64 {
    6
}
fn default_version_days() -> i64 {
    90
}
fn default_smtp_port() -> u16 {
    587
}

/// `[alerts.email]`: the SMTP server and the recipients. Its `Debug` shows no password.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailAlerts {
    /// The SMTP server's host name.
    pub smtp_host: String,
    /// Its port. Default 587 (submission, STARTTLS).
    #[serde(default = "default_smtp_port")]
    pub smtp_port: u16,
    /// `starttls` (default: upgrade to TLS, refuse a server that cannot), `tls` (TLS from the
    /// first byte, port 465) or `none` (plain text; only to a loopback relay).
    #[serde(default)]
    pub security: SmtpSecurity,
    /// The SMTP user name, if the server wants one.
    pub username: Option<String>,
    /// The environment variable holding the SMTP password.
    pub password_env: Option<String>,
    /// The file holding the SMTP password.
    pub password_file: Option<String>,
    /// The sender (`Sync <sync@example.com>`).
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
    /// The password, resolved.
    #[serde(skip)]
    pub password: Option<String>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required).
    #[default]
    Starttls,
    /// TLS from the start.
    Tls,
    /// No TLS: only to a relay on loopback.
    None,
}

/// `[alerts.chat]`: an incoming webhook (Slack, Teams, Mattermost, …) that takes
/// `{"text": "…"}`. Its `Debug` shows no URL (the URL is the secret).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatAlerts {
    /// The environment variable holding the webhook URL.
    pub webhook_url_env: Option<String>,
    /// The file holding the webhook URL.
    pub webhook_url_file: Option<String>,
    /// The URL, resolved.
    #[serde(skip)]
    pub webhook_url: String,
}

impl std::fmt::Debug for EmailAlerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailAlerts")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ChatAlerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatAlerts")
            .field("webhook_url", &REDACTED)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AlertsSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertsSection")
            .field("interval_minutes", &self.interval_minutes)
            .field(
                "email",
                &self
                    .email
                    .as_ref()
                    .map(|e| (&e.smtp_host, e.smtp_port, &e.to)),
            )
            .field("chat", &self.chat.as_ref().map(|_| REDACTED))
            .finish_non_exhaustive()
    }
}

impl AlertsSection {
    /// Whether a channel is configured.
    pub fn enabled(&self) -> bool {
        self.email.is_some() || self.chat.is_some()
    }

    pub(super) fn resolve(
        &mut self,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<()> {
        if self.interval_minutes == 0 || self.interval_minutes > 24 * 60 {
            bail!(
                "alerts.interval_minutes: between 1 and 1440, got {}",
                self.interval_minutes
            );
        }
        for (key, value, max) in [
            ("repeat_hours", self.repeat_hours, 24 * 30),
            ("stale_after_hours", self.stale_after_hours, 24 * 30),
            ("deadline_hours", self.deadline_hours, 24),
        ] {
            if value > max {
                bail!("alerts.{key}: at most {max}, got {value}");
            }
        }
        if !(0..=365).contains(&self.api_version_days) {
            bail!(
                "alerts.api_version_days: between 0 and 365, got {}",
                self.api_version_days
            );
        }
        if let Some(email) = &mut self.email {
            if email.smtp_host.trim().is_empty() {
                bail!("alerts.email.smtp_host: must not be empty");
            }
            if email.to.is_empty() {
                bail!("alerts.email.to: name at least one recipient");
            }
            for (i, address) in std::iter::once(&email.from).chain(&email.to).enumerate() {
                if address.parse::<lettre::message::Mailbox>().is_err() {
                    let key = if i == 0 {
                        "from".to_owned()
                    } else {
                        format!("to[{}]", i - 1)
                    };
                    bail!("alerts.email.{key}: not an e-mail address: {address:?}");
                }
            }
            let mut table = toml::Table::new();
            for (k, v) in [
                ("password_env", email.password_env.clone()),
                ("password_file", email.password_file.clone()),
            ] {
                if let Some(v) = v {
                    table.insert(k.to_owned(), toml::Value::String(v));
                }
            }
            resolve_secret("alerts.email", "password", &mut table, base_dir, env)?;
            email.password = match table.remove("password") {
                Some(toml::Value::String(p)) => Some(p),
                _ => None,
            };
            if email.password.is_some() && email.username.is_none() {
                bail!("alerts.email.username: a password is set, so name the user too");
            }
            if email.security == SmtpSecurity::None
                && !matches!(email.smtp_host.as_str(), "localhost" | "127.0.0.1" | "::1")
            {
                bail!(
                    "alerts.email.security: \"none\" sends in clear text, so only to a relay on \
                     loopback (localhost); use starttls or tls for {}",
                    email.smtp_host
                );
            }
        }
        if let Some(chat) = &mut self.chat {
            let mut table = toml::Table::new();
            for (k, v) in [
                ("webhook_url_env", chat.webhook_url_env.clone()),
                ("webhook_url_file", chat.webhook_url_file.clone()),
            ] {
                if let Some(v) = v {
                    table.insert(k.to_owned(), toml::Value::String(v));
                }
            }
            resolve_secret("alerts.chat", "webhook_url", &mut table, base_dir, env)?;
            let Some(toml::Value::String(url)) = table.remove("webhook_url") else {
                bail!("alerts.chat: set webhook_url_env or webhook_url_file");
            };
            let parsed = url::Url::parse(&url).map_err(|_| {
                anyhow!(
                    "alerts.chat.webhook_url: not a URL (the value is not shown: it is a secret)"
                )
            })?;
            let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
                bail!("alerts.chat.webhook_url: must be https:// (http only to loopback)");
            }
            chat.webhook_url = url;
        }
        Ok(())
    }
}

/// Secrets of the console and alert sections written in clear are refused (before the
/// sections are read, so the message is about the secret, not an unknown key).
pub(super) fn refuse_clear_secrets(root: &toml::Table) -> Result<()> {
    let refuse = |section: &str, key: &str| {
        anyhow!(
            "{section}.{key}: secrets are not accepted in the config file; set {section}.{key}_env (an environment variable name) or {section}.{key}_file (a file path) instead"
        )
    };
    let table = |path: &[&str]| {
        let mut at = root;
        for key in path {
            at = at.get(*key)?.as_table()?;
        }
        Some(at)
    };
    if table(&["alerts", "email"]).is_some_and(|t| t.contains_key("password")) {
        return Err(refuse("alerts.email", "password"));
    }
    if table(&["alerts", "chat"]).is_some_and(|t| t.contains_key("webhook_url")) {
        return Err(refuse("alerts.chat", "webhook_url"));
    }
    if let Some(operators) = table(&["console"])
        .and_then(|c| c.get("operators"))
        .and_then(toml::Value::as_array)
    {
        for (i, operator) in operators.iter().enumerate() {
            if operator
                .as_table()
                .is_some_and(|t| t.contains_key("password_hash") || t.contains_key("password"))
            {
                return Err(refuse(&format!("console.operators[{i}]"), "password_hash"));
            }
        }
    }
    Ok(())
}
