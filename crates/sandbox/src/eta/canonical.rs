//! ETA's canonical serialization, written from the published rules, over the JSON text as
//! received (so number literals are kept exactly).
//!
//! Rules: property names in upper case, every name and simple value wrapped in `"`, objects
//! serialized member by member in document order, arrays as their name once and then the name
//! again before each element, nothing between tokens. The root object contributes only its
//! members. The receipt uuid is SHA-256 (lowercase hex) of this text with `header.uuid` = `""`.

use sha2::{Digest, Sha256};

use super::json::{Kind, Node};

/// Why a value has no canonical form in the stand-in's strict reading of the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonError {
    /// Dotted path of the offending value, e.g. `header.sOrderNameCode`.
    pub path: String,
    /// The rule it breaks.
    pub rule: &'static str,
}

/// Serializes `root` (an object) in canonical form.
///
/// # Errors
/// A `null` anywhere (the rules define no form for it), a string value containing `"`, `\` or
/// a control character (ETA's rules and its reference code disagree on escaping), an array
/// directly inside an array, or a root that is not an object.
pub fn serialize(root: &Node) -> Result<String, CanonError> {
    let mut out = String::with_capacity(root.end.saturating_sub(root.start));
    match &root.kind {
        Kind::Object(members) => members_into(members, "", &mut out)?,
        _ => {
            return Err(CanonError {
                path: String::new(),
                rule: "the root must be an object",
            });
        }
    }
    Ok(out)
}

/// Serializes `root` with `header.uuid` replaced by `""` (in place), as ETA does to check it.
///
/// # Errors
/// As [`serialize`].
pub fn serialize_for_uuid(root: &Node) -> Result<String, CanonError> {
    let mut blanked = root.clone();
    if let Kind::Object(members) = &mut blanked.kind
        && let Some((_, header)) = members.iter_mut().find(|(k, _)| k == "header")
        && let Kind::Object(fields) = &mut header.kind
        && let Some((_, uuid)) = fields.iter_mut().find(|(k, _)| k == "uuid")
    {
        uuid.kind = Kind::Str(String::new());
    }
    serialize(&blanked)
}

/// The uuid ETA expects for a receipt: lowercase hex SHA-256 of [`serialize_for_uuid`].
///
/// # Errors
/// As [`serialize`].
pub fn receipt_uuid(root: &Node) -> Result<String, CanonError> {
    let text = serialize_for_uuid(root)?;
    Ok(hex::encode(Sha256::digest(text.as_bytes())))
}

fn members_into(
    members: &[(String, Node)],
    path: &str,
    out: &mut String,
) -> Result<(), CanonError> {
    for (name, value) in members {
        let upper = name.to_uppercase();
        let here = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        push_quoted(out, &upper);
        match &value.kind {
            Kind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    push_quoted(out, &upper);
                    let item_path = format!("{here}[{i}]");
                    if matches!(item.kind, Kind::Array(_)) {
                        return Err(CanonError {
                            path: item_path,
                            rule: "arrays directly inside arrays have no canonical form",
                        });
                    }
                    value_into(item, &item_path, out)?;
                }
            }
            _ => value_into(value, &here, out)?,
        }
    }
    Ok(())
}

fn value_into(value: &Node, path: &str, out: &mut String) -> Result<(), CanonError> {
    match &value.kind {
        Kind::Object(members) => members_into(members, path, out),
        Kind::Str(s) => {
            if s.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
                return Err(CanonError {
                    path: path.to_string(),
                    rule: "string values must not contain '\"', '\\' or control characters",
                });
            }
            push_quoted(out, s);
            Ok(())
        }
        Kind::Num(n) => {
            push_quoted(out, n);
            Ok(())
        }
        Kind::Bool(b) => {
            push_quoted(out, if *b { "true" } else { "false" });
            Ok(())
        }
        Kind::Null => Err(CanonError {
            path: path.to_string(),
            rule: "null has no canonical form; omit the field instead",
        }),
        Kind::Array(_) => Err(CanonError {
            path: path.to_string(),
            rule: "arrays directly inside arrays have no canonical form",
        }),
    }
}

fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    out.push_str(s);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::json::parse;
    use super::*;

    #[test]
    fn arrays_repeat_their_name_and_literals_are_kept() {
        let node = parse(
            r#"{"taxTotals":[{"taxType":"T1","amount":477.54},{"taxType":"T2","amount":365.47}]}"#,
        )
        .unwrap();
        assert_eq!(
            serialize(&node).unwrap(),
            r#""TAXTOTALS""TAXTOTALS""TAXTYPE""T1""AMOUNT""477.54""TAXTOTALS""TAXTYPE""T2""AMOUNT""365.47""#
        );
    }

    #[test]
    fn mini_vector_from_the_spec() {
        let node = parse(
            r#"{"header":{"receiptNumber":"R-1","uuid":"","previousUUID":""},"totalAmount":"1000.000"}"#,
        )
        .unwrap();
        let text = serialize(&node).unwrap();
        assert_eq!(
            text,
            r#""HEADER""RECEIPTNUMBER""R-1""UUID""""PREVIOUSUUID""""TOTALAMOUNT""1000.000""#
        );
        assert_eq!(
            receipt_uuid(&node).unwrap(),
            "2ed1573cf9fd00e782c429a5372533cf19ea8b497f324c815c192a4e306ce343"
        );
    }

    #[test]
    fn nested_and_empty_arrays() {
        let node = parse(
            r#"{"header":{"dateTimeIssued":"2026-01-02T03:04:05Z","uuid":""},"itemData":[{"quantity":1,"taxableItems":[{"taxType":"T1","rate":14}]},{"quantity":2.5,"taxableItems":[]}],"exchangeRate":0}"#,
        )
        .unwrap();
        assert_eq!(
            serialize(&node).unwrap(),
            r#""HEADER""DATETIMEISSUED""2026-01-02T03:04:05Z""UUID""""ITEMDATA""ITEMDATA""QUANTITY""1""TAXABLEITEMS""TAXABLEITEMS""TAXTYPE""T1""RATE""14""ITEMDATA""QUANTITY""2.5""TAXABLEITEMS""EXCHANGERATE""0""#
        );
    }

    #[test]
    fn uuid_is_blanked_in_place_and_strict_values_are_refused() {
        let with = parse(r#"{"header":{"a":"1","uuid":"abc","b":"2"}}"#).unwrap();
        let without = parse(r#"{"header":{"a":"1","uuid":"","b":"2"}}"#).unwrap();
        assert_eq!(
            receipt_uuid(&with).unwrap(),
            receipt_uuid(&without).unwrap()
        );
        let null = parse(r#"{"header":{"x":null}}"#).unwrap();
        assert_eq!(serialize(&null).unwrap_err().path, "header.x");
        let quote = parse(r#"{"a":[{"b":"say \"hi\""}]}"#).unwrap();
        assert_eq!(serialize(&quote).unwrap_err().path, "a[0].b");
    }
}
