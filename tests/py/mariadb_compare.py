"""Connects to the source under dbclone (so into its clone) and compares the
clone with the source object by object: SHOW CREATE output (schema names
made equal) and CHECKSUM TABLE. Prints one line per object, "same KIND NAME"
or "DIFFERENT KIND NAME", then "clone DB"."""
import sys

import MySQLdb

src = sys.argv[1]
app = MySQLdb.connect(user="root", db=src)
cur = app.cursor()
cur.execute("SELECT DATABASE()")
clone = cur.fetchone()[0]
assert clone != src, "not redirected"
# From a third schema both definitions come out fully qualified.
cur.execute("USE information_schema")


def show(kind, schema, name, col):
    cur.execute("SHOW CREATE %s `%s`.`%s`" % (kind, schema, name))
    text = cur.fetchone()[col]
    return text.replace("`%s`" % schema, "`SCHEMA`").replace("DEFINER=`root`@`localhost` ", "")


def objects(sql):
    cur.execute(sql, (src,))
    return [r for r in cur.fetchall()]


for name, ttype in objects("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s ORDER BY 1"):
    kind = {"VIEW": "VIEW", "SEQUENCE": "SEQUENCE"}.get(ttype, "TABLE")
    same = show(kind, src, name, 1) == show(kind, clone, name, 1)
    if kind == "TABLE":
        cur.execute("CHECKSUM TABLE `%s`.`%s`, `%s`.`%s`" % (src, name, clone, name))
        a, b = [r[1] for r in cur.fetchall()]
        same = same and a == b
    print("same" if same else "DIFFERENT", kind, name)
for (name,) in objects("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA=%s"):
    print("same" if show("TRIGGER", src, name, 2) == show("TRIGGER", clone, name, 2) else "DIFFERENT", "TRIGGER", name)
for rtype, name in objects("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA=%s ORDER BY 2"):
    print("same" if show(rtype, src, name, 2) == show(rtype, clone, name, 2) else "DIFFERENT", rtype, name)
for (name,) in objects("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA=%s"):
    print("same" if show("EVENT", src, name, 3) == show("EVENT", clone, name, 3) else "DIFFERENT", "EVENT", name)
cur.execute("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (%s, %s)", (src, clone))
charsets = set(cur.fetchall())
print("same" if len(charsets) == 1 else "DIFFERENT", "CHARSET", charsets.pop())
print("clone", clone)
