//! The Flow ERP stand-in, written from `specs/flow-erp.md`.
//!
//! One HTTP server plays the three Flow hosts (login, REST API and legacy command surface): the
//! paths do not overlap. Paths are matched without regard to ASCII case (the real servers run
//! on IIS). Every answer body starts with a UTF-8 byte-order mark. See `docs/sandbox.md` for the
//! endpoint list and for each choice made where the spec is unsure.

mod catalog;
mod docs;
mod reads;
mod sql;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use catalog::{Contact, Item, OpConfig, OpKind};

/// The byte-order mark that starts every Flow answer.
pub const BOM: &str = "\u{feff}";

/// Settings of the Flow ERP stand-in.
#[derive(Clone)]
pub struct FlowConfig {
    /// Tenant/account number (`ACC`). Default `"1001"`.
    pub acc: String,
    /// The ERP user (`USRID`). Default `"SYNC"`.
    pub usrid: String,
    /// The user's password (`PASS`). Default `"sandbox-pass"`.
    pub pass: String,
    /// Company number (`CONO`). Default `1`.
    pub cono: i64,
    /// Header field that carries the external reference of a document (the dump's
    /// `external_ref`); tenant configuration in the real ERP. Default `"REFDOCNO"`.
    pub reference_field: String,
    /// How long a session key lives; `None` (the default) for as long as the server runs.
    pub session_ttl: Option<Duration>,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            acc: "1001".into(),
            usrid: "SYNC".into(),
            pass: "sandbox-pass".into(),
            cono: 1,
            reference_field: "REFDOCNO".into(),
            session_ttl: None,
        }
    }
}

impl fmt::Debug for FlowConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowConfig")
            .field("acc", &self.acc)
            .field("usrid", &self.usrid)
            .field("pass", &"[redacted]")
            .field("cono", &self.cono)
            .field("reference_field", &self.reference_field)
            .field("session_ttl", &self.session_ttl)
            .finish()
    }
}

/// One item of the seeded catalog, as offered to the Shopify order generator.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowCatalogItem {
    /// The item number (`ITNO`, equal to `ITCODE`), used as the SKU.
    pub sku: String,
    /// Latin name of the item.
    pub title: String,
    /// Retail price (price list 1), tax included.
    pub price: Decimal,
    /// The item group (`GRPNO`) the item belongs to.
    pub group: u32,
    /// The colour code (`CLRNO`) of the item.
    pub colour: String,
    /// The Latin name of the colour (`CLRDES`).
    pub colour_name: String,
    /// Whether the item is on hold (`STS` other than `A`).
    pub held: bool,
}

#[derive(Debug)]
struct Session {
    created: Instant,
}

#[derive(Debug, Clone)]
struct Doc {
    op: &'static str,
    kind: OpKind,
    docno: u64,
    cono: i64,
    strno: i64,
    distno: i64,
    empno: i64,
    docdt: String,
    srcdocno: u64,
    sts: String,
    header: Map<String, Value>,
    lines: Vec<Map<String, Value>>,
    doctot: Decimal,
    totsaltax: Decimal,
    docnet: Decimal,
    /// (ITNO, STRNO, change) applied to the stock when saved.
    effect: Vec<(String, i64, Decimal)>,
}

