-- PostgreSQL schema 3 -> 4: the detail of a failure's reason, when the
-- evidence names it ("spf", "dnsbl:spamcop"; SQLite's schema 6), and the
-- writer's local day of each row (v_details: the day spans of several
-- nodes overlap).  Rows from before have neither.
ALTER TABLE failure ADD COLUMN IF NOT EXISTS detail text;
ALTER TABLE failure ADD COLUMN IF NOT EXISTS day date;
UPDATE meta SET value = '4' WHERE key = 'schema_version';
