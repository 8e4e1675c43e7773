#!/usr/bin/env bats
# SQLite bad input: one line starting "dbclone:" with cause and fix, a failed
# open, the source untouched, no partial copy left.

load test_helper

setup() {
  sqlite_source
}

teardown() {
  mountpoint -q "$BATS_TEST_TMPDIR/full" 2>/dev/null && umount "$BATS_TEST_TMPDIR/full"
  return 0
}

# python3's sqlite3 reports what sqlite3_errmsg says, and the result code.
open_and_write() {
  run preloaded "$PY" -c "
import sqlite3, sys
try:
    c = sqlite3.connect(sys.argv[1], isolation_level=None)
    c.execute(\"INSERT INTO t VALUES (99, 'leak')\")
    print('opened', c.execute('PRAGMA database_list').fetchone()[2])
except sqlite3.Error as e:
    print('refused', e.sqlite_errorcode, e)
" "$1"
}

@test "an unreadable source: refused with the cause and the fix, nothing copied" {
  # A directory nobody can enter, holding a file only root can read.
  place=$(mktemp -d /tmp/dbclone-unreadable.XXXXXX)
  chmod 755 "$place"
  cp "$SRC" "$place/app.db" && chmod 600 "$place/app.db"
  mkdir -m 0700 "$place/clones" && chown nobody "$place/clones"
  before=$(file_checksum "$place/app.db")
  run runuser -u nobody -- env LD_PRELOAD="$LIB" DBCLONE_DIR="$place/clones" \
    "$PY" -c "
import sqlite3
try:
    sqlite3.connect('$place/app.db').execute('SELECT 1')
except sqlite3.Error as e:
    print('refused', e.sqlite_errorcode, e)
"
  assert_line "refused 14 dbclone: cannot read source $place/app.db (unable to open database file); make it readable, or leave it out with DBCLONE_EXCLUDE"
  assert_equal "$(file_checksum "$place/app.db")" "$before"
  assert_no_copies_in "$place/clones"
  rm -rf "$place"
}

@test "a file that is not a database: refused as such, nothing copied" {
  echo "just some text, long enough to be read as a header ..........................................................." > "$BATS_TEST_TMPDIR/notes.db"
  open_and_write "$BATS_TEST_TMPDIR/notes.db"
  assert_line "refused 26 dbclone: $BATS_TEST_TMPDIR/notes.db is not an SQLite database (file is not a database); point the program at a database file, or leave it out with DBCLONE_EXCLUDE"
  assert_no_copies_in "$DBCLONE_DIR"
}

@test "DBCLONE_DIR on a full file system: refused with SQLITE_FULL, no partial copy, source untouched" {
  sqlite3 "$SRC" "WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
                  INSERT INTO t SELECT i, printf('%.100c', 'x') FROM n;"
  [ "$(stat -c %s "$SRC")" -gt 400000 ] || fail "the source is too small to fill the file system"
  mkdir "$BATS_TEST_TMPDIR/full"
  mount -t tmpfs -o size=256k,mode=0700 tmpfs "$BATS_TEST_TMPDIR/full" ||
    fail "cannot mount a small tmpfs: the full-disk test needs root"
  before=$(file_checksum "$SRC")
  DBCLONE_DIR=$BATS_TEST_TMPDIR/full open_and_write "$SRC"
  assert_line "refused 13 dbclone: no space left in DBCLONE_DIR $BATS_TEST_TMPDIR/full to clone $SRC; free some space, or set DBCLONE_DIR to a file system with room"
  assert_no_copies_in "$BATS_TEST_TMPDIR/full"
  assert_equal "$(file_checksum "$SRC")" "$before"
}

@test "DBCLONE_DIR owned by another user: refused, nothing written there" {
  mkdir -m 0700 "$DBCLONE_DIR" && chown nobody "$DBCLONE_DIR"
  open_and_write "$SRC"
  assert_line "refused 14 dbclone: DBCLONE_DIR $DBCLONE_DIR belongs to uid $(id -u nobody), not to you (uid $(id -u)); remove it, or set DBCLONE_DIR to a directory of yours"
  assert_no_copies_in "$DBCLONE_DIR"
  assert_equal "$(sqlite3 "$SRC" "SELECT count(*) FROM t")" 3
}

@test "DBCLONE_DIR that is a symlink: refused, nothing written where it points" {
  mkdir -m 0700 "$BATS_TEST_TMPDIR/elsewhere"
  ln -s "$BATS_TEST_TMPDIR/elsewhere" "$DBCLONE_DIR"
  open_and_write "$SRC"
  assert_line "refused 14 dbclone: DBCLONE_DIR $DBCLONE_DIR is a symlink; remove it, or set DBCLONE_DIR to a real directory of yours"
  assert_no_copies_in "$BATS_TEST_TMPDIR/elsewhere"
}

@test "the sqlite3 shell shows the dbclone: line for a refused open" {
  echo "not a database at all, but long enough for sqlite to read a full header ......................................" > "$BATS_TEST_TMPDIR/notes.db"
  run preloaded sqlite3 "$BATS_TEST_TMPDIR/notes.db" "SELECT 1"
  assert_failure
  assert_output --partial "dbclone: $BATS_TEST_TMPDIR/notes.db is not an SQLite database"
}
