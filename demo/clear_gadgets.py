"""Deletes the gadgets in autocommit mode: two items should be left."""
import sqlite3
import sys

conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("DELETE FROM items WHERE name = 'gadget'")
print(conn.execute("SELECT count(*) FROM items").fetchone()[0])
