"""A plain pytest + psycopg2 suite with fixtures of every scope that write
to table t (PGDATABASE): it knows nothing of dbclone."""
import psycopg2
import pytest


def insert(name):
    conn = psycopg2.connect("")
    conn.autocommit = True
    conn.cursor().execute("INSERT INTO t VALUES (%s)", (name,))
    conn.close()


def names():
    conn = psycopg2.connect("")
    cur = conn.cursor()
    cur.execute("SELECT name FROM t ORDER BY name")
    rows = [r[0] for r in cur.fetchall()]
    conn.close()
    return rows


@pytest.fixture(scope="session")
def session_row():
    insert("session")


@pytest.fixture
def function_row():
    insert("function")
