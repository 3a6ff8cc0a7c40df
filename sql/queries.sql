-- sql/queries.sql -- worked examples for people who query the bouncewatch
-- database with sqlite3 directly.  Open it read-only; the daemon may be
-- writing at the same time (WAL: readers never block it):
--
--     sqlite3 -readonly /var/lib/bouncewatch/bouncewatch.db
--
-- The views (v_failures, v_daily, v_domain_day, v_host_day, v_suppressions,
-- v_top_reasons, v_unrecognised) are in sql/views.sql.  Hosts and Postfix
-- instances (the syslog name before '/', "postfix-out") are columns of
-- v_failures, v_daily and v_host_day: a central log of several MTAs is
-- told apart.  Days are local
-- calendar days ('YYYY-MM-DD', the configured time zone); v_failures.time
-- is UTC.  local_throttle (reason 21: our own MTA deferring on purpose) is
-- not a failure of the remote domain.
--
-- The queries take named parameters; each has a default when left unset,
-- so they also run as they are.  To set one in the sqlite3 shell:
--
--     .parameter set :day "'2026-11-22'"
--     .parameter set :domain "'gmail.com'"
--
-- Every query below is run against a real imported database by
-- tests/report_cli.sh.  Each starts with a line "-- Q: title".  Each
-- reads only the range it asks for, through an index or through day_span
-- (the first and last failure row of each day), whatever the age of the
-- database; bench/scale.sh times them on 30 days.

-- Q: Failures per domain yesterday (or on :day), with the failure rate
SELECT domain, permanent + temporary + greylist AS failures,
       permanent, temporary, greylist, attempts, failure_pct, local_throttle
  FROM v_domain_day
 WHERE day = coalesce(:day, date('now', 'localtime', '-1 day'))
   AND permanent + temporary + greylist > 0
 ORDER BY failures DESC, domain;

-- Q: Top reasons this week (or from :from to :to), by class
SELECT class, reason, sum(n) AS failures
  FROM v_top_reasons
 WHERE day BETWEEN coalesce(:from, date('now', 'localtime', '-6 days'))
               AND coalesce(:to, date('now', 'localtime'))
   AND reason <> 'local_throttle'
 GROUP BY class, reason
 ORDER BY failures DESC
 LIMIT coalesce(:n, 20);

-- Q: Replies no rule recognised, most frequent first (kept after prune)
SELECT n, first_seen, last_seen, example_domain, normalized, example
  FROM v_unrecognised
 ORDER BY n DESC
 LIMIT coalesce(:n, 20);

-- Q: A recipient's history: its failed attempts of the last 30 days (or :from to :to), newest first
-- (no index on recipients: one would be written at random places on every
-- insert and cost the import as the database ages; day_span bounds the
-- rows, and the local part -- or the whole recipient, when it was stored
-- whole -- picks them before the view puts each row together)
SELECT time, status, class, reason, relay, dsn, diagnostic
  FROM v_failures
 WHERE id IN (
       SELECT id FROM failure
        WHERE id BETWEEN (SELECT min(first_id) FROM day_span
                           WHERE day BETWEEN coalesce(:from, date('now', 'localtime', '-30 days'))
                                         AND coalesce(:to, date('now', 'localtime')))
                     AND (SELECT max(last_id) FROM day_span
                           WHERE day BETWEEN coalesce(:from, date('now', 'localtime', '-30 days'))
                                         AND coalesce(:to, date('now', 'localtime')))
          AND local IN (coalesce(:recipient, 'postmaster@example.com'),
                        substr(coalesce(:recipient, 'postmaster@example.com'), 1,
                               instr(coalesce(:recipient, 'postmaster@example.com'), '@') - 1)))
   AND recipient = coalesce(:recipient, 'postmaster@example.com')
 ORDER BY id DESC;

-- Q: One domain (:domain) day by day, the last 30 days (or :from to :to)
SELECT day, attempts, delivered, permanent, temporary, greylist, failure_pct
  FROM v_domain_day
 WHERE domain = coalesce(:domain, 'gmail.com')
   AND day BETWEEN coalesce(:from, date('now', 'localtime', '-30 days'))
               AND coalesce(:to, date('now', 'localtime'))
 ORDER BY day;

-- Q: Totals per day and class (delivered included), the last 14 days (or :from to :to)
SELECT day, class, sum(n) AS n
  FROM v_daily
 WHERE day BETWEEN coalesce(:from, date('now', 'localtime', '-13 days'))
               AND coalesce(:to, date('now', 'localtime'))
 GROUP BY day, class
 ORDER BY day DESC, class;

-- Q: Top normalised failure texts on :day, with how many domains each hit
-- (day_span bounds the rowids of a day: no index needed, fast on big data)
SELECT g.normalized AS text, count(*) AS n,
       count(DISTINCT f.domain_id) AS domains
  FROM failure f
  JOIN diagnostic g ON g.id = f.diagnostic_id
 WHERE f.id BETWEEN (SELECT first_id FROM day_span
                      WHERE day = coalesce(:day, date('now', 'localtime', '-1 day')))
                AND (SELECT last_id FROM day_span
                      WHERE day = coalesce(:day, date('now', 'localtime', '-1 day')))
   AND f.reason_id <> 21
 GROUP BY g.normalized
 ORDER BY n DESC
 LIMIT coalesce(:n, 20);

