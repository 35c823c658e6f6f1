//! The crate's error type and how it classifies for retries.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use sync_core::error::{Classify, ErrorKind, Outage, OutageCause, System};
use sync_core::paging::PageError;
use sync_core::transport::{TransportError, TransportErrorKind};

/// Attempts one call makes at most while no connection to Shopify can be made.
pub const CONNECT_ATTEMPTS: u32 = 3;

/// The wait between those attempts.
pub const CONNECT_RETRY_WAIT: Duration = Duration::from_millis(200);

/// Everything that can go wrong talking to Shopify.
///
/// Variants say *where* it failed: before sending ([`Error::Config`], [`Error::Invalid`]),
/// below HTTP ([`Error::Transport`]), at HTTP ([`Error::Http`], [`Error::Throttled`]), in
/// GraphQL ([`Error::GraphQl`]), in the mutation's own validation ([`Error::UserErrors`]), or
/// while reading the answer ([`Error::Decode`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is wrong; nothing was sent.
    #[error("{field}: {reason}")]
    Config {
        /// The builder setting.
        field: &'static str,
        /// What rule it breaks.
        reason: String,
    },
    /// An argument breaks a rule the API imposes; nothing was sent.
    #[error("{field}: {rule}")]
    Invalid {
        /// The argument (or path into it).
        field: String,
        /// The rule it breaks.
        rule: String,
    },
    /// No HTTP answer arrived.
    #[error("transport failure during {operation}")]
    Transport {
        /// The GraphQL operation (or `oauth/access_token`).
        operation: String,
        /// Whether repeating the request is harmless (a query, or a mutation that is
        /// idempotent by key or by nature).
        retry_safe: bool,
        /// The cause.
        #[source]
        source: TransportError,
    },
    /// No connection to Shopify could be made (refused, no such host, TLS failure, no
    /// connection in time): nothing was sent. A whole-system outage of the storefront.
    ///
    /// Tried at most [`CONNECT_ATTEMPTS`] times in one call, [`CONNECT_RETRY_WAIT`] apart:
    /// the engine's circuit breaker, not the call, waits for Shopify to come back.
    #[error("Shopify at {host}: {cause}")]
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
    /// Shopify asked us to slow down: HTTP 200 with `THROTTLED`, or HTTP 429.
    #[error("throttled by Shopify during {operation}; retry in {retry_after:?}")]
    Throttled {
        /// The GraphQL operation.
        operation: String,
        /// The wait computed from the cost bucket, or the `Retry-After` header.
        retry_after: Duration,
    },
    /// A non-success HTTP status (other than 429).
    #[error("{operation}: HTTP {status}{}", request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
    Http {
        /// The GraphQL operation (or `oauth/access_token`).
        operation: String,
        /// The status code.
        status: u16,
        /// The start of the response body (Shopify's error text), at most 512 bytes.
        message: String,
        /// Shopify's `X-Request-Id`, for support tickets.
        request_id: Option<String>,
        /// Whether repeating the request is harmless.
        retry_safe: bool,
    },
    /// HTTP 401: Shopify refused the access token, so the request did not run.
    ///
    /// With client credentials the cached token has already been dropped and a retry fetches
    /// a new one, so this is transient (`renewable`). A static token that is refused stays
    /// refused (revoked, or the app was uninstalled): a client error until it is replaced.
    #[error("{operation}: HTTP 401, the access token was refused{}{}", if *renewable { "; a new token will be fetched" } else { "; replace the static token" }, request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
    Unauthorized {
        /// The GraphQL operation.
        operation: String,
        /// Whether the client can fetch a new token (client credentials).
        renewable: bool,
        /// Shopify's `X-Request-Id`, for support tickets.
        request_id: Option<String>,
    },
    /// HTTP 200 with a top-level `errors` list (other than throttling).
    #[error("{operation}: GraphQL errors: {}", join_messages(errors))]
    GraphQl {
        /// The GraphQL operation.
        operation: String,
        /// The errors as Shopify sent them.
        errors: Vec<GraphQlError>,
    },
    /// The mutation ran its validation and refused the input. Never retried.
    #[error("{operation}: refused: {}", join_user_errors(errors))]
    UserErrors {
        /// The GraphQL operation.
        operation: String,
        /// The `userErrors` list, typed.
        errors: Vec<UserError>,
    },
    /// The body could not be read as the expected JSON.
    #[error("{operation}: unexpected response body")]
    Decode {
        /// The GraphQL operation.
        operation: String,
        /// Whether repeating the request is harmless.
        retry_safe: bool,
        /// The cause, with the JSON path that failed.
        #[source]
        source: serde_path_to_error::Error<serde_json::Error>,
        /// The body as received.
        body: Bytes,
    },
    /// A paged listing went past Shopify's 25,000-object pagination limit.
    #[error(
        "{operation}: more than {limit} objects; Shopify does not page past {limit}: use a bulk operation (ShopifyClient::bulk_query) or a narrower query filter"
    )]
    ListLimit {
        /// The listing.
        operation: String,
        /// The limit (25,000).
        limit: usize,
    },
    /// The listing said "more pages" but gave no cursor.
    #[error("paging failed")]
    Paging(#[from] PageError),
    /// A long-running job (product operation, bulk operation) failed or did not finish.
    #[error("{what} {id} ended as {status}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    JobFailed {
        /// "bulk operation", "product operation".
        what: &'static str,
        /// Its id.
        id: String,
        /// Its last status.
        status: String,
        /// Shopify's error code or a note.
        detail: Option<String>,
    },
    /// A webhook delivery failed verification or could not be read.
    #[error(transparent)]
    Webhook(#[from] crate::webhook::WebhookError),
}

