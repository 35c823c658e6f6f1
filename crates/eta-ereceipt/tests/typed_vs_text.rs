//! Property tests: the typed-model path and the JSON-text path agree on random receipts.
//!
//! Three independent routes to the canonical text of one random receipt:
//! 1. the typed model's own serialization (`Receipt::seal`: JSON text → text canonicalizer);
//! 2. the text canonicalizer over a *re-formatted* copy of that text (whitespace, `\uXXXX`
//!    escapes for every non-ASCII character, escaped `/`), as another system might send it;
//! 3. a canonical serde `Serializer` written here that walks the typed structs directly and
//!    never sees JSON text.

use eta_ereceipt::canonical::{canonicalize_receipt, receipt_uuid, sha256_hex};
use eta_ereceipt::codes::{BuyerType, ItemType, PaymentMethod, ReceiptType, TaxType, UnitType};
use eta_ereceipt::model::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::ser::{self, Serialize};

// ---------- route 3: a canonical serializer over the typed model ----------

#[derive(Debug)]
struct SerError(String);
impl std::fmt::Display for SerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for SerError {}
impl ser::Error for SerError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

#[derive(Default)]
struct Canon {
    out: String,
    name: String,
}

fn scalar(c: &mut Canon, v: impl std::fmt::Display) -> Result<(), SerError> {
    c.out.push('"');
    c.out.push_str(&v.to_string());
    c.out.push('"');
    Ok(())
}

fn unsupported<T>() -> Result<T, SerError> {
    Err(SerError("unsupported in the receipt model".into()))
}

impl<'a> ser::Serializer for &'a mut Canon {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Seq<'a>;
    type SerializeStruct = Struct<'a>;
    type SerializeStructVariant = Struct<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_f32(self, _: f32) -> Result<(), SerError> {
        unsupported()
    }
    fn serialize_f64(self, _: f64) -> Result<(), SerError> {
        unsupported()
    }
    fn serialize_char(self, v: char) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), SerError> {
        unsupported()
    }
    fn serialize_none(self) -> Result<(), SerError> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), SerError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), SerError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SerError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
    ) -> Result<(), SerError> {
        scalar(self, v)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), SerError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), SerError> {
        unsupported()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, SerError> {
        let name = self.name.clone();
        Ok(Seq { c: self, name })
    }
    fn serialize_tuple(self, _: usize) -> Result<Seq<'a>, SerError> {
        unsupported()
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Seq<'a>, SerError> {
        unsupported()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Seq<'a>, SerError> {
        unsupported()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Seq<'a>, SerError> {
        unsupported()
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Struct<'a>, SerError> {
        // serde_json's RawValue (our amounts) is a one-field struct with this name; its field is
        // the literal text, written like any other simple value.
        let raw = name == "$serde_json::private::RawValue";
        Ok(Struct { c: self, raw })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Struct<'a>, SerError> {
        unsupported()
    }
}

struct Seq<'a> {
    c: &'a mut Canon,
    name: String,
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), SerError> {
        self.c.out.push('"');
        self.c.out.push_str(&self.name);
        self.c.out.push('"');
        self.c.name = self.name.clone();
        v.serialize(&mut *self.c)
    }
    fn end(self) -> Result<(), SerError> {
        Ok(())
    }
}
macro_rules! seq_unsupported {
    ($($t:ident :: $m:ident),*) => {$(
        impl ser::$t for Seq<'_> {
            type Ok = ();
            type Error = SerError;
            fn $m<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<(), SerError> { unsupported() }
            fn end(self) -> Result<(), SerError> { Ok(()) }
        }
    )*};
}
seq_unsupported!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);
impl ser::SerializeMap for Seq<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<(), SerError> {
        unsupported()
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<(), SerError> {
        unsupported()
    }
    fn end(self) -> Result<(), SerError> {
        Ok(())
    }
}

struct Struct<'a> {
    c: &'a mut Canon,
    raw: bool,
}

