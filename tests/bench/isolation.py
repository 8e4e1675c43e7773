"""The cost of one isolated test without dbclone, per engine: the raw clone
(the floor dbclone builds on), truncating every table and reloading the
fixture data, and building the schema from scratch. Each iteration is
timed from the boundary to a connected handle on fresh data that has run
one query (as tests/bench/handout.py times dbclone); prints one line per
iteration, in milliseconds.

    isolation.py ENGINE METHOD SOURCE RUNS [PAUSE_SECONDS]

PAUSE_SECONDS (default 0) is left before each timed iteration, untimed,
as handout.py leaves it before each boundary: after a pause the machine's
caches are cold (a plain SQLite open here: 0.05 ms back to back, 0.22 ms
after 20 ms idle), so a floor timed back to back is not the floor of a
boundary timed after one.
ENGINE is pg, sqlite or mysql; SOURCE a database (a file for sqlite).
METHOD:
    raw      pg: CREATE DATABASE ... TEMPLATE sent on an open session (as
             psql sends it), then a connect; sqlite: copy_file_range of the
             file, then an open; mysql: CREATE TABLE ... LIKE and
             INSERT ... SELECT per table on an open session, then a connect
    reload   truncate every table of a working copy and load the fixture
             data again from the client (pg: COPY; mysql: INSERTs of 1,000
             rows each; sqlite: executemany in one transaction): Django's
             serialized rollback and DatabaseCleaner's truncation, with the
             fastest loader each engine has
    scratch  a new, empty database, the schema's DDL, then the same load
The fixture data and the DDL are read from SOURCE before any timing, and
what an iteration made is dropped after it, untimed."""
import io
import os
import subprocess
import sys
import time

engine, method, source, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
WORK = "bench_work_%d" % os.getpid()


def timed(setup, body, teardown):
    for _ in range(runs):
        setup()
        time.sleep(pause)
        t0 = time.perf_counter()
        body()
        ms = (time.perf_counter() - t0) * 1e3
        teardown()
        print("%.2f" % ms, flush=True)


def first_query(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.fetchall()


# ---- PostgreSQL ----------------------------------------------------------

def pg():
    import psycopg2

    def connect(db):
        conn = psycopg2.connect(dbname=db)
        conn.autocommit = True
        return conn

    conn = connect(source)
    cur = conn.cursor()
    cur.execute("SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = 'public' ORDER BY 1")
    tables = ["public." + r[0] for r in cur.fetchall()]
    data = {}
    for t in tables:
        buf = io.StringIO()
        cur.copy_expert("COPY %s TO STDOUT" % t, buf)
        data[t] = buf.getvalue()
    conn.close()
    ddl = subprocess.run(["pg_dump", "--schema-only", "--no-owner", "-d", source],
                         check=True, capture_output=True, text=True).stdout
    # psql's own commands (\restrict in newer pg_dump) are not SQL.
    ddl = "\n".join(l for l in ddl.splitlines() if not l.startswith("\\"))
    admin = connect("postgres")
    acur = admin.cursor()

    def drop(db):
        acur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db)

    def load(c):
        cur = c.cursor()
        for t in tables:
            cur.copy_expert("COPY %s FROM STDIN" % t, io.StringIO(data[t]))

    if method == "raw":
        def body():
            acur.execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (WORK, source))
            c = connect(WORK)
            first_query(c)
            c.close()
        timed(lambda: None, body, lambda: drop(WORK))
    elif method == "reload":
        acur.execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (WORK, source))

        def body():
            c = connect(WORK)
            c.cursor().execute("TRUNCATE " + ", ".join(tables))
            load(c)
            first_query(c)
            c.close()
        timed(lambda: None, body, lambda: None)
        drop(WORK)
    else:
        def body():
            acur.execute('CREATE DATABASE "%s"' % WORK)
            c = connect(WORK)
            c.cursor().execute(ddl)
            c.close()  # the DDL set an empty search_path
            c = connect(WORK)
            load(c)
            first_query(c)
            c.close()
        timed(lambda: None, body, lambda: drop(WORK))
    admin.close()


# ---- SQLite --------------------------------------------------------------

