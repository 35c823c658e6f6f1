//! The mapping sections of the configuration: how Flow items become Shopify products
//! (`[catalog]`, its price lists and stock fields) and the settings of the sync-engine adapter
//! (`[adapter]`). Re-exported from [`config`](crate::config).

use std::path::PathBuf;

use serde::Deserialize;

use super::yes;

/// What a Shopify product is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ProductGrouping {
    /// One product per item group; each item is a variant (the default).
    #[default]
    ItemGroup,
    /// One product per item; colours and sizes are its variants.
    Item,
}

/// Which item field is the SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum SkuSource {
    /// `ITCODE` (the default).
    #[default]
    #[serde(rename = "ITCODE")]
    ItCode,
    /// `ITNO`, the item key.
    #[serde(rename = "ITNO")]
    ItNo,
}

/// Where product images come from. Flow exposes no image API in what is public, so images
/// are found by item code (and colour) in a folder or at a URL.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(tag = "source", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ImageSource {
    /// No images (the default).
    #[default]
    None,
    /// Files in a folder; `pattern` with `{item}` and `{colour}` (empty when none) names the
    /// file, e.g. `"{item}_{colour}.jpg"`.
    Folder {
        /// The folder (relative paths against [`FlowConfig::base_dir`](super::FlowConfig::base_dir)).
        path: PathBuf,
        /// The file-name pattern.
        pattern: String,
    },
    /// URLs; `pattern` with `{item}` and `{colour}`, e.g.
    /// `"https://cdn.example.com/{item}/{colour}.jpg"`.
    Url {
        /// The URL pattern.
        pattern: String,
    },
}

/// How the item master maps to products, variants, prices and status.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CatalogMapping {
    /// Products from item groups or from items. Default `item-group`.
    #[serde(default)]
    pub product: ProductGrouping,
    /// Item field holding the item group. Default `GRPNO` (unconfirmed).
    #[serde(default = "default_group_field")]
    pub group_field: String,
    /// SKU field: `ITCODE` or `ITNO`. Default `ITCODE`.
    #[serde(default)]
    pub sku: SkuSource,
    /// Split items with `HASCLR`/`HASSIZ` into one variant per colour × size seen in stock
    /// rows. Default `true`.
    #[serde(default = "yes")]
    pub split_colour_size: bool,
    /// Text between SKU, colour and size in a split variant's SKU. Default `-`.
    #[serde(default = "default_sku_separator")]
    pub sku_separator: String,
    /// Item field of the title. Default `ITNA`.
    #[serde(default = "default_title_field")]
    pub title_field: String,
    /// Item field of the description. Default `ITDES`.
    #[serde(default = "default_description_field")]
    pub description_field: String,
    /// Item field of the price. Default `ITPRICE`.
    #[serde(default = "default_price_field")]
    pub price_field: String,
    /// Item field of the status. Default `STS`.
    #[serde(default = "default_status_field")]
    pub status_field: String,
    /// Status values meaning "on hold" (Shopify draft). Compared case-insensitively.
    /// Default `["H", "S", "N", "0"]` (unconfirmed); anything else is active.
    #[serde(default = "default_hold_values")]
    pub hold_values: Vec<String>,
    /// Price list whose price replaces `ITPRICE`. Default none.
    #[serde(default)]
    pub price_list: Option<String>,
    /// Price list whose price is the compare-at price. Default none.
    #[serde(default)]
    pub compare_at_price_list: Option<String>,
    /// Field names of price-list rows.
    #[serde(default)]
    pub price_list_fields: PriceListFields,
    /// Where images come from. Default none.
    #[serde(default)]
    pub images: ImageSource,
}

fn default_group_field() -> String {
    "GRPNO".to_owned()
}
fn default_sku_separator() -> String {
    "-".to_owned()
}
fn default_title_field() -> String {
    "ITNA".to_owned()
}
fn default_description_field() -> String {
    "ITDES".to_owned()
}
fn default_price_field() -> String {
    "ITPRICE".to_owned()
}
fn default_status_field() -> String {
    "STS".to_owned()
}
fn default_hold_values() -> Vec<String> {
    ["H", "S", "N", "0"].map(String::from).to_vec()
}

impl Default for CatalogMapping {
    fn default() -> Self {
        CatalogMapping {
            product: ProductGrouping::default(),
            group_field: default_group_field(),
            sku: SkuSource::default(),
            split_colour_size: true,
            sku_separator: default_sku_separator(),
            title_field: default_title_field(),
            description_field: default_description_field(),
            price_field: default_price_field(),
            status_field: default_status_field(),
            hold_values: default_hold_values(),
            price_list: None,
            compare_at_price_list: None,
            price_list_fields: PriceListFields::default(),
            images: ImageSource::default(),
        }
    }
}

