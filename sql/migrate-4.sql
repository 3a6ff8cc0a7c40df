-- Schema version 3 -> 4: hosts and Postfix instances as dimensions of
-- every counter and failure row, and of the pending deferrals (queue ids
-- are unique only per host and instance).
CREATE TABLE instance (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
ALTER TABLE failure ADD COLUMN instance_id INTEGER;
-- Old counters did not say their host: a database that knew one host
-- (its failure rows named it) gives it to them, else 0 (unknown).
CREATE TABLE daily_v4 (
	day		TEXT NOT NULL,
	domain_id	INTEGER NOT NULL,
	class_id	INTEGER NOT NULL,
	reason_id	INTEGER NOT NULL,
	host_id		INTEGER NOT NULL DEFAULT 0,
	instance_id	INTEGER NOT NULL DEFAULT 0,
	n		INTEGER NOT NULL,
	PRIMARY KEY (day, domain_id, class_id, reason_id, host_id, instance_id)
) WITHOUT ROWID;
INSERT INTO daily_v4 (day, domain_id, class_id, reason_id, host_id, instance_id, n)
	SELECT day, domain_id, class_id, reason_id,
	       CASE WHEN (SELECT count(*) FROM host) = 1 THEN (SELECT id FROM host)
	            ELSE 0 END, 0, n
	  FROM daily;
-- Pending deferrals take the host of their failure row; instance 0 (not
-- known) matches any instance of that host.
CREATE TABLE pending_v4 (
	host_id		INTEGER NOT NULL,
	instance_id	INTEGER NOT NULL,
	queue_id	TEXT NOT NULL,
	rcpt		INTEGER NOT NULL,
	failure_id	INTEGER NOT NULL,
	time		INTEGER NOT NULL,
	PRIMARY KEY (host_id, instance_id, queue_id, rcpt)
) WITHOUT ROWID;
INSERT OR REPLACE INTO pending_v4 (host_id, instance_id, queue_id, rcpt, failure_id, time)
	SELECT coalesce(f.host_id, 0), 0, p.queue_id, p.rcpt, p.failure_id, p.time
	  FROM pending p LEFT JOIN failure f ON f.id = p.failure_id;
PRAGMA legacy_alter_table = ON;
DROP TABLE daily;
ALTER TABLE daily_v4 RENAME TO daily;
DROP TABLE pending;
ALTER TABLE pending_v4 RENAME TO pending;
PRAGMA legacy_alter_table = OFF;
PRAGMA user_version = 4;
