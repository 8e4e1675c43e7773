"""A connection left open across a boundary. Prints what happened to it
and to its clone, for DBCLONE_STALE=wait and terminate. Under wait, an
unused clone is dropped in the background: "after close" allows it 10
seconds."""
import os
import sys
import time

import psycopg2

src = sys.argv[1]
exists = "SELECT count(*) FROM pg_database WHERE datname = %s"

os.environ["DBCLONE_TEST"] = "first"
old = psycopg2.connect(dbname=src)
old.autocommit = True
old_cur = old.cursor()
old_cur.execute("SELECT current_database()")
old_db = old_cur.fetchone()[0]

os.environ["DBCLONE_TEST"] = "second"
new = psycopg2.connect(dbname=src)
new.autocommit = True
cur = new.cursor()
cur.execute("SELECT current_database()")
new_db = cur.fetchone()[0]
print("different", old_db != new_db)

try:
    old_cur.execute("SELECT count(*) FROM t")
    print("old connection works", old_cur.fetchone()[0])
except psycopg2.Error as e:
    print("old connection cut", type(e).__name__)
cur.execute(exists, (old_db,))
print("old clone while open", cur.fetchone()[0])
try:
    old.close()
except psycopg2.Error:
    pass
deadline = time.monotonic() + 10
while True:
    cur.execute(exists, (old_db,))
    alive = cur.fetchone()[0]
    if not alive or time.monotonic() > deadline:
        break
    time.sleep(0.02)
print("old clone after close", alive)
