//! The sync engine over this crate's storefront adapter, against the sandbox's Shopify
//! stand-in with a small cost bucket: a source read answered `THROTTLED` after the client's
//! own retries (none here) waits the advised time and is read again within the pass, instead
//! of failing the pass.

use std::sync::Arc;
use std::time::Duration;

use sandbox::shopify::ShopifyConfig;
use sandbox::{Sandbox, SandboxConfig};
use shopify_client::adapter::{ShopifyStorefront, StorefrontConfig};
use shopify_client::{Auth, ShopifyClient};
use sync_core::engine::memory::{MemoryErp, MemoryStorefront, MemoryTax};
use sync_core::engine::{Connectors, Engine, EngineConfig, Flow, PassOutcome};
use sync_core::retry::RetryPolicy;
use sync_core::store::{SqliteStore, StateStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_source_read_is_read_again_within_the_pass() {
    let sandbox = Sandbox::start(SandboxConfig {
        catalog_groups: 2,
        orders: 20,
        cancel_rate: 0.0,
        refund_rate: 0.0,
        shopify: ShopifyConfig {
            bucket_max: 1_000.0,
            restore_rate: 1_000.0,
            ..ShopifyConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let c = &sandbox.config().shopify;
    // No retry in the client: a THROTTLED answer reaches the engine as it would after the
    // client's retries ran out.
    let client = ShopifyClient::builder(
        c.shop_domain.clone(),
        Auth::access_token(c.access_token.clone()),
    )
    .base_url(sandbox.shopify_url())
    .retry(RetryPolicy::none())
    .build()
    .unwrap();
    let storefront = Arc::new(ShopifyStorefront::new(
        client.clone(),
        StorefrontConfig::default(),
    ));
    let erp = Arc::new(MemoryErp::new());
    let connectors = Connectors {
        erp_catalog: erp.clone(),
        erp_sales: erp.clone(),
        storefront_catalog: Arc::new(MemoryStorefront::new(vec![])),
        storefront_orders: storefront,
        tax: Arc::new(MemoryTax::new("POS-1", &["cash"])),
    };
    let store: Arc<dyn StateStore> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let mut config = EngineConfig::new("shop-1");
    config.drain_timeout = Duration::from_secs(20);
    let engine = Engine::new(connectors, store, config);

    // The shop's bucket is empty when the pass starts: its first read is refused.
    sandbox.shopify().drain_bucket();
    let done = engine
        .run_flows(&[Flow::Customers, Flow::Orders])
        .await
        .expect("a throttled read does not fail the pass");

    let stats = sandbox.stats();
    assert!(
        stats["shopify"]["throttled"].as_u64().unwrap_or(0) >= 1,
        "the stand-in refused no read: {}",
        stats["shopify"]
    );
    assert!(client.throttled() >= 1);
    for flow in [Flow::Customers, Flow::Orders] {
        let last = engine.last_pass(flow).await.unwrap().expect("a pass");
        assert_eq!(last.outcome, PassOutcome::Ran, "{flow:?}");
    }
    let live = sandbox.dump()["shopify"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter(|o| o["cancelled"].as_bool() != Some(true))
        .count() as u64;
    assert!(live > 0);
    // Every order was read and its import ran once: the memory ERP knows none of the
    // stand-in's items, so each import is parked on its item mapping (or lands, for an
    // order without item lines).
    assert_eq!(
        done.orders_imported + done.parked,
        live,
        "each order read and its import run once: {done:?}"
    );
    assert_eq!(erp.documents().len() as u64, done.orders_imported);
}
