-- What a pending job waits for (JobFailure::Wait), so the event it waits for wakes it at once
-- (StateStore::wake) instead of leaving it to its back-off: a return waiting for its sale's
-- receipt to turn Valid. NULL for every other job.
ALTER TABLE sync_jobs ADD COLUMN waits_on TEXT;
CREATE INDEX sync_jobs_waits_on ON sync_jobs (scope, waits_on) WHERE state = 'pending';
