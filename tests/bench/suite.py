"""A suite like CloneDbTestCase's: 50 tests on a 100,000-row table, each
updating or deleting rows in autocommit mode and then checking counts that
hold only on the pristine data. Isolation comes from outside:

    suite.py DB none     no isolation (tests see each other's writes)
    suite.py DB reload   each test first truncates and reloads the table
                         from a fixture copy (serialized-rollback style)
    suite.py DB dbclone  each test sets DBCLONE_TEST (run under dbclone run)

Prints "passed N failed M seconds S"."""
import os
import sys
import time

import psycopg2

db, mode = sys.argv[1], sys.argv[2]
passed = failed = 0
start = time.perf_counter()
for i in range(50):
    if mode == "dbclone":
        os.environ["DBCLONE_TEST"] = "test_%d" % i
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    cur = conn.cursor()
    if mode == "reload":
        cur.execute("TRUNCATE items")
        cur.execute("INSERT INTO items SELECT * FROM fixture_items")
    if i % 2:
        cur.execute("DELETE FROM items WHERE id %% 50 = %s", (i,))
        cur.execute("SELECT count(*) FROM items")
        ok = cur.fetchone()[0] == 100000 - 2000
    else:
        cur.execute("UPDATE items SET qty = qty + 1 WHERE id %% 25 = %s", (i % 25,))
        cur.execute("SELECT count(*) FROM items WHERE qty = 2")
        ok = cur.fetchone()[0] == 4000
    conn.close()
    passed += ok
    failed += not ok
print("passed %d failed %d seconds %.2f" % (passed, failed, time.perf_counter() - start))
