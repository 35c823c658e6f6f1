//! Throughput of the text path (`uuid --batch`): run with
//! `cargo test -p eta-ereceipt --release --test throughput -- --ignored --nocapture`.
//! Target: at least 100,000 typical 5-line receipts per second on one core.

use std::time::Instant;

use eta_ereceipt::canonical::{batch_receipt_uuids, receipt_uuid};

fn receipt(n: usize) -> String {
    let line = r#"{"internalCode":"SKU-1001","description":"شاي أخضر 100 جم","itemType":"EGS","itemCode":"EG-674859545-SKU1001","unitType":"EA","quantity":2,"unitPrice":43.85965,"netSale":87.7193,"totalSale":87.7193,"total":100,"taxableItems":[{"taxType":"T1","subType":"V009","amount":12.2807,"rate":14}]}"#;
    let lines = [line; 5].join(",");
    format!(
        r#"{{"header":{{"dateTimeIssued":"2026-11-28T08:00:00Z","receiptNumber":"R-{n}","uuid":"","previousUUID":"6b41ed3d90caaf841411bf6e922600f665c05fc066748f61841641ac596614d9","currency":"EGP","exchangeRate":0}},"documentType":{{"receiptType":"s","typeVersion":"1.2"}},"seller":{{"rin":"674859545","companyTradeName":"متجر","branchCode":"0","branchAddress":{{"country":"EG","governate":"Cairo","regionCity":"Nasr City","street":"1 St","buildingNumber":"1"}},"deviceSerialNumber":"POS-1","activityCode":"4791"}},"buyer":{{"type":"P"}},"itemData":[{lines}],"totalSales":438.5965,"netAmount":438.5965,"feesAmount":0,"totalAmount":500,"taxTotals":[{{"taxType":"T1","amount":61.4035}}],"paymentMethod":"C"}}"#
    )
}

#[test]
#[ignore = "timing; run in release"]
fn hashes_at_least_100k_receipts_per_second() {
    let count = 100_000;
    let batch = format!(
        r#"{{"receipts":[{}]}}"#,
        (0..count).map(receipt).collect::<Vec<_>>().join(",")
    );
    let started = Instant::now();
    let entries = batch_receipt_uuids(&batch).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(entries.len(), count);
    assert_eq!(entries[7].uuid, receipt_uuid(&receipt(7)).unwrap());
    let rate = count as f64 / elapsed.as_secs_f64();
    println!(
        "{count} receipts ({} bytes) in {elapsed:?}: {rate:.0} receipts/s",
        batch.len()
    );
    if !cfg!(debug_assertions) {
        assert!(rate >= 100_000.0, "{rate:.0} receipts/s");
    }
}
