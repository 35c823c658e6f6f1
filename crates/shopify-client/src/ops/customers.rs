//! Customers: incremental pull by `updated_at` and one customer by id.

use chrono::{DateTime, Utc};
use futures::Stream;
use serde::Deserialize;

use crate::client::{Safety, ShopifyClient};
use crate::error::Error;
use crate::gid::CustomerGid;
use crate::ops::orders::{Paged, check_first, updated_since_filter};
use crate::queries::{self, customer, customer_changes, customers};

/// A customer: names, e-mail, phone, default address, state, tags, order count and spend.
pub type Customer = customers::CustomerFields;
/// A customer's id and the time of its last change.
pub type CustomerChange = customer_changes::CustomerChangesCustomersNodes;

#[derive(Deserialize)]
struct CustomerData {
    customer: Option<Customer>,
}

impl ShopifyClient {
    /// Reads one page of customers matching `query`, sorted by `UPDATED_AT`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a page size outside 1..=250.
    pub async fn customers_page(
        &self,
        query: Option<String>,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Paged<Customer>, Error> {
        check_first("page_size", page_size)?;
        let data: customers::ResponseData = self
            .run::<queries::Customers, _>(
                customers::Variables {
                    first: i64::from(page_size),
                    after: cursor,
                    query,
                },
                Safety::Repeatable,
            )
            .await?;
        Ok(paged!(data.customers))
    }

    /// Reads one page of the ids and change times of the customers matching `query`, sorted
    /// by `UPDATED_AT`, after `cursor`, `page_size` per page (1..=250): how to find out which
    /// customers changed before reading them whole.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a page size outside 1..=250.
    pub async fn customer_changes_page(
        &self,
        query: Option<String>,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Paged<CustomerChange>, Error> {
        check_first("page_size", page_size)?;
        let data: customer_changes::ResponseData = self
            .run::<queries::CustomerChanges, _>(
                customer_changes::Variables {
                    first: i64::from(page_size),
                    after: cursor,
                    query,
                },
                Safety::Repeatable,
            )
            .await?;
        Ok(paged!(data.customers))
    }

    /// Streams the customers updated since `since` (minus `overlap`), `page_size` per
    /// request (1..=250).
    pub fn customers_updated_since(
        &self,
        since: DateTime<Utc>,
        overlap: std::time::Duration,
        page_size: u32,
    ) -> impl Stream<Item = Result<Customer, Error>> + use<> {
        let start = since - chrono::Duration::from_std(overlap).unwrap_or_default();
        let query = updated_since_filter(start);
        let client = self.clone();
        self.paged("Customers", page_size, move |_first, after| {
            let client = client.clone();
            let query = query.clone();
            async move {
                let page = client.customers_page(Some(query), after, page_size).await?;
                Ok((page.items, page.has_next_page, page.end_cursor))
            }
        })
    }

    /// Reads one customer by id (`gid://shopify/Customer/…`); `None` when absent.
    ///
    /// # Errors
    ///
    /// The failures of any call; the id is a checked [`Gid`](crate::gid::Gid).
    pub async fn customer(&self, id: &CustomerGid) -> Result<Option<Customer>, Error> {
        let data: CustomerData = self
            .run::<queries::Customer, _>(
                customer::Variables {
                    id: id.as_str().to_owned(),
                },
                Safety::Repeatable,
            )
            .await?;
        Ok(data.customer)
    }
}
