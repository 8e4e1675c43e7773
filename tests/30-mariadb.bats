#!/usr/bin/env bats
# MySQL/MariaDB: a private copy of the schema per test, made in the server.

load test_helper
bats_require_minimum_version 1.5.0

setup() {
  SRC=src_${BATS_TEST_NUMBER}_$RANDOM
  my mysql "CREATE DATABASE $SRC CHARACTER SET latin1 COLLATE latin1_swedish_ci"
  mariadb -uroot -S "$MYSQL_UNIX_PORT" "$SRC" < "$ROOT/tests/sql/mariadb_every_kind.sql" >/dev/null
}

teardown() {
  drop_mysql_leftovers
}

source_sum() {
  my "$SRC" "CHECKSUM TABLE parent, child, audit, log_by_year, myisam_notes" | md5sum
}

@test "the clone equals the source: every table, view, sequence, trigger, routine and event, checksums, charset" {
  run preloaded "$PY" "$ROOT/tests/py/mariadb_compare.py" "$SRC"
  assert_success
  refute_output --partial DIFFERENT
  for obj in "TABLE parent" "TABLE child" "TABLE audit" "TABLE log_by_year" "TABLE myisam_notes" \
             "SEQUENCE ticket_seq" "VIEW cheap" "VIEW cheap_names" "TRIGGER parent_audit" \
             "PROCEDURE add_parent" "FUNCTION doubled" "EVENT nightly"; do
    assert_line "same $obj"
  done
  assert_line "same CHARSET ('latin1', 'latin1_swedish_ci')"
  assert_line --regexp "^clone dbclone_${SRC}_"
  assert_no_mysql_clones
}

