"""One CI job's suite, as the recipes run it: three tests, each writing to
the PostgreSQL, MariaDB and SQLite sources and expecting to start from
their three rows. Run twice at once, on one server, under dbclone run."""
import os
import sqlite3
import sys

import MySQLdb
import psycopg2

pg_db, my_db, lite = sys.argv[1:4]
failed = 0
for test in ("first", "second", "third"):
    os.environ["DBCLONE_TEST"] = test
    pg = psycopg2.connect(dbname=pg_db)
    my = MySQLdb.connect(unix_socket=os.environ["MYSQL_UNIX_PORT"], user="root",
                         db=my_db)
    sq = sqlite3.connect(lite)
    counts = []
    for conn in (pg, my, sq):
        cur = conn.cursor()
        cur.execute("INSERT INTO t VALUES (10, 'mine')")
        conn.commit()
        cur.execute("SELECT count(*) FROM t")
        counts.append(cur.fetchone()[0])
        conn.close()
    print(test, counts)
    failed |= counts != [4, 4, 4]
sys.exit(failed)
