//! The typed e-receipt v1.2 and its one serialization.
//!
//! Field order is the order of ETA's SDK sample and is the order written. Amounts are
//! [`Decimal`]s written as JSON **number literals** carrying the decimal's own text
//! (`Decimal` keeps its scale, so `10.50` is written `10.50`), never through `f64`. Optional
//! fields that are `None` (and empty discount lists) are omitted: nulls are never sent.
//!
//! A receipt is serialized **once**: [`Receipt::seal`] writes the JSON text with `uuid` = `""`,
//! hashes the canonical form of exactly that text and writes the uuid into the same text, so
//! the body sent and the text hashed are the same bytes.
//!
//! ```
//! use eta_ereceipt::model::Receipt;
//! # fn demo(receipt: Receipt) -> Result<(), eta_ereceipt::model::ModelError> {
//! let sealed = receipt.seal()?;
//! assert_eq!(sealed.uuid.as_str().len(), 64);
//! assert_eq!(eta_ereceipt::canonical::receipt_uuid(&sealed.json).unwrap(), sealed.uuid);
//! # Ok(()) }
//! ```

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ReceiptUuid;
use crate::canonical::{self, UuidError};
use crate::codes::{BuyerType, ItemType, PaymentMethod, ReceiptType, TaxType, UnitType};

/// A receipt JSON that does not fit the typed model, with the JSON path of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ModelError {
    /// JSON path, e.g. `itemData[0].unitType` (`$` for the root).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl From<UuidError> for ModelError {
    fn from(e: UuidError) -> Self {
        match e {
            UuidError::Shape { path, rule } => ModelError {
                path,
                message: rule.to_owned(),
            },
            other => ModelError {
                path: "$".to_owned(),
                message: other.to_string(),
            },
        }
    }
}

/// Serde for amounts as exact JSON number literals.
pub mod amount {
    use rust_decimal::Decimal;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;

    /// Parses an amount literal; it must be a plain JSON number whose text the decimal keeps.
    ///
    /// # Errors
    ///
    /// When the text is not a plain decimal number (exponent, quotes, more than 28 digits) or
    /// would not be written back identically.
    pub fn parse(raw: &str) -> Result<Decimal, String> {
        if raw.starts_with('"') {
            return Err(format!(
                "amount must be a JSON number, not a string ({raw})"
            ));
        }
        let d = Decimal::from_str_exact(raw)
            .map_err(|_| format!("amount {raw} is not a plain decimal of at most 28 digits"))?;
        if d.to_string() != raw {
            return Err(format!("amount {raw} cannot be kept literally"));
        }
        Ok(d)
    }

    /// Writes `value` as a JSON number with the decimal's exact text.
    ///
    /// # Errors
    ///
    /// Only from the underlying serializer.
    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(value.to_string()).map_err(S::Error::custom)?;
        raw.serialize(s)
    }

    /// Reads a JSON number, keeping its literal.
    ///
    /// # Errors
    ///
    /// See [`parse`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        parse(raw.get()).map_err(D::Error::custom)
    }

    /// The same for `Option<Decimal>` (use with `skip_serializing_if = "Option::is_none"`).
    pub mod opt {
        use super::*;

        /// Writes `Some` as a number literal (`None` is skipped by the field attribute).
        ///
        /// # Errors
        ///
        /// Only from the underlying serializer.
        pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }

        /// Reads a number literal.
        ///
        /// # Errors
        ///
        /// See [`super::parse`].
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

