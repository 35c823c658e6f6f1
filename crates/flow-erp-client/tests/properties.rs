//! Property tests of the two builders that keep untrusted text in its place: the `\v`/`\f`
//! parameter strings and the SQL literals.

use flow_erp_client::sql::{Cmp, Select, SqlValue, ensure_read_only, quote_text};
use flow_erp_client::wire::{Param, Separator, render_params};
use proptest::prelude::*;

/// Undoes MySQL literal quoting (the inverse of `quote_text`), for the round-trip check.
fn unquote(literal: &str) -> Option<String> {
    let inner = literal.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                if chars.next()? != '\'' {
                    return None;
                }
                out.push('\'');
            }
            '\\' => out.push(match chars.next()? {
                '0' => '\0',
                'n' => '\n',
                'r' => '\r',
                'Z' => '\u{1A}',
                other => other,
            }),
            other => out.push(other),
        }
    }
    Some(out)
}

proptest! {
    #[test]
    fn any_text_stays_one_literal_and_round_trips(value in any::<String>()) {
        let literal = quote_text(&value);
        prop_assert_eq!(unquote(&literal), Some(value.clone()));
        let sql = Select::from("trnhdr")
            .filter("refdocno", Cmp::Eq, SqlValue::Text(value))
            .limit(1)
            .to_sql()
            .unwrap();
        prop_assert!(ensure_read_only(&sql).is_ok(), "{}", sql);
        prop_assert!(sql.starts_with("SELECT * FROM trnhdr WHERE refdocno = '"));
        prop_assert!(sql.ends_with("' LIMIT 1"));
    }

    #[test]
    fn parameter_strings_split_back_into_their_fields(
        values in proptest::collection::vec("[^\\p{Cc}]{0,20}", 1..6)
    ) {
        let params: Vec<Param> = values
            .iter()
            .enumerate()
            .map(|(i, v)| Param::pair(format!("K{i}"), v))
            .collect();
        let rendered = render_params(Separator::VerticalTab, &params).unwrap();
        let fields: Vec<&str> = rendered.split('\u{b}').collect();
        prop_assert_eq!(fields.len(), values.len() + 1);
        prop_assert_eq!(*fields.last().unwrap(), "");
        for (i, v) in values.iter().enumerate() {
            let expected = format!("K{i}={v}");
            prop_assert_eq!(fields[i], expected.as_str());
        }
    }

    #[test]
    fn any_value_with_a_control_character_is_refused(
        head in "[a-z]{0,5}",
        control in proptest::char::range('\u{0}', '\u{1f}'),
        tail in "[a-z]{0,5}",
    ) {
        let value = format!("{head}{control}{tail}");
        let err = render_params(Separator::VerticalTab, &[Param::pair("DISTNO", value)]).unwrap_err();
        prop_assert!(err.to_string().starts_with("parameter DISTNO: value must not contain"));
    }
}
