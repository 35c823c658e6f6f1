//! ETA code tables as enums with their wire codes.
//!
//! The tables themselves are data files in the crate (see [`crate::tables`]): unit types come
//! straight from `data/unit-types.tsv`; tax subtypes, tax-type classes and payment-method names
//! are looked up there, and tests check that the enums list exactly the codes of their files.
//!
//! Each enum serializes to its wire code and refuses unknown codes when parsed, with an error
//! that names the code and the accepted ones (the JSON path is added by
//! [`Receipt::from_json`](crate::model::Receipt::from_json)).
//!
//! ```
//! use eta_ereceipt::codes::{PaymentMethod, TaxType};
//! assert_eq!("VC".parse::<PaymentMethod>().unwrap(), PaymentMethod::VisaWithContractor);
//! assert_eq!(TaxType::T4.code(), "T4");
//! assert!("Cash".parse::<PaymentMethod>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::tables::{self, SubtypeKind, TaxClass, TaxSubtype};

/// A code that is not in its table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {table} code {code:?} (expected one of: {expected})")]
pub struct UnknownCode {
    /// The table, e.g. "payment method".
    pub table: &'static str,
    /// The code given.
    pub code: String,
    /// The accepted codes, comma separated.
    pub expected: &'static str,
}

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $table:literal, $expected:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every code of the table, in table order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire code.
            pub fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $code $(| $alias)* => Ok($name::$variant), )+
                    _ => Err(UnknownCode { table: $table, code: s.to_owned(), expected: $expected }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

code_enum! {
    /// Payment method of a receipt (ETA code table "payment methods").
    PaymentMethod, "payment method", "C, V, CC, VC, VO, PR, GC, P, O" {
        /// `C`: cash.
        Cash = "C",
        /// `V`: Visa (card).
        Visa = "V",
        /// `CC`: cash with contractor.
        CashWithContractor = "CC",
        /// `VC`: Visa with contractor.
        VisaWithContractor = "VC",
        /// `VO`: vouchers.
        Vouchers = "VO",
        /// `PR`: promotion.
        Promotion = "PR",
        /// `GC`: gift card.
        GiftCard = "GC",
        /// `P`: points.
        Points = "P",
        /// `O`: others.
        Others = "O",
    }
}

code_enum! {
    /// Buyer type.
    BuyerType, "buyer type", "B, P, F" {
        /// `B`: a business registered in Egypt (id = 9-digit RIN).
        Business = "B",
        /// `P`: a natural person (id = 14-digit national id).
        Person = "P",
        /// `F`: a foreigner.
        Foreigner = "F",
    }
}

code_enum! {
    /// Receipt type (`documentType.receiptType`).
    ///
    /// ETA's search API uses `s` and `r`; its SDK sample and shipping integrations send `S`.
    /// Both cases are accepted when parsing; the typed model writes the lower-case code.
    ReceiptType, "receipt type", "s, r, SR, RWR" {
        /// `s`: sale receipt.
        Sale = "s" | "S",
        /// `r`: return receipt (carries `header.referenceUUID`).
        Return = "r" | "R",
        /// `SR`: retail sale (orderdeliveryMode mandatory).
        RetailSale = "SR",
        /// `RWR`: return without reference.
        ReturnWithoutReference = "RWR",
    }
}

impl ReceiptType {
    /// `true` for return types.
    pub fn is_return(self) -> bool {
        matches!(
            self,
            ReceiptType::Return | ReceiptType::ReturnWithoutReference
        )
    }
}

code_enum! {
    /// Item coding scheme.
    ItemType, "item type", "GS1, EGS" {
        /// `GS1`: a GS1 barcode (GTIN).
        Gs1 = "GS1",
        /// `EGS`: an ETA-registered internal code `EG-<issuer RIN>-<code>`.
        Egs = "EGS",
    }
}

code_enum! {
    /// Tax types T1–T20. Names follow ETA's tax-type table as far as known (see `docs/eta.md`;
    /// the names of T7–T20 are unverified).
    TaxType, "tax type", "T1..T20" {
        /// `T1`: value added tax (VAT), on netSale + valueDifference (+ T2, T3).
        T1 = "T1",
        /// `T2`: table tax (percentage).
        T2 = "T2",
        /// `T3`: table tax (fixed amount).
        T3 = "T3",
        /// `T4`: withholding tax, subtracted from the line total.
        T4 = "T4",
        /// `T5`: stamping tax (percentage).
        T5 = "T5",
        /// `T6`: stamping tax (fixed amount).
        T6 = "T6",
        /// `T7`: entertainment tax.
        T7 = "T7",
        /// `T8`: resource development fee.
        T8 = "T8",
        /// `T9`: table service fee.
        T9 = "T9",
        /// `T10`: municipality fees.
        T10 = "T10",
        /// `T11`: medical insurance fee.
        T11 = "T11",
        /// `T12`: other fees.
        T12 = "T12",
        /// `T13`: stamping tax (percentage), non-taxable variant.
        T13 = "T13",
        /// `T14`: stamping tax (fixed amount), non-taxable variant.
        T14 = "T14",
        /// `T15`: entertainment tax, non-taxable variant.
        T15 = "T15",
        /// `T16`: resource development fee, non-taxable variant.
        T16 = "T16",
        /// `T17`: table service fee, non-taxable variant.
        T17 = "T17",
        /// `T18`: municipality fees, non-taxable variant.
        T18 = "T18",
        /// `T19`: medical insurance fee, non-taxable variant.
        T19 = "T19",
        /// `T20`: other fees, non-taxable variant.
        T20 = "T20",
    }
}

impl PaymentMethod {
    /// The name of the method in ETA's table (`data/payment-methods.tsv`).
    pub fn name(self) -> &'static str {
        tables::rows(tables::PAYMENT_METHODS_TSV)
            .find(|r| r[0] == self.code())
            .and_then(|r| r.get(1).copied())
            .unwrap_or("")
    }
}

