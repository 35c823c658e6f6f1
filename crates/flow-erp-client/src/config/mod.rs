//! Tenant configuration, read from TOML.
//!
//! Everything that differs between Flow tenants is here rather than in code: the three hosts,
//! the credentials, the login order, the operation codes, the field carrying the Shopify
//! reference and the SQL that finds a document by it, the document templates, and the
//! catalogue mapping. Every field has a documented default except the credentials.
//!
//! ```
//! use flow_erp_client::config::FlowConfig;
//!
//! let config = FlowConfig::from_toml_str(r#"
//!     account = "1001"
//!     user = "WEBSHOP"
//!     password = "s3cret"
//!
//!     [operations]
//!     web_order = "SALORD"
//!
//!     [catalog]
//!     sku = "ITNO"
//! "#).unwrap();
//! assert_eq!(config.operations.web_order, "SALORD");
//! assert!(!format!("{config:?}").contains("s3cret"));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sync_core::secret::{ExposeSecret, SecretString};
use sync_core::url_policy::{InsecureHttp, parse_base_url};
use url::Url;

use crate::error::{Error, Result};

mod mapping;

pub use mapping::{
    AdapterConfig, CatalogMapping, ImageSource, PriceListFields, ProductGrouping, SkuSource,
    StockConfig,
};

/// The whole Flow configuration of one tenant.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowConfig {
    /// Hosts of the three surfaces. Default: the MCBS cloud hosts.
    #[serde(default)]
    pub hosts: Hosts,
    /// `ACC`: the tenant/account number. Required.
    pub account: String,
    /// `USRID`: the ERP user whose role decides what the connector may do. Required.
    pub user: String,
    /// `PASS`: the user's password; never shown by `Debug`. Required, unless
    /// `password_env` names an environment variable that holds it.
    #[serde(default)]
    pub password: SecretString,
    /// An environment variable to read the password from when `password` is absent (keeps
    /// the secret out of the file). Default none.
    #[serde(default)]
    pub password_env: Option<String>,
    /// `LNG`. Default `ENG`.
    #[serde(default = "default_language")]
    pub language: String,
    /// Login and session settings.
    #[serde(default)]
    pub login: LoginConfig,
    /// Default company and store for documents and stock.
    #[serde(default)]
    pub tenant: TenantConfig,
    /// Operation codes used for web orders, refunds and cancellations.
    #[serde(default)]
    pub operations: Operations,
    /// Document building, reference and exactly-once settings.
    #[serde(default)]
    pub documents: DocumentsConfig,
    /// Customer matching and saving.
    #[serde(default)]
    pub customers: CustomersConfig,
    /// How the item master maps to products and variants.
    #[serde(default)]
    pub catalog: CatalogMapping,
    /// Field names of stock balance rows.
    #[serde(default)]
    pub stock: StockConfig,
    /// Settings of the sync-core adapter ([`crate::adapter::FlowErp`]).
    #[serde(default)]
    pub adapter: AdapterConfig,
    /// Accept plain `http` to non-loopback hosts (an on-premises server inside a private
    /// network). Default `false`: https only, except loopback.
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// Directory that relative template and image paths are resolved against; set by
    /// [`FlowConfig::from_toml_file`] to the file's directory. Default: the working directory.
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

impl fmt::Debug for FlowConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowConfig")
            .field("hosts", &self.hosts)
            .field("account", &self.account)
            .field("user", &self.user)
            .field("password", &sync_core::secret::REDACTED)
            .field("password_env", &self.password_env)
            .field("language", &self.language)
            .field("login", &self.login)
            .field("tenant", &self.tenant)
            .field("operations", &self.operations)
            .field("documents", &self.documents)
            .field("customers", &self.customers)
            .field("catalog", &self.catalog)
            .field("stock", &self.stock)
            .field("adapter", &self.adapter)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

fn default_language() -> String {
    "ENG".to_owned()
}

