//! `config check`: reads the configuration, then checks each system in turn (reachable,
//! credentials accepted, what the configuration names exists there) and reports one line per
//! check with what to fix.
//!
//! A check that cannot run because an earlier one failed (no client without a valid
//! configuration) is not listed; every system is checked even when another one fails, since an
//! operator setting up a site wants the whole list at once.

use std::path::Path;

use flow_erp_client::config::SkuSource;
use flow_erp_client::{FlowClient, Record};
use serde::Serialize;
use shopify_client::scopes;
use sync_core::error::{Classify, OutageCause};

use crate::config::Config;
use crate::screens::{Screen, Status, Table};
use crate::wiring::{self, Wired};

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `config`, `store`, `shopify`, `flow` or `eta`.
    pub system: String,
    /// What was checked (`credentials`, `locations`…).
    pub check: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found (on success) or what went wrong.
    pub detail: String,
    /// What to do about a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The report of `config check`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// How many failed.
    pub failed: usize,
}

impl CheckReport {
    fn pass(&mut self, system: &str, check: &str, detail: impl Into<String>) {
        self.push(system, check, Ok(detail.into()), "");
    }

    /// A failed call of a system: the fix depends on whether the host could not be reached,
    /// refused the credentials, or failed otherwise.
    fn call_failed<E: Classify + std::fmt::Display>(
        &mut self,
        system: &str,
        check: &str,
        error: &E,
        fixes: Fixes<'_>,
    ) {
        let fix = match error.outage().map(|o| o.cause) {
            Some(OutageCause::Unreachable) => fixes.unreachable,
            Some(OutageCause::Unauthenticated) => fixes.credentials,
            None => fixes.other,
        };
        self.push(system, check, Err(error.to_string()), fix);
    }

    fn push(&mut self, system: &str, check: &str, outcome: Result<String, String>, fix: &str) {
        let ok = outcome.is_ok();
        if !ok {
            self.failed += 1;
        }
        self.checks.push(Check {
            system: system.to_owned(),
            check: check.to_owned(),
            ok,
            detail: outcome.unwrap_or_else(|e| e),
            fix: (!ok && !fix.is_empty()).then(|| fix.to_owned()),
        });
    }
}

/// What to fix, by how a call failed.
struct Fixes<'a> {
    unreachable: &'a str,
    credentials: &'a str,
    other: &'a str,
}

impl Screen for CheckReport {
    fn lines(&self) -> Vec<String> {
        let mut table = Table::new(&["", "SYSTEM", "CHECK", "RESULT"]);
        for c in &self.checks {
            let detail = match &c.fix {
                Some(fix) => format!("{}; fix: {fix}", c.detail),
                None => c.detail.clone(),
            };
            table.row(vec![
                if c.ok { "ok" } else { "FAIL" }.to_owned(),
                c.system.clone(),
                c.check.clone(),
                detail,
            ]);
        }
        let mut lines = table.lines();
        lines.push(if self.failed == 0 {
            format!("all {} checks passed", self.checks.len())
        } else {
            format!("{} of {} checks failed", self.failed, self.checks.len())
        });
        lines
    }

    /// Attention when any check failed.
    fn status(&self) -> Status {
        if self.failed == 0 {
            Status::Ok
        } else {
            Status::Attention
        }
    }
}

/// Runs every check for the configuration at `path`.
pub async fn run(path: &Path) -> CheckReport {
    let mut report = CheckReport::default();
    let config = match Config::load(path) {
        Ok(config) => {
            report.pass("config", "file", format!("{} read", path.display()));
            config
        }
        Err(error) => {
            report.push(
                "config",
                "file",
                Err(format!("{error:#}")),
                "correct the key named (docs/configuration.md lists every key)",
            );
            return report;
        }
    };
    let store = wiring::open_store(&config.store_url()).await;
    report.push(
        "store",
        "open",
        store
            .map(|_| "opened and its schema is current".to_owned())
            .map_err(|e| format!("{e:#}")),
        "check store.url, its folder's permissions or the PostgreSQL server and password",
    );
    let wired = match wiring::connect(&config).await {
        Ok(wired) => wired,
        Err(error) => {
            report.push(
                "config",
                "clients",
                Err(format!("{error:#}")),
                "correct the key named",
            );
            return report;
        }
    };
    shopify(&mut report, &config, &wired).await;
    flow(&mut report, &wired).await;
    eta(&mut report, &wired).await;
    report
}

