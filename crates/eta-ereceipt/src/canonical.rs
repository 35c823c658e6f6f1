//! ETA's canonical serialization over JSON **text**, and the receipt UUID.
//!
//! The rules (ETA SDK, "document serialization approach"):
//!
//! - property names are upper-cased (culture invariant) and wrapped in `"`;
//! - simple values are written exactly as their literal text in the input, wrapped in `"`
//!   (`10.50` stays `10.50`; strings are unescaped and then written raw, with no escaping);
//! - a nested object is its name followed by its members, in document order;
//! - an array is its name once, then, for each element, its name again followed by the element;
//! - nothing else: no separators, no whitespace.
//!
//! Choices where ETA publishes no rule (documented in `docs/eta.md`): `true`/`false` are written
//! as `"true"`/`"false"`; `null` writes nothing after the name (as ETA's C# reference does; never
//! send nulls); an element of an array that is itself an array repeats the outer name before each
//! of its own elements; a root array writes its elements one after the other.
//!
//! The tokenizer here walks the text once, never builds a tree, never goes through `f64`, and
//! writes into one reusable buffer. Malformed input is an [`CanonicalError`] carrying the byte
//! offset; it never panics (nesting deeper than [`MAX_DEPTH`] is refused).
//!
//! ```
//! use eta_ereceipt::canonical::{canonicalize, receipt_uuid};
//!
//! let text = r#"{"taxTotals":[{"taxType":"T1","amount":477.54},{"taxType":"T2","amount":365.47}]}"#;
//! assert_eq!(
//!     canonicalize(text).unwrap(),
//!     r#""TAXTOTALS""TAXTOTALS""TAXTYPE""T1""AMOUNT""477.54""TAXTOTALS""TAXTYPE""T2""AMOUNT""365.47""#
//! );
//!
//! let receipt = r#"{"header":{"receiptNumber":"R-1","uuid":"","previousUUID":""},"totalAmount":"1000.000"}"#;
//! assert_eq!(
//!     receipt_uuid(receipt).unwrap().as_str(),
//!     "2ed1573cf9fd00e782c429a5372533cf19ea8b497f324c815c192a4e306ce343"
//! );
//! ```

use std::fmt;

use sha2::{Digest, Sha256};

use crate::ReceiptUuid;

/// The deepest nesting of objects and arrays accepted (deeper input is an error, not a stack
/// overflow).
pub const MAX_DEPTH: usize = 128;

/// Malformed JSON: what was wrong and at which byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at byte {offset}: {what}")]
pub struct CanonicalError {
    offset: usize,
    what: &'static str,
}

impl CanonicalError {
    /// The byte offset in the input where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was wrong, in a few words.
    pub fn what(&self) -> &'static str {
        self.what
    }
}

/// Why a receipt's UUID could not be computed from its JSON text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UuidError {
    /// The text is not valid JSON.
    #[error(transparent)]
    Json(#[from] CanonicalError),
    /// The JSON is valid but does not have the expected shape.
    #[error("{path}: {rule}")]
    Shape {
        /// The JSON path, e.g. `receipts[2].header.uuid`.
        path: String,
        /// The rule broken.
        rule: &'static str,
    },
}

/// Canonical text of any JSON text.
///
/// # Errors
///
/// [`CanonicalError`] with the byte offset when the text is not valid JSON.
pub fn canonicalize(json: &str) -> Result<String, CanonicalError> {
    let mut out = Vec::with_capacity(json.len());
    canonicalize_into(json, &mut out)?;
    // The output is built only from whole UTF-8 sequences of the input and from encoded chars.
    String::from_utf8(out).map_err(|_| CanonicalError {
        offset: 0,
        what: "internal: output is not UTF-8",
    })
}

/// Appends the canonical text of `json` to `out` (reuse `out` across calls to avoid
/// allocating). On error, `out` holds a partial result.
///
/// # Errors
///
/// [`CanonicalError`] with the byte offset when the text is not valid JSON.
pub fn canonicalize_into(json: &str, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    let mut p = Parser::new(json.as_bytes(), out);
    p.skip_bom();
    p.value(None, 0, Ctx::Plain)?;
    p.end()
}

