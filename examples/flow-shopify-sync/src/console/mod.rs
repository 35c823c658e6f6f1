//! The operator console: server-rendered pages under `/console` on the daemon's listener, for
//! the merchant's accountant or operations clerk rather than for a developer.
//!
//! Off unless `[[console.operators]]` are configured. Pages (one module each): overview,
//! orders (search and one order's story), needs attention (parked jobs by missing mapping,
//! dead letters with retry, edit-and-retry and dismiss), receipts, reconciliation and sync
//! now. HTML comes from [`maud`] templates (escaped by default, checked at compile time), with
//! inline CSS and no script: it reads on a phone and needs no JavaScript build.
//!
//! Access ([`auth`]): an Argon2 password hash per operator, a random session id in an
//! `HttpOnly`, `SameSite=Strict` cookie (`Secure` behind TLS), a CSRF token in every form
//! (a POST without it is refused with 403), sign-in attempts rate-limited, and two roles:
//! `read_only` sees, `operator` acts. Every action is written to the audit log with the
//! operator's name (system `console`, kind `operator_action`).

mod attention;
pub mod auth;
mod layout;
mod orders;
mod overview;
pub(crate) mod receipts;
mod reconcile;
mod sync;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use sync_core::engine::Engine;
use sync_core::store::{AuditEntry, Direction};

use crate::config::ConsoleSection;

pub(crate) use attention::remedy;

/// What every console page needs.
#[derive(Clone)]
pub struct Console {
    pub(crate) engine: Arc<Engine>,
    pub(crate) shopify: Option<shopify_client::ShopifyClient>,
    pub(crate) locations: Arc<LocationNames>,
    pub(crate) auth: Arc<auth::Auth>,
    pub(crate) days: Arc<reconcile::DayCache>,
    pub(crate) runs: Arc<sync::Runs>,
    /// Which ETA portal a receipt's QR code and link open.
    pub(crate) portal: eta_ereceipt::qr::Portal,
    /// Where a gateway's payment method can be added (`eta.payment_methods_file`), if set.
    pub(crate) gateways: Option<Arc<crate::gateways::GatewayMappings>>,
}

/// Flow store number → location name, for the stock drift table.
pub type LocationNames = std::collections::BTreeMap<String, String>;

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console over `engine` for the operators of `section`; `shopify` (when given) reports
    /// its API version on the overview; `locations` names the stock drift's locations.
    pub fn new(
        engine: Arc<Engine>,
        shopify: Option<shopify_client::ShopifyClient>,
        locations: LocationNames,
        section: &ConsoleSection,
    ) -> Console {
        Console {
            engine,
            shopify,
            locations: Arc::new(locations),
            auth: Arc::new(auth::Auth::new(section)),
            days: Arc::default(),
            runs: Arc::default(),
            portal: eta_ereceipt::qr::Portal::Production,
            gateways: None,
        }
    }

    /// The console the daemon serves for `config` over `engine` and the clients of `wired`:
    /// the configured operators, the locations' names (ids when Shopify cannot say them),
    /// the ETA environment's portal and the gateway mappings file.
    pub async fn for_daemon(
        config: &crate::config::Config,
        engine: Arc<Engine>,
        wired: &crate::wiring::Wired,
    ) -> Console {
        let locations = wired.location_names().await.unwrap_or_else(|error| {
            tracing::warn!(%error, "location names unavailable: the console shows location ids");
            Default::default()
        });
        Console::new(
            engine,
            Some(wired.shopify.clone()),
            locations,
            &config.console,
        )
        .with_portal(wired.eta.environment().portal())
        .with_gateways(wired.gateways.clone())
    }

    /// Sets the ETA portal that receipts' QR codes and links open (default production): the
    /// one of the configured `eta.environment`.
    pub fn with_portal(mut self, portal: eta_ereceipt::qr::Portal) -> Console {
        self.portal = portal;
        self
    }

    /// Lets operators add a payment gateway's ETA method on the "Needs attention" page
    /// (kept in `gateways`' file, applied to the running adapter). Without it the page says
    /// to add the mapping to the configuration and restart.
    pub fn with_gateways(
        mut self,
        gateways: Option<Arc<crate::gateways::GatewayMappings>>,
    ) -> Console {
        self.gateways = gateways;
        self
    }

    /// Records an operator's action in the audit log (system `console`, kind
    /// `operator_action`, keyed by what it touched). A failure to record is logged.
    pub(crate) async fn record(
        &self,
        operator: &str,
        action: &str,
        key: &str,
        detail: serde_json::Value,
    ) {
        let entry = AuditEntry {
            scope: self.engine.config().scope.clone(),
            direction: Direction::Inbound,
            system: "console".to_owned(),
            kind: "operator_action".to_owned(),
            key: key.to_owned(),
            payload: serde_json::json!({
                "operator": operator,
                "action": action,
                "detail": detail,
            }),
        };
        if let Err(error) = self.engine.store().audit(&entry).await {
            tracing::warn!(%error, action, "the console action could not be written to the audit log");
        }
        tracing::info!(operator, action, key, "console action");
    }
}

/// The console's routes, all under `/console`, to be merged into the daemon's router.
pub fn router(console: Console) -> Router {
    Router::new()
        .route("/console", get(overview::page))
        .route("/console/", get(overview::page))
        .route("/console/login", get(auth::login_page).post(auth::login))
        .route("/console/logout", post(auth::logout))
        .route("/console/orders", get(orders::search))
        .route("/console/orders/story", get(orders::story))
        .route("/console/attention", get(attention::page))
        .route("/console/attention/mapping", post(attention::add_mapping))
        .route("/console/attention/jobs/{id}", get(attention::job))
        .route("/console/attention/jobs/{id}/retry", post(attention::retry))
        .route(
            "/console/attention/jobs/{id}/edit",
            post(attention::edit_and_retry),
        )
        .route(
            "/console/attention/jobs/{id}/dismiss",
            post(attention::dismiss),
        )
        .route("/console/receipts", get(receipts::page))
        .route("/console/reconciliation", get(reconcile::page))
        .route("/console/sync", get(sync::page).post(sync::run))
        .with_state(console)
}
