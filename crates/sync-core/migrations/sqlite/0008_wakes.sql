-- When a job's current lease was taken, and when each event last woke its waiters, both by
-- the store's clock (microseconds since the Unix epoch): a job that comes to wait
-- (JobFailure::Wait) for an event that woke its waiters while the job ran, after its lease,
-- so possibly after it looked for the event, is due at once instead of at the end of its
-- wait. NULL for a job leased before this migration (it waits as before).
ALTER TABLE sync_jobs ADD COLUMN leased_at INTEGER;
CREATE TABLE sync_wakes (
    scope    TEXT    NOT NULL,
    event    TEXT    NOT NULL,
    woken_at INTEGER NOT NULL,
    PRIMARY KEY (scope, event)
);
-- Pruned from the oldest (StateStore::prune_events).
CREATE INDEX sync_wakes_woken_at ON sync_wakes (woken_at);
