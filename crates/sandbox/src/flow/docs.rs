//! Saving documents (`ADDPOS`), soft delete (`EXECMD DELPOS`) and source-document lookup
//! (`LDSRCHDRNO`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::catalog::{self, OpKind};
use super::{
    Data, Doc, FlowState, bom_json, bom_text, cmderr, dec_json, strip_bom, wrapper, wrapper_str,
};

fn int_field(m: &Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("{key} must be an integer")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{key} must be an integer, not {s:?}")),
        Some(_) => Err(format!("{key} must be an integer")),
    }
}

/// Largest absolute value accepted for an amount or quantity (keeps the totals far from
/// `Decimal`'s limits).
const MAX_MAGNITUDE: i64 = 1_000_000_000_000;

fn dec_field(m: &Map<String, Value>, key: &str) -> Result<Option<Decimal>, String> {
    let text = match m.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(format!("{key} must be a number")),
    };
    let value = text
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| format!("{key} must be a number, not {text:?}"))?;
    if value.abs() > Decimal::from(MAX_MAGNITUDE) {
        return Err(format!("{key} = {text} is larger than {MAX_MAGNITUDE}"));
    }
    Ok(Some(value))
}

fn str_field(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key) {
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `KEY=VALUE` pairs separated by `sep`.
fn pairs(text: &str, sep: char) -> BTreeMap<String, String> {
    text.split(sep)
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_uppercase(), v.trim().to_string()))
        .collect()
}

impl Data {
    /// Quantity per item of `src` not yet consumed by documents of `op` (excluding `skip`).
    fn remaining(&self, src: &Doc, op: &str, skip: Option<u64>) -> BTreeMap<String, Decimal> {
        let mut left: BTreeMap<String, Decimal> = BTreeMap::new();
        for l in &src.lines {
            if let (Some(itno), Ok(Some(q))) = (str_field(l, "ITNO"), dec_field(l, "QTY")) {
                *left.entry(itno).or_default() += q;
            }
        }
        for doc in self.docs_from(src.docno).iter().map(|i| &self.docs[*i]) {
            if doc.op == op
                && doc.srcdocno == src.docno
                && doc.sts != "D"
                && Some(doc.docno) != skip
                && doc.strno == src.strno
            {
                for l in &doc.lines {
                    if let (Some(itno), Ok(Some(q))) = (str_field(l, "ITNO"), dec_field(l, "QTY")) {
                        *left.entry(itno).or_default() -= q;
                    }
                }
            }
        }
        left
    }
}

impl FlowState {
    pub(super) fn addpos(self: &Arc<Self>, body: &[u8]) -> Response {
        let mut d = self.lock();
        match self.save_document(&mut d, body) {
            Ok((n, updated)) => {
                if updated {
                    d.counters.documents_updated += 1;
                } else {
                    d.counters.documents_saved += 1;
                }
                bom_text(StatusCode::OK, &format!("CMDDNE,{n}"))
            }
            Err(why) => {
                d.counters.documents_refused += 1;
                cmderr(why)
            }
        }
    }

