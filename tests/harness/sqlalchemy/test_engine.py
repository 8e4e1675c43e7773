"""A suite with one SQLAlchemy engine for the whole module, as suites keep
them: its pool would carry the first test's connection into the next."""
from sqlalchemy import create_engine, text

engine = create_engine("postgresql+psycopg2://", pool_size=1)


def names():
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT name FROM t ORDER BY name"))]


def insert(name):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": name})


def test_one():
    assert names() == []
    insert("one")


def test_two():
    assert names() == []
    insert("two")
