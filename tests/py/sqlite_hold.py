"""Opens, writes, tells where it is (pid and file), holds until killed."""
import os
import sqlite3
import sys
import time

src, ready = sys.argv[1:3]
conn = sqlite3.connect(src, isolation_level=None)
conn.execute("INSERT INTO t VALUES (50, 'held')")
path = conn.execute("PRAGMA database_list").fetchone()[2]
with open(ready + ".tmp", "w") as f:
    f.write("%d %s\n" % (os.getpid(), path))
os.rename(ready + ".tmp", ready)
time.sleep(120)
