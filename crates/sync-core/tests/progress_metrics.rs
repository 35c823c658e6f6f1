//! The progress of long work in `/metrics`: the jobs queued and the jobs finished, by kind.

mod common;

use common::*;
use sync_core::engine::Flow;

/// The value of `name{kind="…"}` in a Prometheus text rendering.
fn counter(text: &str, name: &str, kind: &str) -> u64 {
    let prefix = format!("{name}{{kind=\"{kind}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_backfill_counts_its_jobs_queued_and_finished_by_kind() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let world = world();
    for n in 1..=5 {
        world.shop.put_order(order(n, "A-RED", 1, 100));
    }
    // A current-thread runtime inside the local recorder's scope: every job of the drain
    // runs on this thread, so the counters land in this test's recorder only.
    metrics::with_local_recorder(&recorder, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let engine = engine(&world, sqlite().await, "w1");
                engine
                    .run_flows(&[Flow::Catalog, Flow::Orders])
                    .await
                    .unwrap();
            });
    });
    let text = handle.render();
    let queued = counter(&text, "sync_jobs_enqueued_total", "import_order");
    let finished = counter(&text, "sync_jobs_completed_total", "import_order");
    assert_eq!(queued, 5, "{text}");
    assert_eq!(finished, 5, "{text}");
}
