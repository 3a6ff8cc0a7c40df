-- PostgreSQL schema 4 -> 5: the live view (SQLite's sql/alerts.sql): the
-- alerts bouncewatchd raised, and the hourly totals of the whole fleet,
-- attempts and failures for the failure-rate alert, lines read for the
-- report's "no line at all".  A new database gets them too (schema.sql,
-- then this).

-- One row per alert raised (see bouncewatch.conf(5), ALERTS).  "time" is
-- when it was raised (the clock); "document" the JSON given to
-- alert_command; "node" the daemon that raised it.
CREATE TABLE IF NOT EXISTS alert (
	id		bigserial PRIMARY KEY,
	time		bigint NOT NULL,
	condition	text NOT NULL,	-- domain_reason, rate_jump, source_down
	domain		text NOT NULL DEFAULT '',	-- source_down: the source
	reason		text NOT NULL DEFAULT '',
	class		text NOT NULL DEFAULT '',
	count		bigint NOT NULL DEFAULT 0,
	"window"	integer NOT NULL DEFAULT 0,	-- seconds
	baseline	double precision,
	document	text NOT NULL,
	node		text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS alert_time ON alert (time);

-- Delivery attempts and failures (permanent and temporary) per hour of
-- log time (hour = seconds since the epoch / 3600), every node's.
CREATE TABLE IF NOT EXISTS hourly (
	hour		bigint PRIMARY KEY,
	attempts	bigint NOT NULL,
	failures	bigint NOT NULL
);

-- Lines read per hour of their stamp, every kind; counting starts with
-- this table (a row for that hour, 0 lines, says when).
CREATE TABLE IF NOT EXISTS line_hourly (
	hour		bigint PRIMARY KEY,
	lines		bigint NOT NULL
);
INSERT INTO line_hourly (hour, lines)
	SELECT floor(extract(epoch FROM now()) / 3600)::bigint, 0
	 WHERE NOT EXISTS (SELECT 1 FROM line_hourly);

UPDATE meta SET value = '5' WHERE key = 'schema_version';
