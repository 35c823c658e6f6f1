//! The backfill's bulk read of orders: one `bulkOperationRunQuery` over the orders (all, or
//! those updated since a time) with the same fields as the order read by id, and its JSONL
//! result read back as whole orders, one at a time, as the download arrives.
//!
//! The query groups objects (`groupObjects: true`), so each order's line is followed by the
//! lines of its line items and shipping lines (each with `__parentId`): an order is complete
//! when the next order's line (or the end) arrives, and memory holds one order at a time.
//! Refund details are not in the bulk result (an order's refunds are a list of summaries);
//! the adapter reads them by id, as for an order read one by one.

use futures::{Stream, StreamExt};
use serde_json::{Map, Value, json};

use crate::client::ShopifyClient;
use crate::error::Error;
use crate::gid::BulkOperationGid;
use crate::ops::orders::Order;

/// The order read by id, whose fragments the bulk query reuses.
const ORDER_QUERY: &str = include_str!("../../graphql/order.graphql");

/// The page info the order read asks of an order's lines; a bulk query reads every line.
const LINES_PAGE_INFO: &str = "    pageInfo {\n      hasNextPage\n      endCursor\n    }\n";

/// The bulk query of the orders matching `filter` (Shopify's search syntax, for example
/// [`updated_since_filter`](crate::ops::orders::updated_since_filter); every order for
/// `None`), with the fields of the order read by id and every line of each order. A bulk
/// query takes no variables: the customer metafield holding a buyer id (`namespace`, `key`,
/// as [`buyer_id_metafield`](crate::ShopifyClientBuilder::buyer_id_metafield) sets them) is
/// written into it as string literals.
pub fn bulk_orders_query(filter: Option<&str>, (namespace, key): (&str, &str)) -> String {
    let fragments = ORDER_QUERY
        .find("fragment ")
        .map_or(ORDER_QUERY, |at| &ORDER_QUERY[at..])
        .replace("lineItems(first: $lines)", "lineItems")
        .replace("shippingLines(first: 10)", "shippingLines")
        .replace(LINES_PAGE_INFO, "")
        .replace(
            "$buyerIdNamespace",
            &Value::String(namespace.to_owned()).to_string(),
        )
        .replace("$buyerIdKey", &Value::String(key.to_owned()).to_string());
    let args = filter
        .map(|f| format!("(query: {})", Value::String(f.to_owned())))
        .unwrap_or_default();
    format!(
        "query {{\n  orders{args} {{\n    edges {{\n      node {{\n        ...OrderFields\n      }}\n    }}\n  }}\n}}\n\n{fragments}"
    )
}

impl ShopifyClient {
    /// Starts the bulk query of the orders matching `filter` ([`bulk_orders_query`]);
    /// returns the operation's id.
    ///
    /// # Errors
    ///
    /// As [`bulk_query`](Self::bulk_query): [`Error::UserErrors`] with
    /// `OPERATION_IN_PROGRESS` when the shop runs as many bulk queries as the API version
    /// allows.
    pub async fn start_bulk_orders(&self, filter: Option<&str>) -> Result<String, Error> {
        let (namespace, key) = &self.inner.buyer_id_metafield;
        self.bulk_query_grouped(&bulk_orders_query(filter, (namespace, key)), true)
            .await
    }

    /// Waits for the bulk query of orders `id` to finish (polling every
    /// [`poll_interval`](crate::ShopifyClientBuilder::poll_interval) up to the poll
    /// timeout), then streams its orders as the result downloads. `Ok(None)` when there is no
    /// such operation or it ended without a result (`FAILED`, `CANCELED`, `EXPIRED`).
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when it is still running at the poll timeout; request errors
    /// otherwise. A line that does not read as an order ends the stream with an error.
    pub async fn bulk_orders(
        &self,
        id: &BulkOperationGid,
    ) -> Result<Option<impl Stream<Item = Result<Order, Error>> + use<>>, Error> {
        let url = match self.wait_bulk_operation(id).await {
            Ok(op) => op.url,
            // No such operation, or it ended without a result: a backfill starts another.
            Err(Error::JobFailed { status, .. })
                if matches!(
                    status.as_str(),
                    "not found" | "FAILED" | "CANCELED" | "EXPIRED"
                ) =>
            {
                tracing::warn!(
                    operation = id.as_str(),
                    %status,
                    "bulk query of orders ended without a result"
                );
                return Ok(None);
            }
            // Still running at the poll timeout, or a request error.
            Err(e) => return Err(e),
        };
        let lines = match url {
            Some(url) => self.bulk_results(&url).await?.left_stream(),
            // An empty result has no file.
            None => futures::stream::empty().right_stream(),
        };
        Ok(Some(group_orders(lines)))
    }
}

