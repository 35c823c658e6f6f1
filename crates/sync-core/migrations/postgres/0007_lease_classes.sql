-- The queued jobs by class (a resource's name up to its first ':') and age, so a lease reads a
-- bounded window of each class's oldest queued jobs instead of grouping every runnable job:
-- its cost no longer grows with the length of the queue (a backfill queues tens of
-- thousands of imports at once). Covering: the lease's filters read nothing else.
CREATE INDEX sync_jobs_queued_class
    ON sync_jobs (substr(resource, 1, strpos(resource, ':')), id)
    INCLUDE (run_after, resource)
    WHERE state = 'pending';
