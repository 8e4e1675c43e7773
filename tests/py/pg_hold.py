"""Connects, writes, says where it is (a file: pid and database), then
holds its clone until killed."""
import os
import sys
import time

import psycopg2

src, ready = sys.argv[1:3]
conn = psycopg2.connect(dbname=src)
conn.autocommit = True
cur = conn.cursor()
cur.execute("INSERT INTO t VALUES (50, 'held')")
cur.execute("SELECT current_database()")
with open(ready + ".tmp", "w") as f:
    f.write("%d %s\n" % (os.getpid(), cur.fetchone()[0]))
os.rename(ready + ".tmp", ready)
time.sleep(120)
