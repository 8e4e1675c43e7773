"""Adds a product and commits: the catalogue then has one more item."""
import sqlite3
import sys

conn = sqlite3.connect(sys.argv[1])
conn.execute("INSERT INTO items (name, stock) VALUES ('gizmo', 5)")
conn.commit()
print(conn.execute("SELECT count(*) FROM items").fetchone()[0])
