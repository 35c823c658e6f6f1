//! The seeded master data of the Flow ERP stand-in: company, stores, item groups, items with
//! colours and sizes, price lists, stock, contacts, employees and operations.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

/// Kinds of garments: (Latin, Arabic).
const KINDS: &[(&str, &str)] = &[
    ("Cotton T-Shirt", "تيشيرت قطن"),
    ("Linen Shirt", "قميص كتان"),
    ("Jeans", "بنطلون جينز"),
    ("Summer Dress", "فستان صيفي"),
    ("Winter Jacket", "جاكيت شتوي"),
    ("Abaya", "عباية"),
    ("Silk Scarf", "إيشارب حرير"),
    ("Hoodie", "هودي"),
    ("Galabeya", "جلابية"),
    ("Pyjama Set", "طقم بيجامة"),
];

/// Colours: (code, Latin, Arabic).
const COLOURS: &[(&str, &str, &str)] = &[
    ("BLK", "Black", "أسود"),
    ("WHT", "White", "أبيض"),
    ("RED", "Red", "أحمر"),
    ("NVY", "Navy", "كحلي"),
    ("BEG", "Beige", "بيج"),
    ("GRN", "Green", "أخضر"),
];

const SIZES: &[&str] = &["S", "M", "L", "XL", "XXL"];

/// An item group (becomes a Shopify product).
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) grpno: u32,
    pub(crate) name_ar: String,
    pub(crate) name_en: String,
}

/// One item: a sellable colour/size of a group (becomes a Shopify variant; ITNO is the SKU).
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) itno: String,
    pub(crate) grpno: u32,
    pub(crate) catno: u32,
    pub(crate) name_ar: String,
    pub(crate) name_en: String,
    pub(crate) colour: (&'static str, &'static str, &'static str),
    pub(crate) size: &'static str,
    pub(crate) price: Decimal,
    pub(crate) barcode: String,
    pub(crate) sts: &'static str,
    /// A service item (no colours, sizes or stock; not part of the catalogue a shop sells),
    /// added by [`FlowSandbox::add_service_item`](super::FlowState::add_service_item).
    pub(crate) service: bool,
}

/// A customer (`C`) or supplier (`S`), kept as the JSON fields the ERP answers with.
#[derive(Debug, Clone)]
pub(crate) struct Contact {
    pub(crate) cno: u64,
    pub(crate) contyp: String,
    pub(crate) fields: serde_json::Map<String, serde_json::Value>,
}

/// An employee row (`empmas`).
#[derive(Debug, Clone)]
pub(crate) struct Employee {
    pub(crate) empno: i64,
    pub(crate) empna: &'static str,
    pub(crate) jobid: i64,
    pub(crate) sts: &'static str,
}

/// A store (`stores`).
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub(crate) strno: i64,
    pub(crate) name_en: &'static str,
    pub(crate) fordes: &'static str,
}

/// What an operation does to documents of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    /// Sales request, order or invoice (`flow.sales_documents` in the dump).
    Sales,
    /// Sales return (`flow.returns` in the dump).
    Return,
    /// Store movements.
    Store,
}

/// One operation's live configuration (`GETOPC`), plus how the stand-in treats it.
#[derive(Debug, Clone)]
pub(crate) struct OpConfig {
    pub(crate) op: &'static str,
    pub(crate) name: &'static str,
    pub(crate) srcdoc: &'static str,
    pub(crate) saltax: u8,
    pub(crate) cash: u8,
    pub(crate) credit: u8,
    pub(crate) effectitbal: u8,
    pub(crate) ngbal: u8,
    pub(crate) mnu: &'static str,
    pub(crate) kind: OpKind,
    /// Stock change per unit: -1 issues, +1 receives, 0 none.
    pub(crate) stock_sign: i8,
}

