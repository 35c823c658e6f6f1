//! Wire-level pieces of Flow's protocols: text decoding (UTF-8 with a byte-order mark), the
//! `\v`/`\f` separated parameter strings, the `CMDDNE`/`CMDERR` answers and the legacy
//! `LOGIN KEY=VALUE;` answer.
//!
//! Parameter strings are built by [`render_params`] only, never by pasting strings at call
//! sites: it refuses values that contain a separator (or any other control character), so a
//! customer name cannot inject a field.

use crate::error::{Error, Result};

/// The byte-order mark Flow puts in front of its answers.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes an answer body as UTF-8, dropping a leading byte-order mark.
///
/// # Errors
///
/// [`Error::Decode`] when the body is not UTF-8.
pub fn decode_text<'a>(endpoint: &str, body: &'a [u8]) -> Result<&'a str> {
    let body = body.strip_prefix(BOM).unwrap_or(body);
    std::str::from_utf8(body)
        .map_err(|e| Error::decode(endpoint, format!("not UTF-8 at byte {}", e.valid_up_to())))
}

/// A field separator of Flow's parameter strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `\v` (vertical tab, U+000B): separates the fields of `cmdpar`.
    VerticalTab,
    /// `\f` (form feed, U+000C): separates fields inside an `EXECMD` payload and the fields of
    /// the legacy login body.
    FormFeed,
}

impl Separator {
    fn as_char(self) -> char {
        match self {
            Separator::VerticalTab => '\u{000B}',
            Separator::FormFeed => '\u{000C}',
        }
    }
}

/// One element of a parameter string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// `KEY=VALUE`.
    Pair(String, String),
    /// A bare value (positional protocols such as the legacy login).
    Value(String),
    /// `NAME,` followed by a nested list separated by form feeds (an `EXECMD` payload such
    /// as `DELPOS,OPCODE=…\f…\f`).
    Command(String, Vec<Param>),
}

impl Param {
    /// A `KEY=VALUE` element.
    pub fn pair(key: impl Into<String>, value: impl ToString) -> Self {
        Param::Pair(key.into(), value.to_string())
    }

    /// A bare value.
    pub fn value(value: impl Into<String>) -> Self {
        Param::Value(value.into())
    }
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::invalid(
            format!("parameter name {key:?}"),
            "must be non-empty ASCII letters, digits or '_'",
        ));
    }
    Ok(())
}

fn check_value(key: &str, value: &str) -> Result<()> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        let name = match c {
            '\u{000B}' => "a vertical tab (\\v, the field separator)".to_owned(),
            '\u{000C}' => "a form feed (\\f, the field separator)".to_owned(),
            other => format!("the control character U+{:04X}", u32::from(other)),
        };
        return Err(Error::invalid(
            format!("parameter {key}"),
            format!("value must not contain {name}"),
        ));
    }
    Ok(())
}

/// Renders a parameter list: every element is followed by `separator` (Flow's strings end
/// with a separator, e.g. `OPCODE=SALINV\vCONO=1\v`). A [`Param::Command`] renders as
/// `NAME,` plus its nested list with form feeds, and may only appear in a `\v` list.
///
/// # Errors
///
/// [`Error::Invalid`] when a key is not `[A-Za-z0-9_]+`, a value contains `\v`, `\f` or any
/// other control character, or a command is nested inside a form-feed list.
pub fn render_params(separator: Separator, params: &[Param]) -> Result<String> {
    let sep = separator.as_char();
    let mut out = String::new();
    for (index, param) in params.iter().enumerate() {
        match param {
            Param::Pair(key, value) => {
                check_key(key)?;
                check_value(key, value)?;
                out.push_str(key);
                out.push('=');
                out.push_str(value);
            }
            Param::Value(value) => {
                check_value(&format!("#{}", index + 1), value)?;
                out.push_str(value);
            }
            Param::Command(name, inner) => {
                check_key(name)?;
                if separator == Separator::FormFeed {
                    return Err(Error::invalid(
                        format!("command {name}"),
                        "a command payload cannot be nested inside a form-feed list",
                    ));
                }
                out.push_str(name);
                out.push(',');
                out.push_str(&render_params(Separator::FormFeed, inner)?);
            }
        }
        out.push(sep);
    }
    Ok(out)
}

/// What a command or save answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `CMDDNE[,<value>]`: done; the value (a new document number) when given.
    Done(String),
    /// `CMDERR[,<reason>]`: refused, with the reason.
    Refused(String),
    /// Anything else; the outcome is unknown.
    Other(String),
}