/// Hosts of Flow's three surfaces: a full base URL (`https://api.example.com`), or
/// `host[:port]` which means `https://host[:port]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Hosts {
    /// Login surface (`POST /api/chkusr/login`). Default `https://login.mcbs-global.com`.
    #[serde(default = "default_login_host")]
    pub login: String,
    /// REST surface (reads, `GETREC`, `ADDPOS`). Default `https://api.mcbs-global.com`.
    #[serde(default = "default_api_host")]
    pub api: String,
    /// Legacy command surface (`/?OP=CHKUSR`, `EXECMD`, `LDSRCHDRNO`). Default
    /// `https://erp.mcbs-global.com`.
    #[serde(default = "default_erp_host")]
    pub erp: String,
}

fn default_login_host() -> String {
    "https://login.mcbs-global.com".to_owned()
}
fn default_api_host() -> String {
    "https://api.mcbs-global.com".to_owned()
}
fn default_erp_host() -> String {
    "https://erp.mcbs-global.com".to_owned()
}

impl Default for Hosts {
    fn default() -> Self {
        Hosts {
            login: default_login_host(),
            api: default_api_host(),
            erp: default_erp_host(),
        }
    }
}

impl Hosts {
    /// All three surfaces on one base URL (an on-premises server, or a test server).
    pub fn all(base: impl Into<String>) -> Self {
        let base = base.into();
        Hosts {
            login: base.clone(),
            api: base.clone(),
            erp: base,
        }
    }
}

/// The parsed, policy-checked base URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedHosts {
    /// Login surface.
    pub login: Url,
    /// REST surface.
    pub api: Url,
    /// Legacy command surface.
    pub erp: Url,
}

fn resolve_host(field: &str, text: &str, insecure: InsecureHttp) -> Result<Url> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let mut url = parse_base_url(field, &with_scheme, insecure)
        .map_err(|e| Error::config(field, e.to_string()))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(field, "must not carry a query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Which login method is tried first; the other is the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LoginOrder {
    /// `POST /api/chkusr/login` (JSON) first, then the legacy `/?OP=CHKUSR`.
    #[default]
    JsonFirst,
    /// The legacy `/?OP=CHKUSR` first (the public toolkit found it more reliable), then JSON.
    LegacyFirst,
    /// Only the JSON login.
    JsonOnly,
    /// Only the legacy login.
    LegacyOnly,
}

/// Login and session settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LoginConfig {
    /// Which method first. Default `json-first`.
    #[serde(default)]
    pub order: LoginOrder,
    /// `SRCAPP` of the JSON login. Default `FLOW`.
    #[serde(default = "default_src_app")]
    pub src_app: String,
    /// `srcapp` of the command wrapper. Default `FLOW`.
    #[serde(default = "default_src_app")]
    pub command_src_app: String,
    /// `srcver` of the command wrapper. Default `1.00`.
    #[serde(default = "default_src_ver")]
    pub src_ver: String,
    /// `thm` of the command wrapper. Default empty.
    #[serde(default)]
    pub theme: String,
    /// Whether the command wrapper carries `pass` (observed clients send it). Default
    /// `true`; with `false` it is sent empty and the session key alone authenticates.
    #[serde(default = "yes")]
    pub wrapper_sends_password: bool,
    /// Case-insensitive phrases in a `CMDERR` reason that mean "the session key expired";
    /// HTTP 401 and 403 always mean it. Default `["APIKEY", "API KEY", "SESSION", "LOGIN"]`.
    #[serde(default = "default_expired_markers")]
    pub expired_markers: Vec<String>,
}

fn default_src_app() -> String {
    "FLOW".to_owned()
}
fn default_src_ver() -> String {
    "1.00".to_owned()
}
fn yes() -> bool {
    true
}
fn default_expired_markers() -> Vec<String> {
    ["APIKEY", "API KEY", "SESSION", "LOGIN"]
        .map(String::from)
        .to_vec()
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            order: LoginOrder::default(),
            src_app: default_src_app(),
            command_src_app: default_src_app(),
            src_ver: default_src_ver(),
            theme: String::new(),
            wrapper_sends_password: true,
            expired_markers: default_expired_markers(),
        }
    }
}

