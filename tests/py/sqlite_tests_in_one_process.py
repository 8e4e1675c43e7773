"""Three tests in one process, DBCLONE_TEST set before each, each committing.
Prints per test: name, file in use, rows at start, rows other tests wrote."""
import os
import sqlite3
import sys

src = sys.argv[1]
for name, new_id in (("test_a", 10), ("test_b", 11), ("test_c", 12)):
    os.environ["DBCLONE_TEST"] = name
    conn = sqlite3.connect(src, isolation_level=None)
    rows, foreign = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE id >= 10) FROM t").fetchone()
    conn.execute("INSERT INTO t VALUES (?, ?)", (new_id, name))
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    conn.close()
    print(name, path, rows, foreign)
