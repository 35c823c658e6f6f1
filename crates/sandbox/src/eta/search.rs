//! ETA's list reads: Search Receipts (`GET /api/v1/receipts/search`) and Get Recent Receipts
//! (`GET /api/v1/receipts/recent`), with ETA's query parameter names and paging.
//!
//! Both list the receipts ETA holds (those it accepted for processing) that the calling POS
//! submitted, as `{"receipts": [summary, …], "metadata": {"totalPages", "totalCount"}}`.
//! Where ETA's pages are unsure the stand-in is strict (see `docs/sandbox.md`): a parameter
//! name it does not know, a value it cannot read, a `FreeText` under 5 characters or a page
//! size above 100 is a 400 `BadStructure` naming the parameter, so that a client never relies
//! on a filter that a real server might ignore.

use chrono::{DateTime, FixedOffset};

use super::*;

/// The parameters of Search Receipts, lower case (names are matched case-insensitively).
const SEARCH_PARAMS: &[&str] = &[
    "freetext",
    "direction",
    "datetimeissuedfrom",
    "datetimeissuedto",
    "datetimereceivedfrom",
    "datetimereceivedto",
    "documenttypecode",
    "documenttypeversion",
    "receivername",
    "receiverregisterationnumber",
    "posserialnumber",
    "submissionchannel",
    "sortby",
    "sortdir",
    "pageno",
    "pagesize",
];

/// The parameters of Get Recent Receipts, lower case.
const RECENT_PARAMS: &[&str] = &[
    "uuid",
    "submissionuuid",
    "receiptnumber",
    "documenttypecode",
    "documenttypeversion",
    "receivername",
    "receiverregisterationnumber",
    "posserialnumber",
    "paymentmethod",
    "submissionchannel",
    "status",
    "direction",
    "sortby",
    "sortdir",
    "pageno",
    "pagesize",
];

/// Largest page either list serves.
pub const MAX_LIST_PAGE: usize = 100;

type Bad = Box<Response>;
/// One filter on the receipts a list shows.
type Filter<'q> = Box<dyn Fn(&Receipt) -> bool + 'q>;

fn bad(message: impl Into<String>) -> Bad {
    boxed(StatusCode::BAD_REQUEST, "BadStructure", message)
}

/// The query with lower-case names; an unknown or repeated name is refused.
pub(super) fn params(
    pairs: Vec<(String, String)>,
    known: &[&str],
) -> Result<HashMap<String, String>, Bad> {
    let mut out = HashMap::new();
    for (name, value) in pairs {
        let lower = name.to_ascii_lowercase();
        if !known.contains(&lower.as_str()) {
            return Err(bad(format!(
                "{name} is not a parameter of this API (the stand-in refuses names it does not know)"
            )));
        }
        if out.insert(lower, value).is_some() {
            return Err(bad(format!("{name} is given twice")));
        }
    }
    // An empty value is no filter, as ETA's signatures list every parameter with `{…}`.
    out.retain(|_, v| !v.trim().is_empty());
    Ok(out)
}

fn date(
    q: &HashMap<String, String>,
    name: &str,
    label: &str,
) -> Result<Option<DateTime<FixedOffset>>, Bad> {
    q.get(name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v.trim()).map_err(|_| {
                bad(format!(
                    "{label} must be a UTC date and time such as 2022-04-18T12:12:35.756Z"
                ))
            })
        })
        .transpose()
}

struct Paging {
    page_no: usize,
    page_size: usize,
    newest_first: bool,
    by_issued: bool,
}

fn paging(q: &HashMap<String, String>) -> Result<Paging, Bad> {
    let page_no = match q.get("pageno").map(|v| v.trim().parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        _ => return Err(bad("PageNo must be an integer >= 1")),
    };
    let page_size = match q.get("pagesize").map(|v| v.trim().parse::<usize>()) {
        None => MAX_LIST_PAGE,
        Some(Ok(n)) if (1..=MAX_LIST_PAGE).contains(&n) => n,
        _ => {
            return Err(bad(format!(
                "PageSize must be an integer from 1 to {MAX_LIST_PAGE}"
            )));
        }
    };
    let by_issued = match q.get("sortby").map(|v| v.trim().to_ascii_lowercase()) {
        None => false,
        Some(v) if v == "datetimereceived" => false,
        Some(v) if v == "datetimeissued" => true,
        Some(_) => {
            return Err(bad(
                "SortBy must be dateTimeReceived or dateTimeIssued (the stand-in knows no other)",
            ));
        }
    };
    let newest_first = match q.get("sortdir").map(|v| v.trim().to_ascii_lowercase()) {
        None => true,
        Some(v) if v == "desc" => true,
        Some(v) if v == "asc" => false,
        Some(_) => return Err(bad("SortDir must be Asc or Desc")),
    };
    Ok(Paging {
        page_no,
        page_size,
        newest_first,
        by_issued,
    })
}

