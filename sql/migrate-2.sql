-- Schema version 1 -> 2: counters of what was read, by kind of line.
CREATE TABLE line_stats (
	source_id	INTEGER NOT NULL,
	kind		TEXT NOT NULL,
	n		INTEGER NOT NULL,
	PRIMARY KEY (source_id, kind)
) WITHOUT ROWID;
PRAGMA user_version = 2;
