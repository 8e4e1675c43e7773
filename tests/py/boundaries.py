"""N boundaries on a source (DBCLONE_TEST=<prefix><i>), 0.2 s apart: each
prints the time of its connect and first query in ms, or "failed <why>"."""
import os
import sys
import time

import psycopg2

src, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(n):
    os.environ["DBCLONE_TEST"] = "%s%d" % (prefix, i)
    t0 = time.monotonic()
    try:
        c = psycopg2.connect(dbname=src)
        c.cursor().execute("SELECT 1")
        print("%s %.1f" % (prefix, (time.monotonic() - t0) * 1e3), flush=True)
        c.close()
    except Exception as e:
        print("%s failed %s" % (prefix, str(e).strip().splitlines()[0]), flush=True)
    time.sleep(0.2)
