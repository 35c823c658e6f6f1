-- The number of finished ('done') jobs, kept by triggers, so that queue_depth reads one row
-- instead of counting every finished job kept for the retention period (job_retention).
-- The other states are counted through the (state, run_after) index: they hold what is
-- queued, not the history.
CREATE TABLE sync_job_counts (
    state TEXT PRIMARY KEY,
    n INTEGER NOT NULL
);
INSERT INTO sync_job_counts (state, n)
    SELECT 'done', COUNT(*) FROM sync_jobs WHERE state = 'done';

CREATE TRIGGER sync_jobs_done_insert AFTER INSERT ON sync_jobs
    WHEN NEW.state = 'done'
BEGIN
    UPDATE sync_job_counts SET n = n + 1 WHERE state = 'done';
END;

CREATE TRIGGER sync_jobs_done_update AFTER UPDATE OF state ON sync_jobs
    WHEN (OLD.state = 'done') <> (NEW.state = 'done')
BEGIN
    UPDATE sync_job_counts
        SET n = n + (CASE WHEN NEW.state = 'done' THEN 1 ELSE -1 END)
        WHERE state = 'done';
END;

CREATE TRIGGER sync_jobs_done_delete AFTER DELETE ON sync_jobs
    WHEN OLD.state = 'done'
BEGIN
    UPDATE sync_job_counts SET n = n - 1 WHERE state = 'done';
END;