/// The canonical text of one receipt with `header.uuid` written as `""`, whatever its value.
///
/// # Errors
///
/// As [`receipt_uuid`].
pub fn canonicalize_receipt(json: &str) -> Result<String, UuidError> {
    let mut out = Vec::with_capacity(json.len());
    let mut p = Parser::new(json.as_bytes(), &mut out);
    p.skip_bom();
    p.receipt_root(None)?;
    p.end()?;
    String::from_utf8(out).map_err(|_| {
        UuidError::Json(CanonicalError {
            offset: 0,
            what: "internal: output is not UTF-8",
        })
    })
}

/// The lowercase hex SHA-256 of canonical text.
pub fn sha256_hex(canonical: &[u8]) -> String {
    hex::encode(Sha256::digest(canonical))
}

/// The UUID of one receipt given as JSON text: SHA-256 of its canonical text with
/// `header.uuid` taken as `""` (the key stays in place; its current value is ignored).
///
/// # Errors
///
/// [`UuidError::Json`] for malformed JSON; [`UuidError::Shape`] when the root is not an object,
/// `header` is not an object, or `header.uuid` is missing or repeated.
pub fn receipt_uuid(json: &str) -> Result<ReceiptUuid, UuidError> {
    Ok(stamp_span(json)?.0)
}

/// A receipt's JSON text with its computed UUID written into `header.uuid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedReceipt {
    /// The receipt's JSON text, unchanged except for the value of `header.uuid`.
    pub json: String,
    /// The UUID now in `header.uuid`.
    pub uuid: ReceiptUuid,
}

/// Computes the UUID of a receipt given as JSON text and writes it into `header.uuid` in place
/// (key order, whitespace and every other literal stay as they were).
///
/// The result is what is sent to ETA: ETA blanks `header.uuid`, canonicalizes and hashes the
/// same bytes, and gets the same UUID.
///
/// # Errors
///
/// As [`receipt_uuid`].
pub fn stamp_receipt_uuid(json: &str) -> Result<StampedReceipt, UuidError> {
    let (uuid, (start, end)) = stamp_span(json)?;
    let mut text = String::with_capacity(json.len() + 64);
    text.push_str(&json[..start]);
    text.push('"');
    text.push_str(uuid.as_str());
    text.push('"');
    text.push_str(&json[end..]);
    Ok(StampedReceipt { json: text, uuid })
}

fn stamp_span(json: &str) -> Result<(ReceiptUuid, (usize, usize)), UuidError> {
    let mut out = Vec::with_capacity(json.len());
    let mut p = Parser::new(json.as_bytes(), &mut out);
    p.skip_bom();
    let span = p.receipt_root(None)?;
    p.end()?;
    Ok((ReceiptUuid::new(sha256_hex(&out)), span))
}

/// One receipt of a batch: its UUID and where its `header.uuid` value sits in the batch text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    /// The computed UUID.
    pub uuid: ReceiptUuid,
    /// Byte range of the `header.uuid` value (quotes included) in the batch text.
    pub uuid_span: (usize, usize),
}

/// The UUIDs of every receipt of a `{"receipts":[...]}` batch, in order.
///
/// Other members of the root object (such as `signatures`) are checked for syntax and ignored.
/// One buffer is reused for every receipt, so hashing tens of thousands of receipts allocates
/// almost nothing per receipt.
///
/// # Errors
///
/// [`UuidError::Json`] for malformed JSON; [`UuidError::Shape`] when the root is not an object,
/// `receipts` is missing or not an array, or a receipt breaks the rules of [`receipt_uuid`]
/// (the path names the receipt's index).
pub fn batch_receipt_uuids(json: &str) -> Result<Vec<BatchEntry>, UuidError> {
    let mut out = Vec::with_capacity(4096);
    let mut p = Parser::new(json.as_bytes(), &mut out);
    p.skip_bom();
    let entries = p.batch_root()?;
    p.end()?;
    Ok(entries)
}

