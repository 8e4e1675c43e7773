"""Claims (issue 18): a process of a shared run takes the clone reserved for
it at a new test key without asking the run. What must still hold, on the
three engines (layer_db.connect):

  claims.py race ENGINE SOURCE ROUNDS
      two processes hold reserved clones, then start the same key at once,
      ROUNDS times: both write a row and must see each other's (one clone).
      Prints "round R: same clone, 2 rows" or what went wrong.
  claims.py setup-written ENGINE SOURCE
      the setup (no DBCLONE_TEST) written, a test, the setup written again
      by a new connection, a test: the second sees both writes.
  claims.py setup-open ENGINE SOURCE
      the same, the second write through a connection left open on the
      setup (SQLite: the claim checks the setup's stamp).
  claims.py next ENGINE SOURCE
      the setup written, a test, `dbclone next`, a test: the second starts
      from the source, without the setup's table.
  claims.py keys ENGINE SOURCE N
      N tests one after the other, a pause between them as a test would
      take: each writes a row and sees its own alone. Prints "N isolated".
  claims.py churn ENGINE SOURCE MARK
      new keys, each written and read, until killed; touches MARK once a
      few keys were claimed."""
import os
import subprocess
import sys
import time

import layer_db

mode, engine, source = sys.argv[1:4]


def key(name):
    if name is None:
        os.environ.pop("DBCLONE_TEST", None)
    else:
        os.environ["DBCLONE_TEST"] = name


def q(conn, sql, *args):
    return layer_db._rows(conn, sql, *args)


def test_rows(conn):
    return ",".join(r[0] for r in q(conn, "SELECT v FROM c ORDER BY v"))


def tables(conn):
    if engine == "pg":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    elif engine == "mysql":
        sql = "SHOW TABLES"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return ",".join(sorted(r[0] for r in q(conn, sql)))


def fresh_conn(name):
    key(name)
    return layer_db.connect(engine, source)


def settle():
    """A moment for the run's pool to have a clone ready to reserve."""
    time.sleep(0.3)


def warm():
    """A first test takes the setup; once the pool holds clones of it, a
    second one's answer reserves one of them for this process's next key
    (the claim that what follows must not be allowed to use wrongly)."""
    for name in ("t0", "t0b"):
        settle()
        fresh_conn(name).close()
    settle()


def setup_then_test(between, show=test_rows):
    """The setup, tests on it, then between(), then a test: prints what the
    first and the last test see (show)."""
    c = fresh_conn(None)
    q(c, "CREATE TABLE c (v varchar(20))")
    q(c, "INSERT INTO c VALUES ('setup1')")
    c.close()
    warm()
    t = fresh_conn("t1")
    print("t1:", show(t))
    q(t, "INSERT INTO c VALUES ('t1')")
    t.close()
    settle()
    between()
    settle()
    t = fresh_conn("t2")
    print("t2:", show(t))
    t.close()


def race_worker(rounds, barrier_dir, me):
    for r in range(rounds):
        # A key of its own first: its answer reserves a clone.
        c = fresh_conn("own-%d-%d" % (me, r))
        c.close()
        settle()
        arrive(barrier_dir, "go%d" % r, me)
        c = fresh_conn("shared-%d" % r)
        q(c, "INSERT INTO c VALUES (%s)", "w%d-r%d" % (me, r))
        arrive(barrier_dir, "wrote%d" % r, me)
        rows = q(c, "SELECT v FROM c WHERE v LIKE %s", "%%-r%d" % r)
        print("%d %s %d" % (r, layer_db.clone_name(engine, c), len(rows)), flush=True)
        c.close()


def arrive(barrier_dir, name, me):
    """Both workers reach name before either goes on (files: the workers
    are separate processes, each with its own socket to the run)."""
    open(os.path.join(barrier_dir, "%s.%d" % (name, me)), "w").close()
    other = os.path.join(barrier_dir, "%s.%d" % (name, 1 - me))
    for _ in range(3000):
        if os.path.exists(other):
            return
        time.sleep(0.001)
    raise SystemExit("claims.py: the other worker never reached " + name)


def race(rounds):
    c = fresh_conn(None)
    q(c, "CREATE TABLE c (v varchar(20))")
    c.close()
    barrier_dir = os.environ["BARRIER_DIR"]
    workers = [subprocess.Popen([sys.executable, sys.argv[0], "race-worker", engine,
                                 source, str(rounds), barrier_dir, str(me)],
                                stdout=subprocess.PIPE, text=True) for me in (0, 1)]
    outs = [w.communicate()[0].split("\n") for w in workers]
    if any(w.returncode for w in workers):
        raise SystemExit("claims.py: a worker failed")
    for r in range(rounds):
        a, b = (out[r].split() for out in outs)
        if a[1] == b[1] and a[2] == b[2] == "2":
            print("round %d: same clone, 2 rows" % r)
        else:
            print("round %d: %s saw %s row(s), %s saw %s" % (r, a[1], a[2], b[1], b[2]))


def churn(mark):
    c = fresh_conn(None)
    q(c, "CREATE TABLE IF NOT EXISTS c (v varchar(20))")
    c.close()
    for i in range(100000):
        c = fresh_conn("churn-%d-%d" % (os.getpid(), i))
        q(c, "INSERT INTO c VALUES (%s)", "k%d" % i)
        if len(q(c, "SELECT v FROM c")) != 1:
            raise SystemExit("claims.py: key %d saw another key's rows" % i)
        c.close()
        if i == 3:
            open(mark, "w").close()


def keys(n):
    c = fresh_conn(None)
    q(c, "CREATE TABLE c (v varchar(20))")
    c.close()
    isolated = 0
    for i in range(n):
        time.sleep(0.05)
        c = fresh_conn("k%d" % i)
        q(c, "INSERT INTO c VALUES (%s)", "k%d" % i)
        c.close()
        c = fresh_conn("k%d" % i)  # a reconnect within the key
        isolated += test_rows(c) == "k%d" % i
        c.close()
    print("%d isolated" % isolated)


if mode == "race":
    race(int(sys.argv[4]))
elif mode == "race-worker":
    race_worker(int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))
elif mode == "setup-written":
    def again():
        c = fresh_conn(None)
        q(c, "INSERT INTO c VALUES ('setup2')")
        c.close()
    setup_then_test(again)
elif mode == "setup-open":
    held = fresh_conn(None)
    q(held, "CREATE TABLE c (v varchar(20))")
    q(held, "INSERT INTO c VALUES ('setup1')")
    warm()
    t = fresh_conn("t1")
    print("t1:", test_rows(t))
    t.close()
    settle()
    q(held, "INSERT INTO c VALUES ('setup2')")
    t = fresh_conn("t2")
    print("t2:", test_rows(t))
    t.close()
    held.close()
elif mode == "next":
    def move():
        key(None)
        subprocess.run([os.environ["DBCLONE"], "next"], check=True,
                       stdout=subprocess.DEVNULL)
    setup_then_test(move, tables)
elif mode == "keys":
    keys(int(sys.argv[4]))
elif mode == "churn":
    churn(sys.argv[4])
else:
    raise SystemExit("claims.py: no mode " + mode)
