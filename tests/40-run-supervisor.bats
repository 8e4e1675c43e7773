#!/usr/bin/env bats
# dbclone run as the run supervisor: one clone per test key for the whole
# process tree, golden copies, warm pools, cleanup that survives kill -9.

load test_helper
bats_require_minimum_version 1.5.0

teardown() {
  drop_leftovers
  drop_mysql_leftovers
}

@test "PostgreSQL: a migration step and the tests after it, two processes, share the run's clone; the source is untouched" {
  src=$(new_source)
  run "$DBCLONE" run -- sh -c "
    psql -X -qtA -d $src -c \"INSERT INTO t VALUES (10, 'migrated')\" &&
    psql -X -qtA -d $src -c 'SELECT current_database(), count(*) FROM t'"
  assert_success
  assert_line --index 0 --regexp "^dbclone_${src}_\S+\|4$"
  assert_line --regexp "^dbclone: run summary: clones made pg [0-9]+, sqlite 0, mysql 0; "
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
  assert_no_clones
}

@test "SQLite and MariaDB: a migration step and the tests after it share the run's copy" {
  sqlite_source
  db=src_$RANDOM
  my mysql "CREATE DATABASE $db; CREATE TABLE $db.t (id INT PRIMARY KEY); INSERT INTO $db.t VALUES (1), (2), (3)"
  run "$DBCLONE" run -- sh -c "
    sqlite3 '$SRC' \"INSERT INTO t VALUES (10, 'migrated')\" &&
    $PY -c \"import MySQLdb; MySQLdb.connect(user='root', db='$db', autocommit=True).cursor().execute('INSERT INTO t VALUES (10)')\" &&
    sqlite3 '$SRC' 'SELECT count(*) FROM t' &&
    $PY -c \"import MySQLdb; c = MySQLdb.connect(user='root', db='$db').cursor(); c.execute('SELECT count(*) FROM t'); print(c.fetchone()[0])\""
  assert_success
  assert_line --index 0 4
  assert_line --index 1 4
  assert_equal "$(sqlite3 "$SRC" "SELECT count(*) FROM t")" 3
  assert_equal "$(my "$db" "SELECT count(*) FROM t")" 3
  assert_no_copies_in "$DBCLONE_DIR"
  assert_equal "$(my mysql "SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'dbclone\\\\_%'")" 0
}

@test "two shared runs at once never see each other's writes" {
  src=$(new_source)
  for side in left right; do
    "$DBCLONE" run -- sh -c "
      psql -X -qtA -d $src -c \"INSERT INTO t VALUES (20, '$side')\" >/dev/null &&
      sleep 1 &&
      psql -X -qtA -d $src -c 'SELECT string_agg(v, chr(44) ORDER BY id) FROM t'" > "$BATS_TEST_TMPDIR/$side.out" 2>"$BATS_TEST_TMPDIR/$side.err" 3>&- &
    pids+=($!)
  done
  wait "${pids[@]}"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/left.out")" "one,two,three,left"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/right.out")" "one,two,three,right"
  assert_no_clones
}

@test "a shell loop of psql processes with the same DBCLONE_TEST sees one clone; another key another" {
  src=$(new_source)
  run "$DBCLONE" run -- sh -c "
    for i in 1 2 3; do
      DBCLONE_TEST=alpha psql -X -qtA -d $src -c \"INSERT INTO t VALUES (30 + \$i, 'a')\" -c 'SELECT current_database(), count(*) FROM t'
    done
    DBCLONE_TEST=beta psql -X -qtA -d $src -c 'SELECT current_database(), count(*) FROM t'"
  assert_success
  db=${lines[0]%%|*}
  assert_line --index 0 "$db|4"
  assert_line --index 1 "$db|5"
  assert_line --index 2 "$db|6"
  assert_line --index 3 --regexp "^dbclone_${src}_\S+\|3$"
  [ "${lines[3]%%|*}" != "$db" ] || fail "beta used alpha's clone"
}

