//! The catalogue mapping: Flow's item master to products and variants, as configured in
//! [`crate::config::CatalogMapping`].
//!
//! Defaults: one product per item group; one variant per item, or per item × colour × size
//! for items with `HASCLR`/`HASSIZ` (the colour and size pairs come from the stock rows, the
//! only public place they appear); SKU from `ITCODE`; price from `ITPRICE` unless a price list
//! is configured; compare-at price from a second price list; `STS` decides hold or active.
//!
//! Images: Flow exposes no image API in what is public. Images come from a configured folder
//! or URL pattern keyed by item code and colour; without one, products have no images.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rust_decimal::Decimal;

use crate::config::{CatalogMapping, FlowConfig, ImageSource, ProductGrouping, SkuSource};
use crate::reads::{Item, Record, StockBalance};

/// Whether an item is on sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// Sold (Shopify `ACTIVE`).
    Active,
    /// On hold (Shopify `DRAFT`).
    Hold,
}

/// Where a variant's image is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// A local file (it exists when the mapping ran).
    File(PathBuf),
    /// A URL.
    Url(String),
}

/// A variant: one item, or one item × colour × size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogVariant {
    /// The SKU.
    pub sku: String,
    /// `ITNO` of the item.
    pub item: String,
    /// The colour, for split items.
    pub colour: Option<String>,
    /// The size, for split items.
    pub size: Option<String>,
    /// The item's title.
    pub title: Option<String>,
    /// The price.
    pub price: Option<Decimal>,
    /// The compare-at price (only when above the price).
    pub compare_at_price: Option<Decimal>,
    /// The VAT percentage (`SALTAX`).
    pub vat_percent: Option<Decimal>,
    /// Hold or active.
    pub status: ItemStatus,
    /// The image, when the configured source has one.
    pub image: Option<ImageRef>,
}

/// A product: an item group (or an item) with its variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProduct {
    /// The group code (or `ITNO` when products are items).
    pub key: String,
    /// The title.
    pub title: String,
    /// The description.
    pub description: Option<String>,
    /// Active when any variant is active.
    pub status: ItemStatus,
    /// The variants.
    pub variants: Vec<CatalogVariant>,
}

/// The SKU base of an item (`ITCODE` or `ITNO`; `ITNO` when the item has no code).
pub fn item_sku(mapping: &CatalogMapping, item: &Item) -> String {
    match mapping.sku {
        SkuSource::ItCode => item.code.clone().unwrap_or_else(|| item.number.clone()),
        SkuSource::ItNo => item.number.clone(),
    }
}

/// The SKU of a variant: the item's SKU base, then colour and size when present.
pub fn variant_sku(
    mapping: &CatalogMapping,
    item: &Item,
    colour: Option<&str>,
    size: Option<&str>,
) -> String {
    let mut sku = item_sku(mapping, item);
    for part in [colour, size].into_iter().flatten() {
        sku.push_str(&mapping.sku_separator);
        sku.push_str(part);
    }
    sku
}

/// The status of an item under the mapping.
pub fn item_status(mapping: &CatalogMapping, item: &Item) -> ItemStatus {
    let status = item.raw.text(&mapping.status_field);
    match status {
        Some(s)
            if mapping
                .hold_values
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&s)) =>
        {
            ItemStatus::Hold
        }
        _ => ItemStatus::Active,
    }
}

fn price_index(
    mapping: &CatalogMapping,
    price_lists: &[Record],
    list: &str,
) -> BTreeMap<String, Decimal> {
    let f = &mapping.price_list_fields;
    price_lists
        .iter()
        .filter(|r| {
            r.text(&f.code)
                .is_some_and(|c| c.eq_ignore_ascii_case(list))
        })
        .filter_map(|r| Some((r.text(&f.item)?, r.decimal(&f.price)?)))
        .collect()
}

