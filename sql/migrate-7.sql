-- Schema version 6 -> 7: day summaries (src/daysum.h), what a report over
-- many days reads instead of every failure row.  Each one holds the day's
-- row id bounds from day_span when it was built: a summary whose bounds
-- are no longer the day's is stale and not used.
CREATE TABLE day_summary (
	day		TEXT NOT NULL UNIQUE,
	first_id	INTEGER NOT NULL,
	last_id		INTEGER NOT NULL,
	data		BLOB NOT NULL
);
PRAGMA user_version = 7;