/// One e-receipt (v1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Receipt {
    /// Header: date, number, uuids, currency.
    pub header: Header,
    /// Receipt type and version.
    pub document_type: DocumentType,
    /// The issuer.
    pub seller: Seller,
    /// The customer.
    pub buyer: Buyer,
    /// The lines (1..=300).
    pub item_data: Vec<Item>,
    /// Σ `totalSale`.
    #[serde(with = "amount")]
    pub total_sales: Decimal,
    /// Σ commercial discounts.
    #[serde(with = "amount::opt", skip_serializing_if = "Option::is_none", default)]
    pub total_commercial_discount: Option<Decimal>,
    /// Σ item discounts.
    #[serde(with = "amount::opt", skip_serializing_if = "Option::is_none", default)]
    pub total_items_discount: Option<Decimal>,
    /// Receipt-level discounts, subtracted after tax.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub extra_receipt_discount_data: Vec<Discount>,
    /// Σ `netSale`.
    #[serde(with = "amount")]
    pub net_amount: Decimal,
    /// Fees (ETA accepts only 0).
    #[serde(with = "amount::opt", skip_serializing_if = "Option::is_none", default)]
    pub fees_amount: Option<Decimal>,
    /// Σ line `total` − Σ extra receipt discounts.
    #[serde(with = "amount")]
    pub total_amount: Decimal,
    /// One entry per tax type: Σ of that type's line amounts.
    #[serde(default)]
    pub tax_totals: Vec<TaxTotal>,
    /// How the customer paid.
    pub payment_method: PaymentMethod,
    /// Adjustment (ETA accepts only 0).
    #[serde(with = "amount::opt", skip_serializing_if = "Option::is_none", default)]
    pub adjustment: Option<Decimal>,
    /// Contractor share (medical/contract split payments).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contractor: Option<Contractor>,
    /// Beneficiary share.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub beneficiary: Option<Beneficiary>,
}

/// The receipt header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    /// UTC issue time, `YYYY-MM-DDTHH:MM:SSZ` (kept as the literal sent).
    pub date_time_issued: String,
    /// Receipt number, unique per branch.
    pub receipt_number: String,
    /// The uuid; `""` while hashing.
    pub uuid: String,
    /// The uuid of the previous receipt of the same POS device (`""` for its first).
    #[serde(rename = "previousUUID")]
    pub previous_uuid: String,
    /// For returns: the uuid of the sale receipt.
    #[serde(
        rename = "referenceUUID",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub reference_uuid: Option<String>,
    /// For a correction: the uuid of the invalid receipt it replaces.
    #[serde(
        rename = "referenceOldUUID",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub reference_old_uuid: Option<String>,
    /// ISO 4217 currency.
    pub currency: String,
    /// Exchange rate (0 for EGP).
    #[serde(with = "amount::opt", skip_serializing_if = "Option::is_none", default)]
    pub exchange_rate: Option<Decimal>,
    /// Sales order reference.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub s_order_name_code: Option<String>,
    /// Order delivery mode code (mandatory for `SR`).
    #[serde(
        rename = "orderdeliveryMode",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub order_delivery_mode: Option<String>,
    /// Gross weight (kg).
    #[serde(with = "amount::opt", skip_serializing_if = "Option::is_none", default)]
    pub gross_weight: Option<Decimal>,
    /// Net weight (kg).
    #[serde(with = "amount::opt", skip_serializing_if = "Option::is_none", default)]
    pub net_weight: Option<Decimal>,
    /// Why a return without reference (`RWR`) is issued.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub document_use_reason: Option<String>,
    /// For a return without reference: when the original sale was issued.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sales_issued_date_time: Option<String>,
}

/// Receipt type and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentType {
    /// Sale, return, ….
    pub receipt_type: ReceiptType,
    /// `"1.2"`.
    pub type_version: String,
}

/// The issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seller {
    /// Registration number (9 digits).
    pub rin: String,
    /// Trade name.
    pub company_trade_name: String,
    /// Branch code (`"0"` for the head office).
    pub branch_code: String,
    /// Branch address.
    pub branch_address: BranchAddress,
    /// POS serial (= the token's `posserial`).
    pub device_serial_number: String,
    /// Syndicate licence number (`"C"` for a company).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub syndicate_license_number: Option<String>,
    /// ETA activity code.
    pub activity_code: String,
}

/// A branch address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BranchAddress {
    /// ISO 3166 alpha-2 (`EG`).
    pub country: String,
    /// Governorate (ETA's spelling `governate`).
    pub governate: String,
    /// Region / city.
    pub region_city: String,
    /// Street.
    pub street: String,
    /// Building number.
    pub building_number: String,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub postal_code: Option<String>,
    /// Floor.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub floor: Option<String>,
    /// Room.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub room: Option<String>,
    /// Landmark.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub landmark: Option<String>,
    /// Additional information.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub additional_information: Option<String>,
}

