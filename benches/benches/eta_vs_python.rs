//! Side by side in one run: our uuid computation and a straightforward Python one on the same
//! 20,000 typical receipts (parse included on both sides). Prints receipts per second and the
//! ratio. Needs `python3` on the PATH.
#![allow(missing_docs)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let count = 20_000;
    let batch = benches::batch(count, 5);
    // Rust: best of 5 runs over the whole batch text.
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let uuids = eta_ereceipt::canonical::batch_receipt_uuids(&batch).expect("valid batch");
        assert_eq!(uuids.len(), count);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let rust_rate = count as f64 / best;
    println!("rust:   {count} receipts in {best:.4} s = {rust_rate:.0} receipts/s");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/eta_uuid.py");
    let mut python_best = f64::MAX;
    for _ in 0..3 {
        let Ok(mut child) = Command::new("python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        else {
            println!("python3 not found: baseline skipped");
            return;
        };
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(batch.as_bytes())
            .expect("write batch");
        let output = child.wait_with_output().expect("python ran");
        let text = String::from_utf8_lossy(&output.stdout);
        let mut parts = text.split_whitespace();
        let n: usize = parts.next().and_then(|p| p.parse().ok()).expect("count");
        let secs: f64 = parts.next().and_then(|p| p.parse().ok()).expect("seconds");
        assert_eq!(n, count);
        python_best = python_best.min(secs);
    }
    let python_rate = count as f64 / python_best;
    println!("python: {count} receipts in {python_best:.4} s = {python_rate:.0} receipts/s");
    println!(
        "ratio:  {:.1}x (target >= 30x; Rust target >= 100,000 receipts/s on one core)",
        rust_rate / python_rate
    );
}
