//! Product images: staged upload, attach to the product and to variants, delete; safe to
//! re-run (an image whose `alt` key is already on the product is not uploaded again).
//!
//! Flow (<https://shopify.dev/docs/apps/build/online-store/product-media>):
//! `stagedUploadsCreate` → multipart `POST` of the file to the returned target →
//! `productUpdate(product: {id}, media: [{originalSource: resourceUrl}])` → wait until the
//! media is `READY` → `productVariantsBulkUpdate(variants: [{id, mediaId}])` for the variants
//! the image shows (a variant shows one image).

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::client::{Safety, ShopifyClient};
use crate::error::Error;
use crate::gid::{ProductGid, VariantGid};
use crate::ops::{missing, require, user_errors};
use crate::queries::{
    self, file_delete, product_attach_media, product_image_alts, product_media,
    staged_uploads_create, variants_bulk_update,
};

/// One image to put on a product.
#[derive(Clone, PartialEq, Eq)]
pub struct ImageUpload {
    /// File name, e.g. `G-100-red.jpg`.
    pub filename: String,
    /// MIME type, e.g. `image/jpeg`.
    pub mime_type: String,
    /// The file content.
    pub content: Bytes,
    /// The media's alt text, used as the de-duplication key: keep it stable per image
    /// (e.g. `erp:G-100:color=red`) so a re-run finds it.
    pub alt: String,
    /// The variants that show this image (their option value).
    pub variant_ids: Vec<VariantGid>,
}

impl std::fmt::Debug for ImageUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageUpload")
            .field("filename", &self.filename)
            .field("mime_type", &self.mime_type)
            .field("bytes", &self.content.len())
            .field("alt", &self.alt)
            .field("variant_ids", &self.variant_ids)
            .finish()
    }
}

/// What happened to one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedImage {
    /// Its alt key.
    pub alt: String,
    /// The product media id (also its file id, for deletion).
    pub media_id: String,
    /// `false` when the image was already on the product and was not uploaded again.
    pub uploaded: bool,
    /// Variants newly linked to it.
    pub linked_variants: Vec<String>,
}

/// A reserved upload target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StagedTarget {
    pub(crate) url: String,
    pub(crate) resource_url: Option<String>,
    pub(crate) parameters: Vec<(String, String)>,
}

/// A `multipart/form-data` body: the target's parameters, then the file.
pub(crate) fn multipart(
    parameters: &[(String, String)],
    filename: &str,
    mime_type: &str,
    content: &[u8],
) -> (String, Bytes) {
    let digest = Sha256::digest(content);
    let boundary = format!("----shopify-client-{}", hex::encode(&digest[..12]));
    let mut body = Vec::with_capacity(content.len() + 512);
    for (name, value) in parameters {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {mime_type}\r\n\r\n",
            filename.replace('"', "")
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        Bytes::from(body),
    )
}

impl ShopifyClient {
    /// Reserves one upload target with `stagedUploadsCreate`.
    pub(crate) async fn stage_upload(
        &self,
        resource: staged_uploads_create::StagedUploadTargetGenerateUploadResource,
        filename: &str,
        mime_type: &str,
        size: usize,
    ) -> Result<StagedTarget, Error> {
        const OP: &str = "StagedUploadsCreate";
        let data: staged_uploads_create::ResponseData = self
            .run::<queries::StagedUploadsCreate, _>(
                staged_uploads_create::Variables {
                    input: vec![staged_uploads_create::StagedUploadInput {
                        resource,
                        filename: filename.to_owned(),
                        mime_type: mime_type.to_owned(),
                        http_method: Some(staged_uploads_create::StagedUploadHttpMethodType::POST),
                        file_size: Some(crate::scalars::U64(size as u64)),
                    }],
                },
                Safety::Repeatable,
            )
            .await?;
        let payload = data
            .staged_uploads_create
            .ok_or_else(|| missing(OP, "stagedUploadsCreate"))?;
        user_errors!(OP, payload.user_errors)?;
        let target = payload
            .staged_targets
            .and_then(|t| t.into_iter().next())
            .ok_or_else(|| missing(OP, "stagedTargets"))?;
        Ok(StagedTarget {
            url: target.url.ok_or_else(|| missing(OP, "stagedTargets.url"))?,
            resource_url: target.resource_url,
            parameters: target
                .parameters
                .into_iter()
                .map(|p| (p.name, p.value))
                .collect(),
        })
    }

