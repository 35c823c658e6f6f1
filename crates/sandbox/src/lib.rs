//! Stateful local stand-ins of Shopify, Flow ERP and the Egyptian Tax Authority's e-receipt
//! API, written from the specs, for tests, demos and benchmarks.
//!
//! Nobody working on this workspace can reach the three real systems, so the sandbox plays
//! them on loopback: each stand-in is a real HTTP server (axum on tokio) with real state, so a
//! client talking to it goes through its whole stack — URLs, headers, bodies, retries.
//! The sandbox speaks the wire formats only; it depends on no client crate of the workspace.
//!
//! # Quick start
//!
//! ```no_run
//! # async fn run() -> Result<(), sandbox::Error> {
//! use sandbox::{Sandbox, SandboxConfig};
//!
//! let running = Sandbox::start(SandboxConfig::default()).await?;
//! println!("Flow ERP at {}", running.flow_url());
//! println!("ETA at {}", running.eta_url());
//! println!("Shopify at {}", running.shopify_url());
//! // ... point clients at the URLs, run flows ...
//! let dump = running.dump(); // everything the stand-ins hold
//! assert!(dump["flow"]["sales_documents"].is_array());
//! running.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The same is available as a process: `sandbox serve --seed 7 --faults mild` prints one JSON
//! line with the three base URLs and runs until SIGINT/SIGTERM.
//!
//! # The stand-ins
//!
//! - **Flow ERP** ([`flow`]): both logins (JSON with `errMsg`, legacy form-feed `?OP=CHKUSR`),
//!   REST reads with the `apikey` header, `GETREC` over a restricted `SELECT` grammar,
//!   `ADDPOS` answering `CMDDNE,<n>` / `CMDERR,<why>`, soft delete with `EXECMD DELPOS`,
//!   `LDSRCHDRNO`. Answers are UTF-8 with a byte-order mark. The catalog is seeded (item groups
//!   of items with colours and sizes, Arabic and Latin names, two price lists, stock in two
//!   stores). Every document sent is stored, duplicates included.
//! - **ETA** ([`eta`]): `/connect/token` with the four POS headers, receipt submission that
//!   re-serializes each receipt from the raw JSON text to check its uuid, checks the
//!   calculations, the issuer, the device and its chain, and refuses duplicates; submission
//!   details; raw receipt and receipt details.
//! - **Shopify** ([`shopify`]): the GraphQL Admin API with state, cost and throttling, and a
//!   seeded order generator fed from the Flow catalog (the order lines' SKUs are Flow `ITNO`s).
//!
//! # Credentials
//!
//! The stand-ins accept the credentials in [`SandboxConfig`] (`flow`, `eta`); the defaults are
//! documented on [`FlowConfig`] and [`EtaConfig`]. `Debug` output redacts the secrets.
//!
//! # Faults
//!
//! [`SandboxConfig::faults`] sets the probability of each fault per request ([`FaultRates`]:
//! latency, 5xx before processing, 5xx after processing, connection dropped after processing,
//! throttling, expired session). Draws come from generators seeded from
//! [`SandboxConfig::seed`], one per service, so a run is repeatable for a given request order.
//! Admin endpoints never fault.
//!
//! # Admin endpoints
//!
//! Every server answers `GET /__admin/stats`, `GET /__admin/dump`,
//! `POST /__admin/shopify/orders?n=N` and `POST /__admin/shopify/returns` (see
//! `docs/sandbox.md` for every field).
//!
//! # Errors
//!
//! [`Sandbox::start`] fails with [`Error::Config`] (naming the field and the rule) or
//! [`Error::Bind`]. The stand-ins themselves never panic on bad input: they answer the way the
//! real service would (an HTTP error, `CMDERR,<why>`, an OAuth error, a rejected receipt).
//!
//! # Feature flags
//!
//! None: the sandbox is plain HTTP on loopback (reqwest with rustls is only used by the
//! Shopify stand-in to deliver webhooks).
//!
//! # Testing
//!
//! Start one sandbox per test (ports are ephemeral), talk to it over HTTP, and assert on
//! [`RunningSandbox::dump`]. The crate's own tests in `tests/` show each endpoint in use.
#![deny(missing_docs)]

mod admin;
pub mod eta;
pub mod faults;
pub mod flow;
mod glue;
pub mod server;
pub mod shopify;
pub mod sync_config;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use serde_json::Value;

pub use eta::{EtaConfig, EtaDevice};
pub use faults::{Fault, FaultRates, Faults};
pub use flow::FlowConfig;
pub use shopify::ShopifyConfig;

use admin::{FaultCtx, Hub, Service};
use server::Server;

