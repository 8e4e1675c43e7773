"""Two tests in one process, as a harness runs them: DBCLONE_TEST is set
before each, and each commits in autocommit mode.

Prints, per test: name, database, rows seen at start, rows the other test
wrote that are visible, and whether the previous test's clone still exists
10 seconds on (it is dropped in the background after the boundary)."""
import os
import sys
import time

import psycopg2

src = sys.argv[1]
previous = None
for name, new_id in (("test_a", 10), ("test_b", 11), ("test_c", 12)):
    os.environ["DBCLONE_TEST"] = name
    conn = psycopg2.connect(dbname=src)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT current_database(), count(*), count(*) FILTER (WHERE id >= 10) FROM t")
    db, rows, foreign = cur.fetchone()
    deadline = time.monotonic() + 10
    while True:
        cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (previous or "",))
        previous_alive = cur.fetchone()[0]
        if not previous_alive or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    cur.execute("INSERT INTO t VALUES (%s, %s)", (new_id, name))
    conn.close()
    print(name, db, rows, foreign, previous_alive)
    previous = db
