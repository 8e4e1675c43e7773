#!/usr/bin/env bats
# The run supervisor against hostile, broken and unlucky clients: it drops
# nothing a client merely names, no client stalls another, a connect that
# races a key change succeeds, and the run outlives a server restart.

load test_helper
bats_require_minimum_version 1.5.0

teardown() {
  # The restart test leaves the server as it found it, even when it fails.
  [ -e "$BATS_TEST_TMPDIR/pg.opts" ] && start_test_server
  drop_leftovers
  drop_mysql_leftovers
}

CLIENT=$ROOT/tests/py/run_client.py

# pg_ctl on the throwaway server (scripts/pg-server.sh), as its owner;
# never with the library (or the sanitizer runtime) preloaded into it.
pg_ctl_test_server() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  if [ "$(id -u)" -eq 0 ]; then
    env -u LD_PRELOAD runuser -u postgres -- "$bindir/pg_ctl" -D "$DBCLONE_TEST_PG_DIR/data" -w -t 60 "$@"
  else
    env -u LD_PRELOAD "$bindir/pg_ctl" -D "$DBCLONE_TEST_PG_DIR/data" -w -t 60 "$@"
  fi
}

# Starts it again with the options it had (saved by server_options). The
# server must not hold the descriptors of bats or of the run (bats waits
# for every holder of its output before it ends).
start_test_server() {
  pg_ctl_test_server status >/dev/null 2>&1 && return 0
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done 2>/dev/null
    pg_ctl_test_server -l "$DBCLONE_TEST_PG_DIR/server.log" -o "$(cat "$BATS_TEST_TMPDIR/pg.opts")" start </dev/null >/dev/null
  )
}

# The options the server runs with, from postmaster.opts (without its
# binary and data directory).
server_options() {
  sed 's/^[^ ]* "-D" "[^"]*" *//' "$DBCLONE_TEST_PG_DIR/data/postmaster.opts" > "$BATS_TEST_TMPDIR/pg.opts"
}

# ms since $1 (an $EPOCHREALTIME)
ms_since() {
  echo $(( (${EPOCHREALTIME/./} - ${1/./}) / 1000 ))
}

@test "forged made reports, for a database and files that are not clones, are refused and logged, in a shared and a per-process run" {
  [ -n "${DBCLONE_TEST_PG_DIR:-}" ] || skip "needs the throwaway PostgreSQL server"
  victim=$(new_source)
  fake=dbclone_fake_${RANDOM}_1
  sql postgres "CREATE DATABASE $fake" >/dev/null
  mkdir -p "$DBCLONE_DIR"
  outside=$BATS_TEST_TMPDIR/victim.db
  inside=$DBCLONE_DIR/dbclone_fake_db_00000000_1_1.sqlite
  sqlite3 "$outside" "CREATE TABLE t (id INT)"
  sqlite3 "$inside" "CREATE TABLE t (id INT)"
  conninfo="host=$PGHOST port=$PGPORT user=$PGUSER"
  for mode in "" --per-process; do
    run "$DBCLONE" run $mode -- sh -c "
      $PY '$CLIENT' made pg '$victim' '$conninfo' '$victim' ''
      $PY '$CLIENT' made pg '$fake' '$conninfo' '$victim' ''
      $PY '$CLIENT' made sqlite '$outside' '$outside'
      $PY '$CLIENT' made sqlite '$inside' '$outside'"
    assert_success
    log=$output
    for name in "pg $victim" "pg $fake" "sqlite $outside" "sqlite $inside"; do
      # the client's answer, and the run's log
      run grep -c "reported $name as a clone it made, but .*refused, and never dropped by the run" <<< "$log"
      assert_output 2
    done
    run "$DBCLONE" run $mode -- true # what the first run dropped is gone by now
    assert_equal "$(sql postgres "SELECT count(*) FROM pg_database WHERE datname IN ('$victim', '$fake')")" 2
    assert_equal "$(sql "$victim" "SELECT count(*) FROM t")" 3
    [ -f "$outside" ] || fail "$outside was removed ($mode)"
    [ -f "$inside" ] || fail "$inside was removed ($mode)"
  done
  rm -f "$inside"
}

