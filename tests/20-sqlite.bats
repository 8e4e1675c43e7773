#!/usr/bin/env bats
# SQLite: a private copy of the database file per test.

load test_helper

setup() {
  sqlite_source
}

teardown() { :; }

@test "sqlite3 writes under dbclone run land in a copy: the source file is unchanged, no copy is left" {
  before=$(file_checksum "$SRC")
  run "$DBCLONE" run -- sqlite3 "$SRC" "INSERT INTO t VALUES (4, 'four'); DELETE FROM t WHERE id = 1; SELECT count(*) FROM t; PRAGMA database_list;"
  assert_success
  assert_line --index 0 3
  assert_line --index 1 --regexp "^0\|main\|$DBCLONE_DIR/dbclone_app_db_[0-9a-f]+_[0-9]+_[0-9]+\.sqlite$"
  assert_equal "$(file_checksum "$SRC")" "$before"
  assert_no_sqlite_clones
}

@test "DBCLONE_DIR is made with mode 0700" {
  run preloaded sqlite3 "$SRC" "SELECT 1"
  assert_success
  assert_equal "$(stat -c %a "$DBCLONE_DIR")" 700
}

@test "python3's sqlite3 in one process: each test sees the sample rows, never another test's commits" {
  run preloaded "$PY" "$ROOT/tests/py/sqlite_tests_in_one_process.py" "$SRC"
  assert_success
  assert_line --index 0 --regexp "^test_a $DBCLONE_DIR/dbclone_app_db_\S+_0\.sqlite 3 0$"
  assert_line --index 1 --regexp "^test_b $DBCLONE_DIR/dbclone_app_db_\S+_1\.sqlite 3 0$"
  assert_line --index 2 --regexp "^test_c $DBCLONE_DIR/dbclone_app_db_\S+_2\.sqlite 3 0$"
  assert_equal "$(sqlite3 "$SRC" "SELECT count(*) FROM t")" 3
  assert_no_sqlite_clones
}

@test "every SQLite open call (open, open16, open_v2 read-only and with a vfs) lands in the test's one copy" {
  run preloaded "$ROOT/build/tests/sqlite_calls" "$SRC"
  assert_success
  assert_equal "${#lines[@]}" 4
  copy=$(echo "${lines[0]}" | cut -d' ' -f2)
  [[ $copy == $DBCLONE_DIR/dbclone_app_db_* ]] || fail "sqlite3_open used $copy"
  for line in "${lines[@]}"; do
    [[ $line == *" $copy" ]] || fail "not the same copy: $line"
  done
  assert_no_sqlite_clones
}

@test "the boundary signal from dbclone next --pid gives the next open a fresh copy" {
  cat > "$BATS_TEST_TMPDIR/sig.py" <<EOF_PY
import os, sqlite3, sys, time
for rnd in (1, 2):
    c = sqlite3.connect("$SRC", isolation_level=None)
    print(rnd, c.execute("PRAGMA database_list").fetchone()[2], c.execute("SELECT count(*) FROM t").fetchone()[0], flush=True)
    c.execute("INSERT INTO t VALUES (?, 'x')", (100 + rnd,))
    c.close()
    if rnd == 1:
        open("$BATS_TEST_TMPDIR/ready", "w").close()
        while not os.path.exists("$BATS_TEST_TMPDIR/go"):
            time.sleep(0.02)
EOF_PY
  across_signal_boundary "$PY" "$BATS_TEST_TMPDIR/sig.py"
  run cat "$BATS_TEST_TMPDIR/out"
  assert_line --index 0 --regexp "^1 \S+_0\.sqlite 3$"
  assert_line --index 1 --regexp "^2 \S+_1\.sqlite 3$"
  assert_no_sqlite_clones
}

