//! The cost bucket against a simulated Shopify leaky bucket, on tokio's paused clock: the
//! client never sends a query the bucket cannot afford (no THROTTLED answers once it has
//! seen one response) and its throughput converges to the restore rate. Also the
//! 25,000-object pagination limit.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::TryStreamExt;
use serde_json::json;
use shopify_client::{Auth, CostBucket, Error, ShopifyClient};
use sync_core::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use tokio::time::Instant;

/// Shopify's side: a bucket of `max` points restored at `rate` per second, every query
/// costing `cost`.
struct Simulated {
    max: f64,
    rate: f64,
    cost: f64,
    available: f64,
    at: Instant,
    served: u32,
    throttled: u32,
}

fn shop_data() -> serde_json::Value {
    json!({"shop": {"id": "gid://shopify/Shop/1", "name": "Demo Store", "myshopifyDomain": "demo.myshopify.com",
        "currencyCode": "EGP", "ianaTimezone": "Africa/Cairo", "taxesIncluded": true, "taxShipping": true,
        "plan": {"publicDisplayName": "Basic", "partnerDevelopment": false, "shopifyPlus": false}}})
}

fn transport(sim: Arc<Mutex<Simulated>>) -> Arc<dyn Transport> {
    Arc::new(move |_req: HttpRequest| {
        let sim = Arc::clone(&sim);
        async move {
            let body = {
                let mut s = sim.lock().unwrap();
                let now = Instant::now();
                s.available =
                    (s.available + now.duration_since(s.at).as_secs_f64() * s.rate).min(s.max);
                s.at = now;
                let status = |s: &Simulated| json!({"maximumAvailable": s.max, "currentlyAvailable": s.available, "restoreRate": s.rate});
                if s.available + 1e-9 < s.cost {
                    s.throttled += 1;
                    json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                           "extensions": {"cost": {"requestedQueryCost": s.cost, "actualQueryCost": null, "throttleStatus": status(&s)}}})
                } else {
                    s.available -= s.cost;
                    s.served += 1;
                    json!({"data": shop_data(),
                           "extensions": {"cost": {"requestedQueryCost": s.cost, "actualQueryCost": s.cost, "throttleStatus": status(&s)}}})
                }
            };
            Ok::<HttpResponse, TransportError>(http::Response::new(Bytes::from(body.to_string())))
        }
    })
}

fn simulated(max: f64, rate: f64, cost: f64) -> Arc<Mutex<Simulated>> {
    Arc::new(Mutex::new(Simulated {
        max,
        rate,
        cost,
        available: max,
        at: Instant::now(),
        served: 0,
        throttled: 0,
    }))
}

fn client(transport: Arc<dyn Transport>, bucket: Option<Arc<CostBucket>>) -> ShopifyClient {
    let mut b = ShopifyClient::builder("demo", Auth::access_token("shpat_x")).transport(transport);
    if let Some(bucket) = bucket {
        b = b.cost_bucket(bucket);
    }
    b.build().unwrap()
}

#[tokio::test(start_paused = true)]
async fn sequential_queries_never_hit_throttling_and_converge_to_the_restore_rate() {
    let sim = simulated(1000.0, 50.0, 100.0);
    // The model starts with the right figures, as after a first response.
    let c = client(
        transport(Arc::clone(&sim)),
        Some(Arc::new(CostBucket::new(1000.0, 50.0))),
    );
    c.shop_info().await.unwrap(); // learns the query's cost (100)
    let started = Instant::now();
    for _ in 0..60 {
        c.shop_info().await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let s = sim.lock().unwrap();
    assert_eq!(
        s.throttled, 0,
        "the bucket sent a query it could not afford"
    );
    assert_eq!(s.served, 61);
    // 900 points left after the first query, then 60 × 100 at 50 points/s.
    let expected = (60.0 * 100.0 - 900.0) / 50.0;
    assert!(
        (elapsed - expected).abs() < 2.5,
        "elapsed {elapsed}, expected about {expected}"
    );
    let rate = (60.0 * 100.0 - 900.0) / elapsed;
    assert!((rate - 50.0).abs() < 3.0, "throughput {rate} points/s");
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_the_bucket_without_throttling() {
    let sim = simulated(500.0, 100.0, 50.0);
    let c = client(
        transport(Arc::clone(&sim)),
        Some(Arc::new(CostBucket::new(500.0, 100.0))),
    );
    c.shop_info().await.unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    c.shop_info().await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let s = sim.lock().unwrap();
    assert_eq!(s.throttled, 0);
    assert_eq!(s.served, 81);
    // 450 left, 80 × 50 = 4000 points at 100/s: about 35.5 s.
    let elapsed = started.elapsed().as_secs_f64();
    assert!((elapsed - 35.5).abs() < 2.0, "elapsed {elapsed}");
}

#[tokio::test(start_paused = true)]
async fn an_uncalibrated_client_is_throttled_at_most_once_then_follows_the_server() {
    let sim = simulated(1000.0, 50.0, 100.0);
    // The default model assumes 1,000 points at 50/s and an unknown query costs 50.
    let c = client(transport(Arc::clone(&sim)), None);
    for _ in 0..40 {
        c.shop_info().await.unwrap();
    }
    let s = sim.lock().unwrap();
    assert!(s.throttled <= 1, "{} THROTTLED answers", s.throttled);
    assert_eq!(s.served, 40);
}

#[tokio::test(start_paused = true)]
async fn listing_stops_past_25000_objects_and_points_to_bulk_operations() {
    let requests = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&requests);
    let t: Arc<dyn Transport> = Arc::new(move |_req: HttpRequest| {
        let counter = Arc::clone(&counter);
        async move {
            let n = {
                let mut c = counter.lock().unwrap();
                *c += 1;
                *c
            };
            let nodes: Vec<_> = (0..250)
                .map(|i| json!({"id": format!("gid://shopify/Location/{n}{i}"), "name": "x", "isActive": true,
                    "fulfillsOnlineOrders": true, "shipsInventory": true,
                    "address": {"address1": null, "city": null, "countryCode": "EG", "zip": null}}))
                .collect();
            let body = json!({"data": {"locations": {"nodes": nodes, "pageInfo": {"hasNextPage": true, "endCursor": format!("c{n}")}}},
                "extensions": {"cost": {"requestedQueryCost": 252, "actualQueryCost": 252,
                  "throttleStatus": {"maximumAvailable": 20000.0, "currentlyAvailable": 20000.0, "restoreRate": 1000.0}}}});
            Ok::<HttpResponse, TransportError>(http::Response::new(Bytes::from(body.to_string())))
        }
    });
    let c = client(t, None);
    let mut count = 0usize;
    let mut stream = std::pin::pin!(c.locations(250, true));
    let err = loop {
        match stream.try_next().await {
            Ok(Some(_)) => count += 1,
            Ok(None) => panic!("the listing should not end"),
            Err(e) => break e,
        }
    };
    assert_eq!(count, 25_000);
    assert_eq!(*requests.lock().unwrap(), 100);
    assert!(matches!(err, Error::ListLimit { limit: 25_000, .. }));
    assert!(err.to_string().contains("bulk operation"), "{err}");
}
