//! Group commit: the writes that queue for the SQLite writer while it commits share its next
//! transaction.
//!
//! With `synchronous = FULL` every commit waits for the disk, and one commit at a time goes
//! through the file's single writer. A job's life is several writes (its lease, its start
//! mark, its bindings, the jobs it queues, its completion), so the eight jobs a drain runs at
//! once queue a few dozen commits, and a serial resource (a device's receipt chain) waited
//! behind all of them for each of its own writes. Here one task owns the writer: it takes
//! every write queued, runs each in a savepoint of one `BEGIN IMMEDIATE` transaction, commits
//! once, and only then answers each caller. A write is on disk before its caller goes on, as
//! before, and each write stays all or nothing: a write that fails is rolled back to its
//! savepoint and fails alone, the others commit.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use futures::future::BoxFuture;
use sqlx::{Connection, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::super::{StoreError, StoreResult};

/// The most writes one transaction takes: enough to gather what eight jobs queue at once, few
/// enough that a transaction stays short for another process waiting on the file's lock.
const MAX_BATCH: usize = 64;

/// What a write hands back, typed again by [`GroupWriter::write`].
type Output = Box<dyn Any + Send>;

/// A write: statements run on the writer connection, inside a savepoint.
type Run =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<Output>> + Send>;

/// A queued write and where its answer goes.
struct Write {
    run: Run,
    reply: oneshot::Sender<StoreResult<Output>>,
}

/// The writer of a SQLite store: writes sent to it are committed in groups (see the module).
///
/// Its task is started by the first write (a store can be made outside a runtime) and ends
/// when the last clone of the store is dropped.
#[derive(Clone)]
pub(super) struct GroupWriter {
    pool: SqlitePool,
    queue: Arc<OnceLock<mpsc::UnboundedSender<Write>>>,
    /// How many groups were committed (or tried), for tests.
    groups: Arc<AtomicU64>,
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl GroupWriter {
    /// A writer over `pool`, whose connection it takes for each group.
    pub(super) fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            queue: Arc::new(OnceLock::new()),
            groups: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The pool the writer commits through (for what runs outside the groups: migrations).
    pub(super) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Runs `run` in the next group and returns what it returned once the group is committed.
    ///
    /// `run` executes inside a savepoint of the group's transaction, after the writes queued
    /// before it, and sees them. When it fails, its statements are rolled back and its error
    /// returned; the group goes on. When the group's commit fails, every write of the group
    /// fails with the commit's error.
    pub(super) async fn write<T, F>(&self, run: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let run: Run = Box::new(move |conn| {
            Box::pin(async move { run(conn).await.map(|value| Box::new(value) as Output) })
        });
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(serve(self.pool.clone(), receiver, self.groups.clone()));
            sender
        });
        queue.send(Write { run, reply }).map_err(|_| stopped())?;
        let value = answer.await.map_err(|_| stopped())??;
        value
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| StoreError::Corrupt("a write answered with the wrong type".to_owned()))
    }
}

/// The writer's task is gone (its runtime shut down).
fn stopped() -> StoreError {
    StoreError::Unavailable(Box::new(std::io::Error::other(
        "the state store's writer has stopped",
    )))
}

/// Takes the queued writes a group at a time until every sender is gone.
async fn serve(
    pool: SqlitePool,
    mut queue: mpsc::UnboundedReceiver<Write>,
    groups: Arc<AtomicU64>,
) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(write) => group.push(write),
                Err(_) => break,
            }
        }
        metrics::histogram!("sync_store_writes_per_commit").record(group.len() as f64);
        commit(&pool, group).await;
        groups.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs a group in one transaction and answers each write.
async fn commit(pool: &SqlitePool, group: Vec<Write>) {
    let (runs, replies): (Vec<Run>, Vec<_>) = group.into_iter().map(|w| (w.run, w.reply)).unzip();
    match run_group(pool, runs).await {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(error) => {
            // Nothing of the group is stored: each write learns the group's failure, the
            // transient ones as transient.
            let transient = error.is_transient();
            let text = error.to_string();
            for reply in replies {
                let cause = Box::new(GroupFailed(text.clone()));
                let _ = reply.send(Err(if transient {
                    StoreError::Unavailable(cause)
                } else {
                    StoreError::Database(cause)
                }));
            }
        }
    }
}

/// The commit of a group failed, with this message; none of its writes is stored.
#[derive(Debug, thiserror::Error)]
#[error("the write's transaction failed: {0}")]
struct GroupFailed(String);