/// Classifies an answer text as `CMDDNE`, `CMDERR` or something else. The text may be a JSON
/// string (`"CMDDNE,12"`), and may carry a byte-order mark and surrounding white space.
pub fn parse_answer(text: &str) -> Answer {
    let trimmed = text.trim_start_matches('\u{FEFF}').trim();
    let unquoted = if trimmed.starts_with('"') {
        serde_json::from_str::<String>(trimmed).unwrap_or_else(|_| trimmed.to_owned())
    } else {
        trimmed.to_owned()
    };
    let body = unquoted.trim();
    let upper_prefix: String = body
        .chars()
        .take(6)
        .collect::<String>()
        .to_ascii_uppercase();
    let rest = || {
        body.get(6..)
            .unwrap_or("")
            .trim_start_matches([',', ':', ';', ' ', '='])
            .trim()
            .to_owned()
    };
    match upper_prefix.as_str() {
        "CMDDNE" => Answer::Done(rest()),
        "CMDERR" => Answer::Refused(rest()),
        _ => Answer::Other(body.to_owned()),
    }
}

/// `true` when a body (after the BOM) starts with `CMDERR`; reads use this to turn a refusal
/// into an error before trying to parse JSON.
pub fn refusal_in(text: &str) -> Option<String> {
    match parse_answer(text) {
        Answer::Refused(reason) => Some(reason),
        _ => None,
    }
}

/// The fields kept from a legacy `LOGIN KEY=VALUE;…` answer. Everything else in that answer
/// (server configuration) is dropped while parsing and never stored or logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LegacyLogin {
    /// `LOGINERR` (`0` means success).
    pub login_err: Option<String>,
    /// `APIKEY`, the session key.
    pub api_key: Option<String>,
    /// `USRID`.
    pub user_id: Option<String>,
    /// `USRNA`, the user's display name.
    pub user_name: Option<String>,
    /// `EMPNO`, the user's employee number.
    pub employee: Option<String>,
    /// `DCONO`, the user's default company.
    pub default_company: Option<String>,
    /// `AUTH`.
    pub auth: Option<String>,
    /// `APPLVL`.
    pub app_level: Option<String>,
}

impl std::fmt::Debug for LegacyLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyLogin")
            .field("login_err", &self.login_err)
            .field(
                "api_key",
                &self.api_key.as_ref().map(|_| sync_core::secret::REDACTED),
            )
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("employee", &self.employee)
            .field("default_company", &self.default_company)
            .field("auth", &self.auth)
            .field("app_level", &self.app_level)
            .finish()
    }
}