    fn save_document(&self, d: &mut Data, body: &[u8]) -> Result<(u64, bool), String> {
        let value: Value = serde_json::from_slice(strip_bom(body))
            .map_err(|e| format!("the body is not JSON: {e}"))?;
        let Value::Object(mut header) = value else {
            return Err("the body must be one JSON document object".into());
        };
        if header
            .keys()
            .any(|k| k.eq_ignore_ascii_case("cmdtxt") || k.eq_ignore_ascii_case("cmdpar"))
        {
            return Err(
                "ADDPOS takes the document itself as the body, not a command wrapper".into(),
            );
        }
        let op_name = str_field(&header, "OP").ok_or("OP is required")?;
        let op = d
            .ops
            .iter()
            .find(|o| o.op == op_name)
            .cloned()
            .ok_or_else(|| format!("unknown operation {op_name}"))?;
        let docno =
            int_field(&header, "DOCNO")?.ok_or("DOCNO is required (0 for a new document)")?;
        if docno < 0 {
            return Err("DOCNO must be 0 (new) or an existing document number".into());
        }
        let docno = docno as u64;
        let cono = int_field(&header, "CONO")?.ok_or("CONO is required")?;
        if cono != self.cfg.cono {
            return Err(format!("unknown company {cono}"));
        }
        let strno = int_field(&header, "STRNO")?.ok_or("STRNO is required")?;
        if !catalog::stores().iter().any(|s| s.strno == strno) {
            return Err(format!("unknown store {strno}"));
        }
        let distno = int_field(&header, "DISTNO")?;
        let distno = match (op.kind, distno) {
            (OpKind::Sales | OpKind::Return, None) => {
                return Err(format!(
                    "DISTNO (customer number) is required for {}",
                    op.op
                ));
            }
            (_, None) => 0,
            (kind, Some(n)) => {
                let want = if kind == OpKind::Store {
                    None
                } else {
                    Some("C")
                };
                let found = d
                    .contacts
                    .iter()
                    .any(|c| c.cno as i64 == n && want.is_none_or(|t| c.contyp == t));
                if !found {
                    return Err(format!("unknown customer DISTNO {n}"));
                }
                n
            }
        };
        let empno = int_field(&header, "EMPNO")?.unwrap_or(0);
        if empno != 0 && !catalog::employees().iter().any(|e| e.empno == empno) {
            return Err(format!("unknown employee EMPNO {empno}"));
        }
        for key in ["TOTDISC", "TOTSHPVAL"] {
            if dec_field(&header, key)?.is_some_and(|v| v < Decimal::ZERO) {
                return Err(format!("{key} must not be negative"));
            }
        }
        let totdisc = dec_field(&header, "TOTDISC")?.unwrap_or_default();
        let shipping = dec_field(&header, "TOTSHPVAL")?.unwrap_or_default();
        let docdt = match str_field(&header, "DOCDT") {
            None => chrono::Utc::now().format("%Y-%m-%d").to_string(),
            Some(s) => {
                let day = s.get(..10).unwrap_or("");
                if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() {
                    return Err(format!(
                        "DOCDT must start with a YYYY-MM-DD date, not {s:?}"
                    ));
                }
                day.to_string()
            }
        };

        let Some(Value::Array(raw_lines)) = header.remove("DTL") else {
            return Err("DTL (the document lines) must be an array".into());
        };
        if raw_lines.is_empty() {
            return Err("DTL must have at least one line".into());
        }
        let mut lines = Vec::with_capacity(raw_lines.len());
        let (mut doctot, mut totsaltax) = (Decimal::ZERO, Decimal::ZERO);
        let mut per_item: BTreeMap<String, Decimal> = BTreeMap::new();
        for (n, raw) in raw_lines.into_iter().enumerate() {
            let n = n + 1;
            let Value::Object(mut line) = raw else {
                return Err(format!("DTL line {n} must be an object"));
            };
            let at = |e: String| format!("DTL line {n}: {e}");
            let itno = str_field(&line, "ITNO").ok_or_else(|| at("ITNO is required".into()))?;
            let item = d
                .item_index
                .get(&itno)
                .map(|i| &d.items[*i])
                .ok_or_else(|| at(format!("unknown item {itno}")))?;
            let qty = dec_field(&line, "QTY")
                .map_err(at)?
                .ok_or_else(|| at("QTY is required".into()))?;
            if qty <= Decimal::ZERO {
                return Err(at("QTY must be greater than 0".into()));
            }
            let price = dec_field(&line, "ITPRICE")
                .map_err(at)?
                .unwrap_or(item.price);
            if price < Decimal::ZERO {
                return Err(at("ITPRICE must not be negative".into()));
            }
            let disc = dec_field(&line, "DISC1").map_err(at)?.unwrap_or_default();
            let tax = dec_field(&line, "SALTAX")
                .map_err(at)?
                .unwrap_or(Decimal::from(14));
            let hundred = Decimal::from(100);
            if disc < Decimal::ZERO || disc > hundred {
                return Err(at("DISC1 must be a percentage between 0 and 100".into()));
            }
            if tax < Decimal::ZERO || tax > hundred {
                return Err(at("SALTAX must be a percentage between 0 and 100".into()));
            }
            let itmtot = (qty * price * (hundred - disc) / hundred).round_dp(2);
            doctot += itmtot;
            totsaltax += (itmtot * tax / hundred).round_dp(2);
            *per_item.entry(itno.clone()).or_default() += qty;
            line.insert("ITNO".into(), itno.into());
            line.insert("ITMTOT".into(), dec_json(itmtot));
            lines.push(line);
        }

        let srcdocno = int_field(&header, "SRCDOCNO")?.unwrap_or(0);
        let srcdocno = if op.srcdoc == "-1" {
            if srcdocno != 0 {
                return Err(format!(
                    "operation {} takes no source document (SRCDOCNO must be 0)",
                    op.op
                ));
            }
            0
        } else {
            if srcdocno <= 0 {
                return Err(format!(
                    "source document required: {} needs SRCDOCNO of a {} document",
                    op.op, op.srcdoc
                ));
            }
            let src = d
                .doc_at(op.srcdoc, cono, strno, srcdocno as u64)
                .map(|i| &d.docs[i])
                .filter(|s| s.op == op.srcdoc)
                .ok_or_else(|| {
                    format!(
                        "source document {} {srcdocno} not found in store {strno}",
                        op.srcdoc
                    )
                })?;
            if src.sts == "D" {
                return Err(format!(
                    "source document {} {srcdocno} is deleted",
                    op.srcdoc
                ));
            }
            if src.distno != distno {
                return Err(format!(
                    "DISTNO {distno} differs from the source document's customer {}",
                    src.distno
                ));
            }
            let left = d.remaining(src, op.op, (docno != 0).then_some(docno));
            for (itno, qty) in &per_item {
                let avail = left.get(itno).copied().unwrap_or_default();
                if *qty > avail {
                    return Err(format!(
                        "quantity {qty} of item {itno} exceeds the {avail} left on source document {srcdocno}"
                    ));
                }
            }
            srcdocno as u64
        };

        let existing = if docno == 0 {
            None
        } else {
            let i = d
                .doc_index
                .by_number
                .get(&(op.op, docno))
                .copied()
                .ok_or_else(|| format!("no document {} {docno} to update", op.op))?;
            if d.docs[i].sts == "D" {
                return Err(format!("document {} {docno} is deleted", op.op));
            }
            Some(i)
        };

        // Stock: undo the old effect (update), apply the new one, refuse a negative balance
        // where the operation does not allow it.
        let mut balances: BTreeMap<(String, i64), Decimal> = BTreeMap::new();
        if let Some(i) = existing {
            for (itno, s, delta) in &d.docs[i].effect {
                let b = balances.entry((itno.clone(), *s)).or_insert_with(|| {
                    d.stock
                        .get(&(itno.clone(), *s))
                        .copied()
                        .unwrap_or_default()
                });
                *b -= *delta;
            }
        }
        let mut effect = Vec::new();
        if op.effectitbal == 1 && op.stock_sign != 0 {
            for (itno, qty) in &per_item {
                let delta = *qty * Decimal::from(op.stock_sign);
                let b = balances.entry((itno.clone(), strno)).or_insert_with(|| {
                    d.stock
                        .get(&(itno.clone(), strno))
                        .copied()
                        .unwrap_or_default()
                });
                *b += delta;
                if op.ngbal == 0 && *b < Decimal::ZERO {
                    return Err(format!(
                        "insufficient balance of item {itno} in store {strno}"
                    ));
                }
                effect.push((itno.clone(), strno, delta));
            }
        }
        for (key, b) in balances {
            d.stock.insert(key, b);
        }

        let docno = match existing {
            Some(_) => docno,
            None => {
                let next = d.next_docno.entry(op.op).or_insert(0);
                *next += 1;
                *next
            }
        };
        header.insert("DOCNO".into(), docno.into());
        let docnet = doctot + totsaltax - totdisc + shipping;
        let doc = Doc {
            op: op.op,
            kind: op.kind,
            docno,
            cono,
            strno,
            distno,
            empno,
            docdt,
            srcdocno,
            sts: "A".into(),
            header,
            lines,
            doctot,
            totsaltax,
            docnet,
            effect,
        };
        match existing {
            Some(i) => {
                d.replace_doc(i, doc);
                Ok((docno, true))
            }
            None => {
                d.push_doc(doc);
                Ok((docno, false))
            }
        }
    }

