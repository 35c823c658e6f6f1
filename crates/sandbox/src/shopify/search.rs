//! Shopify search syntax (`query:` arguments) and cursor paging for connections.
//!
//! Supported syntax: terms joined by whitespace or `AND` (all must match), `OR` between
//! terms (either side), `NOT term` or `-term`, `field:value`, `field:>value`, `field:>=value`,
//! `field:<value`, `field:<=value`, values quoted with `'` or `"`, a trailing `*` for a prefix
//! match, and bare words (matched against the connection's default text field). A field the
//! connection does not support is an error naming the field and the supported ones; Shopify
//! would ignore it silently, the stand-in refuses so that a client typo shows up.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Error, OutputType};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A value of a record's searchable field.
#[derive(Debug, Clone)]
pub(crate) enum FieldVal {
    Str(String),
    Time(DateTime<Utc>),
    Int(i64),
    /// Any element may match (tags).
    List(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone)]
struct Term {
    negate: bool,
    field: Option<String>,
    op: Op,
    value: String,
}

/// A parsed `query:` argument: OR of AND-groups.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    groups: Vec<Vec<Term>>,
}

fn tokens(q: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in q.chars() {
        match quote {
            Some(qc) if c == qc => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err(format!("query `{q}`: unterminated quote"));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

impl Filter {
    /// Parses `q`, allowing only the `allowed` field names.
    pub(crate) fn parse(q: Option<&str>, allowed: &[&str]) -> Result<Filter, Error> {
        let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(Filter::default());
        };
        let toks = tokens(q).map_err(Error::new)?;
        let mut groups = vec![Vec::new()];
        let mut negate_next = false;
        for tok in toks {
            match tok.as_str() {
                "AND" => continue,
                "OR" => {
                    groups.push(Vec::new());
                    continue;
                }
                "NOT" => {
                    negate_next = true;
                    continue;
                }
                _ => {}
            }
            let (neg, body) = match tok.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest.to_string()),
                _ => (false, tok.clone()),
            };
            let negate = neg || std::mem::take(&mut negate_next);
            let term = match body.split_once(':') {
                Some((field, rest)) => {
                    let field = field.to_ascii_lowercase();
                    if !allowed.contains(&field.as_str()) {
                        return Err(Error::new(format!(
                            "query `{q}`: unsupported search field `{field}` (supported: {})",
                            allowed.join(", ")
                        )));
                    }
                    let (op, value) = if let Some(v) = rest.strip_prefix(">=") {
                        (Op::Ge, v)
                    } else if let Some(v) = rest.strip_prefix("<=") {
                        (Op::Le, v)
                    } else if let Some(v) = rest.strip_prefix('>') {
                        (Op::Gt, v)
                    } else if let Some(v) = rest.strip_prefix('<') {
                        (Op::Lt, v)
                    } else {
                        (Op::Eq, rest)
                    };
                    let value = value.trim_matches(|c| c == '\'' || c == '"').to_string();
                    if value.is_empty() {
                        return Err(Error::new(format!(
                            "query `{q}`: field `{field}` has an empty value"
                        )));
                    }
                    Term {
                        negate,
                        field: Some(field),
                        op,
                        value,
                    }
                }
                None => Term {
                    negate,
                    field: None,
                    op: Op::Eq,
                    value: body,
                },
            };
            if let Some(group) = groups.last_mut() {
                group.push(term);
            }
        }
        groups.retain(|g| !g.is_empty());
        // Validate the date and number values now, so a bad one is an error, not a non-match.
        Ok(Filter { groups })
    }

    /// Whether a record matches; `get` returns the record's value of a field (`None` for a
    /// bare word gives the default text field under the name `""`).
    pub(crate) fn matches(&self, get: impl Fn(&str) -> Option<FieldVal>) -> Result<bool, Error> {
        if self.groups.is_empty() {
            return Ok(true);
        }
        for group in &self.groups {
            let mut all = true;
            for term in group {
                let name = term.field.as_deref().unwrap_or("");
                let hit = match get(name) {
                    Some(v) => term_matches(term, &v)?,
                    None => false,
                };
                if hit == term.negate {
                    all = false;
                    break;
                }
            }
            if all {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, Error> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(Error::new(format!(
        "search field `{field}`: `{text}` is not an ISO 8601 date or timestamp"
    )))
}

fn cmp_ok<T: PartialOrd>(op: Op, a: &T, b: &T) -> bool {
    match op {
        Op::Eq => a == b,
        Op::Gt => a > b,
        Op::Ge => a >= b,
        Op::Lt => a < b,
        Op::Le => a <= b,
    }
}

fn str_matches(op: Op, have: &str, want: &str) -> bool {
    let have_l = have.to_lowercase();
    let want_l = want.to_lowercase();
    if op == Op::Eq {
        if let Some(prefix) = want_l.strip_suffix('*') {
            return have_l.starts_with(prefix);
        }
        return have_l == want_l;
    }
    cmp_ok(op, &have_l, &want_l)
}

fn term_matches(term: &Term, val: &FieldVal) -> Result<bool, Error> {
    let field = term.field.as_deref().unwrap_or("default");
    Ok(match val {
        FieldVal::Str(s) => {
            if term.field.is_none() {
                s.to_lowercase().contains(&term.value.to_lowercase())
            } else {
                str_matches(term.op, s, &term.value)
            }
        }
        FieldVal::List(items) => items.iter().any(|s| str_matches(term.op, s, &term.value)),
        FieldVal::Time(t) => cmp_ok(term.op, t, &parse_time(field, &term.value)?),
        FieldVal::Int(n) => {
            let text = term.value.rsplit('/').next().unwrap_or(&term.value);
            let want: i64 = text.parse().map_err(|_| {
                Error::new(format!(
                    "search field `{field}`: `{}` is not a number or GID",
                    term.value
                ))
            })?;
            cmp_ok(term.op, n, &want)
        }
    })
}

/// The sort value of a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum SortVal {
    Int(i64),
    Str(String),
}

/// Paging arguments of a connection field.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageArgs {
    pub(crate) first: Option<i32>,
    pub(crate) after: Option<String>,
    pub(crate) last: Option<i32>,
    pub(crate) before: Option<String>,
    pub(crate) reverse: bool,
}

/// The most items one page may hold (Shopify's limit).
pub(crate) const MAX_PAGE: i32 = 250;

fn encode_cursor(key: &SortVal, id: u64) -> String {
    let json = serde_json::to_vec(&(key, id)).unwrap_or_default();
    STANDARD.encode(json)
}

fn decode_cursor(arg: &str, text: &str) -> Result<(SortVal, u64), Error> {
    STANDARD
        .decode(text)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| Error::new(format!("argument `{arg}`: invalid cursor `{text}`")))
}

