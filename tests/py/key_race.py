"""16 threads connecting to a source (connect, then a first query) while
the main thread changes DBCLONE_TEST every 50 ms for 5 s. Prints
"connects N failed M", then the first failures."""
import os
import sys
import threading
import time

import psycopg2

src = sys.argv[1]
stop = threading.Event()
lock = threading.Lock()
done = [0]
failed = []


def worker():
    while not stop.is_set():
        try:
            c = psycopg2.connect(dbname=src)
            c.cursor().execute("SELECT 1")
            c.close()
            ok = True
        except Exception as e:  # a failed connect or first query
            ok = False
            err = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
        with lock:
            done[0] += 1
            if not ok:
                failed.append(err)


os.environ["DBCLONE_TEST"] = "k0"
threads = [threading.Thread(target=worker) for _ in range(16)]
for t in threads:
    t.start()
end = time.monotonic() + 5
i = 0
while time.monotonic() < end:
    time.sleep(0.05)
    i += 1
    os.environ["DBCLONE_TEST"] = "k%d" % i
stop.set()
for t in threads:
    t.join()
print("connects %d failed %d keys %d" % (done[0], len(failed), i + 1))
for e in failed[:5]:
    print("failure:", e)
