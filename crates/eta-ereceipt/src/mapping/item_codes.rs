//! Where each receipt line's ETA item code comes from.
//!
//! ETA accepts a line only when its `itemCode` is registered and active for the taxpayer: an
//! EGS code `EG-<RIN>-<internal code>` approved through a code-usage request, or a GS1 code.
//! [`ItemCodes`] takes each item's code from configuration, in this order:
//!
//! 1. a code given for the SKU ([`ItemCodes::with_code`]: a mapping file, or a field of the
//!    ERP's item read by the connector);
//! 2. the line's GS1 barcode (`SaleLine::gtin`), when it has one;
//! 3. the pattern, `EG-{rin}-{sku}` by default (`{rin}` the seller's registration number,
//!    `{sku}` the SKU).
//!
//! Shipping and other fee lines carry the configured service code
//! ([`ItemCodes::service_code`]), else the pattern applied to the shipping line's internal
//! code.

use std::collections::HashMap;

use crate::codes::ItemType;

use super::{MappingError, err};

/// The default pattern of EGS codes.
pub const DEFAULT_PATTERN: &str = "EG-{rin}-{sku}";

/// An item code and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemCode {
    /// `EGS` or `GS1`.
    pub item_type: ItemType,
    /// The code.
    pub code: String,
}

impl ItemCode {
    /// Reads `code` as ETA's item code: `EG-<9-digit RIN>-<code>` is EGS, 8 to 14 digits GS1.
    ///
    /// # Errors
    ///
    /// [`MappingError`] on `field` when it is neither.
    pub fn parse(field: &str, code: &str) -> Result<Self, MappingError> {
        let code = code.trim();
        if let Some(rest) = code.strip_prefix("EG-") {
            let (rin, internal) = rest.split_once('-').unwrap_or(("", ""));
            if rin.len() == 9 && rin.bytes().all(|b| b.is_ascii_digit()) && !internal.is_empty() {
                return Ok(ItemCode {
                    item_type: ItemType::Egs,
                    code: code.to_owned(),
                });
            }
        } else if (8..=14).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(ItemCode {
                item_type: ItemType::Gs1,
                code: code.to_owned(),
            });
        }
        Err(err(
            field,
            format!(
                "{code:?} is not an ETA item code: EG-<9-digit RIN>-<code> (EGS) or 8 to 14 digits (GS1)"
            ),
        ))
    }
}

/// Where item codes come from (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemCodes {
    pattern: String,
    by_sku: HashMap<String, ItemCode>,
    service: Option<ItemCode>,
}

impl Default for ItemCodes {
    fn default() -> Self {
        ItemCodes {
            pattern: DEFAULT_PATTERN.into(),
            by_sku: HashMap::new(),
            service: None,
        }
    }
}

impl ItemCodes {
    /// Codes from `pattern`, which must hold `{sku}` and may hold `{rin}` (no other `{…}`).
    ///
    /// # Errors
    ///
    /// [`MappingError`] on `item_codes.pattern` otherwise.
    pub fn with_pattern(mut self, pattern: impl Into<String>) -> Result<Self, MappingError> {
        let pattern = pattern.into();
        let stripped = pattern.replace("{rin}", "").replace("{sku}", "");
        if !pattern.contains("{sku}") || stripped.contains('{') || stripped.contains('}') {
            return Err(err(
                "item_codes.pattern",
                format!("{pattern:?} must hold {{sku}} and no placeholder but {{rin}} and {{sku}}"),
            ));
        }
        self.pattern = pattern;
        Ok(self)
    }

    /// Uses `code` for the SKU `sku` (before the barcode and the pattern).
    ///
    /// # Errors
    ///
    /// When `code` is not an ETA item code ([`ItemCode::parse`]).
    pub fn with_code(mut self, sku: impl Into<String>, code: &str) -> Result<Self, MappingError> {
        let sku = sku.into();
        let parsed = ItemCode::parse(&format!("item_codes.codes.{sku}"), code)?;
        self.by_sku.insert(sku, parsed);
        Ok(self)
    }