/// One page of `items`, sorted by (key, id), with stable keyset cursors.
///
/// `unlimited` (bulk operations) lifts the requirement of `first`/`last`.
///
/// # Errors
/// Neither `first` nor `last` (unless unlimited), a value above 250 or below 0, or a cursor
/// that is not one of ours.
pub(crate) fn page<T: OutputType>(
    mut items: Vec<(SortVal, u64, T)>,
    args: &PageArgs,
    unlimited: bool,
) -> Result<Connection<String, T>, Error> {
    for (name, v) in [("first", args.first), ("last", args.last)] {
        if let Some(n) = v {
            if n < 0 {
                return Err(Error::new(format!("argument `{name}` must be at least 0")));
            }
            if n > MAX_PAGE && !unlimited {
                return Err(Error::new(format!(
                    "argument `{name}` must be at most {MAX_PAGE}"
                )));
            }
        }
    }
    if args.first.is_none() && args.last.is_none() && !unlimited {
        return Err(Error::new("you must provide one of first or last"));
    }
    items.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    if args.reverse {
        items.reverse();
    }
    let after = args
        .after
        .as_deref()
        .map(|c| decode_cursor("after", c))
        .transpose()?;
    let before = args
        .before
        .as_deref()
        .map(|c| decode_cursor("before", c))
        .transpose()?;
    // In the current order, the items after a cursor form a suffix and those before it a
    // prefix, so both bounds are counts of a leading run.
    let ordering = |k: &SortVal, id: u64, c: &(SortVal, u64)| {
        let o = (k, id).cmp(&(&c.0, c.1));
        if args.reverse { o.reverse() } else { o }
    };
    let total = items.len();
    let mut start = 0;
    let mut end = total;
    if let Some(c) = &after {
        start = items
            .iter()
            .take_while(|(k, id, _)| ordering(k, *id, c).is_le())
            .count();
    }
    if let Some(c) = &before {
        end = items
            .iter()
            .take_while(|(k, id, _)| ordering(k, *id, c).is_lt())
            .count()
            .max(start);
    }
    if let Some(n) = args.first {
        end = end.min(start + n as usize);
    }
    if let Some(n) = args.last {
        start = start.max(end.saturating_sub(n as usize));
    }
    let mut conn = Connection::new(start > 0, end < total);
    for (k, id, node) in items.drain(start..end) {
        conn.edges.push(Edge::new(encode_cursor(&k, id), node));
    }
    Ok(conn)
}