/// Everything that decides what the sandbox holds and how it behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Seed of every generator (catalog, orders, keys, faults). Default `42`.
    pub seed: u64,
    /// Fault probabilities per request. Default: none.
    pub faults: FaultRates,
    /// Number of Flow item groups (Shopify products) to seed. Default `10`.
    pub catalog_groups: usize,
    /// Number of Shopify orders generated at start. Default `20`.
    pub orders: usize,
    /// Share of generated orders that get a refund, in `[0, 1]`. Default `0.1`.
    pub refund_rate: f64,
    /// Share of generated orders that are cancelled, in `[0, 1]`. Default `0.05`.
    pub cancel_rate: f64,
    /// Address the three servers listen on. Default `127.0.0.1`.
    pub bind: IpAddr,
    /// Ports of the servers; `0` (the default) picks a free port.
    pub ports: Ports,
    /// The Flow ERP stand-in.
    pub flow: FlowConfig,
    /// The ETA stand-in.
    pub eta: EtaConfig,
    /// The Shopify stand-in; its `seed` is replaced by one derived from [`Self::seed`].
    pub shopify: shopify::ShopifyConfig,
}

/// Listening ports; `0` picks a free port.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ports {
    /// The Shopify stand-in.
    pub shopify: u16,
    /// The Flow ERP stand-in.
    pub flow: u16,
    /// The ETA stand-in.
    pub eta: u16,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            seed: 42,
            faults: FaultRates::none(),
            catalog_groups: 10,
            orders: 20,
            refund_rate: 0.1,
            cancel_rate: 0.05,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: Ports::default(),
            flow: FlowConfig::default(),
            eta: EtaConfig::default(),
            shopify: shopify::ShopifyConfig::default(),
        }
    }
}

/// Largest catalog the sandbox seeds.
pub const MAX_CATALOG_GROUPS: usize = 10_000;
/// Most orders generated at start.
pub const MAX_ORDERS: usize = 1_000_000;

