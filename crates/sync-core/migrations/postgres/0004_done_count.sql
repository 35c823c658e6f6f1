-- The number of finished ('done') jobs, kept by triggers, so that queue_depth reads one row
-- instead of counting every finished job kept for the retention period (job_retention).
-- The other states are counted through the (state, run_after) index: they hold what is
-- queued, not the history. One row is touched per change of a job into or out of 'done',
-- so no two counter rows are ever locked by one statement.
CREATE TABLE sync_job_counts (
    state TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO sync_job_counts (state, n)
    SELECT 'done', COUNT(*) FROM sync_jobs WHERE state = 'done';

CREATE FUNCTION sync_jobs_count_done() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT := 0;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state = 'done' THEN delta := 1; END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.state = 'done' THEN delta := -1; END IF;
    ELSIF OLD.state = 'done' AND NEW.state <> 'done' THEN
        delta := -1;
    ELSIF OLD.state <> 'done' AND NEW.state = 'done' THEN
        delta := 1;
    END IF;
    IF delta <> 0 THEN
        UPDATE sync_job_counts SET n = n + delta WHERE state = 'done';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sync_jobs_done_count
    AFTER INSERT OR DELETE OR UPDATE OF state ON sync_jobs
    FOR EACH ROW EXECUTE FUNCTION sync_jobs_count_done();