/// The customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Buyer {
    /// B, P or F.
    #[serde(rename = "type")]
    pub buyer_type: BuyerType,
    /// RIN (B) or national id (P).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Mobile number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mobile_number: Option<String>,
    /// Payment reference number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payment_number: Option<String>,
}

impl Buyer {
    /// An anonymous walk-in person (type P, no id or name).
    pub fn walk_in() -> Self {
        Buyer {
            buyer_type: BuyerType::Person,
            id: None,
            name: None,
            mobile_number: None,
            payment_number: None,
        }
    }
}

/// One receipt line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Item {
    /// The seller's own code.
    pub internal_code: String,
    /// Description.
    pub description: String,
    /// GS1 or EGS.
    pub item_type: ItemType,
    /// GTIN, or `EG-<RIN>-<code>`.
    pub item_code: String,
    /// Unit code.
    pub unit_type: UnitType,
    /// Quantity.
    #[serde(with = "amount")]
    pub quantity: Decimal,
    /// Net unit price.
    #[serde(with = "amount")]
    pub unit_price: Decimal,
    /// `totalSale − Σ commercial discounts − additional commercial discount`.
    #[serde(with = "amount")]
    pub net_sale: Decimal,
    /// `quantity × unitPrice`.
    #[serde(with = "amount")]
    pub total_sale: Decimal,
    /// `netSale + taxes − T4 − Σ item discounts − additional item discount`.
    #[serde(with = "amount")]
    pub total: Decimal,
    /// Discounts before tax.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub commercial_discount_data: Vec<Discount>,
    /// Discounts after tax.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub item_discount_data: Vec<Discount>,
    /// One further discount before tax (v1.2); subtracted from `netSale` like
    /// `commercialDiscountData`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub additional_commercial_discount: Option<Discount>,
    /// One further discount after tax (v1.2); subtracted from `total` like `itemDiscountData`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub additional_item_discount: Option<Discount>,
    /// Added to the VAT base only.
    #[serde(with = "amount::opt", skip_serializing_if = "Option::is_none", default)]
    pub value_difference: Option<Decimal>,
    /// Taxes of this line.
    #[serde(default)]
    pub taxable_items: Vec<TaxableItem>,
}

/// A discount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Discount {
    /// Amount.
    #[serde(with = "amount")]
    pub amount: Decimal,
    /// Description.
    pub description: String,
    /// Rate (percent), when the discount is a rate.
    #[serde(with = "amount::opt", skip_serializing_if = "Option::is_none", default)]
    pub rate: Option<Decimal>,
}

/// One tax on a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxableItem {
    /// T1..T20.
    pub tax_type: TaxType,
    /// Subtype code (V009, W001, …).
    pub sub_type: String,
    /// Tax amount.
    #[serde(with = "amount")]
    pub amount: Decimal,
    /// Rate in percent (0 for fixed-amount taxes).
    #[serde(with = "amount")]
    pub rate: Decimal,
}

/// Total of one tax type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxTotal {
    /// Tax type.
    pub tax_type: TaxType,
    /// Σ of the lines' amounts of this type.
    #[serde(with = "amount")]
    pub amount: Decimal,
}

/// Contractor share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contractor {
    /// Contractor name.
    pub name: String,
    /// Amount.
    #[serde(with = "amount")]
    pub amount: Decimal,
    /// Rate.
    #[serde(with = "amount")]
    pub rate: Decimal,
}

/// Beneficiary share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Beneficiary {
    /// Amount.
    #[serde(with = "amount")]
    pub amount: Decimal,
    /// Rate.
    #[serde(with = "amount")]
    pub rate: Decimal,
}