/// The operations the stand-in knows.
pub(crate) fn operations() -> Vec<OpConfig> {
    let op = |op, name, srcdoc, effect, ngbal, mnu, kind, sign| OpConfig {
        op,
        name,
        srcdoc,
        saltax: 1,
        cash: 1,
        credit: 1,
        effectitbal: effect,
        ngbal,
        mnu,
        kind,
        stock_sign: sign,
    };
    vec![
        op(
            "SALREQ",
            "Sales request",
            "-1",
            0,
            1,
            "SAL",
            OpKind::Sales,
            0,
        ),
        op("SALORD", "Sales order", "-1", 0, 1, "SAL", OpKind::Sales, 0),
        op(
            "SALINV",
            "Sales invoice",
            "-1",
            1,
            1,
            "SAL",
            OpKind::Sales,
            -1,
        ),
        op(
            "SALRTN",
            "Sales return",
            "SALINV",
            1,
            1,
            "SAL",
            OpKind::Return,
            1,
        ),
        // A credit to the customer without a source document: how a tenant books money
        // given back for no returned item (shipping, goodwill). No stock effect.
        op(
            "SALCRN",
            "Sales credit without invoice",
            "-1",
            0,
            1,
            "SAL",
            OpKind::Return,
            0,
        ),
        op(
            "STROUT",
            "Store issue",
            "-1",
            1,
            0,
            "STR",
            OpKind::Store,
            -1,
        ),
        op(
            "STRIN2",
            "Purchase receipt",
            "-1",
            1,
            1,
            "STR",
            OpKind::Store,
            1,
        ),
    ]
}

/// The stores of the sandbox company.
pub(crate) fn stores() -> Vec<Store> {
    vec![
        Store {
            strno: 1,
            name_en: "Main store",
            fordes: "المخزن الرئيسي",
        },
        Store {
            strno: 2,
            name_en: "Mall branch",
            fordes: "فرع المول",
        },
    ]
}

/// The employees (`jobid = 100` are sales agents; `sts = 'a'` active).
pub(crate) fn employees() -> Vec<Employee> {
    vec![
        Employee {
            empno: 1,
            empna: "Sync User",
            jobid: 1,
            sts: "a",
        },
        Employee {
            empno: 10,
            empna: "Online Sales Agent",
            jobid: 100,
            sts: "a",
        },
        Employee {
            empno: 11,
            empna: "Store Sales Agent",
            jobid: 100,
            sts: "a",
        },
        Employee {
            empno: 12,
            empna: "Former Agent",
            jobid: 100,
            sts: "d",
        },
    ]
}

/// Everything generated from the seed.
#[derive(Debug)]
pub(crate) struct Seeded {
    pub(crate) groups: Vec<Group>,
    pub(crate) items: Vec<Item>,
    pub(crate) stock: BTreeMap<(String, i64), Decimal>,
    pub(crate) contacts: Vec<Contact>,
}

/// Generates `groups` item groups (at least one) and the rest of the master data.
pub(crate) fn generate(groups: usize, seed: u64) -> Seeded {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xF10E_0000_0000_0001);
    let mut out_groups = Vec::new();
    let mut items = Vec::new();
    let mut stock = BTreeMap::new();
    for g in 1..=groups.max(1) as u32 {
        let kind_index = (g as usize - 1) % KINDS.len();
        let (kind_en, kind_ar) = KINDS[kind_index];
        let group = Group {
            grpno: g,
            name_en: format!("{kind_en} {g}"),
            name_ar: format!("{kind_ar} {g}"),
        };
        let colour_count = rng.random_range(1..=3usize);
        let first_colour = rng.random_range(0..COLOURS.len());
        let size_count = rng.random_range(2..=4usize);
        let first_size = rng.random_range(0..=SIZES.len() - size_count);
        let base = Decimal::from(100 + rng.random_range(0..=280u32) * 5)
            + if rng.random_bool(0.3) {
                Decimal::new(5, 1)
            } else {
                Decimal::ZERO
            };
        let held = rng.random_bool(0.08);
        let mut idx = 0;
        for c in 0..colour_count {
            let colour = COLOURS[(first_colour + c) % COLOURS.len()];
            for size in &SIZES[first_size..first_size + size_count] {
                idx += 1;
                let itno = format!("{}", (1000 + g) * 100 + idx);
                let price = if *size == "XXL" {
                    base + Decimal::from(20)
                } else {
                    base
                };
                let barcode = format!("6221{:09}", rng.random_range(0..1_000_000_000u64));
                for store in stores() {
                    let qty = if rng.random_bool(0.1) {
                        0
                    } else {
                        rng.random_range(1..=40)
                    };
                    stock.insert((itno.clone(), store.strno), Decimal::from(qty));
                }
                items.push(Item {
                    name_en: format!("{} - {} - {}", group.name_en, colour.1, size),
                    name_ar: format!("{} - {} - {}", group.name_ar, colour.2, size),
                    itno,
                    grpno: g,
                    catno: kind_index as u32 + 1,
                    colour,
                    size,
                    price,
                    barcode,
                    sts: if held { "H" } else { "A" },
                    service: false,
                });
            }
        }
        out_groups.push(group);
    }
    Seeded {
        groups: out_groups,
        items,
        stock,
        contacts: contacts(),
    }
}

