-- Schema version 4 -> 5: recipients whose last known outcome is a
-- permanent recipient failure, for "bouncewatch suppressions".
CREATE TABLE suppression (
	domain_id	INTEGER NOT NULL,
	local		TEXT NOT NULL,
	reason_id	INTEGER NOT NULL,
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	n		INTEGER NOT NULL,
	failure_id	INTEGER,
	PRIMARY KEY (domain_id, local)
) WITHOUT ROWID;
-- From the failure rows still kept.  Deliveries were never stored one by
-- one, so one made after such a failure and before this upgrade is not
-- known: from now on a delivery removes the recipient.
INSERT INTO suppression (domain_id, local, reason_id, first_seen, last_seen, n, failure_id)
	SELECT g.domain_id, g.local, f.reason_id, g.t0, g.t1, g.n, g.id
	  FROM (SELECT domain_id, local, min(time) AS t0, max(time) AS t1,
	               count(*) AS n, max(id) AS id
	          FROM failure
	         WHERE class_id = 1 AND reason_id IN (1, 2, 5, 7) AND local IS NOT NULL
	         GROUP BY domain_id, local) g
	  JOIN failure f ON f.id = g.id;
PRAGMA user_version = 5;
