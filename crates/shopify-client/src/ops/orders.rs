//! Orders: incremental pull by `updated_at`, one order by id, one refund by id.
//!
//! The pull asks for `orders(query: "updated_at:>='<since − overlap>'", sortKey: UPDATED_AT)`.
//! The overlap window re-reads orders updated just before the checkpoint, so a clock skew or
//! a write that landed while the previous pull ran is not missed; consumers dedupe by order
//! id and `updatedAt`. Without the `read_all_orders` scope Shopify shows only the last 60
//! days of orders.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::Stream;
use serde::Deserialize;

use crate::client::{Safety, ShopifyClient};
use crate::error::Error;
use crate::gid::{OrderGid, RefundGid};
use crate::queries::{
    self, order, order_changes, order_lines, order_returns, orders, refund, refund_shipping,
};

/// An order with everything the ERP and a tax receipt need: lines (SKU, quantities, prices,
/// discount allocations, tax lines), shipping lines with their tax, addresses, customer (with
/// tags, tax id and the configured buyer-id metafield), custom attributes, a B2B order's
/// purchasing company, transactions with gateways, statuses, cancellation, and refund
/// summaries. The amounts a receipt is built from carry both the shop's and the customer's
/// (presentment) currency.
pub type Order = orders::OrderFields;
/// An order's id and the time of its last change.
pub type OrderChange = order_changes::OrderChangesOrdersNodes;
/// A money amount in the shop's currency.
pub type MoneyBag = orders::MoneyFields;
/// A money amount in the shop's and the customer's (presentment) currencies.
pub type MoneyPair = orders::PairFields;
/// A refund with its lines, shipping refunds and transactions.
pub type Refund = refund::RefundFields;
/// A return of an order: its id, name, status, creation time and the items given in
/// exchange, each with the order lines Shopify added for it once processed.
pub type OrderReturn = order_returns::OrderReturnsOrderReturnsNodes;

/// A refunded shipping line, as [`Refund`] carries it.
pub type RefundShippingLine = refund::RefundFieldsRefundShippingLinesNodes;

/// Refunds whose shipping [`ShopifyClient::refund_shipping`] reads in one request, at most.
pub const REFUND_SHIPPING_IDS: usize = 50;

/// Returns read per order by [`ShopifyClient::order_returns`]; an order with more is refused.
pub const RETURNS_PER_ORDER: u32 = 10;
/// Exchange items read per return; a return with more is refused.
pub const EXCHANGE_LINES_PER_RETURN: u32 = 20;

/// Options of the incremental order pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPull {
    /// Orders per request (1..=250). Default 3. The requested cost grows with both numbers
    /// (about `page_size × (154 + 14 × lines)` points) and one query may cost at most 1,000.
    pub page_size: u32,
    /// Line items read per order in the first request (1..=250). Default 5, sized for the
    /// usual order (one to a few lines): Shopify admits a query on its requested cost, the
    /// worst case of this number, so a larger one makes every order wait for points it never
    /// spends. An order with more has `line_items.page_info.has_next_page` set;
    /// [`ShopifyClient::complete_order_lines`] reads the rest, [`LINES_PER_REQUEST`] at a
    /// time.
    pub lines: u32,
    /// How far before the checkpoint to start. Default 5 minutes.
    pub overlap: Duration,
}

impl Default for OrderPull {
    fn default() -> Self {
        OrderPull {
            page_size: 3,
            lines: 5,
            overlap: Duration::from_secs(300),
        }
    }
}

/// Refuses a count outside Shopify's 1..=250 per connection, naming the setting.
pub(crate) fn check_first(name: &str, value: u32) -> Result<(), Error> {
    if (1..=250).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            format!("must be between 1 and 250, got {value}"),
        ))
    }
}