impl Doc {
    /// The text of a header field as `trnhdr` shows it (`""` when missing or null).
    fn header_text(&self, field: &str) -> String {
        match self.header.get(field) {
            Some(Value::String(v)) => v.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    logins: u64,
    login_failures: u64,
    documents_saved: u64,
    documents_updated: u64,
    documents_refused: u64,
    documents_deleted: u64,
    queries: u64,
    queries_refused: u64,
    contacts_added: u64,
    contacts_updated: u64,
    rejected_keys: u64,
}

#[derive(Debug)]
struct Data {
    rng: StdRng,
    sessions: HashMap<String, Session>,
    groups: Vec<catalog::Group>,
    items: Vec<Item>,
    item_index: HashMap<String, usize>,
    stock: BTreeMap<(String, i64), Decimal>,
    contacts: Vec<Contact>,
    ops: Vec<OpConfig>,
    docs: Vec<Doc>,
    /// Where each document is in `docs`, by what the ERP's own tables are searched on.
    doc_index: DocIndex,
    next_docno: HashMap<&'static str, u64>,
    counters: Counters,
}

/// The positions in `Data::docs` of the documents by operation and number, by the text of
/// their reference fields, and by their source document: the look-ups a real ERP answers from
/// its indexes. Without them each read scanned every document, and a long backfill measured
/// the stand-in instead of the connector (`docs/sandbox.md`).
#[derive(Debug, Default)]
struct DocIndex {
    by_number: HashMap<(&'static str, u64), usize>,
    by_text: HashMap<(&'static str, String), Vec<usize>>,
    by_source: HashMap<u64, Vec<usize>>,
}

/// The header fields `DocIndex::by_text` indexes (the `trnhdr` columns `refdocno`, `rmk`).
const INDEXED_TEXT: [&str; 2] = ["REFDOCNO", "RMK"];

impl DocIndex {
    /// The text of a header field as `trnhdr` shows it, in lower case (the stand-in's SQL
    /// compares text ignoring case).
    fn text(doc: &Doc, field: &str) -> String {
        doc.header_text(field).to_lowercase()
    }

    /// Records `doc`, at `at` in `docs`.
    fn add(&mut self, at: usize, doc: &Doc) {
        self.by_number.insert((doc.op, doc.docno), at);
        for field in INDEXED_TEXT {
            self.by_text
                .entry((field, Self::text(doc, field)))
                .or_default()
                .push(at);
        }
        self.by_source.entry(doc.srcdocno).or_default().push(at);
    }

    /// Forgets `doc`, at `at` (before it is replaced there).
    fn remove(&mut self, at: usize, doc: &Doc) {
        for field in INDEXED_TEXT {
            if let Some(list) = self.by_text.get_mut(&(field, Self::text(doc, field))) {
                list.retain(|i| *i != at);
            }
        }
        if let Some(list) = self.by_source.get_mut(&doc.srcdocno) {
            list.retain(|i| *i != at);
        }
    }
}

impl Data {
    /// Appends a new document.
    fn push_doc(&mut self, doc: Doc) {
        self.doc_index.add(self.docs.len(), &doc);
        self.docs.push(doc);
    }

    /// Replaces the document at `at` (an update keeps its operation and number).
    fn replace_doc(&mut self, at: usize, doc: Doc) {
        self.doc_index.remove(at, &self.docs[at]);
        self.doc_index.add(at, &doc);
        self.docs[at] = doc;
    }

    /// The position of document `docno` of operation `op` (any case) in company `cono`,
    /// store `strno`.
    fn doc_at(&self, op: &str, cono: i64, strno: i64, docno: u64) -> Option<usize> {
        let op = self.ops.iter().find(|o| o.op.eq_ignore_ascii_case(op))?.op;
        self.doc_index
            .by_number
            .get(&(op, docno))
            .copied()
            .filter(|i| self.docs[*i].cono == cono && self.docs[*i].strno == strno)
    }

    /// The positions of the documents whose header `field` (one of `INDEXED_TEXT`) is one
    /// of `values` ignoring case, in the order saved.
    fn docs_with_text(&self, field: &'static str, values: &[String]) -> Vec<usize> {
        let mut found: Vec<usize> = values
            .iter()
            .filter_map(|v| self.doc_index.by_text.get(&(field, v.to_lowercase())))
            .flatten()
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The positions of the documents made from source document number `srcdocno`.
    fn docs_from(&self, srcdocno: u64) -> &[usize] {
        self.doc_index
            .by_source
            .get(&srcdocno)
            .map_or(&[], Vec::as_slice)
    }
}

/// The state of the Flow ERP stand-in.
#[derive(Debug)]
pub struct FlowState {
    cfg: FlowConfig,
    data: Mutex<Data>,
}

impl FlowConfig {
    pub(crate) fn validate(&self) -> Result<(), crate::Error> {
        let bad = |field: &'static str| {
            Err(crate::Error::Config {
                field,
                rule: "must not be empty".into(),
            })
        };
        if self.acc.is_empty() {
            return bad("flow.acc");
        }
        if self.usrid.is_empty() {
            return bad("flow.usrid");
        }
        if self.pass.is_empty() {
            return bad("flow.pass");
        }
        if self.reference_field.is_empty() {
            return bad("flow.reference_field");
        }
        Ok(())
    }
}

impl FlowState {
    /// A stand-in with `catalog_groups` seeded item groups.
    pub fn new(cfg: FlowConfig, catalog_groups: usize, seed: u64) -> Arc<FlowState> {
        let seeded = catalog::generate(catalog_groups, seed);
        let item_index = seeded
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.itno.clone(), i))
            .collect();
        Arc::new(FlowState {
            cfg,
            data: Mutex::new(Data {
                rng: StdRng::seed_from_u64(seed ^ 0xF10E_5E55_0000_0000),
                sessions: HashMap::new(),
                groups: seeded.groups,
                items: seeded.items,
                item_index,
                stock: seeded.stock,
                contacts: seeded.contacts,
                ops: catalog::operations(),
                docs: Vec::new(),
                doc_index: DocIndex::default(),
                next_docno: HashMap::new(),
                counters: Counters::default(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &FlowConfig {
        &self.cfg
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A customer's record exactly as stored (every field `ADDCON` sent or the seed gave),
    /// `None` when there is no customer `cno`.
    pub fn customer_record(&self, cno: u64) -> Option<Value> {
        self.lock()
            .contacts
            .iter()
            .find(|c| c.cno == cno && c.contyp == "C")
            .map(|c| Value::Object(c.fields.clone()))
    }

    /// The customer number (`DISTNO`) of every saved document of `op`, by its reference.
    pub fn booked_customers(&self, op: &str) -> Vec<(String, i64)> {
        let d = self.lock();
        d.docs
            .iter()
            .filter(|doc| doc.op == op)
            .map(|doc| {
                let reference = doc
                    .header
                    .get(&self.cfg.reference_field)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                (reference, doc.distno)
            })
            .collect()
    }

    /// The active items of the catalog (those a shop sells).
    pub fn catalog_items(&self) -> Vec<FlowCatalogItem> {
        let mut items = self.all_catalog_items();
        items.retain(|i| !i.held);
        items
    }

    /// Every item of the catalog, held ones included.
    pub fn all_catalog_items(&self) -> Vec<FlowCatalogItem> {
        self.lock()
            .items
            .iter()
            .filter(|i| !i.service)
            .map(|i| FlowCatalogItem {
                sku: i.itno.clone(),
                title: i.name_en.clone(),
                price: i.price,
                group: i.grpno,
                colour: i.colour.0.to_owned(),
                colour_name: i.colour.1.to_owned(),
                held: i.sts != "A",
            })
            .collect()
    }

    /// Opens a session as a successful login would, and returns its key (for tests that
    /// need a key while every request is made to fail).
    pub fn open_session(&self) -> String {
        let mut d = self.lock();
        self.new_session(&mut d)
    }

    /// Forgets a session key (the fault "expired session").
    pub fn expire_key(&self, key: &str) {
        self.lock().sessions.remove(key);
    }

    /// Everything the stand-in holds, as JSON (the `flow` part of `/__admin/dump`).
    pub fn dump(&self) -> Value {
        let d = self.lock();
        let reference = |doc: &Doc| match doc.header.get(&self.cfg.reference_field) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let doc_json = |doc: &Doc| {
            json!({
                "op": doc.op,
                "doc_no": doc.docno,
                "external_ref": reference(doc),
                "cancelled": doc.sts == "D",
                "sts": doc.sts,
                "cono": doc.cono,
                "store": doc.strno,
                "distno": doc.distno,
                "docdt": doc.docdt,
                "source_doc_no": doc.srcdocno,
                "doc_net": dec_json(doc.docnet),
                "lines": doc.lines.iter().map(|l| json!({
                    "sku": l.get("ITNO").cloned().unwrap_or(Value::Null),
                    "qty": l.get("QTY").cloned().unwrap_or(Value::Null),
                    "price": l.get("ITPRICE").cloned().unwrap_or(Value::Null),
                })).collect::<Vec<_>>(),
            })
        };
        let of_kind = |kind: OpKind| {
            d.docs
                .iter()
                .filter(|doc| doc.kind == kind)
                .map(doc_json)
                .collect::<Vec<_>>()
        };
        json!({
            "sales_documents": of_kind(OpKind::Sales),
            "returns": of_kind(OpKind::Return),
            "store_documents": of_kind(OpKind::Store),
            "stock": d.stock.iter().map(|((sku, store), qty)| json!({
                "sku": sku, "store": store, "qty": dec_json(*qty),
            })).collect::<Vec<_>>(),
            "items": d.items.iter().map(|i| json!({
                "sku": i.itno, "group": i.grpno, "name_en": i.name_en, "name_ar": i.name_ar,
                "colour": i.colour.1, "size": i.size, "price": dec_json(i.price), "sts": i.sts,
            })).collect::<Vec<_>>(),
            "contacts": d.contacts.iter().map(|c| json!({
                "cno": c.cno, "contyp": c.contyp,
                "name": c.fields.get("CNAME").cloned().unwrap_or(Value::Null),
                "email": c.fields.get("EMAIL").cloned().unwrap_or(Value::Null),
                "tel": c.fields.get("TEL1").cloned().unwrap_or(Value::Null),
            })).collect::<Vec<_>>(),
        })
    }

    /// Counters (the `flow` part of `/__admin/stats`).
    pub fn stats(&self) -> Value {
        let d = self.lock();
        let c = &d.counters;
        let count = |kind| d.docs.iter().filter(|doc| doc.kind == kind).count();
        json!({
            "sessions": d.sessions.len(),
            "logins": c.logins,
            "login_failures": c.login_failures,
            "rejected_keys": c.rejected_keys,
            "documents": d.docs.len(),
            "sales_documents": count(OpKind::Sales),
            "returns": count(OpKind::Return),
            "documents_saved": c.documents_saved,
            "documents_updated": c.documents_updated,
            "documents_refused": c.documents_refused,
            "documents_deleted": c.documents_deleted,
            "queries": c.queries,
            "queries_refused": c.queries_refused,
            "contacts": d.contacts.len(),
            "contacts_added": c.contacts_added,
            "contacts_updated": c.contacts_updated,
            "items": d.items.len(),
            "item_groups": d.groups.len(),
        })
    }

    /// Adds a service item `itno` to the item master, as a tenant keeps for charges and
    /// credits (no colours, sizes or stock, price 0, VAT 14 %; not in
    /// [`catalog_items`](Self::catalog_items)).
    ///
    /// # Errors
    /// An empty number or one the item master already has.
    pub fn add_service_item(&self, itno: &str, name: &str) -> Result<(), String> {
        let mut d = self.lock();
        if itno.trim().is_empty() {
            return Err("itno must not be empty".into());
        }
        if d.item_index.contains_key(itno) {
            return Err(format!("item {itno} exists"));
        }
        let item = catalog::Item {
            itno: itno.to_owned(),
            grpno: 0,
            catno: 0,
            name_ar: name.to_owned(),
            name_en: name.to_owned(),
            colour: ("", "", ""),
            size: "",
            price: Decimal::ZERO,
            barcode: String::new(),
            sts: "A",
            service: true,
        };
        d.items.push(item);
        let at = d.items.len() - 1;
        d.item_index.insert(itno.to_owned(), at);
        Ok(())
    }

    /// Sets the stock of `sku` in `store` (for tests that need the ERP's stock to move).
    ///
    /// # Errors
    /// Unknown SKU or store.
    pub fn set_stock(&self, sku: &str, store: i64, qty: Decimal) -> Result<(), String> {
        let mut d = self.lock();
        if !d.item_index.contains_key(sku) {
            return Err(format!("unknown item {sku}"));
        }
        if !catalog::stores().iter().any(|s| s.strno == store) {
            return Err(format!("unknown store {store}"));
        }
        d.stock.insert((sku.to_string(), store), qty);
        Ok(())
    }

    /// Changes an item's status (`A` active, `H` held) and/or its retail price, as an ERP user
    /// would (for tests of hold/activate and price flows).
    ///
    /// # Errors
    /// Unknown SKU, a status other than `A` or `H`, or a negative price.
    pub fn set_item(
        &self,
        sku: &str,
        sts: Option<&str>,
        price: Option<Decimal>,
    ) -> Result<(), String> {
        let mut d = self.lock();
        let i = *d
            .item_index
            .get(sku)
            .ok_or_else(|| format!("unknown item {sku}"))?;
        let sts = match sts {
            None => None,
            Some("A") => Some("A"),
            Some("H") => Some("H"),
            Some(other) => return Err(format!("sts must be A or H, not {other}")),
        };
        if price.is_some_and(|p| p < Decimal::ZERO) {
            return Err("price must not be negative".into());
        }
        if let Some(sts) = sts {
            d.items[i].sts = sts;
        }
        if let Some(price) = price {
            d.items[i].price = price;
        }
        Ok(())
    }
}

/// The router of the Flow stand-in (without admin routes and faults).
pub(crate) fn router(state: Arc<FlowState>) -> axum::Router {
    axum::Router::new().fallback(dispatch).with_state(state)
}

fn dec_json(d: Decimal) -> Value {
    if d.fract().is_zero()
        && let Some(i) = d.to_i64()
    {
        return i.into();
    }
    d.normalize()
        .to_f64()
        .map(Value::from)
        .unwrap_or(Value::Null)
}

fn bom_text(status: StatusCode, text: &str) -> Response {
    let mut r = (status, format!("{BOM}{text}")).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn bom_json(value: &Value) -> Response {
    let mut r = (StatusCode::OK, format!("{BOM}{value}")).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

fn cmderr(why: impl fmt::Display) -> Response {
    bom_text(StatusCode::OK, &format!("CMDERR,{why}"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = bytes.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(h).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(BOM.as_bytes()).unwrap_or(body)
}

async fn dispatch(
    State(st): State<Arc<FlowState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let segs: Vec<String> = uri
        .path()
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let post = method == Method::POST;
    let get = method == Method::GET;
    match l.as_slice() {
        [] if post => st.legacy(uri.query().unwrap_or(""), &headers, &body),
        ["api", "chkusr", "login"] if post => st.json_login(&body),
        ["api", "srvcmd", "getrec"] if post => {
            st.authed(&headers, &body, "apikey", |st| st.getrec(&body))
        }
        ["api", "poscmd", "addpos"] if post => {
            st.authed(&headers, &body, "apikey", |st| st.addpos(&body))
        }
        ["api", "concmd", "addcon"] if post => {
            st.authed(&headers, &body, "apikey", |st| st.addcon(&body))
        }
        ["api", "srvcmd", "getopc", _] if get => {
            st.authed(&headers, &[], "apikey", |st| st.getopc(&segs[3]))
        }
        ["api", "srvcmd", "getcom", _] if get => {
            st.authed(&headers, &[], "apikey", |st| st.getcom(&segs[3]))
        }
        ["api", "concmd", "getcon", _] if get => {
            st.authed(&headers, &[], "apikey", |st| st.getcon(&segs[3], None))
        }
        ["api", "concmd", "getcon", _, _] if get => st.authed(&headers, &[], "apikey", |st| {
            st.getcon(&segs[3], Some(&segs[4]))
        }),
        ["api", "poscmd", "getitm", _] if get => {
            st.authed(&headers, &[], "apikey", |st| st.getitm(&segs[3]))
        }
        ["api", "poscmd", "getbal", _, _] if get => {
            st.authed(&headers, &[], "apikey", |st| st.getbal(&segs[3], &segs[4]))
        }
        ["api", "poscmd", "getdoc", _, _, _, _] if get => {
            st.authed(&headers, &[], "apikey", |st| st.getdoc(&segs[3..7]))
        }
        ["api", "srvcmd", "getprclst"] if get => {
            st.authed(&headers, &[], "apikey", |st| st.getprclst())
        }
        ["api", "srvcmd", "getgroup", _] if get => {
            st.authed(&headers, &[], "apikey", |st| st.getgroup(&segs[3]))
        }
        _ => bom_text(
            StatusCode::NOT_FOUND,
            &format!("no such Flow endpoint: {method} {}", uri.path()),
        ),
    }
}

/// The command wrapper's fields, keys lower-cased.
fn wrapper(body: &[u8]) -> Result<Map<String, Value>, String> {
    let value: Value = serde_json::from_slice(strip_bom(body))
        .map_err(|e| format!("the body is not a JSON command wrapper: {e}"))?;
    match value {
        Value::Object(m) => Ok(m
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect()),
        _ => Err("the command wrapper must be a JSON object".into()),
    }
}

fn wrapper_str(m: &Map<String, Value>, key: &str) -> String {
    match m.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

impl FlowState {
    /// Runs `f` when the request carries a live session key in header `header_name` (or in
    /// the `APIKEY` field of a JSON command wrapper); answers 401 otherwise.
    fn authed(
        self: &Arc<Self>,
        headers: &HeaderMap,
        body: &[u8],
        header_name: &str,
        f: impl FnOnce(&Arc<Self>) -> Response,
    ) -> Response {
        let from_header = headers
            .get(header_name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let key = from_header.or_else(|| {
            wrapper(body)
                .ok()
                .map(|m| wrapper_str(&m, "apikey"))
                .filter(|k| !k.is_empty())
        });
        let Some(key) = key else {
            self.lock().counters.rejected_keys += 1;
            return bom_text(StatusCode::UNAUTHORIZED, "CMDERR,missing API key");
        };
        {
            let mut d = self.lock();
            let live = match d.sessions.get(&key) {
                Some(s) => self
                    .cfg
                    .session_ttl
                    .is_none_or(|ttl| s.created.elapsed() < ttl),
                None => false,
            };
            if !live {
                d.sessions.remove(&key);
                d.counters.rejected_keys += 1;
                return bom_text(
                    StatusCode::UNAUTHORIZED,
                    "CMDERR,invalid or expired API key",
                );
            }
        }
        f(self)
    }

    fn new_session(&self, d: &mut Data) -> String {
        let key: String = (0..32)
            .map(|_| char::from_digit(d.rng.random_range(0..16), 16).unwrap_or('0'))
            .collect();
        d.sessions.insert(
            key.clone(),
            Session {
                created: Instant::now(),
            },
        );
        d.counters.logins += 1;
        key
    }

    fn credentials_ok(&self, acc: &str, usrid: &str, pass: &str) -> bool {
        acc == self.cfg.acc && usrid.eq_ignore_ascii_case(&self.cfg.usrid) && pass == self.cfg.pass
    }

    fn json_login(&self, body: &[u8]) -> Response {
        let m = match wrapper(body) {
            Ok(m) => m,
            Err(why) => return bom_json(&login_answer("", &why, &self.cfg)),
        };
        let cmd = wrapper_str(&m, "cmdtxt");
        if !cmd.is_empty() && !cmd.eq_ignore_ascii_case("CHKUSR") {
            return bom_json(&login_answer("", "CMDTXT must be CHKUSR", &self.cfg));
        }
        let mut d = self.lock();
        if self.credentials_ok(
            &wrapper_str(&m, "acc"),
            &wrapper_str(&m, "usrid"),
            &wrapper_str(&m, "pass"),
        ) {
            let key = self.new_session(&mut d);
            bom_json(&login_answer(&key, "", &self.cfg))
        } else {
            d.counters.login_failures += 1;
            bom_json(&login_answer(
                "",
                "Invalid account, user or password",
                &self.cfg,
            ))
        }
    }

    fn legacy(self: &Arc<Self>, query: &str, headers: &HeaderMap, body: &Bytes) -> Response {
        let op = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("OP"))
            .map(|(_, v)| v.to_ascii_uppercase());
        if op.as_deref() == Some("CHKUSR") {
            return self.legacy_login(body);
        }
        if let Some(op) = op {
            return cmderr(format_args!("unsupported OP {op}"));
        }
        // The legacy command surface: XAPIKEY header, JSON wrapper with cmdtxt/cmdpar.
        self.authed(headers, body, "xapikey", |st| st.legacy_command(body))
    }

    fn legacy_login(&self, body: &[u8]) -> Response {
        let text = String::from_utf8_lossy(strip_bom(body)).into_owned();
        let parts: Vec<&str> = text.split('\u{c}').collect();
        if parts.len() < 4 {
            return bom_text(
                StatusCode::OK,
                "LOGINLOGINERR=2;ERRMSG=body must be acc\\fusrid\\fpass\\flng\\f\\f;",
            );
        }
        let mut d = self.lock();
        if !self.credentials_ok(parts[0], parts[1], parts[2]) {
            d.counters.login_failures += 1;
            return bom_text(
                StatusCode::OK,
                "LOGINLOGINERR=1;ERRMSG=Invalid account, user or password;",
            );
        }
        let key = self.new_session(&mut d);
        let c = &self.cfg;
        // Server configuration noise a client must neither keep nor log.
        let answer = format!(
            "LOGINLOGINERR=0;APIKEY={key};USRID={};USRNA=Sync User;EMPNO=1;DCONO={};AUTH=1;\
             APPLVL=9;SRVVER=26.4.1;DBSRV=10.20.0.15;DBNAME=flow_{};DBUSR=flowapp;\
             DBPWD=not-a-real-password;SMTPPWD=also-not-real;LICKEY=SANDBOX-LIC-0000;",
            c.usrid, c.cono, c.acc
        );
        bom_text(StatusCode::OK, &answer)
    }
}

fn login_answer(key: &str, err: &str, cfg: &FlowConfig) -> Value {
    let ok = err.is_empty();
    json!({
        "apiKey": key,
        "errMsg": err,
        "acc": if ok { cfg.acc.as_str() } else { "" },
        "usrid": if ok { cfg.usrid.as_str() } else { "" },
        "usrna": if ok { "Sync User" } else { "" },
        "empno": if ok { 1 } else { 0 },
        "dcono": if ok { cfg.cono } else { 0 },
        "auth": if ok { 1 } else { 0 },
        "applvl": if ok { 9 } else { 0 },
        "fsysdt": "30/12/1899 00:00:00",
        "lng": "ENG",
    })
}
