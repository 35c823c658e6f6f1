//! Staged uploads, product media, files, and media attached to variants: the mutations.

use std::collections::HashSet;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::media::{CreateMediaInput, File, Media, media_source_state, new_media};
use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::store::*;
use crate::shopify::types::*;

/// `StagedUploadInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct StagedUploadInput {
    pub(crate) resource: StagedUploadTargetGenerateUploadResource,
    pub(crate) filename: String,
    pub(crate) mime_type: String,
    #[graphql(default_with = "Some(StagedUploadHttpMethodType::PUT)")]
    pub(crate) http_method: Option<StagedUploadHttpMethodType>,
    pub(crate) file_size: Option<UnsignedInt64>,
}

/// `FileCreateInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FileCreateInput {
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<FileContentType>,
    pub(crate) alt: Option<String>,
    pub(crate) duplicate_resolution_mode: Option<FileCreateInputDuplicateResolutionMode>,
    pub(crate) original_source: String,
}

/// `ProductVariantAppendMediaInput` (and `ProductVariantDetachMediaInput`, same fields).
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductVariantAppendMediaInput {
    pub(crate) variant_id: ID,
    pub(crate) media_ids: Vec<ID>,
}

/// `ProductVariantDetachMediaInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductVariantDetachMediaInput {
    pub(crate) variant_id: ID,
    pub(crate) media_ids: Vec<ID>,
}

/// `FileUpdateInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FileUpdateInput {
    pub(crate) id: ID,
    pub(crate) alt: Option<String>,
    pub(crate) original_source: Option<String>,
    pub(crate) preview_image_source: Option<String>,
    pub(crate) filename: Option<String>,
    pub(crate) references_to_add: Option<Vec<ID>>,
    pub(crate) references_to_remove: Option<Vec<ID>>,
}

