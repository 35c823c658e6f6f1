//! The e-mail channel: one plain-text message per digest, through the configured SMTP server
//! (STARTTLS by default), with [`lettre`].

use anyhow::{Context, Result};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{EmailAlerts, SmtpSecurity};

/// The longest an SMTP exchange may take.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends `subject` and `body` to every recipient of `config`.
///
/// # Errors
///
/// When an address does not parse, or the server cannot be reached or refuses the message
/// (the error says which step failed, never the password).
pub async fn send(config: &EmailAlerts, subject: &str, body: &str) -> Result<()> {
    let from: Mailbox = config.from.parse().context("alerts.email.from")?;
    let mut message = Message::builder().from(from).subject(subject);
    for to in &config.to {
        message = message.to(to
            .parse()
            .with_context(|| format!("alerts.email.to: {to:?}"))?);
    }
    let message = message
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .context("building the message")?;
    let host = config.smtp_host.as_str();
    let builder = match config.security {
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .with_context(|| format!("alerts.email.smtp_host: {host}"))?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
            .with_context(|| format!("alerts.email.smtp_host: {host}"))?,
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
    };
    let mut builder = builder.port(config.smtp_port).timeout(Some(TIMEOUT));
    if let (Some(user), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    builder
        .build()
        .send(message)
        .await
        .with_context(|| format!("sending through {host}:{}", config.smtp_port))?;
    Ok(())
}
