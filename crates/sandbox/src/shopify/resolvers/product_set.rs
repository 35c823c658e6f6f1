//! `productSet`: its inputs and the upsert itself (validated whole before anything changes).

use std::collections::HashSet;

use async_graphql::{ID, InputObject, MaybeUndefined, SimpleObject};
use rust_decimal::Decimal;

use super::inventory::set_quantity;
use super::media::new_media;
use super::metafields::{
    MetafieldInput, UniqueMetafieldValueInput, apply_metafields, check_metafields,
};
use super::outputs::*;
use crate::shopify::store::*;
use crate::shopify::types::*;

/// `ProductSetIdentifiers`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductSetIdentifiers {
    pub(crate) id: Option<ID>,
    pub(crate) handle: Option<String>,
    pub(crate) custom_id: Option<UniqueMetafieldValueInput>,
}

/// `SEOInput`.
#[derive(InputObject, Debug, Clone)]
#[graphql(name = "SEOInput")]
pub(crate) struct SeoInput {
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
}

/// `FileSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FileSetInput {
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<FileContentType>,
    pub(crate) alt: Option<String>,
    pub(crate) duplicate_resolution_mode: Option<FileCreateInputDuplicateResolutionMode>,
    pub(crate) id: Option<ID>,
    pub(crate) original_source: Option<String>,
}

/// `OptionValueSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct OptionValueSetInput {
    pub(crate) id: Option<ID>,
    pub(crate) name: Option<String>,
}

/// `OptionSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct OptionSetInput {
    pub(crate) id: Option<ID>,
    pub(crate) name: Option<String>,
    pub(crate) position: Option<i32>,
    pub(crate) values: Option<Vec<OptionValueSetInput>>,
}

/// `VariantOptionValueInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct VariantOptionValueInput {
    pub(crate) id: Option<ID>,
    pub(crate) name: Option<String>,
    pub(crate) linked_metafield_value: Option<String>,
    pub(crate) option_id: Option<ID>,
    pub(crate) option_name: Option<String>,
}

/// `ProductSetInventoryInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductSetInventoryInput {
    pub(crate) location_id: ID,
    pub(crate) name: String,
    pub(crate) quantity: i32,
}

/// `InventoryItemInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryItemInput {
    pub(crate) sku: Option<String>,
    pub(crate) cost: Option<DecimalScalar>,
    pub(crate) tracked: Option<bool>,
    pub(crate) country_code_of_origin: Option<CountryCode>,
    pub(crate) harmonized_system_code: Option<String>,
    pub(crate) province_code_of_origin: Option<String>,
    pub(crate) requires_shipping: Option<bool>,
}

/// `ProductVariantSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductVariantSetInput {
    pub(crate) id: Option<ID>,
    pub(crate) option_values: Vec<VariantOptionValueInput>,
    pub(crate) price: Option<Money>,
    pub(crate) sku: Option<String>,
    pub(crate) barcode: Option<String>,
    pub(crate) position: Option<i32>,
    pub(crate) file: Option<FileSetInput>,
    pub(crate) metafields: Option<Vec<MetafieldInput>>,
    pub(crate) compare_at_price: MaybeUndefined<Money>,
    pub(crate) inventory_policy: Option<ProductVariantInventoryPolicy>,
    pub(crate) inventory_quantities: Option<Vec<ProductSetInventoryInput>>,
    pub(crate) inventory_item: Option<InventoryItemInput>,
    pub(crate) taxable: Option<bool>,
    pub(crate) tax_code: Option<String>,
    pub(crate) requires_components: Option<bool>,
    pub(crate) show_unit_price: Option<bool>,
}

/// `ProductSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductSetInput {
    pub(crate) description_html: Option<String>,
    pub(crate) handle: Option<String>,
    pub(crate) seo: Option<SeoInput>,
    pub(crate) product_type: Option<String>,
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) template_suffix: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) vendor: Option<String>,
    pub(crate) redirect_new_handle: Option<bool>,
    pub(crate) status: Option<ProductStatus>,
    pub(crate) metafields: Option<Vec<MetafieldInput>>,
    pub(crate) files: Option<Vec<FileSetInput>>,
    pub(crate) product_options: Option<Vec<OptionSetInput>>,
    #[graphql(deprecation = "Use `identifier` instead.")]
    pub(crate) id: Option<ID>,
    pub(crate) variants: Option<Vec<ProductVariantSetInput>>,
    pub(crate) requires_selling_plan: Option<bool>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductSetPayload {
    pub(crate) product: Option<Product>,
    pub(crate) product_set_operation: Option<ProductSetOperation>,
    pub(crate) user_errors: Vec<ProductSetUserError>,
}