@test "half a line, three silent clients, 10 MB without a newline: psql under the same run still connects at once" {
  src=$(new_source)
  cat > "$BATS_TEST_TMPDIR/stall.sh" <<SCRIPT
psql -X -qtA -d $src -c 'SELECT 1' >/dev/null || exit 1 # the golden and the pool
rss() { awk '/^VmRSS/ { print \$2 }' /proc/\$PPID/status; } # the supervisor's, kB
before=\$(rss)
for mode in half silent flood; do
  $PY '$CLIENT' \$mode > "$BATS_TEST_TMPDIR/\$mode.out" &
  client=\$!
  while ! grep -q holding "$BATS_TEST_TMPDIR/\$mode.out"; do sleep 0.02; done
  t0=\$EPOCHREALTIME
  timeout 15 psql -X -qtA -d $src -c 'SELECT 1' >/dev/null || echo "\$mode: psql failed"
  echo "\$mode \$(( (\${EPOCHREALTIME/./} - \${t0/./}) / 1000 )) ms"
  kill \$client
done
echo "rss grew \$(( (\$(rss) - before) / 1024 )) MB"
SCRIPT
  run timeout 120 "$DBCLONE" run -- bash "$BATS_TEST_TMPDIR/stall.sh"
  assert_success
  refute_line --partial "psql failed"
  for mode in half silent flood; do
    ms=$(sed -n "s/^$mode \([0-9]*\) ms$/\1/p" <<< "$output")
    [ -n "$ms" ] || fail "no time for $mode: $output"
    # Served at once: about 20 ms; the old supervisor took 5-15 s.
    (( ms < 1500 )) || fail "psql took $ms ms beside a $mode client"
  done
  assert_line --regexp "^dbclone: refused a client of the run \(pid [0-9]+\): a line longer than the protocol allows; its connection is closed$"
  grows=$(sed -n 's/^rss grew \(-\?[0-9]*\) MB$/\1/p' <<< "$output")
  (( grows < 5 )) || fail "the supervisor took in $grows MB of a line"
  assert_no_clones
}

@test "half a line or no hello: the client is dropped after its time and said so; a quiet library is not" {
  src=$(new_source)
  run timeout 60 "$DBCLONE" run -- sh -c "
    $PY -c \"import psycopg2, time; c = psycopg2.connect(dbname='$src'); time.sleep(6.5); c.cursor().execute('SELECT 1'); print('quiet library served')\" &
    $PY '$CLIENT' half > /dev/null & half=\$!
    $PY '$CLIENT' silent > /dev/null & silent=\$!
    sleep 6
    kill \$half \$silent
    wait"
  assert_success
  assert_line "quiet library served"
  assert_line --regexp "^dbclone: refused a client of the run \(pid [0-9]+\): a line begun and not ended within 5 s; its connection is closed$"
  run grep -c "no hello within 5 s" <<< "$output"
  assert_output 3
}

@test "a library and a run of different protocol versions refuse each other, saying so" {
  src=$(new_source)
  run "$DBCLONE" run -- $PY -c "
import os, socket
s = socket.socket(socket.AF_UNIX); s.connect(os.environ['DBCLONE_SOCKET'])
s.sendall(b'hello\t%d\n' % os.getpid())
print(s.makefile('rb').readline().decode().strip())"
  assert_success
  assert_line --regexp "^err.dbclone: process [0-9]+ speaks protocol 1 of the run supervisor, this run speaks [0-9]+: the library \(LD_PRELOAD\) and the dbclone command are of different versions"
  # A run that answers as version 1 did.
  timeout 60 "$PY" -c "
import socket
s = socket.socket(socket.AF_UNIX); s.bind('$BATS_TEST_TMPDIR/old.sock'); s.listen(1)
open('$BATS_TEST_TMPDIR/listening', 'w').close()
c, _ = s.accept(); c.makefile('rb').readline(); c.sendall(b'ok\n'); c.close()" 3>&- &
  server=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/listening"
  DBCLONE_SOCKET=$BATS_TEST_TMPDIR/old.sock run timeout 10 env LD_PRELOAD="$LIB" psql -X -qtA -d "$src" -c "SELECT 1"
  assert_failure 2
  assert_line --regexp "^psql: error: dbclone: the run at DBCLONE_SOCKET \S+ speaks protocol 1, this library [0-9]+: the dbclone command and the library \(LD_PRELOAD\) are of different versions"
  wait "$server" # not a bare wait: that waits for bats' own process substitutions too
}

