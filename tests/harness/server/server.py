"""A server under test: started once per session, it keeps one connection
(it never sees DBCLONE_TEST) and, per line on stdin, inserts that line as
a row of t and answers with the count of rows. A cut connection is opened
again, as pools do."""
import sys

import psycopg2


def connect():
    conn = psycopg2.connect("")
    conn.autocommit = True
    return conn


conn = connect()
for line in sys.stdin:
    for attempt in (1, 2):
        try:
            cur = conn.cursor()
            cur.execute("INSERT INTO t VALUES (%s)", (line.strip(),))
            cur.execute("SELECT count(*) FROM t")
            print(cur.fetchone()[0], flush=True)
            break
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            conn = connect()