/// The filters both lists share; `Received` lists nothing (a POS receives no receipts).
fn common(q: &HashMap<String, String>) -> Result<Vec<Filter<'_>>, Bad> {
    let mut filters: Vec<Filter<'_>> = Vec::new();
    if let Some(direction) = q.get("direction") {
        match direction.trim().to_ascii_lowercase().as_str() {
            "submitted" => {}
            "received" => filters.push(Box::new(|_| false)),
            _ => return Err(bad("Direction must be Submitted or Received")),
        }
    }
    if let Some(code) = q.get("documenttypecode") {
        let code = code.trim().to_ascii_lowercase();
        if code != "s" && code != "r" {
            return Err(bad(
                "DocumentTypeCode must be s (receipt) or r (return receipt)",
            ));
        }
        filters.push(Box::new(move |r| {
            r.receipt_type.eq_ignore_ascii_case(&code)
        }));
    }
    if let Some(version) = q.get("documenttypeversion") {
        let version = version.trim().to_owned();
        // Every receipt the stand-in holds is of version 1.2.
        filters.push(Box::new(move |_| version == "1.2"));
    }
    if let Some(serial) = q.get("posserialnumber") {
        filters.push(Box::new(move |r| r.device == *serial));
    }
    if let Some(channel) = q.get("submissionchannel") {
        let pos = channel.trim().eq_ignore_ascii_case("POS");
        filters.push(Box::new(move |_| pos));
    }
    for name in ["receivername", "receiverregisterationnumber"] {
        if let Some(value) = q.get(name) {
            let value = value.trim().to_lowercase();
            filters.push(Box::new(move |r| buyer_text(r).contains(&value)));
        }
    }
    Ok(filters)
}

/// The buyer's name and id as the raw receipt carries them, lower case.
fn buyer_text(r: &Receipt) -> String {
    let raw: Value = serde_json::from_str(&r.raw).unwrap_or(Value::Null);
    let buyer = &raw["buyer"];
    format!(
        "{}|{}",
        buyer["name"].as_str().unwrap_or_default(),
        buyer["id"].as_str().unwrap_or_default()
    )
    .to_lowercase()
}

