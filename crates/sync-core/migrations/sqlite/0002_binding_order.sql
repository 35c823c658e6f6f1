-- Finding the few open bindings (receipts not yet settled) without reading the history: an
-- index on the `state` member, which the engine filters receipts on. Queries must spell the
-- expression the same way. They read the matches oldest first by rowid, the order in which
-- bindings were first stored (an upsert updates the row in place); an index that serves
-- that order instead would tempt the planner to walk the whole kind in rowid order.
CREATE INDEX sync_bindings_state ON sync_bindings (scope, kind, json_extract(data, '$.state'));
