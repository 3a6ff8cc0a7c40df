-- bouncewatch database schema.  The single source of truth: compiled into
-- the programs at build time, applied to a new database, and described in
-- bouncewatch(1) section DATABASE.  PRAGMA user_version is the schema
-- version; sql/migrate-N.sql (also compiled in) upgrades version N-1 to N,
-- each in its own transaction.
--
-- Humans: open the database with "sqlite3 -readonly" and use the views at
-- the end (v_failures, v_daily, v_domain_day, v_top_reasons,
-- v_unrecognised); sql/queries.sql has worked examples.
--
-- Times are seconds since the epoch, UTC.  "day" is the local calendar day
-- (the configured timezone) as 'YYYY-MM-DD'.

PRAGMA user_version = 7;

CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	ANY
) WITHOUT ROWID;

-- The fixed vocabulary (design.md §4), stored by name: ids never change
-- meaning, new names are only ever appended.
CREATE TABLE class (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE
);
INSERT INTO class (id, name) VALUES
	(0, 'delivered'), (1, 'permanent'), (2, 'temporary'), (3, 'greylist');

CREATE TABLE reason (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE
);
INSERT INTO reason (id, name) VALUES
	(0, 'none'), (1, 'user_unknown'), (2, 'mailbox_disabled'),
	(3, 'mailbox_full'), (4, 'message_too_large'), (5, 'bad_address'),
	(6, 'sender_rejected'), (7, 'domain_not_found'), (8, 'host_unreachable'),
	(9, 'connection_lost'), (10, 'tls_error'), (11, 'protocol_error'),
	(12, 'relay_denied'), (13, 'blocklisted'), (14, 'content_rejected'),
	(15, 'auth_failed'), (16, 'policy'), (17, 'rate_limited'),
	(18, 'greylisted'), (19, 'server_unavailable'), (20, 'routing_loop'),
	(21, 'local_throttle'), (22, 'local_error'), (23, 'expired'),
	(24, 'other');

CREATE TABLE status (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE
);
INSERT INTO status (id, name) VALUES
	(0, 'none'), (1, 'sent'), (2, 'deferred'), (3, 'bounced'),
	(4, 'softbounce'), (5, 'expired');

