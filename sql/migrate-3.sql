-- Schema version 2 -> 3.
-- Recipients whose last attempt was deferred, so that an expiry is
-- attributed to their domains across restarts.
CREATE TABLE pending (
	queue_id	TEXT NOT NULL,
	rcpt		INTEGER NOT NULL,
	failure_id	INTEGER NOT NULL,
	time		INTEGER NOT NULL,
	PRIMARY KEY (queue_id, rcpt)
) WITHOUT ROWID;
-- Diagnostics are looked up by a hash instead of a unique index holding a
-- second copy of every text.  The hashes of existing rows are computed by
-- the program right after this migration (hash 0 marks them).
CREATE TABLE diagnostic_v3 (
	id		INTEGER PRIMARY KEY,
	hash		INTEGER NOT NULL,
	template	TEXT NOT NULL,
	normalized	TEXT NOT NULL
);
INSERT INTO diagnostic_v3 (id, hash, template, normalized)
	SELECT id, 0, template, normalized FROM diagnostic;
-- (legacy_alter_table: the views name "diagnostic", which is briefly gone)
PRAGMA legacy_alter_table = ON;
DROP TABLE diagnostic;
ALTER TABLE diagnostic_v3 RENAME TO diagnostic;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX diagnostic_hash ON diagnostic (hash);
-- A failure's code, dsn and stage become one id into "reply".
CREATE TABLE reply (
	id	INTEGER PRIMARY KEY,
	code	INTEGER NOT NULL,
	dsn	TEXT NOT NULL,
	stage	TEXT NOT NULL,
	UNIQUE (code, dsn, stage)
);
INSERT OR IGNORE INTO reply (code, dsn, stage)
	SELECT coalesce(f.code, 0), coalesce(f.dsn, ''), coalesce(s.name, '')
	  FROM failure f LEFT JOIN stage s ON s.id = f.stage_id;
CREATE TABLE failure_v3 (
	id		INTEGER PRIMARY KEY,
	time		INTEGER NOT NULL,
	source_id	INTEGER,
	offset		INTEGER,
	host_id		INTEGER,
	queue_id	TEXT,
	local		TEXT,
	domain_id	INTEGER NOT NULL,
	relay_id	INTEGER,
	status_id	INTEGER NOT NULL,
	class_id	INTEGER NOT NULL,
	reason_id	INTEGER NOT NULL,
	reply_id	INTEGER NOT NULL,
	diagnostic_id	INTEGER,
	rule_id		INTEGER,
	arg1		TEXT,
	arg2		TEXT,
	arg3		TEXT
);
INSERT INTO failure_v3
	SELECT f.id, f.time, f.source_id, f.offset, f.host_id, f.queue_id, f.local,
	       f.domain_id, f.relay_id, f.status_id, f.class_id, f.reason_id, r.id,
	       f.diagnostic_id, f.rule_id, f.arg1, f.arg2, f.arg3
	  FROM failure f LEFT JOIN stage s ON s.id = f.stage_id
	  JOIN reply r ON r.code = coalesce(f.code, 0) AND r.dsn = coalesce(f.dsn, '')
	   AND r.stage = coalesce(s.name, '');
PRAGMA legacy_alter_table = ON;
DROP TABLE failure;
ALTER TABLE failure_v3 RENAME TO failure;
DROP TABLE stage;
PRAGMA legacy_alter_table = OFF;
PRAGMA user_version = 3;