/// A unit of ETA's unit-type table (`data/unit-types.tsv`, compiled in): `EA`, `KGM`, `M`,
/// `BOX`, …. Codes not in ETA's table are refused when parsed.
///
/// ```
/// use eta_ereceipt::codes::UnitType;
/// assert_eq!("BOX".parse::<UnitType>().unwrap(), UnitType::Box);
/// assert_eq!("M".parse::<UnitType>().unwrap().code(), "M");
/// assert!("H87".parse::<UnitType>().is_err()); // not in ETA's table
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitType(&'static str);

#[allow(non_upper_case_globals)]
impl UnitType {
    /// `EA`: each.
    pub const Each: UnitType = UnitType("EA");
    /// `C62`: activity unit (one).
    pub const One: UnitType = UnitType("C62");
    /// `KGM`: kilogram.
    pub const Kilogram: UnitType = UnitType("KGM");
    /// `GRM`: gram.
    pub const Gram: UnitType = UnitType("GRM");
    /// `TNE`: tonne.
    pub const Tonne: UnitType = UnitType("TNE");
    /// `LTR`: litre.
    pub const Litre: UnitType = UnitType("LTR");
    /// `M`: metre.
    pub const Metre: UnitType = UnitType("M");
    /// `CMT`: centimetre.
    pub const Centimetre: UnitType = UnitType("CMT");
    /// `MMT`: millimetre.
    pub const Millimetre: UnitType = UnitType("MMT");
    /// `MTK`: square metre.
    pub const SquareMetre: UnitType = UnitType("MTK");
    /// `MTQ`: cubic metre.
    pub const CubicMetre: UnitType = UnitType("MTQ");
    /// `BOX`: box.
    pub const Box: UnitType = UnitType("BOX");
    /// `CT`: carton.
    pub const Carton: UnitType = UnitType("CT");
    /// `PK`: pack.
    pub const Pack: UnitType = UnitType("PK");
    /// `BG`: bag.
    pub const Bag: UnitType = UnitType("BG");
    /// `BO`: bottle.
    pub const Bottle: UnitType = UnitType("BO");
    /// `HUR`: hour (services).
    pub const Hour: UnitType = UnitType("HUR");
    /// `DAY`: day (services).
    pub const Day: UnitType = UnitType("DAY");
    /// `MON`: month (services).
    pub const Month: UnitType = UnitType("MON");

    /// The units named by a constant above.
    pub const NAMED: &'static [UnitType] = &[
        Self::Each,
        Self::One,
        Self::Kilogram,
        Self::Gram,
        Self::Tonne,
        Self::Litre,
        Self::Metre,
        Self::Centimetre,
        Self::Millimetre,
        Self::SquareMetre,
        Self::CubicMetre,
        Self::Box,
        Self::Carton,
        Self::Pack,
        Self::Bag,
        Self::Bottle,
        Self::Hour,
        Self::Day,
        Self::Month,
    ];

    /// The wire code.
    pub fn code(self) -> &'static str {
        self.0
    }

    /// The description in the source list.
    pub fn description(self) -> &'static str {
        tables::UNIT_TYPES
            .iter()
            .find(|r| r.code == self.0)
            .map_or("", |r| r.description)
    }

    /// Every unit of ETA's table, in table order.
    pub fn all() -> &'static [UnitType] {
        static ALL: std::sync::LazyLock<Vec<UnitType>> = std::sync::LazyLock::new(|| {
            tables::UNIT_TYPES
                .iter()
                .map(|r| UnitType(r.code))
                .collect()
        });
        &ALL
    }
}

impl fmt::Debug for UnitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnitType({})", self.0)
    }
}

impl fmt::Display for UnitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl FromStr for UnitType {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        tables::UNIT_TYPES
            .iter()
            .find(|r| r.code == s)
            .map(|r| UnitType(r.code))
            .ok_or_else(|| UnknownCode {
                table: "unit type",
                code: s.to_owned(),
                expected: "a code of ETA's unit table, e.g. EA, KGM, M, BOX, LTR, HUR",
            })
    }
}

