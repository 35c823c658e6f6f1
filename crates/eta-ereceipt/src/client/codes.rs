//! ETA's code API: the taxpayer's code-usage requests (which item codes it may put on a
//! receipt, and their status) and filing new ones.
//!
//! ETA validates each receipt line's `itemCode` against the codes registered for the taxpayer:
//! EGS codes (`EG-<RIN>-<internal code>`) approved through a code-usage request, or GS1 codes
//! whose usage was approved. The e-invoicing SDK documents:
//!
//! - Search my EGS code usage requests, `GET /api/v1.0/codetypes/requests/my` (filters
//!   `ItemCode`, `Active`, `Status` = Submitted / Approved / Rejected, `RequestType` = New /
//!   Reusage, paged; answer `{result: [...], metadata: {totalPages, totalCount}}`), read by
//!   [`EtaClient::my_code_requests`] and [`EtaClient::registered_codes`];
//! - Create EGS Code Usage, `POST /api/v1.0/codetypes/requests/codes` with `{items: [...]}`
//!   (`codeType`, `parentCode` = the GS1 GPC level-4 "brick", `itemCode`, `codeName`,
//!   `codeNameAr`, `activeFrom`, optional `activeTo`, `description`, `descriptionAr`,
//!   `requestReason`), filed by [`EtaClient::request_codes`]. A request is `Submitted` until an
//!   ETA employee approves it; only then may the code be used.
//!
//! The SDK page names the paging parameters both `Pn`/`Ps` and `PageNumber`/`PageSize`; this
//! client sends `PageNumber`/`PageSize` (what public implementations send). The answer of the
//! create call is not documented beyond its status: any 2xx is success and its body is not read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use http::Method;
use serde::{Deserialize, Serialize};

use super::{EtaClient, decode};
use crate::error::Error;

/// Most pages [`EtaClient::registered_codes`] reads (of [`CODE_PAGE_SIZE`] each): the answer is
/// bounded whatever ETA says its total is.
pub const MAX_CODE_PAGES: u32 = 50;
/// Page size used by [`EtaClient::registered_codes`].
pub const CODE_PAGE_SIZE: u32 = 100;
/// Most code-usage requests filed in one call.
pub const MAX_CODE_REQUESTS: usize = 100;

/// Filters of [`EtaClient::my_code_requests`] (ETA's query parameter names; `None`s omitted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeRequestQuery {
    /// One code, exact (`EG-113317713-1234`).
    pub item_code: Option<String>,
    /// Only active (`true`) or inactive (`false`) codes.
    pub active: Option<bool>,
    /// `Submitted`, `Approved` or `Rejected`.
    pub status: Option<String>,
    /// `New` or `Reusage`.
    pub request_type: Option<String>,
    /// Page number (1-based).
    pub page_number: Option<u32>,
    /// Page size.
    pub page_size: Option<u32>,
}

/// One code-usage request of the taxpayer, as Search my EGS code usage requests lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeRequest {
    /// The request's id at ETA (`codeUsageRequestID`), when given.
    #[serde(default, rename = "codeUsageRequestID")]
    pub request_id: Option<u64>,
    /// `EGS` or `GS1` (`codeTypeName`).
    #[serde(default)]
    pub code_type_name: Option<String>,
    /// The code.
    pub item_code: String,
    /// Name in English (`codeNamePrimaryLang`).
    #[serde(default)]
    pub code_name_primary_lang: Option<String>,
    /// `Submitted`, `Approved` or `Rejected`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether the code is active.
    #[serde(default)]
    pub active: Option<bool>,
    /// Start of validity (UTC).
    #[serde(default)]
    pub active_from: Option<DateTime<Utc>>,
    /// End of validity (UTC), if any.
    #[serde(default)]
    pub active_to: Option<DateTime<Utc>>,
}

/// Where a code stands with ETA for this taxpayer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    /// Approved and active now: it may be used on a receipt.
    Active,
    /// A request was filed and waits for ETA's approval.
    Submitted,
    /// The request was rejected.
    Rejected,
    /// Approved, but inactive or outside its validity dates.
    Inactive,
    /// No request for it.
    NotRegistered,
}

