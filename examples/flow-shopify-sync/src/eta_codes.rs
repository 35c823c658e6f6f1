//! ETA item codes: the `[eta.item_codes]` configuration (where each item's code comes from,
//! whether codes are checked against ETA before a receipt is issued) and the `eta-codes`
//! screen, which prepares code-usage requests from the Flow catalogue, shows them, and files
//! them with ETA only when asked (`--submit`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use chrono::{Timelike, Utc};
use eta_ereceipt::client::{CodeStatus, EtaClient, NewCodeRequest, RegisteredCodes};
use eta_ereceipt::code_check::ItemCodeSource;
use eta_ereceipt::codes::ItemType;
use eta_ereceipt::mapping::{ItemCodes, MappingConfig};
use flow_erp_client::config::SkuSource;
use serde::{Deserialize, Serialize};
use sync_core::connector::{ConnectorError, ConnectorResult};

use crate::screens::{Screen, Status, Table};

/// `[eta.item_codes]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemCodesSection {
    /// Pattern of EGS codes, with `{rin}` and `{sku}`. Default `EG-{rin}-{sku}`.
    pattern: Option<String>,
    /// SKU → ETA item code (EGS `EG-<RIN>-<code>` or GS1), before every other source.
    #[serde(default)]
    codes: BTreeMap<String, String>,
    /// A TOML file of `"SKU" = "item code"` lines (relative to the configuration file),
    /// after `codes`.
    file: Option<PathBuf>,
    /// A field of Flow's item master holding each item's ETA code, after the two above.
    flow_field: Option<String>,
    /// The code of shipping and other fee lines. Default: the pattern with `SHIPPING`.
    service_code: Option<String>,
    /// Check each receipt's codes against the taxpayer's registered codes at ETA before it
    /// is issued; an unregistered code parks the receipt. Default `false`.
    #[serde(default)]
    check_registered: bool,
    /// Seconds the registered codes (and `flow_field`'s codes) are kept. Default 600.
    refresh_seconds: Option<u64>,
    /// The 8-digit GPC brick code of the code-usage requests `eta-codes` prepares.
    parent_code: Option<String>,
}

/// What the `eta-codes` screen needs of the configuration.
#[derive(Debug, Clone)]
pub struct EtaCodesSetup {
    /// The mapping (its item codes from the configuration and the file).
    pub mapping: MappingConfig,
    /// The Flow field holding codes, if any.
    pub flow_field: Option<String>,
    /// Which Flow field is the SKU.
    pub sku: SkuSource,
    /// The GPC brick code of new requests.
    pub parent_code: Option<String>,
}

/// The item codes the section configures (with `file` read relative to `base_dir`).
///
/// # Errors
///
/// A bad pattern or code, or an unreadable file, naming the key.
pub fn item_codes(section: &ItemCodesSection, base_dir: &Path) -> Result<ItemCodes> {
    let mut codes = ItemCodes::default();
    if let Some(p) = &section.pattern {
        codes = codes
            .with_pattern(p.clone())
            .map_err(|e| anyhow!("eta.item_codes.pattern: {}", e.rule))?;
    }
    let mut all: BTreeMap<String, String> = BTreeMap::new();
    if let Some(file) = &section.file {
        let path = base_dir.join(file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("eta.item_codes.file: cannot read {}", file.display()))?;
        let table: BTreeMap<String, String> = toml::from_str(&text).map_err(|e| {
            anyhow!(
                "eta.item_codes.file: {} is not a TOML table of \"SKU\" = \"item code\" lines: {e}",
                file.display()
            )
        })?;
        all.extend(table);
    }
    all.extend(section.codes.clone());
    for (sku, code) in &all {
        codes = codes
            .with_code(sku.as_str(), code)
            .map_err(|e| anyhow!("eta.item_codes.codes.{sku}: {}", e.rule))?;
    }
    if let Some(code) = &section.service_code {
        codes = codes
            .with_service_code(code)
            .map_err(|e| anyhow!("eta.item_codes.service_code: {}", e.rule))?;
    }
    if let Some(p) = &section.parent_code
        && (p.len() != 8 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        bail!("eta.item_codes.parent_code: {p:?} must be an 8-digit GPC brick code");
    }
    Ok(codes)
}

/// How long the section keeps what it reads.
pub fn refresh(section: &ItemCodesSection) -> Duration {
    Duration::from_secs(section.refresh_seconds.unwrap_or(600).max(1))
}

