//! What the three servers share: the admin endpoints (`/__admin/*`), request and fault
//! counters, and the fault middleware of the Flow and ETA stand-ins.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::eta::EtaState;
use crate::faults::{Fault, Faults};
use crate::flow::FlowState;
use crate::glue;
use crate::server::ConnectionKill;

/// The three services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Shopify,
    Flow,
    Eta,
}

impl Service {
    fn index(self) -> usize {
        match self {
            Service::Shopify => 0,
            Service::Flow => 1,
            Service::Eta => 2,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Service::Shopify => "shopify",
            Service::Flow => "flow",
            Service::Eta => "eta",
        }
    }
}

#[derive(Debug, Default)]
struct ServiceCounters {
    requests: AtomicU64,
    latency: AtomicU64,
    error_before: AtomicU64,
    error_after: AtomicU64,
    drop_after: AtomicU64,
    throttle: AtomicU64,
    expire_session: AtomicU64,
}

impl ServiceCounters {
    fn json(&self) -> Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        json!({
            "latency": g(&self.latency),
            "error_before": g(&self.error_before),
            "error_after": g(&self.error_after),
            "drop_after": g(&self.drop_after),
            "throttle": g(&self.throttle),
            "expire_session": g(&self.expire_session),
        })
    }
}

/// Everything the servers share.
#[derive(Debug)]
pub(crate) struct Hub {
    pub(crate) flow: Arc<FlowState>,
    pub(crate) eta: Arc<EtaState>,
    pub(crate) shopify: glue::ShopifySlot,
    counters: [ServiceCounters; 3],
    /// Seed of the next run-time order batch.
    next_order_seed: AtomicU64,
    refund_rate: f64,
    cancel_rate: f64,
}

impl Hub {
    pub(crate) fn new(
        flow: Arc<FlowState>,
        eta: Arc<EtaState>,
        shopify: glue::ShopifySlot,
        seed: u64,
        refund_rate: f64,
        cancel_rate: f64,
    ) -> Hub {
        Hub {
            flow,
            eta,
            shopify,
            counters: Default::default(),
            next_order_seed: AtomicU64::new(seed.wrapping_add(1)),
            refund_rate,
            cancel_rate,
        }
    }

    fn counters(&self, s: Service) -> &ServiceCounters {
        &self.counters[s.index()]
    }

