//! ETA's code API, written from the e-invoicing SDK's pages: the taxpayer's code-usage
//! requests (`GET /api/v1.0/codetypes/requests/my`) and filing new EGS codes
//! (`POST /api/v1.0/codetypes/requests/codes`).
//!
//! The requests listed are those filed here and, as approved and active requests made before,
//! the codes of `EtaConfig::registered_item_codes`. A filed request is `Submitted` until the
//! test approves or rejects it ([`EtaState::decide_code_request`]); only an approved, active
//! code counts as registered at the asynchronous step (module `verdict`).
//!
//! Strict where the pages are unsure (see `docs/sandbox.md`): the paging parameters are
//! `PageNumber` / `PageSize` only (the page also names `Pn` / `Ps`); a filter the stand-in does
//! not apply (`CodeName`, `ParentItemCode`, …) is a 400 rather than ignored; a request body is
//! checked field by field (`codeType` `EGS`, `itemCode` `EG-<the taxpayer's RIN>-<code>`,
//! `parentCode` 8 digits, both names, `activeFrom` a UTC date-time), and the success answer is
//! a 200 with an empty body (its body is not documented).

use chrono::{DateTime, TimeZone, Utc};

use super::search::{params, query_pairs};
use super::*;

/// The parameters of Search my EGS code usage requests the stand-in applies, lower case.
const MY_PARAMS: &[&str] = &[
    "itemcode",
    "active",
    "status",
    "requesttype",
    "orderdirections",
    "pagenumber",
    "pagesize",
];

/// Largest page of code-usage requests.
const MAX_CODE_PAGE: usize = 100;
/// Most requests in one filing.
const MAX_CODE_ITEMS: usize = 100;

/// One code-usage request.
#[derive(Debug, Clone)]
struct CodeRequest {
    id: u64,
    code_type: String,
    item_code: String,
    code_name: String,
    code_name_ar: String,
    description: Option<String>,
    description_ar: Option<String>,
    parent_code: String,
    status: &'static str,
    active_from: DateTime<Utc>,
    active_to: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
}

/// The taxpayer's code-usage requests.
#[derive(Debug)]
pub(super) struct Registry {
    /// `false` when no codes were configured: every well-formed code counts as registered.
    strict: bool,
    requests: Vec<CodeRequest>,
    next_id: u64,
}

impl Registry {
    pub(super) fn new(cfg: &EtaConfig) -> Self {
        let since = Utc
            .with_ymd_and_hms(2021, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let requests = cfg
            .registered_item_codes
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, code)| CodeRequest {
                id: 1000 + i as u64,
                code_type: if code.starts_with("EG-") {
                    "EGS"
                } else {
                    "GS1"
                }
                .into(),
                item_code: code.clone(),
                code_name: code.clone(),
                code_name_ar: code.clone(),
                description: None,
                description_ar: None,
                parent_code: "10000000".into(),
                status: "Approved",
                active_from: since,
                active_to: None,
                created: since,
            })
            .collect::<Vec<_>>();
        Registry {
            strict: cfg.registered_item_codes.is_some(),
            next_id: 1000 + requests.len() as u64,
            requests,
        }
    }

    /// Whether `code` may be used on a receipt at `now`: an approved request whose validity
    /// covers `now` (every code, when no codes were configured).
    pub(super) fn is_active(&self, code: &str, now: DateTime<Utc>) -> bool {
        !self.strict
            || self.requests.iter().any(|r| {
                r.item_code == code
                    && r.status == "Approved"
                    && r.active_from <= now
                    && r.active_to.is_none_or(|to| now < to)
            })
    }

    fn json(&self, r: &CodeRequest, rin: &str, now: DateTime<Utc>) -> Value {
        let ts = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        json!({
            "codeUsageRequestID": r.id,
            "codeTypeName": r.code_type,
            "itemCode": r.item_code,
            "codeNamePrimaryLang": r.code_name,
            "codeNameSecondaryLang": r.code_name_ar,
            "descriptionPrimaryLang": r.description,
            "descriptionSecondaryLang": r.description_ar,
            "parentItemCode": r.parent_code,
            "requestType": "New",
            "status": r.status,
            "active": r.status == "Approved" && r.active_from <= now && r.active_to.is_none_or(|to| now < to),
            "activeFrom": ts(r.active_from),
            "activeTo": r.active_to.map(ts),
            "requestCreationDateTimeUtc": ts(r.created),
            "ownerTaxpayer": {"rin": rin},
        })
    }
}

