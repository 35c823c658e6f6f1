//! Fuzz-style property tests: the JSON-text entry points never panic on any input, and
//! errors on malformed text carry an offset inside the input.

use chrono::{TimeZone, Utc};
use eta_ereceipt::canonical::{
    batch_receipt_uuids, canonicalize, receipt_uuid, stamp_batch_uuids, stamp_receipt_uuid,
};
use eta_ereceipt::model::Receipt;
use eta_ereceipt::validate::{ValidationOptions, validate_json};
use proptest::prelude::*;

const SEED: &str = r#"{"header":{"dateTimeIssued":"2026-11-28T08:00:00Z","receiptNumber":"R-1","uuid":"","previousUUID":"","currency":"EGP","exchangeRate":0},"documentType":{"receiptType":"s","typeVersion":"1.2"},"seller":{"rin":"674859545","companyTradeName":"متجر","branchCode":"0","branchAddress":{"country":"EG","governate":"Cairo","regionCity":"Nasr City","street":"1 St","buildingNumber":"1"},"deviceSerialNumber":"POS-1","activityCode":"4791"},"buyer":{"type":"P"},"itemData":[{"internalCode":"SKU1","description":"Tea","itemType":"EGS","itemCode":"EG-674859545-SKU1","unitType":"EA","quantity":2,"unitPrice":10.50,"netSale":21.00,"totalSale":21.00,"total":23.94,"taxableItems":[{"taxType":"T1","subType":"V009","amount":2.94,"rate":14}]}],"totalSales":21.00,"netAmount":21.00,"feesAmount":0,"totalAmount":23.94,"taxTotals":[{"taxType":"T1","amount":2.94}],"paymentMethod":"C"}"#;

fn all_entry_points(text: &str) {
    match canonicalize(text) {
        Ok(_) => {}
        Err(e) => assert!(
            e.offset() <= text.len(),
            "offset {} beyond {}",
            e.offset(),
            text.len()
        ),
    }
    let _ = receipt_uuid(text);
    let _ = stamp_receipt_uuid(text);
    let _ = batch_receipt_uuids(text);
    let _ = stamp_batch_uuids(text);
    let _ = Receipt::from_json(text);
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
    let _ = validate_json(text, &ValidationOptions::at(now));
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let ch = prop_oneof![
        proptest::sample::select(vec![
            '{', '}', '[', ']', '"', ':', ',', '\\', '-', '.', 'e', '0', '9', 'u', 'n', ' ',
            '\u{1}', 'ا'
        ]),
        any::<char>(),
    ];
    prop_oneof![
        (any::<usize>(), ch.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), ch).prop_map(|(i, c)| Edit::Replace(i, c)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let n = chars.len().max(1);
        match *e {
            Edit::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i % n);
            }
            Edit::Replace(i, c) if !chars.is_empty() => chars[i % n] = c,
            Edit::Truncate(i) => chars.truncate(i % (chars.len() + 1)),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        all_entry_points(&text);
    }

    #[test]
    fn json_like_text_never_panics(text in r#"[\[\]{}":,0-9.eE+\-a-z\\ ]{0,64}"#) {
        all_entry_points(&text);
    }

    #[test]
    fn mutated_receipts_never_panic(edits in proptest::collection::vec(edit(), 1..6)) {
        let text = apply(SEED, &edits);
        all_entry_points(&text);
        let batch = format!(r#"{{"receipts":[{text},{SEED}]}}"#);
        all_entry_points(&batch);
    }
}

#[test]
fn the_seed_itself_is_valid() {
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
    assert_eq!(validate_json(SEED, &ValidationOptions::at(now)), vec![]);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(canonicalize(&deep).is_err());
    all_entry_points(&deep);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Huge, tiny and negative amounts in every numeric field: no arithmetic overflow panics.
    #[test]
    fn extreme_amounts_never_panic(picks in proptest::collection::vec(0usize..6, 20)) {
        let extremes = [
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "7922816251426433759354395033.5",
            "99999999999999",
            "-1",
        ];
        let mut text = String::new();
        let mut k = 0;
        let mut chars = SEED.char_indices().peekable();
        // replace every number literal after a ':' with an extreme value
        while let Some((_, c)) = chars.next() {
            text.push(c);
            if c == ':' && chars.peek().is_some_and(|(_, n)| n.is_ascii_digit()) {
                while chars.peek().is_some_and(|(_, n)| n.is_ascii_digit() || *n == '.') {
                    chars.next();
                }
                text.push_str(extremes[picks[k % picks.len()]]);
                k += 1;
            }
        }
        all_entry_points(&text);
    }
}
