//! The backfill's bulk read of orders: one `bulkOperationRunQuery` over the orders (all, or
//! those updated since a time) with the same fields as the order read by id, and its JSONL
//! result read back as whole orders, one at a time, as the download arrives.
//!
//! The query groups objects (`groupObjects: true`), so each order's line is followed by the
//! lines of its nested connections (each with `__parentId`): its line items and shipping
//! lines (parent: the order), and its refunds' lines and transactions (parent: the refund,
//! which is in the order's own line, `Order.refunds` being a list). An order is complete
//! when the next order's line (or the end) arrives, and memory holds one order at a time.
//!
//! Each refund is selected with the fragment of the refund read by id (`RefundFields`), so
//! it reads as the same type and maps the same way. One part of it is not in the bulk
//! result: its refunded shipping (`refundShippingLines`), a sixth connection where Shopify
//! allows five. An order whose `totalRefundedShippingSet` is not zero has its refunds read
//! by id instead (the adapter does it).

use std::collections::HashMap;

use futures::{Stream, StreamExt};
use serde_json::{Map, Value, json};

use crate::client::ShopifyClient;
use crate::error::Error;
use crate::gid::BulkOperationGid;
use crate::ops::orders::{Order, Refund};

/// The order read by id, whose fragments the bulk query reuses.
const ORDER_QUERY: &str = include_str!("../../graphql/order.graphql");

/// The refund read by id, whose fragment the bulk query selects under each order's refunds.
const REFUND_QUERY: &str = include_str!("../../graphql/refund.graphql");

/// The refund summaries the order read selects; the bulk query selects whole refunds there.
const REFUND_SUMMARIES: &str = "  refunds(first: 20) {\n    id\n    createdAt\n    note\n    totalRefundedSet {\n      ...MoneyFields\n    }\n  }\n";

/// An order of the bulk result with the refunds the result carries.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOrder {
    /// The order (every line item and shipping line).
    pub order: Order,
    /// Its refunds, in the order of `order.refunds`, each with every refunded line and
    /// transaction but **no refunded shipping** (`refund_shipping_lines` empty: the bulk
    /// query cannot carry it); read them by id when `order.total_refunded_shipping_set`
    /// is not zero.
    pub refunds: Vec<Refund>,
}

/// `text` without the block that starts at the line `opening` (which ends with `{`), up to
/// its matching `}` line.
fn without_block(text: &str, opening: &str) -> String {
    let Some(start) = text.find(opening) else {
        return text.to_owned();
    };
    let mut depth = 0usize;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    let end = start + i + 1;
                    let end = end + usize::from(text[end..].starts_with('\n'));
                    return format!("{}{}", &text[..start], &text[end..]);
                }
            }
            _ => {}
        }
    }
    text.to_owned()
}

/// The refund fragment as the bulk query selects it: every connection whole (no `first:`),
/// and without `refundShippingLines`.
fn bulk_refund_fragment() -> String {
    let fragment = REFUND_QUERY
        .find("fragment RefundFields")
        .map_or(REFUND_QUERY, |at| &REFUND_QUERY[at..]);
    without_block(fragment, "  refundShippingLines(")
        .replace("refundLineItems(first: 50)", "refundLineItems")
        .replace("transactions(first: 20)", "transactions")
}

/// The page info the order read asks of an order's lines; a bulk query reads every line.
const LINES_PAGE_INFO: &str = "    pageInfo {\n      hasNextPage\n      endCursor\n    }\n";