    pub(super) fn legacy_command(self: &Arc<Self>, body: &[u8]) -> Response {
        let m = match wrapper(body) {
            Ok(m) => m,
            Err(why) => return cmderr(why),
        };
        let cmd = wrapper_str(&m, "cmdtxt").to_ascii_uppercase();
        let par = wrapper_str(&m, "cmdpar");
        match cmd.as_str() {
            "EXECMD" => {
                let par = par.trim_end_matches('\u{b}');
                let (name, rest) = par.split_once(',').unwrap_or((par, ""));
                match name.trim().to_ascii_uppercase().as_str() {
                    "DELPOS" => self.delpos(&pairs(rest, '\u{c}')),
                    other => cmderr(format_args!("unsupported EXECMD command {other}")),
                }
            }
            "LDSRCHDRNO" => self.ldsrchdrno(&pairs(&par, '\u{b}')),
            "" => cmderr("cmdtxt is required"),
            other => cmderr(format_args!("unsupported command {other}")),
        }
    }

    fn delpos(self: &Arc<Self>, p: &BTreeMap<String, String>) -> Response {
        let need = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
        let (Some(op), Some(cono), Some(strno), Some(docno)) =
            (need("OPCODE"), need("CONO"), need("STRNO"), need("DOCNO"))
        else {
            return cmderr("DELPOS needs OPCODE, CONO, STRNO and DOCNO");
        };
        let (Ok(cono), Ok(strno), Ok(docno)) = (
            cono.parse::<i64>(),
            strno.parse::<i64>(),
            docno.parse::<u64>(),
        ) else {
            return cmderr("CONO, STRNO and DOCNO must be numbers");
        };
        let mut d = self.lock();
        let Some(i) = d.doc_at(&op, cono, strno, docno) else {
            return cmderr(format_args!("no document {op} {docno} in store {strno}"));
        };
        if d.docs[i].sts == "D" {
            return cmderr(format_args!("document {op} {docno} is already deleted"));
        }
        let src_op = d.docs[i].op;
        let fed = d.docs_from(docno).iter().map(|j| &d.docs[*j]).any(|doc| {
            doc.sts != "D"
                && doc.srcdocno == docno
                && d.ops.iter().any(|o| o.op == doc.op && o.srcdoc == src_op)
        });
        if fed {
            return cmderr(format_args!(
                "document {op} {docno} is the source of other documents; delete those first"
            ));
        }
        let effect = std::mem::take(&mut d.docs[i].effect);
        for (itno, s, delta) in effect {
            *d.stock.entry((itno, s)).or_default() -= delta;
        }
        d.docs[i].sts = "D".into();
        d.docs[i].header.insert("STS".into(), "D".into());
        d.counters.documents_deleted += 1;
        bom_text(StatusCode::OK, &format!("CMDDNE,{docno}"))
    }

