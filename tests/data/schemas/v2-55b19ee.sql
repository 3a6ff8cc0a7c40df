-- Frozen: sql/schema.sql as commit 55b19ee
-- (2026-11-23, Store: pending recipients in the database; foreign databases; service files, Q) wrote them.
-- tests/upgrade_cli.sh builds a database from this file and upgrades it.

-- bouncewatch database schema.  The single source of truth: compiled into
-- the programs at build time, applied to a new database, and described in
-- bouncewatch(1) section DATABASE.  PRAGMA user_version is the schema
-- version; sql/migrate-N.sql upgrades version N-1 to N.
--
-- Humans: open the database with "sqlite3 -readonly" and use the views at
-- the end (v_failures, v_daily, v_domain_day, v_top_reasons,
-- v_unrecognised); sql/queries.sql has worked examples.
--
-- Times are seconds since the epoch, UTC.  "day" is the local calendar day
-- (the configured timezone) as 'YYYY-MM-DD'.

PRAGMA user_version = 2;

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
CREATE TABLE rule   (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE stage  (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);

-- Diagnostic texts, stored once.  "template" is the exact text with the
-- row's recipient replaced by char(1)||'r', its relay "host[addr]" by
-- char(1)||'h', the recipient domain by char(1)||'d', and its first three variable words (ids, IPs, numbers) by
-- char(1)||'1' .. '3', kept in failure.arg1 .. arg3; v_failures puts them
-- all back.  "normalized" has addresses, IPs, ids and numbers replaced,
-- for grouping in reports.
CREATE TABLE diagnostic (
	id		INTEGER PRIMARY KEY,
	template	TEXT NOT NULL UNIQUE,
	normalized	TEXT NOT NULL
);

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

-- Per local day, recipient domain, class and reason: delivery attempts
-- (one per delivery line; an expired event counts as permanent).
-- Delivered mail lives only here, failures also in "failure".
CREATE TABLE daily (
	day		TEXT NOT NULL,
	domain_id	INTEGER NOT NULL,
	class_id	INTEGER NOT NULL,
	reason_id	INTEGER NOT NULL,
	n		INTEGER NOT NULL,
	PRIMARY KEY (day, domain_id, class_id, reason_id)
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
	code		INTEGER,
	dsn		TEXT,
	stage_id	INTEGER,
	diagnostic_id	INTEGER,
	rule_id		INTEGER,
	arg1		TEXT,		-- the variable words of the diagnostic
	arg2		TEXT,
	arg3		TEXT
);

CREATE TABLE day_span (
	day		TEXT PRIMARY KEY,
	first_id	INTEGER NOT NULL,
	last_id		INTEGER NOT NULL
) WITHOUT ROWID;

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

-- Recipients whose last attempt was deferred, with that attempt's reply:
-- when qmgr expires the message, each becomes a permanent/expired failure
-- of its own domain.  Rows go when the recipient is delivered or bounced,
-- or after a month.
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

-- Counters of what was read, by kind of line, per source.
CREATE TABLE line_stats (
	source_id	INTEGER NOT NULL,
	kind		TEXT NOT NULL,
	n		INTEGER NOT NULL,
	PRIMARY KEY (source_id, kind)
) WITHOUT ROWID;

-- ---- views for people and scripts ----

CREATE VIEW v_failures AS
SELECT f.id,
       strftime('%Y-%m-%dT%H:%M:%SZ', f.time, 'unixepoch') AS time,
       h.name AS host,
       f.queue_id,
       CASE WHEN d.name = '' OR instr(f.local, '@') > 0 THEN f.local
            ELSE f.local || '@' || d.name END AS recipient,
       d.name AS domain,
       r.name AS relay,
       s.name AS status,
       c.name AS class,
       re.name AS reason,
       f.code,
       f.dsn,
       st.name AS stage,
       replace(replace(replace(replace(replace(replace(dg.template,
           char(1) || '1', coalesce(f.arg1, '')),
           char(1) || '2', coalesce(f.arg2, '')),
           char(1) || '3', coalesce(f.arg3, '')),
           char(1) || 'r', CASE WHEN d.name = '' OR instr(f.local, '@') > 0 THEN f.local
                                ELSE f.local || '@' || d.name END),
           char(1) || 'h', coalesce(substr(r.name, 1, instr(r.name, ']')), '')),
           char(1) || 'd', d.name) AS diagnostic,
       dg.normalized,
       ru.name AS rule
  FROM failure f
  JOIN domain d ON d.id = f.domain_id
  JOIN status s ON s.id = f.status_id
  JOIN class c ON c.id = f.class_id
  JOIN reason re ON re.id = f.reason_id
  LEFT JOIN host h ON h.id = f.host_id
  LEFT JOIN relay r ON r.id = f.relay_id
  LEFT JOIN stage st ON st.id = f.stage_id
  LEFT JOIN diagnostic dg ON dg.id = f.diagnostic_id
  LEFT JOIN rule ru ON ru.id = f.rule_id;

CREATE VIEW v_daily AS
SELECT dl.day, d.name AS domain, c.name AS class, re.name AS reason, dl.n
  FROM daily dl
  JOIN domain d ON d.id = dl.domain_id
  JOIN class c ON c.id = dl.class_id
  JOIN reason re ON re.id = dl.reason_id;

-- Failures per domain per day, with the failure rate.  local_throttle (our
-- own MTA deferring on purpose) is not a failure of the remote domain.
CREATE VIEW v_domain_day AS
SELECT dl.day,
       d.name AS domain,
       sum(dl.n) AS attempts,
       sum(CASE WHEN dl.class_id = 0 THEN dl.n ELSE 0 END) AS delivered,
       sum(CASE WHEN dl.class_id = 1 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END) AS permanent,
       sum(CASE WHEN dl.class_id = 2 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END) AS temporary,
       sum(CASE WHEN dl.class_id = 3 THEN dl.n ELSE 0 END) AS greylist,
       sum(CASE WHEN dl.reason_id = 21 THEN dl.n ELSE 0 END) AS local_throttle,
       round(100.0 * sum(CASE WHEN dl.class_id > 0 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END)
             / max(1, sum(CASE WHEN dl.reason_id <> 21 THEN dl.n ELSE 0 END)), 1) AS failure_pct
  FROM daily dl JOIN domain d ON d.id = dl.domain_id
 GROUP BY dl.day, dl.domain_id;

CREATE VIEW v_top_reasons AS
SELECT dl.day, c.name AS class, re.name AS reason, sum(dl.n) AS n
  FROM daily dl
  JOIN class c ON c.id = dl.class_id
  JOIN reason re ON re.id = dl.reason_id
 WHERE dl.class_id > 0
 GROUP BY dl.day, dl.class_id, dl.reason_id;

CREATE VIEW v_unrecognised AS
SELECT normalized, n,
       strftime('%Y-%m-%dT%H:%M:%SZ', first_seen, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', last_seen, 'unixepoch') AS last_seen,
       example, example_domain
  FROM unrecognised;

CREATE VIEW v_sources AS
SELECT id, path, state, offset, lines,
       strftime('%Y-%m-%dT%H:%M:%SZ', first_seen, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', last_commit, 'unixepoch') AS last_commit
  FROM source;
