//! The typed operations, grouped by area. Each area adds methods to
//! [`ShopifyClient`](crate::ShopifyClient); the output types are the generated
//! `graphql_client` structs (re-exported here under short names) or small structs of ours.

/// A generated connection (`nodes` and `pageInfo { hasNextPage endCursor }`) as a
/// [`Paged`](crate::ops::orders::Paged).
macro_rules! paged {
    ($connection:expr) => {{
        let connection = $connection;
        $crate::ops::orders::Paged {
            items: connection.nodes,
            has_next_page: connection.page_info.has_next_page,
            end_cursor: connection.page_info.end_cursor,
        }
    }};
}

pub mod bulk;
pub mod bulk_customers;
pub mod bulk_orders;
pub mod customers;
pub mod fulfillment;
pub mod inventory;
pub mod media;
pub mod orders;
pub mod pricing;
pub mod products;
pub mod shop;
pub mod webhooks;

use serde::Serialize;

use crate::error::{Error, UserError};

/// The API text of a generated enum value, e.g. `CurrencyCode::EGP` → `"EGP"`.
pub fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Turns a payload's `userErrors` into [`Error::UserErrors`] when there are any.
macro_rules! user_errors {
    ($op:expr, $errors:expr, code) => {{
        let list: Vec<$crate::error::UserError> = $errors
            .iter()
            .map(|e| $crate::error::UserError {
                code: e.code.as_ref().map($crate::ops::enum_text),
                field: e.field.clone().unwrap_or_default(),
                message: e.message.clone(),
            })
            .collect();
        $crate::ops::check(list, $op)
    }};
    ($op:expr, $errors:expr) => {{
        let list: Vec<$crate::error::UserError> = $errors
            .iter()
            .map(|e| $crate::error::UserError {
                code: None,
                field: e.field.clone().unwrap_or_default(),
                message: e.message.clone(),
            })
            .collect();
        $crate::ops::check(list, $op)
    }};
}
pub(crate) use user_errors;

pub(crate) fn check(list: Vec<UserError>, operation: &str) -> Result<(), Error> {
    if list.is_empty() {
        Ok(())
    } else {
        Err(Error::UserErrors {
            operation: operation.to_owned(),
            errors: list,
        })
    }
}

/// A payload field that is `null` although the API promised a value.
pub(crate) fn missing(operation: &str, what: &str) -> Error {
    Error::JobFailed {
        what: "mutation",
        id: operation.to_owned(),
        status: "no result".to_owned(),
        detail: Some(format!("the response has no {what}")),
    }
}

/// Rejects empty or whitespace-only text.
pub(crate) fn require(field: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        Err(Error::invalid(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// Checks an outbound URL Shopify handed us (https, or http to loopback for tests).
pub(crate) fn check_url(field: &str, text: &str) -> Result<url::Url, Error> {
    sync_core::url_policy::parse_base_url(field, text, sync_core::url_policy::InsecureHttp::Refuse)
        .map_err(|e| {
            let message = e.to_string();
            let rule = message
                .strip_prefix(&format!("{field}: "))
                .unwrap_or(&message)
                .to_owned();
            Error::invalid(field, rule)
        })
}

/// Reads the answer of a pre-signed upload or download (no Shopify token, no GraphQL): a
/// success is the response, anything else an error that may be retried (both requests are
/// safe to repeat).
pub(crate) fn presigned_answer(
    operation: &str,
    sent: Result<sync_core::transport::HttpResponse, sync_core::transport::TransportError>,
) -> Result<sync_core::transport::HttpResponse, Error> {
    let response = sent.map_err(|source| Error::Transport {
        operation: operation.into(),
        retry_safe: true,
        source,
    })?;
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(Error::Http {
            operation: operation.into(),
            status: response.status().as_u16(),
            message: crate::response::snippet(response.body()),
            request_id: None,
            retry_safe: true,
        })
    }
}

/// Quotes a value for Shopify's search syntax (`sku:"A-1"`).
pub(crate) fn search_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_search_values_are_checked_and_quoted() {
        use crate::gid::ProductGid;
        assert!(ProductGid::parse("product_id", "gid://shopify/Product/1").is_ok());
        let err = ProductGid::parse("product_id", "1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "product_id: must be a Shopify id like gid://shopify/Product/123, got \"1\""
        );
        assert_eq!(search_quote(r#"A"B\C"#), r#""A\"B\\C""#);
        assert!(require("reason", "  ").is_err());
    }
}
