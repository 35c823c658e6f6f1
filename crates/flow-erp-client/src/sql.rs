//! Read-only SQL for Flow's `GETREC` command, built from typed parameters.
//!
//! `GETREC` runs a MySQL/MariaDB `SELECT` that the client sends as text. Queries are built by
//! [`Select`] (identifiers checked, values escaped as literals) or from a configured template
//! with `:name` placeholders ([`fill_template`]); every query passes [`ensure_read_only`] before
//! it is sent, which refuses anything but one `SELECT`.
//!
//! ```
//! use flow_erp_client::sql::{Cmp, Select, SqlValue};
//!
//! let sql = Select::from("trnhdr")
//!     .columns(["opcode", "docno", "sts"])
//!     .filter("opcode", Cmp::Eq, "SALINV")
//!     .filter("refdocno", Cmp::Eq, "#1001 O'Neil")
//!     .limit(5)
//!     .to_sql()
//!     .unwrap();
//! assert_eq!(
//!     sql,
//!     "SELECT opcode, docno, sts FROM trnhdr WHERE opcode = 'SALINV' AND refdocno = '#1001 O''Neil' LIMIT 5"
//! );
//! ```

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// A value in a query, rendered as a safe literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    /// A string, quoted and escaped.
    Text(String),
    /// An integer.
    Int(i64),
    /// An exact decimal.
    Decimal(Decimal),
    /// A date, as `'YYYY-MM-DD'`.
    Date(NaiveDate),
    /// The server's `current_date`.
    CurrentDate,
    /// A parenthesised list of values, for `IN :list` (never empty: the caller sends no
    /// query for no values).
    List(Vec<SqlValue>),
}

impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}
impl From<&String> for SqlValue {
    fn from(v: &String) -> Self {
        SqlValue::Text(v.clone())
    }
}
impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(v)
    }
}
impl From<u32> for SqlValue {
    fn from(v: u32) -> Self {
        SqlValue::Int(i64::from(v))
    }
}
impl From<Decimal> for SqlValue {
    fn from(v: Decimal) -> Self {
        SqlValue::Decimal(v)
    }
}
impl From<NaiveDate> for SqlValue {
    fn from(v: NaiveDate) -> Self {
        SqlValue::Date(v)
    }
}

impl SqlValue {
    /// The value as a SQL literal.
    pub fn to_literal(&self) -> String {
        match self {
            SqlValue::Text(s) => quote_text(s),
            SqlValue::Int(i) => i.to_string(),
            SqlValue::Decimal(d) => d.normalize().to_string(),
            SqlValue::Date(d) => format!("'{}'", d.format("%Y-%m-%d")),
            SqlValue::CurrentDate => "current_date".to_owned(),
            SqlValue::List(values) => format!(
                "({})",
                values
                    .iter()
                    .map(SqlValue::to_literal)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Quotes a string as a MySQL literal: `'` doubled, backslash and control characters escaped.
pub fn quote_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1A}' => out.push_str("\\Z"),
            other => out.push(other),
        }
    }
    out.push('\'');
    out
}

/// Checks a table or column name: ASCII letter or `_` first, then letters, digits, `_`;
/// at most 64 characters.
///
/// # Errors
///
/// [`Error::Invalid`] naming the identifier.
pub fn check_identifier(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || name.len() > 64 || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::invalid(
            format!("sql identifier {name:?}"),
            "must be 1-64 ASCII letters, digits or '_', not starting with a digit",
        ));
    }
    Ok(())
}

/// A comparison in a `WHERE` clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Cmp {
    fn as_sql(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "<>",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Filter {
    Compare(String, Cmp, SqlValue),
    In(String, Vec<SqlValue>),
}

/// A `SELECT` on one table with `AND`-ed filters, ordering and a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select {
    table: String,
    columns: Vec<String>,
    filters: Vec<Filter>,
    order_by: Vec<(String, bool)>,
    limit: Option<u32>,
}

impl Select {
    /// Starts a query on `table` (all columns unless [`Select::columns`] is called).
    pub fn from(table: impl Into<String>) -> Self {
        Select {
            table: table.into(),
            columns: Vec::new(),
            filters: Vec::new(),
            order_by: Vec::new(),
            limit: None,
        }
    }