/// The categories (`GetGroup/ITC`): one per kind of garment.
pub(crate) fn categories() -> Vec<(u32, &'static str, &'static str)> {
    KINDS
        .iter()
        .enumerate()
        .map(|(i, (en, ar))| (i as u32 + 1, *ar, *en))
        .collect()
}

fn contacts() -> Vec<Contact> {
    let rows: &[(u64, &str, &str, &str, &str, &str)] = &[
        (1, "C", "عميل نقدي", "Cash customer", "", ""),
        (
            2,
            "C",
            "د. أحمد محمود",
            "Dr. Ahmed Mahmoud",
            "01001234567",
            "ahmed@example.com",
        ),
        (
            3,
            "C",
            "أ. منى إبراهيم",
            "Mona Ibrahim",
            "01111234567",
            "mona@example.com",
        ),
        (
            4,
            "C",
            "محمد عبد الله",
            "Mohamed Abdallah",
            "01221234567",
            "m.abdallah@example.com",
        ),
        (
            5,
            "C",
            "آمال حسن",
            "Amal Hassan",
            "01551234567",
            "amal@example.com",
        ),
        (6, "C", "إسلام مصطفى", "Eslam Moustafa", "01061234567", ""),
        (
            900,
            "S",
            "مصنع النسيج المصري",
            "Egyptian Textile Mill",
            "0223456789",
            "mill@example.com",
        ),
        (901, "S", "شركة الأزرار", "Buttons Co.", "0233456789", ""),
    ];
    rows.iter()
        .map(|(cno, typ, ar, en, tel, email)| {
            let mut f = serde_json::Map::new();
            f.insert("CNO".into(), (*cno).into());
            f.insert("CNAME".into(), (*ar).into());
            f.insert("FORDES".into(), (*en).into());
            f.insert("CONO".into(), 1.into());
            f.insert("CONGRP".into(), 1.into());
            f.insert("PRICECODE".into(), 1.into());
            f.insert("SUBCON".into(), 0.into());
            f.insert("TOTDISC".into(), 0.into());
            f.insert("RGNO".into(), "".into());
            f.insert("TAXFAC".into(), 0.into());
            f.insert("TRDTAX".into(), 0.into());
            f.insert("CONTYP".into(), (*typ).into());
            f.insert("EMPNO".into(), 10.into());
            f.insert("CADD".into(), "Cairo".into());
            f.insert("TEL1".into(), (*tel).into());
            f.insert("EMAIL".into(), (*email).into());
            Contact {
                cno: *cno,
                contyp: (*typ).to_string(),
                fields: f,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_seeded_and_varied() {
        let a = generate(12, 7);
        let b = generate(12, 7);
        assert_eq!(a.groups.len(), 12);
        let itnos = |s: &Seeded| s.items.iter().map(|i| i.itno.clone()).collect::<Vec<_>>();
        assert_eq!(itnos(&a), itnos(&b));
        assert_ne!(itnos(&a), itnos(&generate(12, 8)));
        assert!(
            a.items
                .iter()
                .all(|i| !i.name_ar.is_ascii() && i.name_en.is_ascii())
        );
        assert_eq!(a.stock.len(), a.items.len() * 2);
        let unique: std::collections::BTreeSet<_> = itnos(&a).into_iter().collect();
        assert_eq!(unique.len(), a.items.len());
    }
}