/// An order being put together from its line and its children's lines.
struct Assembling {
    order: Map<String, Value>,
    lines: Vec<Value>,
    shipping: Vec<Value>,
}

impl Assembling {
    fn id(&self) -> &str {
        self.order.get("id").and_then(Value::as_str).unwrap_or("")
    }

    fn finish(mut self) -> Result<Order, Error> {
        self.order.insert(
            "lineItems".into(),
            json!({"nodes": self.lines, "pageInfo": {"hasNextPage": false, "endCursor": null}}),
        );
        self.order
            .insert("shippingLines".into(), json!({"nodes": self.shipping}));
        let value = Value::Object(self.order);
        serde_path_to_error::deserialize(&value).map_err(|source| Error::Decode {
            operation: "bulk orders".into(),
            retry_safe: true,
            source,
            body: serde_json::to_vec(&value).unwrap_or_default().into(),
        })
    }
}

/// Puts orders together from the lines of a grouped bulk result, one order at a time.
fn group_orders(
    lines: impl Stream<Item = Result<Value, Error>> + Send + 'static,
) -> impl Stream<Item = Result<Order, Error>> + Send + 'static {
    struct State<S> {
        lines: S,
        current: Option<Assembling>,
        done: bool,
    }
    let bad = |rule: &str| Error::invalid("bulk result", rule.to_owned());
    let state = State {
        lines: Box::pin(lines),
        current: None,
        done: false,
    };
    futures::stream::unfold(state, move |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            let line = match st.lines.next().await {
                None => {
                    st.done = true;
                    return st.current.take().map(|a| (a.finish(), st));
                }
                Some(Err(e)) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
                Some(Ok(Value::Object(line))) => line,
                Some(Ok(_)) => {
                    st.done = true;
                    return Some((Err(bad("every line must be a JSON object")), st));
                }
            };
            let mut line = line;
            let Some(parent) = line.remove("__parentId") else {
                let next = Assembling {
                    order: line,
                    lines: Vec::new(),
                    shipping: Vec::new(),
                };
                if let Some(done) = st.current.replace(next) {
                    return Some((done.finish(), st));
                }
                continue;
            };
            let Some(current) = st
                .current
                .as_mut()
                .filter(|c| parent.as_str() == Some(c.id()))
            else {
                st.done = true;
                return Some((
                    Err(bad(
                        "a nested line must follow its order (a query with groupObjects)",
                    )),
                    st,
                ));
            };
            let id = line.get("id").and_then(Value::as_str).unwrap_or("");
            if id.starts_with("gid://shopify/LineItem/") {
                current.lines.push(Value::Object(line));
            } else if id.starts_with("gid://shopify/ShippingLine/") {
                current.shipping.push(Value::Object(line));
            } else {
                st.done = true;
                return Some((
                    Err(bad("a nested line must be a line item or a shipping line")),
                    st,
                ));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bulk_query_has_no_variables_no_page_info_and_every_connection_whole() {
        let q = bulk_orders_query(
            Some("updated_at:>='2026-01-01T00:00:00Z'"),
            ("custom", "eta_buyer_id"),
        );
        assert!(!q.contains('$'), "{q}");
        assert!(
            q.contains(r#"metafield(namespace: "custom", key: "eta_buyer_id")"#),
            "{q}"
        );
        assert!(!q.contains("pageInfo"), "{q}");
        assert!(q.contains("lineItems {"), "{q}");
        assert!(q.contains("shippingLines {"), "{q}");
        assert!(q.contains(r#"orders(query: "updated_at:>='2026-01-01T00:00:00Z'")"#));
        assert!(bulk_orders_query(None, ("custom", "eta_buyer_id")).contains("  orders {"));
    }

    #[tokio::test]
    async fn a_nested_line_of_another_order_is_refused() {
        let lines = futures::stream::iter(vec![
            Ok(json!({"id": "gid://shopify/Order/1"})),
            Ok(json!({"id": "gid://shopify/LineItem/5", "__parentId": "gid://shopify/Order/2"})),
        ]);
        let out: Vec<_> = group_orders(lines).collect().await;
        assert_eq!(out.len(), 1);
        let err = out.into_iter().next().unwrap().unwrap_err().to_string();
        assert!(err.contains("must follow its order"), "{err}");
    }
}