fn image_for(config: &FlowConfig, code: &str, colour: Option<&str>) -> Option<ImageRef> {
    let fill = |pattern: &str| {
        pattern
            .replace("{item}", code)
            .replace("{colour}", colour.unwrap_or(""))
    };
    match &config.catalog.images {
        ImageSource::None => None,
        ImageSource::Url { pattern } => Some(ImageRef::Url(fill(pattern))),
        ImageSource::Folder { path, pattern } => {
            // Item and colour codes come from Flow's data: a code such as `../../etc` or an
            // absolute path must not lead outside the configured folder.
            let name = fill(pattern);
            let inside = std::path::Path::new(&name)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside || name.contains('\\') {
                tracing::warn!(
                    item = code,
                    colour = colour.unwrap_or(""),
                    "image file name would leave the image folder; no image"
                );
                return None;
            }
            let file = config.resolve_path(path).join(name);
            file.is_file().then_some(ImageRef::File(file))
        }
    }
}

fn group_title(groups: &[Record], group_field: &str, code: &str) -> Option<String> {
    groups
        .iter()
        .find(|g| g.text(group_field).as_deref() == Some(code))
        .and_then(|g| {
            ["GRPNA", "GRPDES", "FORDES", "DES", "NAME"]
                .iter()
                .find_map(|f| g.text(f))
        })
}

/// A colour and size pair of a split item.
type ColourSize<'a> = (Option<&'a str>, Option<&'a str>);

/// Maps the item master to products and variants.
///
/// `groups` are the `GetGroup/ITM` rows (for titles), `balances` the stock rows (for the
/// colour × size pairs of split items), `price_lists` the `GETPRCLST` rows.
pub fn map_catalog(
    config: &FlowConfig,
    items: &[Item],
    groups: &[Record],
    balances: &[StockBalance],
    price_lists: &[Record],
) -> Vec<CatalogProduct> {
    let mapping = &config.catalog;
    let prices = mapping
        .price_list
        .as_deref()
        .map(|l| price_index(mapping, price_lists, l))
        .unwrap_or_default();
    let compare_at = mapping
        .compare_at_price_list
        .as_deref()
        .map(|l| price_index(mapping, price_lists, l))
        .unwrap_or_default();
    let mut pairs: BTreeMap<&str, BTreeSet<ColourSize<'_>>> = BTreeMap::new();
    for b in balances {
        if b.colour.is_some() || b.size.is_some() {
            pairs
                .entry(b.item.as_str())
                .or_default()
                .insert((b.colour.as_deref(), b.size.as_deref()));
        }
    }
    let mut products: BTreeMap<String, CatalogProduct> = BTreeMap::new();
    for item in items {
        let status = item_status(mapping, item);
        let price = prices
            .get(&item.number)
            .copied()
            .or_else(|| item.raw.decimal(&mapping.price_field));
        let compare = compare_at
            .get(&item.number)
            .copied()
            .filter(|c| price.is_none_or(|p| *c > p));
        let title = item.raw.text(&mapping.title_field);
        let code = item_sku(mapping, item);
        let split = mapping.split_colour_size && (item.has_colours || item.has_sizes);
        let combos: Vec<ColourSize<'_>> = match pairs.get(item.number.as_str()) {
            Some(set) if split => set.iter().copied().collect(),
            _ => vec![(None, None)],
        };
        // An item row may itself be one colour × size (its own colour and size fields).
        let own_colour = item.raw.text(&config.stock.colour_field);
        let own_size = item.raw.text(&config.stock.size_field);
        let variants = combos.into_iter().map(|(stock_colour, stock_size)| {
            // The SKU carries only the colour and size of the stock rows (as `stock_by_sku`).
            let sku = variant_sku(mapping, item, stock_colour, stock_size);
            let colour = stock_colour
                .map(str::to_owned)
                .or_else(|| own_colour.clone());
            let size = stock_size.map(str::to_owned).or_else(|| own_size.clone());
            CatalogVariant {
                sku,
                item: item.number.clone(),
                image: image_for(config, &code, colour.as_deref()),
                colour,
                size,
                title: title.clone(),
                price,
                compare_at_price: compare,
                vat_percent: item.vat_percent,
                status,
            }
        });
        let group = match mapping.product {
            ProductGrouping::ItemGroup => item.raw.text(&mapping.group_field),
            ProductGrouping::Item => None,
        };
        let (key, product_title) = match &group {
            Some(g) => (
                format!("group:{g}"),
                group_title(groups, &mapping.group_field, g).unwrap_or_else(|| g.clone()),
            ),
            None => (
                format!("item:{}", item.number),
                title.clone().unwrap_or_else(|| code.clone()),
            ),
        };
        let product = products
            .entry(key.clone())
            .or_insert_with(|| CatalogProduct {
                key: key
                    .split_once(':')
                    .map(|(_, k)| k.to_owned())
                    .unwrap_or(key.clone()),
                title: product_title,
                description: item.raw.text(&mapping.description_field),
                status: ItemStatus::Hold,
                variants: Vec::new(),
            });
        if status == ItemStatus::Active {
            product.status = ItemStatus::Active;
        }
        product.variants.extend(variants);
    }
    products.into_values().collect()
}

