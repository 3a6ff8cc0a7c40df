-- PostgreSQL schema 1 -> 2: a recipient's history (v_failures by local
-- part and domain) reads its rows through an index, as SQLite's schema 7.
CREATE INDEX IF NOT EXISTS failure_local ON failure (local);
UPDATE meta SET value = '2' WHERE key = 'schema_version';
