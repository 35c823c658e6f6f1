//! The Flow stand-in's REST reads and `GETREC`.

use std::sync::Arc;

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::catalog;
use super::sql::{self, SqlVal, Table};
use super::{FlowState, bom_json, cmderr, dec_json, wrapper, wrapper_str};

impl FlowState {
    pub(super) fn getopc(self: &Arc<Self>, op: &str) -> Response {
        let d = self.lock();
        match d.ops.iter().find(|o| o.op.eq_ignore_ascii_case(op)) {
            Some(o) => bom_json(&json!({
                "OP": o.op,
                "OPNA": o.name,
                "SRCDOC": o.srcdoc,
                "SALTAX": o.saltax,
                "TRDTAX": 0,
                "CASH": o.cash,
                "CREDIT": o.credit,
                "EXPDT": 0,
                "EXPDAY": 0,
                "EFFECTITBAL": o.effectitbal,
                "NGBAL": o.ngbal,
                "ADDBIN": 0,
            })),
            None => cmderr(format_args!("unknown operation {op}")),
        }
    }

    pub(super) fn getcom(self: &Arc<Self>, cono: &str) -> Response {
        if cono.trim().parse::<i64>().ok() != Some(self.cfg.cono) {
            return cmderr(format_args!("unknown company {cono}"));
        }
        bom_json(&json!({
            "CONO": self.cfg.cono,
            "CONA": "شركة ساندبوكس للتجارة",
            "FORDES": "Sandbox Trading Co.",
        }))
    }

    pub(super) fn getcon(self: &Arc<Self>, typ: &str, query: Option<&str>) -> Response {
        let typ = typ.to_ascii_uppercase();
        if typ != "C" && typ != "S" {
            return cmderr(format_args!("contact type must be C or S, not {typ}"));
        }
        let d = self.lock();
        let rows: Vec<Value> = d
            .contacts
            .iter()
            .filter(|c| c.contyp == typ)
            .filter(|c| match query {
                None => true,
                Some(q) => {
                    let q = q.trim();
                    let field = |k: &str| c.fields.get(k).and_then(Value::as_str).unwrap_or("");
                    c.cno.to_string() == q
                        || (!q.is_empty() && field("TEL1") == q)
                        || (!q.is_empty() && field("EMAIL").eq_ignore_ascii_case(q))
                }
            })
            .map(|c| Value::Object(c.fields.clone()))
            .collect();
        bom_json(&Value::Array(rows))
    }

    pub(super) fn getitm(self: &Arc<Self>, which: &str) -> Response {
        let d = self.lock();
        let rows: Vec<Value> = d
            .items
            .iter()
            .filter(|i| which == "-1" || i.itno == which)
            .map(|i| {
                json!({
                    "ITNO": i.itno,
                    "ITCODE": i.itno,
                    "ITNA": i.name_ar,
                    "ITDES": i.name_en,
                    "GRPNO": i.grpno,
                    "CATNO": i.catno,
                    "CLRNO": i.colour.0,
                    "CLRNA": i.colour.2,
                    "CLRDES": i.colour.1,
                    "SIZNO": i.size,
                    "SIZNA": i.size,
                    "BARCODE": i.barcode,
                    "STS": i.sts,
                    "SALTAX": 14,
                    "TRDTAX": 0,
                    "TBLTAXRTO": 0,
                    "ITPRICE": dec_json(i.price),
                    "UNITPRC": dec_json(i.price),
                    "HASCLR": u8::from(!i.service),
                    "HASSIZ": u8::from(!i.service),
                    "HASPCK": 0,
                    "USEUNT": 0,
                    "USESN": 0,
                    "USEWEG": 0,
                    "USECZ": 1,
                    "UNIT": "PCS",
                    "OPNITM": 0,
                })
            })
            .collect();
        if which != "-1" && rows.is_empty() {
            return cmderr(format_args!("unknown item {which}"));
        }
        bom_json(&Value::Array(rows))
    }