async fn shopify(report: &mut CheckReport, config: &Config, wired: &Wired) {
    let host = wired.shopify.shop().to_owned();
    match wired.shopify.shop_info().await {
        Ok(shop) => report.pass(
            "shopify",
            "credentials",
            format!("{host}: accepted ({})", shop.name),
        ),
        Err(error) => {
            report.call_failed(
                "shopify",
                "credentials",
                &error,
                Fixes {
                    unreachable: "check shopify.shop (and shopify.base_url), the network and any proxy",
                    credentials: "check the access token or client credentials, and that the app is installed on this shop",
                    other: "see the error; `--log debug` shows each request",
                },
            );
            return;
        }
    }
    scopes(report, wired).await;
    let version = wired.shopify.version_status();
    report.push(
        "shopify",
        "api version",
        if version.needs_attention() {
            Err(version.to_string())
        } else {
            Ok(version.to_string())
        },
        "move shopify.api_version to a newer version (docs/shopify.md says how)",
    );
    let locations = wiring::resolve_locations(
        wired.connectors.storefront_catalog.as_ref(),
        &config.engine.locations,
    )
    .await;
    report.push(
        "shopify",
        "locations",
        locations
            .map(|found| format!("{} Flow store(s) mapped to Shopify locations", found.len()))
            .map_err(|e| format!("{e:#}")),
        "name existing Shopify locations in engine.locations",
    );
    match &config.daemon.public_url {
        None => report.pass(
            "shopify",
            "webhooks",
            "no daemon.public_url: the daemon polls (webhooks are only hints)",
        ),
        Some(uri) => match wired.missing_webhooks(uri).await {
            Ok(missing) if missing.is_empty() => {
                report.pass(
                    "shopify",
                    "webhooks",
                    format!("every topic subscribed to {uri}"),
                );
            }
            Ok(missing) => report.push(
                "shopify",
                "webhooks",
                Err(format!(
                    "not subscribed to {uri}: {}",
                    missing
                        .iter()
                        .map(|t| format!("{t:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                "start `run` once (it subscribes them), or check daemon.public_url",
            ),
            Err(error) => report.push(
                "shopify",
                "webhooks",
                Err(format!("{error:#}")),
                "the app needs the read_orders scope to list subscriptions",
            ),
        },
    }
}

/// The access scopes granted against what the connector's jobs need; a missing recommended
/// scope is said, not failed.
async fn scopes(report: &mut CheckReport, wired: &Wired) {
    let granted = match wired.shopify.access_scopes().await {
        Ok(granted) => granted,
        Err(error) => {
            report.push(
                "shopify",
                "scopes",
                Err(error.to_string()),
                "see the error; `--log debug` shows each request",
            );
            return;
        }
    };
    let missing = scopes::missing(scopes::REQUIRED, &granted);
    let list = |needs: &[&scopes::ScopeNeed]| {
        needs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !missing.is_empty() {
        report.push(
            "shopify",
            "scopes",
            Err(format!("the app lacks {}", list(&missing))),
            "add the scopes named to the app's configuration, then approve them on the shop (the \
             token is issued with the new scopes after that)",
        );
        return;
    }
    let recommended = scopes::missing(scopes::RECOMMENDED, &granted);
    report.pass(
        "shopify",
        "scopes",
        if recommended.is_empty() {
            format!("{} scopes granted, all the connector needs", granted.len())
        } else {
            format!(
                "{} scopes granted, all the connector needs; without {} older orders stay \
                 out of reach",
                granted.len(),
                list(&recommended)
            )
        },
    );
}

async fn flow(report: &mut CheckReport, wired: &Wired) {
    let flow = &wired.flow;
    let host = flow.config().hosts.api.to_string();
    if let Err(error) = flow.session().await {
        report.call_failed(
            "flow",
            "credentials",
            &error,
            Fixes {
                unreachable: "check flow.hosts, the network and any VPN to the Flow server",
                credentials: "check flow.account, flow.user and the password (flow.password_env or _file)",
                other: "see the error; `--log debug` shows each request",
            },
        );
        return;
    }
    report.pass(
        "flow",
        "credentials",
        format!("{host}: login accepted as {}", flow.config().user),
    );
    let tenant = &flow.config().tenant;
    match flow.stores(Some(tenant.company)).await {
        Ok(stores) => {
            let wanted = tenant.store.to_string();
            match stores.iter().find(|s| s.number == wanted) {
                Some(store) => report.pass(
                    "flow",
                    "store",
                    format!(
                        "company {} store {} ({})",
                        tenant.company,
                        tenant.store,
                        store.name.as_deref().unwrap_or("no name")
                    ),
                ),
                None => report.push(
                    "flow",
                    "store",
                    Err(format!(
                        "company {} has no store {} (it has: {})",
                        tenant.company,
                        tenant.store,
                        stores
                            .iter()
                            .map(|s| s.number.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    "set flow.tenant.store to one of the stores listed",
                ),
            }
        }
        Err(error) => report.push(
            "flow",
            "store",
            Err(format!("{host}: {error}")),
            "check flow.tenant.company",
        ),
    }
    tenant_fields(report, flow).await;
    match wired.connectors.erp_catalog.product_groups().await {
        Ok(groups) => report.pass(
            "flow",
            "catalogue",
            format!("{} item group(s) read", groups.len()),
        ),
        Err(error) => report.push(
            "flow",
            "catalogue",
            Err(format!("{host}: {error}")),
            "check flow.catalog (item fields and the image source)",
        ),
    }
}

/// A reference no document carries: the look-ups below must run, and find nothing.
const PROBE_REFERENCE: &str = "config-check-probe";

/// The tenant's names that the configuration gives: the operations, the reference field and
/// its look-up SQL, the item fields of the catalogue mapping, the customer reference field.
/// Flow's field names differ per tenant, and a wrong one otherwise shows only at the first
/// order (a look-up that fails) or as products without titles.
async fn tenant_fields(report: &mut CheckReport, flow: &FlowClient) {
    let config = flow.config();
    let host = config.hosts.api.to_string();
    let ops = [&config.operations.web_order, &config.operations.refund];
    let mut unknown = Vec::new();
    for op in ops {
        if let Err(error) = flow.operation_config(op).await {
            unknown.push(format!("{op} ({error})"));
        }
    }
    if let Some(op) = &config.operations.credit {
        match flow.operation_config(op).await {
            Err(error) => unknown.push(format!("{op} ({error})")),
            Ok(found) => {
                if let Some(source) = found.source_op {
                    unknown.push(format!(
                        "operations.credit {op} takes a source document ({source}); a credit \
                         without returned items needs one without (SRCDOC -1)"
                    ));
                }
            }
        }
    }
    report.push(
        "flow",
        "operations",
        if unknown.is_empty() {
            Ok(format!(
                "{} and {} known to the tenant",
                config.operations.web_order, config.operations.refund
            ))
        } else {
            Err(format!("{host}: {}", unknown.join("; ")))
        },
        "set flow.operations.web_order and flow.operations.refund to the tenant's operation codes",
    );
    let field = &config.documents.reference_field;
    let lookup = flow
        .find_documents_by_reference(&config.operations.web_order, PROBE_REFERENCE)
        .await;
    let batch = if config.documents.reference_batch_sql.is_empty() {
        Ok(())
    } else {
        flow.find_documents_by_references(
            &config.operations.web_order,
            &[PROBE_REFERENCE.to_owned()],
        )
        .await
        .map(|_| ())
    };
    report.push(
        "flow",
        "reference field",
        match (lookup, batch) {
            (Ok(_), Ok(())) => Ok(format!(
                "documents are found by {field}: the look-up SQL runs"
            )),
            (Err(error), _) => Err(format!("{host}: reference_lookup_sql: {error}")),
            (_, Err(error)) => Err(format!("{host}: reference_batch_sql: {error}")),
        },
        "check flow.documents.reference_field and the look-up SQL's column names for this tenant",
    );
    match flow.items().await {
        Ok(items) => {
            let catalog = &config.catalog;
            let sku = match catalog.sku {
                SkuSource::ItCode => "ITCODE",
                SkuSource::ItNo => "ITNO",
            };
            let named = [
                ("group_field", catalog.group_field.as_str()),
                ("sku", sku),
                ("title_field", catalog.title_field.as_str()),
                ("description_field", catalog.description_field.as_str()),
                ("price_field", catalog.price_field.as_str()),
                ("status_field", catalog.status_field.as_str()),
            ];
            report.push(
                "flow",
                "item fields",
                fields_present(
                    "items",
                    items.iter().map(|i| &i.raw),
                    &named,
                    "flow.catalog",
                ),
                "set each flow.catalog key named to a field of the tenant's item rows (GETITM)",
            );
        }
        Err(error) => report.push(
            "flow",
            "item fields",
            Err(format!("{host}: {error}")),
            "check the Flow user's rights to read items",
        ),
    }
    let field = &config.customers.reference_field;
    if field.is_empty() {
        report.pass(
            "flow",
            "customer field",
            "no customer reference field: customers are matched by their details",
        );
        return;
    }
    match flow.customers().await {
        // Advisory: the connector writes this field on the customers it creates, and Flow
        // leaves empty fields out of its rows, so a tenant whose customers were all made by
        // hand shows none yet. Said, not failed.
        Ok(customers) => report.pass(
            "flow",
            "customer field",
            fields_present(
                "customers",
                customers.iter().map(|c| &c.raw),
                &[("reference_field", field.as_str())],
                "flow.customers",
            )
            .unwrap_or_else(|missing| {
                format!(
                    "{missing}; it is written on the customers the connector creates: confirm \
                     that the tenant's customers have it, or set flow.customers.reference_field"
                )
            }),
        ),
        Err(error) => report.push(
            "flow",
            "customer field",
            Err(format!("{host}: {error}")),
            "check the Flow user's rights to read customers",
        ),
    }
}

/// Whether every named field appears in at least one of `rows` (Flow leaves empty fields
/// out of some rows, so one row is not enough to say a field is unknown). No rows: nothing
/// to check against, which passes and says so.
fn fields_present<'a>(
    what: &str,
    rows: impl Iterator<Item = &'a Record>,
    named: &[(&str, &str)],
    section: &str,
) -> Result<String, String> {
    let mut missing: Vec<(&str, &str)> = named.to_vec();
    let mut seen = std::collections::BTreeSet::new();
    let mut count = 0usize;
    for row in rows {
        count += 1;
        missing.retain(|(_, field)| row.get(field).is_none());
        if seen.len() < 64 {
            seen.extend(row.0.keys().cloned());
        }
    }
    if count == 0 {
        return Ok(format!("no {what} yet to check the fields against"));
    }
    if missing.is_empty() {
        let names: Vec<&str> = named.iter().map(|(_, field)| *field).collect();
        return Ok(format!("{count} {what} carry {}", names.join(", ")));
    }
    Err(format!(
        "no {what} row has {} (fields seen: {})",
        missing
            .iter()
            .map(|(key, field)| format!("{field} ({section}.{key})"))
            .collect::<Vec<_>>()
            .join(", "),
        seen.into_iter().collect::<Vec<_>>().join(", ")
    ))
}

async fn eta(report: &mut CheckReport, wired: &Wired) {
    // Each device has its own credentials: each is checked (one line per device).
    for device in &wired.devices {
        eta_device(report, device.authority.device(), &device.client).await;
    }
}

async fn eta_device(
    report: &mut CheckReport,
    device: &str,
    client: &eta_ereceipt::client::EtaClient,
) {
    match client.access_token().await {
        Ok(_) => report.pass(
            "eta",
            "credentials",
            format!("token issued for POS device {device}"),
        ),
        Err(error) => report.call_failed(
            "eta",
            "credentials",
            &error,
            Fixes {
                unreachable: "check eta.environment (or eta.identity_url / eta.api_url) and the network",
                credentials: "check the client id, client secret, POS serial and pre-shared key of this device (eta.client_id … or its [[eta.devices]] entry) as registered with ETA",
                other: "see the error; `--log debug` shows each request",
            },
        ),
    }
}
