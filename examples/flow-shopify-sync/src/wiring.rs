//! Builds the three clients and their adapters from the configuration, and opens the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use shopify_client::ops::webhooks::WebhookSubscriptionTopic;
use sync_core::connector::StorefrontCatalog;
use sync_core::engine::{Connectors, WebhookError, WebhookEvent, WebhookVerifier};
use sync_core::model::{LocationId, OrderId};
use sync_core::secret::{ExposeSecret, SecretString};
use sync_core::store::StateStore;

use crate::config::{Config, parse_section};

/// `[shopify]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShopifySection {
    /// `name.myshopify.com`. Required.
    shop: String,
    /// Base URL override (tests, the sandbox).
    base_url: Option<String>,
    /// API version. Default: the client's pinned version.
    api_version: Option<String>,
    /// Static Admin API token (from `access_token_env` / `access_token_file`).
    access_token: Option<SecretString>,
    /// Client id of a Dev Dashboard app (client-credentials grant).
    client_id: Option<String>,
    /// Its client secret (from `client_secret_env` / `client_secret_file`).
    client_secret: Option<SecretString>,
    /// Webhook HMAC key (default: the client secret).
    webhook_secret: Option<SecretString>,
    /// The customer metafield (`namespace.key`) order reads ask for as a buyer id. Default
    /// `custom.eta_buyer_id`.
    buyer_id_metafield: Option<String>,
}

/// `[eta]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EtaSection {
    /// `preprod` (default) or `prod`.
    #[serde(default = "preprod")]
    environment: String,
    /// Identity host override.
    identity_url: Option<String>,
    /// API host override.
    api_url: Option<String>,
    /// Client id of the POS device registered with ETA. Required, unless `devices` lists
    /// the devices.
    client_id: Option<String>,
    /// Its client secret (from `client_secret_env` / `client_secret_file`). Required, unless
    /// `devices` lists the devices.
    client_secret: Option<SecretString>,
    /// The POS device's serial number, sent as `posserial` (= `seller.deviceSerialNumber`).
    /// Required, unless `devices` lists the devices.
    pos_serial: Option<String>,
    /// The POS operating system version, sent as `pososversion`. Default `os`.
    #[serde(default = "os")]
    pos_os_version: String,
    /// The POS model framework, sent as `posmodelframework`. Default `1`.
    #[serde(default = "one")]
    pos_model_framework: String,
    /// The device's pre-shared key (from `preshared_key_env` / `preshared_key_file`).
    /// Required, unless `devices` lists the devices.
    preshared_key: Option<SecretString>,
    /// Several POS devices (`[[eta.devices]]`), each with its own chain, in place of the
    /// single device above.
    #[serde(default)]
    devices: Vec<EtaDeviceSection>,
    /// Shop payment gateway → ETA payment method code (C, V, CC, VC, VO, PR, GC, P, O).
    #[serde(default)]
    payment_methods: BTreeMap<String, String>,
    /// The method of gateways not listed; without it they park until mapped.
    default_payment_method: Option<String>,
    /// A file of more `gateway = "code"` mappings (relative to the configuration's folder),
    /// read at start; the console adds to it while the daemon runs (`src/gateways.rs`).
    /// Without it, a gateway is mapped only in `payment_methods`.
    payment_methods_file: Option<std::path::PathBuf>,
    /// The issuer, with ETA's field names (`rin`, `companyTradeName`, `branchCode`,
    /// `branchAddress`, `deviceSerialNumber`, `activityCode`).
    seller: eta_ereceipt::model::Seller,
    /// Where each item's ETA code comes from, and whether codes are checked at ETA.
    #[serde(default)]
    item_codes: crate::eta_codes::ItemCodesSection,
    /// Where a receipt's buyer id and type come from.
    #[serde(default)]
    buyer: crate::eta_buyer::BuyerSection,
}