    /// Selects these columns.
    pub fn columns<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Adds `column <cmp> value`.
    pub fn filter(
        mut self,
        column: impl Into<String>,
        cmp: Cmp,
        value: impl Into<SqlValue>,
    ) -> Self {
        self.filters
            .push(Filter::Compare(column.into(), cmp, value.into()));
        self
    }

    /// Adds `column IN (values…)`; an empty list matches nothing.
    pub fn filter_in<I, V>(mut self, column: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<SqlValue>,
    {
        self.filters.push(Filter::In(
            column.into(),
            values.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// Adds an ordering; `descending` for `DESC`.
    pub fn order_by(mut self, column: impl Into<String>, descending: bool) -> Self {
        self.order_by.push((column.into(), descending));
        self
    }

    /// Sets `LIMIT n`.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Renders the query and checks it with [`ensure_read_only`].
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when an identifier is not a plain name.
    pub fn to_sql(&self) -> Result<String> {
        check_identifier(&self.table)?;
        let columns = if self.columns.is_empty() {
            "*".to_owned()
        } else {
            for c in &self.columns {
                check_identifier(c)?;
            }
            self.columns.join(", ")
        };
        let mut sql = format!("SELECT {columns} FROM {}", self.table);
        for (i, filter) in self.filters.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            match filter {
                Filter::Compare(column, cmp, value) => {
                    check_identifier(column)?;
                    sql.push_str(&format!("{column} {} {}", cmp.as_sql(), value.to_literal()));
                }
                Filter::In(column, values) => {
                    check_identifier(column)?;
                    if values.is_empty() {
                        sql.push_str("1 = 0");
                    } else {
                        let list: Vec<String> = values.iter().map(SqlValue::to_literal).collect();
                        sql.push_str(&format!("{column} IN ({})", list.join(", ")));
                    }
                }
            }
        }
        for (i, (column, desc)) in self.order_by.iter().enumerate() {
            check_identifier(column)?;
            sql.push_str(if i == 0 { " ORDER BY " } else { ", " });
            sql.push_str(column);
            if *desc {
                sql.push_str(" DESC");
            }
        }
        if let Some(n) = self.limit {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        ensure_read_only(&sql)?;
        Ok(sql)
    }
}

/// Words that may not appear outside string literals in a read-only query.
const FORBIDDEN: &[&str] = &[
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "DROP",
    "ALTER",
    "CREATE",
    "TRUNCATE",
    "GRANT",
    "REVOKE",
    "RENAME",
    "LOCK",
    "UNLOCK",
    "CALL",
    "HANDLER",
    "LOAD",
    "SET",
    "INTO",
    "OUTFILE",
    "DUMPFILE",
    "SLEEP",
    "BENCHMARK",
    "LOAD_FILE",
    "EXECUTE",
    "PREPARE",
    "DO",
    "SHUTDOWN",
    "KILL",
];

/// One scanned piece of a query: code outside literals, or a literal.
enum Piece<'a> {
    Code(&'a str),
    Literal,
}

/// Splits a query into code and quoted parts (`'…'`, `"…"`, `` `…` ``), honouring doubled
/// quotes and backslash escapes.
fn scan(sql: &str) -> Result<Vec<Piece<'_>>> {
    let mut pieces = Vec::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    let mut code_start = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\'' || b == b'"' || b == b'`' {
            if code_start < i {
                pieces.push(Piece::Code(&sql[code_start..i]));
            }
            let quote = b;
            i += 1;
            let mut closed = false;
            while i < bytes.len() {
                if bytes[i] == b'\\' && quote != b'`' {
                    i += 2;
                    continue;
                }
                if bytes[i] == quote {
                    if bytes.get(i + 1) == Some(&quote) {
                        i += 2;
                        continue;
                    }
                    closed = true;
                    i += 1;
                    break;
                }
                i += 1;
            }
            if !closed {
                return Err(Error::invalid("sql", "unterminated quoted text"));
            }
            pieces.push(Piece::Literal);
            code_start = i;
        } else {
            i += 1;
        }
    }
    if code_start < bytes.len() {
        pieces.push(Piece::Code(&sql[code_start..]));
    }
    Ok(pieces)
}

/// Refuses anything but one read-only `SELECT`: the first word must be `SELECT`; outside
/// quoted text there may be no `;` (except one at the very end), no comment (`--`, `#`,
/// `/*`) and none of the words that write, lock, sleep or touch files (`INSERT`, `UPDATE`,
/// `DELETE`, `DROP`, `INTO`, `OUTFILE`, `SLEEP`, `LOCK`, …).
///
/// # Errors
///
/// [`Error::Invalid`] with field `sql` and the rule broken.
pub fn ensure_read_only(sql: &str) -> Result<()> {
    let trimmed = sql.trim();
    let trimmed = trimmed.strip_suffix(';').unwrap_or(trimmed).trim_end();
    if trimmed.is_empty() {
        return Err(Error::invalid("sql", "query is empty"));
    }
    let pieces = scan(trimmed)?;
    let mut first_word: Option<String> = None;
    for piece in &pieces {
        let Piece::Code(code) = piece else {
            if first_word.is_none() {
                return Err(Error::invalid("sql", "must start with SELECT"));
            }
            continue;
        };
        if code.contains(';') {
            return Err(Error::invalid(
                "sql",
                "only one statement is allowed (found ';')",
            ));
        }
        if code.contains("--") || code.contains('#') || code.contains("/*") {
            return Err(Error::invalid("sql", "comments are not allowed"));
        }
        for word in code
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
        {
            let upper = word.to_ascii_uppercase();
            if first_word.is_none() {
                first_word = Some(upper.clone());
                if upper != "SELECT" {
                    return Err(Error::invalid(
                        "sql",
                        format!("must start with SELECT (starts with {word})"),
                    ));
                }
            }
            if FORBIDDEN.contains(&upper.as_str()) {
                return Err(Error::invalid(
                    "sql",
                    format!("{upper} is not allowed in a read-only query"),
                ));
            }
        }
    }
    if first_word.is_none() {
        return Err(Error::invalid("sql", "must start with SELECT"));
    }
    Ok(())
}

/// Fills a configured query template: each `:name` outside quoted text is replaced by the
/// literal of the parameter `name`, then the result is checked with [`ensure_read_only`].
///
/// # Errors
///
/// [`Error::Invalid`] for a placeholder without a parameter, or a query that is not
/// read-only.
pub fn fill_template(template: &str, params: &[(&str, SqlValue)]) -> Result<String> {
    // Refuses unterminated quotes before any substitution.
    scan(template)?;
    let bytes = template.as_bytes();
    let mut out = String::with_capacity(template.len() + 32);
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == b'\\' && q != b'`' && i + 1 < bytes.len() {
                // The escaped character may be any character, not one byte.
                let escaped = template[i + 1..].chars().next().unwrap_or(' ');
                out.push('\\');
                out.push(escaped);
                i += 1 + escaped.len_utf8();
                continue;
            }
            if b == q {
                if bytes.get(i + 1) == Some(&q) {
                    out.push_str(&template[i..i + 2]);
                    i += 2;
                    continue;
                }
                quote = None;
            }
            let ch = template[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        if b == b'\'' || b == b'"' || b == b'`' {
            quote = Some(b);
            out.push(b as char);
            i += 1;
            continue;
        }
        if b == b':'
            && bytes
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            let name = &template[start..end];
            let value = params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    Error::invalid(
                        format!("sql placeholder :{name}"),
                        format!(
                            "no such parameter (known: {})",
                            params
                                .iter()
                                .map(|(n, _)| format!(":{n}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            out.push_str(&value.to_literal());
            i = end;
            continue;
        }
        let ch = template[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    ensure_read_only(&out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_with_any_character_after_a_backslash_in_quotes_does_not_panic() {
        for template in [
            "SELECT * FROM ITM WHERE ITNA = 'a\\ب' AND ITNO = :no",
            "SELECT * FROM ITM WHERE ITNA = \"\\é\" AND ITNO = :no",
            "SELECT * FROM ITM WHERE ITNA = '\\😀x' AND ITNO = :no",
        ] {
            let filled = fill_template(template, &[("no", SqlValue::Int(7))])
                .unwrap_or_else(|e| panic!("{template}: {e}"));
            assert!(filled.ends_with("ITNO = 7"), "{filled}");
            assert!(filled.contains('\\'), "{filled}");
        }
    }

    #[test]
    fn literals_escape_quotes_backslashes_and_controls() {
        assert_eq!(quote_text("O'Brien"), "'O''Brien'");
        assert_eq!(quote_text("a\\' OR 1=1 -- "), "'a\\\\'' OR 1=1 -- '");
        assert_eq!(quote_text("x\ny\0"), "'x\\ny\\0'");
        assert_eq!(quote_text("د. محمد"), "'د. محمد'");
    }

    #[test]
    fn injection_attempts_stay_inside_the_literal_and_pass_the_check() {
        let sql = Select::from("trnhdr")
            .filter("refdocno", Cmp::Eq, "x'; DROP TABLE trnhdr; -- ")
            .to_sql()
            .unwrap();
        assert_eq!(
            sql,
            "SELECT * FROM trnhdr WHERE refdocno = 'x''; DROP TABLE trnhdr; -- '"
        );
        ensure_read_only(&sql).unwrap();
    }

    #[test]
    fn typed_values_render_as_literals() {
        let sql = Select::from("trnhdr")
            .columns(["docno"])
            .filter("cono", Cmp::Eq, 1i64)
            .filter("doctot", Cmp::Ge, Decimal::new(1050, 2))
            .filter(
                "docdt",
                Cmp::Ge,
                NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
            )
            .filter("docdt", Cmp::Le, SqlValue::CurrentDate)
            .filter_in("sts", ["A", "D"])
            .order_by("docno", true)
            .limit(10)
            .to_sql()
            .unwrap();
        assert_eq!(
            sql,
            "SELECT docno FROM trnhdr WHERE cono = 1 AND doctot >= 10.5 AND docdt >= '2026-01-31' \
             AND docdt <= current_date AND sts IN ('A', 'D') ORDER BY docno DESC LIMIT 10"
        );
        let none = Select::from("t")
            .filter_in("x", Vec::<String>::new())
            .to_sql()
            .unwrap();
        assert_eq!(none, "SELECT * FROM t WHERE 1 = 0");
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(Select::from("trnhdr; drop").to_sql().is_err());
        assert!(Select::from("t").columns(["a b"]).to_sql().is_err());
        assert!(
            Select::from("t")
                .filter("1x", Cmp::Eq, 1i64)
                .to_sql()
                .is_err()
        );
    }

    #[test]
    fn anything_but_one_select_is_refused() {
        for bad in [
            "DELETE FROM trnhdr",
            "SELECT 1; DROP TABLE trnhdr",
            "SELECT * FROM t -- comment",
            "SELECT * FROM t /* x */",
            "SELECT * FROM t INTO OUTFILE '/tmp/x'",
            "SELECT * FROM t FOR UPDATE",
            "SELECT SLEEP(10)",
            "UPDATE t SET a = 1",
            "  ",
            "'SELECT' 1",
            "SELECT 'unterminated",
            "WITH x AS (SELECT 1) SELECT * FROM x",
        ] {
            let err = ensure_read_only(bad).unwrap_err();
            assert!(err.to_string().starts_with("sql: "), "{bad}: {err}");
        }
        ensure_read_only(
            "select opcode, docno from trnhdr where rmk = 'please delete; -- later' limit 5;",
        )
        .unwrap();
    }

    #[test]
    fn templates_fill_placeholders_outside_quotes_only() {
        let sql = fill_template(
            "SELECT docno FROM trnhdr WHERE opcode = :op AND refdocno = :reference AND rmk <> ':op'",
            &[("op", "SALINV".into()), ("reference", "#10'01".into())],
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT docno FROM trnhdr WHERE opcode = 'SALINV' AND refdocno = '#10''01' AND rmk <> ':op'"
        );
        let err = fill_template("SELECT * FROM t WHERE a = :missing", &[]).unwrap_err();
        assert!(err.to_string().contains(":missing"));
        assert!(fill_template("DELETE FROM t WHERE a = :op", &[("op", "x".into())]).is_err());
    }
}