/// Whether codes are checked against ETA before issuing.
pub fn check_registered(section: &ItemCodesSection) -> bool {
    section.check_registered
}

/// The setup of the `eta-codes` screen.
pub fn setup(section: &ItemCodesSection, mapping: MappingConfig, sku: SkuSource) -> EtaCodesSetup {
    EtaCodesSetup {
        mapping,
        flow_field: section.flow_field.clone(),
        sku,
        parent_code: section.parent_code.clone(),
    }
}

/// Item codes read from a field of Flow's item master.
#[derive(Debug)]
pub struct FlowItemCodes {
    flow: flow_erp_client::FlowClient,
    field: String,
    sku: SkuSource,
}

impl FlowItemCodes {
    /// Codes in `field` of the items `flow` lists, keyed by the SKU field `sku`.
    pub fn new(flow: flow_erp_client::FlowClient, field: String, sku: SkuSource) -> Self {
        FlowItemCodes { flow, field, sku }
    }
}

fn item_sku(item: &flow_erp_client::reads::Item, sku: SkuSource) -> Option<String> {
    match sku {
        SkuSource::ItNo => Some(item.number.clone()),
        _ => item.code.clone(),
    }
    .filter(|s| !s.trim().is_empty())
}

#[async_trait]
impl ItemCodeSource for FlowItemCodes {
    async fn item_codes(&self) -> ConnectorResult<Vec<(String, String)>> {
        let items = self
            .flow
            .items()
            .await
            .map_err(ConnectorError::from_client)?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let sku = item_sku(item, self.sku)?;
                let code = item
                    .raw
                    .text(&self.field)
                    .filter(|c| !c.trim().is_empty())?;
                Some((sku, code))
            })
            .collect())
    }
}

/// The source to give the adapter, when a Flow field is configured.
pub fn flow_source(
    section: &ItemCodesSection,
    flow: &flow_erp_client::FlowClient,
    sku: SkuSource,
) -> Option<Arc<dyn ItemCodeSource>> {
    section.flow_field.as_ref().map(|field| {
        Arc::new(FlowItemCodes::new(flow.clone(), field.clone(), sku)) as Arc<dyn ItemCodeSource>
    })
}

/// One item of the `eta-codes` screen.
#[derive(Debug, Clone, Serialize)]
pub struct EtaCodeRow {
    /// The SKU (`SHIPPING` line: the internal code of the shipping line).
    pub sku: String,
    /// The item's name.
    pub name: String,
    /// Its ETA item code.
    pub item_code: String,
    /// `EGS` or `GS1`.
    pub item_type: String,
    /// `active`, `submitted`, `rejected`, `inactive` or `not_registered`.
    pub status: CodeStatus,
    /// What is to be done: `none`, `request` (a code-usage request is prepared), `reuse` (a
    /// code of another taxpayer or a GS1 code: ask for its reuse on ETA's portal), `wait`
    /// (ETA has not decided yet).
    pub action: String,
}

/// `eta-codes`.
#[derive(Debug, Clone, Serialize)]
pub struct EtaCodesReport {
    /// Every item of the Flow catalogue with a SKU, and the shipping line.
    pub items: Vec<EtaCodeRow>,
    /// The code-usage requests prepared (ETA's field names).
    pub requests: Vec<NewCodeRequest>,
    /// Whether they were filed with ETA (`--submit`).
    pub submitted: bool,
}

impl Screen for EtaCodesReport {
    fn lines(&self) -> Vec<String> {
        let mut table = Table::new(&["SKU", "NAME", "ITEM CODE", "STATUS", "ACTION"]);
        for r in &self.items {
            table.row(vec![
                r.sku.clone(),
                r.name.clone(),
                r.item_code.clone(),
                r.status.as_str().to_owned(),
                r.action.clone(),
            ]);
        }
        let mut lines = table.lines();
        let n = self.requests.len();
        lines.push(if n == 0 {
            "no code-usage request to file".to_owned()
        } else if self.submitted {
            format!("{n} code-usage request(s) filed with ETA; they wait for ETA's approval")
        } else {
            format!("{n} code-usage request(s) prepared, not filed: run again with --submit to file them")
        });
        lines
    }

    /// Attention while any code is not active.
    fn status(&self) -> Status {
        if self.items.iter().all(|r| r.status == CodeStatus::Active) {
            Status::Ok
        } else {
            Status::Attention
        }
    }
}