/// `[[eta.devices]]`: one POS device registered with ETA and the orders routed to it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EtaDeviceSection {
    /// Its serial number (`posserial`, `seller.deviceSerialNumber`).
    pos_serial: String,
    /// Its client id.
    client_id: String,
    /// Its client secret (from `client_secret_env` / `client_secret_file`).
    client_secret: SecretString,
    /// Its pre-shared key (from `preshared_key_env` / `preshared_key_file`).
    preshared_key: SecretString,
    /// Its OS version (`pososversion`). Default: `eta.pos_os_version`.
    pos_os_version: Option<String>,
    /// Its model framework (`posmodelframework`). Default: `eta.pos_model_framework`.
    pos_model_framework: Option<String>,
    /// Its branch (`seller.branchCode`). Default: `eta.seller.branchCode`.
    branch_code: Option<String>,
    /// Shopify channels (`sourceName`: `web`, `pos`, an app's) whose orders it takes.
    #[serde(default)]
    sources: Vec<String>,
    /// Shopify locations (ids or names) whose point-of-sale orders it takes.
    #[serde(default)]
    locations: Vec<String>,
    /// Takes the orders no route names (one device at most; default: the first listed).
    #[serde(default)]
    default: bool,
}

/// One ETA device as wired: its adapter, client and routes (locations not resolved yet).
pub struct WiredDevice {
    /// The adapter issuing on its chain.
    pub authority: Arc<dyn sync_core::connector::TaxAuthority>,
    /// Its client (token checks).
    pub client: eta_ereceipt::client::EtaClient,
    /// Channels routed to it.
    pub sources: Vec<String>,
    /// Locations (ids or names) routed to it.
    pub locations: Vec<String>,
}

impl std::fmt::Debug for WiredDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WiredDevice")
            .field("device", &self.authority.device())
            .field("sources", &self.sources)
            .field("locations", &self.locations)
            .finish_non_exhaustive()
    }
}

fn preprod() -> String {
    "preprod".to_owned()
}
fn os() -> String {
    "os".to_owned()
}
fn one() -> String {
    "1".to_owned()
}

/// The connectors and what else the binary needs of the clients.
pub struct Wired {
    /// The engine's connectors.
    pub connectors: Connectors,
    /// Shopify's webhook check, when a secret is configured.
    pub verifier: Option<Arc<dyn WebhookVerifier>>,
    /// The Shopify client behind the storefront connectors.
    pub shopify: shopify_client::ShopifyClient,
    /// The Flow client behind the ERP connectors.
    pub flow: flow_erp_client::FlowClient,
    /// The ETA client of the default device.
    pub eta: eta_ereceipt::client::EtaClient,
    /// Every ETA device, the default first.
    pub devices: Vec<WiredDevice>,
    /// What the `eta-codes` screen needs (the ETA mapping and where codes come from).
    pub eta_codes: crate::eta_codes::EtaCodesSetup,
    /// Where the console adds gateway mappings (`eta.payment_methods_file`), if set.
    pub gateways: Option<Arc<crate::gateways::GatewayMappings>>,
}

impl std::fmt::Debug for Wired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wired")
            .field("connectors", &self.connectors)
            .field("webhooks", &self.verifier.is_some())
            .finish_non_exhaustive()
    }
}

impl Wired {
    /// The topics the engine acts on that `uri` is not subscribed to yet, by name.
    ///
    /// # Errors
    ///
    /// When Shopify refuses or cannot be reached.
    pub async fn missing_webhooks(&self, uri: &str) -> Result<Vec<WebhookSubscriptionTopic>> {
        let existing = self
            .shopify
            .all_webhook_subscriptions()
            .await
            .with_context(|| {
                format!(
                    "Shopify at {}: listing webhook subscriptions",
                    self.shopify.shop()
                )
            })?;
        Ok(webhook_topics()
            .into_iter()
            .filter(|topic| {
                let name = format!("{topic:?}");
                !existing
                    .iter()
                    .any(|s| s.uri == uri && format!("{:?}", s.topic) == name)
            })
            .collect())
    }