/// The search filter for "updated at or after `since`".
pub fn updated_since_filter(since: DateTime<Utc>) -> String {
    format!(
        "updated_at:>='{}'",
        since.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

/// One page of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    /// The items.
    pub items: Vec<T>,
    /// Whether more pages follow.
    pub has_next_page: bool,
    /// The cursor to pass for the next page.
    pub end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct OrderLinesData {
    order: Option<OrderLinesOrder>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderLinesOrder {
    line_items: orders::OrderFieldsLineItems,
}

/// Line items read per request when completing a long order (about 14 requested cost points
/// each, with the amounts in both currencies: 32 request about 450 points, half of Shopify's
/// single-query ceiling, so a follow-up never waits for a whole bucket).
pub const LINES_PER_REQUEST: u32 = 32;

#[derive(Deserialize)]
struct OrderData {
    order: Option<Order>,
}

impl ShopifyClient {
    /// Reads one page of orders matching `query` (Shopify search syntax, e.g.
    /// [`updated_since_filter`]), sorted by `UPDATED_AT`, after `cursor`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a page size or line count outside 1..=250.
    pub async fn orders_page(
        &self,
        query: Option<String>,
        cursor: Option<String>,
        options: OrderPull,
    ) -> Result<Paged<Order>, Error> {
        check_first("page_size", options.page_size)?;
        check_first("lines", options.lines)?;
        let data: orders::ResponseData = self
            .run::<queries::Orders, _>(
                orders::Variables {
                    first: i64::from(options.page_size),
                    after: cursor,
                    query,
                    lines: i64::from(options.lines),
                    buyer_id_namespace: self.inner.buyer_id_metafield.0.clone(),
                    buyer_id_key: self.inner.buyer_id_metafield.1.clone(),
                },
                Safety::Repeatable,
            )
            .await?;
        Ok(paged!(data.orders))
    }

    /// Reads one page of the ids and change times of the orders matching `query` (as for
    /// [`orders_page`](Self::orders_page)), sorted by `UPDATED_AT`, after `cursor`,
    /// `page_size` per page (1..=250).
    ///
    /// At about one cost point per order, this is how to find out which orders changed before
    /// reading them whole (some 70 points each with their lines, taxes and transactions).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a page size outside 1..=250.
    pub async fn order_changes_page(
        &self,
        query: Option<String>,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Paged<OrderChange>, Error> {
        check_first("page_size", page_size)?;
        let data: order_changes::ResponseData = self
            .run::<queries::OrderChanges, _>(
                order_changes::Variables {
                    first: i64::from(page_size),
                    after: cursor,
                    query,
                },
                Safety::Repeatable,
            )
            .await?;
        Ok(paged!(data.orders))
    }

    /// How many orders match `query` (Shopify's search syntax; all orders for `None`), and
    /// whether that is exact. The query lifts Shopify's default bound of 10,000
    /// (`limit: null`), so a backfill's progress shows every order it will read; `false` only
    /// if Shopify estimates.
    ///
    /// # Errors
    ///
    /// Request errors; [`Error::JobFailed`] when the answer has no `ordersCount`.
    pub async fn orders_count(&self, query: Option<String>) -> Result<(u64, bool), Error> {
        let data: queries::orders_count::ResponseData = self
            .run::<queries::OrdersCount, _>(
                queries::orders_count::Variables { query },
                Safety::Repeatable,
            )
            .await?;
        let count = data
            .orders_count
            .ok_or_else(|| crate::ops::missing("OrdersCount", "ordersCount"))?;
        Ok((
            u64::try_from(count.count).unwrap_or(0),
            matches!(
                count.precision,
                queries::orders_count::CountPrecision::EXACT
            ),
        ))
    }

    /// Streams the orders updated since `since` (minus the overlap), oldest update first.
    pub fn orders_updated_since(
        &self,
        since: DateTime<Utc>,
        options: OrderPull,
    ) -> impl Stream<Item = Result<Order, Error>> + use<> {
        let start = since - chrono::Duration::from_std(options.overlap).unwrap_or_default();
        let query = updated_since_filter(start);
        let client = self.clone();
        self.paged("Orders", options.page_size, move |_first, after| {
            let client = client.clone();
            let query = query.clone();
            async move {
                let page = client.orders_page(Some(query), after, options).await?;
                Ok((page.items, page.has_next_page, page.end_cursor))
            }
        })
    }

    /// Reads one order by id (`gid://shopify/Order/…`) with up to `lines` line items;
    /// `None` when the shop has no such order.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for `lines` outside 1..=250 (the id is a checked
    /// [`Gid`](crate::gid::Gid)).
    pub async fn order(&self, id: &OrderGid, lines: u32) -> Result<Option<Order>, Error> {
        check_first("lines", lines)?;
        // `Order` selects the same fragment as `Orders`, so its data reads as the same type.
        let data: OrderData = self
            .run::<queries::Order, _>(
                order::Variables {
                    id: id.as_str().to_owned(),
                    lines: i64::from(lines),
                    buyer_id_namespace: self.inner.buyer_id_metafield.0.clone(),
                    buyer_id_key: self.inner.buyer_id_metafield.1.clone(),
                },
                Safety::Repeatable,
            )
            .await?;
        Ok(data.order)
    }

    /// Reads the rest of an order's line items when the pull stopped at its `lines` limit
    /// (`line_items.page_info.has_next_page`), [`LINES_PER_REQUEST`] per request, and
    /// appends them to `order`.
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when the order disappeared meanwhile; paging errors otherwise.
    pub async fn complete_order_lines(&self, order: &mut Order) -> Result<(), Error> {
        while order.line_items.page_info.has_next_page {
            let Some(cursor) = order.line_items.page_info.end_cursor.clone() else {
                return Err(sync_core::paging::PageError::MissingCursor.into());
            };
            // Same line selection as `Orders`, so the lines read as the same type.
            let data: OrderLinesData = self
                .run::<queries::OrderLines, _>(
                    order_lines::Variables {
                        id: order.id.clone(),
                        first: i64::from(LINES_PER_REQUEST),
                        after: Some(cursor),
                    },
                    Safety::Repeatable,
                )
                .await?;
            let more = data
                .order
                .ok_or_else(|| Error::JobFailed {
                    what: "order",
                    id: order.id.clone(),
                    status: "not found".into(),
                    detail: Some("it disappeared while its lines were read".into()),
                })?
                .line_items;
            order.line_items.nodes.extend(more.nodes);
            order.line_items.page_info = more.page_info;
        }
        Ok(())
    }

    /// Reads the returns of order `id` (at most [`RETURNS_PER_ORDER`], each with at most
    /// [`EXCHANGE_LINES_PER_RETURN`] items given in exchange): empty when the order has none or
    /// is gone. Read it for an order whose `returnStatus` is not `NO_RETURN`.
    ///
    /// The requested cost stays under 500 points (10 returns × 20 exchange items).
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when the order has more returns, or a return more exchange items,
    /// than are read (their lines could not be told apart from the sale's); request errors
    /// otherwise.
    pub async fn order_returns(&self, id: &OrderGid) -> Result<Vec<OrderReturn>, Error> {
        let data: order_returns::ResponseData = self
            .run::<queries::OrderReturns, _>(
                order_returns::Variables {
                    id: id.as_str().to_owned(),
                    first: i64::from(RETURNS_PER_ORDER),
                    exchange_lines: i64::from(EXCHANGE_LINES_PER_RETURN),
                },
                Safety::Repeatable,
            )
            .await?;
        let Some(order) = data.order else {
            return Ok(Vec::new());
        };
        let too_many = |detail: String| Error::JobFailed {
            what: "order returns",
            id: id.as_str().to_owned(),
            status: "too many to read".into(),
            detail: Some(detail),
        };
        if order.returns.page_info.has_next_page {
            return Err(too_many(format!(
                "more than {RETURNS_PER_ORDER} returns on the order"
            )));
        }
        if let Some(r) = order
            .returns
            .nodes
            .iter()
            .find(|r| r.exchange_line_items.page_info.has_next_page)
        {
            return Err(too_many(format!(
                "return {} gives more than {EXCHANGE_LINES_PER_RETURN} items in exchange",
                r.name
            )));
        }
        Ok(order.returns.nodes)
    }

    /// Reads one refund by id (`gid://shopify/Refund/…`) with its lines; `None` when absent.
    ///
    /// # Errors
    ///
    /// The failures of any call; the id is a checked [`Gid`](crate::gid::Gid).
    pub async fn refund(&self, id: &RefundGid) -> Result<Option<Refund>, Error> {
        let data: refund::ResponseData = self
            .run::<queries::Refund, _>(
                refund::Variables {
                    id: id.as_str().to_owned(),
                },
                Safety::Repeatable,
            )
            .await?;
        Ok(data.refund)
    }

    /// The refunded shipping lines of each refund of `ids` (at most
    /// [`REFUND_SHIPPING_IDS`]), by refund id, and nothing else of them: for refunds read
    /// without it (the orders' bulk query). A refund absent from the answer is not in the
    /// shop; one with more shipping lines than one request reads is left out too, so the
    /// caller reads it whole ([`refund`](Self::refund)).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming `ids` when there are more than [`REFUND_SHIPPING_IDS`]
    /// (nothing is sent); the failures of the call; [`Error::Decode`] for a line whose amounts
    /// do not read as [`Refund`]'s.
    pub async fn refund_shipping(
        &self,
        ids: &[RefundGid],
    ) -> Result<std::collections::HashMap<String, Vec<RefundShippingLine>>, Error> {
        if ids.len() > REFUND_SHIPPING_IDS {
            return Err(Error::invalid(
                "ids",
                format!(
                    "{} refunds in one request; at most {REFUND_SHIPPING_IDS}",
                    ids.len()
                ),
            ));
        }
        let data: refund_shipping::ResponseData = self
            .run::<queries::RefundShipping, _>(
                refund_shipping::Variables {
                    ids: ids.iter().map(|id| id.as_str().to_owned()).collect(),
                },
                Safety::Repeatable,
            )
            .await?;
        let mut out = std::collections::HashMap::new();
        for node in data.nodes.into_iter().flatten() {
            let refund_shipping::RefundShippingNodes::Refund(refund) = node else {
                continue;
            };
            if refund.refund_shipping_lines.page_info.has_next_page {
                continue;
            }
            // The same fields as `Refund`'s, in a type of their own (each query has its
            // types): carried over through their JSON form, which is the same.
            let json =
                serde_json::to_value(&refund.refund_shipping_lines.nodes).unwrap_or_default();
            let lines =
                serde_path_to_error::deserialize(&json).map_err(|source| Error::Decode {
                    operation: "RefundShipping".into(),
                    retry_safe: true,
                    source,
                    body: serde_json::to_vec(&json).unwrap_or_default().into(),
                })?;
            out.insert(refund.id, lines);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counts_lift_shopifys_bound_of_ten_thousand() {
        for document in [
            queries::orders_count::QUERY,
            queries::customers_count::QUERY,
        ] {
            assert!(document.contains("limit: null"), "{document}");
        }
    }

    #[test]
    fn the_filter_is_utc_with_seconds() {
        let t = DateTime::parse_from_rfc3339("2026-01-10T12:00:00.250+02:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            updated_since_filter(t),
            "updated_at:>='2026-01-10T10:00:00Z'"
        );
    }
}
