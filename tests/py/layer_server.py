"""A small server under test for tests/61-layers.bats: it never sees
DBCLONE_TEST, keeps one connection across the harness's rounds and, per
request line on its FIFO (a layer_db action), answers "CLONE RESULT" on
its answer FIFO. A connection cut by a snapshot or by dbclone next
(DBCLONE_STALE=terminate) makes it reconnect, as pools do, and try the
request once more."""
import sys

import layer_db

engine, source, requests, answers = sys.argv[1:5]
conn = layer_db.connect(engine, source)
with open(requests) as inp, open(answers, "w", buffering=1) as out:
    for line in inp:
        action, *args = line.split()
        for attempt in (1, 2):
            try:
                result = layer_db.act(engine, conn, action, args)
                out.write("%s %s\n" % (layer_db.clone_name(engine, conn), result))
                break
            except layer_db.CUT:
                if attempt == 2:
                    raise
                conn = layer_db.connect(engine, source)