impl Serialize for UnitType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for UnitType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl TaxType {
    /// The name in ETA's tax-type table (`data/tax-types.tsv`).
    pub fn name(self) -> &'static str {
        tables::tax_type_name(self)
    }

    /// How the type enters the line calculations (`data/tax-types.tsv`).
    pub fn class(self) -> TaxClass {
        tables::tax_class(self)
    }

    /// `true` for the "total taxable fees" T5–T12, which enter the VAT and T2 bases.
    pub fn is_taxable_fee(self) -> bool {
        self.class() == TaxClass::TaxableFee
    }

    /// `true` for the taxes whose every subtype is a fixed amount (T3, T6, T14). T7–T12 and
    /// T15–T20 are a rate or a fixed amount depending on the subtype (see [`TaxType::subtype`]).
    pub fn is_fixed_amount(self) -> bool {
        tables::subtypes_of(self).all(|s| s.kind == SubtypeKind::Amount)
    }

    /// `true` for the withholding tax, which is subtracted from the line total.
    pub fn is_withholding(self) -> bool {
        self.class() == TaxClass::Withholding
    }

    /// `true` for the taxes that enter the VAT base: T2, T3 and the taxable fees T5–T12
    /// (ETA's receipt main calculations).
    pub fn in_vat_base(self) -> bool {
        matches!(self.class(), TaxClass::Table | TaxClass::TaxableFee)
    }

    /// The subtype `sub` under this tax type, from ETA's subtype table.
    ///
    /// # Errors
    ///
    /// A message naming the rule: the code is not in ETA's table (case matters: `Tbl01`, not
    /// `TBL01`), or it belongs to another tax type.
    pub fn subtype(self, sub: &str) -> Result<TaxSubtype, String> {
        match tables::tax_subtype(sub) {
            Some(s) if s.tax_type == self => Ok(s),
            Some(s) => Err(format!(
                "subtype {sub:?} belongs to {}, not {self} (allowed under {self}: {})",
                s.tax_type,
                self.subtype_codes()
            )),
            None => Err(format!(
                "subtype {sub:?} is not in ETA's subtype table for {self} (allowed: {})",
                self.subtype_codes()
            )),
        }
    }

    /// Checks a subtype code for this tax type (see [`TaxType::subtype`]).
    ///
    /// # Errors
    ///
    /// A message naming the rule.
    pub fn check_subtype(self, sub: &str) -> Result<(), String> {
        self.subtype(sub).map(|_| ())
    }

    fn subtype_codes(self) -> String {
        let codes: Vec<&str> = tables::subtypes_of(self).map(|s| s.code).collect();
        codes.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_name_the_table() {
        for m in PaymentMethod::ALL {
            assert_eq!(m.code().parse::<PaymentMethod>().unwrap(), *m);
        }
        assert_eq!(PaymentMethod::ALL.len(), 9);
        assert_eq!(TaxType::ALL.len(), 20);
        assert_eq!("S".parse::<ReceiptType>().unwrap(), ReceiptType::Sale);
        assert_eq!(ReceiptType::Sale.code(), "s");
        let e = "Cash".parse::<PaymentMethod>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown payment method code \"Cash\" (expected one of: C, V, CC, VC, VO, PR, GC, P, O)"
        );
        assert!("T21".parse::<TaxType>().is_err());
        assert!("egs".parse::<ItemType>().is_err());
        let j: BuyerType = serde_json::from_str("\"F\"").unwrap();
        assert_eq!(serde_json::to_string(&j).unwrap(), "\"F\"");
    }

    #[test]
    fn subtypes_follow_their_tax_type() {
        assert!(TaxType::T1.check_subtype("V009").is_ok());
        assert!(TaxType::T1.check_subtype("V011").is_err());
        assert!(TaxType::T1.check_subtype("W001").is_err());
        assert!(TaxType::T4.check_subtype("W001").is_ok());
        assert!(TaxType::T2.check_subtype("Tbl01").is_ok());
        assert!(TaxType::T2.check_subtype("TBL01").is_err());
        assert!(TaxType::T9.check_subtype("SC01").is_ok());
        assert_eq!(
            TaxType::T1.check_subtype("SC01").unwrap_err(),
            "subtype \"SC01\" belongs to T9, not T1 (allowed under T1: V001, V002, V003, V004, V005, V006, V007, V008, V009, V010)"
        );
        assert!(TaxType::T3.is_fixed_amount() && TaxType::T6.is_fixed_amount());
        assert!(TaxType::T14.is_fixed_amount() && !TaxType::T9.is_fixed_amount());
        assert!(TaxType::T9.in_vat_base() && !TaxType::T17.in_vat_base());
        assert_eq!("M".parse::<UnitType>().unwrap(), UnitType::Metre);
        for gone in ["H87", "PCE", "MTR", "BX", "ea"] {
            assert!(gone.parse::<UnitType>().is_err(), "{gone}");
        }
    }
}