/// Parses the legacy login answer: `LOGIN` followed by `KEY=VALUE;` pairs. Only the session
/// fields are kept (see [`LegacyLogin`]).
///
/// # Errors
///
/// [`Error::Decode`] when the text does not start with `LOGIN`.
pub fn parse_legacy_login(text: &str) -> Result<LegacyLogin> {
    let text = text.trim_start_matches('\u{FEFF}').trim();
    let Some(rest) = text
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("LOGIN"))
        .map(|_| &text[5..])
    else {
        return Err(Error::decode(
            "CHKUSR (legacy)",
            "answer does not start with LOGIN",
        ));
    };
    let mut out = LegacyLogin::default();
    for pair in rest.split([';', '\u{000B}', '\u{000C}', '\n', '\r']) {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        let value = value.trim().to_owned();
        let slot = match key.trim().to_ascii_uppercase().as_str() {
            "LOGINERR" => &mut out.login_err,
            "APIKEY" => &mut out.api_key,
            "USRID" => &mut out.user_id,
            "USRNA" => &mut out.user_name,
            "EMPNO" => &mut out.employee,
            "DCONO" => &mut out.default_company,
            "AUTH" => &mut out.auth,
            "APPLVL" => &mut out.app_level,
            _ => continue,
        };
        *slot = Some(value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertical_tab_list_ends_every_field_with_the_separator() {
        let s = render_params(
            Separator::VerticalTab,
            &[
                Param::pair("OPCODE", "SALINV"),
                Param::pair("CONO", 1),
                Param::pair("STRNO", 2),
                Param::pair("DISTNO", "C-77"),
            ],
        )
        .unwrap();
        assert_eq!(
            s,
            "OPCODE=SALINV\u{b}CONO=1\u{b}STRNO=2\u{b}DISTNO=C-77\u{b}"
        );
    }

    #[test]
    fn command_payload_nests_form_feeds_inside_the_vertical_tab_list() {
        let s = render_params(
            Separator::VerticalTab,
            &[Param::Command(
                "DELPOS".into(),
                vec![
                    Param::pair("OPCODE", "SALINV"),
                    Param::pair("CONO", 1),
                    Param::pair("STRNO", 1),
                    Param::pair("DOCNO", 42),
                ],
            )],
        )
        .unwrap();
        assert_eq!(
            s,
            "DELPOS,OPCODE=SALINV\u{c}CONO=1\u{c}STRNO=1\u{c}DOCNO=42\u{c}\u{b}"
        );
    }

    #[test]
    fn positional_form_feed_list_matches_the_legacy_login_body() {
        let s = render_params(
            Separator::FormFeed,
            &[
                Param::value("1001"),
                Param::value("WEB"),
                Param::value("pw"),
                Param::value("ENG"),
                Param::value(""),
            ],
        )
        .unwrap();
        assert_eq!(s, "1001\u{c}WEB\u{c}pw\u{c}ENG\u{c}\u{c}");
    }

    #[test]
    fn values_holding_separators_or_controls_are_refused_naming_the_field() {
        for bad in ["a\u{b}b", "a\u{c}b", "a\nb", "\u{0}"] {
            let err =
                render_params(Separator::VerticalTab, &[Param::pair("DISTNO", bad)]).unwrap_err();
            let text = err.to_string();
            assert!(
                text.starts_with("parameter DISTNO: value must not contain"),
                "{text}"
            );
        }
        let err =
            render_params(Separator::VerticalTab, &[Param::pair("BAD KEY", "x")]).unwrap_err();
        assert!(err.to_string().contains("parameter name"));
        let err = render_params(
            Separator::FormFeed,
            &[Param::Command("DELPOS".into(), vec![])],
        )
        .unwrap_err();
        assert!(err.to_string().contains("cannot be nested"));
        // Arabic text and '=' are fine.
        assert!(render_params(Separator::VerticalTab, &[Param::pair("CNAME", "محمد=علي")]).is_ok());
    }

    #[test]
    fn answers_are_classified_with_bom_quotes_and_case() {
        assert_eq!(
            parse_answer("\u{FEFF}CMDDNE,1234"),
            Answer::Done("1234".into())
        );
        assert_eq!(parse_answer("\"CMDDNE,77\""), Answer::Done("77".into()));
        assert_eq!(
            parse_answer("CMDERR,ITEM 9 NOT FOUND\r\n"),
            Answer::Refused("ITEM 9 NOT FOUND".into())
        );
        assert_eq!(parse_answer("cmderr"), Answer::Refused(String::new()));
        assert_eq!(
            parse_answer("<html>gateway</html>"),
            Answer::Other("<html>gateway</html>".into())
        );
        assert_eq!(refusal_in("CMDERR: bad sql"), Some("bad sql".into()));
    }

    #[test]
    fn utf8_with_bom_is_decoded_and_invalid_utf8_is_an_error() {
        let body = "\u{FEFF}[{\"CNAME\":\"د. محمد\"}]".as_bytes();
        assert_eq!(decode_text("x", body).unwrap(), "[{\"CNAME\":\"د. محمد\"}]");
        assert!(decode_text("x", b"\xff\xfe").is_err());
    }

    #[test]
    fn legacy_login_keeps_only_session_fields() {
        let answer = "\u{FEFF}LOGIN LOGINERR=0;APIKEY=K-123;USRID=WEB;USRNA=Web Shop;EMPNO=5;DCONO=1;AUTH=1;APPLVL=3;DBSRV=10.0.0.9;DBPWD=hunter2;SMTPPWD=x;";
        let parsed = parse_legacy_login(answer).unwrap();
        assert_eq!(parsed.login_err.as_deref(), Some("0"));
        assert_eq!(parsed.api_key.as_deref(), Some("K-123"));
        assert_eq!(parsed.user_name.as_deref(), Some("Web Shop"));
        assert_eq!(parsed.default_company.as_deref(), Some("1"));
        let debug = format!("{parsed:?}");
        assert!(!debug.contains("K-123"));
        assert!(!debug.contains("hunter2"));
        assert!(!debug.contains("10.0.0.9"));
        assert!(parse_legacy_login("ERROR").is_err());
    }
}