/// A receipt whose uuid is computed, with the exact JSON text to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedReceipt {
    /// The receipt, `header.uuid` filled in.
    pub receipt: Receipt,
    /// The JSON text to send; its canonical form (uuid blanked) hashes to `uuid`.
    pub json: String,
    /// The uuid.
    pub uuid: ReceiptUuid,
}

impl Receipt {
    /// Parses a receipt, naming the JSON path of the first problem (unknown field, unknown
    /// code, amount that is not a plain number, missing field).
    ///
    /// # Errors
    ///
    /// [`ModelError`] with the path and the reason.
    pub fn from_json(text: &str) -> Result<Receipt, ModelError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let receipt: Receipt = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let mut path = e.path().to_string();
            let message = strip_position(&e.inner().to_string());
            // "missing field `x`": name the missing field in the path itself
            if let Some(field) = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.strip_suffix('`'))
            {
                if path.is_empty() || path == "." {
                    path = field.to_owned();
                } else {
                    path = format!("{path}.{field}");
                }
                return ModelError {
                    path,
                    message: "is mandatory".to_owned(),
                };
            }
            ModelError {
                path: display_path(&path),
                message,
            }
        })?;
        de.end().map_err(|e| ModelError {
            path: "$".to_owned(),
            message: e.to_string(),
        })?;
        Ok(receipt)
    }

    /// The compact JSON text of this receipt as it stands.
    pub fn to_json(&self) -> String {
        // Serializing these plain structs cannot fail: every map key is a string and every
        // amount is a valid number literal.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The uuid this receipt would get (its current `header.uuid` is ignored).
    ///
    /// # Errors
    ///
    /// Never in practice (the text is produced by this model); typed for safety.
    pub fn compute_uuid(&self) -> Result<ReceiptUuid, ModelError> {
        Ok(canonical::receipt_uuid(&self.to_json())?)
    }

    /// Serializes once, computes the uuid from those bytes and writes it into them.
    ///
    /// # Errors
    ///
    /// Never in practice (the text is produced by this model); typed for safety.
    pub fn seal(mut self) -> Result<SealedReceipt, ModelError> {
        self.header.uuid.clear();
        let stamped = canonical::stamp_receipt_uuid(&self.to_json())?;
        self.header.uuid = stamped.uuid.as_str().to_owned();
        Ok(SealedReceipt {
            receipt: self,
            json: stamped.json,
            uuid: stamped.uuid,
        })
    }
}

/// `itemData[0].unitType` from serde_path_to_error's `itemData[0].unitType`, `$` when empty.
fn display_path(p: &str) -> String {
    if p.is_empty() || p == "." {
        "$".to_owned()
    } else {
        p.to_owned()
    }
}

