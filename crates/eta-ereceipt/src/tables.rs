//! ETA's code tables kept as data files in the crate (`data/*.tsv`, compiled in with
//! `include_str!`; nothing is read at run time). Each file names its source in its header.
//!
//! | file | table |
//! |---|---|
//! | `data/unit-types.tsv` | unit types ([`UnitType`](crate::codes::UnitType)) |
//! | `data/tax-types.tsv` | tax types T1–T20 and their class ([`TaxClass`]) |
//! | `data/tax-subtypes.tsv` | tax subtypes, each under its own tax type, rate or fixed amount ([`TaxSubtype`]) |
//! | `data/payment-methods.tsv` | payment methods ([`PaymentMethod`](crate::codes::PaymentMethod)) |
//!
//! ```
//! use eta_ereceipt::codes::TaxType;
//! use eta_ereceipt::tables::{tax_subtype, SubtypeKind};
//! let sc = tax_subtype("SC02").unwrap();
//! assert_eq!((sc.tax_type, sc.kind), (TaxType::T9, SubtypeKind::Amount));
//! assert!(tax_subtype("SC01").unwrap().kind == SubtypeKind::Rate);
//! assert!(tax_subtype("sc01").is_none()); // ETA's spelling only
//! ```

use std::sync::LazyLock;

use rust_decimal::Decimal;

use crate::codes::TaxType;

/// The unit-type table as shipped.
pub const UNIT_TYPES_TSV: &str = include_str!("../data/unit-types.tsv");
/// The tax-type table as shipped.
pub const TAX_TYPES_TSV: &str = include_str!("../data/tax-types.tsv");
/// The tax-subtype table as shipped.
pub const TAX_SUBTYPES_TSV: &str = include_str!("../data/tax-subtypes.tsv");
/// The payment-method table as shipped.
pub const PAYMENT_METHODS_TSV: &str = include_str!("../data/payment-methods.tsv");

/// The data rows of a table: lines that are neither empty nor `#` comments, split at tabs.
pub fn rows(tsv: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    tsv.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

/// One unit of ETA's unit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitRow {
    /// The code, e.g. `EA`, `M`, `BOX`.
    pub code: &'static str,
    /// The description of the source list.
    pub description: &'static str,
}

/// Every unit of ETA's unit table, in table order.
pub static UNIT_TYPES: LazyLock<Vec<UnitRow>> = LazyLock::new(|| {
    rows(UNIT_TYPES_TSV)
        .map(|r| UnitRow {
            code: r[0],
            description: r.get(1).copied().unwrap_or(""),
        })
        .collect()
});

/// How a tax type enters ETA's line calculations (main-calculations rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxClass {
    /// T1: value added tax.
    Vat,
    /// T2 and T3: table tax; enters the VAT base.
    Table,
    /// T4: withholding tax, subtracted from the line total.
    Withholding,
    /// T5–T12: "total taxable fees", added to the line total and to the VAT and T2 bases.
    TaxableFee,
    /// T13–T20: "non-total taxable fees", added to the line total only.
    NonTaxableFee,
}

/// Whether a subtype's amount is a rate of its base or a fixed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubtypeKind {
    /// `amount = round5(base × rate / 100)`.
    Rate,
    /// A fixed amount given by the seller (T3, T6, T14 and the `…02` / `…04` fee codes).
    Amount,
}

/// One row of ETA's tax-subtype table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxSubtype {
    /// The code in ETA's spelling, e.g. `V009`, `Tbl01`, `SC02`.
    pub code: &'static str,
    /// The only tax type it is valid under.
    pub tax_type: TaxType,
    /// Rate or fixed amount.
    pub kind: SubtypeKind,
}

struct TaxTypeRow {
    tax_type: TaxType,
    class: TaxClass,
    name: &'static str,
}

static TAX_TYPES: LazyLock<Vec<TaxTypeRow>> = LazyLock::new(|| {
    rows(TAX_TYPES_TSV)
        .filter_map(|r| {
            let class = match *r.get(1)? {
                "vat" => TaxClass::Vat,
                "table" => TaxClass::Table,
                "withholding" => TaxClass::Withholding,
                "taxable-fee" => TaxClass::TaxableFee,
                "non-taxable-fee" => TaxClass::NonTaxableFee,
                _ => return None,
            };
            Some(TaxTypeRow {
                tax_type: r[0].parse().ok()?,
                class,
                name: r.get(2).copied().unwrap_or(""),
            })
        })
        .collect()
});

/// Every subtype of ETA's subtype table, in table order.
pub static TAX_SUBTYPES: LazyLock<Vec<TaxSubtype>> = LazyLock::new(|| {
    rows(TAX_SUBTYPES_TSV)
        .filter_map(|r| {
            Some(TaxSubtype {
                code: r[0],
                tax_type: r.get(1)?.parse().ok()?,
                kind: match *r.get(2)? {
                    "rate" => SubtypeKind::Rate,
                    "amount" => SubtypeKind::Amount,
                    _ => return None,
                },
            })
        })
        .collect()
});

/// The subtype with exactly this code (ETA's spelling; case matters).
pub fn tax_subtype(code: &str) -> Option<TaxSubtype> {
    TAX_SUBTYPES.iter().find(|s| s.code == code).copied()
}

/// The class of a tax type from `data/tax-types.tsv`.
pub fn tax_class(tax_type: TaxType) -> TaxClass {
    TAX_TYPES
        .iter()
        .find(|r| r.tax_type == tax_type)
        .map_or(TaxClass::NonTaxableFee, |r| r.class)
}

/// The name of a tax type from `data/tax-types.tsv`.
pub fn tax_type_name(tax_type: TaxType) -> &'static str {
    TAX_TYPES
        .iter()
        .find(|r| r.tax_type == tax_type)
        .map_or("", |r| r.name)
}

