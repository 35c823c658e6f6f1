//! The crate's error type, classified for the retry driver and the sync engine.

use std::time::Duration;

use serde::Deserialize;
use sync_core::error::{Classify, ErrorKind, Outage, OutageCause, System};
use sync_core::transport::{TransportError, TransportErrorKind};

use crate::builder::BuildError;
use crate::canonical::{CanonicalError, UuidError};
use crate::chain::ChainError;
use crate::mapping::MappingError;
use crate::model::ModelError;
use crate::qr::QrError;

/// ETA's standard error body: `{"error":{"code","message","target","details":[...]}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct EtaError {
    /// Error code, e.g. `BadStructure`.
    pub code: Option<String>,
    /// Human-readable message.
    pub message: Option<String>,
    /// The field or object concerned.
    pub target: Option<String>,
    /// Path of the property concerned, when ETA gives one.
    #[serde(rename = "propertyPath")]
    pub property_path: Option<String>,
    /// Nested details.
    pub details: Vec<EtaError>,
}

impl std::fmt::Display for EtaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code.as_deref().unwrap_or("error"))?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(t) = self.property_path.as_ref().or(self.target.as_ref()) {
            write!(f, " ({t})")?;
        }
        for d in &self.details {
            write!(f, "; {d}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in this crate.
///
/// The error types of the other modules ([`BuildError`], [`ChainError`], [`CanonicalError`],
/// [`UuidError`], [`ModelError`], [`MappingError`], [`QrError`]) convert into it with `?`, so
/// a function that builds, chains and submits receipts can return `Result<_, Error>`.
///
/// Never contains a secret: credentials and tokens are not copied into errors, and request
/// URLs carry no secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Client configuration is invalid; nothing was sent.
    #[error("invalid configuration: {field}: {reason}")]
    Build {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The batch breaks a submission rule; nothing was sent.
    #[error("invalid submission batch: {0}")]
    Batch(String),
    /// A receipt could not be read or sealed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A receipt's uuid could not be computed.
    #[error(transparent)]
    Uuid(#[from] UuidError),
    /// A text is not valid JSON (canonical serialization).
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    /// A receipt could not be built from its lines.
    #[error(transparent)]
    Builder(#[from] BuildError),
    /// A sale or refund could not be mapped to a receipt.
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// The receipt chain failed (its store, or a receipt of another device).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A QR code could not be made.
    #[error(transparent)]
    Qr(#[from] QrError),
    /// No usable HTTP response.
    #[error("{endpoint}: transport failure")]
    Transport {
        /// The logical endpoint.
        endpoint: &'static str,
        /// Whether the request may have been processed (timeout or broken connection after
        /// sending a non-idempotent request).
        uncertain: bool,
        /// The cause.
        #[source]
        source: TransportError,
    },
    /// No connection to ETA (the identity service or the API) could be made: refused, no
    /// such host, TLS failure, no connection in time. Nothing was sent. A whole-system
    /// outage of the tax authority.
    ///
    /// Tried at most [`CONNECT_ATTEMPTS`] times in one call, [`CONNECT_RETRY_WAIT`] apart:
    /// the engine's circuit breaker, not the call, waits for ETA to come back.
    #[error("ETA at {host}: {cause}")]
    Unreachable {
        /// `host:port`.
        host: String,
        /// `connection refused`, `host not found`, `TLS failure`, `connect timeout` or
        /// `cannot connect`.
        cause: String,
        /// The call's last attempt: the retry driver stops.
        last_attempt: bool,
        /// The transport failure.
        #[source]
        source: TransportError,
    },
    /// The identity service refused the credentials (HTTP 400/401 from `/connect/token`).
    #[error("authentication refused (HTTP {status}): {code}")]
    Auth {
        /// HTTP status.
        status: u16,
        /// OAuth error code, e.g. `invalid_client`, `invalid_posserial`.
        code: String,
    },
    /// ETA answered 429.
    #[error("{endpoint}: rate limited (HTTP 429)")]
    RateLimited {
        /// The logical endpoint.
        endpoint: &'static str,
        /// `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// ETA answered 422 `DuplicateSubmission`: an identical submission arrived in the last
    /// minutes, so the receipts were probably received. Look them up before sending again.
    #[error("duplicate submission (HTTP 422): an identical body was received recently")]
    DuplicateSubmission {
        /// `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// ETA answered with another error status.
    #[error("{endpoint}: HTTP {status}{}", error.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Api {
        /// The logical endpoint.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// ETA's error body, when it had one.
        error: Option<Box<EtaError>>,
        /// `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// A success response whose body could not be read.
    #[error("{endpoint}: unexpected response body")]
    Decode {
        /// The logical endpoint.
        endpoint: &'static str,
        /// Whether the request may have taken effect (a submission whose answer was not
        /// understood).
        uncertain: bool,
        /// The cause, with the JSON path.
        #[source]
        source: serde_path_to_error::Error<serde_json::Error>,
    },
}

impl Error {
    /// The HTTP status, when ETA answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Auth { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            Error::DuplicateSubmission { .. } => Some(422),
            _ => None,
        }
    }
}

impl Classify for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Transport { .. } => ErrorKind::Transient,
            Error::Unreachable {
                last_attempt: true, ..
            } => ErrorKind::Client,
            Error::Unreachable { .. } => ErrorKind::Transient,
            Error::RateLimited { .. } | Error::DuplicateSubmission { .. } => ErrorKind::Throttling,
            Error::Api { status, .. } if *status >= 500 => ErrorKind::Server,
            Error::Api { status: 408, .. } => ErrorKind::Transient,
            // A 401 even with a token fetched for the retry: the API refused a token the
            // identity service just issued (a session revoked meanwhile, the two services out
            // of step). The request did not run; try again, each time with a new token.
            // Refused credentials fail at the token endpoint instead (`Auth`, a client error).
            Error::Api { status: 401, .. } => ErrorKind::Transient,
            Error::Auth { status, .. } if *status >= 500 => ErrorKind::Server,
            // The chain's store failed or its head kept moving: trying again may pass.
            Error::Chain(ChainError::Store(_) | ChainError::Contended { .. }) => {
                ErrorKind::Transient
            }
            _ => ErrorKind::Client,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. }
            | Error::DuplicateSubmission { retry_after }
            | Error::Api { retry_after, .. } => *retry_after,
            Error::Unreachable { .. } => Some(CONNECT_RETRY_WAIT),
            _ => None,
        }
    }

    /// The credentials refused at the token endpoint (`invalid_client`, `invalid_posserial`,
    /// … with HTTP 400/401), or no connection: the tax authority is down for this client.
    fn outage(&self) -> Option<Outage> {
        let cause = match self {
            Error::Unreachable { .. } => OutageCause::Unreachable,
            Error::Transport { source, .. } if source.kind() == TransportErrorKind::Connect => {
                OutageCause::Unreachable
            }
            Error::Auth { status, .. } if *status < 500 => OutageCause::Unauthenticated,
            _ => return None,
        };
        Some(Outage {
            system: System::TaxAuthority,
            cause,
        })
    }

    fn is_uncertain(&self) -> bool {
        match self {
            Error::Transport { uncertain, .. } | Error::Decode { uncertain, .. } => *uncertain,
            Error::DuplicateSubmission { .. } => true,
            _ => false,
        }
    }
}

/// Attempts one call makes at most while no connection to ETA can be made.
pub const CONNECT_ATTEMPTS: u32 = 3;

/// The wait between those attempts.
pub const CONNECT_RETRY_WAIT: Duration = Duration::from_millis(200);

/// Turns a transport failure into [`Error::Unreachable`] when no connection was made, else
/// into what `other` makes of it.
pub(crate) fn unreachable_or(
    url: &url::Url,
    source: TransportError,
    other: impl FnOnce(TransportError) -> Error,
) -> Error {
    if source.kind() != TransportErrorKind::Connect {
        return other(source);
    }
    let host = match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.to_string(),
    };
    Error::Unreachable {
        host,
        cause: source.connect_cause().to_owned(),
        last_attempt: false,
        source,
    }
}

