"""Waits for a boundary signal sent from outside (dbclone next --pid):
writes in round 1, tells the test it is ready, waits for "go", then looks
again in round 2. Prints: round, database, rows."""
import os
import sys
import time

import psycopg2

src, ready, go = sys.argv[1:4]
for rnd in (1, 2):
    conn = psycopg2.connect(dbname=src)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT current_database(), count(*) FROM t")
    db, rows = cur.fetchone()
    cur.execute("INSERT INTO t VALUES (%s, 'round')", (100 + rnd,))
    conn.close()
    print(rnd, db, rows, flush=True)
    if rnd == 1:
        open(ready, "w").close()
        deadline = time.time() + 30
        while not os.path.exists(go) and time.time() < deadline:
            time.sleep(0.02)
