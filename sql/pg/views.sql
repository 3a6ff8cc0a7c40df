-- bouncewatch views for PostgreSQL: the documented views of sql/views.sql
-- with the same names and columns (v_sources also names the node), for
-- psql and scripts.  Applied when the schema is created and again after
-- every migration, so they always match the tables.

DROP VIEW IF EXISTS v_failures;
CREATE VIEW v_failures AS
SELECT f.id,
       to_char(to_timestamp(f.time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS time,
       h.name AS host,
       f.queue_id,
       CASE WHEN d.name = '' OR strpos(f.local, '@') > 0 THEN f.local
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
           chr(1) || '1', coalesce(f.arg1, '')),
           chr(1) || '2', coalesce(f.arg2, '')),
           chr(1) || '3', coalesce(f.arg3, '')),
           chr(1) || 'r', CASE WHEN d.name = '' OR strpos(f.local, '@') > 0 THEN f.local
                               ELSE f.local || '@' || d.name END),
           chr(1) || 'h', coalesce(substr(r.name, 1, strpos(r.name, ']')), '')),
           chr(1) || 'd', d.name) AS diagnostic,
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
  LEFT JOIN relay r ON r.id = f.relay_id
  JOIN reply rp ON rp.id = f.reply_id
  LEFT JOIN diagnostic dg ON dg.id = f.diagnostic_id
  LEFT JOIN rule ru ON ru.id = f.rule_id
  LEFT JOIN instance i ON i.id = f.instance_id;

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

-- Failures per domain per day, with the failure rate.  local_throttle (our
-- own MTA deferring on purpose) is not a failure of the remote domain.
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
             / greatest(1, sum(CASE WHEN dl.reason_id <> 21 THEN dl.n ELSE 0 END)), 1) AS failure_pct
  FROM daily dl JOIN domain d ON d.id = dl.domain_id
 GROUP BY dl.day, dl.domain_id, d.name;

-- The same per host and Postfix instance (NULL: not known), over every
-- domain.
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
             / greatest(1, sum(CASE WHEN dl.reason_id <> 21 THEN dl.n ELSE 0 END)), 1) AS failure_pct
  FROM daily dl
  LEFT JOIN host h ON h.id = dl.host_id
  LEFT JOIN instance i ON i.id = dl.instance_id
 GROUP BY dl.day, dl.host_id, dl.instance_id, h.name, i.name;

-- Failures per day by reason and detail ("spf", "dnsbl:spamcop"), from
-- the failure rows (by their writer's local day: the day spans of several
-- nodes overlap): days whose detail was pruned are gone.
DROP VIEW IF EXISTS v_details;
CREATE VIEW v_details AS
SELECT f.day, c.name AS class, re.name AS reason, f.detail, count(*) AS n
  FROM failure f
  JOIN class c ON c.id = f.class_id
  JOIN reason re ON re.id = f.reason_id
 WHERE f.detail IS NOT NULL AND f.day IS NOT NULL
 GROUP BY f.day, f.class_id, f.reason_id, f.detail, c.name, re.name;

DROP VIEW IF EXISTS v_top_reasons;
CREATE VIEW v_top_reasons AS
SELECT dl.day, c.name AS class, re.name AS reason, sum(dl.n) AS n
  FROM daily dl
  JOIN class c ON c.id = dl.class_id
  JOIN reason re ON re.id = dl.reason_id
 WHERE dl.class_id > 0
 GROUP BY dl.day, dl.class_id, dl.reason_id, c.name, re.name;

DROP VIEW IF EXISTS v_unrecognised;
CREATE VIEW v_unrecognised AS
SELECT normalized, n,
       to_char(to_timestamp(first_seen) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS first_seen,
       to_char(to_timestamp(last_seen) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_seen,
       example, example_domain
  FROM unrecognised;

DROP VIEW IF EXISTS v_sources;
CREATE VIEW v_sources AS
SELECT s.id, n.name AS node, s.path, s.state, s."offset", s.lines,
       to_char(to_timestamp(s.first_seen) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS first_seen,
       to_char(to_timestamp(s.last_commit) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_commit
  FROM source s JOIN node n ON n.id = s.node_id;

-- Recipients to suppress: the last known outcome was a permanent
-- recipient failure.
DROP VIEW IF EXISTS v_suppressions;
CREATE VIEW v_suppressions AS
SELECT CASE WHEN d.name = '' OR strpos(s.local, '@') > 0 THEN s.local
            ELSE s.local || '@' || d.name END AS recipient,
       d.name AS domain,
       re.name AS reason,
       to_char(to_timestamp(s.first_seen) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS first_seen,
       to_char(to_timestamp(s.last_seen) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_seen,
       s.n,
       s.failure_id
  FROM suppression s
  JOIN domain d ON d.id = s.domain_id
  JOIN reason re ON re.id = s.reason_id;

-- The alerts raised (sql/alerts.sql's v_alerts), and the node that raised
-- each.
DROP VIEW IF EXISTS v_alerts;
CREATE VIEW v_alerts AS
SELECT a.id,
       to_char(to_timestamp(a.time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS time,
       a.condition,
       nullif(a.domain, '') AS domain,
       nullif(a.reason, '') AS reason,
       nullif(a.class, '') AS class,
       a.count,
       a."window",
       a.baseline,
       a.document,
       nullif(a.node, '') AS node
  FROM alert a;