/// serde_json messages end with " at line L column C"; the path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    pub(crate) fn sample() -> Receipt {
        Receipt {
            header: Header {
                date_time_issued: "2026-11-28T08:00:00Z".into(),
                receipt_number: "R-1".into(),
                uuid: String::new(),
                previous_uuid: String::new(),
                reference_uuid: None,
                reference_old_uuid: None,
                currency: "EGP".into(),
                exchange_rate: Some(dec!(0)),
                s_order_name_code: None,
                order_delivery_mode: None,
                gross_weight: None,
                net_weight: None,
                document_use_reason: None,
                sales_issued_date_time: None,
            },
            document_type: DocumentType {
                receipt_type: ReceiptType::Sale,
                type_version: "1.2".into(),
            },
            seller: Seller {
                rin: "674859545".into(),
                company_trade_name: "متجر".into(),
                branch_code: "0".into(),
                branch_address: BranchAddress {
                    country: "EG".into(),
                    governate: "Cairo".into(),
                    region_city: "Nasr City".into(),
                    street: "1 St".into(),
                    building_number: "1".into(),
                    ..BranchAddress::default()
                },
                device_serial_number: "POS-1".into(),
                syndicate_license_number: None,
                activity_code: "4791".into(),
            },
            buyer: Buyer::walk_in(),
            item_data: vec![Item {
                internal_code: "SKU1".into(),
                description: "Tea".into(),
                item_type: ItemType::Egs,
                item_code: "EG-674859545-SKU1".into(),
                unit_type: UnitType::Each,
                quantity: dec!(2),
                unit_price: dec!(10.50),
                net_sale: dec!(21.00),
                total_sale: dec!(21.00),
                total: dec!(23.94),
                commercial_discount_data: vec![],
                item_discount_data: vec![],
                additional_commercial_discount: None,
                additional_item_discount: None,
                value_difference: None,
                taxable_items: vec![TaxableItem {
                    tax_type: TaxType::T1,
                    sub_type: "V009".into(),
                    amount: dec!(2.94),
                    rate: dec!(14),
                }],
            }],
            total_sales: dec!(21.00),
            total_commercial_discount: None,
            total_items_discount: None,
            extra_receipt_discount_data: vec![],
            net_amount: dec!(21.00),
            fees_amount: Some(dec!(0)),
            total_amount: dec!(23.94),
            tax_totals: vec![TaxTotal {
                tax_type: TaxType::T1,
                amount: dec!(2.94),
            }],
            payment_method: PaymentMethod::Cash,
            adjustment: None,
            contractor: None,
            beneficiary: None,
        }
    }

    #[test]
    fn json_keeps_literals_and_order_and_round_trips() {
        let r = sample();
        let json = r.to_json();
        assert!(json.starts_with(r#"{"header":{"dateTimeIssued":"2026-11-28T08:00:00Z","receiptNumber":"R-1","uuid":"","previousUUID":"","currency":"EGP","exchangeRate":0},"documentType":{"receiptType":"s","typeVersion":"1.2"}"#), "{json}");
        assert!(
            json.contains(r#""unitPrice":10.50,"netSale":21.00"#),
            "{json}"
        );
        assert!(!json.contains("null"));
        let back = Receipt::from_json(&json).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.to_json(), json);
    }

    #[test]
    fn seal_hashes_exactly_the_text_sent() {
        let sealed = sample().seal().unwrap();
        assert_eq!(sealed.receipt.header.uuid, sealed.uuid.as_str());
        assert_eq!(sealed.json, sealed.receipt.to_json());
        assert_eq!(canonical::receipt_uuid(&sealed.json).unwrap(), sealed.uuid);
        assert_eq!(sample().compute_uuid().unwrap(), sealed.uuid);
        // previousUUID is part of the hash
        let mut other = sample();
        other.header.previous_uuid = sealed.uuid.as_str().to_owned();
        assert_ne!(other.compute_uuid().unwrap(), sealed.uuid);
    }

    #[test]
    fn parse_errors_name_the_path() {
        let json = sample().to_json();
        let bad = json.replace(r#""paymentMethod":"C""#, r#""paymentMethod":"Cash""#);
        let e = Receipt::from_json(&bad).unwrap_err();
        assert_eq!(e.path, "paymentMethod");
        assert!(
            e.message.contains("unknown payment method code \"Cash\""),
            "{e}"
        );
        let bad = json.replace(r#""unitType":"EA""#, r#""unitType":"XX""#);
        assert_eq!(
            Receipt::from_json(&bad).unwrap_err().path,
            "itemData[0].unitType"
        );
        let bad = json.replace(r#""unitPrice":10.50"#, r#""unitPrice":"10.50""#);
        let e = Receipt::from_json(&bad).unwrap_err();
        assert_eq!(e.path, "itemData[0].unitPrice");
        assert!(e.message.contains("must be a JSON number"), "{e}");
        let bad = json.replace(r#""unitPrice":10.50"#, r#""unitPrice":1.05e1"#);
        assert!(Receipt::from_json(&bad).is_err());
        let bad = json.replace(r#""currency":"EGP""#, r#""currency":"EGP","extra":1"#);
        let e = Receipt::from_json(&bad).unwrap_err();
        assert_eq!(e.path, "header.extra");
        assert!(Receipt::from_json("{").is_err());
        let bad = json.replace(r#""receiptNumber":"R-1","#, "");
        let e = Receipt::from_json(&bad).unwrap_err();
        assert_eq!(e.to_string(), "header.receiptNumber: is mandatory");
    }
}
