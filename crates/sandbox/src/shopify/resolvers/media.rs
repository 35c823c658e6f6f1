//! Media images (the only kind of media and file the stand-in has) and where they come from.

use async_graphql::{ID, InputObject, Interface, Object, Result};

use super::outputs::*;
use super::*;
use crate::shopify::store::*;
use crate::shopify::types::*;

impl MediaImage {
    fn image_value(&self) -> Option<Image> {
        self.0.ready.then(|| Image {
            id: Some(gql_id("ImageSource", self.0.id)),
            alt_text: self.0.alt.clone(),
            url: Url(self.0.original_source.clone()),
            original_src: Url(self.0.original_source.clone()),
            src: Url(self.0.original_source.clone()),
            width: Some(1024),
            height: Some(1024),
        })
    }
}

#[Object]
impl MediaImage {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(gql_id("MediaImage", self.0.id))
    }
    async fn alt(&self) -> Result<Option<String>> {
        Ok(self.0.alt.clone())
    }
    async fn media_content_type(&self) -> Result<MediaContentType> {
        Ok(MediaContentType::IMAGE)
    }
    async fn status(&self) -> Result<MediaStatus> {
        Ok(if self.0.ready {
            MediaStatus::READY
        } else {
            MediaStatus::FAILED
        })
    }
    async fn file_status(&self) -> Result<FileStatus> {
        Ok(if self.0.ready {
            FileStatus::READY
        } else {
            FileStatus::FAILED
        })
    }
    async fn media_errors(&self) -> Result<Vec<MediaError>> {
        Ok(self
            .0
            .error
            .iter()
            .map(|e| MediaError {
                code: if e.starts_with("Image could not be processed") {
                    MediaErrorCode::IMAGE_PROCESSING_FAILURE
                } else {
                    MediaErrorCode::IMAGE_DOWNLOAD_FAILURE
                },
                details: Some(e.clone()),
                message: e.clone(),
            })
            .collect())
    }
    async fn file_errors(&self) -> Result<Vec<FileError>> {
        Ok(self
            .0
            .error
            .iter()
            .map(|e| FileError {
                code: FileErrorCode::IMAGE_DOWNLOAD_FAILURE,
                details: Some(e.clone()),
                message: e.clone(),
            })
            .collect())
    }
    async fn media_warnings(&self) -> Result<Vec<MediaWarning>> {
        Ok(Vec::new())
    }
    async fn preview(&self) -> Result<Option<MediaPreviewImage>> {
        Ok(Some(MediaPreviewImage {
            image: self.image_value(),
            status: if self.0.ready {
                MediaPreviewImageStatus::READY
            } else {
                MediaPreviewImageStatus::FAILED
            },
        }))
    }
    async fn image(&self) -> Option<Image> {
        self.image_value()
    }
    async fn mime_type(&self) -> Option<&str> {
        self.0.mime_type.as_deref()
    }
    async fn original_source(&self) -> Option<MediaImageOriginalSource> {
        Some(MediaImageOriginalSource {
            file_size: None,
            url: Some(Url(self.0.original_source.clone())),
        })
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(DateTime(self.0.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(DateTime(self.0.updated_at))
    }
}

/// The `Media` interface (only images are supported).
#[allow(clippy::duplicated_attributes)]
#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "alt", ty = "Option<String>"),
    field(name = "media_content_type", ty = "MediaContentType"),
    field(name = "status", ty = "MediaStatus"),
    field(name = "media_errors", ty = "Vec<MediaError>"),
    field(name = "media_warnings", ty = "Vec<MediaWarning>"),
    field(name = "preview", ty = "Option<MediaPreviewImage>")
)]
pub(crate) enum Media {
    MediaImage(MediaImage),
}

/// The `File` interface (only images are supported).
#[allow(clippy::duplicated_attributes)]
#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "alt", ty = "Option<String>"),
    field(name = "file_status", ty = "FileStatus"),
    field(name = "file_errors", ty = "Vec<FileError>"),
    field(name = "preview", ty = "Option<MediaPreviewImage>"),
    field(name = "created_at", ty = "DateTime"),
    field(name = "updated_at", ty = "DateTime")
)]
pub(crate) enum File {
    MediaImage(MediaImage),
}

/// `CreateMediaInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct CreateMediaInput {
    pub(crate) original_source: String,
    pub(crate) alt: Option<String>,
    pub(crate) media_content_type: MediaContentType,
}

/// The image format of an uploaded file, from its signature: Shopify processes an image
/// upload into media, and a file that is no image ends `FAILED`.
pub(crate) fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Whether a media source can be used, and why not.
pub(crate) fn media_source_state(st: &Store, source: &str) -> (bool, Option<String>) {
    if let Some((_, key)) = source.split_once("/__shopify/staged-uploads/") {
        let key = key.split('?').next().unwrap_or(key);
        return match st.staged.get(key) {
            Some(StagedRec {
                bytes: Some(bytes), ..
            }) => match image_kind(bytes) {
                Some(_) => (true, None),
                None => (
                    false,
                    Some(format!(
                        "Image could not be processed: the file uploaded to `{key}` is not a PNG, JPEG, GIF or WebP image"
                    )),
                ),
            },
            Some(_) => (
                false,
                Some(format!("nothing was uploaded to the staged target `{key}`")),
            ),
            None => (
                false,
                Some(format!("`{key}` is not a staged upload of this shop")),
            ),
        };
    }
    if source.starts_with("https://") || source.starts_with("http://") {
        (true, None)
    } else {
        (false, Some(format!("`{source}` is not an http(s) URL")))
    }
}

pub(crate) fn new_media(
    st: &mut Store,
    product: Option<u64>,
    source: &str,
    alt: Option<String>,
    filename: Option<String>,
) -> u64 {
    let (ready, error) = media_source_state(st, source);
    let mime = source
        .split_once("/__shopify/staged-uploads/")
        .and_then(|(_, k)| st.staged.get(k.split('?').next().unwrap_or(k)))
        .map(|s| s.mime_type.clone());
    let id = st.next_id();
    let now = now();
    st.media.insert(
        id,
        MediaRec {
            id,
            product_id: product,
            alt,
            original_source: source.to_string(),
            filename,
            mime_type: mime,
            ready,
            error,
            created_at: now,
            updated_at: now,
        },
    );
    id
}