@test "16 threads connecting while another changes the key every 50 ms for 5 s: no connect fails, in a run and in one process" {
  src=$(new_source)
  run timeout 120 "$DBCLONE" run -- "$PY" "$ROOT/tests/py/key_race.py" "$src"
  assert_success
  assert_line --regexp "^connects [0-9]+ failed 0 keys [0-9]+$"
  run timeout 120 env LD_PRELOAD="$LIB" "$PY" "$ROOT/tests/py/key_race.py" "$src"
  assert_success
  assert_line --regexp "^connects [0-9]+ failed 0 keys [0-9]+$"
  assert_no_clones
}

@test "the server restarted mid-run: the run says the server is down while it is, and boundaries are back to warm-pool cost after it" {
  [ -n "${DBCLONE_TEST_PG_DIR:-}" ] || skip "needs the throwaway PostgreSQL server"
  src=$(new_source)
  other=$(new_source)
  server_options
  export -f pg_ctl_test_server start_test_server
  export BATS_TEST_TMPDIR
  run timeout 180 "$DBCLONE" run --pool 2 -- bash -c "
    $PY '$ROOT/tests/py/boundaries.py' $src 8 before
    pg_ctl_test_server -m fast stop >/dev/null
    psql -X -qtA -d $other -c 'SELECT 1' 2>&1 | sed 's/^/down: /'
    start_test_server
    $PY '$ROOT/tests/py/boundaries.py' $src 12 after"
  start_test_server
  assert_success
  assert_line --regexp "^down: psql: error: dbclone: the pg server of $other is down or unreachable \("
  refute_line --regexp "^(before|after) failed"
  # Warm: the median of the last five boundaries is what the warm ones
  # before cost (a few ms), not a copy each (the pool stopped: 30-550 ms).
  median() { grep "^$1 " <<< "$output" | tail -n 5 | cut -d' ' -f2 | sort -n | sed -n 3p; }
  before=$(median before)
  after=$(median after)
  awk -v a="$after" -v b="$before" 'BEGIN { exit !(a < 2 * b + 10) }' ||
    fail "boundaries after the restart took $after ms (median), warm ones before $before ms: $output"
  assert_no_clones
}

@test "two sources, one with a long copy in progress: a boundary on the other is served at once" {
  src=$(new_source)
  db=src_$RANDOM
  my mysql "CREATE DATABASE $db; CREATE TABLE $db.t (id INT PRIMARY KEY); INSERT INTO $db.t VALUES (1), (2), (3)"
  cat > "$BATS_TEST_TMPDIR/two.sh" <<SCRIPT
DBCLONE_TEST=warm psql -X -qtA -d $src -c 'SELECT 1' >/dev/null || exit 1
# The MariaDB source's first copy waits for the lock: a copy in progress.
mariadb -uroot -S "$MYSQL_UNIX_PORT" -e "LOCK TABLES $db.t WRITE; SELECT SLEEP(6)" >/dev/null &
sleep 0.5
$PY -c "import MySQLdb; MySQLdb.connect(user='root', db='$db'); print('mariadb served')" &
sleep 0.5
t0=\$EPOCHREALTIME
DBCLONE_TEST=next psql -X -qtA -d $src -c 'SELECT 1' >/dev/null || echo "psql failed"
echo "pg \$(( (\${EPOCHREALTIME/./} - \${t0/./}) / 1000 )) ms"
wait
SCRIPT
  run timeout 120 "$DBCLONE" run -- bash "$BATS_TEST_TMPDIR/two.sh"
  assert_success
  assert_line "mariadb served"
  refute_line "psql failed"
  ms=$(sed -n 's/^pg \([0-9]*\) ms$/\1/p' <<< "$output")
  # At once: about 20 ms; behind the MariaDB copy it took about 5 s.
  (( ms < 2000 )) || fail "the PostgreSQL boundary took $ms ms: $output"
  assert_no_clones
  assert_no_mysql_clones
}