impl EtaState {
    /// The receipts ETA holds that `serial` submitted, filtered, sorted and paged. An exact
    /// uuid or receipt number (`only`) is looked up in the stand-in's indexes, as a real
    /// search would, instead of read off every receipt held: a search per receipt issued must
    /// not cost more as the history grows.
    fn list(
        &self,
        serial: &str,
        only: Option<Only>,
        filters: &[Filter<'_>],
        paging: &Paging,
    ) -> Value {
        let d = self.lock();
        let candidates: Vec<usize> = match only {
            None => (0..d.receipts.len()).collect(),
            Some(Only::Uuid(uuid)) => d.accepted.get(uuid).copied().into_iter().collect(),
            Some(Only::Number(number)) => d.by_number.get(number).cloned().unwrap_or_default(),
        };
        let mut held: Vec<(usize, &Receipt)> = candidates
            .into_iter()
            .map(|i| (i, &d.receipts[i]))
            .filter(|(i, r)| d.accepted.get(&r.uuid) == Some(i))
            .filter(|(_, r)| r.device == serial)
            .filter(|(_, r)| filters.iter().all(|f| f(r)))
            .collect();
        // Sorted by the chosen time, ties in the order received.
        held.sort_by(|(ia, a), (ib, b)| {
            let (ka, kb) = if paging.by_issued {
                (&a.date_time_issued, &b.date_time_issued)
            } else {
                (&a.date_time_received, &b.date_time_received)
            };
            ka.cmp(kb).then(ia.cmp(ib))
        });
        if paging.newest_first {
            held.reverse();
        }
        let total = held.len();
        let pages = total.div_ceil(paging.page_size);
        let page: Vec<Value> = held
            .iter()
            .skip((paging.page_no - 1) * paging.page_size)
            .take(paging.page_size)
            .map(|(_, r)| r.summary())
            .collect();
        json!({
            "receipts": page,
            "metadata": {
                "totalPages": pages,
                "totalCount": total,
                "pageNo": paging.page_no,
                "pageSize": paging.page_size,
            },
        })
    }

    fn search_query(&self, serial: &str, pairs: Vec<(String, String)>) -> Result<Value, Bad> {
        let q = params(pairs, SEARCH_PARAMS)?;
        let paging = paging(&q)?;
        let mut filters = common(&q)?;
        if let Some(text) = q.get("freetext") {
            let text = text.trim().to_lowercase();
            if text.chars().count() < 5 || text.chars().count() > 100 {
                return Err(bad("FreeText must be 5 to 100 characters"));
            }
            let rin = self.cfg.taxpayer_rin.clone();
            filters.push(Box::new(move |r| {
                // Fragments of the ids, the issuer and the POS; the issue date and the total
                // exactly.
                [
                    &r.uuid,
                    &r.long_id,
                    &r.receipt_number,
                    &r.submission_id,
                    &rin,
                    &r.device,
                ]
                .iter()
                .any(|f| f.to_lowercase().contains(&text))
                    || r.date_time_issued.get(..10) == Some(text.as_str())
                    || r.total_amount == text
            }));
        }
        for (name, label, issued, from) in [
            ("datetimeissuedfrom", "DateTimeIssuedFrom", true, true),
            ("datetimeissuedto", "DateTimeIssuedTo", true, false),
            ("datetimereceivedfrom", "DateTimeReceivedFrom", false, true),
            ("datetimereceivedto", "DateTimeReceivedTo", false, false),
        ] {
            if let Some(bound) = date(&q, name, label)? {
                filters.push(Box::new(move |r| {
                    let at = if issued {
                        &r.date_time_issued
                    } else {
                        &r.date_time_received
                    };
                    DateTime::parse_from_rfc3339(at)
                        .is_ok_and(|at| if from { at >= bound } else { at <= bound })
                }));
            }
        }
        Ok(self.list(serial, None, &filters, &paging))
    }

    fn recent_query(&self, serial: &str, pairs: Vec<(String, String)>) -> Result<Value, Bad> {
        let q = params(pairs, RECENT_PARAMS)?;
        let paging = paging(&q)?;
        let mut filters = common(&q)?;
        for (name, pick) in [
            (
                "uuid",
                (|r: &Receipt| r.uuid.clone()) as fn(&Receipt) -> String,
            ),
            ("submissionuuid", |r: &Receipt| r.submission_id.clone()),
            ("receiptnumber", |r: &Receipt| r.receipt_number.clone()),
        ] {
            if let Some(value) = q.get(name) {
                let value = value.trim().to_owned();
                filters.push(Box::new(move |r| pick(r) == value));
            }
        }
        if let Some(status) = q.get("status") {
            let status = status.trim().to_ascii_lowercase();
            if !["valid", "invalid", "cancelled"].contains(&status.as_str()) {
                return Err(bad("Status must be Valid, Invalid or Cancelled"));
            }
            filters.push(Box::new(move |r| {
                r.status(Instant::now()).eq_ignore_ascii_case(&status)
            }));
        }
        if let Some(method) = q.get("paymentmethod") {
            let method = method.trim().to_owned();
            filters.push(Box::new(move |r| {
                serde_json::from_str::<Value>(&r.raw)
                    .is_ok_and(|raw| raw["paymentMethod"].as_str() == Some(method.as_str()))
            }));
        }
        // The filters above still apply: the index only narrows where to look.
        let only = match (q.get("uuid"), q.get("receiptnumber")) {
            (Some(uuid), _) => Some(Only::Uuid(uuid.trim())),
            (None, Some(number)) => Some(Only::Number(number.trim())),
            (None, None) => None,
        };
        Ok(self.list(serial, only, &filters, &paging))
    }
}

/// An exact key a list is narrowed to before its filters run.
enum Only<'q> {
    /// Get Recent Receipts' `Uuid`.
    Uuid(&'q str),
    /// Get Recent Receipts' `ReceiptNumber`.
    Number(&'q str),
}

pub(super) fn query_pairs(uri: &axum::http::Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

/// `GET /api/v1/receipts/search`.
pub(super) async fn search(
    State(st): State<Arc<EtaState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let serial = match authenticate(&st, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    match st.search_query(&serial, query_pairs(&uri)) {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(r) => *r,
    }
}

/// `GET /api/v1/receipts/recent`.
pub(super) async fn recent(
    State(st): State<Arc<EtaState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let serial = match authenticate(&st, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    match st.recent_query(&serial, query_pairs(&uri)) {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(r) => *r,
    }
}