/// Field names of `GETPRCLST` rows (unconfirmed defaults).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PriceListFields {
    /// The list's code. Default `PRICECODE` (the customer field of the same name points at it).
    #[serde(default = "default_price_code")]
    pub code: String,
    /// The item. Default `ITNO`.
    #[serde(default = "default_item_field")]
    pub item: String,
    /// The price. Default `ITPRICE`.
    #[serde(default = "default_price_field")]
    pub price: String,
}

fn default_price_code() -> String {
    "PRICECODE".to_owned()
}
fn default_item_field() -> String {
    "ITNO".to_owned()
}

impl Default for PriceListFields {
    fn default() -> Self {
        PriceListFields {
            code: default_price_code(),
            item: default_item_field(),
            price: default_price_field(),
        }
    }
}

/// Field names of `GETBAL` rows (unconfirmed defaults).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StockConfig {
    /// The item. Default `ITNO`.
    #[serde(default = "default_item_field")]
    pub item_field: String,
    /// The quantity on hand. Default `BAL`.
    #[serde(default = "default_quantity_field")]
    pub quantity_field: String,
    /// The colour. Default `CLRNO`.
    #[serde(default = "default_colour_field")]
    pub colour_field: String,
    /// The size. Default `SIZNO`.
    #[serde(default = "default_size_field")]
    pub size_field: String,
}

fn default_quantity_field() -> String {
    "BAL".to_owned()
}
fn default_colour_field() -> String {
    "CLRNO".to_owned()
}
fn default_size_field() -> String {
    "SIZNO".to_owned()
}

impl Default for StockConfig {
    fn default() -> Self {
        StockConfig {
            item_field: default_item_field(),
            quantity_field: default_quantity_field(),
            colour_field: default_colour_field(),
            size_field: default_size_field(),
        }
    }
}

/// Settings of the adapter that implements sync-core's ERP traits.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AdapterConfig {
    /// ERP stores whose stock is published. Default: empty, meaning the tenant's store.
    #[serde(default)]
    pub stock_stores: Vec<u32>,
    /// Customer number (`CNO`) put on orders without a customer. Default none: such orders
    /// are parked until an operator maps `customer:walk-in`.
    #[serde(default)]
    pub walk_in_customer: Option<String>,
    /// Whether Flow's item prices include VAT (Shopify prices are converted when the order
    /// says otherwise). Default `true`.
    #[serde(default = "yes")]
    pub erp_prices_include_vat: bool,
    /// Hours added to UTC to get the document date. Default `2` (Cairo standard time).
    #[serde(default = "default_utc_offset")]
    pub utc_offset_hours: i32,
    /// Suffix of the reference of a cancellation document (mode `document`). Default `/C`.
    #[serde(default = "default_cancel_suffix")]
    pub cancel_reference_suffix: String,
    /// Text between the order name and the refund number in a return's reference. Default
    /// `/R` (so `#1001/R123`).
    #[serde(default = "default_return_infix")]
    pub return_reference_infix: String,
    /// How long the customer list (`GETCON`, the whole list) is reused for matching. Default
    /// 60 s; `0` reads it for every lookup.
    #[serde(default = "default_customer_cache")]
    pub customer_cache_secs: u64,
    /// Text put before the Shopify order name in a document's reference, for several shops
    /// writing into one Flow company (e.g. `"EG1-"`). Default empty.
    #[serde(default)]
    pub reference_prefix: String,
    /// Item code (SKU) of the service item a credit without returned items books its lines
    /// on (see `operations.credit`), for example a "Shopify credit" item with no stock. It is
    /// never published to the storefront. Default none.
    #[serde(default)]
    pub credit_item: Option<String>,
}

fn default_customer_cache() -> u64 {
    60
}

fn default_utc_offset() -> i32 {
    2
}
fn default_cancel_suffix() -> String {
    "/C".to_owned()
}
fn default_return_infix() -> String {
    "/R".to_owned()
}

impl Default for AdapterConfig {
    fn default() -> Self {
        AdapterConfig {
            stock_stores: Vec::new(),
            walk_in_customer: None,
            erp_prices_include_vat: true,
            utc_offset_hours: default_utc_offset(),
            cancel_reference_suffix: default_cancel_suffix(),
            return_reference_infix: default_return_infix(),
            customer_cache_secs: default_customer_cache(),
            reference_prefix: String::new(),
            credit_item: None,
        }
    }
}