-- Interned strings: each distinct value stored once.
CREATE TABLE domain (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE relay  (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE host   (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
-- A Postfix instance: the syslog name before its '/' ("postfix-out").
CREATE TABLE instance (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE rule   (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
-- The reply of a failure: SMTP code (0: none), dsn or enhanced code ('':
-- none) and SMTP stage ('': unknown).  A few hundred combinations.
CREATE TABLE reply (
	id	INTEGER PRIMARY KEY,
	code	INTEGER NOT NULL,
	dsn	TEXT NOT NULL,
	stage	TEXT NOT NULL,
	UNIQUE (code, dsn, stage)
);

-- Diagnostic texts, stored once.  "template" is the exact text with the
-- row's recipient replaced by char(1)||'r', its relay "host[addr]" by
-- char(1)||'h', the recipient domain by char(1)||'d', and its first three variable words (ids, IPs, numbers) by
-- char(1)||'1' .. '3', kept in failure.arg1 .. arg3; v_failures puts them
-- all back.  "normalized" has addresses, IPs, ids and numbers replaced,
-- for grouping in reports.
CREATE TABLE diagnostic (
	id		INTEGER PRIMARY KEY,
	hash		INTEGER NOT NULL,	-- of the template, for lookups
	template	TEXT NOT NULL,
	normalized	TEXT NOT NULL
);
CREATE INDEX diagnostic_hash ON diagnostic (hash);

-- One generation of one log file, and how far it has been read.  Identity
-- is by content: the first fp_len bytes (fingerprint) and the bytes just
-- before the offset (tail), never by inode alone.  The offset is always at
-- a line start and is committed in the same transaction as the rows and
-- counters produced by the lines before it.
CREATE TABLE source (
	id		INTEGER PRIMARY KEY,
	path		TEXT NOT NULL,
	fp		BLOB NOT NULL,
	fp_len		INTEGER NOT NULL,
	dev		INTEGER NOT NULL DEFAULT 0,
	ino		INTEGER NOT NULL DEFAULT 0,
	offset		INTEGER NOT NULL DEFAULT 0,
	tail		BLOB NOT NULL DEFAULT x'',
	lines		INTEGER NOT NULL DEFAULT 0,
	state		TEXT NOT NULL DEFAULT 'active'
			    CHECK (state IN ('active', 'rotated', 'done', 'gone')),
	first_seen	INTEGER NOT NULL,
	last_commit	INTEGER NOT NULL
);

-- Data loss we know of and cannot undo (copytruncate windows, a rotated
-- generation deleted while stopped, a file rewritten in place).
CREATE TABLE gap (
	id		INTEGER PRIMARY KEY,
	time		INTEGER NOT NULL,
	source_id	INTEGER REFERENCES source (id),
	from_offset	INTEGER,
	to_offset	INTEGER,
	reason		TEXT NOT NULL
);

-- Per local day, recipient domain, class, reason, host and instance:
-- delivery attempts (one per delivery line; an expired event counts as
-- permanent).  Delivered mail lives only here, failures also in "failure".
-- host_id and instance_id are 0 when unknown (rows from before schema 4
-- have instance 0, and host 0 unless the database knew a single host).
CREATE TABLE daily (
	day		TEXT NOT NULL,
	domain_id	INTEGER NOT NULL,
	class_id	INTEGER NOT NULL,
	reason_id	INTEGER NOT NULL,
	host_id		INTEGER NOT NULL DEFAULT 0,
	instance_id	INTEGER NOT NULL DEFAULT 0,
	n		INTEGER NOT NULL,
	PRIMARY KEY (day, domain_id, class_id, reason_id, host_id, instance_id)
) WITHOUT ROWID;

-- One row per failed delivery attempt.  Rows are appended in log order, so
-- "day_span" bounds the rowids of each day and time-range queries need no
-- index of their own.
CREATE TABLE failure (
	id		INTEGER PRIMARY KEY,
	time		INTEGER NOT NULL,
	source_id	INTEGER,
	offset		INTEGER,
	host_id		INTEGER,
	queue_id	TEXT,
	local		TEXT,		-- recipient local part; the whole recipient
					-- when it has no '@' or its domain is not lower case
	domain_id	INTEGER NOT NULL,
	relay_id	INTEGER,
	status_id	INTEGER NOT NULL,
	class_id	INTEGER NOT NULL,
	reason_id	INTEGER NOT NULL,
	reply_id	INTEGER NOT NULL,
	diagnostic_id	INTEGER,
	rule_id		INTEGER,
	arg1		TEXT,		-- the variable words of the diagnostic
	arg2		TEXT,
	arg3		TEXT,
	instance_id	INTEGER,	-- the Postfix instance (schema 4)
	detail		TEXT		-- beside the reason: "spf", "dnsbl:spamcop"
					-- (schema 6); NULL: the evidence names none
);

CREATE TABLE day_span (
	day		TEXT PRIMARY KEY,
	first_id	INTEGER NOT NULL,
	last_id		INTEGER NOT NULL
) WITHOUT ROWID;

-- A summary of a day's failure rows for reports over many days (src/daysum.h;
-- bouncewatch(1) DATABASE): sketches of the failed recipients and messages
-- per host and domain, counts by text, hour and relay.  first_id and
-- last_id are the day's day_span when it was built: when they differ, the
-- summary is stale and reports read the rows.  Rebuilt by import and the
-- daemon; safe to delete.
CREATE TABLE day_summary (
	day		TEXT NOT NULL UNIQUE,
	first_id	INTEGER NOT NULL,
	last_id		INTEGER NOT NULL,
	data		BLOB NOT NULL
);

-- Replies that no rule recognised (reason 'other'), for rule writers.
-- Survives "bouncewatch prune".
CREATE TABLE unrecognised (
	normalized	TEXT PRIMARY KEY,
	n		INTEGER NOT NULL,
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	example		TEXT NOT NULL,
	example_domain	TEXT
) WITHOUT ROWID;

-- Recipients whose last attempt was deferred: (host, instance, queue id,
-- 64-bit hash of the recipient) -> that attempt's failure row; queue ids
-- are unique only per host and Postfix instance.  When qmgr expires the
-- message, each becomes a permanent/expired failure of its own domain,
-- with the last deferral's reply.  Rows go when the recipient is delivered
-- or bounced, or when older than the maximal queue lifetime.  Rows from
-- before schema 4 have instance 0 and match any instance of their host.
CREATE TABLE pending (
	host_id		INTEGER NOT NULL,
	instance_id	INTEGER NOT NULL,
	queue_id	TEXT NOT NULL,
	rcpt		INTEGER NOT NULL,
	failure_id	INTEGER NOT NULL,
	time		INTEGER NOT NULL,
	PRIMARY KEY (host_id, instance_id, queue_id, rcpt)
) WITHOUT ROWID;

-- Recipients whose last known outcome is a permanent recipient failure
-- (user_unknown, mailbox_disabled, bad_address, domain_not_found): the
-- latest reason, when first and last seen, how many such failures, the
-- last failure row (its text, until pruned).  A delivery to the recipient
-- after last_seen removes the row.  Survives "bouncewatch prune".
CREATE TABLE suppression (
	domain_id	INTEGER NOT NULL,
	local		TEXT NOT NULL,	-- as failure.local
	reason_id	INTEGER NOT NULL,
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	n		INTEGER NOT NULL,
	failure_id	INTEGER,
	PRIMARY KEY (domain_id, local)
) WITHOUT ROWID;

-- Counters of what was read, by kind of line, per source.
CREATE TABLE line_stats (
	source_id	INTEGER NOT NULL,
	kind		TEXT NOT NULL,
	n		INTEGER NOT NULL,
	PRIMARY KEY (source_id, kind)
) WITHOUT ROWID;

-- The views are in sql/views.sql, applied after this file and after every
-- migration.
