//! The job runtime: queue, lease, run, classify failures, dead letters, bindings and audit.
//!
//! It knows no flow. A job's payload is a [`Task`]: something that names its [`JobKind`] and
//! runs itself against the engine. The runtime stores tasks under their idempotency key,
//! leases them (one job per resource at a time), marks them started before their remote
//! effect, and turns what they return into the job's outcome: completed, retried with
//! back-off, parked on a missing mapping, or a dead letter with its reason.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use std::panic::AssertUnwindSafe;

use futures::{FutureExt, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::base::{Engine, EngineError, Summary};
use super::kinds::{BindingKind, JobKind};
use crate::connector::ConnectorError;
use crate::error::{Classify, ErrorKind, System};
use crate::model::ErpDocumentRef;
use crate::store::{AuditEntry, Binding, Direction, Job, JobFailure, NewJob, StoreError};

/// How many resources a drain runs at once.
const SLOTS: usize = 8;

/// The ids of the jobs a drain holds (a poisoned lock still holds them: the set is only
/// inserted into and removed from).
fn held(in_flight: &std::sync::Mutex<HashSet<i64>>) -> std::sync::MutexGuard<'_, HashSet<i64>> {
    in_flight
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Adds a finished resource's summary to the drain's, or keeps its error (the first one).
///
/// A lease lost is not an error of the drain: the job's lease ran out before this worker
/// marked or finished it (a loaded machine, a job that waited for a slot) and another worker
/// took it. That worker runs it; a job marked started is looked up before its effect is made
/// again, so leaving it is safe.
fn settle(
    summary: &mut Summary,
    failed: &mut Option<EngineError>,
    result: Result<Summary, EngineError>,
) {
    match result {
        Ok(done) => summary.add(&done),
        Err(EngineError::Store(StoreError::LeaseLost(job))) => {
            tracing::warn!(
                job,
                "the job's lease ran out and another worker took it over"
            );
            metrics::counter!("sync_leases_lost_total").increment(1);
        }
        Err(e) => {
            failed.get_or_insert(e);
        }
    }
}

/// A job's work: stored as its payload, run by the runtime.
#[async_trait::async_trait]
pub(crate) trait Task: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The job kind (the store keeps its text form).
    fn kind(&self) -> JobKind;
    /// Runs the work for `job` (marking it started before any remote effect).
    async fn execute(self, engine: &Engine, job: &Job) -> JobResult;
}

/// The error a job ends with, or a request to come back later without counting a failure.
#[derive(Debug)]
pub(crate) enum JobError {
    Connector(ConnectorError),
    Store(StoreError),
    /// Not ready yet (a dependency is missing): retry after the wait, no attempt counted as
    /// failed against the limit.
    NotYet(&'static str),
    /// Waiting for another party that will answer in time (the tax authority's verdict, a
    /// sale's verdict before its return): run again at `at`. Never counted as an attempt,
    /// never a dead letter: the job stays stored, so a crash loses no wait.
    Wait {
        /// Why, for the job's last error.
        why: String,
        /// When to run again.
        at: chrono::DateTime<chrono::Utc>,
        /// The event that ends the wait early ([`StateStore::wake`](crate::store::StateStore::wake)
        /// with this name), if there is one.
        on: Option<String>,
    },
}

impl From<ConnectorError> for JobError {
    fn from(e: ConnectorError) -> Self {
        JobError::Connector(e)
    }
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Store(e)
    }
}

impl From<EngineError> for JobError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Store(s) => JobError::Store(s),
            EngineError::Source { source, .. } => JobError::Connector(source),
        }
    }
}

/// What a job returns: its result (stored on the job) and what it did.
pub(crate) type JobResult = Result<(Value, Summary), JobError>;

/// A job result that did `summary` and stores `result`.
pub(crate) fn done(result: Value, summary: Summary) -> JobResult {
    Ok((result, summary))
}