#[derive(SimpleObject)]
pub(crate) struct StagedUploadsCreatePayload {
    staged_targets: Option<Vec<StagedMediaUploadTarget>>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductCreateMediaPayload {
    media: Option<Vec<Media>>,
    media_user_errors: Vec<MediaUserError>,
    product: Option<Product>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductDeleteMediaPayload {
    deleted_media_ids: Option<Vec<ID>>,
    deleted_product_image_ids: Option<Vec<ID>>,
    media_user_errors: Vec<MediaUserError>,
    product: Option<Product>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct FileCreatePayload {
    files: Option<Vec<File>>,
    user_errors: Vec<FilesUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct FileUpdatePayload {
    files: Option<Vec<File>>,
    user_errors: Vec<FilesUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct FileDeletePayload {
    deleted_file_ids: Option<Vec<ID>>,
    user_errors: Vec<FilesUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductVariantAppendMediaPayload {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<MediaUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductVariantDetachMediaPayload {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<MediaUserError>,
}

type VariantMediaResult = (
    Option<Product>,
    Option<Vec<ProductVariant>>,
    Vec<MediaUserError>,
);

/// Attaches (`append`) or detaches media to/from variants of a product; all or nothing.
fn variant_media_change(
    c: &Ctx,
    product_id: &ID,
    pairs: &[(ID, Vec<ID>)],
    append: bool,
) -> Result<VariantMediaResult> {
    use MediaUserErrorCode as C;
    check_input_size("variantMedia", pairs.len())?;
    let mut st = lock(&c.state.store);
    let e = |code, f: &[&str], m: &str| MediaUserError::new(code, path(f), m);
    let Some(pid) =
        parse_gid("Product", product_id.as_str()).filter(|p| st.products.contains_key(p))
    else {
        return Ok((
            None,
            None,
            vec![e(
                C::PRODUCT_DOES_NOT_EXIST,
                &["productId"],
                "Product does not exist",
            )],
        ));
    };
    let mut errors = Vec::new();
    let mut plan = Vec::new();
    let mut seen = HashSet::new();
    for (i, (vid, media)) in pairs.iter().enumerate() {
        let idx = i.to_string();
        let Some(v) = parse_gid("ProductVariant", vid.as_str())
            .and_then(|n| st.variants.get(&n))
            .filter(|v| v.product_id == pid)
        else {
            errors.push(e(
                C::PRODUCT_VARIANT_DOES_NOT_EXIST_ON_PRODUCT,
                &["variantMedia", &idx, "variantId"],
                "Variant does not exist on the given product",
            ));
            continue;
        };
        if !seen.insert(v.id) {
            errors.push(e(
                C::PRODUCT_VARIANT_SPECIFIED_MULTIPLE_TIMES,
                &["variantMedia", &idx, "variantId"],
                "Variant is specified more than once",
            ));
            continue;
        }
        if media.len() != 1 {
            errors.push(e(
                C::TOO_MANY_MEDIA_PER_INPUT_PAIR,
                &["variantMedia", &idx, "mediaIds"],
                "Exactly one media per variant",
            ));
            continue;
        }
        let Some(m) = parse_gid("MediaImage", media[0].as_str())
            .and_then(|n| st.media.get(&n))
            .filter(|m| m.product_id == Some(pid))
        else {
            errors.push(e(
                C::MEDIA_DOES_NOT_EXIST_ON_PRODUCT,
                &["variantMedia", &idx, "mediaIds", "0"],
                "Media does not exist on the given product",
            ));
            continue;
        };
        if append {
            if !m.ready {
                errors.push(e(
                    C::NON_READY_MEDIA,
                    &["variantMedia", &idx, "mediaIds", "0"],
                    "Media is not ready",
                ));
                continue;
            }
            if v.media_id.is_some_and(|x| x != m.id) {
                errors.push(e(
                    C::PRODUCT_VARIANT_ALREADY_HAS_MEDIA,
                    &["variantMedia", &idx, "variantId"],
                    "The variant already has media; detach it first",
                ));
                continue;
            }
        } else if v.media_id != Some(m.id) {
            errors.push(e(
                C::MEDIA_IS_NOT_ATTACHED_TO_VARIANT,
                &["variantMedia", &idx, "mediaIds", "0"],
                "The media is not attached to the variant",
            ));
            continue;
        }
        plan.push((v.id, m.id));
    }
    if !errors.is_empty() {
        return Ok((st.products.get(&pid).cloned().map(Product), None, errors));
    }
    let now = now();
    let mut out = Vec::new();
    for (vid, mid) in plan {
        if let Some(v) = st.variants.get_mut(&vid) {
            v.media_id = if append { Some(mid) } else { None };
            v.updated_at = now;
            out.push(ProductVariant(v.clone()));
        }
    }
    Ok((
        st.products.get(&pid).cloned().map(Product),
        Some(out),
        Vec::new(),
    ))
}

/// The staged upload, media and file mutations.
#[derive(Default)]
pub(crate) struct FileMutations;

#[Object]
impl FileMutations {
    async fn staged_uploads_create(
        &self,
        ctx: &Context<'_>,
        input: Vec<StagedUploadInput>,
    ) -> Result<Option<StagedUploadsCreatePayload>> {
        let result: Result<StagedUploadsCreatePayload> = async move {
        use StagedUploadTargetGenerateUploadResource as R;
        check_input_size("input", input.len())?;
        let c = cx(ctx)?;
        let mut st = lock(&c.state.store);
        let mut errors = Vec::new();
        for (i, u) in input.iter().enumerate() {
            let idx = i.to_string();
            if u.filename.trim().is_empty() {
                errors.push(UserError { field: path(&["input", &idx, "filename"]), message: "Filename can't be blank".into() });
            }
            if u.mime_type.trim().is_empty() {
                errors.push(UserError { field: path(&["input", &idx, "mimeType"]), message: "Mime type can't be blank".into() });
            }
            if !matches!(u.resource, R::IMAGE | R::FILE | R::PRODUCT_IMAGE | R::BULK_MUTATION_VARIABLES) {
                errors.push(UserError { field: path(&["input", &idx, "resource"]), message: format!("resource {} is not supported by the sandbox (IMAGE, FILE, PRODUCT_IMAGE, BULK_MUTATION_VARIABLES are)", u.resource.as_str()) });
            }
            if u.resource == R::BULK_MUTATION_VARIABLES && u.http_method != Some(StagedUploadHttpMethodType::POST) {
                errors.push(UserError { field: path(&["input", &idx, "httpMethod"]), message: "BULK_MUTATION_VARIABLES uploads must use httpMethod POST".into() });
            }
        }
        if !errors.is_empty() {
            return Ok(StagedUploadsCreatePayload { staged_targets: None, user_errors: errors });
        }
        let mut targets = Vec::new();
        for u in &input {
            let n = st.next_id();
            let dir = if u.resource == R::BULK_MUTATION_VARIABLES { "bulk" } else { "files" };
            let safe: String = u.filename.chars().map(|ch| if ch.is_ascii_alphanumeric() || ".-_".contains(ch) { ch } else { '_' }).collect();
            let key = format!("tmp/{}/{dir}/{n:08x}/{safe}", c.state.config.shop_domain);
            let signature = format!("{:016x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut params = Vec::new();
            let url;
            if u.http_method == Some(StagedUploadHttpMethodType::POST) {
                url = format!("{}/__shopify/staged-uploads", c.base_url);
                for (k, v) in [
                    ("Content-Type", u.mime_type.clone()),
                    ("success_action_status", "201".to_string()),
                    ("acl", "private".to_string()),
                    ("key", key.clone()),
                    ("x-goog-date", now().format("%Y%m%dT%H%M%SZ").to_string()),
                    ("x-goog-credential", "sandbox-uploader/auto/storage/goog4_request".to_string()),
                    ("x-goog-algorithm", "GOOG4-RSA-SHA256".to_string()),
                    ("x-goog-signature", signature.clone()),
                    ("policy", format!("sandbox-policy-{n}")),
                ] {
                    params.push(StagedUploadParameter { name: k.to_string(), value: v });
                }
            } else {
                url = format!("{}/__shopify/staged-uploads/{key}?X-Goog-Signature={signature}", c.base_url);
                params.push(StagedUploadParameter { name: "content_type".into(), value: u.mime_type.clone() });
                params.push(StagedUploadParameter { name: "acl".into(), value: "private".into() });
            }
            st.staged.insert(key.clone(), StagedRec { mime_type: u.mime_type.clone(), bytes: None, signature, post: u.http_method == Some(StagedUploadHttpMethodType::POST), params: params.iter().map(|p| (p.name.clone(), p.value.clone())).collect() });
            targets.push(StagedMediaUploadTarget { parameters: params, resource_url: Some(Url(format!("{}/__shopify/staged-uploads/{key}", c.base_url))), url: Some(Url(url)) });
        }
        Ok(StagedUploadsCreatePayload { staged_targets: Some(targets), user_errors: Vec::new() })
            }
        .await;
        result.map(Some)
    }

    #[graphql(deprecation = "Use `productUpdate` or `productSet` instead.")]
    async fn product_create_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        media: Vec<CreateMediaInput>,
    ) -> Result<Option<ProductCreateMediaPayload>> {
        let result: Result<ProductCreateMediaPayload> = async move {
            use MediaUserErrorCode as C;
            check_input_size("media", media.len())?;
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            let Some(pid) =
                parse_gid("Product", product_id.as_str()).filter(|p| st.products.contains_key(p))
            else {
                return Ok(ProductCreateMediaPayload {
                    media: None,
                    media_user_errors: vec![MediaUserError::new(
                        C::PRODUCT_DOES_NOT_EXIST,
                        path(&["productId"]),
                        "Product does not exist",
                    )],
                    product: None,
                    user_errors: vec![UserError {
                        field: path(&["productId"]),
                        message: "Product does not exist".into(),
                    }],
                });
            };
            let mut errors = Vec::new();
            for (i, m) in media.iter().enumerate() {
                if m.media_content_type != MediaContentType::IMAGE {
                    errors.push(MediaUserError::new(
                        C::INVALID_MEDIA_TYPE,
                        path(&["media", &i.to_string(), "mediaContentType"]),
                        "only IMAGE media are supported by the sandbox",
                    ));
                }
                if m.original_source.trim().is_empty() {
                    errors.push(MediaUserError::new(
                        C::BLANK,
                        path(&["media", &i.to_string(), "originalSource"]),
                        "Original source can't be blank",
                    ));
                }
            }
            if !errors.is_empty() {
                let user_errors = errors
                    .iter()
                    .map(|e| UserError {
                        field: e.field.clone(),
                        message: e.message.clone(),
                    })
                    .collect();
                return Ok(ProductCreateMediaPayload {
                    media: None,
                    media_user_errors: errors,
                    product: st.products.get(&pid).cloned().map(Product),
                    user_errors,
                });
            }
            let mut out = Vec::new();
            for m in &media {
                let id = new_media(&mut st, Some(pid), &m.original_source, m.alt.clone(), None);
                if let Some(p) = st.products.get_mut(&pid) {
                    p.media_ids.push(id);
                    p.updated_at = now();
                }
                if let Some(r) = st.media.get(&id) {
                    out.push(Media::MediaImage(MediaImage(r.clone())));
                }
            }
            Ok(ProductCreateMediaPayload {
                media: Some(out),
                media_user_errors: Vec::new(),
                product: st.products.get(&pid).cloned().map(Product),
                user_errors: Vec::new(),
            })
        }
        .await;
        result.map(Some)
    }

    #[graphql(deprecation = "Use `fileUpdate` instead.")]
    async fn product_delete_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        media_ids: Vec<ID>,
    ) -> Result<Option<ProductDeleteMediaPayload>> {
        let result: Result<ProductDeleteMediaPayload> = async move {
            use MediaUserErrorCode as C;
            check_input_size("mediaIds", media_ids.len())?;
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            let err = |code, f: &[&str], m: &str| {
                Ok(ProductDeleteMediaPayload {
                    deleted_media_ids: None,
                    deleted_product_image_ids: None,
                    media_user_errors: vec![MediaUserError::new(code, path(f), m)],
                    product: None,
                    user_errors: vec![UserError {
                        field: path(f),
                        message: m.into(),
                    }],
                })
            };
            let Some(pid) =
                parse_gid("Product", product_id.as_str()).filter(|p| st.products.contains_key(p))
            else {
                return err(
                    C::PRODUCT_DOES_NOT_EXIST,
                    &["productId"],
                    "Product does not exist",
                );
            };
            let (ids, refused) = resolve_ids("MediaImage", &media_ids, |n| {
                st.media.get(&n).is_some_and(|r| r.product_id == Some(pid))
            });
            if let Some(&(i, m)) = refused.first() {
                let media = parse_gid("MediaImage", m.as_str()).and_then(|n| st.media.get(&n));
                return match media {
                    Some(_) => err(
                        C::MEDIA_DOES_NOT_EXIST_ON_PRODUCT,
                        &["mediaIds", &i.to_string()],
                        "Media does not exist on the given product",
                    ),
                    None => err(
                        C::MEDIA_DOES_NOT_EXIST,
                        &["mediaIds", &i.to_string()],
                        "Media does not exist",
                    ),
                };
            }
            for id in &ids {
                st.media.remove(id);
            }
            for v in st.variants.values_mut().filter(|v| v.product_id == pid) {
                if v.media_id.is_some_and(|m| ids.contains(&m)) {
                    v.media_id = None;
                }
            }
            if let Some(p) = st.products.get_mut(&pid) {
                p.media_ids.retain(|m| !ids.contains(m));
                p.updated_at = now();
            }
            Ok(ProductDeleteMediaPayload {
                deleted_media_ids: Some(ids.iter().map(|i| ID(gid("MediaImage", *i))).collect()),
                deleted_product_image_ids: Some(
                    ids.iter().map(|i| ID(gid("ProductImage", *i))).collect(),
                ),
                media_user_errors: Vec::new(),
                product: st.products.get(&pid).cloned().map(Product),
                user_errors: Vec::new(),
            })
        }
        .await;
        result.map(Some)
    }

    async fn file_create(
        &self,
        ctx: &Context<'_>,
        files: Vec<FileCreateInput>,
    ) -> Result<Option<FileCreatePayload>> {
        let result: Result<FileCreatePayload> = async move {
            check_input_size("files", files.len())?;
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            let mut errors = Vec::new();
            for (i, f) in files.iter().enumerate() {
                if f.original_source.trim().is_empty() {
                    errors.push(FilesUserError::new(
                        FilesErrorCode::MISSING_ARGUMENTS,
                        path(&["files", &i.to_string(), "originalSource"]),
                        "Original source can't be blank",
                    ));
                }
                if f.content_type.is_some_and(|t| t != FileContentType::IMAGE) {
                    errors.push(FilesUserError::new(
                        FilesErrorCode::INVALID,
                        path(&["files", &i.to_string(), "contentType"]),
                        "only IMAGE files are supported by the sandbox",
                    ));
                }
            }
            if !errors.is_empty() {
                return Ok(FileCreatePayload {
                    files: None,
                    user_errors: errors,
                });
            }
            let mut out = Vec::new();
            for f in &files {
                let id = new_media(
                    &mut st,
                    None,
                    &f.original_source,
                    f.alt.clone(),
                    f.filename.clone(),
                );
                if let Some(r) = st.media.get(&id) {
                    out.push(File::MediaImage(MediaImage(r.clone())));
                }
            }
            Ok(FileCreatePayload {
                files: Some(out),
                user_errors: Vec::new(),
            })
        }
        .await;
        result.map(Some)
    }

    async fn product_variant_append_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variant_media: Vec<ProductVariantAppendMediaInput>,
    ) -> Result<Option<ProductVariantAppendMediaPayload>> {
        let pairs: Vec<(ID, Vec<ID>)> = variant_media
            .into_iter()
            .map(|v| (v.variant_id, v.media_ids))
            .collect();
        let (product, variants, errors) =
            variant_media_change(cx(ctx)?, &product_id, &pairs, true)?;
        Ok(Some(ProductVariantAppendMediaPayload {
            product,
            product_variants: variants,
            user_errors: errors,
        }))
    }

    async fn product_variant_detach_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variant_media: Vec<ProductVariantDetachMediaInput>,
    ) -> Result<Option<ProductVariantDetachMediaPayload>> {
        let pairs: Vec<(ID, Vec<ID>)> = variant_media
            .into_iter()
            .map(|v| (v.variant_id, v.media_ids))
            .collect();
        let (product, variants, errors) =
            variant_media_change(cx(ctx)?, &product_id, &pairs, false)?;
        Ok(Some(ProductVariantDetachMediaPayload {
            product,
            product_variants: variants,
            user_errors: errors,
        }))
    }

    async fn file_update(
        &self,
        ctx: &Context<'_>,
        files: Vec<FileUpdateInput>,
    ) -> Result<Option<FileUpdatePayload>> {
        check_input_size("files", files.len())?;
        let c = cx(ctx)?;
        let mut st = lock(&c.state.store);
        let e = |code, f: &[&str], m: &str| FilesUserError::new(code, path(f), m);
        let mut errors = Vec::new();
        let mut plan = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let idx = i.to_string();
            let Some(mid) =
                parse_gid("MediaImage", f.id.as_str()).filter(|n| st.media.contains_key(n))
            else {
                errors.push(e(
                    FilesErrorCode::FILE_DOES_NOT_EXIST,
                    &["files", &idx, "id"],
                    &format!("File id {} does not exist.", f.id.as_str()),
                ));
                continue;
            };
            if f.preview_image_source.is_some() {
                errors.push(e(
                    FilesErrorCode::INVALID,
                    &["files", &idx, "previewImageSource"],
                    "previewImageSource is for non-image files, which the sandbox does not support",
                ));
            }
            let (add, refused) =
                resolve_ids("Product", f.references_to_add.iter().flatten(), |n| {
                    st.products.contains_key(&n)
                });
            for (j, _) in refused {
                errors.push(e(
                    FilesErrorCode::INVALID,
                    &["files", &idx, "referencesToAdd", &j.to_string()],
                    "only existing products can be referenced by the sandbox's files",
                ));
            }
            let (remove, refused) =
                resolve_ids("Product", f.references_to_remove.iter().flatten(), |n| {
                    st.products
                        .get(&n)
                        .is_some_and(|p| p.media_ids.contains(&mid))
                });
            for (j, _) in refused {
                errors.push(e(
                    FilesErrorCode::INVALID,
                    &["files", &idx, "referencesToRemove", &j.to_string()],
                    "the file is not referenced by that product",
                ));
            }
            if add.len() > 1
                || (add.len() == 1
                    && st
                        .media
                        .get(&mid)
                        .and_then(|m| m.product_id)
                        .is_some_and(|p| p != add[0]))
            {
                errors.push(e(
                    FilesErrorCode::INVALID,
                    &["files", &idx, "referencesToAdd"],
                    "the sandbox attaches a file to one product at most",
                ));
            }
            plan.push((mid, f.clone(), add, remove));
        }
        if !errors.is_empty() {
            return Ok(Some(FileUpdatePayload {
                files: None,
                user_errors: errors,
            }));
        }
        let now = now();
        let mut out = Vec::new();
        for (mid, f, add, remove) in plan {
            if let Some(src) = &f.original_source {
                let (ready, error) = media_source_state(&st, src);
                if let Some(m) = st.media.get_mut(&mid) {
                    m.original_source = src.clone();
                    m.ready = ready;
                    m.error = error;
                }
            }
            for p in &remove {
                if let Some(prod) = st.products.get_mut(p) {
                    prod.media_ids.retain(|m| *m != mid);
                    prod.updated_at = now;
                }
                for v in st
                    .variants
                    .values_mut()
                    .filter(|v| v.product_id == *p && v.media_id == Some(mid))
                {
                    v.media_id = None;
                }
            }
            for p in &add {
                if let Some(prod) = st.products.get_mut(p)
                    && !prod.media_ids.contains(&mid)
                {
                    prod.media_ids.push(mid);
                    prod.updated_at = now;
                }
            }
            if let Some(m) = st.media.get_mut(&mid) {
                if f.alt.is_some() {
                    m.alt = f.alt.clone();
                }
                if f.filename.is_some() {
                    m.filename = f.filename.clone();
                }
                if !remove.is_empty() {
                    m.product_id = None;
                }
                if let Some(p) = add.first() {
                    m.product_id = Some(*p);
                }
                m.updated_at = now;
                out.push(File::MediaImage(MediaImage(m.clone())));
            }
        }
        Ok(Some(FileUpdatePayload {
            files: Some(out),
            user_errors: Vec::new(),
        }))
    }

    async fn file_delete(
        &self,
        ctx: &Context<'_>,
        file_ids: Vec<ID>,
    ) -> Result<Option<FileDeletePayload>> {
        let result: Result<FileDeletePayload> = async move {
            check_input_size("fileIds", file_ids.len())?;
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            let (ids, refused) =
                resolve_ids("MediaImage", &file_ids, |n| st.media.contains_key(&n));
            if let Some(&(i, f)) = refused.first() {
                return Ok(FileDeletePayload {
                    deleted_file_ids: None,
                    user_errors: vec![FilesUserError::new(
                        FilesErrorCode::FILE_DOES_NOT_EXIST,
                        path(&["fileIds", &i.to_string()]),
                        format!("File id {} does not exist.", f.as_str()),
                    )],
                });
            }
            for id in &ids {
                st.media.remove(id);
            }
            for p in st.products.values_mut() {
                p.media_ids.retain(|m| !ids.contains(m));
            }
            for v in st.variants.values_mut() {
                if v.media_id.is_some_and(|m| ids.contains(&m)) {
                    v.media_id = None;
                }
            }
            Ok(FileDeletePayload {
                deleted_file_ids: Some(ids.iter().map(|i| ID(gid("MediaImage", *i))).collect()),
                user_errors: Vec::new(),
            })
        }
        .await;
        result.map(Some)
    }
}