fn slug(title: &str) -> String {
    let mut out = String::new();
    for ch in title.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

pub(crate) fn valid_handle(h: &str) -> bool {
    !h.is_empty()
        && h.chars()
            .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-' || c == '_')
}

fn pse(
    code: ProductSetUserErrorCode,
    field: &[&str],
    msg: impl Into<String>,
) -> ProductSetUserError {
    ProductSetUserError::new(code, path(field), msg)
}

/// Resolves the product a productSet targets: `Ok(Some(id))` to update, `Ok(None)` to create.
fn resolve_target(
    st: &Store,
    input: &ProductSetInput,
    ident: &Option<ProductSetIdentifiers>,
) -> std::result::Result<Option<u64>, ProductSetUserError> {
    use ProductSetUserErrorCode as C;
    if let Some(ident) = ident {
        if input.id.is_some() {
            return Err(pse(
                C::ID_NOT_ALLOWED,
                &["input", "id"],
                "`id` is not allowed in the input when `identifier` is given",
            ));
        }
        let set = [
            ident.id.is_some(),
            ident.handle.is_some(),
            ident.custom_id.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if set != 1 {
            return Err(pse(
                C::INVALID_INPUT,
                &["identifier"],
                "exactly one of `id`, `handle` or `customId` must be given",
            ));
        }
        if let Some(id) = &ident.id {
            let n = parse_gid("Product", id.as_str()).ok_or_else(|| {
                pse(
                    C::INVALID_INPUT,
                    &["identifier", "id"],
                    format!("`{}` is not a Product id", id.as_str()),
                )
            })?;
            return if st.products.contains_key(&n) {
                Ok(Some(n))
            } else {
                Err(pse(
                    C::PRODUCT_DOES_NOT_EXIST,
                    &["identifier", "id"],
                    "Product does not exist",
                ))
            };
        }
        if let Some(h) = &ident.handle {
            if let Some(given) = &input.handle
                && given != h
                && st.product_by_handle(h).is_none()
            {
                return Err(pse(
                    C::INPUT_MISMATCH,
                    &["input", "handle"],
                    "the handle in the input differs from `identifier.handle` for a new product",
                ));
            }
            return Ok(st.product_by_handle(h).map(|p| p.id));
        }
        if let Some(c) = &ident.custom_id {
            let ns = c.namespace.clone().unwrap_or_else(|| "custom".to_string());
            return Ok(st
                .products
                .values()
                .find(|p| {
                    p.metafields
                        .iter()
                        .any(|m| m.namespace == ns && m.key == c.key && m.value == c.value)
                })
                .map(|p| p.id));
        }
    }
    if let Some(id) = &input.id {
        let n = parse_gid("Product", id.as_str()).ok_or_else(|| {
            pse(
                C::INVALID_INPUT,
                &["input", "id"],
                format!("`{}` is not a Product id", id.as_str()),
            )
        })?;
        return if st.products.contains_key(&n) {
            Ok(Some(n))
        } else {
            Err(pse(
                C::PRODUCT_DOES_NOT_EXIST,
                &["input", "id"],
                "Product does not exist",
            ))
        };
    }
    Ok(None)
}

/// The (option name, value) pairs a variant input selects, checked against the options.
fn variant_selection(
    options: &[(String, Vec<String>)],
    v: &ProductVariantSetInput,
    i: usize,
) -> std::result::Result<Vec<(String, String)>, ProductSetUserError> {
    use ProductSetUserErrorCode as C;
    let idx = i.to_string();
    let mut picked: Vec<(String, String)> = Vec::new();
    for ov in &v.option_values {
        let oname = ov.option_name.clone().ok_or_else(|| pse(C::INVALID_VARIANT, &["input", "variants", &idx, "optionValues"], "each option value needs `optionName` (option ids are not supported by the sandbox)"))?;
        let Some((_, values)) = options.iter().find(|(n, _)| *n == oname) else {
            return Err(pse(
                C::OPTION_DOES_NOT_EXIST,
                &["input", "variants", &idx, "optionValues"],
                format!("Option `{oname}` does not exist"),
            ));
        };
        let vname = ov.name.clone().ok_or_else(|| {
            pse(
                C::INVALID_VARIANT,
                &["input", "variants", &idx, "optionValues"],
                "each option value needs `name`",
            )
        })?;
        if !values.contains(&vname) {
            return Err(pse(
                C::OPTION_VALUE_DOES_NOT_EXIST,
                &["input", "variants", &idx, "optionValues"],
                format!("Option value `{vname}` does not exist on option `{oname}`"),
            ));
        }
        if picked.iter().any(|(n, _)| *n == oname) {
            return Err(pse(
                C::INVALID_VARIANT,
                &["input", "variants", &idx, "optionValues"],
                format!("option `{oname}` is given twice"),
            ));
        }
        picked.push((oname, vname));
    }
    if picked.len() != options.len() {
        return Err(pse(
            C::INVALID_VARIANT,
            &["input", "variants", &idx, "optionValues"],
            "a variant must have exactly one value for every product option",
        ));
    }
    picked.sort_by_key(|(n, _)| options.iter().position(|(o, _)| o == n));
    Ok(picked)
}

/// Validates and applies a productSet; returns the product id and whether it was created.
pub(crate) fn product_set(
    st: &mut Store,
    input: &ProductSetInput,
    ident: &Option<ProductSetIdentifiers>,
) -> std::result::Result<(u64, bool), Vec<ProductSetUserError>> {
    use ProductSetUserErrorCode as C;
    let target = resolve_target(st, input, ident).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let creating = target.is_none();
    if creating && input.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        errors.push(pse(
            C::MISSING_FIELD_REQUIRED,
            &["input", "title"],
            "Title can't be blank",
        ));
    }
    // Handle.
    let handle = input
        .handle
        .clone()
        .or_else(|| ident.as_ref().and_then(|i| i.handle.clone()))
        .or_else(|| creating.then(|| slug(input.title.as_deref().unwrap_or(""))));
    if let Some(h) = &handle {
        if !valid_handle(h) {
            errors.push(pse(
                C::INVALID_INPUT,
                &["input", "handle"],
                format!("handle `{h}` may hold only lowercase letters, digits, `-` and `_`"),
            ));
        } else if st
            .products
            .values()
            .any(|p| &p.handle == h && Some(p.id) != target)
        {
            errors.push(pse(
                C::HANDLE_NOT_UNIQUE,
                &["input", "handle"],
                format!("Handle '{h}' already in use. Please provide a new handle."),
            ));
        }
    }
    // Options and variants.
    let options: Option<Vec<(String, Vec<String>)>> = input.product_options.as_ref().map(|opts| {
        opts.iter()
            .map(|o| {
                (
                    o.name.clone().unwrap_or_default(),
                    o.values
                        .clone()
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|v| v.name)
                        .collect(),
                )
            })
            .collect()
    });
    match (&options, &input.variants) {
        (None, Some(_)) => errors.push(pse(
            C::PRODUCT_OPTIONS_INPUT_MISSING,
            &["input", "productOptions"],
            "productOptions are required when variants are given",
        )),
        (Some(_), None) => errors.push(pse(
            C::VARIANTS_INPUT_MISSING,
            &["input", "variants"],
            "variants are required when productOptions are given",
        )),
        _ => {}
    }
    if let Some(opts) = &options {
        if opts.len() > 3 {
            errors.push(pse(
                C::OPTIONS_OVER_LIMIT,
                &["input", "productOptions"],
                "a product has at most 3 options",
            ));
        }
        let mut names = HashSet::new();
        for (i, (name, values)) in opts.iter().enumerate() {
            let idx = i.to_string();
            if name.trim().is_empty() {
                errors.push(pse(
                    C::MISSING_FIELD_REQUIRED,
                    &["input", "productOptions", &idx, "name"],
                    "option name can't be blank",
                ));
            } else if !names.insert(name.clone()) {
                errors.push(pse(
                    C::DUPLICATED_OPTION_NAME,
                    &["input", "productOptions", &idx, "name"],
                    format!("Duplicated option name `{name}`"),
                ));
            }
            if values.is_empty() {
                errors.push(pse(
                    C::OPTION_VALUES_MISSING,
                    &["input", "productOptions", &idx, "values"],
                    "an option needs at least one value",
                ));
            }
            let mut seen = HashSet::new();
            for v in values {
                if !seen.insert(v) {
                    errors.push(pse(
                        C::DUPLICATED_OPTION_VALUE,
                        &["input", "productOptions", &idx, "values"],
                        format!("Duplicated option value `{v}`"),
                    ));
                }
            }
        }
    }
    let mut selections = Vec::new();
    if let (Some(opts), Some(variants)) = (&options, &input.variants) {
        if variants.len() > 2048 {
            errors.push(pse(
                C::VARIANTS_OVER_LIMIT,
                &["input", "variants"],
                "a product has at most 2048 variants",
            ));
        }
        let mut combos = HashSet::new();
        for (i, v) in variants.iter().enumerate() {
            let idx = i.to_string();
            match variant_selection(opts, v, i) {
                Ok(sel) => {
                    if !combos.insert(sel.clone()) {
                        errors.push(pse(
                            C::INVALID_VARIANT,
                            &["input", "variants", &idx, "optionValues"],
                            "two variants have the same option values",
                        ));
                    }
                    selections.push(sel);
                }
                Err(e) => errors.push(e),
            }
            if let Some(id) = &v.id {
                let ok = parse_gid("ProductVariant", id.as_str())
                    .and_then(|n| st.variants.get(&n))
                    .is_some_and(|var| Some(var.product_id) == target);
                if !ok {
                    errors.push(pse(
                        C::PRODUCT_VARIANT_DOES_NOT_EXIST,
                        &["input", "variants", &idx, "id"],
                        "Product variant does not exist on this product",
                    ));
                }
            }
            if v.price.is_some_and(|p| p.0.is_sign_negative()) {
                errors.push(pse(
                    C::INVALID_VARIANT,
                    &["input", "variants", &idx, "price"],
                    "price must be at least 0",
                ));
            }
            if let MaybeUndefined::Value(c) = &v.compare_at_price
                && c.0.is_sign_negative()
            {
                errors.push(pse(
                    C::INVALID_VARIANT,
                    &["input", "variants", &idx, "compareAtPrice"],
                    "compareAtPrice must be at least 0",
                ));
            }
            for (j, q) in v.inventory_quantities.iter().flatten().enumerate() {
                let jdx = j.to_string();
                if !parse_gid("Location", q.location_id.as_str())
                    .is_some_and(|l| st.locations.contains_key(&l))
                {
                    errors.push(pse(
                        C::INVALID_INPUT,
                        &[
                            "input",
                            "variants",
                            &idx,
                            "inventoryQuantities",
                            &jdx,
                            "locationId",
                        ],
                        "Location does not exist",
                    ));
                }
                if q.name != "available" && q.name != "on_hand" {
                    errors.push(pse(
                        C::INVALID_INPUT,
                        &[
                            "input",
                            "variants",
                            &idx,
                            "inventoryQuantities",
                            &jdx,
                            "name",
                        ],
                        "name must be `available` or `on_hand`",
                    ));
                }
                if q.quantity < 0 {
                    errors.push(pse(
                        C::INVALID_INPUT,
                        &[
                            "input",
                            "variants",
                            &idx,
                            "inventoryQuantities",
                            &jdx,
                            "quantity",
                        ],
                        "quantity must be at least 0",
                    ));
                }
            }
            for (f, m) in check_metafields(
                v.metafields.as_deref().unwrap_or(&[]),
                &["input", "variants", &idx, "metafields"],
            ) {
                errors.push(ProductSetUserError::new(C::INVALID_METAFIELD, Some(f), m));
            }
        }
    }
    for (f, m) in check_metafields(
        input.metafields.as_deref().unwrap_or(&[]),
        &["input", "metafields"],
    ) {
        errors.push(ProductSetUserError::new(C::INVALID_METAFIELD, Some(f), m));
    }
    for (i, f) in input.files.iter().flatten().enumerate() {
        let idx = i.to_string();
        match (&f.id, &f.original_source) {
            (Some(id), _) => {
                let ok = parse_gid("MediaImage", id.as_str())
                    .and_then(|n| st.media.get(&n))
                    .is_some_and(|m| m.product_id.is_none() || m.product_id == target);
                if !ok {
                    errors.push(pse(
                        C::NOT_FOUND,
                        &["input", "files", &idx, "id"],
                        "File does not exist",
                    ));
                }
            }
            (None, Some(src)) if !src.is_empty() => {}
            _ => errors.push(pse(
                C::MISSING_FIELD_REQUIRED,
                &["input", "files", &idx, "originalSource"],
                "a file needs `id` or `originalSource`",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // ---- apply
    let now = now();
    let pid = match target {
        Some(id) => id,
        None => {
            let id = st.next_id();
            st.products.insert(
                id,
                ProductRec {
                    id,
                    handle: String::new(),
                    title: String::new(),
                    description_html: String::new(),
                    vendor: String::new(),
                    product_type: String::new(),
                    tags: Vec::new(),
                    status: Status::Active,
                    options: Vec::new(),
                    variant_ids: Vec::new(),
                    media_ids: Vec::new(),
                    metafields: Vec::new(),
                    created_at: now,
                    updated_at: now,
                },
            );
            id
        }
    };
    let mut p = st
        .products
        .get(&pid)
        .cloned()
        .ok_or_else(|| vec![pse(C::GENERIC_ERROR, &["input"], "product vanished")])?;
    if let Some(h) = handle {
        p.handle = h;
    }
    if let Some(t) = &input.title {
        p.title = t.clone();
    }
    if let Some(d) = &input.description_html {
        p.description_html = d.clone();
    }
    if let Some(v) = &input.vendor {
        p.vendor = v.clone();
    }
    if let Some(t) = &input.product_type {
        p.product_type = t.clone();
    }
    if let Some(t) = &input.tags {
        p.tags = t.clone();
    }
    if let Some(s) = input.status {
        p.status = match s {
            ProductStatus::ACTIVE => Status::Active,
            ProductStatus::ARCHIVED => Status::Archived,
            ProductStatus::DRAFT => Status::Draft,
            ProductStatus::UNLISTED => Status::Unlisted,
        };
    }
    if let Some(c) = ident.as_ref().and_then(|i| i.custom_id.as_ref()) {
        let ns = c.namespace.clone().unwrap_or_else(|| "custom".to_string());
        if !p
            .metafields
            .iter()
            .any(|m| m.namespace == ns && m.key == c.key)
        {
            let mf = MetafieldInput {
                id: None,
                namespace: Some(ns),
                key: Some(c.key.clone()),
                value: Some(c.value.clone()),
                type_: Some("single_line_text_field".into()),
            };
            p.metafields = apply_metafields(st, &p.metafields, &[mf], false);
        }
    }
    if let Some(mfs) = &input.metafields {
        p.metafields = apply_metafields(st, &p.metafields, mfs, true);
    }
    if let Some(opts) = &options {
        let mut new_opts = Vec::new();
        for (i, (name, values)) in opts.iter().enumerate() {
            let prior = p.options.iter().find(|o| &o.name == name).cloned();
            let vals = values
                .iter()
                .map(|v| {
                    let id = prior
                        .as_ref()
                        .and_then(|o| o.values.iter().find(|(_, n)| n == v).map(|(id, _)| *id))
                        .unwrap_or_else(|| st.next_id());
                    (id, v.clone())
                })
                .collect();
            new_opts.push(OptionRec {
                id: prior.map_or_else(|| st.next_id(), |o| o.id),
                name: name.clone(),
                position: i as i32 + 1,
                values: vals,
            });
        }
        p.options = new_opts;
    }
    if creating && input.variants.is_none() {
        // A product always has a variant: the default one.
        p.options = vec![OptionRec {
            id: st.next_id(),
            name: "Title".into(),
            position: 1,
            values: vec![(st.next_id(), "Default Title".into())],
        }];
        let vid = new_variant(st, pid, vec![("Title".into(), "Default Title".into())], 1);
        p.variant_ids = vec![vid];
    }
    if let Some(files) = &input.files {
        let mut keep = Vec::new();
        for f in files {
            match (&f.id, &f.original_source) {
                (Some(id), _) => {
                    if let Some(n) = parse_gid("MediaImage", id.as_str()) {
                        if let Some(m) = st.media.get_mut(&n) {
                            m.product_id = Some(pid);
                            if f.alt.is_some() {
                                m.alt = f.alt.clone();
                            }
                        }
                        keep.push(n);
                    }
                }
                (None, Some(src)) => {
                    let existing = p
                        .media_ids
                        .iter()
                        .copied()
                        .find(|m| st.media.get(m).is_some_and(|r| &r.original_source == src));
                    keep.push(existing.unwrap_or_else(|| {
                        new_media(st, Some(pid), src, f.alt.clone(), f.filename.clone())
                    }));
                }
                _ => {}
            }
        }
        for old in p.media_ids.iter().filter(|m| !keep.contains(m)) {
            st.media.remove(old);
        }
        p.media_ids = keep;
    }
    if let Some(variants) = &input.variants {
        let mut kept = Vec::new();
        for (i, (v, sel)) in variants.iter().zip(selections).enumerate() {
            let by_id =
                v.id.as_ref()
                    .and_then(|id| parse_gid("ProductVariant", id.as_str()));
            let by_options = p.variant_ids.iter().copied().find(|vid| {
                !kept.contains(vid) && st.variants.get(vid).is_some_and(|r| r.selected == sel)
            });
            let (vid, created) = match by_id.or(by_options) {
                Some(vid) => (vid, false),
                None => (new_variant(st, pid, sel.clone(), i as i32 + 1), true),
            };
            kept.push(vid);
            let media = v
                .file
                .as_ref()
                .and_then(|f| match (&f.id, &f.original_source) {
                    (Some(id), _) => parse_gid("MediaImage", id.as_str()),
                    (None, Some(src)) => {
                        let existing =
                            p.media_ids.iter().copied().find(|m| {
                                st.media.get(m).is_some_and(|r| &r.original_source == src)
                            });
                        Some(existing.unwrap_or_else(|| {
                            let m =
                                new_media(st, Some(pid), src, f.alt.clone(), f.filename.clone());
                            p.media_ids.push(m);
                            m
                        }))
                    }
                    _ => None,
                });
            let item_id;
            {
                let prior_mf = st
                    .variants
                    .get(&vid)
                    .map(|r| r.metafields.clone())
                    .unwrap_or_default();
                let mf = v
                    .metafields
                    .as_ref()
                    .map(|m| apply_metafields(st, &prior_mf, m, true));
                let Some(r) = st.variants.get_mut(&vid) else {
                    continue;
                };
                r.selected = sel;
                r.position = v.position.unwrap_or(i as i32 + 1);
                if let Some(pr) = v.price {
                    r.price = pr.0;
                }
                match &v.compare_at_price {
                    MaybeUndefined::Value(c) => r.compare_at_price = Some(c.0),
                    MaybeUndefined::Null => r.compare_at_price = None,
                    MaybeUndefined::Undefined => {}
                }
                if let Some(s) = v
                    .sku
                    .clone()
                    .or_else(|| v.inventory_item.as_ref().and_then(|i| i.sku.clone()))
                {
                    r.sku = Some(s);
                }
                if v.barcode.is_some() {
                    r.barcode = v.barcode.clone();
                }
                if let Some(t) = v.taxable {
                    r.taxable = t;
                }
                if let Some(pol) = v.inventory_policy {
                    r.inventory_policy_continue = pol == ProductVariantInventoryPolicy::CONTINUE;
                }
                if media.is_some() {
                    r.media_id = media;
                }
                if let Some(mf) = mf {
                    r.metafields = mf;
                }
                r.updated_at = now;
                item_id = r.inventory_item_id;
            }
            if let (Some(ii), Some(item)) = (&v.inventory_item, st.items.get_mut(&item_id)) {
                if let Some(c) = ii.cost {
                    item.cost = Some(c.0);
                }
                if let Some(t) = ii.tracked {
                    item.tracked = t;
                }
                if let Some(rs) = ii.requires_shipping {
                    item.requires_shipping = rs;
                }
                item.updated_at = now;
            }
            if created {
                for q in v.inventory_quantities.iter().flatten() {
                    if let Some(loc) = parse_gid("Location", q.location_id.as_str()) {
                        set_quantity(st, item_id, loc, &q.name, i64::from(q.quantity), None);
                    }
                }
            }
        }
        for old in p.variant_ids.iter().filter(|v| !kept.contains(v)) {
            st.remove_variant(*old);
        }
        p.variant_ids = kept;
    }
    p.updated_at = now;
    st.products.insert(pid, p);
    Ok((pid, creating))
}

pub(crate) fn new_variant(
    st: &mut Store,
    product: u64,
    selected: Vec<(String, String)>,
    position: i32,
) -> u64 {
    let now = now();
    let vid = st.next_id();
    let iid = st.next_id();
    st.items.insert(
        iid,
        InventoryItemRec {
            id: iid,
            variant_id: vid,
            tracked: true,
            cost: None,
            requires_shipping: true,
            created_at: now,
            updated_at: now,
        },
    );
    st.variants.insert(
        vid,
        VariantRec {
            id: vid,
            product_id: product,
            sku: None,
            barcode: None,
            price: Decimal::ZERO,
            compare_at_price: None,
            position,
            selected,
            inventory_item_id: iid,
            taxable: true,
            inventory_policy_continue: false,
            media_id: None,
            metafields: Vec::new(),
            created_at: now,
            updated_at: now,
        },
    );
    vid
}
