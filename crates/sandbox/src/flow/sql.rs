//! The restricted SQL accepted by the stand-in's `GETREC`.
//!
//! Grammar (keywords case-insensitive):
//!
//! ```text
//! query   := SELECT columns FROM table [WHERE cond (AND cond)*]
//!            [ORDER BY column [ASC|DESC] (, column [ASC|DESC])*] [LIMIT n] [;]
//! columns := * | COUNT(*) | column (, column)*
//! cond    := column op value | column IN ( value (, value)* )
//! op      := = | <> | != | < | <= | > | >=
//! value   := 'text' ('' inside for a quote) | number | CURRENT_DATE
//! ```
//!
//! Anything else (other statements, joins, functions, comments, backslash escapes, OR,
//! sub-queries) is refused with the reason, which the ERP answers as `CMDERR,<why>`.

use std::cmp::Ordering;

use rust_decimal::Decimal;

/// A cell value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SqlVal {
    Int(i64),
    Str(String),
}

impl SqlVal {
    fn number(&self) -> Option<Decimal> {
        match self {
            SqlVal::Int(i) => Some(Decimal::from(*i)),
            SqlVal::Str(s) => s.trim().parse().ok(),
        }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            SqlVal::Int(i) => (*i).into(),
            SqlVal::Str(s) => s.clone().into(),
        }
    }
}