impl Engine {
    /// Enqueues `work` with idempotency key `key` on serialisation key `resource`. Returns
    /// whether a new job was stored (`false`: one with this key exists already).
    pub(crate) async fn enqueue<W: Task>(
        &self,
        work: &W,
        key: String,
        resource: String,
    ) -> Result<bool, EngineError> {
        let kind = work.kind();
        let payload = serde_json::to_value(work).unwrap_or(Value::Null);
        let (_, created) = self
            .store
            .enqueue(NewJob {
                scope: self.config.scope.clone(),
                kind: kind.as_str().to_owned(),
                key,
                resource,
                payload,
            })
            .await?;
        if created {
            metrics::counter!("sync_jobs_enqueued_total", "kind" => kind.as_str()).increment(1);
        }
        Ok(created)
    }

    /// Runs jobs of payload type `W` until none is runnable; with `wait`, waits for retries
    /// due within the drain timeout (without, returns as soon as nothing is runnable now).
    ///
    /// Up to [`SLOTS`] resources run at once, and a slot is refilled as soon as it frees:
    /// a resource that runs long (a device's receipt chain, up to its budget) holds one slot
    /// while the others go on turning over, instead of the whole batch waiting for it. Jobs
    /// are leased `batch` at a time into a local queue (a lease reads every runnable head, so
    /// one lease a job would cost more than the jobs) and started from it as slots free.
    pub(crate) async fn drain_tasks<W: Task>(&self, wait: bool) -> Result<Summary, EngineError> {
        let mut summary = Summary::default();
        let started = tokio::time::Instant::now();
        let mut leased: std::collections::VecDeque<Job> = std::collections::VecDeque::new();
        // The jobs this drain holds, running. A job whose lease ran out while it waited or
        // ran looks free to the store, and the next lease would hand it to this same worker a
        // second time, to run beside the first: such a job is left to the run in hand.
        let in_flight: std::sync::Mutex<HashSet<i64>> = std::sync::Mutex::new(HashSet::new());
        let mut running = futures::stream::FuturesUnordered::new();
        // The first error ends the drain once what is leased has run (its jobs would
        // otherwise wait for their leases to run out).
        let mut failed: Option<EngineError> = None;
        loop {
            if leased.is_empty() && running.len() < SLOTS && failed.is_none() {
                // The running jobs are driven while the lease waits: one of them may hold a
                // store connection the lease needs.
                let lease = self.store.lease(
                    &self.config.worker,
                    self.config.batch,
                    self.config.lease,
                    self.now(),
                );
                tokio::pin!(lease);
                let jobs = loop {
                    tokio::select! {
                        jobs = &mut lease => break jobs,
                        Some(result) = running.next(), if !running.is_empty() => {
                            settle(&mut summary, &mut failed, result);
                        }
                    }
                };
                match jobs {
                    Ok(jobs) => {
                        for job in jobs {
                            // The local queue is empty here (a lease is taken only then):
                            // only the running jobs can be held twice.
                            let held = held(&in_flight).contains(&job.id);
                            if !held {
                                leased.push_back(job);
                            } else {
                                tracing::warn!(
                                    job = job.id,
                                    resource = %job.resource,
                                    "leased again while this worker still holds it (its lease \
                                     ran out): left to the run in hand"
                                );
                            }
                        }
                    }
                    Err(e) => settle(&mut summary, &mut failed, Err(e.into())),
                }
            }
            while running.len() < SLOTS
                && let Some(job) = leased.pop_front()
            {
                // Noted now, not when the run is first polled: a lease may come in between.
                held(&in_flight).insert(job.id);
                running.push(self.run_resource::<W>(job, &in_flight));
            }
            if let Some(result) = running.next().await {
                settle(&mut summary, &mut failed, result);
                continue;
            }
            // Nothing running and nothing leased.
            if let Some(e) = failed {
                return Err(e);
            }
            if !wait {
                break;
            }
            // Only the time of the next due job: loading the waiting jobs themselves made
            // every wait cost a read of the whole queue.
            let next_due = self.store.next_due(&self.config.scope).await?;
            let Some(next_due) = next_due else { break };
            let reopens = self.lock_outages().values().map(|r| r.retry_at).min();
            // A store keeps times to the millisecond (or less): a job set to wait for the
            // breaker may read back a hair before it.
            let slack = chrono::Duration::seconds(1);
            if reopens.is_some_and(|reopens| next_due + slack >= reopens) {
                // Nothing is due before a breaker reopens: what is left waits for a system
                // (or a device) that is down, and that waits for the next pass, not for
                // this drain. Work of the systems that answer (a job waiting a moment for
                // a claim, a receipt for its chain) is still due first and runs.
                break;
            }
            let left = self.config.drain_timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                tracing::info!("drain timeout: leaving jobs for the next pass");
                break;
            }
            if (next_due - self.now())
                .to_std()
                .is_ok_and(|wait| wait > left)
            {
                // The next job is due after the drain would end (a long back-off, a
                // receipt's verdict read minutes later): not worth waiting for.
                tracing::info!(%next_due, "next job due after the drain timeout: leaving it for a later pass");
                break;
            }
            let wait = (next_due - self.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(Duration::from_millis(5), Duration::from_secs(1));
            self.clock.sleep(wait).await;
        }
        Ok(summary)
    }

