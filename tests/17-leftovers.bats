#!/usr/bin/env bats
# How gc and the next run prove what is dbclone's (a marker, or a dead
# owner's intent; never a name alone), another host's leftovers, dead
# runs' directories, and drops that failed while the server was down.

load test_helper
bats_require_minimum_version 1.5.0

setup() {
  # Run directories of this test's runs only.
  export TMPDIR=$BATS_TEST_TMPDIR/tmp
  mkdir -p "$TMPDIR"
}

teardown() {
  pg_up
  drop_leftovers
}

# forge_intent NAME HOST PID: an intent record as dbclone writes it, for
# a clone NAME on the test server, owned by PID on HOST.
forge_intent() {
  mkdir -p -m 700 "$DBCLONE_DIR" "$DBCLONE_DIR/intents"
  printf 'dbclone intent v1\nengine=pg\nkind=create\nname=%s\nwhere=%s\nowner=%s\n' \
    "$1" "host='$PGHOST' port='$PGPORT' user='$PGUSER'" \
    "dbclone v2 host=$2 pid=$3 start=0 run=forged state=intent layer= created=$(date +%s) source=x" \
    > "$DBCLONE_DIR/intents/pg-$1"
}

intents() { # the intent records left
  find "$DBCLONE_DIR/intents" -type f 2>/dev/null
}

dead_pid() { # a pid that was, and is no more
  sh -c 'echo $$'
}

# The throwaway server, stopped and started again with the same options
# (pg_ctl restart starts a stopped server from postmaster.opts).
pg_ctl_() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$bindir/pg_ctl" -D "$DBCLONE_TEST_PG_DIR/data" "$@"
  else
    "$bindir/pg_ctl" -D "$DBCLONE_TEST_PG_DIR/data" "$@"
  fi
}
pg_down() { pg_ctl_ stop -m fast -w >/dev/null; }
# The server must not hold bats's descriptors (fd 3): bats would wait for it.
pg_up() {
  sql postgres "SELECT 1" >/dev/null 2>&1 ||
    pg_ctl_ restart -w -l "$DBCLONE_TEST_PG_DIR/server.log" >/dev/null 2>&1 3>&-
}

@test "gc never drops a database named like a clone without marker or intent; one a dead owner's intent names, it drops" {
  [ -n "${DBCLONE_TEST_PG_DIR:-}" ] || fail "DBCLONE_TEST_PG_DIR names no throwaway server"
  sql postgres "CREATE DATABASE dbclone_not_ours_1" >/dev/null
  sql postgres "CREATE DATABASE dbclone_live_owner_2" >/dev/null
  sql postgres "CREATE DATABASE dbclone_dead_owner_3" >/dev/null
  forge_intent dbclone_live_owner_2 "$(hostname)" $$
  forge_intent dbclone_dead_owner_3 "$(hostname)" "$(dead_pid)"
  forge_intent dbclone_never_made_4 "$(hostname)" "$(dead_pid)"
  run "$DBCLONE" gc --dry-run
  assert_success
  assert_line "would drop pg dbclone_dead_owner_3, if it was made (its owner process is gone)"
  run "$DBCLONE" gc
  assert_success
  assert_output "dropped pg dbclone_dead_owner_3 (its owner process is gone)"
  assert_equal "$(clones | tr '\n' ' ')" "dbclone_live_owner_2 dbclone_not_ours_1 "
  # The dead owner's intents are resolved; the live owner's stays.
  assert_equal "$(intents)" "$DBCLONE_DIR/intents/pg-dbclone_live_owner_2"
  run "$DBCLONE" ls
  assert_line --regexp "^pg +dbclone_not_ours_1 +\(no dbclone marker: not made by dbclone, never dropped\)$"
}

@test "gc on another host's intent and clone: left alone (their processes cannot be seen here), unless older than --older-than" {
  sql postgres "CREATE DATABASE dbclone_elsewhere_1" >/dev/null
  sql postgres "CREATE DATABASE dbclone_elsewhere_2" >/dev/null
  sql postgres "COMMENT ON DATABASE dbclone_elsewhere_2 IS 'dbclone v2 host=forged.example pid=1 start=0 run=r state=made layer= created=$(date +%s) source=x'" >/dev/null
  forge_intent dbclone_elsewhere_1 forged.example "$(dead_pid)"
  run "$DBCLONE" gc
  assert_success
  assert_output ""
  assert_equal "$(clones | wc -l)" 2
  # Older than 0s once a second has passed since their creation.
  sleep 1
  run "$DBCLONE" gc --older-than 0s
  assert_success
  assert_line "dropped pg dbclone_elsewhere_1 (older than 0s)"
  assert_line "dropped pg dbclone_elsewhere_2 (older than 0s)"
  assert_no_clones
  assert_equal "$(intents)" ""
}