/// Writes each receipt's UUID into its `header.uuid` in a `{"receipts":[...]}` batch text.
///
/// # Errors
///
/// As [`batch_receipt_uuids`].
pub fn stamp_batch_uuids(json: &str) -> Result<(String, Vec<ReceiptUuid>), UuidError> {
    let entries = batch_receipt_uuids(json)?;
    let mut text = String::with_capacity(json.len() + 64 * entries.len());
    let mut at = 0;
    for entry in &entries {
        let (start, end) = entry.uuid_span;
        text.push_str(&json[at..start]);
        text.push('"');
        text.push_str(entry.uuid.as_str());
        text.push('"');
        at = end;
    }
    text.push_str(&json[at..]);
    Ok((text, entries.into_iter().map(|e| e.uuid).collect()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Plain,
    Header,
}

struct Parser<'a, 'o> {
    src: &'a [u8],
    pos: usize,
    out: &'o mut Vec<u8>,
}

impl fmt::Debug for Parser<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parser").field("pos", &self.pos).finish()
    }
}

type PResult<T> = Result<T, CanonicalError>;

impl<'a, 'o> Parser<'a, 'o> {
    fn new(src: &'a [u8], out: &'o mut Vec<u8>) -> Self {
        Parser { src, pos: 0, out }
    }

    fn err<T>(&self, what: &'static str) -> PResult<T> {
        Err(CanonicalError {
            offset: self.pos,
            what,
        })
    }

    fn skip_bom(&mut self) {
        if self.src.starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&b) = self.src.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn end(&mut self) -> PResult<()> {
        self.ws();
        if self.pos < self.src.len() {
            return self.err("unexpected text after the JSON value");
        }
        Ok(())
    }

