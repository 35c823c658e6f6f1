//! Where a receipt's buyer comes from: which sources hold a buyer's id, in which order, and
//! which customer tags make a buyer a business (`B`) or a foreigner (`F`).
//!
//! ETA's rules (docs/eta.md, "Buyer"): a business buyer (`B`) always needs its 9-digit
//! registration number (RIN) and a name; a foreign buyer (`F`) always needs an id and a name;
//! a person (`P`) needs a 14-digit national id and a name when the receipt's total is at or
//! above 150,000 EGP (compared in EGP).
//!
//! These rules are configuration only; the `adapter` (feature `client`) applies them to the
//! buyer facts an order carries.

use std::fmt;
use std::str::FromStr;

/// A place an order may carry its buyer's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdSource {
    /// The customer's tax id (Shopify `Customer.taxSettings.taxId`).
    TaxId,
    /// The configured customer metafield ([`BuyerRules::id_metafield`]).
    Metafield,
    /// The configured order attribute ([`BuyerRules::id_attribute`]).
    Attribute,
}

impl IdSource {
    /// The configuration name: `tax_id`, `metafield` or `attribute`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdSource::TaxId => "tax_id",
            IdSource::Metafield => "metafield",
            IdSource::Attribute => "attribute",
        }
    }
}

impl fmt::Display for IdSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an [`IdSource`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a buyer id source: expected tax_id, metafield or attribute")]
pub struct UnknownIdSource(pub String);

impl FromStr for IdSource {
    type Err = UnknownIdSource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "tax_id" => Ok(IdSource::TaxId),
            "metafield" => Ok(IdSource::Metafield),
            "attribute" => Ok(IdSource::Attribute),
            other => Err(UnknownIdSource(other.to_owned())),
        }
    }
}

/// Where a buyer's id and type come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerRules {
    /// The sources of a buyer's id, first match wins. Default: the customer's tax id, then the
    /// metafield, then the order attribute. A source left out is never read.
    pub id_sources: Vec<IdSource>,
    /// The customer metafield read as an id, `namespace.key` (named in reasons; the storefront
    /// client reads it). Default `custom.eta_buyer_id`.
    pub id_metafield: String,
    /// The order attribute (`customAttributes` key) read as an id. Default `eta_buyer_id`.
    pub id_attribute: String,
    /// A customer tag that makes the buyer a business (`B`). Default: none.
    pub business_tag: Option<String>,
    /// A customer tag that makes the buyer a foreigner (`F`). Default: none.
    pub foreign_tag: Option<String>,
}

impl Default for BuyerRules {
    fn default() -> Self {
        BuyerRules {
            id_sources: vec![IdSource::TaxId, IdSource::Metafield, IdSource::Attribute],
            id_metafield: "custom.eta_buyer_id".into(),
            id_attribute: "eta_buyer_id".into(),
            business_tag: None,
            foreign_tag: None,
        }
    }
}

/// The longest foreign buyer id accepted (characters). ETA gives no length for `buyer.id`;
/// 30 is the length of the buyer's other reference field (`paymentNumber`), kept as a bound.
pub const MAX_FOREIGN_ID: usize = 30;

/// A business registration number as ETA takes it: 9 digits. Spaces and dashes (as in
/// `123-456-789`) are dropped first; anything else is refused.
pub fn registration_number(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A national id as ETA takes it: 14 digits, spaces and dashes dropped first.
pub fn national_id(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A foreign buyer's id (passport or foreign tax number): not blank, at most
/// [`MAX_FOREIGN_ID`] characters, no control characters.
pub fn foreign_id(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t.chars().count() <= MAX_FOREIGN_ID && !t.chars().any(char::is_control))
        .then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_by_etas_rules() {
        assert_eq!(
            registration_number("123-456-789").as_deref(),
            Some("123456789")
        );
        assert_eq!(registration_number("12345678"), None);
        assert_eq!(registration_number("12345678X"), None);
        assert_eq!(
            national_id("2900101 0123456").as_deref(),
            Some("29001010123456")
        );
        assert_eq!(national_id("2900101012345"), None);
        assert_eq!(foreign_id(" P1234567 ").as_deref(), Some("P1234567"));
        assert_eq!(foreign_id(&"x".repeat(31)), None);
        assert_eq!(foreign_id("  "), None);
    }

    #[test]
    fn sources_parse_by_name() {
        assert_eq!(
            "metafield".parse::<IdSource>().unwrap(),
            IdSource::Metafield
        );
        let e = "national".parse::<IdSource>().unwrap_err();
        assert!(
            e.to_string().contains("tax_id, metafield or attribute"),
            "{e}"
        );
    }
}
