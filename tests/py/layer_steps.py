"""One process that plays a harness: per line of stdin, "KEY BASE ACTION
[ARGS]" ("-" for unset), it sets DBCLONE_TEST and DBCLONE_BASE in its own
environment, opens a new connection (the library reads both at each
connect), does the action (layer_db.act) and prints its result, one line
per step. "- - touch FILE" only creates FILE (a mark for the kill loops)."""
import os
import sys

import layer_db

engine, source = sys.argv[1:3]
for line in sys.stdin:
    key, base, action, *args = line.split()
    if action == "touch":
        open(args[0], "w").close()
        continue
    for name, value in (("DBCLONE_TEST", key), ("DBCLONE_BASE", base)):
        if value == "-":
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    conn = layer_db.connect(engine, source)
    print(layer_db.act(engine, conn, action, args), flush=True)
    conn.close()
