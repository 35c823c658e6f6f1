-- Finished jobs and webhook event ids are pruned after a retention period
-- (StateStore::prune_jobs, StateStore::prune_events): indexes for those deletes.
CREATE INDEX sync_jobs_finished ON sync_jobs (state, updated_at);
CREATE INDEX sync_events_received ON sync_events (received_at);
