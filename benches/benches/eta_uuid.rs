//! ETA canonical serialization + uuid: one typical receipt, a 500-receipt batch, and the
//! JSON-text path on the official vector.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn vector() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/eta-ereceipt/tests/vectors/invoice-one-doc.json"
    );
    std::fs::read_to_string(path)
        .expect("the official vector is committed in crates/eta-ereceipt/tests/vectors")
}

fn bench(c: &mut Criterion) {
    let receipt = benches::typical_receipt(42, 5);
    let mut group = c.benchmark_group("eta");
    group.throughput(Throughput::Elements(1));
    group.bench_function("uuid_typical_5_lines", |b| {
        b.iter(|| eta_ereceipt::canonical::receipt_uuid(black_box(&receipt)).unwrap())
    });
    let batch = benches::batch(500, 5);
    group.throughput(Throughput::Elements(500));
    group.bench_function("uuid_batch_500", |b| {
        b.iter(|| eta_ereceipt::canonical::batch_receipt_uuids(black_box(&batch)).unwrap())
    });
    let vector = vector();
    group.throughput(Throughput::Bytes(vector.len() as u64));
    group.bench_function("canonicalize_official_vector", |b| {
        b.iter(|| eta_ereceipt::canonical::canonicalize(black_box(&vector)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
