"""A small server under test: it keeps one PostgreSQL connection open and,
per request line on its FIFO, inserts a row and answers with what it sees
(database, rows). On a cut connection it reconnects, as pools do."""
import sys

import psycopg2

src, requests, answers = sys.argv[1:4]


def connect():
    c = psycopg2.connect(dbname=src)
    c.autocommit = True
    return c


conn = connect()
with open(requests) as inp, open(answers, "w", buffering=1) as out:
    for line in inp:
        for attempt in (1, 2):
            try:
                cur = conn.cursor()
                cur.execute("INSERT INTO t (id, v) VALUES (%s, 'request')", (100 + int(line),))
                cur.execute("SELECT current_database(), count(*) FROM t")
                out.write("%s %s\n" % cur.fetchone())
                break
            except psycopg2.OperationalError:
                conn = connect()