/// The company and store the connector works in.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// `CONO`, the company. Default `1`.
    #[serde(default = "one")]
    pub company: u32,
    /// `STRNO`, the store documents are written in and stock is read from. Default `1`.
    #[serde(default = "one")]
    pub store: u32,
    /// `EMPNO` of the sales agent put on web documents. Default: none (the field keeps the
    /// template's value).
    #[serde(default)]
    pub agent: Option<String>,
    /// ISO currency of amounts. Default `EGP`.
    #[serde(default = "default_currency")]
    pub currency: String,
}

fn one() -> u32 {
    1
}
fn default_currency() -> String {
    "EGP".to_owned()
}

impl Default for TenantConfig {
    fn default() -> Self {
        TenantConfig {
            company: 1,
            store: 1,
            agent: None,
            currency: default_currency(),
        }
    }
}

/// Operation codes for the documents the connector writes.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Operations {
    /// Operation of a web order. Default `SALINV` (sales invoice); `SALORD` (sales order) is
    /// the other common choice.
    #[serde(default = "default_web_order")]
    pub web_order: String,
    /// Operation of a refund (a return is its own document). Default `SALRET`, which was not
    /// seen in public captures: confirm the tenant's return operation with Microsystems.
    #[serde(default = "default_refund")]
    pub refund: String,
    /// Operation of a credit that returns no item: a refund of shipping alone or of money
    /// alone (goodwill). It must be an operation without source document (`SRCDOC -1`) that
    /// credits the customer, such as a sales return without invoice; its one line per VAT
    /// rate is the service item `adapter.credit_item`. Default none: such a refund is a dead
    /// letter that says what to book by hand. Set both or neither.
    #[serde(default)]
    pub credit: Option<String>,
    /// How a cancelled order is reflected. Default: soft-delete the order's document.
    #[serde(default)]
    pub cancellation: Cancellation,
}

fn default_web_order() -> String {
    "SALINV".to_owned()
}
fn default_refund() -> String {
    "SALRET".to_owned()
}

impl Default for Operations {
    fn default() -> Self {
        Operations {
            web_order: default_web_order(),
            refund: default_refund(),
            credit: None,
            cancellation: Cancellation::default(),
        }
    }
}

/// How a cancellation is written to Flow.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Cancellation {
    /// `EXECMD DELPOS` on the order's document (Flow sets `STS = D`, the row stays).
    #[default]
    SoftDelete,
    /// A separate document of operation `op` (e.g. a return of the whole order).
    Document {
        /// The operation code.
        op: String,
    },
}

/// Where a document template comes from.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum TemplateSource {
    /// A JSON file (relative paths against [`FlowConfig::base_dir`]).
    File(PathBuf),
    /// The JSON text itself.
    Json(String),
    /// One of the templates shipped with the crate (`SALINV`, `SALORD`, `SALRET`), for an
    /// operation of another name (e.g. `SALRTN = { builtin = "SALRET" }`).
    Builtin(String),
}

