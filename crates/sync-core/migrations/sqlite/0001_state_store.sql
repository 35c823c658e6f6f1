-- The sync-core state store, SQLite flavour.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC); JSON is stored as TEXT,
-- exactly as serialised, so key order survives a round trip.

CREATE TABLE sync_bindings (
    scope        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    remote_id    TEXT    NOT NULL,
    content_hash TEXT,
    data         TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, kind, key)
);
CREATE INDEX sync_bindings_remote ON sync_bindings (scope, kind, remote_id);

CREATE TABLE sync_checkpoints (
    scope      TEXT    NOT NULL,
    flow       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, flow)
);

CREATE TABLE sync_jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    scope        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    resource     TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    state        TEXT    NOT NULL
                 CHECK (state IN ('pending', 'running', 'done', 'dead', 'parked')),
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    started      INTEGER NOT NULL DEFAULT 0 CHECK (started IN (0, 1)),
    last_error   TEXT,
    parked_on    TEXT,
    result       TEXT,
    run_after    INTEGER NOT NULL,
    leased_by    TEXT,
    leased_until INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (scope, kind, key),
    CHECK ((state = 'running') = (leased_by IS NOT NULL AND leased_until IS NOT NULL))
);
CREATE INDEX sync_jobs_runnable ON sync_jobs (state, run_after);
CREATE INDEX sync_jobs_resource ON sync_jobs (resource, state);
CREATE INDEX sync_jobs_parked ON sync_jobs (parked_on) WHERE state = 'parked';

CREATE TABLE sync_events (
    scope       TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (scope, event_id)
);

CREATE TABLE sync_receipt_chains (
    device     TEXT    PRIMARY KEY,
    head       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sync_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    scope      TEXT    NOT NULL,
    direction  TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    system     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX sync_audit_created ON sync_audit (created_at);