    /// Runs `job`, then goes on with the next runnable jobs of its resource (up to a budget,
    /// so other resources get their turn at the next lease).
    async fn run_resource<W: Task>(
        &self,
        job: Job,
        in_flight: &std::sync::Mutex<HashSet<i64>>,
    ) -> Result<Summary, EngineError> {
        const BUDGET: usize = 256;
        let resource = job.resource.clone();
        let mut summary = Summary::default();
        let mut job = job;
        for turn in 0..=BUDGET {
            let then = (turn < BUDGET).then_some(resource.as_str());
            let (done, next) = self.run_held::<W>(job, in_flight, then).await?;
            summary.add(&done);
            let Some(next) = next else { break };
            job = next;
        }
        Ok(summary)
    }

    /// Runs `job`, noted in `in_flight` while it runs and until its outcome is stored; then,
    /// with `then`, leases the next job of that resource ([`StateStore::lease_next`]), in
    /// the same write as the job's completion when it succeeded.
    ///
    /// [`StateStore::lease_next`]: crate::store::StateStore::lease_next
    async fn run_held<W: Task>(
        &self,
        job: Job,
        in_flight: &std::sync::Mutex<HashSet<i64>>,
        then: Option<&str>,
    ) -> Result<(Summary, Option<Job>), EngineError> {
        let (id, kind) = (job.id, job.kind.clone());
        held(in_flight).insert(id);
        let result = match self.run_job::<W>(job).await {
            Ok((summary, Some(result))) => self
                .complete(id, &kind, result, then)
                .await
                .map(|next| (summary, next)),
            Ok((summary, None)) => match then {
                Some(resource) => self
                    .store
                    .lease_next(
                        &self.config.worker,
                        resource,
                        id,
                        self.config.lease,
                        self.now(),
                    )
                    .await
                    .map(|next| (summary, next))
                    .map_err(EngineError::from),
                None => Ok((summary, None)),
            },
            Err(e) => Err(e),
        };
        held(in_flight).remove(&id);
        result
    }