@test "4 parallel workers with distinct DBCLONE_TEST each get their own clone at the same moment" {
  src=$(new_source)
  run "$DBCLONE" run --pool 2 -- sh -c "
    for w in 1 2 3 4; do
      DBCLONE_TEST=worker\$w $PY -c \"
import os, psycopg2, time
c = psycopg2.connect(dbname='$src'); c.autocommit = True; cur = c.cursor()
cur.execute('INSERT INTO t VALUES (%s, %s)', (40 + \$w, 'w'))
time.sleep(0.5)
cur.execute('SELECT current_database(), count(*) FROM t')
os.write(1, ('%s %s\\n' % cur.fetchone()).encode()) # one write: the workers end together
\" &
    done
    wait"
  assert_success
  run grep -c "^dbclone_${src}_\S* 4$" <<< "$output"
  assert_output 4
}

@test "a source changed during the run changes no test (golden copy), and a session on the source blocks no clone" {
  src=$(new_source)
  run "$DBCLONE" run -- sh -c "
    DBCLONE_TEST=first psql -X -qtA -d $src -c 'SELECT count(*) FROM t'
    DBCLONE_DISABLE=1 psql -X -qtA -d $src -c \"INSERT INTO t VALUES (50, 'late')\"
    DBCLONE_DISABLE=1 psql -X -qtA -d $src -c 'SELECT pg_sleep(3)' >/dev/null &
    sleep 0.5
    DBCLONE_TEST=second psql -X -qtA -d $src -c 'SELECT count(*) FROM t'
    wait"
  assert_success
  assert_line --index 0 3
  assert_line --index 1 3
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 4
}

@test "kill -9 of a child mid-test: its clone stays while the test may go on, and goes once a newer key is handed out" {
  src=$(new_source)
  "$DBCLONE" run -- sh -c "
    DBCLONE_TEST=victim $PY -c \"
import os, psycopg2, time
c = psycopg2.connect(dbname='$src'); cur = c.cursor(); cur.execute('SELECT current_database()')
open('$BATS_TEST_TMPDIR/ready', 'w').write('%d %s\\n' % (os.getpid(), cur.fetchone()[0]))
time.sleep(60)
\" &
    while [ ! -e $BATS_TEST_TMPDIR/go ]; do sleep 0.05; done
    DBCLONE_TEST=next psql -X -qtA -d $src -c 'SELECT 1' >/dev/null
    touch $BATS_TEST_TMPDIR/done
    while [ ! -e $BATS_TEST_TMPDIR/end ]; do sleep 0.05; done" 2>/dev/null 3>&- &
  runner=$!
  wait_until 10 test -s "$BATS_TEST_TMPDIR/ready"
  read -r pid db < "$BATS_TEST_TMPDIR/ready"
  kill -9 "$pid"
  sleep 0.5
  run clones
  assert_line "$db"
  touch "$BATS_TEST_TMPDIR/go"
  wait_until 10 test -e "$BATS_TEST_TMPDIR/done"
  wait_until 10 ! prints_line "$db" clones
  run clones
  refute_line "$db"
  touch "$BATS_TEST_TMPDIR/end"
  wait "$runner"
  assert_no_clones
}

# Starts a run on $1 whose supervisor is then killed with kill -9, once it
# made a golden and a clone; sets LEFT to how many clones it left.
kill_supervisor_of_run() {
  local runner
  "$DBCLONE" run -- sh -c "
    psql -X -qtA -d $1 -c 'SELECT 1' >/dev/null
    touch $BATS_TEST_TMPDIR/ready
    exec sleep 59.7" 2>/dev/null 3>&- &
  runner=$!
  wait_until 30 test -e "$BATS_TEST_TMPDIR/ready" || fail "the run never connected"
  sleep 0.5 # the pool fills in the background
  LEFT=$(clones | wc -l)
  [ "$LEFT" -ge 2 ] || fail "expected a golden and a clone, found: $(clones)"
  kill -9 "$runner"
  pkill -f "sleep 59.7" || true
  sleep 0.2
}

