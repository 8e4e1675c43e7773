"""Times CREATE DATABASE ... TEMPLATE with STRATEGY WAL_LOG and FILE_COPY
(PostgreSQL 15) on the server in the environment, for sources of three
sizes; prints one markdown table row per size: medians of RUNS copies,
alternating the two strategies, on one open session.

    pg_strategy.py MEDIUM RUNS"""
import statistics
import sys
import time

import psycopg2

medium, runs = sys.argv[1], int(sys.argv[2])
admin = psycopg2.connect(dbname="postgres")
admin.autocommit = True
cur = admin.cursor()

SIZES = [
    ("40 tables, 20 rows each",
     ";".join("CREATE TABLE t%d (id int primary key, v text);"
              "INSERT INTO t%d SELECT g, md5(g::text) FROM generate_series(1, 20) g" % (i, i)
              for i in range(40))),
    ("100,000 rows", "CREATE TABLE t (id int primary key, v text);"
     "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100000) g"),
    ("1,000,000 rows", "CREATE TABLE t (id int primary key, v text);"
     "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000000) g"),
]

for label, fill in SIZES:
    cur.execute("DROP DATABASE IF EXISTS strategy_src")
    cur.execute("CREATE DATABASE strategy_src")
    src = psycopg2.connect(dbname="strategy_src")
    src.autocommit = True
    src.cursor().execute(fill)
    src.close()
    times = {"WAL_LOG": [], "FILE_COPY": []}
    for i in range(runs):
        for strategy in ("WAL_LOG", "FILE_COPY"):
            t0 = time.perf_counter()
            cur.execute("CREATE DATABASE strategy_copy TEMPLATE strategy_src "
                        "STRATEGY %s" % strategy)
            times[strategy].append((time.perf_counter() - t0) * 1e3)
            cur.execute("DROP DATABASE strategy_copy")
    wal, fc = (statistics.median(times[s]) for s in ("WAL_LOG", "FILE_COPY"))
    print("| %s | %s | %.1f ms | %.1f ms | %s |" % (
        medium, label, wal, fc, "FILE_COPY" if fc < wal else "WAL_LOG"))
    cur.execute("DROP DATABASE strategy_src")