    /// Marks job `id` (of `kind`) done with `result` and, with `then`, leases the next job of
    /// that resource in the same write. A lease lost before the completion is not an error:
    /// the worker that took the job over looks its effect up and completes it.
    async fn complete(
        &self,
        id: i64,
        kind: &str,
        result: Value,
        then: Option<&str>,
    ) -> Result<Option<Job>, EngineError> {
        let worker = &self.config.worker;
        let stored = match then {
            Some(resource) => {
                self.store
                    .complete_and_lease_next(
                        id,
                        worker,
                        result,
                        resource,
                        self.config.lease,
                        self.now(),
                    )
                    .await
            }
            None => self.store.complete(id, worker, result).await.map(|()| None),
        };
        match stored {
            Ok(next) => {
                // With `sync_jobs_enqueued_total`, the progress of a long backfill,
                // re-upload or catalogue push in `/metrics` (finished of known, and their
                // rate), as the CLI shows it on the terminal.
                metrics::counter!("sync_jobs_completed_total", "kind" => kind.to_owned())
                    .increment(1);
                Ok(next)
            }
            Err(StoreError::LeaseLost(id)) => {
                tracing::warn!(
                    id,
                    "lease lost before completion; the other worker will look the effect up"
                );
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs `job` and stores how it failed, if it did; a job that succeeded is returned with
    /// its result, for [`complete`](Self::complete).
    async fn run_job<W: Task>(&self, job: Job) -> Result<(Summary, Option<Value>), EngineError> {
        let span = tracing::info_span!("job", id = job.id, kind = %job.kind, key = %job.key);
        let _guard = span.enter();
        let system = job.kind.parse::<JobKind>().ok().map(JobKind::system);
        let device = device_of(&job, system);
        if let Some(until) = system.and_then(|s| self.down_until(s, device)) {
            // Its system is down: the job waits for the breaker, no attempt counted.
            self.store
                .fail(
                    job.id,
                    &self.config.worker,
                    JobFailure::Retry {
                        at: until,
                        error: format!("waiting: {} is down", system.map_or("", System::as_str)),
                    },
                )
                .await?;
            return Ok((Summary::default(), None));
        }
        let work: W = match serde_json::from_value(job.payload.clone()) {
            Ok(work) => work,
            Err(e) => {
                self.store
                    .fail(
                        job.id,
                        &self.config.worker,
                        JobFailure::Dead {
                            reason: format!("unreadable job payload: {e}"),
                        },
                    )
                    .await?;
                return Ok((
                    Summary {
                        dead_letters: 1,
                        ..Summary::default()
                    },
                    None,
                ));
            }
        };
        drop(_guard);
        // A panic in one job (a connector bug, a record nobody foresaw) is that job's dead
        // letter, with the panic's message; the drain and the daemon go on.
        let outcome = match AssertUnwindSafe(work.execute(self, &job))
            .catch_unwind()
            .await
        {
            Ok(outcome) => outcome,
            Err(panic) => {
                let reason = format!("the job panicked: {}", panic_message(panic.as_ref()));
                tracing::error!(job = job.id, kind = %job.kind, %reason, "job panicked");
                metrics::counter!("sync_job_failures_total", "kind" => job.kind.clone())
                    .increment(1);
                self.store
                    .fail(job.id, &self.config.worker, JobFailure::Dead { reason })
                    .await?;
                return Ok((
                    Summary {
                        dead_letters: 1,
                        ..Summary::default()
                    },
                    None,
                ));
            }
        };
        let mut summary = Summary::default();
        match outcome {
            Ok((result, done)) => {
                summary.add(&done);
                match (system, device) {
                    (Some(system), Some(device)) => self.device_up(system, device),
                    (Some(system), None) => self.system_up(system),
                    _ => {}
                }
                return Ok((summary, Some(result)));
            }
            Err(JobError::NotYet(why)) => {
                // Count the wait as an attempt, so a dependency that never arrives ends as a
                // dead letter instead of spinning.
                self.store.mark_started(job.id, &self.config.worker).await?;
                let failure = if job.attempts + 1 >= self.config.max_attempts {
                    summary.dead_letters += 1;
                    JobFailure::Dead {
                        reason: format!("{why} (gave up after {} attempts)", job.attempts + 1),
                    }
                } else {
                    let wait =
                        Duration::from_millis(50) * 2u32.saturating_pow(job.attempts.min(10));
                    JobFailure::Retry {
                        at: self.now()
                            + chrono::Duration::from_std(wait.min(Duration::from_secs(30)))
                                .unwrap_or_default(),
                        error: why.to_owned(),
                    }
                };
                self.store
                    .fail(job.id, &self.config.worker, failure)
                    .await?;
            }
            Err(JobError::Wait { why, at, on }) => match on {
                Some(on) => self.wait_for(&job, at, on, why).await?,
                None => {
                    self.store
                        .fail(
                            job.id,
                            &self.config.worker,
                            JobFailure::Retry { at, error: why },
                        )
                        .await?;
                }
            },
            Err(JobError::Store(e)) => return Err(e.into()),
            Err(JobError::Connector(error)) => {
                let failure = self.failure_for(&job, &error);
                match &failure {
                    JobFailure::Retry { .. } | JobFailure::Wait { .. } => summary.retries += 1,
                    JobFailure::Dead { .. } => summary.dead_letters += 1,
                    JobFailure::Park { .. } => summary.parked += 1,
                }
                tracing::info!(job = job.id, kind = %job.kind, ?failure, "job failed");
                metrics::counter!("sync_job_failures_total", "kind" => job.kind.clone())
                    .increment(1);
                self.store
                    .fail(job.id, &self.config.worker, failure)
                    .await?;
            }
        }
        Ok((summary, None))
    }

    fn failure_for(&self, job: &Job, error: &ConnectorError) -> JobFailure {
        if let Some(outage) = error.outage() {
            // Not this job's failure: the whole system is down. The job waits, however many
            // attempts it has had, and never becomes a dead letter for it.
            let reason = error_chain(error);
            let device = device_of(job, Some(outage.system));
            let at = self.record_outage_of(outage, device, reason.clone());
            return JobFailure::Retry { at, error: reason };
        }
        if let Some(mapping) = error.mapping() {
            return JobFailure::Park {
                mapping: mapping.to_owned(),
                reason: error.to_string(),
            };
        }
        let reason = error_chain(error);
        if error.kind() == ErrorKind::Client && !error.is_uncertain() {
            return JobFailure::Dead { reason };
        }
        if job.attempts >= self.config.max_attempts {
            return JobFailure::Dead {
                reason: format!("gave up after {} attempts: {reason}", job.attempts),
            };
        }
        let backoff = error.retry_after().unwrap_or_else(|| {
            let step = Duration::from_millis(100) * 2u32.saturating_pow(job.attempts.min(10));
            step.min(Duration::from_secs(60))
        });
        let at = self.now() + chrono::Duration::from_std(backoff).unwrap_or_default();
        JobFailure::Retry { at, error: reason }
    }

    /// Marks `job` started: from here on a retry looks its effect up before writing again.
    pub(crate) async fn mark_started(&self, job: &Job) -> Result<(), StoreError> {
        self.store.mark_started(job.id, &self.config.worker).await
    }

    /// Sets `job` waiting for the event `on` until `at` ([`JobFailure::Wait`]). An event that
    /// came while the job looked (its wake found the job running, not waiting) leaves it due
    /// at once: the store remembers the wake ([`StateStore::fail`]).
    ///
    /// [`StateStore::fail`]: crate::store::StateStore::fail
    pub(crate) async fn wait_for(
        &self,
        job: &Job,
        at: chrono::DateTime<chrono::Utc>,
        on: String,
        why: String,
    ) -> Result<(), StoreError> {
        self.store
            .fail(
                job.id,
                &self.config.worker,
                JobFailure::Wait { at, on, why },
            )
            .await
    }

    /// The binding of `kind` under `key` (an id's text) in this engine's scope.
    pub(crate) async fn binding(
        &self,
        kind: BindingKind,
        key: &(impl AsRef<str> + ?Sized),
    ) -> Result<Option<Binding>, StoreError> {
        self.store
            .binding(&self.config.scope, kind.as_str(), key.as_ref())
            .await
    }

    /// Every binding of `kind` in this engine's scope.
    pub(crate) async fn bindings(&self, kind: BindingKind) -> Result<Vec<Binding>, StoreError> {
        self.store.bindings(&self.config.scope, kind.as_str()).await
    }

    /// Every binding of `kind`, by key.
    pub(crate) async fn bindings_by_key(
        &self,
        kind: BindingKind,
    ) -> Result<HashMap<String, Binding>, StoreError> {
        Ok(self
            .bindings(kind)
            .await?
            .into_iter()
            .map(|b| (b.key.clone(), b))
            .collect())
    }

    /// Stores the binding of `kind` under `key`. The store keeps both ids as their text.
    pub(crate) async fn bind(
        &self,
        kind: BindingKind,
        key: &(impl AsRef<str> + ?Sized),
        remote_id: &(impl AsRef<str> + ?Sized),
        hash: Option<String>,
        data: Value,
    ) -> Result<(), StoreError> {
        self.store
            .put_binding(&Binding {
                scope: self.config.scope.clone(),
                kind: kind.as_str().to_owned(),
                key: key.as_ref().to_owned(),
                remote_id: remote_id.as_ref().to_owned(),
                content_hash: hash,
                data,
                updated_at: self.now(),
            })
            .await
    }

    /// The audit entry of `payload` in this engine's scope.
    fn audit_entry(
        &self,
        direction: Direction,
        system: &str,
        kind: &str,
        key: &str,
        payload: Value,
    ) -> AuditEntry {
        AuditEntry {
            scope: self.config.scope.clone(),
            direction,
            system: system.to_owned(),
            kind: kind.to_owned(),
            key: key.to_owned(),
            payload,
        }
    }

    /// Records an audit entry; a failure to record is logged, never fatal.
    pub(crate) async fn audit(
        &self,
        direction: Direction,
        system: &str,
        kind: BindingKind,
        key: &(impl AsRef<str> + ?Sized),
        payload: Value,
    ) {
        let entry = self.audit_entry(direction, system, kind.as_str(), key.as_ref(), payload);
        if let Err(e) = self.store.audit(&entry).await {
            tracing::warn!(error = %e, "audit write failed");
        }
    }

    /// Moves `device`'s receipt chain head from `expected` to the receipt of `binding` (its
    /// `remote_id`) and stores `binding`, with the audit entry of the receipt sent to the tax
    /// authority (`payload`) in the same write; `false`, and nothing stored, when the head
    /// is not `expected`.
    pub(crate) async fn advance_chain(
        &self,
        device: &str,
        expected: &str,
        binding: &Binding,
        payload: Value,
    ) -> Result<bool, StoreError> {
        let entry = self.audit_entry(
            Direction::Outbound,
            "tax",
            &binding.kind,
            &binding.key,
            payload,
        );
        self.store
            .advance_chain_audited(device, expected, &binding.remote_id, binding, &entry)
            .await
    }

    /// Drops audit entries, finished jobs and webhook event ids older than their retention,
    /// and reports the queue's gauges.
    pub(crate) async fn housekeeping(&self) -> Result<(), EngineError> {
        let cut = |retention: Duration| {
            chrono::Duration::from_std(retention)
                .ok()
                .and_then(|r| self.now().checked_sub_signed(r))
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
        };
        self.store
            .prune_audit(cut(self.config.audit_retention))
            .await?;
        self.store
            .prune_jobs(cut(self.config.job_retention))
            .await?;
        self.store
            .prune_events(cut(self.config.event_retention))
            .await?;
        let depth = self.store.queue_depth().await?;
        for (state, count) in depth {
            metrics::gauge!("sync_jobs", "state" => state.as_str()).set(count as f64);
        }
        Ok(())
    }
}

/// The text of a panic's payload (a `&str` or a `String`, as `panic!` makes them).
/// The tax device a job works for, from its resource (`chain:`, `submit:` or `poll:` and the
/// device), when it is a tax authority job: its failures open that device's breaker only.
fn device_of(job: &Job, system: Option<System>) -> Option<&str> {
    if system != Some(System::TaxAuthority) {
        return None;
    }
    let (prefix, device) = job.resource.split_once(':')?;
    matches!(prefix, "chain" | "submit" | "poll").then_some(device)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// The ERP document a binding records (`operation` and `number` in its data).
pub(crate) fn document_of(binding: &Binding) -> Result<ErpDocumentRef, JobError> {
    let operation = binding.data.get("operation").and_then(Value::as_str);
    let number = binding.data.get("number").and_then(Value::as_str);
    match (operation, number) {
        (Some(operation), Some(number)) => Ok(ErpDocumentRef {
            operation: operation.to_owned(),
            number: number.into(),
        }),
        _ => Err(ConnectorError::permanent(format!(
            "binding {} has no document reference",
            binding.key
        ))
        .into()),
    }
}

/// The error and its causes in one line, cut to a readable length (a batch refusal can name
/// hundreds of items).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    const MAX: usize = 1_000;
    let text = full_chain(error);
    if text.len() <= MAX {
        return text;
    }
    let mut cut = MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} more bytes)", &text[..cut], text.len() - cut)
}

fn full_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
