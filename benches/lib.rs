//! Shared inputs of the workspace benchmarks: realistic e-receipts of a chosen size.
//!
//! The benches themselves live in `benches/benches/`; run them with `cargo bench -p benches`.
//! `docs/performance.md` lists each one, the command that runs it and the measured results.

/// A typical e-receipt (receipt v1.2, `lines` item lines, blank uuid) as JSON text, with
/// numbers that vary with `seed` so no two receipts are alike.
pub fn typical_receipt(seed: u64, lines: usize) -> String {
    let mut items = Vec::with_capacity(lines);
    let mut total_sales = 0i64;
    let mut total_vat = 0i64;
    for line in 0..lines {
        let qty = 1 + (seed + line as u64) % 4;
        let unit = 1_000 + ((seed * 37 + line as u64 * 101) % 90_000); // piasters
        let sale = qty as i64 * unit as i64;
        let vat = sale * 14 / 100;
        total_sales += sale;
        total_vat += vat;
        items.push(format!(
            r#"{{"internalCode":"SKU-{seed}-{line}","description":"قميص قطن مقاس {line} / Cotton shirt","itemType":"EGS","itemCode":"EG-674859545-{line:04}","unitType":"EA","quantity":{qty},"unitPrice":{up},"netSale":{sale_d},"totalSale":{sale_d},"total":{total_d},"taxableItems":[{{"taxType":"T1","amount":{vat_d},"subType":"V009","rate":14}}]}}"#,
            up = money(unit as i64),
            sale_d = money(sale),
            total_d = money(sale + vat),
            vat_d = money(vat),
        ));
    }
    format!(
        r#"{{"header":{{"dateTimeIssued":"2026-11-20T10:{mm:02}:00Z","receiptNumber":"R-{seed}","uuid":"","previousUUID":"","currency":"EGP","exchangeRate":0,"orderdeliveryMode":"FC"}},"documentType":{{"receiptType":"s","typeVersion":"1.2"}},"seller":{{"rin":"674859545","companyTradeName":"متجر المثال","branchCode":"0","branchAddress":{{"country":"EG","governate":"Cairo","regionCity":"Nasr City","street":"Abbas El Akkad","buildingNumber":"12"}},"deviceSerialNumber":"POS-1","activityCode":"4771"}},"buyer":{{"type":"P","id":"","name":"","mobileNumber":""}},"itemData":[{items}],"totalSales":{ts},"netAmount":{ts},"totalAmount":{ta},"taxTotals":[{{"taxType":"T1","amount":{tv}}}],"paymentMethod":"C"}}"#,
        mm = seed % 60,
        items = items.join(","),
        ts = money(total_sales),
        ta = money(total_sales + total_vat),
        tv = money(total_vat),
    )
}

/// `{"receipts":[…]}` with `count` typical receipts.
pub fn batch(count: usize, lines: usize) -> String {
    let receipts: Vec<String> = (0..count as u64)
        .map(|i| typical_receipt(i, lines))
        .collect();
    format!(r#"{{"receipts":[{}]}}"#, receipts.join(","))
}

fn money(piasters: i64) -> String {
    format!("{}.{:02}", piasters / 100, piasters % 100)
}

#[cfg(test)]
mod tests {
    #[test]
    fn receipts_are_valid_json_and_differ() {
        let a: serde_json::Value = serde_json::from_str(&super::typical_receipt(1, 5)).unwrap();
        let b = super::typical_receipt(2, 5);
        assert_eq!(a["itemData"].as_array().unwrap().len(), 5);
        assert_ne!(super::typical_receipt(1, 5), b);
        let batch: serde_json::Value = serde_json::from_str(&super::batch(3, 2)).unwrap();
        assert_eq!(batch["receipts"].as_array().unwrap().len(), 3);
    }
}
