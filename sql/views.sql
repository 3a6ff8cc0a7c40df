-- bouncewatch views: what people and scripts query (sqlite3 -readonly).
-- Compiled into the programs; applied when a database is created and
-- again after every migration, so they always match the tables.


DROP VIEW IF EXISTS v_failures;
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
       nullif(rp.code, 0) AS code,
       nullif(rp.dsn, '') AS dsn,
       nullif(rp.stage, '') AS stage,
       replace(replace(replace(replace(replace(replace(dg.template,
           char(1) || '1', coalesce(f.arg1, '')),
           char(1) || '2', coalesce(f.arg2, '')),
           char(1) || '3', coalesce(f.arg3, '')),
           char(1) || 'r', CASE WHEN d.name = '' OR instr(f.local, '@') > 0 THEN f.local
                                ELSE f.local || '@' || d.name END),
           char(1) || 'h', coalesce(substr(r.name, 1, instr(r.name, ']')), '')),
           char(1) || 'd', d.name) AS diagnostic,
       dg.normalized,
       ru.name AS rule,
       i.name AS instance,
       f.detail
  FROM failure f
  JOIN domain d ON d.id = f.domain_id
  JOIN status s ON s.id = f.status_id
  JOIN class c ON c.id = f.class_id
  JOIN reason re ON re.id = f.reason_id
  LEFT JOIN host h ON h.id = f.host_id
  LEFT JOIN instance i ON i.id = f.instance_id
  LEFT JOIN relay r ON r.id = f.relay_id
  JOIN reply rp ON rp.id = f.reply_id
  LEFT JOIN diagnostic dg ON dg.id = f.diagnostic_id
  LEFT JOIN rule ru ON ru.id = f.rule_id;

DROP VIEW IF EXISTS v_daily;
CREATE VIEW v_daily AS
SELECT dl.day, d.name AS domain, c.name AS class, re.name AS reason, dl.n,
       h.name AS host, i.name AS instance
  FROM daily dl
  JOIN domain d ON d.id = dl.domain_id
  JOIN class c ON c.id = dl.class_id
  JOIN reason re ON re.id = dl.reason_id
  LEFT JOIN host h ON h.id = dl.host_id
  LEFT JOIN instance i ON i.id = dl.instance_id;

-- Failures per domain per day, with the failure rate: the report's counts.
-- local_throttle (our own MTA deferring on purpose) is not a failure of
-- the remote domain, nor an attempt.
DROP VIEW IF EXISTS v_domain_day;
CREATE VIEW v_domain_day AS
SELECT dl.day,
       d.name AS domain,
       sum(CASE WHEN dl.reason_id <> 21 THEN dl.n ELSE 0 END) AS attempts,
       sum(CASE WHEN dl.class_id = 0 THEN dl.n ELSE 0 END) AS delivered,
       sum(CASE WHEN dl.class_id = 1 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END) AS permanent,
       sum(CASE WHEN dl.class_id = 2 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END) AS temporary,
       sum(CASE WHEN dl.class_id = 3 THEN dl.n ELSE 0 END) AS greylist,
       sum(CASE WHEN dl.reason_id = 21 THEN dl.n ELSE 0 END) AS local_throttle,
       sum(CASE WHEN dl.class_id > 0 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END) AS failures,
       round(100.0 * sum(CASE WHEN dl.class_id > 0 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END)
             / max(1, sum(CASE WHEN dl.reason_id <> 21 THEN dl.n ELSE 0 END)), 1) AS failure_pct
  FROM daily dl JOIN domain d ON d.id = dl.domain_id
 GROUP BY dl.day, dl.domain_id;

-- The same per host and Postfix instance (NULL: not known, rows from
-- before schema 4), over every domain.
DROP VIEW IF EXISTS v_host_day;
CREATE VIEW v_host_day AS
SELECT dl.day,
       h.name AS host,
       i.name AS instance,
       sum(CASE WHEN dl.reason_id <> 21 THEN dl.n ELSE 0 END) AS attempts,
       sum(CASE WHEN dl.class_id = 0 THEN dl.n ELSE 0 END) AS delivered,
       sum(CASE WHEN dl.class_id = 1 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END) AS permanent,
       sum(CASE WHEN dl.class_id = 2 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END) AS temporary,
       sum(CASE WHEN dl.class_id = 3 THEN dl.n ELSE 0 END) AS greylist,
       sum(CASE WHEN dl.reason_id = 21 THEN dl.n ELSE 0 END) AS local_throttle,
       round(100.0 * sum(CASE WHEN dl.class_id > 0 AND dl.reason_id <> 21 THEN dl.n ELSE 0 END)
             / max(1, sum(CASE WHEN dl.reason_id <> 21 THEN dl.n ELSE 0 END)), 1) AS failure_pct
  FROM daily dl
  LEFT JOIN host h ON h.id = dl.host_id
  LEFT JOIN instance i ON i.id = dl.instance_id
 GROUP BY dl.day, dl.host_id, dl.instance_id;

DROP VIEW IF EXISTS v_top_reasons;
CREATE VIEW v_top_reasons AS
SELECT dl.day, c.name AS class, re.name AS reason, sum(dl.n) AS n
  FROM daily dl
  JOIN class c ON c.id = dl.class_id
  JOIN reason re ON re.id = dl.reason_id
 WHERE dl.class_id > 0
 GROUP BY dl.day, dl.class_id, dl.reason_id;

-- Failures per day by reason and detail ("spf", "dnsbl:spamcop"), from
-- the failure rows: days whose detail was pruned are gone.
DROP VIEW IF EXISTS v_details;
CREATE VIEW v_details AS
SELECT ds.day, c.name AS class, re.name AS reason, f.detail, count(*) AS n
  FROM day_span ds
  JOIN failure f ON f.id BETWEEN ds.first_id AND ds.last_id
  JOIN class c ON c.id = f.class_id
  JOIN reason re ON re.id = f.reason_id
 WHERE f.detail IS NOT NULL
 GROUP BY ds.day, f.class_id, f.reason_id, f.detail;

DROP VIEW IF EXISTS v_unrecognised;
CREATE VIEW v_unrecognised AS
SELECT normalized, n,
       strftime('%Y-%m-%dT%H:%M:%SZ', first_seen, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', last_seen, 'unixepoch') AS last_seen,
       example, example_domain
  FROM unrecognised;

DROP VIEW IF EXISTS v_sources;
CREATE VIEW v_sources AS
SELECT id, path, state, offset, lines,
       strftime('%Y-%m-%dT%H:%M:%SZ', first_seen, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', last_commit, 'unixepoch') AS last_commit
  FROM source;

-- Recipients to suppress: the last known outcome was a permanent
-- recipient failure.
DROP VIEW IF EXISTS v_suppressions;
CREATE VIEW v_suppressions AS
SELECT CASE WHEN d.name = '' OR instr(s.local, '@') > 0 THEN s.local
            ELSE s.local || '@' || d.name END AS recipient,
       d.name AS domain,
       re.name AS reason,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.first_seen, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.last_seen, 'unixepoch') AS last_seen,
       s.n,
       s.failure_id
  FROM suppression s
  JOIN domain d ON d.id = s.domain_id
  JOIN reason re ON re.id = s.reason_id;
