//! Error classification shared by every client crate.
//!
//! Each client crate has its own `Error` enum; all of them implement [`Classify`], so the
//! retry driver and the sync engine can decide between "retry", "dead-letter" and "look it up
//! first" without knowing which service failed.

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
