//! [`Record`]: one row as Flow sent it, and [`records`], which turns an answer into rows.
//!
//! A leaf of the crate (it needs only the error type), so the templates, the typed reads and
//! the documents can all use it without importing each other. Re-exported from
//! [`reads`](crate::reads), where it has always been reachable.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One row as Flow sent it, with case-insensitive typed accessors.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Record(pub Map<String, Value>);

impl Record {
    /// The value of `field` (case-insensitive).
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field).or_else(|| {
            self.0
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(field))
                .map(|(_, v)| v)
        })
    }

    /// The value as trimmed text; numbers and booleans as written; `None` when absent, null
    /// or blank.
    pub fn text(&self, field: &str) -> Option<String> {
        match self.get(field)? {
            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The value as an exact decimal (from a number or numeric text).
    pub fn decimal(&self, field: &str) -> Option<Decimal> {
        let text = self.text(field)?;
        Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .ok()
    }

    /// The value as a flag: `1`, `Y`, `T`, `true` are on; `0`, `N`, `F`, `false`, blank are
    /// off; anything else is `None` (unknown).
    pub fn flag(&self, field: &str) -> Option<bool> {
        match self.get(field)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            _ => match self
                .text(field)
                .as_deref()
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                None => Some(false),
                Some("1" | "Y" | "YES" | "T" | "TRUE" | "-1") => Some(true),
                Some("0" | "N" | "NO" | "F" | "FALSE") => Some(false),
                _ => None,
            },
        }
    }

    /// Sets `field`, replacing a key that differs only in case.
    pub fn set(&mut self, field: &str, value: Value) {
        let key = self
            .0
            .keys()
            .find(|k| k.eq_ignore_ascii_case(field))
            .cloned()
            .unwrap_or_else(|| field.to_owned());
        self.0.insert(key, value);
    }
}

/// Turns an answer into rows: an array of objects; an object holding exactly one array (a
/// wrapper such as `{"data": [...]}`); a single object; `null` is no rows.
///
/// # Errors
///
/// [`Error::Decode`] when an element is not an object.
pub fn records(endpoint: &str, value: Value) -> Result<Vec<Record>> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        Value::Object(map) => {
            let arrays = map.values().filter(|v| v.is_array()).count();
            if arrays == 1 && map.len() <= 3 {
                // The list wrapped in an object: taken out, not copied.
                map.into_iter()
                    .find_map(|(_, v)| match v {
                        Value::Array(items) => Some(items),
                        _ => None,
                    })
                    .unwrap_or_default()
            } else {
                return Ok(vec![Record(map)]);
            }
        }
        Value::String(s) if s.trim().is_empty() => return Ok(Vec::new()),
        other => {
            return Err(Error::decode(
                endpoint,
                format!("expected rows, got {}", kind_of(&other)),
            ));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(map) => Ok(Record(map)),
            other => Err(Error::decode(
                endpoint,
                format!("[{i}]: expected an object, got {}", kind_of(&other)),
            )),
        })
        .collect()
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_accept_arrays_wrappers_and_single_objects() {
        assert_eq!(records("x", json!([{"A": 1}, {"A": 2}])).unwrap().len(), 2);
        assert_eq!(records("x", json!({"data": [{"A": 1}]})).unwrap().len(), 1);
        assert_eq!(
            records("x", json!({"OP": "SALINV", "SALTAX": 1}))
                .unwrap()
                .len(),
            1
        );
        assert!(records("x", Value::Null).unwrap().is_empty());
        assert!(
            records("x", json!([1]))
                .unwrap_err()
                .to_string()
                .contains("[0]")
        );
    }

    #[test]
    fn accessors_are_case_insensitive_and_exact() {
        let r = Record(
            json!({"itprice": "12.50", "SALTAX": 14, "HASCLR": "Y", "STS": "", "x": 0.1})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(r.decimal("ITPRICE"), Some(Decimal::new(1250, 2)));
        assert_eq!(r.decimal("saltax"), Some(Decimal::from(14)));
        assert_eq!(r.decimal("x"), Some(Decimal::new(1, 1)));
        assert_eq!(r.flag("hasclr"), Some(true));
        assert_eq!(r.flag("STS"), Some(false));
        assert_eq!(r.text("STS"), None);
    }
}
