-- PostgreSQL schema 2 -> 3: the detail of a failure's reason (SQLite's
-- schema 6), and the suppression list (SQLite's schema 5), filled from the
-- failure rows still kept as the writer would have (no expiry; deliveries
-- before this upgrade were never stored, so none undoes a row).
ALTER TABLE failure ADD COLUMN detail text;
CREATE TABLE suppression (
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
	         WHERE class_id = 1 AND reason_id IN (1, 2, 5, 7) AND status_id <> 5
	           AND local IS NOT NULL AND local <> ''
	         GROUP BY domain_id, local) g
	  JOIN failure f ON f.id = g.id;
UPDATE meta SET value = '3' WHERE key = 'schema_version';
