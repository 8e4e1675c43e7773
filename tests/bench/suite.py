"""A suite like CloneDbTestCase's: 50 tests on a 100,000-row table, each
updating or deleting rows in autocommit mode and then checking counts that
hold only on the pristine data. Isolation comes from outside:

    suite.py ENGINE DB none     no isolation (tests see each other's writes)
    suite.py ENGINE DB reload   each test first empties the table and
                                reloads it from a fixture copy
                                (serialized-rollback style)
    suite.py ENGINE DB dbclone  each test sets DBCLONE_TEST (under dbclone run)
    suite.py ENGINE DB fresh    each test on its own copy of DB, all 50 made
                                (and dropped) untimed: what the tests cost
                                on fresh data, with no cloning beside them
                                (PostgreSQL only: its copies start with a
                                cold buffer cache)
    suite.py ENGINE DB clones   no test: the 50 clones the suite needs, made
                                one after the other in this process, each
                                dropped after (the floor's clone time; on
                                PostgreSQL 15+ the faster STRATEGY's)

ENGINE is pg, sqlite (DB a file) or mysql. Prints "passed N failed M
seconds S"."""
import os
import shutil
import sys
import time

engine, db, mode = sys.argv[1], sys.argv[2], sys.argv[3]
# The modulo and the parameter, as each driver spells them.
mod, mark = ("%", "?") if engine == "sqlite" else ("%%", "%s")


def connect(name=None):
    name = name or db
    if engine == "pg":
        import psycopg2
        c = psycopg2.connect(dbname=name)
        c.autocommit = True
    elif engine == "sqlite":
        import sqlite3
        c = sqlite3.connect(name, isolation_level=None)
    else:
        import MySQLdb
        c = MySQLdb.connect(user="root", db=name, autocommit=True)
    return c


def raw_clones():
    """The clones alone: what no isolation by copies can go below; on
    PostgreSQL 15+ with each STRATEGY in turn, the faster counts (dbclone
    uses the faster too). Returns seconds."""
    if engine == "sqlite":
        start = time.perf_counter()
        for i in range(50):
            shutil.copyfile(db, db + ".floor")
            os.unlink(db + ".floor")
        return time.perf_counter() - start
    admin = connect("postgres" if engine == "pg" else db)
    cur = admin.cursor()
    if engine == "pg":
        strategies = [""]
        if admin.server_version >= 150000:
            strategies = [" STRATEGY WAL_LOG", " STRATEGY FILE_COPY"]
        times = []
        for strategy in strategies:
            start = time.perf_counter()
            for i in range(50):
                cur.execute("CREATE DATABASE floor_clone TEMPLATE %s%s" % (db, strategy))
                cur.execute("DROP DATABASE floor_clone")
            times.append(time.perf_counter() - start)
        return min(times)
    start = time.perf_counter()
    for i in range(50):
        cur.execute("CREATE DATABASE floor_clone")
        cur.execute("CREATE TABLE floor_clone.items LIKE items")
        cur.execute("INSERT INTO floor_clone.items SELECT * FROM items")
        cur.execute("DROP DATABASE floor_clone")
    return time.perf_counter() - start


def fresh_copies(n):
    """n copies of db, made before the tests from one frozen copy (as a
    run's golden), with the faster STRATEGY; returns their names and the
    admin cursor that drops them."""
    admin = connect("postgres")
    cur = admin.cursor()
    cur.execute("CREATE DATABASE fresh_golden TEMPLATE %s" % db)
    cur.execute("ALTER DATABASE fresh_golden WITH ALLOW_CONNECTIONS false")
    strategy = " STRATEGY FILE_COPY" if admin.server_version >= 150000 else ""
    for i in range(n):
        cur.execute("CREATE DATABASE fresh_%d TEMPLATE fresh_golden%s" % (i, strategy))
    return ["fresh_%d" % i for i in range(n)], cur


def drop_fresh(names, cur):
    for name in names + ["fresh_golden"]:
        cur.execute("DROP DATABASE %s" % name)


fresh = drop_cur = None
if mode == "fresh":
    fresh, drop_cur = fresh_copies(50)
passed = failed = 0
start = time.perf_counter()
if mode == "clones":
    took = raw_clones()
    start = time.perf_counter() - took
for i in range(50 if mode != "clones" else 0):
    if mode == "dbclone":
        os.environ["DBCLONE_TEST"] = "test_%d" % i
    conn = connect(fresh[i] if fresh else None)
    cur = conn.cursor()
    if mode == "reload":
        cur.execute("DELETE FROM items" if engine == "sqlite" else "TRUNCATE items")
        cur.execute("INSERT INTO items SELECT * FROM fixture_items")
    if i % 2:
        cur.execute("DELETE FROM items WHERE id %s 50 = %s" % (mod, mark), (i,))
        cur.execute("SELECT count(*) FROM items")
        ok = cur.fetchone()[0] == 100000 - 2000
    else:
        cur.execute("UPDATE items SET qty = qty + 1 WHERE id %s 25 = %s" % (mod, mark),
                    (i % 25,))
        cur.execute("SELECT count(*) FROM items WHERE qty = 2")
        ok = cur.fetchone()[0] == 4000
    conn.close()
    passed += ok
    failed += not ok
took = time.perf_counter() - start
if fresh:
    drop_fresh(fresh, drop_cur)
print("passed %d failed %d seconds %.2f" % (passed, failed, took))
