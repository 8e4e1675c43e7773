"""Set up once, test many (issue 14): a 50-test suite whose session setup
is migrations (6 tables, their keys, foreign keys and indexes: 10 steps)
and a fixture load (200 accounts, ROWS ledger rows), then 50 tests that
commit and check the data as loaded.

    setup.py ENGINE SOURCE MODE ROWS

ENGINE is pg, sqlite or mysql; SOURCE a database that exists, empty (a
file for sqlite). MODE:
    dbclone   under dbclone run: the setup once with no DBCLONE_TEST, then
              each test under its own key (it starts from the setup)
    per-test  no dbclone: each test re-creates the database and runs the
              setup again (migrations and load), then the test
    reload    no dbclone: the setup once; each test first truncates every
              table and loads the fixture data again from the client (pg:
              COPY; mysql: multi-row INSERTs; sqlite: executemany in one
              transaction), as Django's TransactionTestCase with fixtures
              does
    take      under plain LD_PRELOAD: the setup with no key, then the
              first key's connect and one query (taking the setup), then a
              connect with no key again (continuing the setup); prints
              "take MS after MS"
    clone     under plain LD_PRELOAD, SOURCE holding the setup already:
              the first key's connect and one query (one clone of a
              database of the same size); prints "clone MS"
    fill      the setup into SOURCE itself (the source that `clone` uses)
Suite modes print "passed N failed M seconds S"."""
import io
import os
import sys
import time

engine, source, mode, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ACCOUNTS = 200
MIGRATIONS = [
    "CREATE TABLE account (id int PRIMARY KEY, name varchar(64) NOT NULL)",
    "CREATE TABLE ledger_item (id int PRIMARY KEY, account_id int NOT NULL, "
    "amount int NOT NULL, memo varchar(200) NOT NULL, "
    "FOREIGN KEY (account_id) REFERENCES account (id))",
    "CREATE INDEX ledger_item_account ON ledger_item (account_id)",
    "CREATE TABLE tag (id int PRIMARY KEY, name varchar(64) NOT NULL UNIQUE)",
    "CREATE TABLE item_tag (item_id int NOT NULL, tag_id int NOT NULL, "
    "PRIMARY KEY (item_id, tag_id), FOREIGN KEY (item_id) REFERENCES ledger_item (id), "
    "FOREIGN KEY (tag_id) REFERENCES tag (id))",
    "CREATE TABLE audit (id int PRIMARY KEY, item_id int NOT NULL, what varchar(64) NOT NULL)",
    "CREATE INDEX audit_item ON audit (item_id)",
    "CREATE TABLE setting (name varchar(64) PRIMARY KEY, value varchar(200) NOT NULL)",
    "ALTER TABLE ledger_item ADD COLUMN posted int NOT NULL DEFAULT 0",
    "CREATE INDEX ledger_item_posted ON ledger_item (posted)",
]
TABLES = ["item_tag", "audit", "ledger_item", "tag", "account", "setting"]
FIXTURE = {
    "account": [(a, "account %d" % a) for a in range(ACCOUNTS)],
    "ledger_item": [(i, i % ACCOUNTS, i % 1000, "loaded %d" % i, 0) for i in range(rows)],
    "tag": [(t, "tag %d" % t) for t in range(10)],
    "setting": [("currency", "EUR")],
}
FIXTURE_ORDER = ["account", "ledger_item", "tag", "setting"]
SUM = sum(i % 1000 for i in range(rows))
# PostgreSQL's COPY text, made once: a reload's client-side work is only
# sending it.
COPY_TEXT = {t: "".join("\t".join(map(str, r)) + "\n" for r in FIXTURE[t]) for t in FIXTURE}


def connect(db=source):
    if engine == "pg":
        import psycopg2
        conn = psycopg2.connect(dbname=db)
        conn.autocommit = True
        return conn
    if engine == "mysql":
        import MySQLdb
        kw = {"db": db} if db else {}
        return MySQLdb.connect(user="root", autocommit=True,
                               unix_socket=os.environ["MYSQL_UNIX_PORT"], **kw)
    import sqlite3
    return sqlite3.connect(db or ":memory:", isolation_level=None)


def q(cur, sql, params=()):
    cur.execute(sql.replace("%s", "?") if engine == "sqlite" else sql, params)
    return cur