    pub(crate) fn count_request(&self, s: Service) {
        self.counters(s).requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Everything the stand-ins hold.
    pub(crate) fn dump(&self) -> Value {
        json!({
            "shopify": glue::dump(&self.shopify),
            "flow": self.flow.dump(),
            "eta": self.eta.dump(),
        })
    }

    /// Counters of every service.
    pub(crate) fn stats(&self) -> Value {
        let shopify = glue::stats(&self.shopify);
        let mut requests = BTreeMap::new();
        let mut faults = BTreeMap::new();
        for s in [Service::Shopify, Service::Flow, Service::Eta] {
            requests.insert(s.name(), self.counters(s).requests.load(Ordering::Relaxed));
            faults.insert(s.name(), self.counters(s).json());
        }
        let throttled = |s: Service| self.counters(s).throttle.load(Ordering::Relaxed);
        json!({
            "requests": requests,
            "faults": faults,
            "throttled": {
                "shopify": glue::throttled(&shopify),
                "flow": throttled(Service::Flow),
                "eta": throttled(Service::Eta),
            },
            "cost_spent": glue::cost_spent(&shopify),
            "shopify": shopify,
            "flow": self.flow.stats(),
            "eta": self.eta.stats(),
        })
    }

    /// Generates `n` more Shopify orders from the Flow catalog.
    pub(crate) fn generate_orders(&self, n: usize) -> Result<usize, String> {
        let seed = self.next_order_seed.fetch_add(1, Ordering::Relaxed);
        glue::generate_orders(
            &self.shopify,
            &self.flow.catalog_items(),
            n,
            self.refund_rate,
            self.cancel_rate,
            seed,
        )
    }
}

/// The admin routes, served by each of the three servers.
pub(crate) fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/__admin/stats", get(stats))
        .route("/__admin/dump", get(dump))
        .route("/__admin/shopify/orders", post(orders))
        .route("/__admin/shopify/returns", post(shopify_return))
        .route("/__admin/flow/stock", post(flow_stock))
        .route("/__admin/flow/item", post(flow_item))
        .route("/__admin/eta/item_codes", post(eta_item_codes))
        .with_state(hub)
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut r = (status, value.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn stats(State(hub): State<Arc<Hub>>) -> Response {
    json_response(StatusCode::OK, &hub.stats())
}

async fn dump(State(hub): State<Arc<Hub>>) -> Response {
    json_response(StatusCode::OK, &hub.dump())
}

/// Most orders one `POST /__admin/shopify/orders` may ask for.
const MAX_ORDERS_PER_CALL: usize = 100_000;

async fn orders(
    State(hub): State<Arc<Hub>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let n = match q.get("n").map(|v| v.parse::<usize>()) {
        Some(Ok(n)) if (1..=MAX_ORDERS_PER_CALL).contains(&n) => n,
        _ => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("query parameter n must be an integer from 1 to {MAX_ORDERS_PER_CALL}")}),
            );
        }
    };
    // Generation is CPU work; keep it off the I/O threads.
    let hub2 = hub.clone();
    match tokio::task::spawn_blocking(move || hub2.generate_orders(n)).await {
        Ok(Ok(generated)) => json_response(StatusCode::OK, &json!({"generated": generated})),
        Ok(Err(why)) => json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": why})),
        Err(_) => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": "order generation failed"}),
        ),
    }
}

/// `POST /__admin/shopify/returns`: creates a return (and exchange) of a Shopify order; the
/// body is a [`crate::shopify::NewReturn`].
async fn shopify_return(State(hub): State<Arc<Hub>>, body: axum::body::Bytes) -> Response {
    let spec: crate::shopify::NewReturn = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("body must be {{\"order_id\", \"lines\": [{{\"line_item_id\", \"quantity\"}}], \"exchange\"?, \"source\"?, \"fulfill\"?, \"process\"?}}: {e}")}),
            );
        }
    };
    match hub.shopify.create_return(&spec) {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"error": e})),
    }
}

#[derive(Debug, serde::Deserialize)]
struct StockChange {
    sku: String,
    store: i64,
    qty: rust_decimal::Decimal,
}

async fn flow_stock(State(hub): State<Arc<Hub>>, body: axum::body::Bytes) -> Response {
    let change: StockChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("body must be {{\"sku\", \"store\", \"qty\"}}: {e}")}),
            );
        }
    };
    match hub.flow.set_stock(&change.sku, change.store, change.qty) {
        Ok(()) => json_response(StatusCode::OK, &json!({"ok": true})),
        Err(e) => json_response(StatusCode::BAD_REQUEST, &json!({"error": e})),
    }
}

#[derive(Debug, serde::Deserialize)]
struct ItemChange {
    sku: String,
    sts: Option<String>,
    price: Option<rust_decimal::Decimal>,
}

async fn flow_item(State(hub): State<Arc<Hub>>, body: axum::body::Bytes) -> Response {
    let change: ItemChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("body must be {{\"sku\", \"sts\"?, \"price\"?}}: {e}")}),
            );
        }
    };
    match hub
        .flow
        .set_item(&change.sku, change.sts.as_deref(), change.price)
    {
        Ok(()) => json_response(StatusCode::OK, &json!({"ok": true})),
        Err(e) => json_response(StatusCode::BAD_REQUEST, &json!({"error": e})),
    }
}

/// Most item codes one `POST /__admin/eta/item_codes` may register.
const MAX_ITEM_CODES_PER_CALL: usize = 10_000;

