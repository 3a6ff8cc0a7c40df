-- Schema version 5 -> 6: the detail of a failure's reason, when the
-- evidence names it ("spf", "dnsbl:spamcop", "per_day"; bouncewatch(1)
-- CLASSIFICATION).  Rows from before have none.
ALTER TABLE failure ADD COLUMN detail TEXT;
PRAGMA user_version = 6;
