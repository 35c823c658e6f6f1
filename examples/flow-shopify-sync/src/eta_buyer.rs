//! The `[eta.buyer]` configuration: where a receipt's buyer id comes from, in which order,
//! and which customer tags make a buyer a business or a foreigner (see `docs/eta.md`,
//! "Buyer identity"), with `shopify.buyer_id_metafield`, the customer metafield the order
//! read asks for.

use anyhow::{Result, anyhow, bail};
use eta_ereceipt::buyer::{BuyerRules, IdSource};
use serde::Deserialize;

/// `[eta.buyer]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerSection {
    /// Where a buyer's id is looked for, first match wins: any of `tax_id`, `metafield`,
    /// `attribute`. Default `["tax_id", "metafield", "attribute"]`.
    id_sources: Option<Vec<String>>,
    /// The order attribute (`customAttributes` key) holding an id. Default `eta_buyer_id`.
    id_attribute: Option<String>,
    /// A customer tag making the buyer a business (ETA type `B`). Default: none.
    business_tag: Option<String>,
    /// A customer tag making the buyer a foreigner (ETA type `F`). Default: none.
    foreign_tag: Option<String>,
}

/// The default customer metafield holding a buyer id.
pub const DEFAULT_METAFIELD: &str = "custom.eta_buyer_id";

/// Splits `shopify.buyer_id_metafield` (`namespace.key`) into its parts.
///
/// # Errors
///
/// A value without a `.` between a namespace and a key, naming the setting.
pub fn metafield(text: Option<&str>) -> Result<(String, String)> {
    let text = text.unwrap_or(DEFAULT_METAFIELD).trim();
    match text.rsplit_once('.') {
        Some((ns, key)) if !ns.is_empty() && !key.is_empty() => Ok((ns.to_owned(), key.to_owned())),
        _ => bail!(
            "shopify.buyer_id_metafield: {text:?} must be namespace.key, e.g. {DEFAULT_METAFIELD}"
        ),
    }
}

/// The rules the section configures, with `metafield` (`namespace`, `key`) named in reasons.
///
/// # Errors
///
/// An unknown or repeated source, an empty source list, or a blank attribute or tag, each
/// naming the key.
pub fn rules(section: &BuyerSection, metafield: &(String, String)) -> Result<BuyerRules> {
    let mut rules = BuyerRules {
        id_metafield: format!("{}.{}", metafield.0, metafield.1),
        ..BuyerRules::default()
    };
    if let Some(names) = &section.id_sources {
        let mut sources = Vec::new();
        for name in names {
            let source: IdSource = name
                .parse()
                .map_err(|e| anyhow!("eta.buyer.id_sources: {e}"))?;
            if sources.contains(&source) {
                bail!("eta.buyer.id_sources: {name} is listed twice");
            }
            sources.push(source);
        }
        rules.id_sources = sources;
    }
    let blank = |key: &str, v: &Option<String>| match v {
        Some(v) if v.trim().is_empty() => bail!("eta.buyer.{key}: must not be blank"),
        _ => Ok(v.as_ref().map(|v| v.trim().to_owned())),
    };
    if let Some(a) = blank("id_attribute", &section.id_attribute)? {
        rules.id_attribute = a;
    }
    rules.business_tag = blank("business_tag", &section.business_tag)?;
    rules.foreign_tag = blank("foreign_tag", &section.foreign_tag)?;
    if rules.business_tag.is_some()
        && rules
            .business_tag
            .as_deref()
            .zip(rules.foreign_tag.as_deref())
            .is_some_and(|(b, f)| b.eq_ignore_ascii_case(f))
    {
        bail!("eta.buyer.business_tag and eta.buyer.foreign_tag: must be different tags");
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_names_the_key_it_refuses() {
        let m = metafield(None).unwrap();
        assert_eq!(m, ("custom".to_owned(), "eta_buyer_id".to_owned()));
        assert!(
            metafield(Some("nodot"))
                .unwrap_err()
                .to_string()
                .contains("shopify.buyer_id_metafield")
        );
        let section = BuyerSection {
            id_sources: Some(vec!["attribute".into(), "passport".into()]),
            ..BuyerSection::default()
        };
        let e = rules(&section, &m).unwrap_err().to_string();
        assert!(
            e.contains("eta.buyer.id_sources") && e.contains("passport"),
            "{e}"
        );
        let section = BuyerSection {
            id_sources: Some(vec!["attribute".into(), "tax_id".into()]),
            business_tag: Some("b2b".into()),
            ..BuyerSection::default()
        };
        let r = rules(&section, &m).unwrap();
        assert_eq!(r.id_sources, vec![IdSource::Attribute, IdSource::TaxId]);
        assert_eq!(r.business_tag.as_deref(), Some("b2b"));
        assert_eq!(r.id_metafield, "custom.eta_buyer_id");
    }
}