@test "kill -9 of the supervisor, then dbclone gc drops its clones and golden copies" {
  src=$(new_source)
  kill_supervisor_of_run "$src"
  run "$DBCLONE" gc
  assert_success
  assert_line --regexp "^dropped pg dbclone_${src}_\S+ \(its owner process is gone\)$"
  assert_no_clones
}

@test "a server under test keeps its connection; dbclone next between tests cuts it and the server reconnects into a fresh clone" {
  src=$(new_source)
  mkfifo "$BATS_TEST_TMPDIR/requests"
  DBCLONE_STALE=terminate "$DBCLONE" run -- sh -c "
    $PY $ROOT/tests/py/pg_server.py $src $BATS_TEST_TMPDIR/requests $BATS_TEST_TMPDIR/answers &
    exec 3>$BATS_TEST_TMPDIR/requests
    echo 1 >&3; sleep 0.3
    echo 2 >&3; sleep 0.3
    $DBCLONE next
    echo 3 >&3; sleep 0.3
    exec 3>&-
    wait" 2>/dev/null
  run cat "$BATS_TEST_TMPDIR/answers"
  assert_line --index 0 --regexp "^(dbclone_${src}_\S+) 4$"
  first=${lines[0]% *}
  assert_line --index 1 "$first 5"
  assert_line --index 2 --regexp "^dbclone_${src}_\S+ 4$"
  [ "${lines[2]% *}" != "$first" ] || fail "the server stayed on the old clone"
  assert_no_clones
}

@test "a stale or foreign DBCLONE_SOCKET is a clear error, never a hang" {
  src=$(new_source)
  DBCLONE_SOCKET=$BATS_TEST_TMPDIR/gone.sock run timeout 10 env LD_PRELOAD="$LIB" psql -X -qtA -d "$src" -c "SELECT 1"
  assert_failure 2
  assert_line "psql: error: dbclone: DBCLONE_SOCKET $BATS_TEST_TMPDIR/gone.sock does not exist: the run that set it is over; run the program under dbclone run, or unset DBCLONE_SOCKET"
  "$PY" -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind('$BATS_TEST_TMPDIR/dead.sock')"
  DBCLONE_SOCKET=$BATS_TEST_TMPDIR/dead.sock run timeout 10 env LD_PRELOAD="$LIB" psql -X -qtA -d "$src" -c "SELECT 1"
  assert_failure 2
  assert_line --regexp "^psql: error: dbclone: no run listens on DBCLONE_SOCKET $BATS_TEST_TMPDIR/dead.sock \(Connection refused\)"
  chown nobody "$BATS_TEST_TMPDIR/dead.sock"
  DBCLONE_SOCKET=$BATS_TEST_TMPDIR/dead.sock run timeout 10 env LD_PRELOAD="$LIB" psql -X -qtA -d "$src" -c "SELECT 1"
  assert_failure 2
  assert_line --regexp "^psql: error: dbclone: DBCLONE_SOCKET \S+ belongs to uid $(id -u nobody), not to you"
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
}

@test "pool sizes: 0 and absurd ones are clamped with a warning, a non-number is refused" {
  run "$DBCLONE" run --pool 0 -- true
  assert_success
  assert_line "dbclone: a pool of 0 clones per source is no pool; using 1"
  run "$DBCLONE" run --pool 100000 -- true
  assert_line "dbclone: a pool of 100000 clones per source is absurd; using 64"
  DBCLONE_POOL=lots run "$DBCLONE" run -- true
  assert_failure 2
  assert_output "dbclone: pool size \"lots\" is not a number; give the number of ready clones per source, e.g. --pool 2"
}

