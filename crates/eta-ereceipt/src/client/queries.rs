//! Look-ups: a receipt's raw form, details and share view, search, recent receipts, and a
//! submission's details page by page.

use http::Method;

use super::{EtaClient, decode};
use crate::error::Error;

/// One page of a submission's details.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionDetailsPage {
    /// The receipts listed on this page (`receipts`, or `documentSummary` as in the invoice
    /// API).
    pub receipts: Vec<serde_json::Value>,
    /// The submission's overall status, when given (`status` or `overallStatus`).
    pub status: Option<String>,
    /// Total pages, when given (`metadata.totalPages`).
    pub total_pages: Option<u32>,
    /// The whole response.
    pub raw: serde_json::Value,
}

/// Filters of [`EtaClient::search`] (sent under ETA's query parameter names, the fields'
/// names in PascalCase; `None`s are omitted).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchQuery {
    /// Free text (at least 5 characters).
    pub free_text: Option<String>,
    /// `Submitted` or `Received`.
    pub direction: Option<String>,
    /// Issued from (UTC).
    pub date_time_issued_from: Option<String>,
    /// Issued to (UTC).
    pub date_time_issued_to: Option<String>,
    /// Received from (UTC).
    pub date_time_received_from: Option<String>,
    /// Received to (UTC).
    pub date_time_received_to: Option<String>,
    /// `s` or `r`.
    pub document_type_code: Option<String>,
    /// POS serial.
    pub pos_serial_number: Option<String>,
    /// Page number (1-based).
    pub page_no: Option<u32>,
    /// Page size.
    pub page_size: Option<u32>,
}

/// Filters of [`EtaClient::recent`], Get Recent Receipts (ETA's query parameter names;
/// `None`s are omitted; sent under the fields' names in PascalCase).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecentQuery {
    /// The receipt's uuid.
    pub uuid: Option<String>,
    /// The submission's uuid.
    pub submission_uuid: Option<String>,
    /// The receipt number, exact (`header.receiptNumber`).
    pub receipt_number: Option<String>,
    /// `s` (receipt) or `r` (return receipt).
    pub document_type_code: Option<String>,
    /// The POS serial (`PosSerialNumber`).
    pub pos_serial_number: Option<String>,
    /// `Valid`, `Invalid` or `Cancelled`.
    pub status: Option<String>,
    /// `Submitted` or `Received`.
    pub direction: Option<String>,
    /// The field sorted on, e.g. `dateTimeReceived`.
    pub sort_by: Option<String>,
    /// `Asc` or `Desc`.
    pub sort_dir: Option<String>,
    /// Page number (1-based).
    pub page_no: Option<u32>,
    /// Page size.
    pub page_size: Option<u32>,
}

/// A filter struct as a URL query: its `Some` fields under their serde names, percent-encoded.
pub(super) fn query_string<T: serde::Serialize>(query: &T) -> Result<String, Error> {
    serde_urlencoded::to_string(query).map_err(|e| Error::Build {
        field: "query",
        reason: e.to_string(),
    })
}

/// One page of a receipt list (Search Receipts, Get Recent Receipts).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptListPage {
    /// The receipt summaries on this page (`receipts`, or `result` as in the invoice API).
    pub receipts: Vec<serde_json::Value>,
    /// Total pages, when given (`metadata.totalPages`).
    pub total_pages: Option<u32>,
    /// Total receipts matching, when given (`metadata.totalCount`).
    pub total_count: Option<u64>,
}

impl ReceiptListPage {
    /// Reads a list answer.
    pub fn from_json(raw: &serde_json::Value) -> Self {
        let receipts = raw
            .get("receipts")
            .or_else(|| raw.get("result"))
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        let metadata = raw.get("metadata");
        ReceiptListPage {
            receipts,
            total_pages: metadata
                .and_then(|m| m.get("totalPages"))
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            total_count: metadata
                .and_then(|m| m.get("totalCount"))
                .and_then(serde_json::Value::as_u64),
        }
    }
}

impl EtaClient {
    /// `GET /api/v1/receipts/{uuid}/raw`: the receipt as ETA holds it, `None` on 404.
    ///
    /// # Errors
    ///
    /// Any other failure (after retries).
    pub async fn receipt_raw(&self, uuid: &str) -> Result<Option<serde_json::Value>, Error> {
        self.get_optional(
            "receipt_raw",
            &format!("/api/v1/receipts/{}/raw", path_segment(uuid)),
            true,
        )
        .await
    }