-- Q: Domains failing on :day that had no failure in the 7 days before
SELECT cur.domain, cur.permanent + cur.temporary + cur.greylist AS failures,
       cur.attempts
  FROM v_domain_day cur
 WHERE cur.day = coalesce(:day, date('now', 'localtime', '-1 day'))
   AND cur.permanent + cur.temporary + cur.greylist > 0
   AND cur.domain NOT IN (
       SELECT d.name FROM daily old JOIN domain d ON d.id = old.domain_id
        WHERE old.day BETWEEN date(coalesce(:day, date('now', 'localtime', '-1 day')), '-7 days')
                          AND date(coalesce(:day, date('now', 'localtime', '-1 day')), '-1 day')
          AND (old.class_id = 3 OR (old.class_id IN (1, 2) AND old.reason_id <> 21)))
 ORDER BY failures DESC, cur.domain;

-- Q: Relays that fail most this week (or from :from to :to)
-- (day_span bounds the rows of the days; the times cut them exactly)
SELECT r.name AS relay, count(*) AS failures,
       sum(f.class_id = 1) AS permanent, sum(f.class_id = 2) AS temporary
  FROM failure f
  JOIN relay r ON r.id = f.relay_id
 WHERE f.id BETWEEN (SELECT min(first_id) FROM day_span
                      WHERE day BETWEEN coalesce(:from, date('now', 'localtime', '-6 days'))
                                    AND coalesce(:to, date('now', 'localtime')))
                AND (SELECT max(last_id) FROM day_span
                      WHERE day BETWEEN coalesce(:from, date('now', 'localtime', '-6 days'))
                                    AND coalesce(:to, date('now', 'localtime')))
   AND f.time >= strftime('%s', coalesce(:from, date('now', 'localtime', '-6 days')), 'utc')
   AND f.time <  strftime('%s', coalesce(:to, date('now', 'localtime')), '+1 day', 'utc')
   AND f.reason_id <> 21
 GROUP BY r.name
 ORDER BY failures DESC, relay
 LIMIT coalesce(:n, 20);

-- Q: Our own MTA's deliberate defers (local_throttle) per day, the last 30 days (or :from to :to)
SELECT day, sum(n) AS deferrals
  FROM v_daily
 WHERE reason = 'local_throttle'
   AND day BETWEEN coalesce(:from, date('now', 'localtime', '-30 days'))
               AND coalesce(:to, date('now', 'localtime'))
 GROUP BY day
 ORDER BY day DESC;

-- Q: Failure rate per host and Postfix instance yesterday (or on :day)
SELECT coalesce(host, '(unknown)') AS host, coalesce(instance, '') AS instance,
       attempts, permanent + temporary + greylist AS failures, failure_pct,
       local_throttle
  FROM v_host_day
 WHERE day = coalesce(:day, date('now', 'localtime', '-1 day'))
 ORDER BY failure_pct DESC, host, instance;

-- Q: Domains failing per host this week (or from :from to :to)
SELECT coalesce(host, '(unknown)') AS host, domain, sum(n) AS failures
  FROM v_daily
 WHERE day BETWEEN coalesce(:from, date('now', 'localtime', '-6 days'))
               AND coalesce(:to, date('now', 'localtime'))
   AND class <> 'delivered' AND reason <> 'local_throttle'
 GROUP BY host, domain
 ORDER BY failures DESC, host, domain
 LIMIT coalesce(:n, 20);

-- Q: Failed recipients and messages per domain on :day, beside the attempts
-- (distinct recipients: one address retried ten times counts once; the
-- report's failed_recipients and failed_messages, by UTC day here; the
-- local days around it bound the rows through day_span)
SELECT domain,
       count(DISTINCT recipient) AS failed_recipients,
       count(DISTINCT CASE WHEN class = 'permanent' THEN recipient END)
           AS permanent_recipients,
       count(DISTINCT coalesce(host, '') || ' ' || queue_id) AS failed_messages,
       count(*) AS failed_attempts
  FROM v_failures
 WHERE id BETWEEN (SELECT min(first_id) FROM day_span
                    WHERE day BETWEEN date(coalesce(:day, date('now', '-1 day')), '-1 day')
                                  AND date(coalesce(:day, date('now', '-1 day')), '+1 day'))
              AND (SELECT max(last_id) FROM day_span
                    WHERE day BETWEEN date(coalesce(:day, date('now', '-1 day')), '-1 day')
                                  AND date(coalesce(:day, date('now', '-1 day')), '+1 day'))
   AND time >= coalesce(:day, date('now', '-1 day'))
   AND time < date(coalesce(:day, date('now', '-1 day')), '+1 day')
   AND reason <> 'local_throttle'
 GROUP BY domain
 ORDER BY permanent_recipients DESC, failed_recipients DESC, domain;

-- Q: Recipients to suppress: last known outcome a permanent failure of the
-- address (what "bouncewatch suppressions" lists)
SELECT recipient, reason, last_seen, n
  FROM v_suppressions
 ORDER BY last_seen DESC
 LIMIT coalesce(:n, 100);