impl CodeStatus {
    /// How an operator reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeStatus::Active => "active",
            CodeStatus::Submitted => "submitted, awaiting ETA's approval",
            CodeStatus::Rejected => "rejected by ETA",
            CodeStatus::Inactive => "approved but not active",
            CodeStatus::NotRegistered => "not registered",
        }
    }
}

impl CodeRequest {
    /// This request's standing at `now`.
    pub fn status_at(&self, now: DateTime<Utc>) -> CodeStatus {
        let status = self.status.as_deref().unwrap_or("");
        if status.eq_ignore_ascii_case("Submitted") {
            return CodeStatus::Submitted;
        }
        if status.eq_ignore_ascii_case("Rejected") {
            return CodeStatus::Rejected;
        }
        if !status.eq_ignore_ascii_case("Approved") {
            return CodeStatus::NotRegistered;
        }
        let started = self.active_from.is_none_or(|from| from <= now);
        let not_ended = self.active_to.is_none_or(|to| now < to);
        if self.active != Some(false) && started && not_ended {
            CodeStatus::Active
        } else {
            CodeStatus::Inactive
        }
    }
}

/// One page of the taxpayer's code-usage requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRequestPage {
    /// The requests on this page.
    pub requests: Vec<CodeRequest>,
    /// Total pages, when given (`metadata.totalPages`).
    pub total_pages: Option<u32>,
}

#[derive(Deserialize)]
struct PageWire {
    #[serde(default)]
    result: Vec<CodeRequest>,
    #[serde(default)]
    metadata: Option<MetadataWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataWire {
    #[serde(default)]
    total_pages: Option<u32>,
}

/// Every code-usage request of the taxpayer, by code: what [`RegisteredCodes::status`] answers
/// from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisteredCodes {
    by_code: HashMap<String, Vec<CodeRequest>>,
}

impl RegisteredCodes {
    /// The set of `requests`.
    pub fn new(requests: impl IntoIterator<Item = CodeRequest>) -> Self {
        let mut by_code: HashMap<String, Vec<CodeRequest>> = HashMap::new();
        for r in requests {
            by_code.entry(r.item_code.clone()).or_default().push(r);
        }
        RegisteredCodes { by_code }
    }

    /// Where `code` stands at `now`: active when any of its requests is approved and active,
    /// else the most advanced of them (submitted, then inactive, then rejected).
    pub fn status(&self, code: &str, now: DateTime<Utc>) -> CodeStatus {
        let Some(requests) = self.by_code.get(code) else {
            return CodeStatus::NotRegistered;
        };
        let all: Vec<CodeStatus> = requests.iter().map(|r| r.status_at(now)).collect();
        [
            CodeStatus::Active,
            CodeStatus::Submitted,
            CodeStatus::Inactive,
            CodeStatus::Rejected,
        ]
        .into_iter()
        .find(|s| all.contains(s))
        .unwrap_or(CodeStatus::NotRegistered)
    }

    /// How many codes have a request.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether no code has a request.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// The requests, by code (sorted by code).
    pub fn requests(&self) -> Vec<&CodeRequest> {
        let mut codes: Vec<&String> = self.by_code.keys().collect();
        codes.sort();
        codes
            .into_iter()
            .flat_map(|c| self.by_code[c].iter())
            .collect()
    }
}

/// A new code-usage request (Create EGS Code Usage), one `items[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCodeRequest {
    /// `EGS`.
    pub code_type: String,
    /// The GS1 GPC level-4 ("brick") code the item belongs to: 8 digits.
    pub parent_code: String,
    /// `EG-<RIN>-<internal code>`.
    pub item_code: String,
    /// Name in English.
    pub code_name: String,
    /// Name in Arabic.
    pub code_name_ar: String,
    /// Start of validity, UTC (`2021-02-21T00:00:00Z`).
    pub active_from: String,
    /// End of validity, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_to: Option<String>,
    /// Description in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Description in Arabic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_ar: Option<String>,
    /// Why the code is requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_reason: Option<String>,
}