/// A table of the ERP's model.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) columns: &'static [&'static str],
    pub(crate) rows: Vec<Vec<SqlVal>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Columns {
    All,
    Count,
    Named(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Lit(SqlVal),
    CurrentDate,
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    Cmp(String, Op, Value),
    In(String, Vec<Value>),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub(crate) columns: Columns,
    pub(crate) table: String,
    conds: Vec<Cond>,
    order: Vec<(String, bool)>,
    limit: Option<usize>,
}

impl Query {
    /// The texts `column` must equal for a row to match (its `=` or `IN` condition of text
    /// literals that are not numbers), when the query has such a condition: a row whose text
    /// is none of them, ignoring case, cannot match, whatever the other conditions (a number
    /// also matches other spellings of itself, so a condition on one gives `None`).
    pub(crate) fn equal_texts(&self, column: &str) -> Option<Vec<String>> {
        let text = |v: &Value| match v {
            Value::Lit(value @ SqlVal::Str(t)) if value.number().is_none() => Some(t.clone()),
            _ => None,
        };
        self.conds.iter().find_map(|c| match c {
            Cond::Cmp(col, Op::Eq, v) if col == column => Some(vec![text(v)?]),
            Cond::In(col, vals) if col == column => vals.iter().map(text).collect(),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(String),
    Str(String),
    Sym(&'static str),
}

fn tokenize(sql: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c == '\'' {
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string literal".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => return Err("backslash escapes are not accepted".into()),
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = match two.as_str() {
                "<=" => Some("<="),
                ">=" => Some(">="),
                "<>" => Some("<>"),
                "!=" => Some("!="),
                _ => None,
            };
            if let Some(sym) = sym {
                out.push(Tok::Sym(sym));
                i += 2;
                continue;
            }
            let sym = match c {
                '*' => "*",
                ',' => ",",
                '(' => "(",
                ')' => ")",
                '=' => "=",
                '<' => "<",
                '>' => ">",
                ';' => ";",
                other => return Err(format!("unexpected character '{other}'")),
            };
            out.push(Tok::Sym(sym));
            i += 1;
        }
    }
    Ok(out)
}

struct P {
    toks: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    fn kw(&mut self, kw: &str) -> Result<(), String> {
        if self.is_kw(kw) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {kw}"))
        }
    }
    fn is_sym(&self, sym: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym)
    }
    fn sym(&mut self, sym: &str) -> Result<(), String> {
        if self.is_sym(sym) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{sym}'"))
        }
    }
    fn ident(&mut self) -> Result<String, String> {
        match self.peek() {
            Some(Tok::Word(w)) if !is_reserved(w) => {
                let w = w.to_ascii_lowercase();
                self.i += 1;
                Ok(w)
            }
            _ => Err("expected a column or table name".into()),
        }
    }
    fn value(&mut self) -> Result<Value, String> {
        let v = match self.peek() {
            Some(Tok::Str(s)) => Value::Lit(SqlVal::Str(s.clone())),
            Some(Tok::Num(n)) => match n.parse::<i64>() {
                Ok(i) => Value::Lit(SqlVal::Int(i)),
                Err(_) => Value::Lit(SqlVal::Str(n.clone())),
            },
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("current_date") => Value::CurrentDate,
            _ => return Err("expected a quoted string, a number or CURRENT_DATE".into()),
        };
        self.i += 1;
        Ok(v)
    }
}

fn is_reserved(w: &str) -> bool {
    [
        "select",
        "from",
        "where",
        "and",
        "or",
        "order",
        "by",
        "limit",
        "asc",
        "desc",
        "in",
        "current_date",
        "count",
        "union",
        "join",
        "not",
    ]
    .iter()
    .any(|k| w.eq_ignore_ascii_case(k))
}

/// Parses a query.
///
/// # Errors
/// The reason the query is refused.
pub(crate) fn parse(sql: &str) -> Result<Query, String> {
    let toks = tokenize(sql)?;
    let mut p = P { toks, i: 0 };
    if !p.is_kw("select") {
        return Err("only SELECT statements are accepted".into());
    }
    p.i += 1;
    let columns = if p.is_sym("*") {
        p.i += 1;
        Columns::All
    } else if p.is_kw("count") {
        p.i += 1;
        p.sym("(")?;
        p.sym("*")?;
        p.sym(")")?;
        Columns::Count
    } else {
        let mut cols = vec![p.ident()?];
        while p.is_sym(",") {
            p.i += 1;
            cols.push(p.ident()?);
        }
        if p.is_sym("(") {
            return Err("functions are not accepted".into());
        }
        Columns::Named(cols)
    };
    p.kw("from")?;
    let table = p.ident()?;
    if p.is_sym(",") || p.is_kw("join") {
        return Err("only one table may be read".into());
    }
    let mut conds = Vec::new();
    if p.is_kw("where") {
        p.i += 1;
        loop {
            let col = p.ident()?;
            if p.is_kw("in") {
                p.i += 1;
                p.sym("(")?;
                let mut vals = vec![p.value()?];
                while p.is_sym(",") {
                    p.i += 1;
                    vals.push(p.value()?);
                }
                p.sym(")")?;
                conds.push(Cond::In(col, vals));
            } else {
                let op = match p.peek() {
                    Some(Tok::Sym("=")) => Op::Eq,
                    Some(Tok::Sym("<>" | "!=")) => Op::Ne,
                    Some(Tok::Sym("<")) => Op::Lt,
                    Some(Tok::Sym("<=")) => Op::Le,
                    Some(Tok::Sym(">")) => Op::Gt,
                    Some(Tok::Sym(">=")) => Op::Ge,
                    _ => return Err(format!("expected a comparison after {col}")),
                };
                p.i += 1;
                conds.push(Cond::Cmp(col, op, p.value()?));
            }
            if p.is_kw("and") {
                p.i += 1;
                continue;
            }
            if p.is_kw("or") {
                return Err("OR is not accepted".into());
            }
            break;
        }
    }
    let mut order = Vec::new();
    if p.is_kw("order") {
        p.i += 1;
        p.kw("by")?;
        loop {
            let col = p.ident()?;
            let mut asc = true;
            if p.is_kw("asc") {
                p.i += 1;
            } else if p.is_kw("desc") {
                p.i += 1;
                asc = false;
            }
            order.push((col, asc));
            if p.is_sym(",") {
                p.i += 1;
                continue;
            }
            break;
        }
    }
    let mut limit = None;
    if p.is_kw("limit") {
        p.i += 1;
        match p.peek() {
            Some(Tok::Num(n)) => {
                limit = Some(
                    n.parse::<usize>()
                        .map_err(|_| "LIMIT needs a non-negative integer".to_string())?,
                );
                p.i += 1;
            }
            _ => return Err("LIMIT needs a non-negative integer".into()),
        }
    }
    if p.is_sym(";") {
        p.i += 1;
    }
    if p.i != p.toks.len() {
        return Err("unexpected text after the query".into());
    }
    Ok(Query {
        columns,
        table,
        conds,
        order,
        limit,
    })
}

fn compare(a: &SqlVal, b: &SqlVal) -> Ordering {
    match (a.number(), b.number()) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => {
            let text = |v: &SqlVal| match v {
                SqlVal::Int(i) => i.to_string(),
                SqlVal::Str(s) => s.to_lowercase(),
            };
            text(a).cmp(&text(b))
        }
    }
}

