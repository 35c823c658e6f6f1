//! The product and variant mutations: `productSet`, `productUpdate` and the variant bulk
//! mutations.

use async_graphql::{
    Context, Error, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};

use super::inventory::set_quantity;
use super::media::{CreateMediaInput, new_media};
use super::metafields::{MetafieldInput, apply_metafields, check_metafields};
use super::outputs::*;
use super::product_set::*;
use super::*;
use crate::shopify::store::*;
use crate::shopify::types::*;
use crate::shopify::webhooks::emit_all;
use crate::shopify::{lock, webhooks};

/// `ProductUpdateInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductUpdateInput {
    pub(crate) description_html: Option<String>,
    pub(crate) handle: Option<String>,
    pub(crate) seo: Option<SeoInput>,
    pub(crate) product_type: Option<String>,
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) template_suffix: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) vendor: Option<String>,
    pub(crate) redirect_new_handle: Option<bool>,
    pub(crate) id: Option<ID>,
    pub(crate) metafields: Option<Vec<MetafieldInput>>,
    pub(crate) status: Option<ProductStatus>,
    pub(crate) requires_selling_plan: Option<bool>,
}

/// `InventoryLevelInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryLevelInput {
    pub(crate) available_quantity: i32,
    pub(crate) location_id: ID,
}