/// Stock per SKU from balance rows, with the same SKUs as [`map_catalog`]. Rows of unknown
/// items are skipped; quantities of one SKU are summed.
pub fn stock_by_sku(
    config: &FlowConfig,
    items: &[Item],
    balances: &[StockBalance],
) -> BTreeMap<String, Decimal> {
    let mapping = &config.catalog;
    let by_number: BTreeMap<&str, &Item> = items.iter().map(|i| (i.number.as_str(), i)).collect();
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for b in balances {
        let Some(item) = by_number.get(b.item.as_str()) else {
            continue;
        };
        let split = mapping.split_colour_size && (item.has_colours || item.has_sizes);
        let sku = if split {
            variant_sku(mapping, item, b.colour.as_deref(), b.size.as_deref())
        } else {
            item_sku(mapping, item)
        };
        *out.entry(sku).or_default() += b.quantity;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::{Value, json};

    fn rec(v: Value) -> Record {
        Record(v.as_object().unwrap().clone())
    }

    fn item(v: Value) -> Item {
        Item::from_record(rec(v)).unwrap()
    }

    fn bal(item: &str, colour: Option<&str>, size: Option<&str>, q: Decimal) -> StockBalance {
        StockBalance {
            item: item.into(),
            colour: colour.map(Into::into),
            size: size.map(Into::into),
            quantity: q,
            raw: Record::default(),
        }
    }

    fn fixture() -> (Vec<Item>, Vec<Record>, Vec<StockBalance>, Vec<Record>) {
        let items = vec![
            item(
                json!({"ITNO": 10, "ITCODE": "TS-01", "ITNA": "تيشيرت", "GRPNO": "G1", "ITPRICE": "250.00", "STS": "A", "HASCLR": 1, "HASSIZ": 1, "SALTAX": 14}),
            ),
            item(
                json!({"ITNO": 11, "ITCODE": "CAP-1", "ITNA": "Cap", "GRPNO": "G1", "ITPRICE": 99, "STS": "H"}),
            ),
            item(json!({"ITNO": 12, "ITNA": "Mug", "ITPRICE": 50})),
        ];
        let groups = vec![rec(json!({"GRPNO": "G1", "GRPNA": "ملابس"}))];
        let balances = vec![
            bal("10", Some("RED"), Some("M"), dec!(3)),
            bal("10", Some("RED"), Some("L"), dec!(1)),
            bal("11", None, None, dec!(7)),
            bal("12", None, None, dec!(2)),
            bal("12", None, None, dec!(1)),
        ];
        let prices = vec![
            rec(json!({"PRICECODE": "WEB", "ITNO": "10", "ITPRICE": 230})),
            rec(json!({"PRICECODE": "RETAIL", "ITNO": "10", "ITPRICE": 300})),
        ];
        (items, groups, balances, prices)
    }

    #[test]
    fn default_mapping_groups_items_and_splits_colour_size() {
        let config = FlowConfig::new("1", "u", "p".into());
        let (items, groups, balances, prices) = fixture();
        let products = map_catalog(&config, &items, &groups, &balances, &prices);
        assert_eq!(products.len(), 2);
        let g1 = &products[0];
        assert_eq!((g1.key.as_str(), g1.title.as_str()), ("G1", "ملابس"));
        assert_eq!(g1.status, ItemStatus::Active);
        let skus: Vec<&str> = g1.variants.iter().map(|v| v.sku.as_str()).collect();
        assert_eq!(skus, ["TS-01-RED-L", "TS-01-RED-M", "CAP-1"]);
        assert_eq!(g1.variants[0].price, Some(dec!(250.00)));
        assert_eq!(g1.variants[2].status, ItemStatus::Hold);
        let mug = &products[1];
        assert_eq!(
            (mug.key.as_str(), mug.variants[0].sku.as_str()),
            ("12", "12")
        );
        let stock = stock_by_sku(&config, &items, &balances);
        assert_eq!(stock["TS-01-RED-M"], dec!(3));
        assert_eq!(stock["12"], dec!(3));
    }

    #[test]
    fn configured_mapping_changes_products_skus_prices_and_images() {
        let config = FlowConfig::from_toml_str(
            r#"
account = "1"
user = "u"
password = "p"
[catalog]
product = "item"
sku = "ITNO"
split_colour_size = false
price_list = "WEB"
compare_at_price_list = "RETAIL"
images = { source = "url", pattern = "https://cdn.example.com/{item}/{colour}.jpg" }
"#,
        )
        .unwrap();
        let (items, groups, balances, prices) = fixture();
        let products = map_catalog(&config, &items, &groups, &balances, &prices);
        assert_eq!(products.len(), 3);
        let shirt = products.iter().find(|p| p.key == "10").unwrap();
        assert_eq!(shirt.variants.len(), 1);
        let v = &shirt.variants[0];
        assert_eq!(v.sku, "10");
        assert_eq!(v.price, Some(dec!(230)));
        assert_eq!(v.compare_at_price, Some(dec!(300)));
        assert_eq!(
            v.image,
            Some(ImageRef::Url("https://cdn.example.com/10/.jpg".into()))
        );
    }

    #[test]
    fn an_item_row_that_is_one_colour_and_size_shows_them_but_keeps_its_sku() {
        let config = FlowConfig::new("1", "u", "p".into());
        let items = vec![
            item(
                json!({"ITNO": "A1", "GRPNO": "G", "ITPRICE": 10, "HASCLR": 1, "HASSIZ": 1, "CLRNO": "BLK", "SIZNO": "S"}),
            ),
            item(
                json!({"ITNO": "A2", "GRPNO": "G", "ITPRICE": 10, "HASCLR": 1, "HASSIZ": 1, "CLRNO": "BLK", "SIZNO": "M"}),
            ),
        ];
        let balances = vec![bal("A1", None, None, dec!(4))];
        let products = map_catalog(&config, &items, &[], &balances, &[]);
        let v = &products[0].variants;
        assert_eq!(
            (
                v[0].sku.as_str(),
                v[0].colour.as_deref(),
                v[0].size.as_deref()
            ),
            ("A1", Some("BLK"), Some("S"))
        );
        assert_eq!(v[1].size.as_deref(), Some("M"));
        assert_eq!(stock_by_sku(&config, &items, &balances)["A1"], dec!(4));
    }

    #[test]
    fn item_and_colour_codes_cannot_lead_outside_the_image_folder() {
        let root = tempfile::tempdir().unwrap();
        let images = root.path().join("images");
        std::fs::create_dir(&images).unwrap();
        // A file outside the folder that a crafted code would reach.
        std::fs::write(root.path().join("secret.jpg"), b"not an image").unwrap();
        let mut config = FlowConfig::new("1", "u", "p".into());
        config.catalog.images = ImageSource::Folder {
            path: images.clone(),
            pattern: "{item}{colour}.jpg".into(),
        };
        let outside = root.path().join("secret").display().to_string();
        for (code, colour) in [
            ("../secret", None),
            ("..\\secret", None),
            (outside.as_str(), None),
            ("x", Some("/../../secret")),
        ] {
            assert_eq!(image_for(&config, code, colour), None, "{code} {colour:?}");
        }
        std::fs::write(images.join("TS-01.jpg"), b"jpg").unwrap();
        assert_eq!(
            image_for(&config, "TS-01", None),
            Some(ImageRef::File(images.join("TS-01.jpg")))
        );
    }

    #[test]
    fn folder_images_are_used_only_when_the_file_exists() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("TS-01_RED.jpg"), b"jpg").unwrap();
        let mut config = FlowConfig::new("1", "u", "p".into());
        config.catalog.images = ImageSource::Folder {
            path: dir.path().to_path_buf(),
            pattern: "{item}_{colour}.jpg".into(),
        };
        let (items, groups, balances, prices) = fixture();
        let products = map_catalog(&config, &items, &groups, &balances, &prices);
        let v = &products[0].variants;
        assert_eq!(
            v[0].image,
            Some(ImageRef::File(dir.path().join("TS-01_RED.jpg")))
        );
        assert_eq!(v[2].image, None);
    }
}