impl EtaState {
    fn codes(&self) -> MutexGuard<'_, Registry> {
        self.codes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Approves (`approve`) or rejects the taxpayer's submitted request for `item_code`, as
    /// an ETA employee would; `false` when no request for it is waiting.
    pub fn decide_code_request(&self, item_code: &str, approve: bool) -> bool {
        let mut codes = self.codes();
        match codes
            .requests
            .iter_mut()
            .find(|r| r.item_code == item_code && r.status == "Submitted")
        {
            Some(r) => {
                r.status = if approve { "Approved" } else { "Rejected" };
                true
            }
            None => false,
        }
    }

    /// `(item code, status)` of every code-usage request, oldest first.
    pub fn code_requests(&self) -> Vec<(String, String)> {
        self.codes()
            .requests
            .iter()
            .map(|r| (r.item_code.clone(), r.status.to_owned()))
            .collect()
    }

    pub(super) fn code_is_active(&self, code: &str) -> bool {
        self.codes().is_active(code, Utc::now())
    }

    fn my_code_requests(&self, pairs: Vec<(String, String)>) -> Result<Value, Box<Response>> {
        let bad = |m: String| boxed(StatusCode::BAD_REQUEST, "BadStructure", m);
        let q = params(pairs, MY_PARAMS)?;
        let number = |name: &str, label: &str, default: usize, max: usize| match q
            .get(name)
            .map(|v| v.trim().parse::<usize>())
        {
            None => Ok(default),
            Some(Ok(n)) if (1..=max).contains(&n) => Ok(n),
            Some(_) => Err(bad(format!(
                "{label} must be a whole number from 1 to {max}"
            ))),
        };
        let page_number = number("pagenumber", "PageNumber", 1, usize::MAX)?;
        let page_size = number("pagesize", "PageSize", 10, MAX_CODE_PAGE)?;
        let active = match q.get("active").map(|v| v.trim().to_ascii_lowercase()) {
            None => None,
            Some(v) if v == "true" => Some(true),
            Some(v) if v == "false" => Some(false),
            Some(_) => return Err(bad("Active must be true or false".into())),
        };
        let status = q.get("status").map(|v| v.trim().to_owned());
        if let Some(s) = &status
            && !["Submitted", "Approved", "Rejected"].contains(&s.as_str())
        {
            return Err(bad(format!(
                "Status must be Submitted, Approved or Rejected, not {s:?}"
            )));
        }
        if let Some(t) = q.get("requesttype")
            && !["New", "Reusage"].contains(&t.trim())
        {
            return Err(bad(format!(
                "RequestType must be New or Reusage, not {t:?}"
            )));
        }
        let newest_first = match q.get("orderdirections").map(|v| v.trim()) {
            None | Some("Descending") => true,
            Some("Ascending") => false,
            Some(o) => {
                return Err(bad(format!(
                    "OrderDirections must be Descending or Ascending, not {o:?}"
                )));
            }
        };
        let now = Utc::now();
        let codes = self.codes();
        let mut rows: Vec<&CodeRequest> = codes
            .requests
            .iter()
            .filter(|r| q.get("itemcode").is_none_or(|c| r.item_code == c.trim()))
            .filter(|r| status.as_deref().is_none_or(|s| r.status == s))
            .filter(|_| q.get("requesttype").is_none_or(|t| t.trim() == "New"))
            .filter(|r| {
                active.is_none_or(|a| {
                    let live = r.status == "Approved"
                        && r.active_from <= now
                        && r.active_to.is_none_or(|to| now < to);
                    live == a
                })
            })
            .collect();
        rows.sort_by_key(|r| (r.created, r.id));
        if newest_first {
            rows.reverse();
        }
        let total = rows.len();
        let pages = total.div_ceil(page_size);
        let result: Vec<Value> = rows
            .into_iter()
            .skip((page_number - 1).saturating_mul(page_size))
            .take(page_size)
            .map(|r| codes.json(r, &self.cfg.taxpayer_rin, now))
            .collect();
        Ok(json!({
            "result": result,
            "metadata": {"totalPages": pages, "totalCount": total},
        }))
    }

