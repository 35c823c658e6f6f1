//! Error classification shared by every client crate.
//!
//! Each client crate has its own `Error` enum; all of them implement [`Classify`], so the
//! retry driver and the sync engine can decide between "retry", "dead-letter" and "look it up
//! first" without knowing which service failed.

use std::fmt;
use std::time::Duration;

/// What kind of failure an error is, from the point of view of "should we try again".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A passing failure: connection refused, reset, timed out. Retrying may succeed.
    Transient,
    /// The service asked us to slow down (HTTP 429, Shopify `THROTTLED`). Retry after its hint.
    Throttling,
    /// The service failed on its side (HTTP 5xx). Retrying may succeed.
    Server,
    /// The request itself is wrong (validation, authorisation, 4xx, refused document).
    /// Retrying the same request gives the same answer: dead-letter it.
    Client,
}

impl ErrorKind {
    /// `true` for the kinds that a retry may fix.
    pub fn is_retryable(self) -> bool {
        !matches!(self, ErrorKind::Client)
    }
}

/// One of the three systems the workspace links.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// The ERP (Flow).
    Erp,
    /// The storefront (Shopify).
    Storefront,
    /// The tax authority (ETA).
    TaxAuthority,
}

impl System {
    /// Every system.
    pub const ALL: [System; 3] = [System::Erp, System::Storefront, System::TaxAuthority];

    /// The system's name in reports (`erp`, `storefront`, `tax_authority`).
    pub fn as_str(self) -> &'static str {
        match self {
            System::Erp => "erp",
            System::Storefront => "storefront",
            System::TaxAuthority => "tax_authority",
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a whole system cannot be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageCause {
    /// The credentials were refused (a wrong password, a revoked token or key): an operator
    /// must mend the configuration.
    Unauthenticated,
    /// The service cannot be reached (connection refused, no such host, TLS failure, no
    /// answer in time).
    Unreachable,
}

impl fmt::Display for OutageCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutageCause::Unauthenticated => "credentials refused",
            OutageCause::Unreachable => "unreachable",
        })
    }
}

/// A failure of a whole system, not of the request that met it: every other request to the
/// system would fail the same way until it is mended or back. The engine stops that system's
/// work for the pass (a circuit breaker) and leaves its jobs pending instead of failing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Outage {
    /// The system.
    pub system: System,
    /// Why.
    pub cause: OutageCause,
}

/// Implemented by every crate's `Error` so the engine can classify failures uniformly.
pub trait Classify {
    /// The kind of this failure.
    fn kind(&self) -> ErrorKind;

    /// A wait the service asked for (`Retry-After`, a throttle estimate), if any.
    ///
    /// Default: none.
    fn retry_after(&self) -> Option<Duration> {
        None
    }

    /// `true` when the request may have taken effect although no success was seen (the
    /// connection dropped after the request was sent, or the answer was not understood).
    ///
    /// Such a failure is never retried blindly: the caller first looks the effect up remotely
    /// (by reference, uuid or idempotency key). Default: `false`.
    fn is_uncertain(&self) -> bool {
        false
    }

    /// `true` when retrying may help and the request certainly did not take effect, or is
    /// idempotent. Default: the kind is retryable and the outcome is not uncertain.
    fn is_retryable(&self) -> bool {
        self.kind().is_retryable() && !self.is_uncertain()
    }

    /// The whole system is down for this client (its credentials refused, its host
    /// unreachable), as opposed to this one request failing. Default: `None`.
    fn outage(&self) -> Option<Outage> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct E(ErrorKind, bool);
    impl Classify for E {
        fn kind(&self) -> ErrorKind {
            self.0
        }
        fn is_uncertain(&self) -> bool {
            self.1
        }
    }

    #[test]
    fn client_errors_and_uncertain_outcomes_are_not_retryable() {
        assert!(E(ErrorKind::Transient, false).is_retryable());
        assert!(E(ErrorKind::Server, false).is_retryable());
        assert!(E(ErrorKind::Throttling, false).is_retryable());
        assert!(!E(ErrorKind::Client, false).is_retryable());
        assert!(!E(ErrorKind::Transient, true).is_retryable());
    }
}
