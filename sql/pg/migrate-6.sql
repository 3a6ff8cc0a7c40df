-- PostgreSQL schema 5 -> 6: day summaries (SQLite's day_summary, schema
-- 7), so that a report over many days reads one summary a day instead of
-- its failure rows.  A new database gets them too (schema.sql, then this).
--
-- day_span.gen counts the changes to a day's failure rows: every batch
-- that adds rows to the day, reclassify and prune raise it in the
-- transaction that changes the rows.  (With many writers, the ids of a
-- day's rows interleave: rows may be added inside first_id .. last_id, so
-- the span alone does not say that the day changed.)

ALTER TABLE day_span ADD COLUMN IF NOT EXISTS gen bigint NOT NULL DEFAULT 0;

-- One day's summary (src/daysum.h's frame), built from the day's rows as
-- they were at day_span.gen = gen; a summary whose gen is no longer the
-- day's is stale and not read.  Kept by the writers (import, reclassify,
-- bouncewatchd), deleted with the rows by prune.
CREATE TABLE IF NOT EXISTS day_summary (
	day		date PRIMARY KEY,
	gen		bigint NOT NULL,
	data		bytea NOT NULL
);

UPDATE meta SET value = '6' WHERE key = 'schema_version';
