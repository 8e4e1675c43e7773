"""Prints this process's resident memory in KiB after one psycopg2 connect
(run it with and without the library preloaded), and, under dbclone run, the
supervisor's (this process's parent's) as a second number."""
import sys

import psycopg2


def rss(pid="self"):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


conn = psycopg2.connect(dbname=sys.argv[1])
conn.cursor().execute("SELECT 1")
import os  # noqa: E402

parent = rss(os.getppid()) if len(sys.argv) > 2 else 0
print(rss(), parent)
conn.close()