/// `ProductVariantsBulkInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductVariantsBulkInput {
    pub(crate) barcode: Option<String>,
    pub(crate) compare_at_price: MaybeUndefined<Money>,
    pub(crate) id: Option<ID>,
    pub(crate) media_src: Option<Vec<String>>,
    pub(crate) inventory_policy: Option<ProductVariantInventoryPolicy>,
    pub(crate) inventory_quantities: Option<Vec<InventoryLevelInput>>,
    pub(crate) inventory_item: Option<InventoryItemInput>,
    pub(crate) media_id: Option<ID>,
    pub(crate) metafields: Option<Vec<MetafieldInput>>,
    pub(crate) option_values: Option<Vec<VariantOptionValueInput>>,
    pub(crate) price: Option<Money>,
    pub(crate) taxable: Option<bool>,
    pub(crate) tax_code: Option<String>,
    pub(crate) show_unit_price: Option<bool>,
    pub(crate) requires_components: Option<bool>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductUpdatePayload {
    product: Option<Product>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductVariantsBulkUpdatePayload {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<ProductVariantsBulkUpdateUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductVariantsBulkCreatePayload {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<ProductVariantsBulkCreateUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductVariantsBulkDeletePayload {
    product: Option<Product>,
    user_errors: Vec<ProductVariantsBulkDeleteUserError>,
}

/// `productSet`, `productUpdate` and `productVariantsBulkUpdate`.
#[derive(Default)]
pub(crate) struct ProductMutations;

#[Object]
impl ProductMutations {
    async fn product_set(
        &self,
        ctx: &Context<'_>,
        input: ProductSetInput,
        #[graphql(default_with = "Some(true)")] synchronous: Option<bool>,
        identifier: Option<ProductSetIdentifiers>,
    ) -> Result<Option<ProductSetPayload>> {
        let result: Result<ProductSetPayload> = async move {
            let c = cx(ctx)?;
            if let Some(v) = &input.variants {
                check_input_size("input.variants", v.len().min(MAX_INPUT))?;
            }
            if !synchronous.unwrap_or(true) {
                let op_id = {
                    let mut st = lock(&c.state.store);
                    let id = st.next_id();
                    st.product_ops.insert(
                        id,
                        ProductOpRec {
                            id,
                            product_id: None,
                            status: "CREATED",
                            user_errors: Vec::new(),
                        },
                    );
                    id
                };
                let state = c.state.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    if let Some(op) = lock(&state.store).product_ops.get_mut(&op_id) {
                        op.status = "ACTIVE";
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    let events = {
                        let mut st = lock(&state.store);
                        let result = product_set(&mut st, &input, &identifier);
                        let mut events = Vec::new();
                        let (pid, errors) = match result {
                            Ok((pid, created)) => {
                                if let Some(p) = st.products.get(&pid) {
                                    events.push((
                                        if created {
                                            "PRODUCTS_CREATE"
                                        } else {
                                            "PRODUCTS_UPDATE"
                                        },
                                        webhooks::product_payload(&st, p),
                                    ));
                                }
                                (Some(pid), Vec::new())
                            }
                            Err(errs) => (
                                None,
                                errs.into_iter()
                                    .map(|e| {
                                        (
                                            e.field.unwrap_or_default(),
                                            e.message,
                                            e.code
                                                .map(|c| c.as_str().to_string())
                                                .unwrap_or_default(),
                                        )
                                    })
                                    .collect(),
                            ),
                        };
                        if let Some(op) = st.product_ops.get_mut(&op_id) {
                            op.product_id = pid;
                            op.user_errors = errors;
                            op.status = "COMPLETE";
                        }
                        events
                    };
                    emit_all(&state, events);
                });
                let op = lock(&c.state.store).product_ops.get(&op_id).cloned();
                return Ok(ProductSetPayload {
                    product: None,
                    product_set_operation: op.map(ProductSetOperation),
                    user_errors: Vec::new(),
                });
            }
            let (payload, events) = {
                let mut st = lock(&c.state.store);
                match product_set(&mut st, &input, &identifier) {
                    Ok((pid, created)) => {
                        let p = st.products.get(&pid).cloned();
                        let events = p
                            .as_ref()
                            .map(|p| {
                                vec![(
                                    if created {
                                        "PRODUCTS_CREATE"
                                    } else {
                                        "PRODUCTS_UPDATE"
                                    },
                                    webhooks::product_payload(&st, p),
                                )]
                            })
                            .unwrap_or_default();
                        (
                            ProductSetPayload {
                                product: p.map(Product),
                                product_set_operation: None,
                                user_errors: Vec::new(),
                            },
                            events,
                        )
                    }
                    Err(errors) => (
                        ProductSetPayload {
                            product: None,
                            product_set_operation: None,
                            user_errors: errors,
                        },
                        Vec::new(),
                    ),
                }
            };
            emit_all(&c.state, events);
            Ok(payload)
        }
        .await;
        result.map(Some)
    }

    async fn product_update(
        &self,
        ctx: &Context<'_>,
        product: Option<ProductUpdateInput>,
        media: Option<Vec<CreateMediaInput>>,
    ) -> Result<Option<ProductUpdatePayload>> {
        let result: Result<ProductUpdatePayload> = async move {
        let c = cx(ctx)?;
        let Some(input) = product else {
            return Err(Error::new("argument `product` is required (the deprecated `input` argument is not supported by the sandbox)"));
        };
        let err = |f: &[&str], m: &str| Ok(ProductUpdatePayload { product: None, user_errors: vec![UserError { field: path(f), message: m.to_string() }] });
        let Some(id) = input.id.as_ref() else { return err(&["product", "id"], "Product id is required") };
        let Some(pid) = parse_gid("Product", id.as_str()) else { return err(&["product", "id"], "Product does not exist") };
        let (payload, events) = {
            let mut st = lock(&c.state.store);
            let Some(mut p) = st.products.get(&pid).cloned() else { return err(&["product", "id"], "Product does not exist") };
            if let Some(h) = &input.handle {
                if !valid_handle(h) {
                    return err(&["product", "handle"], "handle may hold only lowercase letters, digits, `-` and `_`");
                }
                if st.products.values().any(|o| &o.handle == h && o.id != pid) {
                    return err(&["product", "handle"], "Handle has already been taken");
                }
                p.handle = h.clone();
            }
            if let Some(t) = &input.title {
                if t.trim().is_empty() {
                    return err(&["product", "title"], "Title can't be blank");
                }
                p.title = t.clone();
            }
            if let Some(mfs) = &input.metafields
                && let Some((f, m)) = check_metafields(mfs, &["product", "metafields"]).into_iter().next()
            {
                return Ok(ProductUpdatePayload { product: None, user_errors: vec![UserError { field: Some(f), message: m }] });
            }
            for (i, m) in media.iter().flatten().enumerate() {
                if m.media_content_type != MediaContentType::IMAGE {
                    return err(&["media", &i.to_string(), "mediaContentType"], "only IMAGE media are supported by the sandbox");
                }
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
            if let Some(mfs) = &input.metafields {
                p.metafields = apply_metafields(&mut st, &p.metafields, mfs, false);
            }
            for m in media.iter().flatten() {
                let id = new_media(&mut st, Some(pid), &m.original_source, m.alt.clone(), None);
                p.media_ids.push(id);
            }
            p.updated_at = now();
            st.products.insert(pid, p.clone());
            let events = vec![("PRODUCTS_UPDATE", webhooks::product_payload(&st, &p))];
            (ProductUpdatePayload { product: Some(Product(p)), user_errors: Vec::new() }, events)
        };
        emit_all(&c.state, events);
        Ok(payload)
            }
        .await;
        result.map(Some)
    }

    async fn product_variants_bulk_update(
        &self,
        ctx: &Context<'_>,
        variants: Vec<ProductVariantsBulkInput>,
        product_id: ID,
        media: Option<Vec<CreateMediaInput>>,
        #[graphql(default_with = "Some(false)")] allow_partial_updates: Option<bool>,
    ) -> Result<Option<ProductVariantsBulkUpdatePayload>> {
        let result: Result<ProductVariantsBulkUpdatePayload> = async move {
        use ProductVariantsBulkUpdateUserErrorCode as C;
        check_input_size("variants", variants.len())?;
        let c = cx(ctx)?;
        let e = |code, f: &[&str], m: &str| ProductVariantsBulkUpdateUserError::new(code, path(f), m);
        let (payload, events) = {
            let mut st = lock(&c.state.store);
            let Some(pid) = parse_gid("Product", product_id.as_str()).filter(|p| st.products.contains_key(p)) else {
                return Ok(ProductVariantsBulkUpdatePayload { product: None, product_variants: None, user_errors: vec![e(C::PRODUCT_DOES_NOT_EXIST, &["productId"], "Product does not exist")] });
            };
            let mut errors = Vec::new();
            let mut ok = Vec::new();
            for (i, v) in variants.iter().enumerate() {
                let idx = i.to_string();
                let before = errors.len();
                let vid = match &v.id {
                    None => {
                        errors.push(e(C::PRODUCT_VARIANT_ID_MISSING, &["variants", &idx, "id"], "Product variant is missing ID attribute"));
                        continue;
                    }
                    Some(id) => match parse_gid("ProductVariant", id.as_str()).and_then(|n| st.variants.get(&n)) {
                        None => {
                            errors.push(e(C::PRODUCT_VARIANT_DOES_NOT_EXIST, &["variants", &idx, "id"], "Product variant does not exist"));
                            continue;
                        }
                        Some(r) if r.product_id != pid => {
                            errors.push(e(C::MUST_BE_FOR_THIS_PRODUCT, &["variants", &idx, "id"], "Product variant does not belong to this product"));
                            continue;
                        }
                        Some(r) => r.id,
                    },
                };
                if v.inventory_quantities.is_some() {
                    errors.push(e(C::NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE, &["variants", &idx, "inventoryQuantities"], "Inventory quantities can only be provided during create. To update inventory for existing variants, use inventorySetQuantities."));
                }
                if v.price.is_some_and(|p| p.0.is_sign_negative()) {
                    errors.push(e(C::NEGATIVE_PRICE_VALUE, &["variants", &idx, "price"], "Price must be greater than or equal to 0"));
                }
                if let MaybeUndefined::Value(cp) = &v.compare_at_price
                    && cp.0.is_sign_negative()
                {
                    errors.push(e(C::GREATER_THAN_OR_EQUAL_TO, &["variants", &idx, "compareAtPrice"], "Compare at price must be greater than or equal to 0"));
                }
                if v.option_values.is_some() {
                    errors.push(e(C::INVALID_INPUT, &["variants", &idx, "optionValues"], "changing option values is not supported by the sandbox; use productSet"));
                }
                if let Some(mid) = &v.media_id
                    && parse_gid("MediaImage", mid.as_str()).and_then(|m| st.media.get(&m)).is_none_or(|m| m.product_id != Some(pid))
                {
                    errors.push(e(C::INVALID_INPUT, &["variants", &idx, "mediaId"], "Media does not exist on this product"));
                }
                if errors.len() == before {
                    ok.push((vid, v));
                }
            }
            if !errors.is_empty() && !allow_partial_updates.unwrap_or(false) {
                return Ok(ProductVariantsBulkUpdatePayload { product: st.products.get(&pid).cloned().map(Product), product_variants: None, user_errors: errors });
            }
            let now = now();
            let mut updated = Vec::new();
            for (vid, v) in ok {
                let mf = v.metafields.as_ref().map(|m| {
                    let prior = st.variants.get(&vid).map(|r| r.metafields.clone()).unwrap_or_default();
                    apply_metafields(&mut st, &prior, m, false)
                });
                let item_id = {
                    let Some(r) = st.variants.get_mut(&vid) else { continue };
                    if let Some(p) = v.price {
                        r.price = p.0;
                    }
                    match &v.compare_at_price {
                        MaybeUndefined::Value(cp) => r.compare_at_price = Some(cp.0),
                        MaybeUndefined::Null => r.compare_at_price = None,
                        MaybeUndefined::Undefined => {}
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
                    if let Some(s) = v.inventory_item.as_ref().and_then(|i| i.sku.clone()) {
                        r.sku = Some(s);
                    }
                    if let Some(m) = &v.media_id {
                        r.media_id = parse_gid("MediaImage", m.as_str());
                    }
                    if let Some(mf) = mf {
                        r.metafields = mf;
                    }
                    r.updated_at = now;
                    updated.push(r.clone());
                    r.inventory_item_id
                };
                if let (Some(ii), Some(item)) = (&v.inventory_item, st.items.get_mut(&item_id)) {
                    if let Some(cost) = ii.cost {
                        item.cost = Some(cost.0);
                    }
                    if let Some(t) = ii.tracked {
                        item.tracked = t;
                    }
                    item.updated_at = now;
                }
            }
            for m in media.iter().flatten() {
                let id = new_media(&mut st, Some(pid), &m.original_source, m.alt.clone(), None);
                if let Some(p) = st.products.get_mut(&pid) {
                    p.media_ids.push(id);
                }
            }
            if let Some(p) = st.products.get_mut(&pid) {
                p.updated_at = now;
            }
            let p = st.products.get(&pid).cloned();
            let events = p.iter().map(|p| ("PRODUCTS_UPDATE", webhooks::product_payload(&st, p))).collect::<Vec<_>>();
            (
                ProductVariantsBulkUpdatePayload { product: p.map(Product), product_variants: Some(updated.into_iter().map(ProductVariant).collect()), user_errors: errors },
                events,
            )
        };
        emit_all(&c.state, events);
        Ok(payload)
            }
        .await;
        result.map(Some)
    }
}

/// `productVariantsBulkCreate` and `productVariantsBulkDelete`.
#[derive(Default)]
pub(crate) struct VariantMutations;

#[Object]
impl VariantMutations {
    async fn product_variants_bulk_create(
        &self,
        ctx: &Context<'_>,
        variants: Vec<ProductVariantsBulkInput>,
        product_id: ID,
        media: Option<Vec<CreateMediaInput>>,
        #[graphql(default_with = "Some(ProductVariantsBulkCreateStrategy::DEFAULT)")]
        strategy: Option<ProductVariantsBulkCreateStrategy>,
    ) -> Result<Option<ProductVariantsBulkCreatePayload>> {
        let result: Result<ProductVariantsBulkCreatePayload> = async move {
            use ProductVariantsBulkCreateUserErrorCode as C;
            check_input_size("variants", variants.len())?;
            let c = cx(ctx)?;
            let e = |code, f: &[&str], m: &str| {
                ProductVariantsBulkCreateUserError::new(code, path(f), m)
            };
            let (payload, events) = {
                let mut st = lock(&c.state.store);
                let Some(pid) = parse_gid("Product", product_id.as_str())
                    .filter(|p| st.products.contains_key(p))
                else {
                    return Ok(ProductVariantsBulkCreatePayload {
                        product: None,
                        product_variants: None,
                        user_errors: vec![e(
                            C::PRODUCT_DOES_NOT_EXIST,
                            &["productId"],
                            "Product does not exist",
                        )],
                    });
                };
                let mut p = st
                    .products
                    .get(&pid)
                    .cloned()
                    .ok_or_else(|| Error::new("product vanished"))?;
                let standalone = p.variant_ids.len() == 1
                    && st.variants.get(&p.variant_ids[0]).is_some_and(|v| {
                        v.selected == vec![("Title".to_string(), "Default Title".to_string())]
                    });
                let replace_standalone = standalone
                    && strategy
                        != Some(ProductVariantsBulkCreateStrategy::PRESERVE_STANDALONE_VARIANT);
                // The option names in play: the product's, or (replacing the standalone variant)
                // those the new variants use, in order of appearance.
                let option_names: Vec<String> = if replace_standalone {
                    let mut names = Vec::new();
                    for v in &variants {
                        for ov in v.option_values.iter().flatten() {
                            if let Some(n) = &ov.option_name
                                && !names.contains(n)
                            {
                                names.push(n.clone());
                            }
                        }
                    }
                    names
                } else {
                    p.options.iter().map(|o| o.name.clone()).collect()
                };
                let mut errors = Vec::new();
                let mut selections = Vec::new();
                let existing: Vec<Vec<(String, String)>> = if replace_standalone {
                    Vec::new()
                } else {
                    p.variant_ids
                        .iter()
                        .filter_map(|v| st.variants.get(v))
                        .map(|v| v.selected.clone())
                        .collect()
                };
                for (i, v) in variants.iter().enumerate() {
                    let idx = i.to_string();
                    if v.id.is_some() {
                        errors.push(e(
                            C::INVALID_INPUT,
                            &["variants", &idx, "id"],
                            "id can't be given when creating a variant",
                        ));
                    }
                    if v.price.is_some_and(|p| p.0.is_sign_negative()) {
                        errors.push(e(
                            C::NEGATIVE_PRICE_VALUE,
                            &["variants", &idx, "price"],
                            "Price must be greater than or equal to 0",
                        ));
                    }
                    let mut sel = Vec::new();
                    for ov in v.option_values.iter().flatten() {
                        match (&ov.option_name, &ov.name) {
                            (Some(o), Some(n)) if option_names.contains(o) => {
                                sel.push((o.clone(), n.clone()))
                            }
                            (Some(o), _) if !option_names.contains(o) => {
                                errors.push(e(
                                    C::OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS,
                                    &["variants", &idx, "optionValues"],
                                    &format!("Option `{o}` does not exist on the product"),
                                ));
                            }
                            _ => errors.push(e(
                                C::INVALID_INPUT,
                                &["variants", &idx, "optionValues"],
                                "each option value needs `optionName` and `name`",
                            )),
                        }
                    }
                    sel.sort_by_key(|(n, _)| option_names.iter().position(|o| o == n));
                    if sel.len() != option_names.len() {
                        errors.push(e(
                            C::NEED_TO_ADD_OPTION_VALUES,
                            &["variants", &idx, "optionValues"],
                            "a variant needs exactly one value for every product option",
                        ));
                    } else if existing.contains(&sel) || selections.contains(&sel) {
                        errors.push(e(
                            C::VARIANT_ALREADY_EXISTS,
                            &["variants", &idx, "optionValues"],
                            "a variant with these option values already exists",
                        ));
                    }
                    for (j, q) in v.inventory_quantities.iter().flatten().enumerate() {
                        if !parse_gid("Location", q.location_id.as_str())
                            .is_some_and(|l| st.locations.contains_key(&l))
                        {
                            errors.push(e(
                                C::TRACKED_VARIANT_LOCATION_NOT_FOUND,
                                &[
                                    "variants",
                                    &idx,
                                    "inventoryQuantities",
                                    &j.to_string(),
                                    "locationId",
                                ],
                                "Location does not exist",
                            ));
                        }
                    }
                    selections.push(sel);
                }
                if option_names.len() > 3 {
                    errors.push(e(
                        C::INVALID_INPUT,
                        &["variants"],
                        "a product has at most 3 options",
                    ));
                }
                if !errors.is_empty() {
                    return Ok(ProductVariantsBulkCreatePayload {
                        product: Some(Product(p)),
                        product_variants: None,
                        user_errors: errors,
                    });
                }
                if replace_standalone {
                    for old in std::mem::take(&mut p.variant_ids) {
                        st.remove_variant(old);
                    }
                    p.options = option_names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| OptionRec {
                            id: 0,
                            name: n.clone(),
                            position: i as i32 + 1,
                            values: Vec::new(),
                        })
                        .collect();
                    for o in &mut p.options {
                        o.id = st.next_id();
                    }
                }
                // New option values join their options.
                for sel in &selections {
                    for (o, v) in sel {
                        let fresh = st.next_id();
                        if let Some(opt) = p.options.iter_mut().find(|x| &x.name == o)
                            && !opt.values.iter().any(|(_, n)| n == v)
                        {
                            opt.values.push((fresh, v.clone()));
                        }
                    }
                }
                let mut created = Vec::new();
                for (v, sel) in variants.iter().zip(selections) {
                    let position = p.variant_ids.len() as i32 + 1;
                    let vid = new_variant(&mut st, pid, sel, position);
                    p.variant_ids.push(vid);
                    let item_id = {
                        let Some(r) = st.variants.get_mut(&vid) else {
                            continue;
                        };
                        if let Some(pr) = v.price {
                            r.price = pr.0;
                        }
                        if let MaybeUndefined::Value(cp) = &v.compare_at_price {
                            r.compare_at_price = Some(cp.0);
                        }
                        r.barcode = v.barcode.clone();
                        r.sku = v.inventory_item.as_ref().and_then(|i| i.sku.clone());
                        if let Some(t) = v.taxable {
                            r.taxable = t;
                        }
                        if let Some(pol) = v.inventory_policy {
                            r.inventory_policy_continue =
                                pol == ProductVariantInventoryPolicy::CONTINUE;
                        }
                        r.inventory_item_id
                    };
                    if let (Some(ii), Some(item)) = (&v.inventory_item, st.items.get_mut(&item_id))
                    {
                        item.cost = ii.cost.map(|c| c.0);
                        if let Some(t) = ii.tracked {
                            item.tracked = t;
                        }
                    }
                    for q in v.inventory_quantities.iter().flatten() {
                        if let Some(loc) = parse_gid("Location", q.location_id.as_str()) {
                            set_quantity(
                                &mut st,
                                item_id,
                                loc,
                                "available",
                                i64::from(q.available_quantity),
                                None,
                            );
                        }
                    }
                    if let Some(r) = st.variants.get(&vid) {
                        created.push(r.clone());
                    }
                }
                for m in media.iter().flatten() {
                    let id = new_media(&mut st, Some(pid), &m.original_source, m.alt.clone(), None);
                    p.media_ids.push(id);
                }
                p.updated_at = now();
                st.products.insert(pid, p.clone());
                let events = vec![("PRODUCTS_UPDATE", webhooks::product_payload(&st, &p))];
                (
                    ProductVariantsBulkCreatePayload {
                        product: Some(Product(p)),
                        product_variants: Some(created.into_iter().map(ProductVariant).collect()),
                        user_errors: Vec::new(),
                    },
                    events,
                )
            };
            emit_all(&c.state, events);
            Ok(payload)
        }
        .await;
        result.map(Some)
    }

    async fn product_variants_bulk_delete(
        &self,
        ctx: &Context<'_>,
        variants_ids: Vec<ID>,
        product_id: ID,
    ) -> Result<Option<ProductVariantsBulkDeletePayload>> {
        let result: Result<ProductVariantsBulkDeletePayload> = async move {
            use ProductVariantsBulkDeleteUserErrorCode as C;
            check_input_size("variantsIds", variants_ids.len())?;
            let c = cx(ctx)?;
            let e = |code, f: &[&str], m: &str| {
                ProductVariantsBulkDeleteUserError::new(code, path(f), m)
            };
            let (payload, events) = {
                let mut st = lock(&c.state.store);
                let Some(pid) = parse_gid("Product", product_id.as_str())
                    .filter(|p| st.products.contains_key(p))
                else {
                    return Ok(ProductVariantsBulkDeletePayload {
                        product: None,
                        user_errors: vec![e(
                            C::PRODUCT_DOES_NOT_EXIST,
                            &["productId"],
                            "Product does not exist",
                        )],
                    });
                };
                let mut p = st
                    .products
                    .get(&pid)
                    .cloned()
                    .ok_or_else(|| Error::new("product vanished"))?;
                let (ids, refused) = resolve_ids("ProductVariant", &variants_ids, |n| {
                    p.variant_ids.contains(&n)
                });
                if !refused.is_empty() {
                    return Ok(ProductVariantsBulkDeletePayload {
                        product: Some(Product(p)),
                        user_errors: vec![e(
                            C::AT_LEAST_ONE_VARIANT_DOES_NOT_BELONG_TO_THE_PRODUCT,
                            &["variantsIds"],
                            "At least one variant does not belong to the product",
                        )],
                    });
                }
                if p.variant_ids.iter().all(|v| ids.contains(v)) {
                    return Ok(ProductVariantsBulkDeletePayload {
                        product: Some(Product(p)),
                        user_errors: vec![e(
                            C::CANNOT_DELETE_LAST_VARIANT,
                            &["variantsIds"],
                            "Cannot delete the last variant of a product",
                        )],
                    });
                }
                for id in &ids {
                    st.remove_variant(*id);
                }
                p.variant_ids.retain(|v| !ids.contains(v));
                p.updated_at = now();
                st.products.insert(pid, p.clone());
                let events = vec![("PRODUCTS_UPDATE", webhooks::product_payload(&st, &p))];
                (
                    ProductVariantsBulkDeletePayload {
                        product: Some(Product(p)),
                        user_errors: Vec::new(),
                    },
                    events,
                )
            };
            emit_all(&c.state, events);
            Ok(payload)
        }
        .await;
        result.map(Some)
    }
}
