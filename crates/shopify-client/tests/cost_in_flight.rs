//! Requested cost in flight, against the sandbox's Shopify stand-in at the Standard plan's
//! bucket (1,000 points, 100 points/s) over loopback with a network delay each way.
//!
//! Shopify admits a query on its *requested* cost and charges the actual one, so the client
//! reserves the requested cost of each query while it is in flight (a fourth 253-point query
//! must not start while three are), and gives the difference back once the answer shows
//! what was charged. Queries that ask a lot and spend little (`ProductImageAlts`: 253
//! requested, about 1 spent) then run three at a time, with no wait for refills and no
//! `THROTTLED`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sandbox::shopify::ShopifyConfig;
use sandbox::{Sandbox, SandboxConfig};
use shopify_client::gid::ProductGid;
use shopify_client::{Auth, CostBucket, ShopifyClient};
use sync_core::transport::{HttpRequest, ReqwestTransport, Transport};

/// Requests sent and not yet answered, and the most at once.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    most: AtomicUsize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_that_ask_much_and_spend_little_run_as_many_at_once_as_shopify_admits() {
    let sandbox = Sandbox::start(SandboxConfig {
        catalog_groups: 1,
        orders: 0,
        shopify: ShopifyConfig {
            bucket_max: 1_000.0,
            restore_rate: 100.0,
            ..ShopifyConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let reqwest = Arc::new(ReqwestTransport::new().unwrap());
    let in_flight = Arc::new(InFlight::default());
    let counted = Arc::clone(&in_flight);
    // Shopify runs a query in a few milliseconds of the 200 it is in flight: one at a time
    // here, so that no answer's view of the bucket is taken while another query runs (which
    // the client cannot know, and rightly counts twice).
    let server = Arc::new(tokio::sync::Mutex::new(()));
    let transport: Arc<dyn Transport> = Arc::new(move |request: HttpRequest| {
        let (reqwest, counted, server) = (
            Arc::clone(&reqwest),
            Arc::clone(&counted),
            Arc::clone(&server),
        );
        async move {
            let now = counted.now.fetch_add(1, Ordering::SeqCst) + 1;
            counted.most.fetch_max(now, Ordering::SeqCst);
            // A network between here and Shopify: 100 ms each way.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let answer = {
                let _running = server.lock().await;
                reqwest.send(request).await
            };
            tokio::time::sleep(Duration::from_millis(100)).await;
            counted.now.fetch_sub(1, Ordering::SeqCst);
            answer
        }
    });
    let c = &sandbox.config().shopify;
    let client = ShopifyClient::builder(
        c.shop_domain.clone(),
        Auth::access_token(c.access_token.clone()),
    )
    .base_url(sandbox.shopify_url())
    .transport(transport)
    .cost_bucket(Arc::new(CostBucket::new(1_000.0, 100.0)))
    .build()
    .unwrap();
    let product: ProductGid = "gid://shopify/Product/987654321".parse().unwrap();
    // The first answer teaches the client the query's requested cost.
    let _ = client.product_images(&product).await;
    in_flight.most.store(0, Ordering::SeqCst);

    let started = tokio::time::Instant::now();
    let calls: Vec<_> = (0..12)
        .map(|_| {
            let (client, product) = (client.clone(), product.clone());
            tokio::spawn(async move { client.product_images(&product).await })
        })
        .collect();
    for call in calls {
        let _ = call.await.unwrap();
    }
    let elapsed = started.elapsed();

    let stats = sandbox.stats();
    let requested = stats["shopify"]["requested_max_by_operation"]["ProductImageAlts"]
        .as_u64()
        .unwrap();
    assert!(
        (250..=260).contains(&requested),
        "ProductImageAlts asks {requested}"
    );
    assert_eq!(stats["shopify"]["throttled"], 0, "{}", stats["shopify"]);
    let most = in_flight.most.load(Ordering::SeqCst);
    assert_eq!(
        most, 3,
        "three 253-point queries fit in 1,000 points at once, a fourth does not"
    );
    // Three at a time, 200 ms each: 12 take four rounds, about 0.8 s. Waiting for refills of
    // points that were never spent would take seconds.
    assert!(
        elapsed < Duration::from_millis(2_000),
        "12 queries took {elapsed:?} (at most {most} at once)"
    );
}