    /// Writes one value. `name` is the byte range in `out` of the quoted, upper-cased name of
    /// the enclosing property (repeated before array elements).
    fn value(&mut self, name: Option<(usize, usize)>, depth: usize, ctx: Ctx) -> PResult<()> {
        self.ws();
        match self.peek() {
            None => self.err("unexpected end of input, expected a value"),
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return self.err("nesting too deep");
                }
                self.object(depth + 1, ctx, |_, _| Ok(()))
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return self.err("nesting too deep");
                }
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    if let Some((s, e)) = name {
                        self.out.extend_from_within(s..e);
                    }
                    self.value(name, depth + 1, Ctx::Plain)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        None => return self.err("unexpected end of input inside an array"),
                        _ => return self.err("expected ',' or ']'"),
                    }
                }
            }
            Some(b'"') => {
                self.out.push(b'"');
                self.string()?;
                self.out.push(b'"');
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                self.number()?;
                self.out.push(b'"');
                self.out.extend_from_slice(&self.src[start..self.pos]);
                self.out.push(b'"');
                Ok(())
            }
            Some(b't') => self.literal(b"true", true),
            Some(b'f') => self.literal(b"false", true),
            Some(b'n') => self.literal(b"null", false),
            Some(_) => self.err("expected a value"),
        }
    }

    fn literal(&mut self, word: &'static [u8], write: bool) -> PResult<()> {
        if self.src[self.pos..].starts_with(word) {
            self.pos += word.len();
            if write {
                self.out.push(b'"');
                self.out.extend_from_slice(word);
                self.out.push(b'"');
            }
            Ok(())
        } else {
            self.err("invalid literal")
        }
    }

    /// Parses an object at `pos` (which is `{`), writing each member. `member` is called after
    /// each member name is written with (this, name range) and may return `Some` to signal
    /// that it consumed the value itself (used for the receipt root and header).
    fn object<F>(&mut self, depth: usize, ctx: Ctx, mut hook: F) -> PResult<()>
    where
        F: FnMut(&mut Self, (usize, usize)) -> PResult<()>,
    {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return self.err("expected a property name");
            }
            let start = self.out.len();
            self.out.push(b'"');
            self.name()?;
            self.out.push(b'"');
            let range = (start, self.out.len());
            self.ws();
            if self.peek() != Some(b':') {
                return self.err("expected ':' after a property name");
            }
            self.pos += 1;
            if ctx == Ctx::Header && &self.out[range.0..range.1] == b"\"UUID\"" {
                hook(self, range)?;
            } else {
                self.value(Some(range), depth, Ctx::Plain)?;
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                None => return self.err("unexpected end of input inside an object"),
                _ => return self.err("expected ',' or '}'"),
            }
        }
    }

    /// Parses one receipt object, blanking `header.uuid`; returns the span of the uuid value.
    fn receipt_root(&mut self, index: Option<usize>) -> Result<(usize, usize), UuidError> {
        let prefix = Prefix(index);
        self.ws();
        if self.peek() != Some(b'{') {
            if self.peek().is_none() {
                return Err(self
                    .err::<()>("unexpected end of input")
                    .unwrap_err()
                    .into());
            }
            return Err(shape(prefix, "", "a receipt must be a JSON object"));
        }
        let mut header_seen = false;
        let mut span: Option<(usize, usize)> = None;
        let mut dup = false;
        let mut header_not_object = false;
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Err(shape(prefix, "header", "is missing"));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self
                    .err::<()>("expected a property name")
                    .unwrap_err()
                    .into());
            }
            let start = self.out.len();
            self.out.push(b'"');
            self.name()?;
            self.out.push(b'"');
            let range = (start, self.out.len());
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self
                    .err::<()>("expected ':' after a property name")
                    .unwrap_err()
                    .into());
            }
            self.pos += 1;
            self.ws();
            if &self.out[range.0..range.1] == b"\"HEADER\"" {
                if header_seen {
                    return Err(shape(prefix, "header", "appears more than once"));
                }
                header_seen = true;
                if self.peek() == Some(b'{') {
                    self.object(2, Ctx::Header, |p, _| {
                        p.ws();
                        let at = p.pos;
                        let mark = p.out.len();
                        p.value(None, 2, Ctx::Plain)?;
                        p.out.truncate(mark);
                        p.out.extend_from_slice(b"\"\"");
                        if span.is_some() {
                            dup = true;
                        }
                        span = Some((at, p.pos));
                        Ok(())
                    })?;
                } else {
                    header_not_object = true;
                    self.value(Some(range), 1, Ctx::Plain)?;
                }
            } else {
                self.value(Some(range), 1, Ctx::Plain)?;
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                None => {
                    return Err(self
                        .err::<()>("unexpected end of input inside an object")
                        .unwrap_err()
                        .into());
                }
                _ => return Err(self.err::<()>("expected ',' or '}'").unwrap_err().into()),
            }
        }
        if !header_seen {
            return Err(shape(prefix, "header", "is missing"));
        }
        if header_not_object {
            return Err(shape(prefix, "header", "must be an object"));
        }
        if dup {
            return Err(shape(prefix, "header.uuid", "appears more than once"));
        }
        span.ok_or_else(|| {
            shape(
                prefix,
                "header.uuid",
                "is missing (it must be present, as \"\" while hashing)",
            )
        })
    }

    fn batch_root(&mut self) -> Result<Vec<BatchEntry>, UuidError> {
        self.ws();
        if self.peek() != Some(b'{') {
            return Err(shape(
                Prefix(None),
                "",
                "a batch must be an object {\"receipts\":[...]}",
            ));
        }
        self.pos += 1;
        let mut entries = None;
        loop {
            self.ws();
            if self.peek() == Some(b'}') && entries.is_none() {
                self.pos += 1;
                return Err(shape(Prefix(None), "receipts", "is missing"));
            }
            if self.peek() != Some(b'"') {
                return Err(self
                    .err::<()>("expected a property name")
                    .unwrap_err()
                    .into());
            }
            self.out.clear();
            self.out.push(b'"');
            self.name()?;
            self.out.push(b'"');
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self
                    .err::<()>("expected ':' after a property name")
                    .unwrap_err()
                    .into());
            }
            self.pos += 1;
            self.ws();
            if self.out.as_slice() == b"\"RECEIPTS\"" && entries.is_none() {
                if self.peek() != Some(b'[') {
                    return Err(shape(Prefix(None), "receipts", "must be an array"));
                }
                self.pos += 1;
                let mut list = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.out.clear();
                        let span = self.receipt_root(Some(list.len()))?;
                        list.push(BatchEntry {
                            uuid: ReceiptUuid::new(sha256_hex(self.out)),
                            uuid_span: span,
                        });
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            None => {
                                return Err(self
                                    .err::<()>("unexpected end of input inside an array")
                                    .unwrap_err()
                                    .into());
                            }
                            _ => {
                                return Err(self
                                    .err::<()>("expected ',' or ']'")
                                    .unwrap_err()
                                    .into());
                            }
                        }
                    }
                }
                entries = Some(list);
            } else {
                let mark = self.out.len();
                self.value(Some((0, mark)), 1, Ctx::Plain)?;
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                None => {
                    return Err(self
                        .err::<()>("unexpected end of input inside an object")
                        .unwrap_err()
                        .into());
                }
                _ => return Err(self.err::<()>("expected ',' or '}'").unwrap_err().into()),
            }
        }
        entries.ok_or_else(|| shape(Prefix(None), "receipts", "is missing"))
    }

    /// Parses a string at `pos` (an opening quote) and writes its unescaped content.
    fn string(&mut self) -> PResult<()> {
        self.pos += 1;
        loop {
            let start = self.pos;
            while let Some(&b) = self.src.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            self.out.extend_from_slice(&self.src[start..self.pos]);
            match self.peek() {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => self.escape()?,
                Some(_) => return self.err("control character in a string"),
            }
        }
    }

    /// Parses a property name and writes it upper-cased.
    fn name(&mut self) -> PResult<()> {
        let start = self.out.len();
        self.string()?;
        let written = &mut self.out[start..];
        if written.is_ascii() {
            written.make_ascii_uppercase();
        } else {
            let text = std::str::from_utf8(written)
                .map_err(|_| CanonicalError {
                    offset: self.pos,
                    what: "invalid UTF-8 in a name",
                })?
                .to_owned();
            self.out.truncate(start);
            let mut buf = [0u8; 4];
            for c in text.chars() {
                // Simple (one-to-one) upper-case mapping, as .NET's invariant culture does:
                // characters whose upper case is several characters stay as they are.
                let mut upper = c.to_uppercase();
                let mapped = match (upper.next(), upper.next()) {
                    (Some(u), None) => u,
                    _ => c,
                };
                self.out
                    .extend_from_slice(mapped.encode_utf8(&mut buf).as_bytes());
            }
        }
        Ok(())
    }

    fn escape(&mut self) -> PResult<()> {
        // at '\\'
        self.pos += 1;
        let Some(b) = self.peek() else {
            return self.err("unterminated escape");
        };
        self.pos += 1;
        let byte = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if self.src.get(self.pos) != Some(&b'\\')
                        || self.src.get(self.pos + 1) != Some(&b'u')
                    {
                        return self.err("lone surrogate in a \\u escape");
                    }
                    self.pos += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return self.err("invalid low surrogate in a \\u escape");
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else if (0xDC00..0xE000).contains(&first) {
                    return self.err("lone surrogate in a \\u escape");
                } else {
                    first
                };
                let Some(c) = char::from_u32(code) else {
                    return self.err("invalid \\u escape");
                };
                let mut buf = [0u8; 4];
                self.out
                    .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            _ => {
                self.pos -= 1;
                return self.err("invalid escape");
            }
        };
        self.out.push(byte);
        Ok(())
    }

    fn hex4(&mut self) -> PResult<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(b) = self.peek() else {
                return self.err("unterminated \\u escape");
            };
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return self.err("invalid hex digit in a \\u escape"),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    /// Checks the JSON number grammar at `pos`, leaving `pos` after the number.
    fn number(&mut self) -> PResult<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return self.err("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return self.err("invalid number: digit expected after '.'");
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return self.err("invalid number: digit expected in the exponent");
            }
            self.digits();
        }
        Ok(())
    }

    #[inline]
    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }
}