impl SandboxConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first field that breaks its rule.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |field: &'static str, rule: &str| {
            Err(Error::Config {
                field,
                rule: rule.to_string(),
            })
        };
        let r = &self.faults;
        for (field, p) in [
            ("faults.latency", r.latency),
            ("faults.error_before", r.error_before),
            ("faults.error_after", r.error_after),
            ("faults.drop_after", r.drop_after),
            ("faults.throttle", r.throttle),
            ("faults.expire_session", r.expire_session),
            ("refund_rate", self.refund_rate),
            ("cancel_rate", self.cancel_rate),
            ("shopify.digital_line_rate", self.shopify.digital_line_rate),
            ("shopify.exchange_rate", self.shopify.exchange_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return bad(field, "must be a probability between 0 and 1");
            }
        }
        if r.error_before + r.error_after + r.drop_after + r.throttle + r.expire_session > 1.0 {
            return bad(
                "faults",
                "error_before + error_after + drop_after + throttle + expire_session must not exceed 1",
            );
        }
        if r.max_latency_ms > 60_000 {
            return bad("faults.max_latency_ms", "must be at most 60000");
        }
        if !(1..=MAX_CATALOG_GROUPS).contains(&self.catalog_groups) {
            return bad("catalog_groups", "must be between 1 and 10000");
        }
        if self.orders > MAX_ORDERS {
            return bad("orders", "must be at most 1000000");
        }
        if self.refund_rate + self.cancel_rate > 1.0 {
            return bad("refund_rate + cancel_rate", "must not exceed 1");
        }
        if !(1..=250).contains(&self.shopify.max_lines_per_order) {
            return bad("shopify.max_lines_per_order", "must be between 1 and 250");
        }
        if self.shopify.api_versions.is_empty() {
            return bad("shopify.api_versions", "must name at least one version");
        }
        self.flow.validate()?;
        self.eta.validate()?;
        Ok(())
    }
}

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value breaks its rule.
    #[error("invalid sandbox configuration: `{field}` {rule}")]
    Config {
        /// The field, e.g. `faults.throttle`.
        field: &'static str,
        /// What is expected.
        rule: String,
    },
    /// A server could not listen.
    #[error("cannot listen for the {service} stand-in on {addr}")]
    Bind {
        /// `shopify`, `flow` or `eta`.
        service: &'static str,
        /// The address tried.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Starts sandboxes.
#[derive(Debug, Clone, Copy)]
pub struct Sandbox;

impl Sandbox {
    /// Starts the three stand-ins in this process, on `config.bind` (loopback by default).
    ///
    /// Returns once all three servers accept connections. Must run inside a tokio runtime.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid configuration, [`Error::Bind`] when a port is taken.
    pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, Error> {
        config.validate()?;
        let seed = config.seed;
        let flow = flow::FlowState::new(config.flow.clone(), config.catalog_groups, seed);
        let eta = eta::EtaState::new(config.eta.clone(), seed);
        let catalog = flow.catalog_items();
        let shopify_faults = Arc::new(Faults::new(config.faults, mix(seed, 1)));
        let shopify = glue::new_slot(&config, &catalog);
        let hub = Arc::new(Hub::new(
            flow.clone(),
            eta.clone(),
            shopify,
            seed,
            config.refund_rate,
            config.cancel_rate,
        ));

        let with_faults =
            |router: Router, service: Service, salt: u64| {
                let ctx = FaultCtx {
                    hub: hub.clone(),
                    service,
                    faults: Arc::new(Faults::new(config.faults, mix(seed, salt))),
                };
                admin::router(hub.clone()).merge(router).layer(
                    axum::middleware::from_fn_with_state(ctx, admin::fault_layer),
                )
            };
        let shopify_router = with_faults(
            glue::router(&hub.shopify, shopify_faults),
            Service::Shopify,
            1,
        );
        let flow_router = with_faults(flow::router(flow), Service::Flow, 2);
        let eta_router = with_faults(eta::router(eta), Service::Eta, 3);

        let shopify = serve(config.bind, config.ports.shopify, "shopify", shopify_router).await?;
        let flow = serve(config.bind, config.ports.flow, "flow", flow_router).await?;
        let eta = serve(config.bind, config.ports.eta, "eta", eta_router).await?;
        Ok(RunningSandbox {
            config,
            hub,
            shopify,
            flow,
            eta,
        })
    }
}

pub(crate) fn mix(seed: u64, salt: u64) -> u64 {
    seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

async fn serve(
    ip: IpAddr,
    port: u16,
    service: &'static str,
    router: Router,
) -> Result<Server, Error> {
    let addr = SocketAddr::new(ip, port);
    let bind_err = |source| Error::Bind {
        service,
        addr,
        source,
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(bind_err)?;
    Server::spawn(listener, router).map_err(bind_err)
}

/// The three running stand-ins. Dropping it without [`RunningSandbox::shutdown`] leaves the
/// servers running until the runtime stops.
pub struct RunningSandbox {
    config: SandboxConfig,
    hub: Arc<Hub>,
    shopify: Server,
    flow: Server,
    eta: Server,
}

impl fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("shopify", &self.shopify.addr)
            .field("flow", &self.flow.addr)
            .field("eta", &self.eta.addr)
            .finish_non_exhaustive()
    }
}

impl RunningSandbox {
    /// Base URL of the Shopify stand-in, e.g. `http://127.0.0.1:41235` (no trailing slash).
    pub fn shopify_url(&self) -> String {
        self.shopify.url()
    }

    /// Base URL of the Flow ERP stand-in; it plays the login, API and legacy hosts at once.
    pub fn flow_url(&self) -> String {
        self.flow.url()
    }

    /// Base URL of the ETA stand-in; it plays the identity and API hosts at once.
    pub fn eta_url(&self) -> String {
        self.eta.url()
    }

    /// The configuration the sandbox runs with (credentials included).
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// The Flow ERP stand-in's state.
    pub fn flow(&self) -> &Arc<flow::FlowState> {
        &self.hub.flow
    }

    /// The ETA stand-in's state.
    pub fn eta(&self) -> &Arc<eta::EtaState> {
        &self.hub.eta
    }

    /// The Shopify stand-in's state.
    pub fn shopify(&self) -> &Arc<shopify::ShopifyState> {
        &self.hub.shopify
    }

    /// Everything the stand-ins hold (the body of `GET /__admin/dump`).
    pub fn dump(&self) -> Value {
        self.hub.dump()
    }

    /// Counters of every service (the body of `GET /__admin/stats`).
    pub fn stats(&self) -> Value {
        self.hub.stats()
    }

    /// Generates `n` more Shopify orders (as `POST /__admin/shopify/orders?n=N`).
    ///
    /// # Errors
    /// The reason, when the Shopify stand-in cannot generate orders.
    pub fn generate_orders(&self, n: usize) -> Result<usize, String> {
        self.hub.generate_orders(n)
    }

    /// Creates a return (and exchange) of a Shopify order (as
    /// `POST /__admin/shopify/returns`; see [`shopify::ShopifyState::create_return`]).
    ///
    /// # Errors
    /// Why the return was refused.
    pub fn create_return(&self, spec: &shopify::NewReturn) -> Result<Value, String> {
        self.hub.shopify.create_return(spec)
    }

    /// Stops the three servers: no new connections, open ones may finish (up to 5 s).
    pub async fn shutdown(self) {
        tokio::join!(
            self.shopify.shutdown(),
            self.flow.shutdown(),
            self.eta.shutdown()
        );
    }
}
