//! Secret handling: credentials are [`SecretString`] from configuration inward, exposed only
//! where a header is built, and that header is marked sensitive so HTTP tooling hides it.
//!
//! Structs that hold a secret write their `Debug` by hand (or hold it in a
//! [`SecretString`], whose `Debug` prints `[REDACTED]`).

pub use secrecy::{ExposeSecret, SecretString};

use http::HeaderValue;
use http::header::InvalidHeaderValue;

/// Builds a header value from a secret and marks it sensitive.
///
/// # Errors
///
/// When the secret contains characters a header cannot carry.
pub fn sensitive_header(secret: &SecretString) -> Result<HeaderValue, InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(secret.expose_secret())?;
    value.set_sensitive(true);
    Ok(value)
}

/// Builds a sensitive `Bearer <token>` header value.
///
/// # Errors
///
/// When the token contains characters a header cannot carry.
pub fn bearer_header(token: &SecretString) -> Result<HeaderValue, InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))?;
    value.set_sensitive(true);
    Ok(value)
}

/// The text shown in place of a secret.
pub const REDACTED: &str = "[REDACTED]";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_from_secrets_are_sensitive_and_debug_hides_them() {
        let secret = SecretString::from("shpat_supersecret");
        let header = sensitive_header(&secret).unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("supersecret"));
        assert!(!format!("{secret:?}").contains("supersecret"));
        let bearer = bearer_header(&secret).unwrap();
        assert!(bearer.is_sensitive());
        assert!(!format!("{bearer:?}").contains("supersecret"));
    }
}
