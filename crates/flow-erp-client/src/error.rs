//! The crate's one error type and its classification for the retry driver and the engine.
//!
//! | variant | [`ErrorKind`] | uncertain? |
//! |---|---|---|
//! | [`Error::Config`], [`Error::Invalid`] | `Client` (nothing was sent) | no |
//! | [`Error::Transport`] on a read, or before a save was sent | `Transient` | no |
//! | [`Error::Http`] | by status: 429 `Throttling`, 5xx `Server`, other `Client` | no |
//! | [`Error::Refused`] (`CMDERR…`) | `Client` (permanent, the server's reason kept) | no |
//! | [`Error::Login`] | `Transient` when no answer came, else `Client` | no |
//! | [`Error::SessionExpired`] | `Transient` (refused right after a renewal, e.g. another session of the same user took over; nothing was done, so a later retry is safe) | no |
//! | [`Error::Decode`] | `Server` | no |
//! | [`Error::UncertainSave`] | `Transient` | **yes**: look the document up first |
//! | [`Error::Rejected`] (the operation's configuration forbids the document) | `Client` | no |
//! | [`Error::ReadBackMismatch`] | `Client` | no |
//! | [`Error::NotFound`] | `Client` | no |

use std::time::Duration;

use sync_core::error::{Classify, ErrorKind, Outage, OutageCause, System};
use sync_core::transport::{TransportError, TransportErrorKind};

/// Everything that can go wrong talking to Flow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is wrong; nothing was sent.
    #[error("{field}: {rule}")]
    Config {
        /// The configuration field, e.g. `flow.hosts.api`.
        field: String,
        /// The rule it broke.
        rule: String,
    },
    /// An argument is wrong (a value holding a separator, a query that is not a single
    /// `SELECT`, a document the template cannot carry); nothing was sent.
    #[error("{field}: {rule}")]
    Invalid {
        /// The argument or field.
        field: String,
        /// The rule it broke.
        rule: String,
    },
    /// No usable answer arrived (connection refused, reset, timed out) on a call that is safe
    /// to repeat.
    #[error("{endpoint}: no answer from Flow")]
    Transport {
        /// The endpoint (operation name or path, never a URL with a key).
        endpoint: String,
        /// What failed below HTTP.
        #[source]
        source: TransportError,
    },
    /// An HTTP status the endpoint does not answer with normally.
    #[error("{endpoint}: unexpected HTTP status {status}")]
    Http {
        /// The endpoint.
        endpoint: String,
        /// The status code.
        status: u16,
        /// The `Retry-After` wait, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// Flow answered `CMDERR…`: it refused the command, with this reason.
    #[error("{endpoint}: Flow refused the command: {reason}")]
    Refused {
        /// The endpoint.
        endpoint: String,
        /// The server's reason (the text after `CMDERR`).
        reason: String,
    },
    /// No connection to Flow could be made (refused, no such host, TLS failure, no
    /// connection in time): the request certainly was not sent. A whole-system outage.
    ///
    /// Retried at most [`CONNECT_ATTEMPTS`] times within one call, [`CONNECT_RETRY_WAIT`]
    /// apart: the engine's circuit breaker, not the call, waits for Flow to come back.
    #[error("Flow ERP at {host}: {cause}")]
    Unreachable {
        /// `host:port`.
        host: String,
        /// What failed: `connection refused`, `host not found`, `TLS failure`,
        /// `connect timeout`, or `cannot connect`.
        cause: String,
        /// The call made its last attempt: the retry driver stops.
        last_attempt: bool,
        /// The transport failure, when one was kept.
        #[source]
        source: Option<TransportError>,
    },
    /// Neither login method gave a session key.
    #[error("login failed: {reason}{}", refused_at.as_deref().map(|h| format!(" (Flow ERP at {h}: credentials refused)")).unwrap_or_default())]
    Login {
        /// The login host, when Flow answered and refused the credentials (a wrong account,
        /// user or password: `errMsg`, `LOGINERR`, HTTP 401/403). A whole-system outage.
        refused_at: Option<String>,
        /// What each method answered (the server's `errMsg` or `LOGINERR` code, or "no
        /// answer"); never a password or server configuration.
        reason: String,
        /// `true` when no method got an answer at all (retrying later may work).
        no_answer: bool,
    },
    /// The session key was refused again right after it was renewed.
    #[error("{endpoint}: the session key was refused after renewing it")]
    SessionExpired {
        /// The endpoint.
        endpoint: String,
    },
    /// The answer could not be understood.
    #[error("{endpoint}: answer not understood: {detail}")]
    Decode {
        /// The endpoint.
        endpoint: String,
        /// What was wrong (a JSON path and the expectation; never the whole body).
        detail: String,
    },
    /// A save may or may not have taken effect. Never resend it blindly: look the document up
    /// by its reference first (see `FlowClient::save_document_exactly_once`).
    #[error("{op}: the outcome of saving document {reference:?} is unknown ({why})")]
    UncertainSave {
        /// The operation code.
        op: String,
        /// The document's reference (the Shopify order name).
        reference: String,
        /// Why the outcome is unknown.
        why: String,
        /// The transport failure, when the connection was lost.
        #[source]
        source: Option<TransportError>,
    },
    /// The operation's live configuration (`GETOPC`) would reject this document.
    #[error("{op}: the operation would reject this document: {rule}")]
    Rejected {
        /// The operation code.
        op: String,
        /// The rule, naming the field.
        rule: String,
    },
    /// The document read back after a save differs from what was sent.
    #[error("{op} {docno}: the saved document differs from what was sent: {}", differences.join("; "))]
    ReadBackMismatch {
        /// The operation code.
        op: String,
        /// The document number Flow gave.
        docno: String,
        /// One entry per difference, naming the field.
        differences: Vec<String>,
    },
    /// A record that had to exist does not.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: String,
    },
}

