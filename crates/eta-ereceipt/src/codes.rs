//! ETA code tables as enums with their wire codes.
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
    /// Unit types that retail uses (a subset of ETA's unit table, which follows UN/ECE
    /// Recommendation 20). Other codes of ETA's table are refused until added here.
    UnitType, "unit type", "EA, C62, H87, PCE, KGM, GRM, TNE, LTR, MLT, MTR, CMT, MMT, MTK, MTQ, PR, SET, DZN, BX, CT, PK, BG, BO, HUR, DAY, MON" {
        /// `EA`: each.
        Each = "EA",
        /// `C62`: one (unit).
        One = "C62",
        /// `H87`: piece.
        Piece = "H87",
        /// `PCE`: piece (legacy code).
        PieceLegacy = "PCE",
        /// `KGM`: kilogram.
        Kilogram = "KGM",
        /// `GRM`: gram.
        Gram = "GRM",
        /// `TNE`: tonne.
        Tonne = "TNE",
        /// `LTR`: litre.
        Litre = "LTR",
        /// `MLT`: millilitre.
        Millilitre = "MLT",
        /// `MTR`: metre.
        Metre = "MTR",
        /// `CMT`: centimetre.
        Centimetre = "CMT",
        /// `MMT`: millimetre.
        Millimetre = "MMT",
        /// `MTK`: square metre.
        SquareMetre = "MTK",
        /// `MTQ`: cubic metre.
        CubicMetre = "MTQ",
        /// `PR`: pair.
        Pair = "PR",
        /// `SET`: set.
        Set = "SET",
        /// `DZN`: dozen.
        Dozen = "DZN",
        /// `BX`: box.
        Box = "BX",
        /// `CT`: carton.
        Carton = "CT",
        /// `PK`: pack.
        Pack = "PK",
        /// `BG`: bag.
        Bag = "BG",
        /// `BO`: bottle.
        Bottle = "BO",
        /// `HUR`: hour (services).
        Hour = "HUR",
        /// `DAY`: day (services).
        Day = "DAY",
        /// `MON`: month (services).
        Month = "MON",
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

impl TaxType {
    /// `true` for the taxes given as a fixed amount rather than a rate (T3, T6, T14).
    pub fn is_fixed_amount(self) -> bool {
        matches!(self, TaxType::T3 | TaxType::T6 | TaxType::T14)
    }

    /// `true` for the withholding tax, which is subtracted from the line total.
    pub fn is_withholding(self) -> bool {
        self == TaxType::T4
    }

    /// `true` for the taxes that enter the VAT base (T2 and T3, as in ETA's invoice model).
    pub fn in_vat_base(self) -> bool {
        matches!(self, TaxType::T2 | TaxType::T3)
    }

    /// Checks a subtype code for this tax type: `V001`–`V010` for T1, `W001`–`W016` for T4,
    /// and for the others a code of 2–10 ASCII capitals and digits (ETA's subtype table for
    /// them was not captured).
    ///
    /// # Errors
    ///
    /// A message naming the expected form.
    pub fn check_subtype(self, sub: &str) -> Result<(), String> {
        let numbered = |prefix: u8, max: u32| {
            let b = sub.as_bytes();
            b.len() == 4
                && b[0] == prefix
                && b[1..].iter().all(u8::is_ascii_digit)
                && sub[1..]
                    .parse::<u32>()
                    .is_ok_and(|n| (1..=max).contains(&n))
        };
        let ok = match self {
            TaxType::T1 => numbered(b'V', 10),
            TaxType::T4 => numbered(b'W', 16),
            _ => {
                (2..=10).contains(&sub.len())
                    && sub
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            }
        };
        if ok {
            Ok(())
        } else {
            Err(match self {
                TaxType::T1 => format!("subtype {sub:?} is not a VAT subtype V001..V010"),
                TaxType::T4 => format!("subtype {sub:?} is not a withholding subtype W001..W016"),
                _ => format!("subtype {sub:?} must be 2-10 capital letters or digits"),
            })
        }
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
        assert!(TaxType::T2.check_subtype("Tbl01").is_err());
        assert!(TaxType::T2.check_subtype("TBL01").is_ok());
    }
}
