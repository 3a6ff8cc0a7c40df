-- bouncewatch on PostgreSQL: the database and its roles for a fleet, run
-- once as a superuser:  psql -v ON_ERROR_STOP=1 -f sql/pg/roles.sql
-- Then give each role its password with \password in psql, and each MTA
-- its own in ~/.pgpass (or PGPASSFILE, or a service file) of the user
-- bouncewatchd runs as, never in bouncewatch.conf:
--   db.example.org:5432:bouncewatch:bw_writer:SECRET
-- bouncewatch.conf on each MTA:
--   database = postgresql://bw_writer@db.example.org/bouncewatch?sslmode=verify-full
--   node = mx1                  (its own name; default: the host name)
-- The first bouncewatchd (or bouncewatch import) creates the tables; the
-- report reads them with:
--   bouncewatch report --db postgresql://bw_report@db.example.org/bouncewatch

-- The writers: one role for every MTA; it owns the tables it creates, and
-- makes temporary tables (its staging tables for COPY).
CREATE ROLE bw_writer LOGIN;
-- The report and people: read only.
CREATE ROLE bw_report LOGIN;

CREATE DATABASE bouncewatch OWNER bw_writer;
\connect bouncewatch
REVOKE ALL ON DATABASE bouncewatch FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE bouncewatch TO bw_writer;
GRANT CONNECT ON DATABASE bouncewatch TO bw_report;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO bw_writer;
GRANT USAGE ON SCHEMA public TO bw_report;
-- what bw_writer creates, bw_report may read
ALTER DEFAULT PRIVILEGES FOR ROLE bw_writer IN SCHEMA public
    GRANT SELECT ON TABLES TO bw_report;