impl Error {
    pub(crate) fn config(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            rule: rule.into(),
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            rule: rule.into(),
        }
    }

    pub(crate) fn decode(endpoint: &str, detail: impl Into<String>) -> Self {
        Error::Decode {
            endpoint: endpoint.to_owned(),
            detail: detail.into(),
        }
    }

    /// The server's reason when Flow answered `CMDERR`.
    pub fn refusal_reason(&self) -> Option<&str> {
        match self {
            Error::Refused { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The HTTP status, when the error is an unexpected status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl Classify for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Transport { source, .. } => match source.kind() {
                sync_core::transport::TransportErrorKind::Build => ErrorKind::Client,
                _ => ErrorKind::Transient,
            },
            Error::Http { status, .. } => match *status {
                429 => ErrorKind::Throttling,
                500..=599 => ErrorKind::Server,
                _ => ErrorKind::Client,
            },
            // The last attempt: `Client` stops the retry driver; the engine sees the outage.
            Error::Unreachable { last_attempt, .. } => {
                if *last_attempt {
                    ErrorKind::Client
                } else {
                    ErrorKind::Transient
                }
            }
            Error::Login { no_answer, .. } => {
                if *no_answer {
                    ErrorKind::Transient
                } else {
                    ErrorKind::Client
                }
            }
            Error::Decode { .. } => ErrorKind::Server,
            Error::UncertainSave { .. } | Error::SessionExpired { .. } => ErrorKind::Transient,
            Error::Config { .. }
            | Error::Invalid { .. }
            | Error::Refused { .. }
            | Error::Rejected { .. }
            | Error::ReadBackMismatch { .. }
            | Error::NotFound { .. } => ErrorKind::Client,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Http { retry_after, .. } => *retry_after,
            Error::Unreachable { .. } => Some(CONNECT_RETRY_WAIT),
            _ => None,
        }
    }

    fn is_uncertain(&self) -> bool {
        matches!(self, Error::UncertainSave { .. })
    }

    fn outage(&self) -> Option<Outage> {
        let cause = match self {
            Error::Unreachable { .. } => OutageCause::Unreachable,
            Error::Transport { source, .. } if source.kind() == TransportErrorKind::Connect => {
                OutageCause::Unreachable
            }
            Error::Login {
                refused_at: Some(_),
                ..
            } => OutageCause::Unauthenticated,
            _ => return None,
        };
        Some(Outage {
            system: System::Erp,
            cause,
        })
    }
}

/// Attempts one call makes at most while no connection to Flow can be made.
pub const CONNECT_ATTEMPTS: u32 = 3;

/// The wait between those attempts.
pub const CONNECT_RETRY_WAIT: Duration = Duration::from_millis(200);

/// `host:port` of `url`.
pub(crate) fn host_of(url: &url::Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.to_string(),
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::transport::TransportErrorKind;

    #[test]
    fn classes_follow_the_table() {
        let refused = Error::Refused {
            endpoint: "ADDPOS".into(),
            reason: "ITEM NOT FOUND".into(),
        };
        assert_eq!(refused.kind(), ErrorKind::Client);
        assert!(!refused.is_retryable());
        assert_eq!(refused.refusal_reason(), Some("ITEM NOT FOUND"));

        let lost = Error::Transport {
            endpoint: "GETITM".into(),
            source: TransportError::new(TransportErrorKind::Connect, None),
        };
        assert_eq!(lost.kind(), ErrorKind::Transient);
        assert!(lost.is_retryable());

        let uncertain = Error::UncertainSave {
            op: "SALINV".into(),
            reference: "#1001".into(),
            why: "no answer".into(),
            source: None,
        };
        assert!(uncertain.is_uncertain());
        assert!(!uncertain.is_retryable());

        let throttled = Error::Http {
            endpoint: "GETITM".into(),
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(throttled.kind(), ErrorKind::Throttling);
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(3)));
    }
}
