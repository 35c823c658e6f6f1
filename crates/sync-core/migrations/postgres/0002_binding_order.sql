-- The order in which bindings were first stored, for reading open ones a page at a time
-- (receipts must reach the tax authority in the order of their device's chain). An upsert
-- keeps it. Rows present before this migration are numbered in no particular order.
ALTER TABLE sync_bindings ADD COLUMN seq BIGSERIAL;
CREATE INDEX sync_bindings_seq ON sync_bindings (scope, kind, seq);
