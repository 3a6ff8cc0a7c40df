-- PostgreSQL schema 2 -> 3: recipients whose last known outcome is a
-- permanent recipient failure, for "bouncewatch suppressions" (SQLite's
-- schema 5), from the failure rows still kept.
CREATE TABLE IF NOT EXISTS suppression (
	domain_id	bigint NOT NULL,
	local		text NOT NULL,
	reason_id	smallint NOT NULL,
	first_seen	bigint NOT NULL,
	last_seen	bigint NOT NULL,
	n		bigint NOT NULL,
	failure_id	bigint,
	PRIMARY KEY (domain_id, local)
);
INSERT INTO suppression (domain_id, local, reason_id, first_seen, last_seen, n, failure_id)
	SELECT g.domain_id, g.local, f.reason_id, g.t0, g.t1, g.n, g.id
	  FROM (SELECT domain_id, local, min(time) AS t0, max(time) AS t1,
	               count(*) AS n, max(id) AS id
	          FROM failure
	         WHERE class_id = 1 AND reason_id IN (1, 2, 5, 7) AND local IS NOT NULL
	         GROUP BY domain_id, local) g
	  JOIN failure f ON f.id = g.id
	ON CONFLICT DO NOTHING;
UPDATE meta SET value = '3' WHERE key = 'schema_version';