    /// Subscribes `uri` to the order, refund and return topics the engine acts on, skipping topics
    /// already subscribed to it; returns how many subscriptions were created.
    ///
    /// # Errors
    ///
    /// When Shopify refuses or cannot be reached.
    pub async fn register_webhooks(&self, uri: &str) -> Result<usize> {
        let missing = self.missing_webhooks(uri).await?;
        for topic in &missing {
            self.shopify
                .create_webhook_subscription(topic.clone(), uri)
                .await
                .with_context(|| format!("subscribing {uri} to {topic:?}"))?;
        }
        Ok(missing.len())
    }

    /// The Shopify store's id, name, domain and currency, and the API version called.
    ///
    /// # Errors
    ///
    /// When Shopify cannot be read.
    pub async fn store_info(&self) -> Result<crate::screens::StoreIdReport> {
        let shop = self
            .shopify
            .shop_info()
            .await
            .with_context(|| format!("Shopify at {}: reading the shop", self.shopify.shop()))?;
        let version = self.shopify.version_status();
        let currency = serde_json::to_value(&shop.currency_code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", shop.currency_code));
        Ok(crate::screens::StoreIdReport {
            shop_id: shop.id.to_string(),
            name: shop.name,
            domain: shop.myshopify_domain,
            currency,
            api_version: version.version,
            api_version_retires_on: version.retires_on,
            api_version_days_left: version.days_left,
        })
    }

    /// The storefront's locations, id → name (inactive ones included).
    ///
    /// # Errors
    ///
    /// When Shopify cannot be read.
    pub async fn location_names(&self) -> Result<std::collections::BTreeMap<String, String>> {
        let locations = self
            .connectors
            .storefront_catalog
            .locations()
            .await
            .with_context(|| format!("Shopify at {}: reading locations", self.shopify.shop()))?;
        Ok(locations
            .into_iter()
            .map(|l| (l.id.to_string(), l.name))
            .collect())
    }
}

/// The webhook topics the engine acts on: orders, refunds and returns (as hints: every pass
/// reads the orders anyway).
pub fn webhook_topics() -> Vec<WebhookSubscriptionTopic> {
    use WebhookSubscriptionTopic as T;
    vec![
        T::ORDERS_CREATE,
        T::ORDERS_UPDATED,
        T::ORDERS_CANCELLED,
        T::REFUNDS_CREATE,
        T::RETURNS_REQUEST,
        T::RETURNS_APPROVE,
        T::RETURNS_PROCESS,
        T::RETURNS_CLOSE,
    ]
}

/// Shopify's webhook HMAC check behind the engine's verifier trait.
struct ShopifyWebhooks {
    secret: SecretString,
}

impl WebhookVerifier for ShopifyWebhooks {
    fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        use shopify_client::webhook::{WebhookDelivery, WebhookPayload};
        let delivery =
            WebhookDelivery::verify(headers, body, self.secret.expose_secret().as_bytes())
                .map_err(|e| match e {
                    shopify_client::webhook::WebhookError::BadSignature
                    | shopify_client::webhook::WebhookError::MissingHeader(
                        "X-Shopify-Hmac-Sha256",
                    ) => WebhookError::Unauthorized,
                    other => WebhookError::Malformed(other.to_string()),
                })?;
        let order_id = match delivery
            .payload(body)
            .map_err(|e| WebhookError::Malformed(e.to_string()))?
        {
            WebhookPayload::Order(order) => Some(order.admin_graphql_api_id),
            WebhookPayload::Refund(refund) => {
                Some(format!("gid://shopify/Order/{}", refund.order_id))
            }
            // A return changes its order (refunds, exchange lines): re-read the order.
            WebhookPayload::Return(ret) => ret.order_gid(),
            _ => None,
        };
        let event_id = delivery.event_id.or(delivery.webhook_id).ok_or_else(|| {
            WebhookError::Malformed("no X-Shopify-Event-Id or X-Shopify-Webhook-Id".to_owned())
        })?;
        Ok(WebhookEvent {
            event_id,
            topic: delivery.topic,
            order_id: order_id.map(OrderId::from),
        })
    }
}

