-- Short claims on a name (StateStore::claim): one job at a time creates a given remote record
-- that several jobs of different resources may meet first (a new customer met by its orders).
-- A claim ends when released or when its time is up (a holder that crashed).
CREATE TABLE sync_claims (
    scope  TEXT    NOT NULL,
    name   TEXT    NOT NULL,
    holder TEXT    NOT NULL,
    until  INTEGER NOT NULL,
    PRIMARY KEY (scope, name)
);
