//! Money: an exact decimal amount and an ISO 4217 currency. Never `f64`.
//!
//! The JSON form is `{"amount":"10.50","currency":"EGP"}`. The amount travels as a string and
//! keeps the exact literal it was given: `"10.50"` stays `10.50` (a [`Decimal`] keeps its
//! scale), which is what tax hashing and ERP documents need.
//!
//! ```
//! use sync_core::money::Money;
//! let m: Money = serde_json::from_str(r#"{"amount":"10.50","currency":"EGP"}"#).unwrap();
//! assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"amount":"10.50","currency":"EGP"}"#);
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 4217 currency code: three ASCII capital letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// A currency code that is not three ASCII capital letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency must be three capital letters (ISO 4217), got {0:?}")]
pub struct InvalidCurrency(pub String);

impl Currency {
    /// Egyptian pound.
    pub const EGP: Currency = Currency(*b"EGP");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Always ASCII by construction.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for Currency {
    type Err = InvalidCurrency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(InvalidCurrency(s.to_owned()))
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An exact amount in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount, with the scale it was given.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount in `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Money::new(Decimal::ZERO, currency)
    }

    /// Parses an amount literal, keeping its scale (`"10.50"` has scale 2).
    ///
    /// # Errors
    ///
    /// When `amount` is not a plain decimal literal.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, rust_decimal::Error> {
        Ok(Money::new(Decimal::from_str_exact(amount)?, currency))
    }

    /// The sum of two amounts in the same currency, or `None` when the currencies differ or
    /// the sum overflows.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.amount.checked_add(other.amount))
            .flatten()
            .map(|amount| Money::new(amount, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn json_keeps_the_exact_literal() {
        for literal in ["10.50", "0.00", "12", "1234567.89000", "-3.1"] {
            let json = format!(r#"{{"amount":"{literal}","currency":"EGP"}}"#);
            let money: Money = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&money).unwrap(), json);
        }
    }

    #[test]
    fn currency_must_be_three_capitals() {
        assert!("EGP".parse::<Currency>().is_ok());
        for bad in ["egp", "EG", "EGPP", "E1P", ""] {
            assert!(bad.parse::<Currency>().is_err(), "{bad}");
        }
        let err = serde_json::from_str::<Money>(r#"{"amount":"1","currency":"eg"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ISO 4217"), "{err}");
    }

    #[test]
    fn adding_different_currencies_is_refused() {
        let a = Money::parse("1.5", Currency::EGP).unwrap();
        let b = Money::parse("2.25", Currency::USD).unwrap();
        assert_eq!(a.checked_add(b), None);
        assert_eq!(a.checked_add(a).unwrap().amount.to_string(), "3.0");
    }

    proptest! {
        #[test]
        fn any_decimal_literal_round_trips(int in -1_000_000_000i64..1_000_000_000, scale in 0u32..10) {
            let amount = Decimal::new(int, scale);
            let literal = amount.to_string();
            let money = Money::parse(&literal, Currency::EGP).unwrap();
            let json = serde_json::to_string(&money).unwrap();
            let back: Money = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.amount.to_string(), literal);
        }
    }
}
