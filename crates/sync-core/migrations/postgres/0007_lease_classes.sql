-- The queued jobs by class (a resource's name up to its first ':') and age, so a lease reads a
-- bounded window of each class's oldest queued jobs instead of grouping every runnable job:
-- its cost no longer grows with the length of the queue (a backfill queues tens of
-- thousands of imports at once). Covering: the lease's filters read nothing else.
CREATE INDEX sync_jobs_queued_class
    ON sync_jobs (substr(resource, 1, strpos(resource, ':')), id)
    INCLUDE (run_after, resource)
    WHERE state = 'pending';

-- The queued jobs of a resource in id order: the next job of a device's receipt chain
-- (`lease_next`) is one index step, where the `(resource, state)` index left PostgreSQL to
-- walk the primary key from the last job over every import queued between (226 ms a receipt
-- at 25,000 queued). Queued jobs only: an index of the running ones too was chosen for the
-- check that no job of the resource runs, and walked the whole chain (205 ms). SQLite's
-- `(resource, state)` index holds the rowid in order already.
CREATE INDEX sync_jobs_queued_by_resource
    ON sync_jobs (resource, id)
    WHERE state = 'pending';