/// The subtypes valid under `tax_type`, in table order.
pub fn subtypes_of(tax_type: TaxType) -> impl Iterator<Item = &'static TaxSubtype> {
    TAX_SUBTYPES.iter().filter(move |s| s.tax_type == tax_type)
}

/// ETA's general VAT rate (14 %), whose subtype is `V009` ("general item sales").
pub const GENERAL_VAT_RATE: Decimal = Decimal::from_parts(14, 0, 0, false, 0);

/// The VAT (T1) subtype ETA's table gives a rate: `V009` (general item sales) at the general
/// rate of 14 %, `V010` (other rates) for any other rate. Zero-rated, exempt and export sales
/// need the seller's choice among `V001`–`V008`; the mapping configures it.
pub fn vat_subtype_for_rate(rate: Decimal) -> &'static str {
    if rate == GENERAL_VAT_RATE {
        "V009"
    } else {
        "V010"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{PaymentMethod, UnitType};
    use rust_decimal_macros::dec;
    use std::collections::HashSet;

    #[test]
    fn every_table_is_well_formed_and_codes_are_unique() {
        for (name, tsv, columns) in [
            ("unit-types", UNIT_TYPES_TSV, 2),
            ("tax-types", TAX_TYPES_TSV, 3),
            ("tax-subtypes", TAX_SUBTYPES_TSV, 3),
            ("payment-methods", PAYMENT_METHODS_TSV, 2),
        ] {
            assert!(
                tsv.lines().next().is_some_and(|l| l.starts_with('#')),
                "{name}: the header names the source"
            );
            let mut seen = HashSet::new();
            for r in rows(tsv) {
                assert_eq!(r.len(), columns, "{name}: {r:?}");
                assert!(seen.insert(r[0]), "{name}: {} twice", r[0]);
            }
        }
        assert_eq!(UNIT_TYPES.len(), rows(UNIT_TYPES_TSV).count());
        assert_eq!(TAX_TYPES.len(), 20);
        assert_eq!(TAX_SUBTYPES.len(), rows(TAX_SUBTYPES_TSV).count());
        for t in TaxType::ALL {
            assert!(subtypes_of(*t).next().is_some(), "{t} has no subtype");
            assert!(!tax_type_name(*t).is_empty());
        }
    }

    #[test]
    fn subtypes_use_etas_spelling_and_belong_to_one_tax_type() {
        let s = |c: &str| tax_subtype(c).map(|x| (x.tax_type, x.kind));
        assert_eq!(s("V009"), Some((TaxType::T1, SubtypeKind::Rate)));
        assert_eq!(s("Tbl01"), Some((TaxType::T2, SubtypeKind::Rate)));
        assert_eq!(s("Tbl02"), Some((TaxType::T3, SubtypeKind::Amount)));
        assert_eq!(s("ST02"), Some((TaxType::T6, SubtypeKind::Amount)));
        assert_eq!(s("Ent01"), Some((TaxType::T7, SubtypeKind::Rate)));
        assert_eq!(s("Mn02"), Some((TaxType::T10, SubtypeKind::Amount)));
        assert_eq!(s("SC01"), Some((TaxType::T9, SubtypeKind::Rate)));
        assert_eq!(s("OF04"), Some((TaxType::T20, SubtypeKind::Amount)));
        assert_eq!(s("ST04"), Some((TaxType::T14, SubtypeKind::Amount)));
        assert_eq!(s("TBL01"), None);
        assert_eq!(s("MN01"), None);
        assert_eq!(s("V011"), None);
        assert_eq!(s("W016"), Some((TaxType::T4, SubtypeKind::Rate)));
        assert_eq!(s("W017"), None);
        // the fixed-amount codes are the …02 / …04 ones, T3, T6 and T14
        for sub in TAX_SUBTYPES.iter() {
            let fixed = sub.code.ends_with("02") || sub.code.ends_with("04");
            let whole = matches!(sub.tax_type, TaxType::T1 | TaxType::T4);
            if !whole {
                assert_eq!(sub.kind == SubtypeKind::Amount, fixed, "{}", sub.code);
            }
        }
        assert_eq!(tax_class(TaxType::T9), TaxClass::TaxableFee);
        assert_eq!(tax_class(TaxType::T17), TaxClass::NonTaxableFee);
        assert_eq!(tax_class(TaxType::T3), TaxClass::Table);
    }

    #[test]
    fn vat_subtype_follows_the_rate() {
        assert_eq!(vat_subtype_for_rate(dec!(14)), "V009");
        assert_eq!(vat_subtype_for_rate(dec!(14.00)), "V009");
        assert_eq!(vat_subtype_for_rate(dec!(5)), "V010");
        assert_eq!(vat_subtype_for_rate(dec!(10)), "V010");
    }

    #[test]
    fn enums_match_their_data_files() {
        let codes: Vec<&str> = rows(PAYMENT_METHODS_TSV).map(|r| r[0]).collect();
        let enum_codes: Vec<&str> = PaymentMethod::ALL.iter().map(|m| m.code()).collect();
        assert_eq!(codes, enum_codes);
        assert_eq!(
            PaymentMethod::VisaWithContractor.name(),
            "Visa with contractor"
        );
        let units: Vec<&str> = UnitType::all().iter().map(|u| u.code()).collect();
        assert_eq!(
            units,
            rows(UNIT_TYPES_TSV).map(|r| r[0]).collect::<Vec<_>>()
        );
        for u in UnitType::NAMED {
            assert!(units.contains(&u.code()), "{u:?} is not in ETA's table");
        }
    }
}