def sqlite():
    import sqlite3

    work = os.path.join(os.path.dirname(os.path.abspath(source)), WORK + ".db")
    conn = sqlite3.connect(source)
    schema = conn.execute("SELECT type, name, sql FROM sqlite_master "
                          "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
                          "ORDER BY rowid").fetchall()
    tables = [name for kind, name, _ in schema if kind == "table"]
    data = {t: conn.execute('SELECT * FROM "%s"' % t).fetchall() for t in tables}
    conn.close()

    def remove():
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(work + suffix):
                os.unlink(work + suffix)

    def copy():
        with open(source, "rb") as src, open(work, "wb") as dst:
            left = os.fstat(src.fileno()).st_size
            while left > 0:
                n = os.copy_file_range(src.fileno(), dst.fileno(), left)
                if n <= 0:
                    break
                left -= n

    def load(c):
        c.execute("BEGIN")
        for t in tables:
            if data[t]:
                marks = ", ".join("?" * len(data[t][0]))
                c.executemany('INSERT INTO "%s" VALUES (%s)' % (t, marks), data[t])
        c.execute("COMMIT")

    if method == "raw":
        def body():
            copy()
            c = sqlite3.connect(work)
            first_query(c)
            c.close()
        timed(remove, body, remove)
    elif method == "reload":
        copy()

        def body():
            c = sqlite3.connect(work, isolation_level=None)
            c.execute("BEGIN")
            for t in tables:
                c.execute('DELETE FROM "%s"' % t)
            c.execute("COMMIT")
            load(c)
            first_query(c)
            c.close()
        timed(lambda: None, body, lambda: None)
        remove()
    else:
        def body():
            c = sqlite3.connect(work, isolation_level=None)
            for _, _, sql in schema:
                c.execute(sql)
            load(c)
            first_query(c)
            c.close()
        timed(remove, body, remove)


# ---- MariaDB -------------------------------------------------------------

def mysql():
    import MySQLdb

    def connect(db=None):
        return MySQLdb.connect(user="root", db=db) if db else MySQLdb.connect(user="root")

    conn = connect(source)
    cur = conn.cursor()
    cur.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
    tables = [r[0] for r in cur.fetchall()]
    ddl, inserts = [], []
    for t in tables:
        cur.execute("SHOW CREATE TABLE `%s`" % t)
        ddl.append(cur.fetchone()[1])
        cur.execute("SELECT * FROM `%s`" % t)
        rows = cur.fetchall()
        for i in range(0, len(rows), 1000):
            values = b",".join(conn.literal(r) for r in rows[i:i + 1000])
            inserts.append(b"INSERT INTO `%s` VALUES %s" % (t.encode(), values))
    conn.close()
    admin = connect()
    acur = admin.cursor()

    def drop():
        acur.execute("DROP DATABASE IF EXISTS `%s`" % WORK)

    def load(c):
        cur = c.cursor()
        for q in inserts:
            cur.execute(q)
        c.commit()

    if method == "raw":
        def body():
            acur.execute("CREATE DATABASE `%s`" % WORK)
            for t in tables:
                acur.execute("CREATE TABLE `%s`.`%s` LIKE `%s`.`%s`" % (WORK, t, source, t))
                acur.execute("INSERT INTO `%s`.`%s` SELECT * FROM `%s`.`%s`" % (WORK, t, source, t))
            admin.commit()
            c = connect(WORK)
            first_query(c)
            c.close()
        timed(lambda: None, body, drop)
    elif method == "reload":
        acur.execute("CREATE DATABASE `%s`" % WORK)
        for t in tables:
            acur.execute("CREATE TABLE `%s`.`%s` LIKE `%s`.`%s`" % (WORK, t, source, t))

        def body():
            c = connect(WORK)
            cur = c.cursor()
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")
            for t in tables:
                cur.execute("TRUNCATE TABLE `%s`" % t)
            load(c)
            first_query(c)
            c.close()
        timed(lambda: None, body, lambda: None)
        drop()
    else:
        def body():
            acur.execute("CREATE DATABASE `%s`" % WORK)
            c = connect(WORK)
            cur = c.cursor()
            for q in ddl:
                cur.execute(q)
            load(c)
            first_query(c)
            c.close()
        timed(lambda: None, body, drop)
    admin.close()


{"pg": pg, "sqlite": sqlite, "mysql": mysql}[engine]()