    pub(super) fn getbal(self: &Arc<Self>, cono: &str, strno: &str) -> Response {
        if cono.trim().parse::<i64>().ok() != Some(self.cfg.cono) {
            return cmderr(format_args!("unknown company {cono}"));
        }
        let Some(strno) = strno
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|s| catalog::stores().iter().any(|st| st.strno == *s))
        else {
            return cmderr(format_args!("unknown store {strno}"));
        };
        let d = self.lock();
        let rows: Vec<Value> = d
            .stock
            .iter()
            .filter(|((_, s), _)| *s == strno)
            .map(|((itno, s), qty)| {
                json!({"ITNO": itno, "CONO": self.cfg.cono, "STRNO": s, "QTY": dec_json(*qty)})
            })
            .collect();
        bom_json(&Value::Array(rows))
    }

    pub(super) fn getprclst(self: &Arc<Self>) -> Response {
        let d = self.lock();
        let mut rows = Vec::new();
        for (code, name, ar, pct) in [
            (1, "Retail", "قطاعي", 100u32),
            (2, "Wholesale", "جملة", 85u32),
        ] {
            for i in &d.items {
                let price = (i.price * rust_decimal::Decimal::from(pct)
                    / rust_decimal::Decimal::from(100))
                .round_dp(2);
                rows.push(json!({
                    "PRICECODE": code, "PRCNA": ar, "PRCDES": name,
                    "ITNO": i.itno, "ITPRICE": dec_json(price),
                }));
            }
        }
        bom_json(&Value::Array(rows))
    }

    pub(super) fn getgroup(self: &Arc<Self>, which: &str) -> Response {
        let d = self.lock();
        match which.to_ascii_uppercase().as_str() {
            "ITM" => bom_json(&Value::Array(
                d.groups
                    .iter()
                    .map(|g| json!({"GRPNO": g.grpno, "GRPNA": g.name_ar, "GRPDES": g.name_en}))
                    .collect(),
            )),
            "ITC" => bom_json(&Value::Array(
                catalog::categories()
                    .into_iter()
                    .map(|(no, ar, en)| json!({"CATNO": no, "CATNA": ar, "CATDES": en}))
                    .collect(),
            )),
            other => cmderr(format_args!("unknown group kind {other} (ITM or ITC)")),
        }
    }

    pub(super) fn getdoc(self: &Arc<Self>, parts: &[String]) -> Response {
        let (op, cono, strno, docno) = (&parts[0], &parts[1], &parts[2], &parts[3]);
        let (Ok(cono), Ok(strno), Ok(docno)) = (
            cono.trim().parse::<i64>(),
            strno.trim().parse::<i64>(),
            docno.trim().parse::<u64>(),
        ) else {
            return cmderr("CONO, STRNO and DOCNO must be numbers");
        };
        let d = self.lock();
        let Some(doc) = d.doc_at(op, cono, strno, docno).map(|i| &d.docs[i]) else {
            return cmderr(format_args!("no document {op} {docno} in store {strno}"));
        };
        let mut h = doc.header.clone();
        for (k, v) in [
            ("OP", Value::from(doc.op)),
            ("DOCNO", doc.docno.into()),
            ("CONO", doc.cono.into()),
            ("STRNO", doc.strno.into()),
            ("DISTNO", doc.distno.into()),
            ("EMPNO", doc.empno.into()),
            ("DOCDT", doc.docdt.clone().into()),
            ("SRCDOCNO", doc.srcdocno.into()),
            ("DOCTOT", dec_json(doc.doctot)),
            ("TOTSALTAX", dec_json(doc.totsaltax)),
            ("DOCNET", dec_json(doc.docnet)),
            ("STS", doc.sts.clone().into()),
            ("POST", 0.into()),
        ] {
            h.insert(k.to_string(), v);
        }
        h.insert(
            "DTL".into(),
            Value::Array(doc.lines.iter().cloned().map(Value::Object).collect()),
        );
        bom_json(&Value::Object(h))
    }

    pub(super) fn getrec(self: &Arc<Self>, body: &[u8]) -> Response {
        let refuse = |st: &Self, why: String| {
            st.lock().counters.queries_refused += 1;
            cmderr(why)
        };
        let m = match wrapper(body) {
            Ok(m) => m,
            Err(why) => return refuse(self, why),
        };
        if !wrapper_str(&m, "cmdtxt").eq_ignore_ascii_case("GETREC") {
            return refuse(self, "cmdtxt must be GETREC".into());
        }
        let query = match sql::parse(&wrapper_str(&m, "cmdpar")) {
            Ok(q) => q,
            Err(why) => return refuse(self, why),
        };
        let table = match self.table(&query) {
            Some(t) => t,
            None => return refuse(self, format!("unknown table {}", query.table)),
        };
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        match sql::execute(&query, &table, &today) {
            Ok(rows) => {
                self.lock().counters.queries += 1;
                bom_json(&Value::Array(rows.into_iter().map(Value::Object).collect()))
            }
            Err(why) => refuse(self, why),
        }
    }

    /// The rows of the table `query` reads. Of `trnhdr`, only the documents a condition on
    /// `refdocno` or `rmk` names, when the query has one (the rows are filtered again by
    /// every condition): as an ERP's index on its reference columns would.
    fn table(&self, query: &sql::Query) -> Option<Table> {
        let d = self.lock();
        let s = |v: &str| SqlVal::Str(v.to_string());
        let i = SqlVal::Int;
        match query.table.as_str() {
            "trnhdr" => Some(Table {
                columns: &[
                    "opcode", "docno", "cono", "strno", "distno", "empno", "sts", "post", "docdt",
                    "srcdocno", "refdocno", "rmk", "docnet",
                ],
                rows: {
                    let named = [("refdocno", "REFDOCNO"), ("rmk", "RMK")]
                        .into_iter()
                        .find_map(|(column, field)| Some((field, query.equal_texts(column)?)));
                    let positions: Vec<usize> = match named {
                        Some((field, values)) => d.docs_with_text(field, &values),
                        None => (0..d.docs.len()).collect(),
                    };
                    positions
                        .into_iter()
                        .map(|at| &d.docs[at])
                        .map(|doc| {
                            vec![
                                s(doc.op),
                                i(doc.docno as i64),
                                i(doc.cono),
                                i(doc.strno),
                                i(doc.distno),
                                i(doc.empno),
                                s(&doc.sts),
                                i(0),
                                s(&doc.docdt),
                                i(doc.srcdocno as i64),
                                SqlVal::Str(doc.header_text("REFDOCNO")),
                                SqlVal::Str(doc.header_text("RMK")),
                                s(&doc.docnet.to_string()),
                            ]
                        })
                        .collect()
                },
            }),
            "opdes" => Some(Table {
                columns: &["opcode", "opna", "srcdoc", "mnu"],
                rows: d
                    .ops
                    .iter()
                    .map(|o| vec![s(o.op), s(o.name), s(o.srcdoc), s(o.mnu)])
                    .collect(),
            }),
            "empmas" => Some(Table {
                columns: &["empno", "empna", "jobid", "sts"],
                rows: catalog::employees()
                    .into_iter()
                    .map(|e| vec![i(e.empno), s(e.empna), i(e.jobid), s(e.sts)])
                    .collect(),
            }),
            "stores" => Some(Table {
                columns: &["cono", "strno", "strna", "fordes"],
                rows: catalog::stores()
                    .into_iter()
                    .map(|st| vec![i(self.cfg.cono), i(st.strno), s(st.name_en), s(st.fordes)])
                    .collect(),
            }),
            _ => None,
        }
    }

    pub(super) fn addcon(self: &Arc<Self>, body: &[u8]) -> Response {
        let value: Value = match serde_json::from_slice(super::strip_bom(body)) {
            Ok(v) => v,
            Err(e) => return cmderr(format_args!("the body is not JSON: {e}")),
        };
        let Value::Object(fields) = value else {
            return cmderr("the body must be one JSON contact object");
        };
        let name = fields
            .get("CNAME")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        if name.is_empty() {
            return cmderr("CNAME is required");
        }
        let contyp = match fields.get("CONTYP") {
            None => "C".to_string(),
            Some(Value::String(t)) if t == "C" || t == "S" => t.clone(),
            Some(_) => return cmderr("CONTYP must be C or S"),
        };
        // `CNO` 0 or absent adds a contact; a non-zero `CNO` replaces that contact, keeping
        // its number (as `ADDPOS` does with `DOCNO`); an unknown one is refused.
        let given = match fields.get("CNO") {
            None | Some(Value::Null) => Some(0),
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(t)) => t.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        let Some(given) = given else {
            return cmderr("CNO must be a whole number (0 to add a contact)");
        };
        let mut d = self.lock();
        let cno = if given == 0 {
            d.contacts.iter().map(|c| c.cno).max().unwrap_or(0).max(99) + 1
        } else {
            given
        };
        let mut stored: Map<String, Value> = fields;
        stored.insert("CNO".into(), cno.into());
        stored.insert("CONTYP".into(), contyp.clone().into());
        stored.insert("CONO".into(), self.cfg.cono.into());
        if given == 0 {
            d.contacts.push(catalog::Contact {
                cno,
                contyp,
                fields: stored,
            });
            d.counters.contacts_added += 1;
        } else {
            let Some(contact) = d
                .contacts
                .iter_mut()
                .find(|c| c.cno == cno && c.contyp == contyp)
            else {
                return cmderr(format_args!(
                    "CNO {cno} is not a known {} contact (0 adds one)",
                    if contyp == "S" {
                        "supplier"
                    } else {
                        "customer"
                    }
                ));
            };
            contact.fields = stored;
            d.counters.contacts_updated += 1;
        }
        super::bom_text(axum::http::StatusCode::OK, &format!("CMDDNE,{cno}"))
    }
}
