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
PRAGMA user_version = 3;