@test "--keep=failed keeps the last key's clone of a failed run and prints a command that reaches it; a passing run keeps nothing" {
  src=$(new_source)
  run "$DBCLONE" run --keep=failed -- sh -c "
    DBCLONE_TEST=early psql -X -qtA -d $src -c \"INSERT INTO t VALUES (60, 'early')\"
    DBCLONE_TEST=last psql -X -qtA -d $src -c \"INSERT INTO t VALUES (61, 'failing test')\"
    exit 3"
  assert_failure 3
  assert_line --regexp "^dbclone: kept pg clone dbclone_${src}_\S+ of $src: psql \".*dbname='dbclone_${src}_\S+'\"$"
  cmd=$(grep "^dbclone: kept" <<< "$output" | sed 's/^[^:]*: [^:]*: //')
  [[ $cmd != *password* ]] || fail "the command shows a password: $cmd"
  run bash -c "$cmd -X -qtA -c 'SELECT string_agg(v, chr(44) ORDER BY id) FROM t'"
  assert_output "one,two,three,failing test"
  assert_equal "$(clones | wc -l)" 1
  # Kept on purpose: neither gc nor the next run takes it for left behind.
  run "$DBCLONE" gc
  assert_output ""
  run "$DBCLONE" run -- psql -X -qtA -d "$src" -c "SELECT 1"
  refute_line --partial "dropped"
  assert_equal "$(clones | grep -c .)" 1
  drop_leftovers
  run "$DBCLONE" run --keep=failed -- psql -X -qtA -d "$src" -c "SELECT 1"
  assert_success
  refute_line --partial "dbclone: kept"
  assert_no_clones
  run "$DBCLONE" run --keep=sometimes -- true
  assert_failure 2
  assert_output "dbclone: --keep=\"sometimes\" is not valid; use never, failed or always"
}

@test "the next dbclone run on the host drops what a supervisor killed with kill -9 left" {
  src=$(new_source)
  kill_supervisor_of_run "$src"
  run "$DBCLONE" run -- psql -X -qtA -d "$src" -c "SELECT 1"
  assert_success
  assert_line "dbclone: dropped $LEFT clone(s) that dead runs or processes left (pg $src)"
  assert_no_clones
}

@test "a supervisor out of disk: hand-outs fall back to cloning in the process, which says so once" {
  sqlite_source
  sqlite3 "$SRC" "WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
                  INSERT INTO t SELECT i, printf('%.100c', 'x') FROM n;"
  mkdir "$BATS_TEST_TMPDIR/full"
  mount -t tmpfs -o size=128k,mode=0700 tmpfs "$BATS_TEST_TMPDIR/full" ||
    fail "cannot mount a small tmpfs: the test needs root"
  DBCLONE_DIR=$BATS_TEST_TMPDIR/full run "$DBCLONE" run -- env DBCLONE_DIR="$BATS_TEST_TMPDIR/own" "$PY" -c "
import os, sqlite3
for key in ('a', 'b'):
    os.environ['DBCLONE_TEST'] = key
    c = sqlite3.connect('$SRC', isolation_level=None)
    c.execute('DELETE FROM t')
    print(key, c.execute('PRAGMA database_list').fetchone()[2].startswith('$BATS_TEST_TMPDIR/own/'))
    c.close()
"
  umount "$BATS_TEST_TMPDIR/full"
  assert_success
  assert_line "a True"
  assert_line "b True"
  run grep -c "the run supervisor cannot clone: cloning in this process instead" <<< "$output"
  assert_output 1
  assert_equal "$(sqlite3 "$SRC" "SELECT count(*) FROM t")" 4994
  assert_no_copies_in "$BATS_TEST_TMPDIR/own"
}

@test "dbclone next outside a run says how to reach one; with --run it reaches a dead run's directory and says so" {
  run env -u DBCLONE_SOCKET "$DBCLONE" next
  assert_failure 2
  assert_output "dbclone: next finds its run through DBCLONE_SOCKET (set inside dbclone run); outside a run use dbclone next --run DIR or --pid PID"
  run "$DBCLONE" next --run "$BATS_TEST_TMPDIR"
  assert_failure 1
  assert_output --regexp "^dbclone: no run listens on $BATS_TEST_TMPDIR/socket \(No such file or directory\): the run is over, or give its directory with --run$"
}