/// The bulk query of the orders matching `filter` (Shopify's search syntax, for example
/// [`updated_since_filter`](crate::ops::orders::updated_since_filter); every order for
/// `None`), with the fields of the order read by id, every line of each order, and its
/// refunds with the fields of the refund read by id but their refunded shipping. Its five
/// connections (orders; their line items and shipping lines; their refunds' lines and
/// transactions) are as many as Shopify allows, nested two deep at most. A bulk
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
            REFUND_SUMMARIES,
            "  refunds(first: 20) {\n    ...RefundFields\n  }\n",
        )
        .replace(
            "$buyerIdNamespace",
            &Value::String(namespace.to_owned()).to_string(),
        )
        .replace("$buyerIdKey", &Value::String(key.to_owned()).to_string());
    let args = filter
        .map(|f| format!("(query: {})", Value::String(f.to_owned())))
        .unwrap_or_default();
    format!(
        "query {{\n  orders{args} {{\n    edges {{\n      node {{\n        ...OrderFields\n      }}\n    }}\n  }}\n}}\n\n{fragments}\n{}",
        bulk_refund_fragment()
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
    /// timeout), then streams its orders, each with its refunds ([`BulkOrder`]), as the
    /// result downloads. `Ok(None)` when there is no
    /// such operation or it ended without a result (`FAILED`, `CANCELED`, `EXPIRED`).
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when it is still running at the poll timeout; request errors
    /// otherwise. A line that does not read as an order ends the stream with an error.
    pub async fn bulk_orders(
        &self,
        id: &BulkOperationGid,
    ) -> Result<Option<impl Stream<Item = Result<BulkOrder, Error>> + use<>>, Error> {
        let Some(lines) = self.finished_bulk_lines(id, "orders").await? else {
            return Ok(None);
        };
        Ok(Some(group_orders(lines)))
    }
}

/// An order being put together from its line and its children's lines.
struct Assembling {
    order: Map<String, Value>,
    lines: Vec<Value>,
    shipping: Vec<Value>,
    /// The lines and transactions of each of its refunds, by refund id.
    refunds: HashMap<String, (Vec<Value>, Vec<Value>)>,
}

impl Assembling {
    fn new(order: Map<String, Value>) -> Self {
        let refunds = order
            .get("refunds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("id").and_then(Value::as_str))
            .map(|id| (id.to_owned(), (Vec::new(), Vec::new())))
            .collect();
        Assembling {
            order,
            lines: Vec::new(),
            shipping: Vec::new(),
            refunds,
        }
    }

    fn id(&self) -> &str {
        self.order.get("id").and_then(Value::as_str).unwrap_or("")
    }

    fn decode<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Error> {
        serde_path_to_error::deserialize(&value).map_err(|source| Error::Decode {
            operation: "bulk orders".into(),
            retry_safe: true,
            source,
            body: serde_json::to_vec(&value).unwrap_or_default().into(),
        })
    }

    fn finish(mut self) -> Result<BulkOrder, Error> {
        self.order.insert(
            "lineItems".into(),
            json!({"nodes": self.lines, "pageInfo": {"hasNextPage": false, "endCursor": null}}),
        );
        self.order
            .insert("shippingLines".into(), json!({"nodes": self.shipping}));
        let mut refunds = Vec::new();
        for refund in self
            .order
            .get("refunds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut refund = refund.clone();
            let id = refund.get("id").and_then(Value::as_str).unwrap_or("");
            let (lines, transactions) = self.refunds.remove(id).unwrap_or_default();
            if let Some(fields) = refund.as_object_mut() {
                fields.insert("refundLineItems".into(), json!({ "nodes": lines }));
                fields.insert("transactions".into(), json!({ "nodes": transactions }));
                // Not in the bulk result (see the module documentation).
                fields.insert("refundShippingLines".into(), json!({ "nodes": [] }));
            }
            refunds.push(Self::decode(refund)?);
        }
        let order = Self::decode(Value::Object(self.order))?;
        Ok(BulkOrder { order, refunds })
    }

    /// Files a nested line under the order or one of its refunds.
    fn add(&mut self, parent: &str, line: Map<String, Value>) -> Result<(), &'static str> {
        let id = line.get("id").and_then(Value::as_str).unwrap_or("");
        if parent == self.id() {
            if id.starts_with("gid://shopify/LineItem/") {
                self.lines.push(Value::Object(line));
            } else if id.starts_with("gid://shopify/ShippingLine/") {
                self.shipping.push(Value::Object(line));
            } else {
                return Err("a nested line of an order must be a line item or a shipping line");
            }
            return Ok(());
        }
        let Some((lines, transactions)) = self.refunds.get_mut(parent) else {
            return Err("a nested line must follow its order (a query with groupObjects)");
        };
        if id.starts_with("gid://shopify/RefundLineItem/") {
            lines.push(Value::Object(line));
        } else if id.starts_with("gid://shopify/OrderTransaction/") {
            transactions.push(Value::Object(line));
        } else {
            return Err("a nested line of a refund must be a refund line item or a transaction");
        }
        Ok(())
    }
}