/// Builds every connector from the configuration; resolves location names.
///
/// # Errors
///
/// When a section is invalid; the message names the key and what is expected.
pub async fn connect(config: &Config) -> Result<Wired> {
    // Shopify.
    let s: ShopifySection = parse_section("shopify", &config.shopify)?;
    let auth = match (&s.access_token, &s.client_id, &s.client_secret) {
        (Some(token), _, _) => shopify_client::Auth::AccessToken(token.clone()),
        (None, Some(id), Some(secret)) => shopify_client::Auth::ClientCredentials {
            client_id: id.clone(),
            client_secret: secret.clone(),
        },
        _ => bail!(
            "shopify: give access_token_env/access_token_file, or client_id with client_secret_env/client_secret_file"
        ),
    };
    let mut builder = shopify_client::ShopifyClient::builder(s.shop.clone(), auth);
    if let Some(url) = &s.base_url {
        builder = builder.base_url(url.clone());
    }
    if let Some(version) = &s.api_version {
        builder = builder.api_version(version.clone());
    }
    let buyer_metafield = crate::eta_buyer::metafield(s.buyer_id_metafield.as_deref())?;
    builder = builder.buyer_id_metafield(buyer_metafield.0.clone(), buyer_metafield.1.clone());
    let shopify = builder.build().map_err(|e| anyhow!("shopify: {e}"))?;
    // The client's page sizes: each query's requested cost sized for typical data
    // (`docs/shopify.md`, query cost budgets), long orders completed by cursor.
    let storefront_config = shopify_client::adapter::StorefrontConfig::default();
    let storefront = Arc::new(shopify_client::adapter::ShopifyStorefront::new(
        shopify.clone(),
        storefront_config,
    ));
    let verifier = s
        .webhook_secret
        .clone()
        .or_else(|| s.client_secret.clone())
        .map(|secret| Arc::new(ShopifyWebhooks { secret }) as Arc<dyn WebhookVerifier>);

    // Flow ERP.
    let text = toml::to_string(&config.flow).map_err(|e| anyhow!("flow: {e}"))?;
    let mut flow_config =
        flow_erp_client::FlowConfig::from_toml_str(&text).map_err(|e| anyhow!("flow: {e}"))?;
    flow_config.base_dir = Some(config.base_dir.clone());
    let flow = flow_erp_client::FlowClient::builder(flow_config)
        .build()
        .map_err(|e| anyhow!("flow: {e}"))?;
    let erp = Arc::new(flow_erp_client::adapter::FlowErp::new(flow.clone()));

    // ETA.
    let e: EtaSection = parse_section("eta", &eta_table(&config.eta))?;
    let env = match e.environment.as_str() {
        "preprod" => eta_ereceipt::client::Environment::Preproduction,
        "prod" => eta_ereceipt::client::Environment::Production,
        other => bail!("eta.environment: expected \"preprod\" or \"prod\", got {other:?}"),
    };
    let mut mapping = eta_ereceipt::mapping::MappingConfig::new(e.seller.rin.clone());
    for (gateway, code) in &e.payment_methods {
        let method: eta_ereceipt::codes::PaymentMethod = code
            .parse()
            .map_err(|err| anyhow!("eta.payment_methods.{gateway}: {err}"))?;
        mapping = mapping.gateway(gateway, method);
    }
    let gateways_file = e
        .payment_methods_file
        .as_ref()
        .map(|file| config.base_dir.join(file));
    if let Some(file) = &gateways_file {
        for (gateway, method) in crate::gateways::read(file)? {
            let configured = e
                .payment_methods
                .iter()
                .find(|(g, _)| g.to_lowercase() == gateway);
            if let Some((g, code)) = configured
                && code.as_str() != method.code()
            {
                return Err(anyhow!(
                    "eta.payment_methods.{g} = {code:?} and {} says {gateway} = {:?}: keep one",
                    file.display(),
                    method.code()
                ));
            }
            mapping = mapping.gateway(&gateway, method);
        }
    }
    if let Some(code) = &e.default_payment_method {
        let method: eta_ereceipt::codes::PaymentMethod = code
            .parse()
            .map_err(|err| anyhow!("eta.default_payment_method: {err}"))?;
        mapping = mapping.default_method(method);
    }
    mapping.item_codes = crate::eta_codes::item_codes(&e.item_codes, &config.base_dir)?;
    mapping.buyer = crate::eta_buyer::rules(&e.buyer, &buyer_metafield)?;
    let sku_source = flow.config().catalog.sku;
    let eta_codes = crate::eta_codes::setup(&e.item_codes, mapping.clone(), sku_source);
    let refresh = crate::eta_codes::refresh(&e.item_codes);
    let mut devices = Vec::new();
    // The adapters themselves, for the gateway mappings the console adds to each.
    let mut adapters = Vec::new();
    for device in eta_devices(&e)? {
        let credentials = eta_ereceipt::client::PosCredentials::new(
            device.client_id.clone(),
            device.client_secret.expose_secret(),
            device.pos_serial.clone(),
            device.pos_os_version.clone(),
            device.pos_model_framework.clone(),
            device.preshared_key.expose_secret(),
        );
        let mut eta_builder = eta_ereceipt::client::EtaClient::builder(env, credentials);
        if let Some(url) = &e.identity_url {
            eta_builder = eta_builder.identity_url(url.clone());
        }
        if let Some(url) = &e.api_url {
            eta_builder = eta_builder.api_url(url.clone());
        }
        let eta = eta_builder
            .build()
            .map_err(|err| anyhow!("{}: {err}", device.key))?;
        let mut seller = e.seller.clone();
        seller.device_serial_number = device.pos_serial.clone();
        if let Some(branch) = &device.branch_code {
            seller.branch_code = branch.clone();
        }
        let mut authority =
            eta_ereceipt::adapter::EtaTaxAuthority::new(eta.clone(), seller, mapping.clone());
        if crate::eta_codes::check_registered(&e.item_codes) {
            authority = authority.with_code_check(
                eta_ereceipt::code_check::CodeCheck::new(eta.clone())
                    .with_intervals(refresh, std::time::Duration::from_secs(60)),
            );
        }
        if let Some(source) = crate::eta_codes::flow_source(&e.item_codes, &flow, sku_source) {
            authority = authority.with_code_source(source, refresh);
        }
        let authority = Arc::new(authority);
        adapters.push(authority.clone());
        devices.push(WiredDevice {
            authority,
            client: eta,
            sources: device.sources,
            locations: device.locations,
        });
    }
    let gateways =
        gateways_file.map(|file| Arc::new(crate::gateways::GatewayMappings::new(file, adapters)));
    let tax = devices[0].authority.clone();
    let eta = devices[0].client.clone();

    let connectors = Connectors {
        erp_catalog: erp.clone(),
        erp_sales: erp,
        storefront_catalog: storefront.clone(),
        storefront_orders: storefront,
        tax,
    };
    Ok(Wired {
        connectors,
        verifier,
        shopify,
        flow,
        eta,
        devices,
        eta_codes,
        gateways,
    })
}