@test "AUTO_INCREMENT, sequences, triggers and routines carry on from the source's state in the clone" {
  before=$(source_sum)
  run preloaded "$PY" -c "
import MySQLdb
c = MySQLdb.connect(user='root', db='$SRC', autocommit=True); cur = c.cursor()
cur.execute(\"CALL add_parent('gizmo', 5)\")
cur.execute(\"SELECT id FROM parent WHERE name = 'gizmo'\"); print('new id', cur.fetchone()[0])
cur.execute('SELECT what FROM audit'); print('audit', cur.fetchall())
cur.execute('SELECT NEXTVAL(ticket_seq), doubled(21)'); print('next', cur.fetchone())
cur.execute('DELETE FROM parent WHERE id = 1000'); cur.execute('SELECT count(*) FROM child'); print('cascade', cur.fetchone()[0])
"
  assert_success
  assert_line "new id 1003"
  assert_line "audit (('added gizmo',),)"
  assert_line --regexp "^next \(([0-9]+), 42\)$"
  assert_line "cascade 2"
  assert_equal "$(source_sum)" "$before"
  assert_equal "$(my "$SRC" "SELECT count(*) FROM audit")" 0
}

@test "a trigger that names the source schema unquoted writes to the clone, never the source" {
  my "$SRC" "CREATE TRIGGER parent_touch AFTER UPDATE ON parent FOR EACH ROW INSERT INTO $SRC.audit (what) VALUES ('updated')"
  run preloaded "$PY" -c "
import MySQLdb
c = MySQLdb.connect(user='root', db='$SRC', autocommit=True); cur = c.cursor()
cur.execute('UPDATE parent SET price = price + 1 WHERE id = 1000')
cur.execute('SELECT count(*) FROM audit'); print(cur.fetchone()[0])
"
  assert_success
  assert_output 1
  assert_equal "$(my "$SRC" "SELECT count(*) FROM audit")" 0
}

@test "every hooked call (real_connect, select_db, change_user) lands in the test's one clone; no database passes through" {
  run preloaded "$ROOT/build/tests/mysql_calls" "$SRC"
  assert_success
  db=$(echo "${lines[0]}" | cut -d' ' -f2)
  [[ $db == dbclone_${SRC}_* ]] || fail "mysql_real_connect landed in $db"
  assert_line "no database (none)"
  assert_line "mysql_select_db $db"
  assert_line "mysql_change_user $db"
  assert_no_mysql_clones
}

@test "MySQLdb in one process: each test (DBCLONE_TEST) sees the source's rows, never another test's autocommit writes" {
  run preloaded "$PY" -c "
import os, MySQLdb
for name in ('test_a', 'test_b', 'test_c'):
    os.environ['DBCLONE_TEST'] = name
    c = MySQLdb.connect(user='root', db='$SRC', autocommit=True); cur = c.cursor()
    cur.execute('SELECT DATABASE(), count(*) FROM parent'); db, n = cur.fetchone()
    cur.execute(\"INSERT INTO parent (name) VALUES (%s)\", (name,))
    c.close()
    print(name, db, n)
"
  assert_success
  assert_line --index 0 --regexp "^test_a dbclone_${SRC}_\S+_0 3$"
  assert_line --index 1 --regexp "^test_b dbclone_${SRC}_\S+_1 3$"
  assert_line --index 2 --regexp "^test_c dbclone_${SRC}_\S+_2 3$"
  assert_equal "$(my "$SRC" "SELECT count(*) FROM parent")" 3
  assert_no_mysql_clones
}

@test "the boundary signal from dbclone next --pid gives the next connect a fresh clone" {
  cat > "$BATS_TEST_TMPDIR/sig.py" <<EOF_PY
import os, time, MySQLdb
for rnd in (1, 2):
    c = MySQLdb.connect(user='root', db='$SRC', autocommit=True); cur = c.cursor()
    cur.execute('SELECT DATABASE(), count(*) FROM parent'); print(rnd, *cur.fetchone(), flush=True)
    cur.execute("INSERT INTO parent (name) VALUES ('round%d')" % rnd)
    c.close()
    if rnd == 1:
        open('$BATS_TEST_TMPDIR/ready', 'w').close()
        while not os.path.exists('$BATS_TEST_TMPDIR/go'):
            time.sleep(0.02)
EOF_PY
  across_signal_boundary "$PY" "$BATS_TEST_TMPDIR/sig.py"
  run cat "$BATS_TEST_TMPDIR/out"
  assert_line --index 0 --regexp "^1 dbclone_${SRC}_\S+_0 3$"
  assert_line --index 1 --regexp "^2 dbclone_${SRC}_\S+_1 3$"
  assert_no_mysql_clones
}

@test "per-process runs: each process of dbclone run --per-process gets its own clone, all dropped at the end" {
  run --separate-stderr "$DBCLONE" run --per-process -- sh -c "
    for i in 1 2; do
      $PY -c \"
import MySQLdb
c = MySQLdb.connect(user='root', db='$SRC', autocommit=True); cur = c.cursor()
cur.execute('DELETE FROM child'); cur.execute('SELECT DATABASE(), (SELECT count(*) FROM parent)'); print(*cur.fetchone())
\"
    done"
  assert_success
  assert_equal "${#lines[@]}" 2
  [ "${lines[0]%% *}" != "${lines[1]%% *}" ] || fail "one clone for two processes"
  assert_equal "${#stderr_lines[@]}" 1
  [[ ${stderr_lines[0]} == "dbclone: run summary: clones made pg 0, sqlite 0, mysql 2; "* ]] ||
    fail "no summary of the two clones: $stderr"
  assert_equal "$(my "$SRC" "SELECT count(*) FROM child")" 3
  assert_no_mysql_clones
}

@test "parallel processes on different keys never see each other's writes" {
  pids=()
  for key in left right; do
    DBCLONE_TEST=$key env LD_PRELOAD="$LIB" "$PY" -c "
import os, time, MySQLdb
c = MySQLdb.connect(user='root', db='$SRC', autocommit=True); cur = c.cursor()
cur.execute(\"INSERT INTO parent (name) VALUES ('$key')\")
open('$BATS_TEST_TMPDIR/$key.ready', 'w').close()
while not all(os.path.exists('$BATS_TEST_TMPDIR/%s.ready' % k) for k in ('left', 'right')):
    time.sleep(0.02)
cur.execute('SELECT GROUP_CONCAT(name ORDER BY id) FROM parent'); print(cur.fetchone()[0])
" > "$BATS_TEST_TMPDIR/$key.out" &
    pids+=($!)
  done
  # Only these: bats runs a timeout watchdog in the background too.
  wait "${pids[@]}"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/left.out")" "widget,gadget,doohickey,left"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/right.out")" "widget,gadget,doohickey,right"
  assert_no_mysql_clones
}

@test "a forked child and 8 threads connecting at once share the key's one clone" {
  run preloaded "$PY" -c "
import os, threading, MySQLdb
def db():
    c = MySQLdb.connect(user='root', db='$SRC'); cur = c.cursor()
    cur.execute('SELECT DATABASE(), (SELECT count(*) FROM parent)'); r = cur.fetchone(); c.close(); return r
parent = MySQLdb.connect(user='root', db='$SRC', autocommit=True)
parent.cursor().execute(\"INSERT INTO parent (name) VALUES ('from parent')\")
print('parent', *db(), flush=True)
pid = os.fork()
if pid == 0:
    print('child', *db(), flush=True); os._exit(0)
os.waitpid(pid, 0)
barrier = threading.Barrier(8); out = []
def worker():
    barrier.wait(); out.append(db()[0])
ts = [threading.Thread(target=worker) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print('threads', len(set(out)), out[0])
"
  assert_success
  db=$(echo "${lines[0]}" | cut -d' ' -f2)
  [[ $db == dbclone_${SRC}_* ]] || fail "parent landed in $db"
  assert_line "child $db 4"
  assert_line "threads 1 $db"
  assert_no_mysql_clones
}

@test "kill -9 under dbclone run --per-process: the supervisor drops the clone while the run goes on; without a run, ls shows it and gc drops it" {
  cat > "$BATS_TEST_TMPDIR/hold.py" <<EOF_PY
import os, sys, time, MySQLdb
c = MySQLdb.connect(user='root', db='$SRC'); cur = c.cursor(); cur.execute('SELECT DATABASE()')
open(sys.argv[1] + '.tmp', 'w').write('%d %s\n' % (os.getpid(), cur.fetchone()[0])); os.rename(sys.argv[1] + '.tmp', sys.argv[1])
time.sleep(120)
EOF_PY
  per_process_hold "$PY" "$BATS_TEST_TMPDIR/hold.py" "$BATS_TEST_TMPDIR/ready"
  assert_equal "$(mysql_clones)" "$HOLD_CLONE"
  kill -9 "$HOLD_PID"
  wait_until 20 prints "" mysql_clones
  assert_no_mysql_clones
  kill -0 "$RUNNER" || fail "the run ended before the check"
  end_per_process_run
  run cat "$BATS_TEST_TMPDIR/run.err"
  assert_line "dbclone: process $HOLD_PID ended without dropping 1 clone(s) it made (mysql $HOLD_CLONE); dropping them"

  env LD_PRELOAD="$LIB" "$PY" "$BATS_TEST_TMPDIR/hold.py" "$BATS_TEST_TMPDIR/r2" &
  holder=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/r2"
  read -r pid db < "$BATS_TEST_TMPDIR/r2"
  kill -9 "$pid"; wait "$holder" || true
  run "$DBCLONE" ls
  assert_success
  assert_line --regexp "^mysql +$db +$SRC +$(hostname) +$pid +[0-9]+s +pid$pid +-$"
  run "$DBCLONE" gc
  assert_success
  assert_line "dropped mysql $db (its owner process is gone)"
  assert_no_mysql_clones
}
