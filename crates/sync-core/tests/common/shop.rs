//! A storefront for tests of the reads: the memory storefront, counting what is read of it,
//! and told to be slow, busy or broken off where a test needs it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::{FutureExt, StreamExt, stream::BoxStream};
use sync_core::connector::{
    ConnectorError, ConnectorResult, CustomerStream, ExportedCustomer, ExportedOrder, OrderStream,
    StorefrontOrders,
};
use sync_core::engine::memory::MemoryStorefront;
use sync_core::model::{Change, Customer, CustomerId, Order, OrderId};
use sync_core::paging::Page;

/// The memory storefront, counting every read. Its exports come incomplete, as Shopify's
/// do, and [`completions`](Self::completions) counts the follow-up reads that complete them.
/// While [`busy`](Self::busy) is set it refuses to start an export (as Shopify while another
/// bulk query runs); while [`fail_after`](Self::fail_after) is set an export's stream breaks
/// off after that many records; with [`slow_reads`](Self::slow_reads) a record read whole
/// takes a moment (as Shopify's does), so two workers' passes overlap.
pub struct TestShop {
    inner: Arc<MemoryStorefront>,
    /// Order exports started.
    pub order_exports: AtomicU64,
    /// Customer exports started.
    pub customer_exports: AtomicU64,
    /// Refuse to start an export.
    pub busy: AtomicBool,
    /// Break an export's stream off after this many records.
    pub fail_after: Mutex<Option<usize>>,
    /// Exported records completed (read whole).
    pub completions: AtomicU64,
    /// When the first order was read whole.
    pub first_order_read: Mutex<Option<tokio::time::Instant>>,
    read_delay: Option<Duration>,
    order_change_pages: AtomicU64,
    orders_read: AtomicU64,
    customer_change_pages: AtomicU64,
    customers_read: AtomicU64,
}

impl TestShop {
    /// `inner`, counted.
    pub fn new(inner: Arc<MemoryStorefront>) -> Self {
        TestShop {
            inner,
            order_exports: AtomicU64::new(0),
            customer_exports: AtomicU64::new(0),
            busy: AtomicBool::new(false),
            fail_after: Mutex::new(None),
            completions: AtomicU64::new(0),
            first_order_read: Mutex::new(None),
            read_delay: None,
            order_change_pages: AtomicU64::new(0),
            orders_read: AtomicU64::new(0),
            customer_change_pages: AtomicU64::new(0),
            customers_read: AtomicU64::new(0),
        }
    }

    /// An export's stream breaks off after `n` records (until `fail_after` is cleared).
    pub fn broken_off_after(self, n: usize) -> Self {
        *self.fail_after.lock().unwrap() = Some(n);
        self
    }

    /// Each order or customer read whole takes `delay`.
    pub fn slow_reads(mut self, delay: Duration) -> Self {
        self.read_delay = Some(delay);
        self
    }

    /// (order change pages, orders read, customer change pages, customers read).
    pub fn reads(&self) -> (u64, u64, u64, u64) {
        (
            self.order_change_pages.load(Ordering::SeqCst),
            self.orders_read.load(Ordering::SeqCst),
            self.customer_change_pages.load(Ordering::SeqCst),
            self.customers_read.load(Ordering::SeqCst),
        )
    }

    async fn read_whole(&self) {
        if let Some(delay) = self.read_delay {
            tokio::time::sleep(delay).await;
        }
    }

    fn start(&self, exports: &AtomicU64) -> ConnectorResult<()> {
        if self.busy.load(Ordering::SeqCst) {
            return Err(ConnectorError::transient(
                "OPERATION_IN_PROGRESS: a bulk query already runs",
            ));
        }
        exports.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// `stream`, broken off after `fail_after` records while that is set.
    fn broken_off<'a, T: Send + 'a>(
        &self,
        stream: BoxStream<'a, ConnectorResult<T>>,
    ) -> BoxStream<'a, ConnectorResult<T>> {
        match *self.fail_after.lock().unwrap() {
            None => stream,
            Some(n) => stream
                .take(n)
                .chain(futures::stream::once(async {
                    Err(ConnectorError::transient("the export's download broke off"))
                }))
                .boxed(),
        }
    }
}

#[async_trait]
impl StorefrontOrders for TestShop {
    async fn orders_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Order, String>> {
        self.inner.orders_page(since, cursor).await
    }
    async fn order_changes_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change<OrderId>, String>> {
        self.order_change_pages.fetch_add(1, Ordering::SeqCst);
        self.inner.order_changes_page(since, cursor).await
    }
    async fn order(&self, id: &OrderId) -> ConnectorResult<Option<Order>> {
        self.orders_read.fetch_add(1, Ordering::SeqCst);
        self.first_order_read
            .lock()
            .unwrap()
            .get_or_insert_with(tokio::time::Instant::now);
        self.read_whole().await;
        self.inner.order(id).await
    }
    async fn customer_changes_page(
        &self,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change<CustomerId>, String>> {
        self.customer_change_pages.fetch_add(1, Ordering::SeqCst);
        self.inner.customer_changes_page(since, cursor).await
    }
    async fn customer(&self, id: &CustomerId) -> ConnectorResult<Option<Customer>> {
        self.customers_read.fetch_add(1, Ordering::SeqCst);
        self.read_whole().await;
        self.inner.customer(id).await
    }
    async fn count_order_changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        self.inner.count_order_changes(since).await
    }
    async fn start_order_export(&self, since: Option<DateTime<Utc>>) -> ConnectorResult<String> {
        self.start(&self.order_exports)?;
        self.inner.start_order_export(since).await
    }
    async fn order_export(
        &self,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<OrderStream<'_>>> {
        let Some(stream) = self.inner.order_export(id, since).await? else {
            return Ok(None);
        };
        let completions = &self.completions;
        let stream = stream
            .map(move |item| {
                item.map(|exported| {
                    let change = exported.change.clone();
                    let complete = async move {
                        completions.fetch_add(1, Ordering::SeqCst);
                        exported.complete().await
                    };
                    ExportedOrder::pending(change, complete.boxed())
                })
            })
            .boxed();
        Ok(Some(self.broken_off(stream)))
    }
    async fn count_customer_changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<u64>> {
        self.inner.count_customer_changes(since).await
    }
    async fn start_customer_export(&self, since: Option<DateTime<Utc>>) -> ConnectorResult<String> {
        self.start(&self.customer_exports)?;
        self.inner.start_customer_export(since).await
    }
    async fn customer_export(
        &self,
        id: &str,
        since: Option<DateTime<Utc>>,
    ) -> ConnectorResult<Option<CustomerStream<'_>>> {
        let Some(stream) = self.inner.customer_export(id, since).await? else {
            return Ok(None);
        };
        let completions = &self.completions;
        let stream = stream
            .map(move |item| {
                item.map(|exported| {
                    let change = exported.change.clone();
                    let complete = async move {
                        completions.fetch_add(1, Ordering::SeqCst);
                        exported.complete().await
                    };
                    ExportedCustomer::pending(change, complete.boxed())
                })
            })
            .boxed();
        Ok(Some(self.broken_off(stream)))
    }
}
