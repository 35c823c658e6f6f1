//! Typed identifiers: one newtype per kind of ID, so a product id cannot be passed where an
//! order id is expected.
//!
//! ```
//! sync_core::define_id!(
//!     /// An example id.
//!     ExampleId
//! );
//! let id = ExampleId::from("A-1");
//! assert_eq!(id.as_str(), "A-1");
//! assert_eq!(serde_json::to_string(&id).unwrap(), "\"A-1\"");
//! ```

/// Defines a string-backed ID newtype with `as_str`, `Display`, `FromStr`, `From<String>`,
/// `From<&str>`, `Borrow<str>` (a map keyed by the id is looked up by text), comparison with
/// text, and transparent serde (stored and sent as the bare text).
///
/// Two ids defined by this macro are different types: one cannot be passed where the other is
/// expected, which is the point. Converting between kinds is explicit (`as_str`, `new`).
#[macro_export]
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a raw identifier.
            pub fn new(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// Unwraps the identifier.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self(s.to_owned()))
            }
        }

        impl From<String> for $name {
            fn from(raw: String) -> Self {
                Self(raw)
            }
        }

        impl From<&str> for $name {
            fn from(raw: &str) -> Self {
                Self(raw.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<::std::string::String> for $name {
            fn eq(&self, other: &::std::string::String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for ::std::string::String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }
    };
}

/// A key that makes a retried write a no-op: sent with Shopify's `@idempotent(key:)`
/// directive, and used by the engine as a job's key.
///
/// The form is checked on construction, so a key that reaches a connector is always one a
/// storefront accepts and one that can sit in a URI (the stock flow names its writes
/// `gid://flow-erp/StockSync/{key}`):
///
/// - not empty;
/// - at most [`IdempotencyKey::MAX_LEN`] characters, which leaves room for the suffixes a
///   client adds per request (a chunk number, a re-read round, `:activated`);
/// - only ASCII letters, digits and `-`, `_`, `.`, `:`.
///
/// The engine's stock keys (`stock:delta:<millis>:<sha-256 hex>`) take about 100 characters.
///
/// ```
/// use sync_core::id::IdempotencyKey;
/// let key = IdempotencyKey::new("stock:delta:1733400000000:ab12").unwrap();
/// assert_eq!(key.as_str(), "stock:delta:1733400000000:ab12");
/// assert_eq!(key.with_suffix("-0").unwrap().as_str(), "stock:delta:1733400000000:ab12-0");
/// let err = IdempotencyKey::new("has space").unwrap_err();
/// assert!(err.to_string().contains("idempotency_key"));
/// ```
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

/// Why a text is not an [`IdempotencyKey`]: names the field and the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("idempotency_key: {rule}")]
pub struct IdempotencyKeyError {
    rule: String,
}

impl IdempotencyKeyError {
    /// The rule the text broke.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl IdempotencyKey {
    /// The most characters a key may have.
    pub const MAX_LEN: usize = 200;

    /// Checks `raw` against the form (see the type's doc) and wraps it.
    ///
    /// # Errors
    ///
    /// [`IdempotencyKeyError`] naming the rule `raw` breaks; the text itself is quoted only
    /// up to a bounded length.
    pub fn new(raw: impl Into<String>) -> Result<Self, IdempotencyKeyError> {
        let raw = raw.into();
        let rule = |rule: String| Err(IdempotencyKeyError { rule });
        if raw.is_empty() {
            return rule("must not be empty".to_owned());
        }
        let len = raw.chars().count();
        if len > Self::MAX_LEN {
            return rule(format!(
                "must be at most {} characters, got {len}",
                Self::MAX_LEN
            ));
        }
        if let Some(bad) = raw.chars().find(|c| !Self::allowed(*c)) {
            return rule(format!(
                "may hold only ASCII letters, digits, '-', '_', '.' and ':', got {bad:?}"
            ));
        }
        Ok(IdempotencyKey(raw))
    }

    fn allowed(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
    }

    /// The key of one part of this key's write: this key followed by `suffix`, checked again.
    ///
    /// # Errors
    ///
    /// As [`IdempotencyKey::new`], for the whole derived key.
    pub fn with_suffix(&self, suffix: &str) -> Result<Self, IdempotencyKeyError> {
        Self::new(format!("{}{suffix}", self.0))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for IdempotencyKey {
    type Err = IdempotencyKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = IdempotencyKeyError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::new(raw)
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> Self {
        key.0
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(unreachable_pub, dead_code)]
mod tests {
    crate::define_id!(
        /// Test id.
        SampleId
    );

    #[test]
    fn ids_parse_display_and_serialize_transparently() {
        let id: SampleId = "gid://shopify/Product/1".parse().unwrap();
        assert_eq!(id.to_string(), "gid://shopify/Product/1");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"gid://shopify/Product/1\"");
        let back: SampleId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert_eq!(SampleId::from(String::from("x")).into_inner(), "x");
    }

    use super::IdempotencyKey;

    #[test]
    fn idempotency_keys_of_the_documented_form_are_accepted() {
        for raw in [
            "k",
            "stock:delta:1733400000000:0123456789abcdef",
            "stock:reupload:1:ab-0-r1",
            "A.b_C-d:9",
        ] {
            let key = IdempotencyKey::new(raw).unwrap();
            assert_eq!(key.as_str(), raw);
            assert_eq!(key.to_string(), raw);
        }
        let longest = "x".repeat(IdempotencyKey::MAX_LEN);
        assert!(IdempotencyKey::new(longest).is_ok());
    }

    #[test]
    fn idempotency_keys_breaking_a_rule_are_refused_naming_it() {
        let empty = IdempotencyKey::new("").unwrap_err();
        assert_eq!(empty.to_string(), "idempotency_key: must not be empty");
        let long = IdempotencyKey::new("x".repeat(IdempotencyKey::MAX_LEN + 1)).unwrap_err();
        assert_eq!(
            long.to_string(),
            "idempotency_key: must be at most 200 characters, got 201"
        );
        for (raw, bad) in [
            ("a b", "' '"),
            ("a/b", "'/'"),
            ("clé", "'é'"),
            ("a\nb", "'\\n'"),
            ("a?b", "'?'"),
        ] {
            let err = IdempotencyKey::new(raw).unwrap_err();
            assert!(
                err.rule().starts_with("may hold only ASCII letters"),
                "{raw:?}: {err}"
            );
            assert!(
                err.rule().ends_with(&format!("got {bad}")),
                "{raw:?}: {err}"
            );
        }
        let base = IdempotencyKey::new("x".repeat(IdempotencyKey::MAX_LEN)).unwrap();
        assert!(base.with_suffix("-0").is_err());
        assert!(IdempotencyKey::new("k").unwrap().with_suffix(" 1").is_err());
    }

    #[test]
    fn idempotency_keys_serialize_as_text_and_check_when_read() {
        let key = IdempotencyKey::new("stock:delta:1:ab").unwrap();
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, "\"stock:delta:1:ab\"");
        assert_eq!(serde_json::from_str::<IdempotencyKey>(&json).unwrap(), key);
        let err = serde_json::from_str::<IdempotencyKey>("\"a b\"").unwrap_err();
        assert!(err.to_string().contains("idempotency_key"), "{err}");
    }
}