    fn ldsrchdrno(self: &Arc<Self>, p: &BTreeMap<String, String>) -> Response {
        let need = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
        let (Some(op), Some(cono), Some(strno), Some(distno)) =
            (need("OPCODE"), need("CONO"), need("STRNO"), need("DISTNO"))
        else {
            return cmderr("LDSRCHDRNO needs OPCODE, CONO, STRNO and DISTNO");
        };
        let (Ok(cono), Ok(strno), Ok(distno)) = (
            cono.parse::<i64>(),
            strno.parse::<i64>(),
            distno.parse::<i64>(),
        ) else {
            return cmderr("CONO, STRNO and DISTNO must be numbers");
        };
        let d = self.lock();
        let Some(cfg) = d.ops.iter().find(|o| o.op.eq_ignore_ascii_case(&op)) else {
            return cmderr(format_args!("unknown operation {op}"));
        };
        if cfg.srcdoc == "-1" {
            return cmderr(format_args!("operation {} has no source document", cfg.op));
        }
        let rows: Vec<Value> = d
            .docs
            .iter()
            .filter(|s| {
                s.op == cfg.srcdoc
                    && s.cono == cono
                    && s.strno == strno
                    && s.distno == distno
                    && s.sts != "D"
            })
            .filter(|s| d.remaining(s, cfg.op, None).values().any(|q| *q > Decimal::ZERO))
            .map(|s| {
                json!({
                    "DOCNO": format!("SRCDOCNO={}\u{b}SRCOP={}\u{b}DOCDT={}\u{b}", s.docno, s.op, s.docdt),
                    "DOCDT": s.docdt,
                    "DISTNO": s.distno,
                    "DOCNET": dec_json(s.docnet),
                    "REFDOCNO": s.header.get("REFDOCNO").cloned().unwrap_or(Value::Null),
                })
            })
            .collect();
        bom_json(&Value::Array(rows))
    }
}