/// Document settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DocumentsConfig {
    /// Header field that carries the Shopify reference (the order name, e.g. `#1001`).
    /// Default `REFDOCNO`; `RMK` (remark) is the other choice. When it is `RMK`, the
    /// reference replaces any remark.
    #[serde(default = "default_reference_field")]
    pub reference_field: String,
    /// The read-only SQL that finds documents by reference; `:op`, `:reference`,
    /// `:company` and `:store` are replaced by escaped literals. Default:
    /// `SELECT opcode, docno, cono, strno, distno, sts, post, docdt FROM trnhdr WHERE
    /// opcode = :op AND cono = :company AND refdocno = :reference LIMIT 10`. The `refdocno`
    /// column name is inferred from the header field: confirm it for the tenant.
    #[serde(default = "default_reference_sql")]
    pub reference_lookup_sql: String,
    /// The read-only SQL that finds the documents of many references in one read; as
    /// `reference_lookup_sql`, with `:references` replaced by a parenthesised list of
    /// escaped literals. Its rows must carry the reference in the column named like
    /// `reference_field` (any case). Default: `SELECT opcode, docno, cono, strno, distno,
    /// sts, post, docdt, refdocno FROM trnhdr WHERE opcode = :op AND cono = :company AND
    /// refdocno IN :references`. Empty: one `reference_lookup_sql` read per reference.
    #[serde(default = "default_reference_batch_sql")]
    pub reference_batch_sql: String,
    /// The most references one `reference_batch_sql` read carries. Default 100.
    #[serde(default = "default_reference_batch")]
    pub reference_batch: usize,
    /// Template overrides per operation code (`SALINV = { file = "salinv.json" }`).
    /// Operations without an entry use the templates shipped with the crate (`SALINV`,
    /// `SALORD`, `SALRET`).
    #[serde(default)]
    pub templates: BTreeMap<String, TemplateSource>,
    /// Wait before looking a document up after an uncertain save, so a save still running on
    /// the server is visible. Default 2000 ms.
    #[serde(default = "default_lookup_delay")]
    pub uncertain_lookup_delay_ms: u64,
    /// How many times an uncertain save may be repeated after the lookup proved the document
    /// absent. Default 2.
    #[serde(default = "default_resaves")]
    pub max_resaves: u32,
    /// `PY` values per payment kind. Default `cash = "1"`, `credit = "2"` (unconfirmed).
    #[serde(default)]
    pub payment_codes: PaymentCodes,
    /// `chrono` format of `DOCDT`. Default `%Y-%m-%d` (unconfirmed).
    #[serde(default = "default_date_format")]
    pub date_format: String,
    /// Header field carrying the source document number when the operation requires one
    /// (`SRCDOC`). Default `FRMORD` (unconfirmed).
    #[serde(default = "default_source_field")]
    pub source_field: String,
    /// Whether a line's `DISC1` is a percentage (`true`) or an amount (`false`). Default
    /// `false` (unconfirmed).
    #[serde(default)]
    pub line_discount_is_percent: bool,
}

fn default_date_format() -> String {
    "%Y-%m-%d".to_owned()
}
fn default_source_field() -> String {
    "FRMORD".to_owned()
}

fn default_reference_field() -> String {
    "REFDOCNO".to_owned()
}
fn default_reference_sql() -> String {
    "SELECT opcode, docno, cono, strno, distno, sts, post, docdt FROM trnhdr \
     WHERE opcode = :op AND cono = :company AND refdocno = :reference LIMIT 10"
        .to_owned()
}
fn default_reference_batch_sql() -> String {
    "SELECT opcode, docno, cono, strno, distno, sts, post, docdt, refdocno FROM trnhdr \
     WHERE opcode = :op AND cono = :company AND refdocno IN :references"
        .to_owned()
}
fn default_reference_batch() -> usize {
    100
}
fn default_lookup_delay() -> u64 {
    2000
}
fn default_resaves() -> u32 {
    2
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        DocumentsConfig {
            reference_field: default_reference_field(),
            reference_lookup_sql: default_reference_sql(),
            reference_batch_sql: default_reference_batch_sql(),
            reference_batch: default_reference_batch(),
            templates: BTreeMap::new(),
            uncertain_lookup_delay_ms: default_lookup_delay(),
            max_resaves: default_resaves(),
            payment_codes: PaymentCodes::default(),
            date_format: default_date_format(),
            source_field: default_source_field(),
            line_discount_is_percent: false,
        }
    }
}

