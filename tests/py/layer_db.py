"""The table of tests/61-layers.bats and what its steps do to it, on any of
the three engines, through the Python drivers (psycopg2, sqlite3, MySQLdb),
so that one script of steps runs the same on each.

Table l (id, who): "who" says which layer wrote a row (setup, a module, a
test), so a test that sees a row it must not names the culprit."""
import os

# The errors a cut or dropped connection raises: a server under test
# reconnects on them, as pools do.
CUT = ()


def connect(engine, source):
    """One connection to source, in autocommit: every write is the test's."""
    global CUT
    if engine == "pg":
        import psycopg2
        CUT = (psycopg2.OperationalError, psycopg2.InterfaceError)
        c = psycopg2.connect(dbname=source)
        c.autocommit = True
        return c
    if engine == "sqlite":
        import sqlite3
        return sqlite3.connect(source, isolation_level=None)
    if engine == "mysql":
        import MySQLdb
        CUT = (MySQLdb.OperationalError, MySQLdb.InterfaceError)
        c = MySQLdb.connect(db=source, user="root",
                            unix_socket=os.environ["MYSQL_UNIX_PORT"])
        c.autocommit(True)
        return c
    raise SystemExit("layer_db: no engine %r (pg, sqlite, mysql)" % engine)


def _rows(conn, sql, *args):
    cur = conn.cursor()
    # The drivers' parameter markers differ: sqlite3 takes ?, the others %s.
    if args and conn.__class__.__module__.startswith("sqlite3"):
        sql = sql.replace("%s", "?")
    cur.execute(sql, args)
    try:
        return cur.fetchall()
    except Exception:  # a statement with no result set
        return []


def clone_name(engine, conn):
    """The database the connection really reached: the clone's name."""
    if engine == "pg":
        return _rows(conn, "SELECT current_database()")[0][0]
    if engine == "mysql":
        return _rows(conn, "SELECT DATABASE()")[0][0]
    path = [r[2] for r in _rows(conn, "PRAGMA database_list") if r[1] == "main"][0]
    return os.path.basename(path)


def act(engine, conn, action, args):
    """Does one step's action on conn; returns what it prints."""
    if action == "setup":  # setup N: the table, with rows 1..N
        _rows(conn, "CREATE TABLE l (id int PRIMARY KEY, who varchar(20))")
        for i in range(1, int(args[0]) + 1):
            _rows(conn, "INSERT INTO l VALUES (%s, 'setup')", i)
        return "ok"
    if action == "add":  # add ID WHO
        _rows(conn, "INSERT INTO l VALUES (%s, %s)", int(args[0]), args[1])
        return "ok"
    if action == "see":  # who wrote each row, in id order
        return ",".join(r[0] for r in _rows(conn, "SELECT who FROM l ORDER BY id")) or "-"
    if action == "count":
        return "%s %s" % _rows(conn, "SELECT count(*), max(id) FROM l")[0]
    if action == "round":  # round R: what a test sees, then its writes
        r = int(args[0])
        before = "%s %s" % _rows(conn, "SELECT count(*), max(id) FROM l")[0]
        _rows(conn, "DELETE FROM l WHERE id BETWEEN %s AND %s", r * 5 - 4, r * 5)
        _rows(conn, "INSERT INTO l VALUES (%s, 'round')", 100 + r)
        return "%s %s" % (before, _rows(conn, "SELECT count(*) FROM l")[0][0])
    if action == "db":
        return clone_name(engine, conn)
    raise SystemExit("layer_db: no action %r" % action)
