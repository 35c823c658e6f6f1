-- Reading open bindings (receipts not yet settled) a page at a time, oldest first.
-- `seq` is the order in which bindings were first stored (an upsert keeps it). Rows present
-- before this migration are numbered in no particular order.
ALTER TABLE sync_bindings ADD COLUMN seq BIGSERIAL;
CREATE INDEX sync_bindings_seq ON sync_bindings (scope, kind, seq);
-- The `state` member, which the engine filters receipts on: with it, finding the few open
-- receipts does not read the whole history. Queries must spell the expression the same way.
CREATE INDEX sync_bindings_state ON sync_bindings (scope, kind, (data->>'state'));