/// Runs `query` over `table`; `today` is what `CURRENT_DATE` means (`YYYY-MM-DD`).
///
/// # Errors
/// An unknown column.
pub(crate) fn execute(
    query: &Query,
    table: &Table,
    today: &str,
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, String> {
    let col_index = |name: &str| {
        table
            .columns
            .iter()
            .position(|c| *c == name)
            .ok_or_else(|| format!("unknown column {name} in table {}", query.table))
    };
    let resolve = |v: &Value| match v {
        Value::Lit(l) => l.clone(),
        Value::CurrentDate => SqlVal::Str(today.to_string()),
    };
    let mut conds = Vec::new();
    for c in &query.conds {
        match c {
            Cond::Cmp(col, op, v) => conds.push((col_index(col)?, Some(*op), vec![resolve(v)])),
            Cond::In(col, vals) => {
                conds.push((col_index(col)?, None, vals.iter().map(resolve).collect()))
            }
        }
    }
    let mut order = Vec::new();
    for (col, asc) in &query.order {
        order.push((col_index(col)?, *asc));
    }
    let selected: Vec<usize> = match &query.columns {
        Columns::All | Columns::Count => (0..table.columns.len()).collect(),
        Columns::Named(cols) => cols
            .iter()
            .map(|c| col_index(c))
            .collect::<Result<_, _>>()?,
    };
    let mut rows: Vec<&Vec<SqlVal>> = table
        .rows
        .iter()
        .filter(|row| {
            conds.iter().all(|(i, op, vals)| {
                let cell = &row[*i];
                match op {
                    None => vals.iter().any(|v| compare(cell, v) == Ordering::Equal),
                    Some(op) => {
                        let ord = compare(cell, &vals[0]);
                        match op {
                            Op::Eq => ord == Ordering::Equal,
                            Op::Ne => ord != Ordering::Equal,
                            Op::Lt => ord == Ordering::Less,
                            Op::Le => ord != Ordering::Greater,
                            Op::Gt => ord == Ordering::Greater,
                            Op::Ge => ord != Ordering::Less,
                        }
                    }
                }
            })
        })
        .collect();
    if query.columns == Columns::Count {
        let mut m = serde_json::Map::new();
        m.insert("count(*)".into(), rows.len().into());
        return Ok(vec![m]);
    }
    rows.sort_by(|a, b| {
        for (i, asc) in &order {
            let o = compare(&a[*i], &b[*i]);
            if o != Ordering::Equal {
                return if *asc { o } else { o.reverse() };
            }
        }
        Ordering::Equal
    });
    let limit = query.limit.unwrap_or(usize::MAX);
    Ok(rows
        .into_iter()
        .take(limit)
        .map(|row| {
            selected
                .iter()
                .map(|i| (table.columns[*i].to_string(), row[*i].to_json()))
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            columns: &["opcode", "docno", "sts", "rmk"],
            rows: vec![
                vec![
                    SqlVal::Str("SALINV".into()),
                    SqlVal::Int(1),
                    SqlVal::Str("A".into()),
                    SqlVal::Str("o'1".into()),
                ],
                vec![
                    SqlVal::Str("SALINV".into()),
                    SqlVal::Int(2),
                    SqlVal::Str("D".into()),
                    SqlVal::Str("#2".into()),
                ],
                vec![
                    SqlVal::Str("SALRTN".into()),
                    SqlVal::Int(1),
                    SqlVal::Str("A".into()),
                    SqlVal::Str("#3".into()),
                ],
            ],
        }
    }

    fn run(sql: &str) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, String> {
        execute(&parse(sql)?, &table(), "2026-01-01")
    }

    #[test]
    fn selects_filters_orders_limits() {
        let rows = run("select docno, sts from trnhdr where opcode = 'salinv' and docno >= 1 order by docno desc limit 1;").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["docno"], 2);
        assert_eq!(rows[0].keys().collect::<Vec<_>>(), ["docno", "sts"]);
        let rows = run("SELECT * FROM trnhdr WHERE rmk = 'o''1'").unwrap();
        assert_eq!(rows.len(), 1);
        let rows = run("SELECT COUNT(*) FROM trnhdr WHERE opcode IN ('SALINV', 'X')").unwrap();
        assert_eq!(rows[0]["count(*)"], 2);
        assert_eq!(
            run("SELECT docno FROM trnhdr WHERE docno = '2'")
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn refuses_everything_else() {
        for (sql, why) in [
            ("DELETE FROM trnhdr", "only SELECT"),
            ("UPDATE trnhdr SET sts='D'", "only SELECT"),
            ("SELECT * FROM trnhdr; DROP TABLE trnhdr", "unexpected text"),
            ("SELECT * FROM trnhdr WHERE sts='A' OR 1=1", "OR is not"),
            ("SELECT * FROM trnhdr -- x", "unexpected character"),
            ("SELECT * FROM a, b", "one table"),
            ("SELECT max(docno) FROM trnhdr", "functions"),
            ("SELECT * FROM trnhdr WHERE rmk = 'a\\'", "backslash"),
            ("SELECT nope FROM trnhdr", "unknown column"),
            ("SELECT * FROM trnhdr WHERE sts = 'A", "unterminated"),
        ] {
            let err = run(sql).unwrap_err();
            assert!(err.contains(why), "{sql}: {err}");
        }
    }
}
