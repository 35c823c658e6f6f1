//! A state store wrapper that fails on request, for crash and fault tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sync_core::model::StoreScope;
use sync_core::store::*;

/// A store that "crashes" (every call fails) after a given number of writes, can fail a given
/// number of `enqueue` calls (a transient failure), and records the largest answer of
/// `bindings_where`.
pub struct CrashingStore {
    pub inner: Arc<dyn StateStore>,
    pub writes_left: AtomicI64,
    pub largest_page: AtomicUsize,
    /// `enqueue` calls that fail (without crashing the store) before they succeed again.
    pub failing_enqueues: AtomicI64,
    /// `lease` calls that fail as a busy database would before they succeed again.
    pub busy_leases: AtomicI64,
}

impl CrashingStore {
    /// Over `inner`, crashing after `writes` writes.
    pub fn new(inner: Arc<dyn StateStore>, writes: i64) -> Self {
        CrashingStore {
            inner,
            writes_left: AtomicI64::new(writes),
            largest_page: AtomicUsize::new(0),
            failing_enqueues: AtomicI64::new(0),
            busy_leases: AtomicI64::new(0),
        }
    }
    fn write(&self) -> StoreResult<()> {
        if self.writes_left.fetch_sub(1, Ordering::SeqCst) <= 0 {
            return Err(StoreError::Database("simulated crash".into()));
        }
        Ok(())
    }
    fn alive(&self) -> StoreResult<()> {
        if self.writes_left.load(Ordering::SeqCst) <= 0 {
            return Err(StoreError::Database("simulated crash".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl StateStore for CrashingStore {
    async fn migrate(&self) -> StoreResult<()> {
        self.inner.migrate().await
    }
    async fn binding(&self, s: &StoreScope, k: &str, key: &str) -> StoreResult<Option<Binding>> {
        self.alive()?;
        self.inner.binding(s, k, key).await
    }
    async fn put_binding(&self, b: &Binding) -> StoreResult<()> {
        self.write()?;
        self.inner.put_binding(b).await
    }
    async fn bindings(&self, s: &StoreScope, k: &str) -> StoreResult<Vec<Binding>> {
        self.alive()?;
        self.inner.bindings(s, k).await
    }
    async fn bindings_where(
        &self,
        s: &StoreScope,
        k: &str,
        conditions: &[(&str, &[&str])],
        limit: usize,
    ) -> StoreResult<Vec<Binding>> {
        self.alive()?;
        let page = self.inner.bindings_where(s, k, conditions, limit).await?;
        self.largest_page.fetch_max(page.len(), Ordering::SeqCst);
        Ok(page)
    }
    async fn checkpoint(&self, s: &StoreScope, f: &str) -> StoreResult<Option<String>> {
        self.alive()?;
        self.inner.checkpoint(s, f).await
    }
    async fn set_checkpoint(&self, s: &StoreScope, f: &str, v: &str) -> StoreResult<()> {
        self.write()?;
        self.inner.set_checkpoint(s, f, v).await
    }
    async fn enqueue(&self, job: NewJob) -> StoreResult<(i64, bool)> {
        if self.failing_enqueues.fetch_sub(1, Ordering::SeqCst) > 0 {
            return Err(StoreError::Database("simulated enqueue failure".into()));
        }
        self.write()?;
        self.inner.enqueue(job).await
    }
    async fn lease(
        &self,
        w: &str,
        l: usize,
        d: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Job>> {
        if self.busy_leases.fetch_sub(1, Ordering::SeqCst) > 0 {
            return Err(StoreError::Unavailable("simulated busy database".into()));
        }
        self.write()?;
        self.inner.lease(w, l, d, now).await
    }
    async fn lease_next(
        &self,
        w: &str,
        resource: &str,
        after: i64,
        d: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        self.write()?;
        self.inner.lease_next(w, resource, after, d, now).await
    }
    async fn mark_started(&self, id: i64, w: &str) -> StoreResult<()> {
        self.write()?;
        self.inner.mark_started(id, w).await
    }
    async fn complete(&self, id: i64, w: &str, r: serde_json::Value) -> StoreResult<()> {
        self.write()?;
        self.inner.complete(id, w, r).await
    }
    async fn fail(&self, id: i64, w: &str, f: JobFailure) -> StoreResult<()> {
        self.write()?;
        self.inner.fail(id, w, f).await
    }
    async fn job(&self, id: i64) -> StoreResult<Option<Job>> {
        self.alive()?;
        self.inner.job(id).await
    }
    async fn job_by_key(&self, s: &StoreScope, k: &str, key: &str) -> StoreResult<Option<Job>> {
        self.alive()?;
        self.inner.job_by_key(s, k, key).await
    }
    async fn jobs(&self, s: &StoreScope, st: Option<JobState>) -> StoreResult<Vec<Job>> {
        self.alive()?;
        self.inner.jobs(s, st).await
    }
    async fn replay(&self, id: Option<i64>) -> StoreResult<u64> {
        self.write()?;
        self.inner.replay(id).await
    }
    async fn unpark(&self, m: &str) -> StoreResult<u64> {
        self.write()?;
        self.inner.unpark(m).await
    }
    async fn wake(&self, s: &StoreScope, on: &str) -> StoreResult<u64> {
        self.write()?;
        self.inner.wake(s, on).await
    }
    async fn queue_depth(&self) -> StoreResult<std::collections::HashMap<JobState, u64>> {
        self.alive()?;
        self.inner.queue_depth().await
    }
    async fn claim(
        &self,
        s: &StoreScope,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.write()?;
        self.inner.claim(s, name, holder, until, now).await
    }
    async fn release(&self, s: &StoreScope, name: &str, holder: &str) -> StoreResult<()> {
        self.write()?;
        self.inner.release(s, name, holder).await
    }
    async fn record_event(&self, s: &StoreScope, e: &str) -> StoreResult<bool> {
        self.write()?;
        self.inner.record_event(s, e).await
    }
    async fn chain_head(&self, d: &str) -> StoreResult<Option<String>> {
        self.alive()?;
        self.inner.chain_head(d).await
    }
    async fn advance_chain(&self, d: &str, e: &str, n: &str, b: &Binding) -> StoreResult<bool> {
        self.write()?;
        self.inner.advance_chain(d, e, n, b).await
    }
    async fn audit(&self, e: &AuditEntry) -> StoreResult<()> {
        self.alive()?;
        self.inner.audit(e).await
    }
    async fn prune_audit(&self, b: DateTime<Utc>) -> StoreResult<u64> {
        self.alive()?;
        self.inner.prune_audit(b).await
    }
    async fn prune_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.write()?;
        self.inner.prune_jobs(before).await
    }
    async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.write()?;
        self.inner.prune_events(before).await
    }
}
