//! The official ETA serialization vector and the SDK sample receipt.

use std::path::PathBuf;

use eta_ereceipt::canonical::{
    batch_receipt_uuids, canonicalize, receipt_uuid, sha256_hex, stamp_receipt_uuid,
};

/// SHA-256 of each vector file as published (see `tests/vectors/README.md`).
const VECTOR_DIGESTS: [(&str, &str); 3] = [
    (
        "invoice-one-doc.json",
        "4dde55129d0da2cf54ccb4d277319e929ea7f94fc2f0ec8cfa25f87897c844e4",
    ),
    (
        "invoice-one-doc-serialized.txt",
        "d43fae25b02b7e466fa5aa39e5fa45c7d92661e5b0a0e7964e04783bff3c2651",
    ),
    (
        "receipt-sdk-sample-batch.json",
        "1e03bb0060c8921b91d86a38492aa4111ec9754d77acb97264246b7c59ed720e",
    ),
];

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

/// The copies are byte-for-byte the files ETA's SDK publishes (as kept in the team's reference
/// folder): their SHA-256 digests are pinned here and in `tests/vectors/README.md`, so an edit
/// of a copy fails this test.
#[test]
fn vector_copies_are_unchanged() {
    for (name, digest) in VECTOR_DIGESTS {
        assert_eq!(
            sha256_hex(local(name).as_bytes()),
            digest,
            "tests/vectors/{name} differs from the published file"
        );
    }
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