impl ser::SerializeStruct for Struct<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), SerError> {
        if !self.raw {
            let upper = key.to_uppercase();
            self.c.out.push('"');
            self.c.out.push_str(&upper);
            self.c.out.push('"');
            self.c.name = upper;
        }
        v.serialize(&mut *self.c)
    }
    fn end(self) -> Result<(), SerError> {
        Ok(())
    }
}
impl ser::SerializeStructVariant for Struct<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _: &'static str,
        _: &T,
    ) -> Result<(), SerError> {
        unsupported()
    }
    fn end(self) -> Result<(), SerError> {
        Ok(())
    }
}

fn canonical_of_typed(r: &Receipt) -> String {
    let mut blank = r.clone();
    blank.header.uuid.clear();
    let mut c = Canon::default();
    blank.serialize(&mut c).unwrap();
    c.out
}

// ---------- route 2: re-format JSON text the way another system might ----------

fn reformat(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut in_string = false;
    let mut escaped = false;
    for ch in compact.chars() {
        if in_string {
            if escaped {
                escaped = false;
                out.push(ch);
            } else if ch == '\\' {
                escaped = true;
                out.push(ch);
            } else if ch == '"' {
                in_string = false;
                out.push(ch);
            } else if ch == '/' {
                out.push_str("\\/");
            } else if !ch.is_ascii() {
                let mut buf = [0u16; 2];
                for unit in ch.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            } else {
                out.push(ch);
            }
        } else {
            match ch {
                '"' => {
                    in_string = true;
                    out.push(ch);
                }
                ':' => out.push_str(" : "),
                ',' => out.push_str(",\n  "),
                '{' | '[' => {
                    out.push(ch);
                    out.push_str("\r\n\t");
                }
                _ => out.push(ch),
            }
        }
    }
    out
}

// ---------- random receipts ----------

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 ./-]{0,20}",
        "[\u{0621}-\u{064A} ]{1,20}",
        // quotes, backslashes, control characters, astral characters
        "[a\"\\\\\n\t/é😀\u{0627}]{0,8}",
    ]
}

fn amount() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=28).prop_map(|(m, scale)| {
        let d = Decimal::from_i128_with_scale(i128::from(m), scale);
        if d.is_zero() {
            Decimal::new(0, scale)
        } else {
            d
        }
    })
}

fn discount() -> impl Strategy<Value = Discount> {
    (amount(), text(), proptest::option::of(amount())).prop_map(|(amount, description, rate)| {
        Discount {
            amount,
            description,
            rate,
        }
    })
}

fn taxable() -> impl Strategy<Value = TaxableItem> {
    (
        proptest::sample::select(TaxType::ALL),
        "[A-Z][0-9]{3}",
        amount(),
        amount(),
    )
        .prop_map(|(tax_type, sub_type, amount, rate)| TaxableItem {
            tax_type,
            sub_type,
            amount,
            rate,
        })
}

fn item() -> impl Strategy<Value = Item> {
    (
        (
            text(),
            text(),
            proptest::sample::select(ItemType::ALL),
            text(),
        ),
        proptest::sample::select(UnitType::all()),
        (amount(), amount(), amount(), amount(), amount()),
        proptest::collection::vec(discount(), 0..3),
        proptest::collection::vec(discount(), 0..3),
        proptest::option::of(amount()),
        proptest::collection::vec(taxable(), 0..4),
        (
            proptest::option::of(discount()),
            proptest::option::of(discount()),
        ),
    )
        .prop_map(
            |((ic, d, it, code), unit, (q, up, ns, ts, t), cd, idd, vd, tax, (acd, aid))| Item {
                internal_code: ic,
                description: d,
                item_type: it,
                item_code: code,
                unit_type: unit,
                quantity: q,
                unit_price: up,
                net_sale: ns,
                total_sale: ts,
                total: t,
                commercial_discount_data: cd,
                item_discount_data: idd,
                additional_commercial_discount: acd,
                additional_item_discount: aid,
                value_difference: vd,
                taxable_items: tax,
            },
        )
}

