//! The state store: bindings, checkpoints, jobs, dead letters, webhook events, receipt chains
//! and the audit log.
//!
//! One trait, [`StateStore`], and two backends behind features: SQLite (`sqlite`, the default:
//! one file, zero set-up, WAL) and PostgreSQL (`postgres`: several workers on several machines
//! share jobs through leases taken with `FOR UPDATE SKIP LOCKED`). Both pass the same test
//! suite. Schema migrations ship with the crate and run on [`StateStore::migrate`].
//!
//! # Jobs and exactly-once effects
//!
//! Every outbound write is a [`Job`] with a deterministic key (unique per scope and kind), so
//! enqueuing the same work twice yields one job. A worker leases jobs, calls
//! [`StateStore::mark_started`] *before* the remote call and [`StateStore::complete`] after
//! it. A job found with `started == true` after a crash may have taken effect: the engine
//! looks it up remotely before calling again. Leases never hand out two jobs with the same
//! `resource` at once, so two workers never write the same order or receipt chain together.
//!
//! # Choosing a backend
//!
//! | | `SqliteStore` (feature `sqlite`, default) | `PostgresStore` (feature `postgres`) |
//! |---|---|---|
//! | set-up | none: one file, created on first open (or memory) | a server and an empty database |
//! | workers | one machine: the tasks of one process, or a few processes on one local file | any number, on any number of machines |
//! | leases | one `BEGIN IMMEDIATE` transaction (the file's write lock) | `FOR UPDATE SKIP LOCKED`, plus a non-blocking advisory lock per resource |
//! | receipt chains | compare-and-set under the write lock | compare-and-set under a row lock (`SELECT … FOR UPDATE`) |
//! | open with | `SqliteStore::open("state.db")`, `SqliteStore::in_memory()` | `PostgresStore::connect("postgres://…")` |
//!
//! Start with SQLite: a single connector process on one machine needs nothing else, and WAL
//! mode keeps reads from blocking the writer. Keep the file on a local disk (not a network
//! share, where SQLite's locks are unreliable). Move to PostgreSQL when workers run on more
//! than one machine, or when the state should live in a managed, backed-up database. The two
//! behave the same: both pass `testing::store_suite` (feature `test-util`), which any other
//! implementation of [`StateStore`] should run too.
//!
//! Common to both backends:
//!
//! - Call [`StateStore::migrate`] once at start-up; it is idempotent and safe to run from
//!   several workers at once. Applied migrations are recorded in the table
//!   `sync_core_migrations`, so an application's own sqlx migrations can share the database.
//! - Timestamps are UTC with microsecond precision; JSON (payloads, binding data, results) is
//!   kept as the exact text serialised, key order included.
//! - A job's `resource` is global, not per scope: two scopes that must not run together can
//!   share a resource, and scopes that may should include the scope in it.
//! - A job that is enqueued, replayed or unparked is due at once: its `run_after` is the Unix
//!   epoch, so leasing with an injected clock (any `now`) finds it.
//! - [`StateStore::replay`] of an unknown id is [`StoreError::NoSuchJob`]; of a job that is
//!   neither dead nor parked, `Ok(0)`. Replaying keeps `started` and `attempts`.
//! - [`StateStore::mark_started`], [`StateStore::complete`] and [`StateStore::fail`] of a job
//!   that exists but is not running under `worker`'s lease are [`StoreError::LeaseLost`].
//! - [`StateStore::queue_depth`] names every [`JobState`], with zero for empty ones.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::StoreScope;

/// A link between an entity on one side and its counterpart on the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    /// The scope (store) it belongs to.
    pub scope: StoreScope,
    /// What is bound: `product`, `variant`, `customer`, `order`, `refund`, `receipt`, ….
    pub kind: String,
    /// The source-side key (ERP item group code, storefront order id, …).
    pub key: String,
    /// The other side's id (storefront product id, ERP document number, receipt uuid, …).
    pub remote_id: String,
    /// Hash of the content last written, so an unchanged entity costs no remote call.
    pub content_hash: Option<String>,
    /// Free-form data the flow keeps with the binding (for example the receipt body).
    pub data: serde_json::Value,
    /// When the binding was last written (set by the store).
    pub updated_at: DateTime<Utc>,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting to run (possibly not before `run_after`).
    Pending,
    /// Leased by a worker.
    Running,
    /// Done.
    Done,
    /// Failed permanently; kept with its payload and reason until replayed.
    Dead,
    /// Waiting for an operator to add a mapping.
    Parked,
}

