//! [`ReceiptUuid`], the receipt's identity at ETA.
//!
//! Its own type here, not sync-core's id macro, so that the offline part of the crate (built
//! without the `client` feature) depends on no HTTP runtime.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A receipt UUID: 64 lowercase hex characters, the SHA-256 of the receipt's canonical text
/// ([`canonical::receipt_uuid`](crate::canonical::receipt_uuid) computes it).
///
/// Held as text and compared with text; serialized as the bare text. Construction does not
/// check the form, since uuids also come back from ETA's answers, which are kept as sent;
/// [`ReceiptUuid::is_well_formed`] says whether it has the form ETA computes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReceiptUuid(String);

impl ReceiptUuid {
    /// Wraps a uuid's text.
    pub fn new(raw: impl Into<String>) -> Self {
        ReceiptUuid(raw.into())
    }

    /// The uuid as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwraps the text.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// Whether it is 64 lowercase hex characters, the form of a SHA-256 in hex.
    pub fn is_well_formed(&self) -> bool {
        self.0.len() == 64
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }
}

impl fmt::Display for ReceiptUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ReceiptUuid {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ReceiptUuid::new(s))
    }
}

impl From<String> for ReceiptUuid {
    fn from(raw: String) -> Self {
        ReceiptUuid(raw)
    }
}

impl From<&str> for ReceiptUuid {
    fn from(raw: &str) -> Self {
        ReceiptUuid::new(raw)
    }
}

impl AsRef<str> for ReceiptUuid {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ReceiptUuid {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for ReceiptUuid {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ReceiptUuid {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for ReceiptUuid {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::ReceiptUuid;

    #[test]
    fn a_uuid_is_text_on_the_wire_and_well_formed_only_as_sha256_hex() {
        let hex = "a".repeat(64);
        let uuid = ReceiptUuid::new(hex.clone());
        assert_eq!(serde_json::to_string(&uuid).unwrap(), format!("\"{hex}\""));
        assert_eq!(uuid, hex.as_str());
        assert!(uuid.is_well_formed());
        assert!(!ReceiptUuid::new("A".repeat(64)).is_well_formed());
        assert!(!ReceiptUuid::new("a".repeat(63)).is_well_formed());
        assert!(!ReceiptUuid::new("g".repeat(64)).is_well_formed());
    }
}