@test "a WAL-mode source with commits not yet checkpointed is copied with every committed row" {
  sqlite3 "$SRC" "PRAGMA journal_mode=WAL;" >/dev/null
  # A writer keeps the database open, with checkpoints off, while the test
  # copies it: its last commits are only in the -wal file.
  cat > "$BATS_TEST_TMPDIR/writer.py" <<EOF_PY
import os, sqlite3, time
c = sqlite3.connect("$SRC", isolation_level=None)
c.execute("PRAGMA wal_autocheckpoint=0")
for i in range(10, 60):
    c.execute("INSERT INTO t VALUES (?, 'wal')", (i,))
open("$BATS_TEST_TMPDIR/ready", "w").close()
while not os.path.exists("$BATS_TEST_TMPDIR/go"):
    time.sleep(0.02)
EOF_PY
  "$PY" "$BATS_TEST_TMPDIR/writer.py" &
  writer=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/ready"
  [ "$(stat -c %s "$SRC-wal")" -gt 0 ] || fail "the -wal file is empty: the test would not test anything"
  DBCLONE_DEBUGLEVEL=2 run preloaded sqlite3 "$SRC" "SELECT count(*) FROM t; PRAGMA database_list;"
  touch "$BATS_TEST_TMPDIR/go"; wait "$writer"
  assert_success
  assert_line 53
  assert_line --regexp "^0\|main\|$DBCLONE_DIR/dbclone_"
  assert_no_sqlite_clones
}