impl JobState {
    /// The state's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
            JobState::Parked => "parked",
        }
    }

    /// Parses a stored state name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => JobState::Pending,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            "parked" => JobState::Parked,
            _ => return None,
        })
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewJob {
    /// The scope.
    pub scope: StoreScope,
    /// What the job does (`push_product`, `import_order`, `submit_receipts`, …).
    pub kind: String,
    /// Deterministic idempotency key, unique per scope and kind.
    pub key: String,
    /// Serialisation key: no two leased jobs share it.
    pub resource: String,
    /// What the job needs to run.
    pub payload: serde_json::Value,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Store-assigned id.
    pub id: i64,
    /// The scope.
    pub scope: StoreScope,
    /// What the job does.
    pub kind: String,
    /// Idempotency key.
    pub key: String,
    /// Serialisation key.
    pub resource: String,
    /// What the job needs to run.
    pub payload: serde_json::Value,
    /// Its state.
    pub state: JobState,
    /// How many times a remote call was started.
    pub attempts: u32,
    /// `true` once a remote call was started: the effect may exist remotely.
    pub started: bool,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// The mapping it waits for, when parked.
    pub parked_on: Option<String>,
    /// What the job produced, when done.
    pub result: Option<serde_json::Value>,
    /// Not to run before this time.
    pub run_after: DateTime<Utc>,
    /// The worker holding the lease, when running.
    pub leased_by: Option<String>,
    /// When the lease ends (the `now` given to [`StateStore::lease`] plus the lease length),
    /// when running. After it, another worker may lease the job.
    pub leased_until: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// How a job failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobFailure {
    /// Try again at `at`.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// Why it failed this time.
        error: String,
    },
    /// Give up; keep it as a dead letter.
    Dead {
        /// Why.
        reason: String,
    },
    /// Wait for an event named `on` (for example `valid:sale:gid://shopify/Order/1001`: a
    /// sale's receipt turning Valid) until `at` at the latest: the job stays pending, and
    /// [`StateStore::wake`] with the same name makes it runnable at once. The store keeps the
    /// name only while the job waits.
    Wait {
        /// When to run again if nothing wakes it first.
        at: DateTime<Utc>,
        /// The event it waits for.
        on: String,
        /// Why it waits, for the job's last error.
        why: String,
    },
    /// Wait for `mapping` to be added, then run again.
    Park {
        /// The missing mapping, for example `sku:ABC-1`.
        mapping: String,
        /// Why.
        reason: String,
    },
}

/// Which way a payload went, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Received.
    Inbound,
    /// Sent.
    Outbound,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The scope.
    pub scope: StoreScope,
    /// Which way.
    pub direction: Direction,
    /// The remote system (`shopify`, `flow`, `eta`).
    pub system: String,
    /// What it was (`order`, `sales_document`, `receipt`, …).
    pub kind: String,
    /// The entity key.
    pub key: String,
    /// The payload (secrets never included).
    pub payload: serde_json::Value,
}