/// The path prefix of a receipt: none for a lone receipt, `receipts[i]` in a batch (built
/// only when an error needs it).
#[derive(Clone, Copy)]
struct Prefix(Option<usize>);

fn shape(prefix: Prefix, rest: &str, rule: &'static str) -> UuidError {
    let path = match (prefix.0, rest.is_empty()) {
        (None, true) => "$".to_owned(),
        (None, false) => rest.to_owned(),
        (Some(i), true) => format!("receipts[{i}]"),
        (Some(i), false) => format!("receipts[{i}].{rest}"),
    };
    UuidError::Shape { path, rule }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> String {
        canonicalize(s).unwrap()
    }

    #[test]
    fn spec_mini_vectors() {
        assert_eq!(
            c(
                r#"{"header":{"receiptNumber":"R-1","uuid":"","previousUUID":""},"totalAmount":"1000.000"}"#
            ),
            r#""HEADER""RECEIPTNUMBER""R-1""UUID""""PREVIOUSUUID""""TOTALAMOUNT""1000.000""#
        );
        assert_eq!(
            c(
                r#"{"header":{"dateTimeIssued":"2026-01-02T03:04:05Z","uuid":""},"itemData":[{"quantity":1,"taxableItems":[{"taxType":"T1","rate":14}]},{"quantity":2.5,"taxableItems":[]}],"exchangeRate":0}"#
            ),
            r#""HEADER""DATETIMEISSUED""2026-01-02T03:04:05Z""UUID""""ITEMDATA""ITEMDATA""QUANTITY""1""TAXABLEITEMS""TAXABLEITEMS""TAXTYPE""T1""RATE""14""ITEMDATA""QUANTITY""2.5""TAXABLEITEMS""EXCHANGERATE""0""#
        );
        assert_eq!(
            c(r#"{"payment":{"bankAccountIBAN":"","swiftCode":"","terms":"SomeValue"}}"#),
            r#""PAYMENT""BANKACCOUNTIBAN""""SWIFTCODE""""TERMS""SomeValue""#
        );
        assert_eq!(
            sha256_hex(
                c(r#"{"header":{"receiptNumber":"R-1","uuid":"","previousUUID":""},"totalAmount":"1000.000"}"#)
                    .as_bytes()
            ),
            "2ed1573cf9fd00e782c429a5372533cf19ea8b497f324c815c192a4e306ce343"
        );
    }

    #[test]
    fn literals_are_kept_and_strings_unescaped_raw() {
        assert_eq!(
            c(r#"{"a":10.50,"b":-0.0e+3,"c":1E5}"#),
            r#""A""10.50""B""-0.0e+3""C""1E5""#
        );
        assert_eq!(
            c(r#"{"s":"a\"b\\c\u0627\ud83d\ude00\n"}"#),
            "\"S\"\"a\"b\\cا😀\n\""
        );
        assert_eq!(
            c(r#"{"t":true,"f":false,"n":null}"#),
            r#""T""true""F""false""N""#
        );
        assert_eq!(c(r#"{"اسم":"قيمة","ß":1}"#), "\"اسم\"\"قيمة\"\"ß\"\"1\"");
        assert_eq!(c("\u{feff} {\"x\" : [ ] } \n"), r#""X""#);
        assert_eq!(c(r#"{"a":[[1,2],[]]}"#), r#""A""A""A""1""A""2""A""#);
        assert_eq!(c(r#"[1,{"a":2}]"#), r#""1""A""2""#);
        assert_eq!(c(r#""x""#), r#""x""#);
    }

    #[test]
    fn malformed_input_reports_the_offset() {
        let cases: &[(&str, usize)] = &[
            ("", 0),
            ("{", 1),
            (r#"{"a" 1}"#, 5),
            (r#"{"a":01}"#, 6),
            (r#"{"a":1.}"#, 7),
            (r#"{"a":"\x"}"#, 7),
            (r#"{"a":"\ud800"}"#, 12),
            ("{\"a\":\"\u{1}\"}", 6),
            (r#"{"a":1} x"#, 8),
            (r#"{"a":tru}"#, 5),
            (r#"{"a":[1 2]}"#, 8),
            (r#"{"a":1,}"#, 7),
        ];
        for (text, offset) in cases {
            let e = canonicalize(text).unwrap_err();
            assert_eq!(e.offset(), *offset, "{text}: {e}");
        }
        let deep = "[".repeat(MAX_DEPTH + 5);
        assert_eq!(canonicalize(&deep).unwrap_err().what(), "nesting too deep");
    }

    #[test]
    fn receipt_uuid_blanks_header_uuid_and_stamps_in_place() {
        let blank = r#"{"header":{"receiptNumber":"R-1","uuid":"","previousUUID":""},"totalAmount":"1000.000"}"#;
        let filled = r#"{"header":{"receiptNumber":"R-1","uuid":"abc","previousUUID":""},"totalAmount":"1000.000"}"#;
        let u = receipt_uuid(blank).unwrap();
        assert_eq!(receipt_uuid(filled).unwrap(), u);
        let stamped = stamp_receipt_uuid(filled).unwrap();
        assert_eq!(stamped.uuid, u);
        assert_eq!(
            stamped.json,
            format!(
                r#"{{"header":{{"receiptNumber":"R-1","uuid":"{u}","previousUUID":""}},"totalAmount":"1000.000"}}"#
            )
        );
        assert_eq!(receipt_uuid(&stamped.json).unwrap(), u);
        // a nested "uuid" that is not header.uuid is hashed as is
        let other = r#"{"header":{"uuid":""},"x":{"uuid":"k"}}"#;
        assert_eq!(
            canonicalize_receipt(other).unwrap(),
            r#""HEADER""UUID""""X""UUID""k""#
        );
    }

    #[test]
    fn receipt_shape_errors_name_the_path() {
        let err = |t: &str| match receipt_uuid(t).unwrap_err() {
            UuidError::Shape { path, rule } => format!("{path}: {rule}"),
            other => other.to_string(),
        };
        assert_eq!(err(r#"{"a":1}"#), "header: is missing");
        assert!(err(r#"{"header":{}}"#).starts_with("header.uuid: is missing"));
        assert_eq!(
            err(r#"{"header":{"uuid":"","uuid":""}}"#),
            "header.uuid: appears more than once"
        );
        assert_eq!(err(r#"{"header":[]}"#), "header: must be an object");
        assert_eq!(err(r#"[]"#), "$: a receipt must be a JSON object");
        assert!(err(r#"{"header":{"uuid":"}}"#).starts_with("invalid JSON at byte"));
        let batch = |t: &str| match batch_receipt_uuids(t).unwrap_err() {
            UuidError::Shape { path, rule } => format!("{path}: {rule}"),
            other => other.to_string(),
        };
        assert_eq!(
            batch(r#"{"receipts":[{"header":{"uuid":""}},{"header":{}}]}"#),
            "receipts[1].header.uuid: is missing (it must be present, as \"\" while hashing)"
        );
        assert_eq!(batch(r#"{"signatures":[]}"#), "receipts: is missing");
        assert_eq!(batch(r#"{"receipts":{}}"#), "receipts: must be an array");
    }

    #[test]
    fn batch_matches_single_receipts_and_stamps_each() {
        let a = r#"{"header":{"uuid":"","previousUUID":""},"total":1.50}"#;
        let b = r#"{"header":{"uuid":"zz","previousUUID":"x"},"total":2}"#;
        let text = format!(
            r#"{{"receipts":[{a}, {b}],"signatures":[{{"signatureType":"I","value":""}}]}}"#
        );
        let entries = batch_receipt_uuids(&text).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].uuid, receipt_uuid(a).unwrap());
        assert_eq!(entries[1].uuid, receipt_uuid(b).unwrap());
        let (stamped, uuids) = stamp_batch_uuids(&text).unwrap();
        assert_eq!(
            uuids,
            vec![entries[0].uuid.clone(), entries[1].uuid.clone()]
        );
        let again = batch_receipt_uuids(&stamped).unwrap();
        assert_eq!(again[1].uuid, uuids[1]);
        assert!(stamped.contains(&format!(r#""uuid":"{}""#, uuids[1])));
        assert!(
            batch_receipt_uuids(r#"{"receipts":[]}"#)
                .unwrap()
                .is_empty()
        );
    }
}