    /// Sends a file to a staged target (multipart `POST`, no Shopify token: the target is
    /// pre-signed), through the request frame with the client's retry policy: the upload is
    /// a plain overwrite, safe to repeat.
    pub(crate) async fn upload_to_target(
        &self,
        target: &StagedTarget,
        filename: &str,
        mime_type: &str,
        content: &[u8],
    ) -> Result<(), Error> {
        const OP: &str = "staged upload";
        let url = crate::ops::check_url("stagedTargets.url", &target.url)?;
        let (content_type, body) = multipart(&target.parameters, filename, mime_type, content);
        self.inner
            .frame
            .send(
                "shopify",
                OP,
                || {
                    http::Request::post(url.as_str())
                        .header(http::header::CONTENT_TYPE, content_type.as_str())
                        .body(body.clone())
                        .map_err(|e| Error::invalid("stagedTargets.url", e.to_string()))
                },
                |sent| crate::ops::presigned_answer(OP, sent).map(drop),
            )
            .await
    }

    async fn product_media(
        &self,
        product_id: &str,
    ) -> Result<product_media::ProductMediaProduct, Error> {
        let data: product_media::ResponseData = self
            .run::<queries::ProductMedia, _>(
                product_media::Variables {
                    id: product_id.to_owned(),
                },
                Safety::Repeatable,
            )
            .await?;
        data.product.ok_or_else(|| {
            Error::invalid(
                "product_id",
                format!("no product {product_id} in this shop"),
            )
        })
    }

