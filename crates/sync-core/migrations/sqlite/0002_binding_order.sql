-- The order in which bindings were first stored is the rowid (an upsert updates the row in
-- place). Entries of an index that are equal in its columns are kept in rowid order, so this
-- index lets a page of the oldest bindings of a kind be read without sorting the kind.
CREATE INDEX sync_bindings_order ON sync_bindings (scope, kind);
