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
-- tests/report_cli.sh.  Each starts with a line "-- Q: title".

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

-- Q: A recipient's history: every failed attempt, newest first
SELECT time, status, class, reason, relay, dsn, diagnostic
  FROM v_failures
 WHERE recipient = coalesce(:recipient, 'postmaster@example.com')
 ORDER BY id DESC;

-- Q: One domain (:domain) day by day, the last 30 days (or :from to :to)
SELECT day, attempts, delivered, permanent, temporary, greylist, failure_pct
  FROM v_domain_day
 WHERE domain = coalesce(:domain, 'gmail.com')
   AND day BETWEEN coalesce(:from, date('now', 'localtime', '-30 days'))
               AND coalesce(:to, date('now', 'localtime'))
 ORDER BY day;

-- Q: Totals per day and class (delivered included)
SELECT day, class, sum(n) AS n
  FROM v_daily
 GROUP BY day, class
 ORDER BY day DESC, class
 LIMIT 4 * 14;

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
   AND NOT EXISTS (
       SELECT 1 FROM v_domain_day old
        WHERE old.domain = cur.domain
          AND old.day BETWEEN date(cur.day, '-7 days') AND date(cur.day, '-1 day')
          AND old.permanent + old.temporary + old.greylist > 0)
 ORDER BY failures DESC;

-- Q: Relays that fail most this week (or from :from to :to)
SELECT relay, count(*) AS failures,
       sum(class = 'permanent') AS permanent, sum(class = 'temporary') AS temporary
  FROM v_failures
 WHERE time >= strftime('%Y-%m-%dT%H:%M:%SZ',
                        coalesce(:from, date('now', 'localtime', '-6 days')), 'utc')
   AND time <  strftime('%Y-%m-%dT%H:%M:%SZ',
                        coalesce(:to, date('now', 'localtime')), '+1 day', 'utc')
   AND reason <> 'local_throttle' AND relay IS NOT NULL
 GROUP BY relay
 ORDER BY failures DESC
 LIMIT coalesce(:n, 20);

-- Q: Our own MTA's deliberate defers (local_throttle) per day
SELECT day, sum(n) AS deferrals
  FROM v_daily
 WHERE reason = 'local_throttle'
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
-- report's failed_recipients and failed_messages, by UTC day here)
SELECT domain,
       count(DISTINCT recipient) AS failed_recipients,
       count(DISTINCT CASE WHEN class = 'permanent' THEN recipient END)
           AS permanent_recipients,
       count(DISTINCT coalesce(host, '') || ' ' || queue_id) AS failed_messages,
       count(*) AS failed_attempts
  FROM v_failures
 WHERE time >= coalesce(:day, date('now', '-1 day'))
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