fn join_messages(errors: &[GraphQlError]) -> String {
    errors
        .iter()
        .map(|e| match &e.code {
            Some(code) => format!("{} ({code})", e.message),
            None => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn join_user_errors(errors: &[UserError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One entry of a GraphQL `errors` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphQlError {
    /// The message.
    pub message: String,
    /// `extensions.code`, e.g. `MAX_COST_EXCEEDED`, `ACCESS_DENIED`.
    pub code: Option<String>,
    /// The response path, joined with dots.
    pub path: Option<String>,
}

/// One entry of a mutation's `userErrors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// The error code (e.g. `CHANGE_FROM_QUANTITY_STALE`) when the payload has one.
    pub code: Option<String>,
    /// The path to the input field at fault.
    pub field: Vec<String>,
    /// Shopify's message.
    pub message: String,
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field.join("."))?;
        }
        f.write_str(&self.message)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        Ok(())
    }
}

impl Error {
    /// The HTTP status, when the failure was an HTTP answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            Error::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }

    /// The typed `userErrors`, when the mutation refused its input.
    pub fn user_errors(&self) -> Option<&[UserError]> {
        match self {
            Error::UserErrors { errors, .. } => Some(errors),
            _ => None,
        }
    }

    /// `true` when a `userErrors` entry carries `code`.
    pub fn has_user_error_code(&self, code: &str) -> bool {
        self.user_errors()
            .is_some_and(|errors| errors.iter().any(|e| e.code.as_deref() == Some(code)))
    }

    pub(crate) fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            rule: rule.into(),
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
            Error::Throttled { .. } => ErrorKind::Throttling,
            Error::Http { status, .. } if *status >= 500 => ErrorKind::Server,
            Error::Http { .. } => ErrorKind::Client,
            Error::Unauthorized {
                renewable: true, ..
            } => ErrorKind::Transient,
            Error::Unauthorized { .. } => ErrorKind::Client,
            Error::GraphQl { errors, .. } => {
                if errors.iter().any(|e| {
                    matches!(
                        e.code.as_deref(),
                        Some("INTERNAL_SERVER_ERROR" | "SERVICE_UNAVAILABLE")
                    )
                }) {
                    ErrorKind::Server
                } else {
                    ErrorKind::Client
                }
            }
            Error::Decode { .. } => ErrorKind::Server,
            Error::Config { .. }
            | Error::Invalid { .. }
            | Error::UserErrors { .. }
            | Error::ListLimit { .. }
            | Error::Paging(_)
            | Error::JobFailed { .. }
            | Error::Webhook(_) => ErrorKind::Client,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Throttled { retry_after, .. } => Some(*retry_after),
            Error::Unreachable { .. } => Some(CONNECT_RETRY_WAIT),
            _ => None,
        }
    }

    /// Credentials refused (a static token or API key refused with 401, the token endpoint
    /// refusing the app's client id or secret) or no connection: the storefront is down.
    fn outage(&self) -> Option<Outage> {
        let cause = match self {
            Error::Unreachable { .. } => OutageCause::Unreachable,
            Error::Transport { source, .. } if source.kind() == TransportErrorKind::Connect => {
                OutageCause::Unreachable
            }
            Error::Unauthorized {
                renewable: false, ..
            } => OutageCause::Unauthenticated,
            Error::Http {
                operation, status, ..
            } if operation == crate::auth::TOKEN_OPERATION && matches!(status, 400 | 401 | 403) => {
                OutageCause::Unauthenticated
            }
            _ => return None,
        };
        Some(Outage {
            system: System::Storefront,
            cause,
        })
    }

    /// A mutation that is not idempotent and may have run: the connection dropped after
    /// sending, a 5xx arrived, or the answer was unreadable.
    fn is_uncertain(&self) -> bool {
        match self {
            Error::Transport {
                retry_safe, source, ..
            } => !retry_safe && source.maybe_sent(),
            Error::Http {
                retry_safe, status, ..
            } => !retry_safe && *status >= 500,
            Error::Decode { retry_safe, .. } => !retry_safe,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_are_client_errors_and_never_retried() {
        let e = Error::UserErrors {
            operation: "ProductSet".into(),
            errors: vec![UserError {
                code: Some("INVALID_VARIANT".into()),
                field: vec!["input".into(), "variants".into(), "0".into()],
                message: "bad".into(),
            }],
        };
        assert_eq!(e.kind(), ErrorKind::Client);
        assert!(!e.is_retryable());
        assert!(e.has_user_error_code("INVALID_VARIANT"));
        assert_eq!(
            e.to_string(),
            "ProductSet: refused: input.variants.0: bad (INVALID_VARIANT)"
        );
    }

    #[test]
    fn server_errors_on_unsafe_mutations_are_uncertain() {
        let http = |retry_safe| Error::Http {
            operation: "FulfillmentCreate".into(),
            status: 502,
            message: String::new(),
            request_id: None,
            retry_safe,
        };
        assert!(http(false).is_uncertain());
        assert!(!http(false).is_retryable());
        assert!(http(true).is_retryable());
        let throttled = Error::Throttled {
            operation: "X".into(),
            retry_after: Duration::from_secs(2),
        };
        assert_eq!(throttled.kind(), ErrorKind::Throttling);
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn a_refused_token_is_retried_only_when_a_new_one_can_be_fetched() {
        let unauthorized = |renewable| Error::Unauthorized {
            operation: "ProductAttachMedia".into(),
            renewable,
            request_id: Some("r-1".into()),
        };
        // The request did not run: never uncertain, even for a mutation that is not idempotent.
        assert!(!unauthorized(true).is_uncertain());
        assert!(unauthorized(true).is_retryable());
        assert_eq!(unauthorized(false).kind(), ErrorKind::Client);
        assert_eq!(unauthorized(true).status(), Some(401));
        assert_eq!(
            unauthorized(false).to_string(),
            "ProductAttachMedia: HTTP 401, the access token was refused; replace the static token (request id r-1)"
        );
    }
}
