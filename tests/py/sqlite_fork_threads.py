"""A parent, a forked child and 8 threads opening at the same moment: one
file per key. Prints "parent PATH", "child PATH ROWS", "thread PATH" x8."""
import os
import sqlite3
import sys
import threading

src = sys.argv[1]


def path_of(conn):
    return conn.execute("PRAGMA database_list").fetchone()[2]


conn = sqlite3.connect(src, isolation_level=None)
conn.execute("INSERT INTO t VALUES (100, 'parent')")
print("parent", path_of(conn), flush=True)

pid = os.fork()
if pid == 0:
    child = sqlite3.connect(src)
    print("child", path_of(child), child.execute("SELECT count(*) FROM t").fetchone()[0], flush=True)
    child.close()
    os._exit(0)
os.waitpid(pid, 0)

barrier = threading.Barrier(8)
lock = threading.Lock()


def worker():
    barrier.wait()
    c = sqlite3.connect(src)
    with lock:
        print("thread", path_of(c), flush=True)
    c.close()


threads = [threading.Thread(target=worker) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
conn.close()
