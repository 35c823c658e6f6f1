//! Rust types for Shopify scalars that need more than an alias.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Shopify's `UnsignedInt64`: a 64-bit unsigned integer that travels as a string of digits
/// (a bare JSON number is accepted too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct U64(pub u64);

impl fmt::Display for U64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for U64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(U64(n)),
            Raw::Text(text) => text.parse().map(U64).map_err(|_| {
                serde::de::Error::custom(format!(
                    "UnsignedInt64: expected a string of digits, got {text:?}"
                ))
            }),
        }
    }
}

/// A `Money` input value that can also clear a field: [`MoneyPatch::Set`] travels as the
/// decimal's string literal (`"10.50"`), [`MoneyPatch::Clear`] as `null`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MoneyPatch {
    /// Set this amount.
    Set(rust_decimal::Decimal),
    /// Remove the value (e.g. end a compare-at price).
    Clear,
}

impl Serialize for MoneyPatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MoneyPatch::Set(amount) => serializer.collect_str(amount),
            MoneyPatch::Clear => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for MoneyPatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<rust_decimal::Decimal>::deserialize(deserializer)
            .map(|v| v.map_or(MoneyPatch::Clear, MoneyPatch::Set))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_patch_sets_literals_and_clears_with_null() {
        use super::MoneyPatch;
        use rust_decimal::Decimal;
        let set = MoneyPatch::Set(Decimal::new(1050, 2));
        assert_eq!(serde_json::to_string(&set).unwrap(), "\"10.50\"");
        assert_eq!(
            serde_json::to_string(&Some(MoneyPatch::Clear)).unwrap(),
            "null"
        );
        let back: MoneyPatch = serde_json::from_str("\"10.50\"").unwrap();
        assert_eq!(back, set);
    }

    use super::*;

    #[test]
    fn u64_reads_strings_and_numbers_and_writes_strings() {
        let a: U64 = serde_json::from_str("\"18446744073709551615\"").unwrap();
        assert_eq!(a.0, u64::MAX);
        let b: U64 = serde_json::from_str("42").unwrap();
        assert_eq!(b, U64(42));
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"42\"");
        let err = serde_json::from_str::<U64>("\"-1\"").unwrap_err();
        assert!(err.to_string().contains("UnsignedInt64"));
    }
}
