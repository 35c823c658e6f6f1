//! The daemon's listener against hostile clients: slow-drip connections, an oversized body,
//! and clients that hang while the daemon stops.

use std::sync::Arc;
use std::time::Duration;

use flow_shopify_sync::daemon::router;
use flow_shopify_sync::listener::{Limits, serve};
use sync_core::engine::memory::{MemoryErp, MemoryStorefront, MemoryTax};
use sync_core::engine::{Connectors, Engine, EngineConfig, Shutdown};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

async fn start(limits: Limits) -> (String, Shutdown, tokio::task::JoinHandle<()>) {
    start_with(limits, None, None).await
}

async fn start_with(
    limits: Limits,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    shopify: Option<shopify_client::ShopifyClient>,
) -> (String, Shutdown, tokio::task::JoinHandle<()>) {
    let erp = Arc::new(MemoryErp::new());
    let shop = Arc::new(MemoryStorefront::new(Vec::new()));
    let connectors = Connectors {
        erp_catalog: erp.clone(),
        erp_sales: erp,
        storefront_catalog: shop.clone(),
        storefront_orders: shop,
        tax: Arc::new(MemoryTax::new("POS-1", &["cash"])),
    };
    let store = Arc::new(sync_core::store::SqliteStore::in_memory().await.unwrap());
    let engine = Arc::new(Engine::new(connectors, store, EngineConfig::new("shop")));
    engine.migrate().await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let stop = Shutdown::new();
    let app = router(engine, metrics, shopify, limits);
    let server = tokio::spawn(serve(listener, app, limits, stop.clone()));
    (address, stop, server)
}

/// Opens `n` connections that send the start of a request head and then nothing.
async fn slow_drips(address: &str, n: usize) -> Vec<TcpStream> {
    let host = address.trim_start_matches("http://");
    let mut held = Vec::new();
    for _ in 0..n {
        let mut stream = TcpStream::connect(host).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHo")
            .await
            .unwrap();
        held.push(stream);
    }
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_drip_connections_leave_healthz_answering() {
    let (address, stop, server) = start(Limits::default()).await;
    let held = slow_drips(&address, 200).await;
    // Without limits a drip holds its connection until the client gives up; here the
    // answer must come (a generous bound: machines running these tests are shared).
    let answer = reqwest::Client::new()
        .get(format!("{address}/healthz"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .expect("/healthz answers beside 200 slow clients");
    assert_eq!(answer.status(), 200);
    drop(held);
    stop.trigger();
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drip_is_cut_off_and_the_connection_cap_holds() {
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        max_connections: 4,
        ..Limits::default()
    };
    let (address, stop, server) = start(limits).await;
    // Four drips fill the cap; a fifth connection is closed at once.
    let held = slow_drips(&address, 4).await;
    let client = reqwest::Client::new();
    let refused = client
        .get(format!("{address}/healthz"))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(refused.is_err(), "a connection over the cap was served");
    // The drips are cut off after the head timeout; the listener serves again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let answer = client
        .get(format!("{address}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .expect("served once the drips were dropped");
    assert_eq!(answer.status(), 200);
    drop(held);
    stop.trigger();
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_webhook_gets_413() {
    let (address, stop, server) = start(Limits::default()).await;
    let answer = reqwest::Client::new()
        .post(format!("{address}/webhooks/shopify"))
        .body(vec![b'x'; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    stop.trigger();
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_with_hung_clients_ends_within_the_deadline() {
    let limits = Limits {
        shutdown_deadline: Duration::from_millis(500),
        ..Limits::default()
    };
    let (address, stop, server) = start(limits).await;
    let held = slow_drips(&address, 20).await;
    // Also a client stuck in the middle of a body.
    let host = address.trim_start_matches("http://");
    let mut stuck = TcpStream::connect(host).await.unwrap();
    stuck
        .write_all(b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.trigger();
    // Without a deadline the listener waits for the hung clients for ever.
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the listener stopped at its deadline")
        .unwrap();
    drop((held, stuck));
}

/// `/healthz` says how many days the Shopify API version has left (on the client's clock), and
/// `/metrics` counts the answers that came from another version (a fall-forward).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics_report_the_shopify_api_version() {
    use chrono::TimeZone;
    // 2026-07 is retired on this stand-in: a 2026-07 client is answered by 2026-10.
    let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig {
        catalog_groups: 1,
        orders: 0,
        shopify: sandbox::ShopifyConfig {
            api_versions: vec!["2026-10".into()],
            ..sandbox::ShopifyConfig::default()
        },
        ..sandbox::SandboxConfig::default()
    })
    .await
    .unwrap();
    let c = &sandbox.config().shopify;
    let clock = Arc::new(sync_core::clock::FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2027, 5, 3, 0, 0, 0).unwrap(),
    ));
    let client = shopify_client::ShopifyClient::builder(
        c.shop_domain.clone(),
        shopify_client::Auth::access_token(c.access_token.clone()),
    )
    .base_url(sandbox.shopify_url())
    .api_version("2026-07")
    .clock(clock)
    .build()
    .unwrap();
    client.shop_info().await.unwrap();
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .unwrap();
    let (address, stop, server) = start_with(Limits::default(), Some(metrics), Some(client)).await;
    let http = reqwest::Client::new();
    let health: serde_json::Value = http
        .get(format!("{address}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api = &health["shopify_api"];
    assert_eq!(api["version"], "2026-07");
    assert_eq!(api["retires_on"], "2027-07-01");
    assert_eq!(api["days_left"], 59);
    assert!(
        api["warning"].as_str().unwrap().contains("59 day(s) left"),
        "{api}"
    );
    assert_eq!(api["fall_forwards"], 1);
    let metrics = http
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("shopify_api_version_fall_forwards_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("shopify_api_version_days_left 59"),
        "{metrics}"
    );
    stop.trigger();
    server.await.unwrap();
    sandbox.shutdown().await;
}
