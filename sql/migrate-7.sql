-- Schema version 6 -> 7: a recipient's history (sql/queries.sql) reads
-- the rows of that recipient through an index on the local part, not
-- every failure row ever stored.
CREATE INDEX IF NOT EXISTS failure_local ON failure (local);
PRAGMA user_version = 7;
