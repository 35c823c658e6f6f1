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
/// `From<&str>` and transparent serde.
#[macro_export]
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
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
    };
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
}
