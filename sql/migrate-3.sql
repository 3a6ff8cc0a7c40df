-- Schema version 2 -> 3: recipients whose last attempt was deferred, so
-- that an expiry is attributed to their domains across restarts.
CREATE TABLE pending (
	queue_id	TEXT NOT NULL,
	recipient	TEXT NOT NULL,
	time		INTEGER NOT NULL,
	relay		TEXT,
	dsn		TEXT,
	code		INTEGER,
	stage		TEXT,
	diagnostic	TEXT,
	PRIMARY KEY (queue_id, recipient)
) WITHOUT ROWID;
PRAGMA user_version = 3;