fn row(
    sku: String,
    name: String,
    code: &eta_ereceipt::mapping::ItemCode,
    registered: &RegisteredCodes,
    rin: &str,
) -> EtaCodeRow {
    let status = registered.status(&code.code, Utc::now());
    let own = code.item_type == ItemType::Egs && code.code.starts_with(&format!("EG-{rin}-"));
    let action = match status {
        CodeStatus::Active => "none",
        CodeStatus::Submitted => "wait",
        CodeStatus::NotRegistered | CodeStatus::Rejected if own => "request",
        CodeStatus::Inactive if own => "request",
        _ => "reuse",
    };
    EtaCodeRow {
        sku,
        name,
        item_code: code.code.clone(),
        item_type: code.item_type.code().to_owned(),
        status,
        action: action.to_owned(),
    }
}

/// Runs the `eta-codes` screen: reads the Flow catalogue and ETA's registered codes, prepares
/// a code-usage request for each own EGS code not registered, and files them when `submit`.
///
/// # Errors
///
/// A system that cannot be read; `submit` without a GPC brick code
/// (`eta.item_codes.parent_code` or `--parent-code`), or ETA's refusal.
pub async fn run(
    setup: &EtaCodesSetup,
    flow: &flow_erp_client::FlowClient,
    eta: &EtaClient,
    parent_code: Option<String>,
    submit: bool,
) -> Result<EtaCodesReport> {
    let rin = setup.mapping.seller_rin().to_owned();
    let parent = parent_code.or_else(|| setup.parent_code.clone());
    let items = flow
        .items()
        .await
        .context("flow: reading the item master")?;
    let registered = eta
        .registered_codes()
        .await
        .context("eta: reading the registered item codes")?;
    let mut mapping = setup.mapping.clone();
    if let Some(field) = &setup.flow_field {
        for item in &items {
            if let (Some(sku), Some(code)) = (item_sku(item, setup.sku), item.raw.text(field))
                && setup.mapping.item_codes.configured(&sku).is_none()
                && !code.trim().is_empty()
            {
                mapping.item_codes = mapping
                    .item_codes
                    .clone()
                    .with_code(sku.as_str(), &code)
                    .map_err(|e| anyhow!("flow item {sku}, field {field}: {}", e.rule))?;
            }
        }
    }
    let today = Utc::now()
        .with_hour(0)
        .and_then(|t| t.with_minute(0))
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or_else(Utc::now)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut rows = Vec::new();
    let mut requests = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut add = |sku: String, latin: Option<String>, arabic: Option<String>, code| {
        let name = latin
            .clone()
            .or_else(|| arabic.clone())
            .unwrap_or_else(|| sku.clone());
        let r = row(sku.clone(), name.clone(), &code, &registered, &rin);
        if r.action == "request" && seen.insert(r.item_code.clone()) {
            requests.push(NewCodeRequest {
                code_type: "EGS".into(),
                parent_code: parent.clone().unwrap_or_default(),
                item_code: r.item_code.clone(),
                code_name: name.clone(),
                code_name_ar: arabic.or(latin).unwrap_or(name),
                active_from: today.clone(),
                active_to: None,
                description: None,
                description_ar: None,
                request_reason: Some(format!("item {sku} sold through the web shop")),
            });
        }
        rows.push(r);
    };
    for item in &items {
        let Some(sku) = item_sku(item, setup.sku) else {
            continue;
        };
        let code = mapping.item_code(&sku, None);
        add(sku, item.description.clone(), item.name.clone(), code);
    }
    add(
        mapping.shipping_code.clone(),
        Some("Shipping".into()),
        Some("شحن".into()),
        mapping.shipping_item_code(),
    );
    add(
        mapping.credit_code.clone(),
        Some("Goodwill credit".into()),
        Some("تعويض للعميل".into()),
        mapping.credit_item_code(),
    );
    rows.sort_by(|a, b| a.sku.cmp(&b.sku));
    if submit && !requests.is_empty() {
        if parent.is_none() {
            bail!(
                "eta-codes --submit: a code-usage request needs the item's GPC brick code: set eta.item_codes.parent_code or give --parent-code"
            );
        }
        for chunk in requests.chunks(eta_ereceipt::client::codes::MAX_CODE_REQUESTS) {
            eta.request_codes(&rin, chunk)
                .await
                .context("eta: filing the code-usage requests")?;
        }
    }
    Ok(EtaCodesReport {
        items: rows,
        submitted: submit && !requests.is_empty(),
        requests,
    })
}