    fn file_code_requests(&self, body: &[u8]) -> Result<(), Box<Response>> {
        let refuse = |details: Vec<Value>| {
            Box::new(json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": {
                    "code": "ValidationError",
                    "message": "the code usage request is not valid",
                    "target": "items",
                    "details": details,
                }}),
            ))
        };
        let detail = |path: String, message: String| json!({"code": "ValidationError", "message": message, "target": path.rsplit('.').next().unwrap_or(""), "propertyPath": path});
        let root: Value = serde_json::from_slice(body).map_err(|e| {
            boxed(
                StatusCode::BAD_REQUEST,
                "BadStructure",
                format!("the body is not JSON: {e}"),
            )
        })?;
        let Some(items) = root.get("items").and_then(Value::as_array) else {
            return Err(refuse(vec![detail(
                "items".into(),
                "items must be an array of code usage requests".into(),
            )]));
        };
        if items.is_empty() || items.len() > MAX_CODE_ITEMS {
            return Err(refuse(vec![detail(
                "items".into(),
                format!("1 to {MAX_CODE_ITEMS} requests"),
            )]));
        }
        let rin = &self.cfg.taxpayer_rin;
        let mut codes = self.codes();
        let mut problems = Vec::new();
        let mut new = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = |f: &str| format!("items[{i}].{f}");
            let text = |f: &str| item.get(f).and_then(Value::as_str).map(str::trim);
            let required = |f: &str, problems: &mut Vec<Value>| match text(f) {
                Some(v) if !v.is_empty() => v.to_owned(),
                _ => {
                    problems.push(detail(at(f), format!("{f} is required")));
                    String::new()
                }
            };
            let code_type = required("codeType", &mut problems);
            if !code_type.is_empty() && code_type != "EGS" {
                problems.push(detail(at("codeType"), "codeType must be EGS".into()));
            }
            let item_code = required("itemCode", &mut problems);
            let prefix = format!("EG-{rin}-");
            let internal = item_code.strip_prefix(&prefix).unwrap_or("");
            if !item_code.is_empty()
                && (internal.is_empty()
                    || !internal
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            {
                problems.push(detail(
                    at("itemCode"),
                    format!("itemCode must be {prefix}<internal code>"),
                ));
            }
            let parent = required("parentCode", &mut problems);
            if !parent.is_empty()
                && (parent.len() != 8 || !parent.bytes().all(|b| b.is_ascii_digit()))
            {
                problems.push(detail(
                    at("parentCode"),
                    "parentCode must be an 8-digit GPC brick code".into(),
                ));
            }
            let name = required("codeName", &mut problems);
            let name_ar = required("codeNameAr", &mut problems);
            let from = required("activeFrom", &mut problems);
            let active_from = DateTime::parse_from_rfc3339(&from).map(|t| t.with_timezone(&Utc));
            if !from.is_empty() && active_from.is_err() {
                problems.push(detail(
                    at("activeFrom"),
                    "activeFrom must be a UTC date-time".into(),
                ));
            }
            let active_to = match text("activeTo") {
                None | Some("") => None,
                Some(t) => match DateTime::parse_from_rfc3339(t) {
                    Ok(t) => Some(t.with_timezone(&Utc)),
                    Err(_) => {
                        problems.push(detail(
                            at("activeTo"),
                            "activeTo must be a UTC date-time".into(),
                        ));
                        None
                    }
                },
            };
            let taken = codes
                .requests
                .iter()
                .chain(new.iter())
                .any(|r: &CodeRequest| r.item_code == item_code && r.status != "Rejected");
            if !item_code.is_empty() && taken {
                problems.push(detail(
                    at("itemCode"),
                    format!("{item_code} already has a code usage request"),
                ));
            }
            if problems.is_empty() {
                let id = codes.next_id + new.len() as u64;
                new.push(CodeRequest {
                    id,
                    code_type,
                    item_code,
                    code_name: name,
                    code_name_ar: name_ar,
                    description: text("description").map(str::to_owned),
                    description_ar: text("descriptionAr").map(str::to_owned),
                    parent_code: parent,
                    status: "Submitted",
                    active_from: active_from.unwrap_or_default(),
                    active_to,
                    created: Utc::now(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(refuse(problems));
        }
        codes.next_id += new.len() as u64;
        codes.requests.extend(new);
        Ok(())
    }
}

/// `GET /api/v1.0/codetypes/requests/my`.
pub(super) async fn my_requests(
    State(st): State<Arc<EtaState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authenticate(&st, &headers) {
        return *r;
    }
    match st.my_code_requests(query_pairs(&uri)) {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(r) => *r,
    }
}

/// `POST /api/v1.0/codetypes/requests/codes`.
pub(super) async fn file_requests(
    State(st): State<Arc<EtaState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authenticate(&st, &headers) {
        return *r;
    }
    match st.file_code_requests(&body) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(r) => *r,
    }
}