/// `[eta]` as its parser reads it: with `[[eta.devices]]`, the seller's device serial number
/// is each device's, so it may be left out of `[eta.seller]`.
fn eta_table(eta: &toml::Table) -> toml::Table {
    let mut table = eta.clone();
    if table.contains_key("devices")
        && let Some(toml::Value::Table(seller)) = table.get_mut("seller")
    {
        seller
            .entry("deviceSerialNumber")
            .or_insert_with(|| toml::Value::String(String::new()));
    }
    table
}

/// One device of `[eta]`, from the list or from the single-device keys.
struct DeviceSettings {
    key: String,
    pos_serial: String,
    client_id: String,
    client_secret: SecretString,
    preshared_key: SecretString,
    pos_os_version: String,
    pos_model_framework: String,
    branch_code: Option<String>,
    sources: Vec<String>,
    locations: Vec<String>,
}

/// The devices `[eta]` configures, the default first: the `[[eta.devices]]` list, or the one
/// device of `eta.client_id`, `eta.pos_serial` and their secrets (the form before devices
/// were a list, still accepted as a list of one).
fn eta_devices(e: &EtaSection) -> Result<Vec<DeviceSettings>> {
    if e.devices.is_empty() {
        let missing = |key: &str| {
            anyhow!(
                "eta.{key}: required (or list the devices as [[eta.devices]], each with its own \
                 pos_serial, client_id and secrets)"
            )
        };
        let pos_serial = e.pos_serial.clone().ok_or_else(|| missing("pos_serial"))?;
        if e.seller.device_serial_number != pos_serial {
            bail!(
                "eta.seller.deviceSerialNumber: must equal eta.pos_serial ({pos_serial}), the device the token is for"
            );
        }
        return Ok(vec![DeviceSettings {
            key: "eta".to_owned(),
            pos_serial,
            client_id: e.client_id.clone().ok_or_else(|| missing("client_id"))?,
            client_secret: e
                .client_secret
                .clone()
                .ok_or_else(|| missing("client_secret_env"))?,
            preshared_key: e
                .preshared_key
                .clone()
                .ok_or_else(|| missing("preshared_key_env"))?,
            pos_os_version: e.pos_os_version.clone(),
            pos_model_framework: e.pos_model_framework.clone(),
            branch_code: None,
            sources: Vec::new(),
            locations: Vec::new(),
        }]);
    }
    for (key, given) in [
        ("client_id", e.client_id.is_some()),
        ("client_secret", e.client_secret.is_some()),
        ("pos_serial", e.pos_serial.is_some()),
        ("preshared_key", e.preshared_key.is_some()),
    ] {
        if given {
            bail!(
                "eta.{key}: give the devices either as eta.client_id, eta.pos_serial and their \
                 secrets (one device) or as [[eta.devices]], not both"
            );
        }
    }
    if !e.seller.device_serial_number.is_empty() {
        bail!(
            "eta.seller.deviceSerialNumber: with [[eta.devices]], each device's pos_serial is its \
             deviceSerialNumber; leave it out of [eta.seller]"
        );
    }
    let defaults: Vec<usize> = (0..e.devices.len())
        .filter(|i| e.devices[*i].default)
        .collect();
    if defaults.len() > 1 {
        bail!(
            "eta.devices[{}].default: only one device takes the orders no route names (eta.devices[{}] does already)",
            defaults[1],
            defaults[0]
        );
    }
    let first = defaults.first().copied().unwrap_or(0);
    let mut order: Vec<usize> = vec![first];
    order.extend((0..e.devices.len()).filter(|i| *i != first));
    let mut out = Vec::with_capacity(order.len());
    for i in order {
        let d = &e.devices[i];
        let key = format!("eta.devices[{i}]");
        if d.pos_serial.trim().is_empty() || d.pos_serial.len() > 100 {
            bail!("{key}.pos_serial: 1 to 100 characters (the serial ETA registered)");
        }
        if d.client_id.trim().is_empty() {
            bail!("{key}.client_id: must not be empty");
        }
        if let Some(other) = out
            .iter()
            .find(|o: &&DeviceSettings| o.pos_serial == d.pos_serial)
        {
            bail!(
                "{key}.pos_serial: {} is listed twice ({} has it)",
                d.pos_serial,
                other.key
            );
        }
        out.push(DeviceSettings {
            key,
            pos_serial: d.pos_serial.clone(),
            client_id: d.client_id.clone(),
            client_secret: d.client_secret.clone(),
            preshared_key: d.preshared_key.clone(),
            pos_os_version: d
                .pos_os_version
                .clone()
                .unwrap_or_else(|| e.pos_os_version.clone()),
            pos_model_framework: d
                .pos_model_framework
                .clone()
                .unwrap_or_else(|| e.pos_model_framework.clone()),
            branch_code: d.branch_code.clone(),
            sources: d.sources.clone(),
            locations: d.locations.clone(),
        });
    }
    Ok(out)
}

