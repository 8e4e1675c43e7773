#!/usr/bin/env bats
# SQLite files that SQLite opens by itself (ATTACH): the test key's copies,
# by the rules of the main database; and the modes of every copy file.

load test_helper

setup() {
  sqlite_source
  OTHER=$BATS_TEST_TMPDIR/other.db
  sqlite3 "$OTHER" "CREATE TABLE o (id INTEGER PRIMARY KEY, v TEXT);
                    INSERT INTO o VALUES (1, 'one');"
  # The program of most tests: for each key in $KEYS, opens $SRC, attaches
  # $ATTACH (a path, or a file: URI) as aux, writes to it, prints the
  # rows it sees and the copy in use, closes; once the next key has begun,
  # says whether the last key's copy of the attached file is still there.
  cat > "$BATS_TEST_TMPDIR/attach.py" <<'EOF_PY'
import os, sqlite3, sys, time
src, attach, keys = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
last = None
for key in keys:
    os.environ['DBCLONE_TEST'] = key
    c = sqlite3.connect(src, isolation_level=None, uri=attach.startswith('file:'))
    if key != keys[0]:
        # In a run the supervisor drops the last key's copies on its own
        # time: wait for it (at most 10 s).
        for _ in range(500):
            if not os.path.exists(last):
                break
            time.sleep(0.02)
        print('after', key, 'kept' if os.path.exists(last) else 'dropped')
    c.execute("ATTACH ? AS aux", (attach,))
    c.execute("INSERT INTO aux.o (v) VALUES (?)", (key,))
    rows = ','.join(r[0] for r in c.execute('SELECT v FROM aux.o ORDER BY id'))
    files = dict((r[1], r[2]) for r in c.execute('PRAGMA database_list'))
    last = files['aux']
    print(key, rows, os.path.basename(files['aux']), os.path.dirname(files['aux']) == os.environ['DBCLONE_DIR'])
    c.close()
EOF_PY
}

teardown() { :; }

# attach_isolated COMMAND...: attach.py under COMMAND (the library or a
# run) over keys a and b: each key reads and writes its own copy of
# $OTHER, key a's copy is gone once b has begun, $OTHER is unchanged and
# nothing is left.
attach_isolated() {
  local before
  before=$(file_checksum "$OTHER")
  run "$@" "$PY" "$BATS_TEST_TMPDIR/attach.py" "$SRC" "$OTHER" a,b
  assert_success
  assert_line --index 0 --regexp "^a one,a dbclone_other_db_\S+\.sqlite True$"
  assert_line --index 1 "after b dropped"
  assert_line --index 2 --regexp "^b one,b dbclone_other_db_\S+\.sqlite True$"
  assert_equal "$(file_checksum "$OTHER")" "$before"
  assert_no_sqlite_clones
}

@test "ATTACH of a second file under LD_PRELOAD: read and written in the key's copy, the real file unchanged, the copy dropped with the key" {
  attach_isolated preloaded
}