/// `PY` (payment) values written on documents.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PaymentCodes {
    /// Cash (and card paid up front). Default `"1"`.
    #[serde(default = "default_cash")]
    pub cash: String,
    /// On account. Default `"2"`.
    #[serde(default = "default_credit")]
    pub credit: String,
}

fn default_cash() -> String {
    "1".to_owned()
}
fn default_credit() -> String {
    "2".to_owned()
}

impl Default for PaymentCodes {
    fn default() -> Self {
        PaymentCodes {
            cash: default_cash(),
            credit: default_credit(),
        }
    }
}

/// Customer settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CustomersConfig {
    /// Path of the customer save command on the REST surface. Default
    /// `/api/CONCMD/ADDCON` (by analogy with `POSCMD/ADDPOS`; confirm for the tenant).
    #[serde(default = "default_addcon_path")]
    pub add_path: String,
    /// Template of a customer record. Default: the shipped `CUSTOMER.json`.
    #[serde(default)]
    pub template: Option<TemplateSource>,
    /// `CONGRP` of customers created by the connector. Default: the template's value.
    #[serde(default)]
    pub group: Option<String>,
    /// The customer field that carries the Shopify customer id on every customer the
    /// connector creates or updates, and by which it finds them again (so a run stopped
    /// between creating a customer and recording it does not create a second one). Default
    /// `RMK`: the spec lists no remark field for customers (it does for documents); confirm
    /// the field for the tenant. Empty: no field, and no such look-up.
    #[serde(default = "default_customer_reference_field")]
    pub reference_field: String,
    /// Contact keys by which a new Shopify customer is linked to an existing Flow customer:
    /// any of `"email"`, `"phone"`. Default none: a match by phone or e-mail is reported and a
    /// new customer created, since checkout data is not verified. Choose a key only when the
    /// shop verifies it (for example customer accounts that sign in by a code sent to the
    /// e-mail). A linked customer is booked to, never overwritten.
    #[serde(default)]
    pub link_by: Vec<LinkKey>,
}

/// A contact key a new Shopify customer may be linked to an existing Flow customer by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKey {
    /// `EMAIL`, exactly after normalisation.
    Email,
    /// `TEL1`, exactly after normalisation.
    Phone,
}

fn default_customer_reference_field() -> String {
    "RMK".to_owned()
}

fn default_addcon_path() -> String {
    "/api/CONCMD/ADDCON".to_owned()
}

impl Default for CustomersConfig {
    fn default() -> Self {
        CustomersConfig {
            add_path: default_addcon_path(),
            template: None,
            group: None,
            reference_field: default_customer_reference_field(),
            link_by: Vec::new(),
        }
    }
}

fn check_op(field: &str, op: &str) -> Result<()> {
    if op.is_empty() || op.len() > 16 || !op.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(Error::config(
            field,
            format!("operation code {op:?} must be 1-16 ASCII letters, digits or '_'"),
        ));
    }
    Ok(())
}

impl FlowConfig {
    /// A configuration with the given credentials and every other field at its default.
    pub fn new(
        account: impl Into<String>,
        user: impl Into<String>,
        password: SecretString,
    ) -> Self {
        FlowConfig {
            hosts: Hosts::default(),
            account: account.into(),
            user: user.into(),
            password,
            password_env: None,
            language: default_language(),
            login: LoginConfig::default(),
            tenant: TenantConfig::default(),
            operations: Operations::default(),
            documents: DocumentsConfig::default(),
            customers: CustomersConfig::default(),
            catalog: CatalogMapping::default(),
            stock: StockConfig::default(),
            adapter: AdapterConfig::default(),
            allow_insecure_http: false,
            base_dir: None,
        }
    }