/// The engine's tax devices: every wired device with its routes, Shopify location names
/// resolved to ids (a GID is checked for its form).
///
/// # Errors
///
/// When a location matches none of the shop's, or one location or channel is routed to two
/// devices.
pub async fn tax_devices(wired: &Wired) -> Result<sync_core::engine::TaxDevices> {
    let mut devices = sync_core::engine::TaxDevices::single(wired.devices[0].authority.clone());
    for (i, device) in wired.devices.iter().enumerate() {
        let names: BTreeMap<String, String> = device
            .locations
            .iter()
            .map(|l| (l.clone(), l.clone()))
            .collect();
        let resolved = if names.is_empty() {
            BTreeMap::new()
        } else {
            resolve_locations(wired.connectors.storefront_catalog.as_ref(), &names)
                .await
                .with_context(|| {
                    format!(
                        "eta.devices: locations of device {}",
                        device.authority.device()
                    )
                })?
        };
        let route = sync_core::engine::DeviceRoute {
            sources: device.sources.clone(),
            locations: resolved.into_values().collect(),
        };
        devices = if i == 0 {
            devices.with_default_route(route)
        } else {
            devices.with_device(device.authority.clone(), route)
        }
        .map_err(|err| anyhow!("eta.devices: {err}"))?;
    }
    Ok(devices)
}

