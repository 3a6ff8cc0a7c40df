#!/usr/bin/env python3
"""compare-db.py -- what two bouncewatch databases of the end-to-end tests
hold, compared.

  compare-db.py same DB1 DB2 ...      the same log in other formats: every
      failure row equal (queue id, recipient, domain, status, class,
      reason, diagnostic, time to the second, host), line counts per
      kind, attempts per day, domain, class and reason
  compare-db.py outcomes DB           print what does not depend on the
      run's timing (for another Postfix run of the same scenario)
  compare-db.py outcomes-equal FILE DB   DB's outcomes against a printed one

Outcomes of a run: per recipient its distinct (status, class, reason) of
every failure row, the final (not deferred) rows, and deliveries per
domain.  Two runs differ in queue ids, times and how often a greylisted
recipient was retried, never in those.  Exit 0 when equal.
"""
import sqlite3
import sys


def db(path):
    return sqlite3.connect("file:%s?mode=ro" % path, uri=True)


def exact(path):
    c = db(path)
    q = lambda sql: sorted(tuple(r) for r in c.execute(sql).fetchall())
    return {
        "failures": q("select queue_id, recipient, domain, status, class, reason, "
                      "diagnostic, time, host from v_failures"),
        "line_stats": q("select kind, sum(n) from line_stats group by kind"),
        "daily": q("select day, domain, class, reason, sum(n) from v_daily "
                   "group by 1, 2, 3, 4"),
    }


def outcomes(path):
    c = db(path)
    out = []
    for r in c.execute("select distinct recipient, status, class, reason from v_failures"):
        out.append("failure\t" + "\t".join(map(str, r)))
    for r in c.execute("select recipient, status, class, reason from v_failures "
                       "where status != 'deferred'"):
        out.append("final\t" + "\t".join(map(str, r)))
    for r in c.execute("select domain, sum(n) from v_daily where class = 'delivered' "
                       "group by domain"):
        out.append("delivered\t%s\t%d" % r)
    return sorted(out)


def diff(a, b, what):
    extra = [x for x in b if x not in a]
    missing = [x for x in a if x not in b]
    if extra or missing:
        print("MISMATCH %s: missing %s extra %s" % (what, missing[:4], extra[:4]))
        return 1
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "same":
        ref = exact(argv[1])
        bad = 0
        for other in argv[2:]:
            got = exact(other)
            for k in ref:
                bad += diff(ref[k], got[k], "%s vs %s: %s" % (argv[1], other, k))
        print("same: %d databases, %d failure rows, lines %s: %s" % (
            len(argv) - 1, len(ref["failures"]), ref["line_stats"],
            "equal" if not bad else "DIFFERENT"))
        return 1 if bad else 0
    if len(argv) == 2 and argv[0] == "outcomes":
        print("\n".join(outcomes(argv[1])))
        return 0
    if len(argv) == 3 and argv[0] == "outcomes-equal":
        with open(argv[1]) as f:
            ref = sorted(l.rstrip("\n") for l in f if l.strip())
        got = outcomes(argv[2])
        bad = diff(ref, got, "outcomes of %s vs %s" % (argv[1], argv[2]))
        print("outcomes: %d (recipient, status, class, reason) and delivery lines: %s" % (
            len(ref), "equal" if not bad else "DIFFERENT"))
        return 1 if bad else 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
