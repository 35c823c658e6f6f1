//! The official ETA serialization vector and the SDK sample receipt.

use std::path::PathBuf;

use eta_ereceipt::canonical::{
    batch_receipt_uuids, canonicalize, receipt_uuid, sha256_hex, stamp_receipt_uuid,
};

const SDK_SAMPLE_UUID: &str = "6b41ed3d90caaf841411bf6e922600f665c05fc066748f61841641ac596614d9";

fn local(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn official_invoice_vector_reproduces_byte_for_byte() {
    let got = canonicalize(&local("invoice-one-doc.json")).unwrap();
    let want = local("invoice-one-doc-serialized.txt");
    assert_eq!(got.len(), 5752);
    assert_eq!(got, want);
    assert_eq!(
        sha256_hex(got.as_bytes()),
        "d43fae25b02b7e466fa5aa39e5fa45c7d92661e5b0a0e7964e04783bff3c2651"
    );
}

/// The same check against the shared reference folder, so the copy cannot drift from it.
#[test]
fn shared_vector_folder_matches() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/eta/");
    let json = std::fs::read_to_string(dir.join("invoice-one-doc.json"));
    let txt = std::fs::read_to_string(dir.join("invoice-one-doc-serialized.txt"));
    let (Ok(json), Ok(txt)) = (json, txt) else {
        let in_ci = std::env::var_os("CI").is_some();
        panic!(
            "the shared ETA vectors were not found at {} (CI={in_ci}); this test needs the \
             workspace's shared/vectors/eta folder next to the repository",
            dir.display()
        );
    };
    assert_eq!(canonicalize(&json).unwrap(), txt);
    assert_eq!(
        json,
        local("invoice-one-doc.json"),
        "local copy differs from the shared vector"
    );
}

#[test]
fn sdk_sample_receipt_uuid() {
    let batch = local("receipt-sdk-sample-batch.json");
    let entries = batch_receipt_uuids(&batch).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].uuid.as_str(), SDK_SAMPLE_UUID);
    // the single-receipt path agrees: cut receipts[0] out of the batch text
    let start = batch.find("{\n                    \"header\"").unwrap();
    let end = batch.rfind(']').unwrap();
    let one = batch[start..end].trim_end();
    assert_eq!(receipt_uuid(one).unwrap().as_str(), SDK_SAMPLE_UUID);
    let stamped = stamp_receipt_uuid(one).unwrap();
    assert!(
        stamped
            .json
            .contains(&format!("\"uuid\": \"{SDK_SAMPLE_UUID}\""))
    );
    assert_eq!(
        receipt_uuid(&stamped.json).unwrap().as_str(),
        SDK_SAMPLE_UUID
    );
    // the batch hash noted in the spec (root = {"receipts":[...]})
    assert_eq!(
        sha256_hex(canonicalize(&batch).unwrap().as_bytes()),
        "c962d402a84f37082d189397374f4ed1ff67290e52d2c643f1beb478e219a2d4"
    );
}
