"""The setup and the test keys after it, on any engine, in one process or
several (tests/60-setup.bats):

    setup_layers.py ENGINE SOURCE STEP [ARGS]

ENGINE is pg, mysql or sqlite; SOURCE a database name (pg, mysql: the
server from PGHOST/PGPORT/PGUSER, MYSQL_UNIX_PORT as root) or a file.

    migrate            creates setup_t with two 'setup' rows, under the key
                       the environment gives (none: into the setup)
    test [PAUSE]       under DBCLONE_TEST: prints "KEY DB SETUP FOREIGN
                       OWN" (setup_t's 'setup' rows, rows of other keys,
                       rows of its own key before it writes), writes a row
                       of its own, waits PAUSE seconds (0) and prints
                       "KEY DB foreign-after N": what other keys wrote
                       meanwhile
    one-process KEYS.. migrate with no key, then each KEY as `test`, the
                       key set in os.environ between connects
    hold READY GO      with no key: migrates and keeps its session open;
                       writes READY (the setup's database), waits for GO, then queries on the kept
                       session and prints "kept session: alive" or "kept
                       session: cut"; then connects again with no key,
                       prints "setup again: N" (the 'setup' rows it sees)
                       and adds one
    fork KEY           with no key: migrates; forks a child that runs KEY
                       as `test` and exits; then, in the parent, with no
                       key: prints "parent DB SETUP FOREIGN", adds a
                       'setup' row, and runs the key "after" as `test`
    take READY         with no key: migrates; writes READY; then takes the
                       setup for the key "taken" (its first connect), writes
                       READY.taken and holds that clone 5 s, to be killed
                       (the kill loops)
"""
import os
import sys
import time

engine, source, step = sys.argv[1:4]
args = sys.argv[4:]


def say(*words):
    # One write per line: processes printing at once never mix their lines
    # (print() writes a line in pieces when unbuffered, as in CI).
    os.write(1, (" ".join(map(str, words)) + "\n").encode())


def connect():
    if engine == "pg":
        import psycopg2
        conn = psycopg2.connect(dbname=source)
        conn.autocommit = True
        return conn
    if engine == "mysql":
        import MySQLdb
        return MySQLdb.connect(user="root", db=source, autocommit=True,
                               unix_socket=os.environ["MYSQL_UNIX_PORT"])
    import sqlite3
    return sqlite3.connect(source, isolation_level=None)


def run(conn, sql, params=()):
    cur = conn.cursor()
    if engine == "sqlite":
        sql = sql.replace("%s", "?")
    cur.execute(sql, params)
    return cur


def database(conn):
    if engine == "pg":
        return run(conn, "SELECT current_database()").fetchone()[0]
    if engine == "mysql":
        return run(conn, "SELECT DATABASE()").fetchone()[0]
    return os.path.basename(run(conn, "PRAGMA database_list").fetchone()[2])


def count(conn, where, params=()):
    return run(conn, "SELECT count(*) FROM setup_t WHERE " + where, params).fetchone()[0]


def migrate(conn):
    run(conn, "CREATE TABLE setup_t (who varchar(64) NOT NULL)")
    run(conn, "INSERT INTO setup_t VALUES ('setup'), ('setup')")


def one_test(key, pause=0.0):
    conn = connect()
    db = database(conn)
    say(key, db, count(conn, "who = 'setup'"),
        count(conn, "who <> 'setup' AND who <> %s", (key,)),
        count(conn, "who = %s", (key,)))
    run(conn, "INSERT INTO setup_t VALUES (%s)", (key,))
    if pause:
        time.sleep(pause)
        say(key, db, "foreign-after",
            count(conn, "who <> 'setup' AND who <> %s", (key,)))
    conn.close()


def hold(ready, go):
    conn = connect()
    migrate(conn)
    with open(ready, "w") as f:
        f.write(database(conn) + "\n")
    deadline = time.monotonic() + 60
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        run(conn, "SELECT count(*) FROM setup_t").fetchone()
        say("kept session: alive")
    except Exception:
        say("kept session: cut")
    conn = connect()
    say("setup again:", count(conn, "who = 'setup'"))
    run(conn, "INSERT INTO setup_t VALUES ('setup')")
    conn.close()


if step == "migrate":
    c = connect()
    migrate(c)
    c.close()
elif step == "test":
    one_test(os.environ["DBCLONE_TEST"], float(args[0]) if args else 0.0)
elif step == "one-process":
    os.environ.pop("DBCLONE_TEST", None)
    c = connect()
    migrate(c)
    c.close()
    for k in args:
        os.environ["DBCLONE_TEST"] = k
        one_test(k)
elif step == "fork":
    os.environ.pop("DBCLONE_TEST", None)
    c = connect()
    migrate(c)
    c.close()
    child = os.fork()
    if child == 0:
        os.environ["DBCLONE_TEST"] = args[0]
        one_test(args[0])
        sys.exit(0)  # exit(): the library drops what the child made
    os.waitpid(child, 0)
    c = connect()
    say("parent", database(c), count(c, "who = 'setup'"), count(c, "who <> 'setup'"))
    run(c, "INSERT INTO setup_t VALUES ('setup')")
    c.close()
    os.environ["DBCLONE_TEST"] = "after"
    one_test("after")
elif step == "take":
    c = connect()
    migrate(c)
    c.close()
    with open(args[0], "w"):
        pass
    os.environ["DBCLONE_TEST"] = "taken"
    c = connect()
    count(c, "who = 'setup'")
    with open(args[0] + ".taken", "w"):
        pass
    time.sleep(5)
elif step == "hold":
    hold(*args)
else:
    sys.exit("setup_layers.py: unknown step %r" % step)