/// Replaces location names in the engine's map by the storefront's ids; an id given as a GID
/// is checked for its form (`gid://shopify/Location/<digits>`) here, at start, not at the
/// first stock write.
///
/// # Errors
///
/// When the locations cannot be read, a name matches none of them, or a GID is malformed.
pub async fn resolve_locations(
    storefront: &dyn StorefrontCatalog,
    map: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, LocationId>> {
    for (store, target) in map {
        if target.starts_with("gid://") {
            shopify_client::gid::LocationGid::parse(&format!("engine.locations.{store}"), target)
                .map_err(|e| anyhow!("{e}"))?;
        }
    }
    if map.values().all(|v| v.starts_with("gid://")) {
        return Ok(map
            .iter()
            .map(|(store, id)| (store.clone(), LocationId::new(id.as_str())))
            .collect());
    }
    let locations = storefront
        .locations()
        .await
        .map_err(|e| anyhow!("reading Shopify locations: {e}"))?;
    let mut out = BTreeMap::new();
    for (store, target) in map {
        let id = if target.starts_with("gid://") {
            LocationId::new(target.as_str())
        } else {
            locations
                .iter()
                .find(|l| &l.name == target)
                .map(|l| l.id.clone())
                .ok_or_else(|| anyhow!("engine.locations.{store}: no Shopify location named {target:?} (known: {})", locations.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")))?
        };
        out.insert(store.clone(), id);
    }
    Ok(out)
}

/// Opens the state store named by `url` and prepares its schema.
///
/// # Errors
///
/// When the URL is neither SQLite nor PostgreSQL, or the store cannot be opened or migrated.
pub async fn open_store(url: &str) -> Result<Arc<dyn StateStore>> {
    let store: Arc<dyn StateStore> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(
                sync_core::store::PostgresStore::connect(url)
                    .await
                    .context("store.url: cannot connect to PostgreSQL")?,
            )
        } else if url.starts_with("sqlite:") {
            Arc::new(
                sync_core::store::SqliteStore::open(url)
                    .await
                    .with_context(|| format!("store.url: cannot open {url}"))?,
            )
        } else {
            bail!("store.url: expected sqlite://PATH or postgres://…, got {url:?}");
        };
    store
        .migrate()
        .await
        .context("store: migrating the schema")?;
    Ok(store)
}
