//! The backfill's bulk read of customers: one `bulkOperationRunQuery` over the customers (all,
//! or those updated since a time) with the fields of the customer read by id
//! (`CustomerFields`), and its JSONL result read back as customers, one line at a time, as
//! the download arrives.
//!
//! A customer's fields hold no connection (its default address is one object), so the query
//! has a single connection, the customers themselves, and each line of the result is one
//! whole customer: no grouping is asked for (`groupObjects: false`, the faster result) and no
//! line carries `__parentId`.

use futures::{Stream, StreamExt};
use serde_json::Value;

use crate::client::{Safety, ShopifyClient};
use crate::error::Error;
use crate::gid::BulkOperationGid;
use crate::ops::customers::Customer;
use crate::queries::{self, customers_count};

/// The customer read by id, whose fragment the bulk query reuses.
const CUSTOMER_QUERY: &str = include_str!("../../graphql/customer.graphql");

/// The bulk query of the customers matching `filter` (Shopify's search syntax, for example
/// [`updated_since_filter`](crate::ops::orders::updated_since_filter); every customer for
/// `None`), with the fields of the customer read by id. One connection, no variables.
pub fn bulk_customers_query(filter: Option<&str>) -> String {
    let fragment = CUSTOMER_QUERY
        .find("fragment ")
        .map_or(CUSTOMER_QUERY, |at| &CUSTOMER_QUERY[at..]);
    let args = filter
        .map(|f| format!("(query: {})", Value::String(f.to_owned())))
        .unwrap_or_default();
    format!(
        "query {{\n  customers{args} {{\n    edges {{\n      node {{\n        ...CustomerFields\n      }}\n    }}\n  }}\n}}\n\n{fragment}"
    )
}

impl ShopifyClient {
    /// How many customers match `query` (Shopify's search syntax), and whether the count is
    /// exact. The query lifts Shopify's default bound of 10,000 (`limit: null`), so the count
    /// is exact however large; `false` only if Shopify estimates.
    ///
    /// # Errors
    ///
    /// The failures of any call.
    pub async fn customers_count(&self, query: Option<String>) -> Result<(u64, bool), Error> {
        let data: customers_count::ResponseData = self
            .run::<queries::CustomersCount, _>(
                customers_count::Variables { query },
                Safety::Repeatable,
            )
            .await?;
        let count = data
            .customers_count
            .ok_or_else(|| crate::ops::missing("CustomersCount", "customersCount"))?;
        Ok((
            u64::try_from(count.count).unwrap_or(0),
            matches!(count.precision, customers_count::CountPrecision::EXACT),
        ))
    }

    /// Starts the bulk query of the customers matching `filter` ([`bulk_customers_query`]);
    /// returns the operation's id.
    ///
    /// # Errors
    ///
    /// As [`bulk_query`](Self::bulk_query): [`Error::UserErrors`] with
    /// `OPERATION_IN_PROGRESS` when the shop runs as many bulk queries as the API version
    /// allows (one before 2026-01: an orders' bulk query, for one).
    pub async fn start_bulk_customers(&self, filter: Option<&str>) -> Result<String, Error> {
        self.bulk_query_grouped(&bulk_customers_query(filter), false)
            .await
    }

    /// Waits for the bulk query of customers `id` to finish (as
    /// [`bulk_orders`](Self::bulk_orders) does), then streams its customers as the result
    /// downloads. `Ok(None)` when there is no such operation or it ended without a result
    /// (`FAILED`, `CANCELED`, `EXPIRED`).
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when it is still running at the poll timeout; request errors
    /// otherwise. A line that does not read as a customer ends the stream with an error.
    pub async fn bulk_customers(
        &self,
        id: &BulkOperationGid,
    ) -> Result<Option<impl Stream<Item = Result<Customer, Error>> + use<>>, Error> {
        let Some(lines) = self.finished_bulk_lines(id, "customers").await? else {
            return Ok(None);
        };
        let mut failed = false;
        Ok(Some(lines.map(|line| line.and_then(decode)).take_while(
            move |item| {
                // The stream ends after its first error.
                let go = !failed;
                failed |= item.is_err();
                std::future::ready(go)
            },
        )))
    }
}

/// One line of the result as a customer; a nested line (`__parentId`) is refused: the query
/// has no nested connection.
fn decode(line: Value) -> Result<Customer, Error> {
    if line.get("__parentId").is_some() {
        return Err(Error::invalid(
            "bulk result",
            "a customer line must not be nested (the query has one connection)",
        ));
    }
    serde_path_to_error::deserialize(&line).map_err(|source| Error::Decode {
        operation: "bulk customers".into(),
        retry_safe: true,
        source,
        body: serde_json::to_vec(&line).unwrap_or_default().into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bulk_query_has_one_connection_no_variables_and_the_fields_read_by_id() {
        let q = bulk_customers_query(Some("updated_at:>='2026-01-01T00:00:00Z'"));
        assert!(!q.contains('$'), "{q}");
        assert!(!q.contains("pageInfo"), "{q}");
        assert!(q.contains(r#"customers(query: "updated_at:>='2026-01-01T00:00:00Z'")"#));
        assert!(q.contains("fragment CustomerFields on Customer {"), "{q}");
        assert!(q.contains("defaultAddress {"), "{q}");
        let connections = q.matches("edges {").count() + q.matches("nodes {").count();
        assert_eq!(connections, 1, "{q}");
        assert_eq!(q.matches('{').count(), q.matches('}').count(), "{q}");
        assert!(bulk_customers_query(None).contains("  customers {"));
    }

    #[test]
    fn a_nested_line_is_refused_with_the_rule() {
        let err = decode(serde_json::json!({"id": "gid://shopify/Customer/1",
                                            "__parentId": "gid://shopify/Customer/2"}))
        .unwrap_err()
        .to_string();
        assert!(err.contains("must not be nested"), "{err}");
    }
}