run_dir_socket() { # a run directory with its socket exists
  test -S "$(ls -d "$TMPDIR"/dbclone-run-* 2>/dev/null | head -n1)/socket"
}

@test "a dead supervisor's run directory (and its socket) is removed by gc and by the next run; a live run's is kept" {
  local dead dead_dir live live_dir
  # Each run in a session of its own: killed with all it started.
  setsid "$DBCLONE" run -- sleep 30 >/dev/null 2>&1 3>&- &
  live=$!
  wait_until 10 run_dir_socket
  live_dir=$(ls -d "$TMPDIR"/dbclone-run-*)
  setsid "$DBCLONE" run -- sh -c "touch $BATS_TEST_TMPDIR/dead; exec sleep 30" >/dev/null 2>&1 3>&- &
  dead=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/dead"
  dead_dir=$(ls -d "$TMPDIR"/dbclone-run-* | grep -vxF "$live_dir")
  kill -9 -- "-$dead"
  # Reaped: a zombie's pid still answers kill(pid, 0).
  wait "$dead" 2>/dev/null || true
  run "$DBCLONE" gc --dry-run
  assert_output "would remove run directory $dead_dir (its supervisor is gone)"
  run "$DBCLONE" gc
  assert_success
  assert_output "removed run directory $dead_dir (its supervisor is gone)"
  [ ! -e "$dead_dir" ] || fail "$dead_dir is still there"
  assert_equal "$(ls -d "$TMPDIR"/dbclone-run-*)" "$live_dir"
  kill -9 -- "-$live"
  wait "$live" 2>/dev/null || true
  run "$DBCLONE" run -- true
  assert_success
  assert_equal "$(ls -d "$TMPDIR"/dbclone-run-* 2>/dev/null)" ""
}

@test "a server restarted mid-run: the supervisor retries the drops that failed, and nothing is left" {
  src=$(new_source)
  local d=$BATS_TEST_TMPDIR
  "$DBCLONE" run --pool 1 -- sh -c "
    psql -X -qtA -d $src -c 'SELECT 1' >/dev/null
    touch $d/ready
    while [ ! -e $d/down ]; do sleep 0.05; done
    $DBCLONE next
    touch $d/nexted
    while [ ! -e $d/up ]; do sleep 0.05; done
    psql -X -qtA -d $src -c 'SELECT 1'" 2>"$d/run.err" 3>&- &
  local runner=$!
  wait_until 20 test -e "$d/ready"
  pg_down
  touch "$d/down"
  wait_until 20 test -e "$d/nexted"
  pg_up
  touch "$d/up"
  wait "$runner" || fail "the run failed: $(cat "$d/run.err")"
  run cat "$d/run.err"
  assert_line --regexp "^dbclone: dropped pg dbclone_${src}_\S+ on a later try$"
  assert_no_clones
  assert_equal "$(intents)" ""
}

@test "a drop that fails at exit is retried, then recorded as drop pending; gc drops it once the server is back" {
  src=$(new_source)
  local d=$BATS_TEST_TMPDIR
  # SIGTERM ends it cleanly (a background job ignores SIGINT): the
  # library drops at exit.
  LD_PRELOAD="$LIB" "$PY" -c 'import runpy, signal, sys
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")' \
    "$ROOT/tests/py/pg_hold.py" "$src" "$d/ready" 3>&- 2>"$d/hold.err" &
  local holder=$!
  wait_until 10 test -e "$d/ready"
  pg_down
  kill -TERM "$holder"
  wait "$holder" || true
  run cat "$d/hold.err"
  assert_output --partial "recorded for the next run and dbclone gc"
  assert_equal "$(intents | wc -l)" 1
  pg_up
  run "$DBCLONE" gc
  assert_success
  assert_output --regexp "^dropped pg dbclone_${src}_\S+ \(its drop failed and its owner is gone\)$"
  assert_no_clones
  assert_equal "$(intents)" ""
}
