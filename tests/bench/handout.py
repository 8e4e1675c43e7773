"""Times boundaries: each iteration sets a new DBCLONE_TEST (unless
--same-key), connects to the source, runs one query and closes; prints one
line per iteration in milliseconds. Run plainly for a plain connect, under
LD_PRELOAD for synchronous cloning, under dbclone run for the warm pool.

    handout.py ENGINE SOURCE RUNS PAUSE_SECONDS

With SAME_KEY=1 in the environment the key never changes: every timed
connect is a reconnect inside one test."""
import os
import sys
import time

engine, source, runs, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])


def connect():
    if engine == "pg":
        import psycopg2
        return psycopg2.connect(dbname=source)
    if engine == "sqlite":
        import sqlite3
        return sqlite3.connect(source)
    import MySQLdb
    return MySQLdb.connect(user="root", db=source)


connect().close()  # load the driver; a first (untimed) boundary
for i in range(runs):
    if not os.environ.get("SAME_KEY"):
        os.environ["DBCLONE_TEST"] = "bench-%d-%d" % (os.getpid(), i)
    time.sleep(pause)  # room for the pool to refill, as between real tests
    t0 = time.perf_counter()
    conn = connect()
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.fetchall()
    ms = (time.perf_counter() - t0) * 1e3
    conn.close()
    print("%.2f" % ms, flush=True)
