//! The QR code printed on a receipt: a link to the receipt on ETA's portal, plus the total and
//! the issuer's RIN.
//!
//! Content (ETA FAQ, "QR Code Template"):
//! `{portal}/receipts/search/{uuid}/share/{dateTimeIssued}#Total:{totalAmount},IssuerRIN:{rin}`,
//! plain text. `dateTimeIssued` and `totalAmount` are written exactly as in the receipt.
//!
//! ```
//! use eta_ereceipt::qr::{Portal, qr_content};
//! let text = qr_content(
//!     &Portal::Production,
//!     "68e656b251e67e8358bef8483ab0d51c6619f3e7a1a9f0e75838d41ff368f320",
//!     "2022-02-19T02:00Z",
//!     "1000.000",
//!     "674859545",
//! );
//! assert_eq!(
//!     text,
//!     "https://invoicing.eta.gov.eg/receipts/search/68e656b251e67e8358bef8483ab0d51c6619f3e7a1a9f0e75838d41ff368f320/share/2022-02-19T02:00Z#Total:1000.000,IssuerRIN:674859545"
//! );
//! ```

#[cfg(feature = "png")]
use std::io::Cursor;

use qrcode::{EcLevel, QrCode};

use crate::model::Receipt;

/// Which portal the QR link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Portal {
    /// `https://invoicing.eta.gov.eg`.
    Production,
    /// `https://preprod.invoicing.eta.gov.eg`.
    Preproduction,
    /// Another base URL (no trailing slash needed).
    Custom(String),
}

impl Portal {
    /// The portal's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Portal::Production => "https://invoicing.eta.gov.eg",
            Portal::Preproduction => "https://preprod.invoicing.eta.gov.eg",
            Portal::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

/// The QR text from its parts.
pub fn qr_content(
    portal: &Portal,
    uuid: &str,
    date_time_issued: &str,
    total: &str,
    issuer_rin: &str,
) -> String {
    format!(
        "{}/receipts/search/{uuid}/share/{date_time_issued}#Total:{total},IssuerRIN:{issuer_rin}",
        portal.base_url()
    )
}

/// A receipt's QR text (its `header.uuid` must be filled in, e.g. after
/// [`Receipt::seal`]).
///
/// # Errors
///
/// [`QrError::NoUuid`] when `header.uuid` is empty.
pub fn receipt_qr_content(portal: &Portal, receipt: &Receipt) -> Result<String, QrError> {
    if receipt.header.uuid.is_empty() {
        return Err(QrError::NoUuid);
    }
    Ok(qr_content(
        portal,
        &receipt.header.uuid,
        &receipt.header.date_time_issued,
        &receipt.total_amount.to_string(),
        &receipt.seller.rin,
    ))
}

/// A QR image could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The receipt has no uuid yet (seal it first).
    #[error("header.uuid is empty: seal the receipt before making its QR code")]
    NoUuid,
    /// The text does not fit in a QR code.
    #[error("the text does not fit in a QR code")]
    Encode(#[source] qrcode::types::QrError),
    /// PNG encoding failed.
    #[cfg(feature = "png")]
    #[error("PNG encoding failed")]
    Png(#[source] image::ImageError),
}

fn code(content: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(content.as_bytes(), EcLevel::M).map_err(QrError::Encode)
}

/// The QR code as an SVG document (black modules on white, quiet zone included, at least
/// 200×200).
///
/// # Errors
///
/// [`QrError::Encode`] when the text is too long.
pub fn qr_svg(content: &str) -> Result<String, QrError> {
    Ok(code(content)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

/// The QR code as a PNG image, `module_px` pixels per module (4-module quiet zone included).
///
/// # Errors
///
/// [`QrError::Encode`] when the text is too long, [`QrError::Png`] if encoding fails.
#[cfg(feature = "png")]
#[cfg_attr(docsrs, doc(cfg(feature = "png")))]
pub fn qr_png(content: &str, module_px: u32) -> Result<Vec<u8>, QrError> {
    let image = code(content)?
        .render::<image::Luma<u8>>()
        .module_dimensions(module_px.max(1), module_px.max(1))
        .build();
    let mut out = Vec::new();
    image::DynamicImage::ImageLuma8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(QrError::Png)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://preprod.invoicing.eta.gov.eg/receipts/search/ab/share/2026-11-28T08:00:00Z#Total:23.94,IssuerRIN:674859545";

    #[test]
    fn content_follows_the_template_for_both_portals() {
        assert_eq!(
            qr_content(
                &Portal::Preproduction,
                "ab",
                "2026-11-28T08:00:00Z",
                "23.94",
                "674859545"
            ),
            URL
        );
        let custom = Portal::Custom("http://127.0.0.1:9/".into());
        assert!(
            qr_content(&custom, "u", "d", "1", "r")
                .starts_with("http://127.0.0.1:9/receipts/search/u/share/d#")
        );
        let sealed = crate::model::tests::sample().seal().unwrap();
        let text = receipt_qr_content(&Portal::Production, &sealed.receipt).unwrap();
        assert_eq!(
            text,
            format!(
                "https://invoicing.eta.gov.eg/receipts/search/{}/share/2026-11-28T08:00:00Z#Total:23.94,IssuerRIN:674859545",
                sealed.uuid
            )
        );
        assert!(matches!(
            receipt_qr_content(&Portal::Production, &crate::model::tests::sample()),
            Err(QrError::NoUuid)
        ));
    }

    #[test]
    #[cfg(feature = "png")]
    fn png_modules_match_the_encoded_content() {
        let png = qr_png(URL, 3).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        let code = code(URL).unwrap();
        let width = code.width() as u32;
        assert_eq!(
            img.width(),
            (width + 8) * 3,
            "4-module quiet zone on each side"
        );
        let colors = code.to_colors();
        for y in 0..width {
            for x in 0..width {
                let dark = colors[(y * width + x) as usize] == qrcode::Color::Dark;
                let px = img.get_pixel((x + 4) * 3 + 1, (y + 4) * 3 + 1).0[0];
                assert_eq!(dark, px < 128, "module ({x},{y})");
            }
        }
        // a different text gives a different image
        assert_ne!(qr_png(&URL.replace("23.94", "23.95"), 3).unwrap(), png);
    }

    #[test]
    fn svg_is_a_document_and_too_long_text_is_an_error() {
        let svg = qr_svg(URL).unwrap();
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("<svg") && svg.contains("<path"));
        assert!(matches!(qr_svg(&"x".repeat(5000)), Err(QrError::Encode(_))));
    }
}
