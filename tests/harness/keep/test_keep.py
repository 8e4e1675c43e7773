"""Two of four tests fail: under dbclone run --keep=failed their clones
stay, each with the command to reach it."""
import psycopg2


def insert(name):
    conn = psycopg2.connect("")
    conn.autocommit = True
    conn.cursor().execute("INSERT INTO t VALUES (%s)", (name,))
    conn.close()


def test_passes():
    insert("passes")


def test_fails_one():
    insert("one")
    assert False, "fails on purpose"


def test_fails_two():
    insert("two")
    assert False, "fails on purpose"


def test_passes_last():
    insert("last")