    /// Puts images on a product and links them to variants; safe to re-run.
    ///
    /// Images whose `alt` already exists on the product are not uploaded again; their
    /// variant links are still completed. New media are awaited until `READY` (polling at
    /// the client's poll interval) before they are linked to variants.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty alt or file; [`Error::UserErrors`]
    /// when Shopify refuses; [`Error::JobFailed`] when a media fails processing or is not
    /// ready within the poll timeout.
    pub async fn upload_product_images(
        &self,
        product_id: &ProductGid,
        images: Vec<ImageUpload>,
    ) -> Result<Vec<AttachedImage>, Error> {
        const OP: &str = "ProductAttachMedia";
        for (i, image) in images.iter().enumerate() {
            require(&format!("images[{i}].alt"), &image.alt)?;
            require(&format!("images[{i}].filename"), &image.filename)?;
            require(&format!("images[{i}].mime_type"), &image.mime_type)?;
            if image.content.is_empty() {
                return Err(Error::invalid(
                    format!("images[{i}].content"),
                    "must not be empty",
                ));
            }
        }
        let current = self.product_media(product_id.as_str()).await?;
        let mut by_alt: HashMap<String, String> = current
            .media
            .nodes
            .iter()
            .filter_map(|m| m.alt.clone().map(|alt| (alt, m.id.clone())))
            .collect();
        let mut uploaded = Vec::new();
        let mut media_inputs = Vec::new();
        for image in &images {
            if by_alt.contains_key(&image.alt) || uploaded.contains(&image.alt) {
                continue;
            }
            let target = self
                .stage_upload(
                    staged_uploads_create::StagedUploadTargetGenerateUploadResource::IMAGE,
                    &image.filename,
                    &image.mime_type,
                    image.content.len(),
                )
                .await?;
            self.upload_to_target(&target, &image.filename, &image.mime_type, &image.content)
                .await?;
            let source = target
                .resource_url
                .clone()
                .ok_or_else(|| missing("StagedUploadsCreate", "resourceUrl"))?;
            media_inputs.push(product_attach_media::CreateMediaInput {
                original_source: source,
                alt: Some(image.alt.clone()),
                media_content_type: product_attach_media::MediaContentType::IMAGE,
            });
            uploaded.push(image.alt.clone());
        }
        if !media_inputs.is_empty() {
            // Creates media: not repeated blindly (a retry after an uncertain failure could
            // attach twice); a re-run of the whole call is safe thanks to the alt keys.
            let data: product_attach_media::ResponseData = self
                .run::<queries::ProductAttachMedia, _>(
                    product_attach_media::Variables {
                        product: product_attach_media::ProductUpdateInput {
                            id: Some(product_id.as_str().to_owned()),
                            description_html: None,
                            handle: None,
                            seo: None,
                            product_type: None,
                            tags: None,
                            template_suffix: None,
                            gift_card_template_suffix: None,
                            title: None,
                            vendor: None,
                            category: None,
                            redirect_new_handle: None,
                            collections_to_join: None,
                            collections_to_leave: None,
                            delete_conflicting_constrained_metafields: None,
                            metafields: None,
                            status: None,
                            requires_selling_plan: None,
                        },
                        media: media_inputs,
                    },
                    Safety::Once,
                )
                .await?;
            let payload = data
                .product_update
                .ok_or_else(|| missing(OP, "productUpdate"))?;
            user_errors!(OP, payload.user_errors)?;
            let product = payload.product.ok_or_else(|| missing(OP, "product"))?;
            for m in product.media.nodes {
                if let Some(alt) = m.alt {
                    by_alt.entry(alt).or_insert(m.id);
                }
            }
            self.wait_media_ready(product_id.as_str(), &uploaded)
                .await?;
        }
        // Link variants that do not show their image yet.
        let current = self.product_media(product_id.as_str()).await?;
        let linked: HashMap<String, Vec<String>> = current
            .variants
            .nodes
            .iter()
            .map(|v| {
                (
                    v.id.clone(),
                    v.media.nodes.iter().map(|m| m.id.clone()).collect(),
                )
            })
            .collect();
        let mut out = Vec::new();
        let mut appends = Vec::new();
        for image in &images {
            let media_id = by_alt
                .get(&image.alt)
                .cloned()
                .ok_or_else(|| missing(OP, &format!("media with alt {:?}", image.alt)))?;
            let mut newly = Vec::new();
            for variant in &image.variant_ids {
                let has = linked
                    .get(variant.as_str())
                    .is_some_and(|ids| ids.contains(&media_id));
                if !has {
                    appends.push((variant.to_string(), media_id.clone()));
                    newly.push(variant.to_string());
                }
            }
            out.push(AttachedImage {
                alt: image.alt.clone(),
                media_id,
                uploaded: uploaded.contains(&image.alt),
                linked_variants: newly,
            });
        }
        // A variant shows one image: link it with productVariantsBulkUpdate's `mediaId`.
        for chunk in appends.chunks(crate::client::MAX_INPUT_ARRAY) {
            const LINK: &str = "VariantsBulkUpdate";
            let data: variants_bulk_update::ResponseData = self
                .run::<queries::VariantsBulkUpdate, _>(
                    variants_bulk_update::Variables {
                        product_id: product_id.as_str().to_owned(),
                        variants: chunk
                            .iter()
                            .map(|(variant, media)| {
                                variants_bulk_update::ProductVariantsBulkInput {
                                    id: Some(variant.clone()),
                                    media_id: Some(media.clone()),
                                    ..Default::default()
                                }
                            })
                            .collect(),
                    },
                    Safety::Repeatable,
                )
                .await?;
            let payload = data
                .product_variants_bulk_update
                .ok_or_else(|| missing(LINK, "productVariantsBulkUpdate"))?;
            user_errors!(LINK, payload.user_errors, code)?;
        }
        Ok(out)
    }