def load(conn):
    cur = conn.cursor()
    if engine == "sqlite":
        cur.execute("BEGIN")
    for table in FIXTURE_ORDER:
        data = FIXTURE[table]
        if engine == "pg":
            cur.copy_expert("COPY %s FROM STDIN" % table, io.StringIO(COPY_TEXT[table]))
        else:
            mark = "?" if engine == "sqlite" else "%s"
            sql = "INSERT INTO %s VALUES (%s)" % (table, ", ".join([mark] * len(data[0])))
            for at in range(0, len(data), 1000):
                cur.executemany(sql, data[at:at + 1000])
    if engine == "sqlite":
        cur.execute("COMMIT")


def migrate_and_load(conn):
    cur = conn.cursor()
    for step in MIGRATIONS:
        cur.execute(step)
    load(conn)


def truncate(conn):
    cur = conn.cursor()
    if engine == "pg":
        cur.execute("TRUNCATE %s" % ", ".join(TABLES))
    elif engine == "mysql":
        cur.execute("SET foreign_key_checks = 0")
        for t in TABLES:
            cur.execute("TRUNCATE %s" % t)
        cur.execute("SET foreign_key_checks = 1")
    else:
        cur.execute("BEGIN")
        for t in TABLES:
            cur.execute("DELETE FROM %s" % t)
        cur.execute("COMMIT")


def recreate():
    """An empty SOURCE again (the per-test setup's first step)."""
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(source + suffix):
                os.unlink(source + suffix)
        return
    admin = connect("postgres" if engine == "pg" else None)
    cur = admin.cursor()
    if engine == "pg":
        cur.execute('DROP DATABASE IF EXISTS "%s"' % source)
        cur.execute('CREATE DATABASE "%s"' % source)
    else:
        cur.execute("DROP DATABASE IF EXISTS `%s`" % source)
        cur.execute("CREATE DATABASE `%s`" % source)
    admin.close()


def one_test(conn, i):
    """Checks the data as loaded, changes it and commits, checks again."""
    cur = conn.cursor()
    ok = q(cur, "SELECT count(*), sum(amount) FROM ledger_item").fetchone() == (rows, SUM)
    ok = ok and q(cur, "SELECT count(*) FROM audit").fetchone()[0] == 0
    account = i % ACCOUNTS
    q(cur, "UPDATE ledger_item SET amount = amount + 1, posted = 1 WHERE account_id = %s", (account,))
    q(cur, "INSERT INTO audit VALUES (%s, %s, %s)", (i, account, "posted"))
    posted = q(cur, "SELECT count(*) FROM ledger_item WHERE posted = 1").fetchone()[0]
    return ok and posted == rows // ACCOUNTS


def suite():
    passed = failed = 0
    start = time.perf_counter()
    if mode in ("dbclone", "reload"):
        os.environ.pop("DBCLONE_TEST", None)
        conn = connect()
        migrate_and_load(conn)
        conn.close()
    for i in range(50):
        if mode == "dbclone":
            os.environ["DBCLONE_TEST"] = "test_%d" % i
        elif mode == "per-test":
            recreate()
        conn = connect()
        if mode == "per-test":
            migrate_and_load(conn)
        elif mode == "reload":
            truncate(conn)
            load(conn)
        try:
            ok = one_test(conn, i)
        except Exception:  # a failed test, as a runner counts it
            ok = False
        conn.close()
        passed += ok
        failed += not ok
    print("passed %d failed %d seconds %.2f" % (passed, failed, time.perf_counter() - start))


def first_key_connect():
    """ms from the first key's connect to one query's answer."""
    os.environ["DBCLONE_TEST"] = "first"
    t0 = time.perf_counter()
    conn = connect()
    conn.cursor().execute("SELECT 1")
    ms = (time.perf_counter() - t0) * 1e3
    conn.close()
    return ms


def warm_up():
    # The client library bound and loaded before any timing (a connect that
    # dbclone passes through).
    connect("postgres" if engine == "pg" else None).close()


if mode in ("dbclone", "per-test", "reload"):
    suite()
elif mode == "take":
    warm_up()
    os.environ.pop("DBCLONE_TEST", None)
    c = connect()
    migrate_and_load(c)
    c.close()
    take = first_key_connect()
    del os.environ["DBCLONE_TEST"]
    t0 = time.perf_counter()
    c = connect()
    c.cursor().execute("SELECT 1")
    after = (time.perf_counter() - t0) * 1e3
    c.close()
    print("take %.2f after %.2f" % (take, after))
elif mode == "clone":
    warm_up()
    print("clone %.2f" % first_key_connect())
elif mode == "fill":
    c = connect()
    migrate_and_load(c)
    c.close()
else:
    sys.exit("setup.py: unknown mode %r" % mode)