fn receipt() -> impl Strategy<Value = Receipt> {
    let header = (
        (text(), text(), text(), text()),
        (proptest::option::of(text()), proptest::option::of(text())),
        (
            proptest::option::of(amount()),
            proptest::option::of(text()),
            proptest::option::of(text()),
        ),
        (
            proptest::option::of(amount()),
            proptest::option::of(amount()),
            proptest::option::of(text()),
            proptest::option::of(text()),
        ),
    )
        .prop_map(
            |((dt, num, uuid, prev), (rf, old), (xr, so, odm), (gw, nw, reason, sales))| Header {
                date_time_issued: dt,
                receipt_number: num,
                uuid,
                previous_uuid: prev,
                reference_uuid: rf,
                reference_old_uuid: old,
                currency: "EGP".into(),
                exchange_rate: xr,
                s_order_name_code: so,
                order_delivery_mode: odm,
                gross_weight: gw,
                net_weight: nw,
                document_use_reason: reason,
                sales_issued_date_time: sales,
            },
        );
    let seller = (
        (text(), text(), text(), text()),
        (
            text(),
            text(),
            proptest::option::of(text()),
            proptest::option::of(text()),
        ),
        proptest::option::of(text()),
    )
        .prop_map(
            |((rin, name, branch, serial), (gov, street, floor, landmark), synd)| Seller {
                rin,
                company_trade_name: name,
                branch_code: branch,
                branch_address: BranchAddress {
                    country: "EG".into(),
                    governate: gov,
                    region_city: String::new(),
                    street,
                    building_number: "1".into(),
                    postal_code: None,
                    floor,
                    room: None,
                    landmark,
                    additional_information: None,
                },
                device_serial_number: serial,
                syndicate_license_number: synd,
                activity_code: "4791".into(),
            },
        );
    let buyer = (
        proptest::sample::select(BuyerType::ALL),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
        .prop_map(|(t, id, name)| Buyer {
            buyer_type: t,
            id,
            name,
            mobile_number: None,
            payment_number: None,
        });
    (
        (
            header,
            proptest::sample::select(ReceiptType::ALL),
            seller,
            buyer,
        ),
        proptest::collection::vec(item(), 1..4),
        (amount(), proptest::option::of(amount()), amount(), amount()),
        proptest::collection::vec(discount(), 0..2),
        proptest::collection::vec((proptest::sample::select(TaxType::ALL), amount()), 0..3),
        proptest::sample::select(PaymentMethod::ALL),
        (
            proptest::option::of((text(), amount(), amount())),
            proptest::option::of((amount(), amount())),
        ),
    )
        .prop_map(
            |((header, rt, seller, buyer), items, (ts, tcd, na, ta), extra, tt, pm, (con, ben))| {
                Receipt {
                    header,
                    document_type: DocumentType {
                        receipt_type: rt,
                        type_version: "1.2".into(),
                    },
                    seller,
                    buyer,
                    item_data: items,
                    total_sales: ts,
                    total_commercial_discount: tcd,
                    total_items_discount: None,
                    extra_receipt_discount_data: extra,
                    net_amount: na,
                    fees_amount: Some(Decimal::ZERO),
                    total_amount: ta,
                    tax_totals: tt
                        .into_iter()
                        .map(|(tax_type, amount)| TaxTotal { tax_type, amount })
                        .collect(),
                    payment_method: pm,
                    adjustment: None,
                    contractor: con.map(|(name, amount, rate)| Contractor { name, amount, rate }),
                    beneficiary: ben.map(|(amount, rate)| Beneficiary { amount, rate }),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn typed_and_text_paths_agree(r in receipt()) {
        let sealed = r.clone().seal().unwrap();
        let direct = canonical_of_typed(&r);
        // route 1 == route 3
        prop_assert_eq!(canonicalize_receipt(&sealed.json).unwrap(), direct.clone());
        prop_assert_eq!(sealed.uuid.as_str(), sha256_hex(direct.as_bytes()));
        // route 2: the same receipt, formatted and escaped differently
        let other = reformat(&sealed.json);
        prop_assert_eq!(receipt_uuid(&other).unwrap(), sealed.uuid.clone());
        // parsing the text back into the model keeps every literal
        let back = Receipt::from_json(&other).unwrap();
        prop_assert_eq!(back.to_json(), sealed.json);
    }
}
