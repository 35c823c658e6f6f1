//! Helpers shared by the SQL backends.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Direction, JobFailure, JobState, StoreError, StoreResult};

/// The table in which the backends record applied migrations. Not sqlx's default
/// (`_sqlx_migrations`), so an application that keeps its own tables in the same database
/// can run its own sqlx migrations next to ours.
pub(crate) const MIGRATIONS_TABLE: &str = "sync_core_migrations";

/// The longest lease the stores hand out; longer requests are cut to it.
const MAX_LEASE: TimeDelta = TimeDelta::days(3650);

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_transient(&error) {
            StoreError::Unavailable(Box::new(error))
        } else {
            StoreError::Database(Box::new(error))
        }
    }
}

/// SQLite's busy and locked codes, primary and extended (`SQLITE_BUSY`, `SQLITE_LOCKED`,
/// `SQLITE_BUSY_RECOVERY`, `SQLITE_BUSY_SNAPSHOT`, `SQLITE_LOCKED_SHAREDCACHE`).
const SQLITE_TRANSIENT: &[&str] = &["5", "6", "261", "517", "262"];

/// PostgreSQL SQLSTATE classes and codes that a retry can clear: connection exceptions
/// (`08…`), serialization failure and deadlock (`40001`, `40P01`), and the server shutting
/// down or starting (`57P01`–`57P03`, a fail-over or restart).
const POSTGRES_TRANSIENT: &[&str] = &["40001", "40P01", "57P01", "57P02", "57P03"];

/// Whether a database error is one the same call may get past later.
fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            SQLITE_TRANSIENT.contains(&code.as_ref())
                || POSTGRES_TRANSIENT.contains(&code.as_ref())
                || code.starts_with("08")
        }),
        _ => false,
    }
}

/// A failure to open or connect: never transient (the configuration or the host is wrong,
/// and the caller is starting up, not running).
pub(crate) fn open_error(error: sqlx::Error) -> StoreError {
    StoreError::Database(Box::new(error))
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(Box::new(error))
    }
}

/// Checks that `member` is a plain JSON member name (ASCII letters, digits and `_`), which the
/// stores write into their SQL text so that it matches their expression indexes.
pub(crate) fn plain_member(member: &str) -> StoreResult<&str> {
    if !member.is_empty()
        && member.len() <= 64
        && member
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(member)
    } else {
        Err(StoreError::InvalidQuery(format!(
            "data member name {member:?} must be 1 to 64 ASCII letters, digits or underscores"
        )))
    }
}

/// `run_after` of a job that may run at once (new, replayed or unparked).
///
/// The Unix epoch rather than the wall clock: leases compare against the caller's `now`,
/// which may come from an injected clock, so "due" must not depend on this machine's time.
pub(crate) fn due_now() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// The columns a failure sets: the job's state, its `run_after` (unchanged when `None`), its
/// last error, the mapping it is parked on and the event it waits for.
pub(crate) struct FailureColumns {
    pub(crate) state: JobState,
    pub(crate) run_after: Option<DateTime<Utc>>,
    pub(crate) error: String,
    pub(crate) parked_on: Option<String>,
    pub(crate) waits_on: Option<String>,
}

impl From<JobFailure> for FailureColumns {
    fn from(failure: JobFailure) -> Self {
        let (state, run_after, error, parked_on, waits_on) = match failure {
            JobFailure::Retry { at, error } => (JobState::Pending, Some(at), error, None, None),
            JobFailure::Wait { at, on, why } => (JobState::Pending, Some(at), why, None, Some(on)),
            JobFailure::Dead { reason } => (JobState::Dead, None, reason, None, None),
            JobFailure::Park { mapping, reason } => {
                (JobState::Parked, None, reason, Some(mapping), None)
            }
        };
        Self {
            state,
            run_after,
            error,
            parked_on,
            waits_on,
        }
    }
}

impl FailureColumns {
    /// The columns of a wait whose event has come already: due at once, waiting for nothing.
    pub(crate) fn woken(self) -> Self {
        Self {
            run_after: Some(due_now()),
            waits_on: None,
            ..self
        }
    }
}

/// Whether job `$1`'s event `$2` woke its waiters ([`StateStore::wake`]) since the job's
/// current lease was taken: a wait for it would miss it ([`StateStore::fail`]).
///
/// [`StateStore::wake`]: super::StateStore::wake
/// [`StateStore::fail`]: super::StateStore::fail
pub(crate) const WOKEN_SINCE_LEASE: &str = "SELECT EXISTS (SELECT 1 FROM sync_jobs j \
     JOIN sync_wakes w ON w.scope = j.scope AND w.event = $2 \
     WHERE j.id = $1 AND w.woken_at >= j.leased_at)";

/// When a lease taken at `now` for `lease` ends.
pub(crate) fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    let lease = TimeDelta::from_std(lease)
        .unwrap_or(MAX_LEASE)
        .min(MAX_LEASE);
    now.checked_add_signed(lease).unwrap_or(now)
}

/// The JSON text stored for a value.
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

/// Parses stored JSON text, naming the column when it is not JSON.
pub(crate) fn parse_json(column: &str, text: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("column `{column}` holds invalid JSON: {e}")))
}