@test "read-only opens (?mode=ro URIs) go to the copy and see what the test wrote" {
  run preloaded "$PY" -c "
import sqlite3
rw = sqlite3.connect('$SRC', isolation_level=None)
rw.execute(\"INSERT INTO t VALUES (7, 'seven')\")
ro = sqlite3.connect('file:$SRC?mode=ro', uri=True)
print(ro.execute('SELECT count(*) FROM t').fetchone()[0], ro.execute('PRAGMA database_list').fetchone()[2] == rw.execute('PRAGMA database_list').fetchone()[2])
try:
    ro.execute(\"INSERT INTO t VALUES (8, 'x')\")
except sqlite3.OperationalError as e:
    print('read-only kept:', e)
"
  assert_success
  assert_line --index 0 "4 True"
  assert_line --index 1 "read-only kept: attempt to write a readonly database"
  assert_equal "$(sqlite3 "$SRC" "SELECT count(*) FROM t")" 3
}

@test "relative, symlinked and ./x/../ spellings of one file are one source" {
  mkdir -p "$BATS_TEST_TMPDIR/sub"
  ln -s "$SRC" "$BATS_TEST_TMPDIR/link.db"
  cd "$BATS_TEST_TMPDIR/sub"
  run preloaded "$PY" -c "
import sqlite3
paths = set()
for name in ('../app.db', '$BATS_TEST_TMPDIR/link.db', './../sub/../app.db', 'file:../app.db'):
    c = sqlite3.connect(name, uri=name.startswith('file:'))
    paths.add(c.execute('PRAGMA database_list').fetchone()[2])
    c.close()
print(len(paths), paths.pop())
"
  assert_success
  assert_output --regexp "^1 $DBCLONE_DIR/dbclone_app_db_\S+_0\.sqlite$"
}

@test ":memory:, temporary, mode=memory and not-yet-existing databases pass through" {
  run preloaded "$PY" -c "
import sqlite3
for name, uri in ((':memory:', False), ('', False), ('file:mem1?mode=memory&cache=shared', True), ('$BATS_TEST_TMPDIR/new.db', False)):
    c = sqlite3.connect(name, uri=uri)
    c.execute('CREATE TABLE x (a)')
    print(repr(c.execute('PRAGMA database_list').fetchone()[2]))
"
  assert_success
  assert_output "''
''
''
'$BATS_TEST_TMPDIR/new.db'"
  assert_no_sqlite_clones
}

@test "two processes at once on different keys never see each other's writes" {
  pids=()
  for key in left right; do
    DBCLONE_TEST=$key env LD_PRELOAD="$LIB" "$PY" -c "
import os, sqlite3, time
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute(\"INSERT INTO t (v) VALUES ('$key')\")
open('$BATS_TEST_TMPDIR/$key.ready', 'w').close()
while not (os.path.exists('$BATS_TEST_TMPDIR/left.ready') and os.path.exists('$BATS_TEST_TMPDIR/right.ready')):
    time.sleep(0.02)
print(','.join(r[0] for r in c.execute('SELECT v FROM t ORDER BY id')))
" > "$BATS_TEST_TMPDIR/$key.out" &
    pids+=($!)
  done
  # Only these: bats runs a timeout watchdog in the background too.
  wait "${pids[@]}"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/left.out")" "one,two,three,left"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/right.out")" "one,two,three,right"
  assert_no_sqlite_clones
}

@test "a forked child and 8 threads opening at once share the key's one copy" {
  run preloaded "$PY" "$ROOT/tests/py/sqlite_fork_threads.py" "$SRC"
  assert_success
  copy=$(echo "${lines[0]}" | cut -d' ' -f2)
  [[ $copy == $DBCLONE_DIR/dbclone_* ]] || fail "parent used $copy"
  assert_line "child $copy 4"
  run grep -c "^thread $copy$" <<< "$output"
  assert_output 8
  assert_no_sqlite_clones
}

@test "a ctypes program looking up sqlite3_open_v2 with dlsym gets the hook" {
  run preloaded "$PY" -c "
import ctypes
lib = ctypes.CDLL('libsqlite3.so.0')
db = ctypes.c_void_p()
lib.sqlite3_open_v2(b'$SRC', ctypes.byref(db), 2, None)
lib.sqlite3_db_filename.restype = ctypes.c_char_p
print(lib.sqlite3_db_filename(db, b'main').decode())
lib.sqlite3_close(db)
"
  assert_success
  assert_output --regexp "^$DBCLONE_DIR/dbclone_app_db_"
  assert_no_sqlite_clones
}

@test "kill -9 under dbclone run --per-process: the supervisor removes the copy while the run goes on; without a run, ls shows it and gc removes it" {
  per_process_hold "$PY" "$ROOT/tests/py/sqlite_hold.py" "$SRC" "$BATS_TEST_TMPDIR/ready"
  [ -e "$HOLD_CLONE" ] || fail "no copy at $HOLD_CLONE"
  kill -9 "$HOLD_PID"
  wait_until 10 test ! -e "$HOLD_CLONE"
  assert_no_sqlite_clones
  kill -0 "$RUNNER" || fail "the run ended before the check"
  end_per_process_run
  run cat "$BATS_TEST_TMPDIR/run.err"
  assert_line "dbclone: process $HOLD_PID ended without dropping 1 clone(s) it made (sqlite $HOLD_CLONE); dropping them"

  env LD_PRELOAD="$LIB" "$PY" "$ROOT/tests/py/sqlite_hold.py" "$SRC" "$BATS_TEST_TMPDIR/r2" &
  holder=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/r2"
  read -r pid copy < "$BATS_TEST_TMPDIR/r2"
  kill -9 "$pid"; wait "$holder" || true
  run "$DBCLONE" ls
  assert_success
  assert_line --regexp "^sqlite +$copy +$SRC +$(hostname) +$pid +[0-9]+s +pid$pid +-$"
  run "$DBCLONE" gc
  assert_success
  assert_line "dropped sqlite $copy (its owner process is gone)"
  assert_no_sqlite_clones
  assert_equal "$(sqlite3 "$SRC" "SELECT count(*) FROM t")" 3
}

@test "a drop removes the copy's -wal, -shm and -journal files and its marker" {
  sqlite3 "$SRC" "PRAGMA journal_mode=WAL;" >/dev/null
  run preloaded "$PY" -c "
import os, sqlite3
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute(\"INSERT INTO t VALUES (9, 'x')\")
print(sorted(f for f in os.listdir('$DBCLONE_DIR') if f != 'intents'))
"
  assert_success
  assert_output --regexp "\.sqlite', '\S+\.sqlite-shm', '\S+\.sqlite-wal', '\S+\.sqlite\.dbclone'\]$"
  assert_no_sqlite_clones
}