/// Like [`page`] over ids only, building the nodes of the page alone with `node` (for big
/// lists, so that only one page of records is cloned).
///
/// # Errors
/// As [`page`].
pub(crate) fn page_by_id<T: OutputType>(
    keys: Vec<(SortVal, u64)>,
    args: &PageArgs,
    unlimited: bool,
    mut node: impl FnMut(u64) -> Option<T>,
) -> Result<Connection<String, T>, Error> {
    let ids = page(
        keys.into_iter().map(|(k, id)| (k, id, id)).collect(),
        args,
        unlimited,
    )?;
    let mut conn = Connection::new(ids.has_previous_page, ids.has_next_page);
    for e in ids.edges {
        if let Some(n) = node(e.node) {
            conn.edges.push(Edge::new(e.cursor, n));
        }
    }
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(c: &Connection<String, u64>) -> Vec<u64> {
        c.edges.iter().map(|e| e.node).collect()
    }

    #[test]
    fn filters_by_field_comparison_and_or() {
        let f = Filter::parse(Some("sku:ABC-1 OR sku:'XYZ*'"), &["sku"]).unwrap();
        let get = |s: &'static str| move |_: &str| Some(FieldVal::Str(s.to_string()));
        assert!(f.matches(get("ABC-1")).unwrap());
        assert!(f.matches(get("xyz-9")).unwrap());
        assert!(!f.matches(get("ABC-2")).unwrap());
        let t = Filter::parse(Some("updated_at:>'2026-01-01T00:00:00Z'"), &["updated_at"]).unwrap();
        let at = |s: &str| {
            let v = DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
            move |_: &str| Some(FieldVal::Time(v))
        };
        assert!(t.matches(at("2026-01-02T00:00:00Z")).unwrap());
        assert!(!t.matches(at("2026-01-01T00:00:00Z")).unwrap());
        let err = Filter::parse(Some("colour:red"), &["sku"]).unwrap_err();
        assert!(err.message.contains("colour"), "{}", err.message);
    }

    #[test]
    fn pages_forward_and_backward_with_cursors() {
        let items = || {
            (1..=5u64)
                .map(|i| (SortVal::Int(i as i64), i, i))
                .collect::<Vec<_>>()
        };
        let p1 = page(
            items(),
            &PageArgs {
                first: Some(2),
                ..Default::default()
            },
            false,
        )
        .unwrap();
        assert_eq!(ids(&p1), vec![1, 2]);
        assert!(p1.has_next_page && !p1.has_previous_page);
        let after = p1.edges.last().unwrap().cursor.clone();
        let p2 = page(
            items(),
            &PageArgs {
                first: Some(2),
                after: Some(after),
                ..Default::default()
            },
            false,
        )
        .unwrap();
        assert_eq!(ids(&p2), vec![3, 4]);
        let before = p2.edges[0].cursor.clone();
        let back = page(
            items(),
            &PageArgs {
                last: Some(5),
                before: Some(before),
                ..Default::default()
            },
            false,
        )
        .unwrap();
        assert_eq!(ids(&back), vec![1, 2]);
        let rev = page(
            items(),
            &PageArgs {
                first: Some(2),
                reverse: true,
                ..Default::default()
            },
            false,
        )
        .unwrap();
        assert_eq!(ids(&rev), vec![5, 4]);
        assert!(page(items(), &PageArgs::default(), false).is_err());
        assert!(
            page(
                items(),
                &PageArgs {
                    first: Some(251),
                    ..Default::default()
                },
                false
            )
            .is_err()
        );
    }
}