    async fn wait_media_ready(&self, product_id: &str, alts: &[String]) -> Result<(), Error> {
        let started = self.inner.frame.clock().instant();
        loop {
            let product = self.product_media(product_id).await?;
            let mut pending = false;
            for m in &product.media.nodes {
                let Some(alt) = &m.alt else { continue };
                if !alts.contains(alt) {
                    continue;
                }
                match m.status {
                    product_media::MediaStatus::READY => {}
                    product_media::MediaStatus::FAILED => {
                        return Err(Error::JobFailed {
                            what: "media processing",
                            id: m.id.clone(),
                            status: "FAILED".into(),
                            detail: Some(format!("alt {alt:?}")),
                        });
                    }
                    _ => pending = true,
                }
            }
            if !pending {
                return Ok(());
            }
            if started.elapsed() >= self.inner.poll_timeout {
                return Err(Error::JobFailed {
                    what: "media processing",
                    id: product_id.to_owned(),
                    status: "PROCESSING".into(),
                    detail: Some("not ready when the poll timeout passed".into()),
                });
            }
            self.inner
                .frame
                .clock()
                .sleep(self.inner.poll_interval.max(Duration::from_millis(1)))
                .await;
        }
    }

    /// The product's media as `(media id, alt)` pairs (the first 250).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a product that does not exist.
    pub async fn product_images(
        &self,
        product_id: &ProductGid,
    ) -> Result<Vec<(String, Option<String>)>, Error> {
        let data: product_image_alts::ResponseData = self
            .run::<queries::ProductImageAlts, _>(
                product_image_alts::Variables {
                    id: product_id.as_str().to_owned(),
                },
                Safety::Repeatable,
            )
            .await?;
        let product = data.product.ok_or_else(|| {
            Error::invalid(
                "product_id",
                format!("no product {product_id} in this shop"),
            )
        })?;
        Ok(product
            .media
            .nodes
            .into_iter()
            .map(|m| (m.id, m.alt))
            .collect())
    }

    /// Deletes product images (media ids are file ids) with `fileDelete`. Deleting an id
    /// that is already gone is reported by Shopify as a user error.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty list, [`Error::UserErrors`] when Shopify refuses.
    pub async fn delete_media(&self, media_ids: &[String]) -> Result<Vec<String>, Error> {
        const OP: &str = "FileDelete";
        if media_ids.is_empty() {
            return Err(Error::invalid("media_ids", "must not be empty"));
        }
        let mut deleted = Vec::new();
        for chunk in media_ids.chunks(crate::client::MAX_INPUT_ARRAY) {
            let data: file_delete::ResponseData = self
                .run::<queries::FileDelete, _>(
                    file_delete::Variables {
                        file_ids: chunk.to_vec(),
                    },
                    Safety::Repeatable,
                )
                .await?;
            let payload = data.file_delete.ok_or_else(|| missing(OP, "fileDelete"))?;
            user_errors!(OP, payload.user_errors, code)?;
            deleted.extend(payload.deleted_file_ids.unwrap_or_default());
        }
        Ok(deleted)
    }

    /// Deletes the product images whose alt key is in `alts` (those not on the product are
    /// skipped, so a re-run deletes nothing twice). Returns the deleted media ids.
    ///
    /// # Errors
    ///
    /// As [`ShopifyClient::delete_media`].
    pub async fn delete_product_images(
        &self,
        product_id: &ProductGid,
        alts: &[&str],
    ) -> Result<Vec<String>, Error> {
        let product = self.product_media(product_id.as_str()).await?;
        let ids: Vec<String> = product
            .media
            .nodes
            .into_iter()
            .filter(|m| m.alt.as_deref().is_some_and(|a| alts.contains(&a)))
            .map(|m| m.id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.delete_media(&ids).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_body_has_the_parameters_then_the_file() {
        let (ct, body) = multipart(
            &[
                ("key".into(), "tmp/1/a.jpg".into()),
                ("policy".into(), "p".into()),
            ],
            "a.jpg",
            "image/jpeg",
            b"\xff\xd8data",
        );
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8_lossy(&body);
        let key = text.find("name=\"key\"").unwrap();
        let file = text.find("name=\"file\"; filename=\"a.jpg\"").unwrap();
        assert!(key < file);
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