impl NewCodeRequest {
    /// Checks the request as ETA documents it, for the taxpayer `rin`.
    ///
    /// # Errors
    ///
    /// [`Error::Build`] naming the field and the rule: `codeType` not `EGS`, `itemCode` not
    /// `EG-<rin>-<code>`, `parentCode` not 8 digits, an empty name, `activeFrom` not a UTC
    /// date-time.
    pub fn check(&self, rin: &str) -> Result<(), Error> {
        let bad = |field: &'static str, reason: String| Err(Error::Build { field, reason });
        if self.code_type != "EGS" {
            return bad(
                "codeType",
                format!(
                    "must be EGS (a taxpayer registers EGS codes), not {:?}",
                    self.code_type
                ),
            );
        }
        let prefix = format!("EG-{rin}-");
        let rest = self.item_code.strip_prefix(&prefix).unwrap_or("");
        if rest.is_empty()
            || rest.len() > 100
            || !rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad(
                "itemCode",
                format!(
                    "{:?} must be {prefix}<internal code> (letters, digits, - or _)",
                    self.item_code
                ),
            );
        }
        if self.parent_code.len() != 8 || !self.parent_code.bytes().all(|b| b.is_ascii_digit()) {
            return bad(
                "parentCode",
                format!(
                    "{:?} must be the 8-digit GPC brick code of the item",
                    self.parent_code
                ),
            );
        }
        if self.code_name.trim().is_empty() {
            return bad("codeName", "must not be empty".into());
        }
        if self.code_name_ar.trim().is_empty() {
            return bad("codeNameAr", "must not be empty".into());
        }
        if DateTime::parse_from_rfc3339(&self.active_from).is_err() {
            return bad(
                "activeFrom",
                format!("{:?} must be a UTC date-time", self.active_from),
            );
        }
        Ok(())
    }
}

impl EtaClient {
    /// One page of `GET /api/v1.0/codetypes/requests/my`: the taxpayer's code-usage requests.
    ///
    /// # Errors
    ///
    /// Any failure (after retries); an answer that is not the documented shape.
    pub async fn my_code_requests(
        &self,
        query: &CodeRequestQuery,
    ) -> Result<CodeRequestPage, Error> {
        let query = super::queries::query_string(query)?;
        let response = self
            .call(
                "code_requests",
                Method::GET,
                &format!("/api/v1.0/codetypes/requests/my?{query}"),
                None,
                true,
            )
            .await?;
        let page: PageWire = decode("code_requests", response.body(), false)?;
        Ok(CodeRequestPage {
            requests: page.result,
            total_pages: page.metadata.and_then(|m| m.total_pages),
        })
    }

    /// Every code-usage request of the taxpayer (at most [`MAX_CODE_PAGES`] pages of
    /// [`CODE_PAGE_SIZE`]), for [`RegisteredCodes::status`].
    ///
    /// # Errors
    ///
    /// As [`EtaClient::my_code_requests`].
    pub async fn registered_codes(&self) -> Result<RegisteredCodes, Error> {
        let mut all = Vec::new();
        for page in 1..=MAX_CODE_PAGES {
            let got = self
                .my_code_requests(&CodeRequestQuery {
                    page_number: Some(page),
                    page_size: Some(CODE_PAGE_SIZE),
                    ..CodeRequestQuery::default()
                })
                .await?;
            let empty = got.requests.is_empty();
            all.extend(got.requests);
            if empty || got.total_pages.is_none_or(|t| page >= t) {
                break;
            }
        }
        Ok(RegisteredCodes::new(all))
    }

    /// `POST /api/v1.0/codetypes/requests/codes`: files code-usage requests for the taxpayer
    /// `rin` (each checked first with [`NewCodeRequest::check`]).
    ///
    /// # Errors
    ///
    /// A request that fails its check (nothing is sent), more than [`MAX_CODE_REQUESTS`], or
    /// ETA's refusal.
    pub async fn request_codes(&self, rin: &str, requests: &[NewCodeRequest]) -> Result<(), Error> {
        if requests.is_empty() || requests.len() > MAX_CODE_REQUESTS {
            return Err(Error::Build {
                field: "items",
                reason: format!("1 to {MAX_CODE_REQUESTS} requests per call"),
            });
        }
        for r in requests {
            r.check(rin)?;
        }
        let body = serde_json::to_vec(&serde_json::json!({ "items": requests })).map_err(|e| {
            Error::Build {
                field: "items",
                reason: e.to_string(),
            }
        })?;
        self.call(
            "request_codes",
            Method::POST,
            "/api/v1.0/codetypes/requests/codes",
            Some(body.into()),
            true,
        )
        .await?;
        Ok(())
    }
}