/// A state store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("state store database error")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The worker no longer holds the job's lease (it expired and another worker took it).
    #[error("job {0} is no longer leased by this worker")]
    LeaseLost(i64),
    /// No job with that id.
    #[error("no job {0}")]
    NoSuchJob(i64),
    /// A stored value could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A query the store refuses to run; says which argument breaks which rule.
    #[error("invalid store query: {0}")]
    InvalidQuery(String),
    /// The database is there but could not answer now (SQLite busy past its timeout, a
    /// PostgreSQL fail-over or restart, a dropped connection): the same call may succeed
    /// later. See [`StoreError::is_transient`].
    #[error("state store temporarily unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Whether the same call may succeed if tried again later (the daemon backs off and goes
    /// on instead of stopping).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the engine persists.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// Creates or upgrades the schema. Idempotent.
    async fn migrate(&self) -> StoreResult<()>;

    /// The binding of `key` of `kind` in `scope`.
    async fn binding(
        &self,
        scope: &StoreScope,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<Binding>>;
    /// Inserts or replaces a binding (unique on scope, kind, key).
    async fn put_binding(&self, binding: &Binding) -> StoreResult<()>;
    /// Every binding of `kind` in `scope`.
    async fn bindings(&self, scope: &StoreScope, kind: &str) -> StoreResult<Vec<Binding>>;
    /// The bindings of `kind` in `scope` whose `data` matches every condition, in the order
    /// they were first stored, at most `limit` of them: the oldest open receipts of a device
    /// among a long history, a page at a time, without loading the history.
    ///
    /// A condition `(member, values)` holds when the top-level member `member` of `data` is
    /// text equal to one of `values`; a member that is missing, nested or not text does not
    /// match, and no values match nothing. Replacing a binding keeps its place in the order.
    /// Member names are plain (ASCII letters, digits, `_`); any other is
    /// [`StoreError::InvalidQuery`]. The SQL stores index the member `state`.
    async fn bindings_where(
        &self,
        scope: &StoreScope,
        kind: &str,
        conditions: &[(&str, &[&str])],
        limit: usize,
    ) -> StoreResult<Vec<Binding>>;

    /// A flow's checkpoint.
    async fn checkpoint(&self, scope: &StoreScope, flow: &str) -> StoreResult<Option<String>>;
    /// Sets a flow's checkpoint.
    async fn set_checkpoint(&self, scope: &StoreScope, flow: &str, value: &str) -> StoreResult<()>;

    /// Enqueues a job. When a job with the same scope, kind and key exists, nothing changes
    /// and its id is returned with `false`.
    async fn enqueue(&self, job: NewJob) -> StoreResult<(i64, bool)>;
    /// Leases up to `limit` runnable jobs for `worker` for `lease`: pending ones due at `now`,
    /// and running ones whose lease expired. Never two jobs with the same resource at once,
    /// and never a job whose resource is held by another live lease.
    ///
    /// Of each resource, its oldest runnable job, taken class by class (a resource's class is
    /// its name up to the first `:`, as in `order:` or `chain:`: each kind of work has its
    /// turn in every lease), and within a class the resources with the most runnable jobs
    /// first, then the oldest heads: a resource runs one job at a time, so its queue's depth
    /// is how long it needs, and a deep serial queue (a device's receipt chain) or a
    /// submission must not wait behind every import queued before it. The SQL stores read a
    /// window of each class's oldest queued jobs (at least 256, 8 × `limit` when more) and
    /// count depths within it, so a lease costs the same however long the queue.
    async fn lease(
        &self,
        worker: &str,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Job>>;
    /// Leases the oldest runnable job of one `resource` newer than job `after`, for `worker`,
    /// if no live lease holds the resource: how a worker that has just finished job `after`
    /// goes on with the next one of its resource without a full
    /// [`lease`](StateStore::lease) pass (a job it has just rescheduled is not picked again). Serialised work (a device's
    /// receipt chain) then costs one index look-up per job instead of a pass over the queue.
    ///
    /// The default finds nothing, which only means the worker goes back to `lease`.
    async fn lease_next(
        &self,
        worker: &str,
        resource: &str,
        after: i64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        let _ = (worker, resource, after, lease, now);
        Ok(None)
    }
    /// [`complete`](StateStore::complete)s job `id` with `result`, then
    /// [`lease_next`](StateStore::lease_next)s the next job of its `resource` for `worker`:
    /// how a worker goes on along a serial queue (a device's receipt chain) with one write a
    /// job instead of two. When the completion fails (the lease was lost), nothing is leased
    /// and the error is returned.
    ///
    /// The default makes the two calls; the SQLite store makes them in one transaction.
    async fn complete_and_lease_next(
        &self,
        id: i64,
        worker: &str,
        result: serde_json::Value,
        resource: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        self.complete(id, worker, result).await?;
        self.lease_next(worker, resource, id, lease, now).await
    }
    /// Records that a remote call is about to start (sets `started`, counts an attempt).
    async fn mark_started(&self, id: i64, worker: &str) -> StoreResult<()>;
    /// Marks a job done with its result.
    async fn complete(&self, id: i64, worker: &str, result: serde_json::Value) -> StoreResult<()>;
    /// Records a failure: retry later, dead-letter, park, or wait for an event.
    ///
    /// A [`JobFailure::Wait`] for an event that [`wake`](StateStore::wake) has announced since
    /// the job's current lease was taken leaves the job due at once, waiting for nothing: the
    /// job may have looked for the event before it came, and its wake, finding the job
    /// running, woke nothing. The SQL stores compare the times of the lease and of the wake
    /// by one clock (the process's for SQLite, which keeps its writers on one machine; the
    /// server's for PostgreSQL), and order a wake and a wait for the same event.
    async fn fail(&self, id: i64, worker: &str, failure: JobFailure) -> StoreResult<()>;
    /// One job.
    async fn job(&self, id: i64) -> StoreResult<Option<Job>>;
    /// The job of `kind` stored under idempotency `key` in `scope`, in whatever state (what
    /// [`StateStore::enqueue`] would find instead of storing a new one).
    async fn job_by_key(
        &self,
        scope: &StoreScope,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<Job>>;
    /// Jobs of a scope, optionally in one state, oldest first.
    async fn jobs(&self, scope: &StoreScope, state: Option<JobState>) -> StoreResult<Vec<Job>>;
    /// Puts one dead or parked job (or, with `None`, all of them) back to pending.
    async fn replay(&self, id: Option<i64>) -> StoreResult<u64>;
    /// Puts every job parked on `mapping` back to pending.
    async fn unpark(&self, mapping: &str) -> StoreResult<u64>;
    /// Makes the pending jobs of `scope` waiting for `on` ([`JobFailure::Wait`]) runnable now;
    /// returns how many it woke. Jobs already due are left as they are. The event is
    /// remembered for the jobs running now, which may come to wait for it
    /// ([`fail`](StateStore::fail)), until [`prune_events`](StateStore::prune_events).
    async fn wake(&self, scope: &StoreScope, on: &str) -> StoreResult<u64>;
    /// How many jobs are in each state.
    async fn queue_depth(&self) -> StoreResult<HashMap<JobState, u64>>;
    /// When the next job of `scope` becomes runnable: the earliest `run_after` of a pending
    /// job or `leased_until` of a running one; `None` when there is neither.
    ///
    /// The default reads the jobs; the SQL stores ask for the minimum alone.
    async fn next_due(&self, scope: &StoreScope) -> StoreResult<Option<DateTime<Utc>>> {
        let pending = self.jobs(scope, Some(JobState::Pending)).await?;
        let running = self.jobs(scope, Some(JobState::Running)).await?;
        Ok(pending
            .iter()
            .map(|j| j.run_after)
            .chain(running.iter().filter_map(|j| j.leased_until))
            .min())
    }

    /// Takes the claim `name` for `holder` until `until`: `true` when it was free, its time
    /// was up at `now` (a holder that crashed), or `holder` has it already (the time is then
    /// extended). `false`, and nothing changes, while another holder has it.
    ///
    /// A claim serialises what job resources cannot: the one remote record that jobs of
    /// several resources may meet first (a new customer met by each of its first orders).
    async fn claim(
        &self,
        scope: &StoreScope,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Ends `holder`'s claim on `name` (nothing when another holds it or none does).
    async fn release(&self, scope: &StoreScope, name: &str, holder: &str) -> StoreResult<()>;

    /// Records a webhook event id; `true` when it was not seen before.
    async fn record_event(&self, scope: &StoreScope, event_id: &str) -> StoreResult<bool>;

    /// The head (last issued uuid) of a POS device's receipt chain.
    async fn chain_head(&self, device: &str) -> StoreResult<Option<String>>;
    /// Moves a device's chain head from `expected` (`""` when the chain is empty) to
    /// `new_head` and stores `binding`, in one transaction, under a row lock. Returns `false`,
    /// and changes nothing, when the head is not `expected`.
    async fn advance_chain(
        &self,
        device: &str,
        expected: &str,
        new_head: &str,
        binding: &Binding,
    ) -> StoreResult<bool>;

    /// [`advance_chain`](StateStore::advance_chain), and when the head moves, appends `entry`
    /// to the audit log: a receipt issued and its audit entry in one write.
    ///
    /// The SQL stores write both in one transaction, so neither is stored without the other.
    /// The default makes the two calls; an audit entry that fails to be stored there is
    /// logged, and the head has moved all the same (as with [`audit`](StateStore::audit)
    /// alone, a lost audit entry never undoes the work it records).
    async fn advance_chain_audited(
        &self,
        device: &str,
        expected: &str,
        new_head: &str,
        binding: &Binding,
        entry: &AuditEntry,
    ) -> StoreResult<bool> {
        let moved = self
            .advance_chain(device, expected, new_head, binding)
            .await?;
        if moved && let Err(e) = self.audit(entry).await {
            tracing::warn!(error = %e, "audit write failed");
        }
        Ok(moved)
    }

    /// Appends to the audit log.
    async fn audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// Deletes audit entries older than `before`; returns how many.
    async fn prune_audit(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Deletes the jobs that finished (`done`) before `before`; returns how many. Dead and
    /// parked jobs are kept until an operator deals with them.
    async fn prune_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Deletes the webhook event ids received before `before` (a sender retries a delivery for
    /// a day or two, not longer); returns how many. Forgets, too, the wakes
    /// ([`wake`](StateStore::wake)) older than every running job's lease, which no job can
    /// come to wait for.
    async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// The operator's queries and corrections ([`OperatorStore`]), when this store has them.
    /// The default has none; the SQL stores have.
    fn operator(&self) -> Option<&dyn OperatorStore> {
        None
    }
}

mod operator;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use operator::{AuditRecord, MAX_AUDIT_TRAIL, OperatorStore};
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// The dead and parked jobs of `scope`, oldest first: what an operator has to look at. Needs
/// only the store, so it works while a remote service is down.
///
/// # Errors
///
/// When the store fails.
pub async fn dead_letters(store: &dyn StateStore, scope: &StoreScope) -> StoreResult<Vec<Job>> {
    let mut jobs = store.jobs(scope, Some(JobState::Dead)).await?;
    jobs.extend(store.jobs(scope, Some(JobState::Parked)).await?);
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}
