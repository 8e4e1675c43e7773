#!/usr/bin/env bats
# MySQL/MariaDB: the clones of a frozen copy (a run's golden) made by
# files, exported once per copy and imported into each clone; the
# fallback to the copy, and what is never written.

load test_helper
bats_require_minimum_version 1.5.0

setup() {
  SRC=src_${BATS_TEST_NUMBER}_$RANDOM
  my mysql "CREATE DATABASE $SRC CHARACTER SET latin1 COLLATE latin1_swedish_ci"
  mariadb -uroot -S "$MYSQL_UNIX_PORT" "$SRC" < "$ROOT/tests/sql/mariadb_every_kind.sql" >/dev/null
  DATADIR=$(my mysql "SELECT @@datadir")
}

teardown() {
  drop_mysql_leftovers
}

# Three tests' clones in one run (three keys, one process each); each
# prints the names in the source's directory and the export files that
# exist while the run goes on.
three_keys() {
  "$DBCLONE" run -- sh -c '
    for k in a b c; do
      DBCLONE_TEST=$k "$1" "$2/tests/py/mariadb_compare.py" "$3" || exit 1
    done
    ls -A "$4$3" | sort | tr "\n" " "; echo " <- source during"
    find "$4" -name "*.dbclone.BAK" | sed "s|.*/||" | sort | tr "\n" " "; echo " <- exports during"
  ' sh "$PY" "$ROOT" "$SRC" "$DATADIR"
}

@test "a run's golden is exported once; each test's clone imports its big tables; nothing is written into the source's directory; the exports go with the golden" {
  # One table big enough to go as files; the small ones go by rows.
  my "$SRC" "CREATE TABLE bulk (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
             INSERT INTO bulk SELECT seq, CONCAT('v', seq) FROM seq_1_to_60000" >/dev/null
  before=$(ls -A "$DATADIR$SRC" | sort | tr "\n" " ")
  DBCLONE_DEBUGLEVEL=2 run --separate-stderr three_keys
  assert_success
  refute_output --partial DIFFERENT
  assert_line "same TABLE bulk"
  assert_line "$before <- source during"
  assert_line "bulk.cfg.dbclone.BAK bulk.ibd.dbclone.BAK  <- exports during"
  [ "$(grep -c 'exported 1 InnoDB tables of "dbclone_' <<< "$stderr")" = 1 ]
  [ "$(grep -c 'made by files: 1 InnoDB tables imported, 5 copied' <<< "$stderr")" -ge 3 ]
  assert_equal "$(ls -A "$DATADIR$SRC" | sort | tr "\n" " ")" "$before"
  run find "$DATADIR" -name "*.dbclone.BAK" -o -path "*/dbclone_*/*.cfg" -o -path "*/$SRC/*.cfg"
  assert_output ""
  assert_no_mysql_clones
}

@test "a failure on the file path falls back to the copy, with one warning for the run, and every clone is whole" {
  DBCLONE_TEST_MYSQL_FILES=fail DBCLONE_DEBUGLEVEL=2 run --separate-stderr three_keys
  assert_success
  refute_output --partial DIFFERENT
  assert_line --regexp "^same TABLE parent$"
  [ "$(grep -c 'warning: DBCLONE_TEST_MYSQL_FILES=fail stops the file path after DISCARD TABLESPACE; clone "dbclone_.*" is copied over connections instead' <<< "$stderr")" = 1 ]
  # Every clone of the run (the pool makes them at once or one by one: the
  # ones after the failure are told it failed before) is a copy.
  [ "$(grep -c 'copied over [0-9]* connections (5 tables; not by files: ' <<< "$stderr")" -ge 3 ]
  [[ "$stderr" != *"made by files"* ]]
  run find "$DATADIR" -name "*.dbclone.BAK"
  assert_output ""
  assert_no_mysql_clones
}

@test "the files imported into a clone are owned and moded like the server's own" {
  DBCLONE_TEST_MYSQL_FILES=all run "$DBCLONE" run -- "$PY" -c "
import os, MySQLdb
c = MySQLdb.connect(user='root', db='$SRC'); cur = c.cursor()
cur.execute('SELECT DATABASE()'); clone = cur.fetchone()[0]
for d in ('$SRC', clone):
    for t in ('parent', 'child', 'audit'):
        s = os.stat(os.path.join('$DATADIR', d, t + '.ibd'))
        print('src' if d == '$SRC' else 'clone', t, s.st_uid, s.st_gid, oct(s.st_mode))
"
  assert_success
  for t in parent child audit; do
    src=$(grep "^src $t " <<< "$output" | cut -d' ' -f3-)
    [ -n "$src" ]
    assert_line "clone $t $src"
  done
}

@test "AUTO_INCREMENT, sequences, triggers, routines and cascades carry on in a clone made by files" {
  # stderr apart: the run's log lines must not break the program's lines
  # (print writes a line in pieces under PYTHONUNBUFFERED=1, as in CI).
  DBCLONE_TEST_MYSQL_FILES=all DBCLONE_DEBUGLEVEL=2 run --separate-stderr "$DBCLONE" run -- "$PY" -c "
import MySQLdb
c = MySQLdb.connect(user='root', db='$SRC', autocommit=True); cur = c.cursor()
cur.execute(\"CALL add_parent('gizmo', 5)\")
cur.execute(\"SELECT id FROM parent WHERE name = 'gizmo'\"); print('new id', cur.fetchone()[0])
cur.execute('SELECT what FROM audit'); print('audit', cur.fetchall())
cur.execute('SELECT NEXTVAL(ticket_seq), doubled(21)'); print('next', cur.fetchone())
cur.execute('DELETE FROM parent WHERE id = 1000'); cur.execute('SELECT count(*) FROM child'); print('cascade', cur.fetchone()[0])
cur.execute('SELECT price_with_tax FROM parent WHERE id = 1001'); print('generated', cur.fetchone()[0])
"
  assert_success
  [[ $stderr == *"made by files: 3 InnoDB tables imported"* ]] ||
    fail "no clone made by files: $stderr"
  assert_line "new id 1003"
  assert_line "audit (('added gizmo',),)"
  assert_line --regexp "^next \(([0-9]+), 42\)$"
  assert_line "cascade 2"
  assert_line "generated 24.00"
  assert_equal "$(my "$SRC" "SELECT count(*) FROM audit")" 0
}

@test "DBCLONE_LOG gets the path taken at DBCLONE_DEBUGLEVEL=2, and nothing of it at the default level" {
  DBCLONE_LOG=$BATS_TEST_TMPDIR/log DBCLONE_DEBUGLEVEL=2 run preloaded "$PY" "$ROOT/tests/py/mariadb_compare.py" "$SRC"
  assert_success
  run grep -c "info: clone \"dbclone_${SRC}_.*\" of source \"$SRC\" copied in the server on one connection" "$BATS_TEST_TMPDIR/log"
  assert_output 1
  DBCLONE_LOG=$BATS_TEST_TMPDIR/quiet run preloaded "$PY" "$ROOT/tests/py/mariadb_compare.py" "$SRC"
  assert_success
  [ ! -e "$BATS_TEST_TMPDIR/quiet" ] || ! grep "copied in the server" "$BATS_TEST_TMPDIR/quiet"
}