@test "dbclone next in a --per-process run says that there is no epoch to move, and how to reach a process" {
  run "$DBCLONE" run --per-process -- "$DBCLONE" next
  assert_failure 1
  assert_line "dbclone: a --per-process run has no epoch to move: each process keeps its own clones; use dbclone next --pid PID, or set DBCLONE_TEST"
}

@test "MariaDB: the supervisor's threads drop each other's clones without cutting each other's sessions; the pool never stops" {
  db=src_$RANDOM
  my mysql "CREATE DATABASE $db; CREATE TABLE $db.t (id INT PRIMARY KEY); INSERT INTO $db.t VALUES (1), (2), (3)"
  # Keys one after another, with room for the pool to refill: every
  # clone is made by one admin session and dropped by whichever thread
  # is free, often another's.
  run --separate-stderr "$DBCLONE" run --pool 2 -- "$PY" -c "
import os, time, MySQLdb
for i in range(12):
    os.environ['DBCLONE_TEST'] = 'k%d' % i
    c = MySQLdb.connect(user='root', db='$db', autocommit=True); cur = c.cursor()
    cur.execute('INSERT INTO t VALUES (%s)', (10 + i,)); cur.execute('SELECT count(*) FROM t'); print(cur.fetchone()[0])
    c.close()
    time.sleep(0.15)
"
  assert_success
  assert_equal "$(echo "$output" | sort -u)" 4
  [[ $stderr != *"stops"* ]] || fail "the pool stopped: $stderr"
  [[ $stderr =~ "mysql "([0-9]+)";" ]] && [ "${BASH_REMATCH[1]}" -ge 12 ] || fail "too few clones: $stderr"
  assert_equal "$(my "$db" "SELECT count(*) FROM t")" 3
}

@test "a terminal's Ctrl-C reaches the command once, not a second time through the run; SIGINT sent to the run is passed on" {
  prog="import signal, time
n = 0
def count(*_):
    global n
    n += 1
signal.signal(signal.SIGINT, count)
print('ready', flush=True)
time.sleep(1.5)
time.sleep(0.5)
print('sigints', n, flush=True)"
  run "$PY" "$ROOT/tests/py/ctrl_c.py" "$DBCLONE" run -- "$PY" -c "$prog"
  assert_success
  assert_line --regexp '^(\^C)?sigints 1$' # after the terminal's echo of ^C
  # kill(2) to the run itself: passed on to the command.
  "$DBCLONE" run -- "$PY" -c "$prog" > "$BATS_TEST_TMPDIR/out" 2>/dev/null 3>&- &
  runner=$!
  wait_until 10 grep -q ready "$BATS_TEST_TMPDIR/out"
  kill -INT "$runner"
  wait "$runner"
  run cat "$BATS_TEST_TMPDIR/out"
  assert_line "sigints 1"
}

@test "two long DBCLONE_TEST values that differ only after their first 600 characters get two clones, in a shared run and in one process" {
  src=$(new_source)
  head=$(printf 'x%.0s' $(seq 600))
  run --separate-stderr "$DBCLONE" run -- sh -c "
    DBCLONE_TEST=${head}a psql -X -qtA -d $src -c 'SELECT current_database()'
    DBCLONE_TEST=${head}b psql -X -qtA -d $src -c 'SELECT current_database()'"
  assert_success
  assert_equal "${#lines[@]}" 2
  [ "${lines[0]}" != "${lines[1]}" ] || fail "one clone for two tests in a shared run"
  run preloaded "$PY" -c "
import os, psycopg2
for end in 'ab':
    os.environ['DBCLONE_TEST'] = '$head' + end
    c = psycopg2.connect(dbname='$src'); cur = c.cursor()
    cur.execute('SELECT current_database()'); print(cur.fetchone()[0])
"
  assert_success
  assert_equal "${#lines[@]}" 2
  [ "${lines[0]}" != "${lines[1]}" ] || fail "one clone for two tests in one process"
  assert_no_clones
}