/// Puts orders together from the lines of a grouped bulk result, one order at a time.
fn group_orders(
    lines: impl Stream<Item = Result<Value, Error>> + Send + 'static,
) -> impl Stream<Item = Result<BulkOrder, Error>> + Send + 'static {
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
                let next = Assembling::new(line);
                if let Some(done) = st.current.replace(next) {
                    return Some((done.finish(), st));
                }
                continue;
            };
            let parent = parent.as_str().unwrap_or_default().to_owned();
            let filed = match st.current.as_mut() {
                Some(current) => current.add(&parent, line),
                None => Err("a nested line must follow its order (a query with groupObjects)"),
            };
            if let Err(rule) = filed {
                st.done = true;
                return Some((Err(bad(rule)), st));
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

    #[test]
    fn the_bulk_query_selects_whole_refunds_in_five_connections() {
        let q = bulk_orders_query(None, ("custom", "eta_buyer_id"));
        assert!(
            q.contains("refunds(first: 20) {\n    ...RefundFields\n  }"),
            "{q}"
        );
        assert!(q.contains("fragment RefundFields on Refund {"), "{q}");
        assert!(!q.contains("refundShippingLines"), "{q}");
        assert!(q.contains("  refundLineItems {\n"), "{q}");
        assert!(q.contains("  transactions {\n    nodes {"), "{q}");
        // The connections: orders, lineItems, shippingLines, refundLineItems, and the
        // refund's transactions (the order's `transactions` is a list).
        let connections = q.matches("edges {").count() + q.matches("nodes {").count();
        assert_eq!(connections, 5, "{q}");
        assert_eq!(q.matches('{').count(), q.matches('}').count(), "{q}");
    }

    fn money(amount: &str) -> Value {
        json!({"shopMoney": {"amount": amount, "currencyCode": "EGP"}})
    }

    /// An order line of the bulk result as the query selects it, with one refund.
    fn order_line(id: u64, refund: u64, shipping_refunded: &str) -> Value {
        let pair = json!({"shopMoney": {"amount": "100.00", "currencyCode": "EGP"},
                          "presentmentMoney": {"amount": "100.00", "currencyCode": "EGP"}});
        let mut order = json!({
            "id": format!("gid://shopify/Order/{id}"), "name": format!("#{id}"),
            "createdAt": "2026-01-01T10:00:00Z", "updatedAt": "2026-01-02T10:00:00Z",
            "processedAt": "2026-01-01T10:00:00Z", "cancelledAt": null, "cancelReason": null,
            "closedAt": null, "edited": false, "test": false, "email": null, "phone": null,
            "currencyCode": "EGP", "presentmentCurrencyCode": "EGP", "taxesIncluded": true,
            "taxExempt": false, "displayFinancialStatus": "PARTIALLY_REFUNDED",
            "displayFulfillmentStatus": "FULFILLED", "returnStatus": "NO_RETURN",
            "paymentGatewayNames": ["manual"], "discountCodes": [], "note": null, "tags": [],
            "sourceName": "web", "retailLocation": null
        });
        let amounts = json!({
            "subtotalPriceSet": money("100.00"), "totalDiscountsSet": money("0.00"),
            "totalShippingPriceSet": money("0.00"), "totalTaxSet": money("12.28"),
            "totalPriceSet": pair, "totalRefundedSet": money("50.00"),
            "totalRefundedShippingSet": money(shipping_refunded),
            "currentTotalPriceSet": money("50.00"), "taxLines": [], "customer": null,
            "customAttributes": [], "purchasingEntity": null, "billingAddress": null,
            "shippingAddress": null, "transactions": []
        });
        let refunds = json!({
            "refunds": [{
                "id": format!("gid://shopify/Refund/{refund}"), "createdAt": "2026-01-02T10:00:00Z",
                "processedAt": "2026-01-02T10:00:00Z", "note": null,
                "order": {"id": format!("gid://shopify/Order/{id}"), "name": format!("#{id}")},
                "totalRefundedSet": money("50.00")
            }]
        });
        let fields = order.as_object_mut().unwrap();
        for part in [amounts, refunds] {
            fields.extend(part.as_object().unwrap().clone());
        }
        order
    }

    #[tokio::test]
    async fn refund_lines_and_transactions_are_put_under_their_refund() {
        let lines = futures::stream::iter(vec![
            Ok(order_line(1, 7, "0.00")),
            Ok(
                json!({"id": "gid://shopify/RefundLineItem/8", "quantity": 1,
                      "restockType": "NO_RESTOCK",
                      "lineItem": {"id": "gid://shopify/LineItem/5", "sku": "A-RED"},
                      "priceSet": money("50.00"), "subtotalSet": money("43.86"),
                      "totalTaxSet": money("6.14"), "__parentId": "gid://shopify/Refund/7"}),
            ),
            Ok(
                json!({"id": "gid://shopify/LineItem/5", "sku": "A-RED", "name": "A", "title": "A",
                      "variantTitle": null, "quantity": 2, "currentQuantity": 1,
                      "taxable": true, "requiresShipping": true, "variant": null,
                      "originalUnitPriceSet": {"shopMoney": {"amount": "50.00", "currencyCode": "EGP"},
                                               "presentmentMoney": {"amount": "50.00", "currencyCode": "EGP"}},
                      "discountAllocations": [], "taxLines": [],
                      "__parentId": "gid://shopify/Order/1"}),
            ),
            Ok(
                json!({"id": "gid://shopify/OrderTransaction/9", "kind": "REFUND",
                      "status": "SUCCESS", "gateway": "manual", "amountSet": money("50.00"),
                      "__parentId": "gid://shopify/Refund/7"}),
            ),
            Ok(order_line(2, 10, "0.00")),
        ]);
        let out: Vec<_> = group_orders(lines).collect().await;
        assert_eq!(out.len(), 2);
        let first = out[0].as_ref().expect("the first order reads");
        assert_eq!(first.order.line_items.nodes.len(), 1);
        assert_eq!(first.refunds.len(), 1);
        let refund = &first.refunds[0];
        assert_eq!(refund.id, "gid://shopify/Refund/7");
        assert_eq!(refund.refund_line_items.nodes.len(), 1);
        assert_eq!(refund.transactions.nodes.len(), 1);
        assert!(refund.refund_shipping_lines.nodes.is_empty());
        let second = out[1].as_ref().expect("the second order reads");
        assert!(second.refunds[0].refund_line_items.nodes.is_empty());
    }

    #[tokio::test]
    async fn a_refund_line_of_another_order_is_refused() {
        let lines = futures::stream::iter(vec![
            Ok(order_line(1, 7, "0.00")),
            Ok(
                json!({"id": "gid://shopify/OrderTransaction/9", "__parentId": "gid://shopify/Refund/70"}),
            ),
        ]);
        let out: Vec<_> = group_orders(lines).collect().await;
        let err = out.into_iter().next().unwrap().unwrap_err().to_string();
        assert!(err.contains("must follow its order"), "{err}");
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