/// Runs each of `runs` in a savepoint of one transaction and commits; returns what each
/// returned, in order. An error is the group's: the transaction is dropped, which rolls it
/// back, and nothing of the group is stored.
async fn run_group(pool: &SqlitePool, runs: Vec<Run>) -> StoreResult<Vec<StoreResult<Output>>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut results = Vec::with_capacity(runs.len());
    for run in runs {
        let mut savepoint = tx.begin().await?;
        let result = run(&mut savepoint).await;
        if result.is_ok() {
            savepoint.commit().await?;
        } else {
            savepoint.rollback().await?;
        }
        results.push(result);
    }
    tx.commit().await?;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    use super::*;

    /// A writer over a new file database with a table `t (n INTEGER PRIMARY KEY)`, and a
    /// pool of its own to read what was committed.
    async fn writer(dir: &tempfile::TempDir) -> (GroupWriter, SqlitePool) {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("group.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        let reader = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        (GroupWriter::new(pool), reader)
    }

    /// Inserts `n` into `t` in the next group.
    async fn insert(writer: &GroupWriter, n: i64) -> StoreResult<u64> {
        writer
            .write(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query("INSERT INTO t (n) VALUES (?)")
                        .bind(n)
                        .execute(conn)
                        .await?;
                    Ok(done.rows_affected())
                })
            })
            .await
    }

    async fn stored(reader: &SqlitePool) -> Vec<i64> {
        sqlx::query_scalar("SELECT n FROM t ORDER BY n")
            .fetch_all(reader)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_writes_queued_during_a_commit_share_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, reader) = writer(&dir).await;
        // The first write holds its group open until released; ten more queue meanwhile.
        let (release, released) = oneshot::channel::<()>();
        let (started, has_started) = oneshot::channel::<()>();
        let first = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .write(move |conn| {
                        Box::pin(async move {
                            sqlx::query("INSERT INTO t (n) VALUES (0)")
                                .execute(&mut *conn)
                                .await?;
                            let _ = started.send(());
                            let _ = released.await;
                            Ok(())
                        })
                    })
                    .await
            }
        });
        has_started.await.unwrap();
        let rest: Vec<_> = (1..=10)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move { insert(&writer, n).await })
            })
            .collect();
        // Every one of the ten is queued before the first group ends.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(
            stored(&reader).await.is_empty(),
            "nothing is visible before the commit"
        );
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        for write in rest {
            assert_eq!(write.await.unwrap().unwrap(), 1);
        }
        assert_eq!(stored(&reader).await, (0..=10).collect::<Vec<_>>());
        assert_eq!(
            writer.groups.load(Ordering::Relaxed),
            2,
            "eleven writes in two transactions: the first alone, the ten queued behind it together"
        );
    }

    #[tokio::test]
    async fn a_write_that_fails_is_undone_alone_and_the_others_of_its_group_are_stored() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, reader) = writer(&dir).await;
        insert(&writer, 7).await.unwrap();
        let (release, released) = oneshot::channel::<()>();
        let (started, has_started) = oneshot::channel::<()>();
        let holder = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .write(move |_| {
                        Box::pin(async move {
                            let _ = started.send(());
                            let _ = released.await;
                            Ok(())
                        })
                    })
                    .await
            }
        });
        has_started.await.unwrap();
        // One group of three: a good write, one that writes and then fails on a duplicate
        // key, and another good one.
        let good = tokio::spawn({
            let writer = writer.clone();
            async move { insert(&writer, 1).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let bad = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .write(move |conn| {
                        Box::pin(async move {
                            sqlx::query("INSERT INTO t (n) VALUES (2)")
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query("INSERT INTO t (n) VALUES (7)")
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let after = tokio::spawn({
            let writer = writer.clone();
            async move { insert(&writer, 3).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();
        assert_eq!(good.await.unwrap().unwrap(), 1);
        let error = bad.await.unwrap().unwrap_err();
        assert!(
            matches!(error, StoreError::Database(_)),
            "the duplicate key is the failed write's own error: {error:?}"
        );
        assert_eq!(after.await.unwrap().unwrap(), 1);
        assert_eq!(
            stored(&reader).await,
            vec![1, 3, 7],
            "the failed write's first insert (2) is undone with it; 1 and 3 are stored"
        );
        assert_eq!(writer.groups.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn a_write_is_answered_once_it_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, reader) = writer(&dir).await;
        for n in 1..=3 {
            insert(&writer, n).await.unwrap();
            // Another connection sees it at once: the answer came after the commit.
            assert_eq!(stored(&reader).await.last(), Some(&n));
        }
    }
}