    /// `GET /api/v1/receipts/{uuid}/details`, `None` on 404.
    ///
    /// # Errors
    ///
    /// Any other failure (after retries).
    pub async fn receipt_details(&self, uuid: &str) -> Result<Option<serde_json::Value>, Error> {
        self.get_optional(
            "receipt_details",
            &format!("/api/v1/receipts/{}/details", path_segment(uuid)),
            true,
        )
        .await
    }

    /// `GET /api/v1/receipts/{uuid}/share?dateTimeIssued=…` (anonymous: no token is sent),
    /// `None` on 404.
    ///
    /// # Errors
    ///
    /// Any other failure (after retries).
    pub async fn share(
        &self,
        uuid: &str,
        date_time_issued: &str,
    ) -> Result<Option<serde_json::Value>, Error> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("dateTimeIssued", date_time_issued)
            .finish();
        self.get_optional(
            "share",
            &format!("/api/v1/receipts/{}/share?{query}", path_segment(uuid)),
            false,
        )
        .await
    }

    /// `GET /api/v1/receipts/search` with `query`.
    ///
    /// # Errors
    ///
    /// Any failure (after retries).
    pub async fn search(&self, query: &SearchQuery) -> Result<serde_json::Value, Error> {
        let query = query_string(query)?;
        let response = self
            .call(
                "search",
                Method::GET,
                &format!("/api/v1/receipts/search?{query}"),
                None,
                true,
            )
            .await?;
        decode("search", response.body(), false)
    }

    /// `GET /api/v1/receipts/recent` with `query`: one page of the receipts ETA received
    /// lately.
    ///
    /// # Errors
    ///
    /// Any failure (after retries).
    pub async fn recent(&self, query: &RecentQuery) -> Result<ReceiptListPage, Error> {
        let query = query_string(query)?;
        let response = self
            .call(
                "recent",
                Method::GET,
                &format!("/api/v1/receipts/recent?{query}"),
                None,
                true,
            )
            .await?;
        let raw: serde_json::Value = decode("recent", response.body(), false)?;
        Ok(ReceiptListPage::from_json(&raw))
    }

    /// One page of `GET /api/v1/receiptsubmissions/{id}/details?PageNo=&PageSize=`.
    ///
    /// # Errors
    ///
    /// Any failure (after retries).
    pub async fn submission_details(
        &self,
        submission_id: &str,
        page_no: u32,
        page_size: u32,
    ) -> Result<SubmissionDetailsPage, Error> {
        let path = format!(
            "/api/v1/receiptsubmissions/{}/details?PageNo={page_no}&PageSize={page_size}",
            path_segment(submission_id)
        );
        let response = self
            .call("submission_details", Method::GET, &path, None, true)
            .await?;
        let raw: serde_json::Value = decode("submission_details", response.body(), false)?;
        let receipts = raw
            .get("receipts")
            .or_else(|| raw.get("documentSummary"))
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        let status = raw
            .get("status")
            .or_else(|| raw.get("overallStatus"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let total_pages = raw
            .get("metadata")
            .and_then(|m| m.get("totalPages"))
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        Ok(SubmissionDetailsPage {
            receipts,
            status,
            total_pages,
            raw,
        })
    }

    /// Every receipt of a submission, page after page, as a stream (the first page is fetched
    /// when the stream is first polled; it stops after the last page or the first error).
    pub fn submission_receipts(
        &self,
        submission_id: &str,
        page_size: u32,
    ) -> impl futures::Stream<Item = Result<serde_json::Value, Error>> + '_ {
        let id = submission_id.to_owned();
        sync_core::paging::paginate(Some(1u32), move |page| {
            let id = id.clone();
            async move {
                let page_no = page.unwrap_or(1);
                let details = self.submission_details(&id, page_no, page_size).await?;
                let more = details.total_pages.is_some_and(|t| page_no < t);
                Ok(sync_core::paging::Page::new(
                    details.receipts,
                    more.then_some(page_no + 1),
                ))
            }
        })
    }

    async fn get_optional(
        &self,
        endpoint: &'static str,
        path: &str,
        authenticated: bool,
    ) -> Result<Option<serde_json::Value>, Error> {
        match self
            .call(endpoint, Method::GET, path, None, authenticated)
            .await
        {
            Ok(response) => decode(endpoint, response.body(), false).map(Some),
            Err(Error::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Percent-encodes a path segment (uuids and ids are plain, but never trust input).
fn path_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