    /// Adds codes by SKU (as [`ItemCodes::with_code`] each), for example read from the ERP.
    ///
    /// # Errors
    ///
    /// At the first code that is not an ETA item code.
    pub fn with_codes<'a>(
        mut self,
        codes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, MappingError> {
        for (sku, code) in codes {
            self = self.with_code(sku, code)?;
        }
        Ok(self)
    }

    /// Uses `code` on shipping and other fee lines.
    ///
    /// # Errors
    ///
    /// When `code` is not an ETA item code.
    pub fn with_service_code(mut self, code: &str) -> Result<Self, MappingError> {
        self.service = Some(ItemCode::parse("item_codes.service_code", code)?);
        Ok(self)
    }

    /// The pattern.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The configured service code, if any.
    pub fn service_code(&self) -> Option<&ItemCode> {
        self.service.as_ref()
    }

    /// The code configured for `sku`, if any.
    pub fn configured(&self, sku: &str) -> Option<&ItemCode> {
        self.by_sku.get(sku)
    }

    /// The pattern applied to `sku` for the seller `rin`.
    pub fn from_pattern(&self, rin: &str, sku: &str) -> ItemCode {
        let code = self.pattern.replace("{rin}", rin).replace("{sku}", sku);
        ItemCode {
            item_type: if code.starts_with("EG-") {
                ItemType::Egs
            } else {
                ItemType::Gs1
            },
            code,
        }
    }

    /// The code of an item line: configured for its SKU, else its GS1 barcode, else the
    /// pattern.
    pub fn for_item(&self, rin: &str, sku: &str, gtin: Option<&str>) -> ItemCode {
        if let Some(c) = self.by_sku.get(sku) {
            return c.clone();
        }
        if let Some(g) = gtin {
            return ItemCode {
                item_type: ItemType::Gs1,
                code: g.to_owned(),
            };
        }
        self.from_pattern(rin, sku)
    }

    /// The code of a shipping or fee line whose internal code is `internal`: the service code,
    /// else the pattern.
    pub fn for_service(&self, rin: &str, internal: &str) -> ItemCode {
        self.service
            .clone()
            .unwrap_or_else(|| self.from_pattern(rin, internal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_code_then_barcode_then_pattern() {
        let codes = ItemCodes::default()
            .with_pattern("EG-{rin}-SHOP{sku}")
            .unwrap()
            .with_code("TEA", "EG-674859545-99")
            .unwrap();
        assert_eq!(
            codes
                .for_item("674859545", "TEA", Some("6221234567890"))
                .code,
            "EG-674859545-99"
        );
        let gs1 = codes.for_item("674859545", "MUG", Some("6221234567890"));
        assert_eq!(gs1.item_type, ItemType::Gs1);
        assert_eq!(
            codes.for_item("674859545", "MUG", None).code,
            "EG-674859545-SHOPMUG"
        );
    }

    #[test]
    fn bad_patterns_and_codes_are_refused_naming_the_key() {
        let e = ItemCodes::default().with_pattern("EG-{rin}").unwrap_err();
        assert_eq!(e.field, "item_codes.pattern");
        let e = ItemCodes::default()
            .with_pattern("EG-{rin}-{code}")
            .unwrap_err();
        assert!(e.rule.contains("{sku}"), "{e}");
        let e = ItemCodes::default()
            .with_code("TEA", "EG-12-1")
            .unwrap_err();
        assert_eq!(e.field, "item_codes.codes.TEA");
        assert!(ItemCodes::default().with_service_code("SHIP").is_err());
    }

    #[test]
    fn service_lines_use_the_service_code() {
        let codes = ItemCodes::default();
        assert_eq!(
            codes.for_service("674859545", "SHIPPING").code,
            "EG-674859545-SHIPPING"
        );
        let codes = codes.with_service_code("EG-674859545-SVC1").unwrap();
        assert_eq!(
            codes.for_service("674859545", "SHIPPING").code,
            "EG-674859545-SVC1"
        );
    }
}