/// Parses a stored job state.
pub(crate) fn parse_state(text: &str) -> StoreResult<JobState> {
    JobState::parse(text).ok_or_else(|| {
        StoreError::Corrupt(format!("column `state` holds unknown job state {text:?}"))
    })
}

/// Converts a stored attempt count.
pub(crate) fn attempts(value: i64) -> StoreResult<u32> {
    u32::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("column `attempts` holds {value}, not a count")))
}

/// Every job state with a zero count, so `queue_depth` always names all of them.
pub(crate) fn zero_depths() -> std::collections::HashMap<JobState, u64> {
    [
        JobState::Pending,
        JobState::Running,
        JobState::Done,
        JobState::Dead,
        JobState::Parked,
    ]
    .into_iter()
    .map(|state| (state, 0))
    .collect()
}

/// The stored name of a direction.
pub(crate) fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// The jobs by state, without walking the history: the states that hold queued work are
/// counted through the `(state, run_after)` index (each one a range of that index), and the
/// finished jobs, which stay for `job_retention`, are read from the count the store's
/// triggers keep (`sync_job_counts`, migration 0004). The same text for SQLite and PostgreSQL.
pub(crate) const QUEUE_DEPTH: &str = "\
    SELECT state, COUNT(*) FROM sync_jobs \
      WHERE state IN ('pending', 'running', 'dead', 'parked') GROUP BY state \
    UNION ALL \
    SELECT state, n FROM sync_job_counts WHERE state = 'done'";

/// How many of a class's oldest runnable jobs a lease reads to find its heads: enough for
/// `limit` heads of one-job queues with room for deeper ones, and a bound on the lease's
/// reads whatever the length of the queue.
pub(crate) fn lease_window(limit: usize) -> i64 {
    i64::try_from(limit.saturating_mul(8).max(256)).unwrap_or(i64::MAX)
}

/// A resource's class: its name up to and with the first `:` (`order:`, `chain:`), or `""`
/// for a name without one. The stores' lease queries compute the same in SQL.
pub(crate) fn resource_class(resource: &str) -> &str {
    resource.find(':').map_or("", |end| &resource[..=end])
}

/// A runnable head a lease may take: the oldest runnable job of a resource no live lease
/// holds, with how many runnable jobs its resource has among those read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    /// The job.
    pub(crate) id: i64,
    /// Its resource.
    pub(crate) resource: String,
    /// The resource's runnable jobs among those read (at least 1).
    pub(crate) depth: i64,
}

/// The heads of the rows a lease query answers: `(job id, resource, depth)`.
pub(crate) fn heads(rows: Vec<(i64, String, i64)>) -> Vec<Head> {
    rows.into_iter()
        .map(|(id, resource, depth)| Head {
            id,
            resource,
            depth,
        })
        .collect()
}

/// The heads a lease takes, in order, at most `limit`: class by class (each class has its turn
/// in every lease), within a class the deepest queues first, then the oldest heads. A
/// resource runs one job at a time, so its depth is how long it needs, and a deep serial queue
/// (a device's receipt chain) or a submission must not wait behind every import queued
/// before it.
pub(crate) fn pick_heads(mut heads: Vec<Head>, limit: usize) -> Vec<Head> {
    heads.sort_by(|a, b| {
        resource_class(&a.resource)
            .cmp(resource_class(&b.resource))
            .then(b.depth.cmp(&a.depth))
            .then(a.id.cmp(&b.id))
    });
    let mut turn = 0_usize;
    let mut turns = Vec::with_capacity(heads.len());
    for (n, head) in heads.iter().enumerate() {
        let same_class =
            n > 0 && resource_class(&heads[n - 1].resource) == resource_class(&head.resource);
        turn = if same_class { turn + 1 } else { 0 };
        turns.push(turn);
    }
    let mut ordered: Vec<(usize, Head)> = turns.into_iter().zip(heads).collect();
    ordered
        .sort_by(|(ta, a), (tb, b)| ta.cmp(tb).then(b.depth.cmp(&a.depth)).then(a.id.cmp(&b.id)));
    ordered
        .into_iter()
        .map(|(_, head)| head)
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(id: i64, resource: &str, depth: i64) -> Head {
        Head {
            id,
            resource: resource.to_owned(),
            depth,
        }
    }

    #[test]
    fn classes_take_turns_and_the_deepest_queue_of_a_class_goes_first() {
        let heads = vec![
            head(1, "order:1", 1),
            head(2, "order:2", 1),
            head(3, "order:3", 2),
            head(9, "chain:d", 300),
            head(10, "submit:d", 1),
            head(11, "plain", 1),
        ];
        let picked: Vec<i64> = pick_heads(heads.clone(), 5).iter().map(|h| h.id).collect();
        // Turn 0 of each class, the deepest first: chain 9, order 3 (depth 2), then submit 10
        // and plain 11 (depth 1, oldest first); turn 1: order 1.
        assert_eq!(picked, [9, 3, 10, 11, 1]);
        assert_eq!(pick_heads(heads, 0), []);
        assert_eq!(resource_class("order:1:2"), "order:");
        assert_eq!(resource_class("plain"), "");
        assert!(lease_window(8) >= 256 && lease_window(100) == 800);
    }
}