/// Marks an [`Error::Unreachable`] of attempt `attempt` as the last one when it is.
pub(crate) fn mark_last_attempt<T>(attempt: u32, mut result: Result<T, Error>) -> Result<T, Error> {
    if let Err(Error::Unreachable { last_attempt, .. }) = &mut result
        && attempt >= CONNECT_ATTEMPTS
    {
        *last_attempt = true;
    }
    result
}

impl From<sync_core::paging::PageError> for Error {
    fn from(e: sync_core::paging::PageError) -> Self {
        Error::Batch(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::transport::TransportErrorKind;

    #[test]
    fn classification() {
        let api = |status| Error::Api {
            endpoint: "x",
            status,
            error: None,
            retry_after: None,
        };
        assert_eq!(api(503).kind(), ErrorKind::Server);
        assert!(api(503).is_retryable());
        assert_eq!(api(400).kind(), ErrorKind::Client);
        assert!(!api(404).is_retryable());
        let limited = Error::RateLimited {
            endpoint: "x",
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(3)));
        assert!(limited.is_retryable());
        let lost = Error::Transport {
            endpoint: "submit",
            uncertain: true,
            source: TransportError::new(TransportErrorKind::Timeout, None),
        };
        assert!(lost.is_uncertain() && !lost.is_retryable());
        assert!(Error::DuplicateSubmission { retry_after: None }.is_uncertain());
        let body = EtaError {
            code: Some("BadStructure".into()),
            message: Some("bad".into()),
            details: vec![EtaError {
                message: Some("x".into()),
                property_path: Some("receipts[0].header".into()),
                ..EtaError::default()
            }],
            ..EtaError::default()
        };
        let e = Error::Api {
            endpoint: "submit",
            status: 400,
            error: Some(Box::new(body)),
            retry_after: None,
        };
        assert_eq!(
            e.to_string(),
            "submit: HTTP 400: BadStructure: bad; error: x (receipts[0].header)"
        );
    }

    #[test]
    fn the_other_error_types_convert_and_classify() {
        fn build() -> Result<(), Error> {
            Err(crate::builder::BuildError {
                path: "itemData[0].quantity".into(),
                rule: "must be positive".into(),
            })?
        }
        let e = build().unwrap_err();
        assert!(matches!(e, Error::Builder(_)));
        assert_eq!(e.to_string(), "itemData[0].quantity: must be positive");
        assert_eq!(e.kind(), ErrorKind::Client);
        let store: Error = ChainError::Store("disk full".into()).into();
        assert_eq!(store.kind(), ErrorKind::Transient);
        let wrong: Error = ChainError::WrongDevice {
            device: "POS-1".into(),
            got: "POS-2".into(),
        }
        .into();
        assert_eq!(wrong.kind(), ErrorKind::Client);
        let canonical = crate::canonical::canonicalize("{").unwrap_err();
        assert!(matches!(Error::from(canonical), Error::Canonical(_)));
        assert!(matches!(Error::from(QrError::NoUuid), Error::Qr(_)));
    }
}