@test "ATTACH through a file: URI (mode=ro too) reaches the same copy as a plain path" {
  before=$(file_checksum "$OTHER")
  run preloaded "$PY" -c "
import sqlite3
c = sqlite3.connect('$SRC', isolation_level=None, uri=True)
c.execute(\"ATTACH 'file:$OTHER' AS aux\")
c.execute(\"INSERT INTO aux.o (v) VALUES ('uri')\")
c.execute(\"ATTACH 'file:$OTHER?mode=ro' AS ro\")
print(c.execute('SELECT count(*) FROM ro.o').fetchone()[0])
files = [r[2] for r in c.execute('PRAGMA database_list')]
print(files[1] == files[2], files[1].startswith('$DBCLONE_DIR/dbclone_other_db_'))
try:
    c.execute(\"INSERT INTO ro.o (v) VALUES ('x')\")
except sqlite3.OperationalError as e:
    print('read-only kept:', e)
"
  assert_success
  assert_line --index 0 2
  assert_line --index 1 "True True"
  assert_line --index 2 "read-only kept: attempt to write a readonly database"
  assert_equal "$(file_checksum "$OTHER")" "$before"
  assert_no_sqlite_clones
}

@test "ATTACH under dbclone run: the key's copy of the attached file, dropped with the key and at the end" {
  attach_isolated "$DBCLONE" run --
}

@test "ATTACH keeps the main database's rules: excluded and not-yet-existing files are the real ones" {
  run env DBCLONE_EXCLUDE="$OTHER" LD_PRELOAD="$LIB" "$PY" -c "
import sqlite3
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute(\"ATTACH '$OTHER' AS aux\")
c.execute(\"ATTACH '$BATS_TEST_TMPDIR/new.db' AS fresh\")
c.execute('CREATE TABLE fresh.n (a)')
print(' '.join(r[2] for r in c.execute('PRAGMA database_list'))[-80:].split(' ')[-2:])
"
  assert_success
  assert_output "['$OTHER', '$BATS_TEST_TMPDIR/new.db']"
  assert_no_sqlite_clones
}

@test "an ATTACH that cannot be copied is refused with dbclone's error line, the real file untouched" {
  # A file that is not a database: the copy is refused, as an open would be.
  echo "not a database at all, not at all, not at all, not at all" > "$BATS_TEST_TMPDIR/junk.db"
  before=$(file_checksum "$BATS_TEST_TMPDIR/junk.db")
  run preloaded "$PY" -c "
import sqlite3
c = sqlite3.connect('$SRC', isolation_level=None)
try:
    c.execute(\"ATTACH '$BATS_TEST_TMPDIR/junk.db' AS aux\")
    print('attached')
except sqlite3.Error as e:
    print('refused:', e)
"
  assert_success
  assert_line --regexp "^dbclone\[.*error: $BATS_TEST_TMPDIR/junk.db is not an SQLite database"
  assert_line --regexp "^refused: "
  assert_equal "$(file_checksum "$BATS_TEST_TMPDIR/junk.db")" "$before"
  assert_no_sqlite_clones
}

# Every file in DBCLONE_DIR with its mode, listed by the program while its
# copies are open and written: the copies, -wal, -shm, -journal, markers.
modes_while_open() {
  cat > "$BATS_TEST_TMPDIR/modes.py" <<EOF_PY
import os, sqlite3
c = sqlite3.connect("$SRC", isolation_level=None)
c.execute("ATTACH '$OTHER' AS aux")
c.execute("BEGIN")
c.execute("INSERT INTO t (v) VALUES ('w')")
c.execute("INSERT INTO aux.o (v) VALUES ('j')")
d = os.environ["DBCLONE_DIR"]
for n in sorted(os.listdir(d)):
    print(oct(os.stat(os.path.join(d, n)).st_mode & 0o7777)[2:], n)
c.execute("COMMIT")
EOF_PY
  (umask 000; "$@" "$PY" "$BATS_TEST_TMPDIR/modes.py")
}

@test "every copy file is 0600 (backup API of a WAL source with frames, -wal, -shm, -journal, marker), with umask 000 and DBCLONE_DIR mode 1777" {
  # A WAL source whose writer died with its commits still in the -wal file:
  # its copy is made by SQLite's backup API.
  "$PY" -c "
import os, sqlite3
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')
c.execute(\"INSERT INTO t VALUES (10, 'wal')\")
os._exit(0)"
  [ "$(stat -c %s "$SRC-wal")" -gt 0 ] || fail "the -wal file is empty: the test would not test anything"
  mkdir -m 1777 "$DBCLONE_DIR"
  chmod 1777 "$DBCLONE_DIR"
  for how in preloaded "$DBCLONE run --"; do
    run modes_while_open $how
    assert_success
    for ext in .sqlite .sqlite-wal .sqlite-shm .sqlite.dbclone; do
      assert_line --regexp "^[0-7]+ dbclone_app_db_\S+$ext$"
    done
    assert_line --regexp "^[0-7]+ dbclone_other_db_\S+\.sqlite-journal$"
    run bash -c 'grep -E "^[0-7]+ dbclone_" | grep -vc "^600 "' <<< "$output" # every file is 0600
    assert_output 0
  done
  assert_no_sqlite_clones
}