    /// Parses and validates TOML text.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the field (TOML path) and the rule.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let mut config: FlowConfig = toml::from_str(text).map_err(|e| {
            let field = e
                .span()
                .map(|s| format!("flow config (bytes {}..{})", s.start, s.end))
                .unwrap_or_else(|| "flow config".to_owned());
            Error::config(field, e.message().to_owned())
        })?;
        if config.password.expose_secret().is_empty()
            && let Some(var) = &config.password_env
        {
            let value = std::env::var(var).map_err(|_| {
                Error::config(
                    "password_env",
                    format!("environment variable {var} is not set"),
                )
            })?;
            config.password = SecretString::from(value);
        }
        config.validate()?;
        Ok(config)
    }

    /// Reads, parses and validates a TOML file; relative paths inside resolve against the
    /// file's directory.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the file cannot be read or is invalid.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config(path.display().to_string(), format!("cannot read: {e}")))?;
        let mut config = Self::from_toml_str(&text)?;
        config.base_dir = path.parent().map(Path::to_path_buf);
        Ok(config)
    }

    /// Checks the rules that the types cannot express.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the field and the rule.
    pub fn validate(&self) -> Result<()> {
        if self.account.trim().is_empty() {
            return Err(Error::config("account", "must not be empty"));
        }
        if self.user.trim().is_empty() {
            return Err(Error::config("user", "must not be empty"));
        }
        if self.password.expose_secret().is_empty() {
            return Err(Error::config(
                "password",
                "is required (or name an environment variable in password_env)",
            ));
        }
        self.resolved_hosts()?;
        check_op("operations.web_order", &self.operations.web_order)?;
        check_op("operations.refund", &self.operations.refund)?;
        match (&self.operations.credit, &self.adapter.credit_item) {
            (Some(op), Some(item)) => {
                check_op("operations.credit", op)?;
                if item.trim().is_empty() {
                    return Err(Error::config(
                        "adapter.credit_item",
                        "must name a service item of the item master",
                    ));
                }
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(Error::config(
                    "adapter.credit_item",
                    "is required with operations.credit (the service item of a credit's lines)",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::config(
                    "operations.credit",
                    "is required with adapter.credit_item (the operation of a credit without \
                     returned items)",
                ));
            }
        }
        if let Cancellation::Document { op } = &self.operations.cancellation {
            check_op("operations.cancellation.op", op)?;
        }
        for op in self.documents.templates.keys() {
            check_op(&format!("documents.templates.{op}"), op)?;
        }
        let field = &self.customers.reference_field;
        let written = [
            "CNO", "CNAME", "FORDES", "TEL1", "EMAIL", "CADD", "CONO", "CONGRP",
        ];
        if !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || written.contains(&field.to_ascii_uppercase().as_str())
        {
            return Err(Error::config(
                "customers.reference_field",
                format!(
                    "must be a customer field name (ASCII letters, digits, '_') other than \
                     the fields the connector fills in ({}), or empty",
                    written.join(", ")
                ),
            ));
        }
        let field = &self.documents.reference_field;
        if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::config(
                "documents.reference_field",
                "must be a header field name (ASCII letters, digits, '_')",
            ));
        }
        crate::sql::fill_template(
            &self.documents.reference_lookup_sql,
            &[
                ("op", "SALINV".into()),
                ("reference", "#1".into()),
                ("company", 1u32.into()),
                ("store", 1u32.into()),
            ],
        )
        .map_err(|e| Error::config("documents.reference_lookup_sql", e.to_string()))?;
        if !self.documents.reference_batch_sql.is_empty() {
            crate::sql::fill_template(
                &self.documents.reference_batch_sql,
                &[
                    ("op", "SALINV".into()),
                    (
                        "references",
                        crate::sql::SqlValue::List(vec!["#1".into(), "#2".into()]),
                    ),
                    ("company", 1u32.into()),
                    ("store", 1u32.into()),
                ],
            )
            .map_err(|e| Error::config("documents.reference_batch_sql", e.to_string()))?;
        }
        if !(1..=1000).contains(&self.documents.reference_batch) {
            return Err(Error::config(
                "documents.reference_batch",
                "must be between 1 and 1000",
            ));
        }
        if !self.customers.add_path.starts_with('/') {
            return Err(Error::config("customers.add_path", "must start with '/'"));
        }
        if !(-12..=14).contains(&self.adapter.utc_offset_hours) {
            return Err(Error::config(
                "adapter.utc_offset_hours",
                "must be between -12 and 14",
            ));
        }
        match &self.catalog.images {
            ImageSource::Folder { pattern, .. } | ImageSource::Url { pattern } => {
                if !pattern.contains("{item}") {
                    return Err(Error::config(
                        "catalog.images.pattern",
                        "must contain {item}",
                    ));
                }
            }
            ImageSource::None => {}
        }
        Ok(())
    }

    /// The three base URLs, parsed and checked against the URL policy.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming `hosts.login`, `hosts.api` or `hosts.erp`.
    pub fn resolved_hosts(&self) -> Result<ResolvedHosts> {
        let insecure = if self.allow_insecure_http {
            InsecureHttp::Allow
        } else {
            InsecureHttp::Refuse
        };
        Ok(ResolvedHosts {
            login: resolve_host("hosts.login", &self.hosts.login, insecure)?,
            api: resolve_host("hosts.api", &self.hosts.api, insecure)?,
            erp: resolve_host("hosts.erp", &self.hosts.erp, insecure)?,
        })
    }

    /// Resolves a configured path against [`FlowConfig::base_dir`].
    pub fn resolve_path(&self, path: &Path) -> PathBuf {
        match &self.base_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "account = \"1001\"\nuser = \"WEB\"\npassword = \"pw-secret\"\n";

    #[test]
    fn defaults_follow_the_spec() {
        let c = FlowConfig::from_toml_str(MINIMAL).unwrap();
        let hosts = c.resolved_hosts().unwrap();
        assert_eq!(hosts.login.as_str(), "https://login.mcbs-global.com/");
        assert_eq!(hosts.api.as_str(), "https://api.mcbs-global.com/");
        assert_eq!(hosts.erp.as_str(), "https://erp.mcbs-global.com/");
        assert_eq!(c.operations.web_order, "SALINV");
        assert_eq!(c.operations.cancellation, Cancellation::SoftDelete);
        assert_eq!(c.documents.reference_field, "REFDOCNO");
        assert_eq!(c.catalog.sku, SkuSource::ItCode);
        assert_eq!(c.login.order, LoginOrder::JsonFirst);
        assert_eq!(c.language, "ENG");
    }

    #[test]
    fn on_premises_host_and_port_are_allowed_and_http_needs_opt_in() {
        let text = format!(
            "{MINIMAL}[hosts]\napi = \"flow.local:8443\"\nerp = \"http://10.0.0.5:8080\"\n"
        );
        let err = FlowConfig::from_toml_str(&text).unwrap_err();
        assert!(err.to_string().starts_with("hosts.erp: "), "{err}");
        let c = FlowConfig::from_toml_str(&format!("allow_insecure_http = true\n{text}")).unwrap();
        let hosts = c.resolved_hosts().unwrap();
        assert_eq!(hosts.api.as_str(), "https://flow.local:8443/");
        assert_eq!(hosts.erp.as_str(), "http://10.0.0.5:8080/");
    }

    #[test]
    fn password_never_shows_in_debug() {
        let c = FlowConfig::from_toml_str(MINIMAL).unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("pw-secret"));
        assert!(debug.contains("[REDACTED]"));
    }

    #[test]
    fn a_credit_needs_both_its_operation_and_its_service_item() {
        let credit = format!("{MINIMAL}[operations]\ncredit = \"SALCRN\"\n");
        let err = FlowConfig::from_toml_str(&credit).unwrap_err();
        assert!(
            err.to_string().starts_with("adapter.credit_item: "),
            "{err}"
        );
        let item = format!("{MINIMAL}[adapter]\ncredit_item = \"CREDIT\"\n");
        let err = FlowConfig::from_toml_str(&item).unwrap_err();
        assert!(err.to_string().starts_with("operations.credit: "), "{err}");
        let both = format!("{credit}[adapter]\ncredit_item = \"CREDIT\"\n");
        let c = FlowConfig::from_toml_str(&both).unwrap();
        assert_eq!(c.operations.credit.as_deref(), Some("SALCRN"));
        let bad = both.replace("\"SALCRN\"", "\"SAL CRN\"");
        let err = FlowConfig::from_toml_str(&bad).unwrap_err();
        assert!(err.to_string().starts_with("operations.credit: "), "{err}");
    }

    #[test]
    fn bad_values_name_the_field() {
        let err =
            FlowConfig::from_toml_str(&format!("{MINIMAL}[operations]\nweb_order = \"SAL INV\"\n"))
                .unwrap_err();
        assert!(
            err.to_string().starts_with("operations.web_order: "),
            "{err}"
        );
        let err = FlowConfig::from_toml_str(&format!(
            "{MINIMAL}[documents]\nreference_lookup_sql = \"DELETE FROM trnhdr\"\n"
        ))
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("documents.reference_lookup_sql: "),
            "{err}"
        );
        let err = FlowConfig::from_toml_str("account = \"1\"\nuser = \"u\"\n").unwrap_err();
        assert!(err.to_string().contains("password"), "{err}");
        let err = FlowConfig::from_toml_str(&format!("{MINIMAL}colour = 1\n")).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn the_password_can_come_from_the_environment() {
        let unset = "account = \"1\"\nuser = \"u\"\npassword_env = \"FLOW_TEST_UNSET_7F3A\"\n";
        let err = FlowConfig::from_toml_str(unset).unwrap_err();
        assert!(err.to_string().starts_with("password_env: "), "{err}");
        // Setting a variable needs `unsafe` in edition 2024 (forbidden here): use one that
        // every test environment has.
        let path = std::env::var("PATH").expect("PATH is set");
        let c =
            FlowConfig::from_toml_str("account = \"1\"\nuser = \"u\"\npassword_env = \"PATH\"\n")
                .unwrap();
        assert_eq!(c.password.expose_secret(), path);
        let err = FlowConfig::from_toml_str("account = \"1\"\nuser = \"u\"\n").unwrap_err();
        assert!(
            err.to_string().starts_with("password: is required"),
            "{err}"
        );
    }

    #[test]
    fn overrides_from_toml() {
        let c = FlowConfig::from_toml_str(&format!(
            r#"{MINIMAL}
[login]
order = "legacy-first"

[operations]
web_order = "SALORD"
refund = "RETINV"
cancellation = {{ mode = "document", op = "RETINV" }}

[documents]
reference_field = "RMK"
reference_lookup_sql = "SELECT docno FROM trnhdr WHERE opcode = :op AND rmk = :reference"
templates.SALORD = {{ file = "salord.json" }}

[catalog]
product = "item"
sku = "ITNO"
price_list = "WEB"
compare_at_price_list = "RETAIL"
images = {{ source = "url", pattern = "https://cdn.example.com/{{item}}/{{colour}}.jpg" }}
"#
        ))
        .unwrap();
        assert_eq!(c.login.order, LoginOrder::LegacyFirst);
        assert_eq!(c.operations.web_order, "SALORD");
        assert_eq!(
            c.operations.cancellation,
            Cancellation::Document {
                op: "RETINV".into()
            }
        );
        assert_eq!(c.documents.reference_field, "RMK");
        assert_eq!(
            c.documents.templates.get("SALORD"),
            Some(&TemplateSource::File("salord.json".into()))
        );
        assert_eq!(c.catalog.product, ProductGrouping::Item);
        assert_eq!(c.catalog.sku, SkuSource::ItNo);
        assert_eq!(c.catalog.price_list.as_deref(), Some("WEB"));
        assert!(matches!(c.catalog.images, ImageSource::Url { .. }));
    }
}
