-- bouncewatch: the alerts bouncewatchd raised, and the hourly attempt and
-- failure counts the failure-rate alert compares with.  Compiled into the
-- programs and applied whenever the database is opened for writing (every
-- statement is idempotent), after the schema and its migrations.

-- One row per alert raised (see bouncewatch.conf(5), ALERTS).  "time" is
-- when it was raised (the clock, seconds since the epoch); "document" is
-- the JSON given to alert_command.
CREATE TABLE IF NOT EXISTS alert (
	id		INTEGER PRIMARY KEY,
	time		INTEGER NOT NULL,
	condition	TEXT NOT NULL,	-- domain_reason, rate_jump, source_down
	domain		TEXT NOT NULL DEFAULT '',	-- source_down: the source
	reason		TEXT NOT NULL DEFAULT '',
	class		TEXT NOT NULL DEFAULT '',
	count		INTEGER NOT NULL DEFAULT 0,
	window		INTEGER NOT NULL DEFAULT 0,	-- seconds
	baseline	REAL,
	document	TEXT NOT NULL
);

-- Delivery attempts and failures (permanent and temporary) per hour of
-- log time (hour = seconds since the epoch / 3600), written with the
-- batch they belong to.
CREATE TABLE IF NOT EXISTS hourly (
	hour		INTEGER PRIMARY KEY,
	attempts	INTEGER NOT NULL,
	failures	INTEGER NOT NULL
);

-- Lines read per hour of their stamp (every kind of line), so that the
-- report can tell a day with no line at all (a source down all day, a
-- machine whose log is elsewhere) from a quiet one.  Counting starts when
-- this table is made: a row for that hour, with 0 lines, says so.
CREATE TABLE IF NOT EXISTS line_hourly (
	hour		INTEGER PRIMARY KEY,
	lines		INTEGER NOT NULL
);
INSERT INTO line_hourly (hour, lines)
	SELECT CAST(strftime('%s', 'now') AS INTEGER) / 3600, 0
	 WHERE NOT EXISTS (SELECT 1 FROM line_hourly);

DROP VIEW IF EXISTS v_alerts;
CREATE VIEW v_alerts AS
SELECT a.id,
       strftime('%Y-%m-%dT%H:%M:%SZ', a.time, 'unixepoch') AS time,
       a.condition,
       nullif(a.domain, '') AS domain,
       nullif(a.reason, '') AS reason,
       nullif(a.class, '') AS class,
       a.count,
       a.window,
       a.baseline,
       a.document
  FROM alert a
 ORDER BY a.id;