/// `POST /__admin/eta/item_codes` `{"codes": ["EG-…", …]}`: registers item codes for the
/// taxpayer from now on (receipts already decided keep their status).
async fn eta_item_codes(State(hub): State<Arc<Hub>>, body: axum::body::Bytes) -> Response {
    #[derive(serde::Deserialize)]
    struct Codes {
        codes: Vec<String>,
    }
    let codes: Codes = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("body must be {{\"codes\": [\"…\"]}}: {e}")}),
            );
        }
    };
    if codes.codes.len() > MAX_ITEM_CODES_PER_CALL
        || codes.codes.iter().any(|c| c.is_empty() || c.len() > 100)
    {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": format!("codes: at most {MAX_ITEM_CODES_PER_CALL}, each 1 to 100 characters")}),
        );
    }
    hub.eta.register_item_codes(&codes.codes);
    json_response(StatusCode::OK, &json!({"registered": codes.codes.len()}))
}

/// State of the fault middleware of one service.
#[derive(Debug, Clone)]
pub(crate) struct FaultCtx {
    pub(crate) hub: Arc<Hub>,
    pub(crate) service: Service,
    pub(crate) faults: Arc<Faults>,
}

/// Counts the request; for Flow and ETA also draws and applies a fault.
pub(crate) async fn fault_layer(State(ctx): State<FaultCtx>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/__admin/") {
        return next.run(req).await;
    }
    ctx.hub.count_request(ctx.service);
    if ctx.service == Service::Shopify {
        // The Shopify stand-in draws its own faults (it answers them the Shopify way).
        return next.run(req).await;
    }
    let c = ctx.hub.counters(ctx.service);
    let fault = ctx.faults.draw();
    match fault {
        Fault::None => next.run(req).await,
        Fault::Latency(d) => {
            c.latency.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Fault::ErrorBefore => {
            c.error_before.fetch_add(1, Ordering::Relaxed);
            fault_answer(ctx.service, StatusCode::SERVICE_UNAVAILABLE)
        }
        Fault::Throttle => {
            c.throttle.fetch_add(1, Ordering::Relaxed);
            let mut r = fault_answer(ctx.service, StatusCode::TOO_MANY_REQUESTS);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Fault::ExpireSession => {
            c.expire_session.fetch_add(1, Ordering::Relaxed);
            expire(&ctx, req.headers());
            next.run(req).await
        }
        Fault::ErrorAfter => {
            c.error_after.fetch_add(1, Ordering::Relaxed);
            let _done = next.run(req).await;
            fault_answer(ctx.service, StatusCode::INTERNAL_SERVER_ERROR)
        }
        Fault::DropAfter => {
            c.drop_after.fetch_add(1, Ordering::Relaxed);
            let kill = req.extensions().get::<ConnectionKill>().cloned();
            let _done = next.run(req).await;
            match kill {
                Some(kill) => {
                    kill.kill();
                    std::future::pending::<Response>().await
                }
                None => fault_answer(ctx.service, StatusCode::BAD_GATEWAY),
            }
        }
    }
}

/// Forgets the credential the request carries, so that it is refused as expired.
fn expire(ctx: &FaultCtx, headers: &HeaderMap) {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match ctx.service {
        Service::Flow => {
            for name in ["apikey", "xapikey"] {
                if let Some(key) = value(name) {
                    ctx.hub.flow.expire_key(key);
                }
            }
        }
        Service::Eta => {
            if let Some(token) = value("authorization").and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            }) {
                ctx.hub.eta.expire_token(token.trim());
            }
        }
        Service::Shopify => {}
    }
}

fn fault_answer(service: Service, status: StatusCode) -> Response {
    match service {
        Service::Eta => json_response(
            status,
            &json!({"error": {
                "code": if status == StatusCode::TOO_MANY_REQUESTS { "TooManyRequests" } else { "ServiceUnavailable" },
                "message": "injected fault (sandbox)",
                "target": "",
                "details": [],
            }}),
        ),
        _ => {
            let mut r = (status, "injected fault (sandbox)").into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            r
        }
    }
}
