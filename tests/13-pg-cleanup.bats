#!/usr/bin/env bats
# Nothing is left behind: kill -9, dbclone run's sweep, ls and gc.

load test_helper
bats_require_minimum_version 1.5.0

# Starts pg_hold.py on $1 (under "$@" after it), waits until it holds its
# clone; sets HOLD_PID and HOLD_DB.
hold() {
  local src=$1 ready=$BATS_TEST_TMPDIR/ready.$RANDOM
  shift
  "$@" "$PY" "$ROOT/tests/py/pg_hold.py" "$src" "$ready" 3>&- 2>"$BATS_TEST_TMPDIR/hold.err" &
  RUNNER=$!
  wait_until 10 test -e "$ready" || fail "the program never connected"
  read -r HOLD_PID HOLD_DB < "$ready"
}

@test "kill -9 of a process in a --per-process run: the supervisor drops its clone when its socket closes, while the run goes on" {
  src=$(new_source)
  per_process_hold "$PY" "$ROOT/tests/py/pg_hold.py" "$src" "$BATS_TEST_TMPDIR/ready"
  assert_equal "$(clones)" "$HOLD_CLONE"
  kill -9 "$HOLD_PID"
  wait_until 20 prints "" clones
  assert_no_clones
  kill -0 "$RUNNER" || fail "the run ended before the check"
  end_per_process_run
  run cat "$BATS_TEST_TMPDIR/run.err"
  assert_line "dbclone: process $HOLD_PID ended without dropping 1 clone(s) it made (pg $HOLD_CLONE); dropping them"
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
}

@test "a --per-process run still sweeps, at its end, a clone whose process died before the supervisor heard of it" {
  src=$(new_source)
  # The journal is the second net: a clone recorded there and not dropped
  # (here: made by a process that never reached the supervisor) goes at
  # the run's end.
  run "$DBCLONE" run --per-process -- sh -c "
    DBCLONE_SOCKET= $PY $ROOT/tests/py/pg_hold.py $src $BATS_TEST_TMPDIR/ready &
    for _ in \$(seq 500); do [ -e $BATS_TEST_TMPDIR/ready ] && break; sleep 0.02; done
    read -r pid db < $BATS_TEST_TMPDIR/ready
    kill -9 \$pid"
  assert_success
  assert_output --partial "dbclone: dropped 1 clone(s) that processes of this run left behind"
  assert_no_clones
}

@test "kill -9 without a run leaves a clone that ls shows and gc drops; gc --dry-run only tells" {
  src=$(new_source)
  hold "$src" env LD_PRELOAD="$LIB"
  kill -9 "$HOLD_PID"
  wait "$RUNNER" || true
  run "$DBCLONE" ls
  assert_success
  assert_line --index 0 --regexp "^ENGINE +CLONE +SOURCE +HOST +PID +AGE +RUN +FROM$"
  assert_line --index 1 --regexp "^pg +$HOLD_DB +$src +$(hostname) +$HOLD_PID +[0-9]+s +pid$HOLD_PID +-$"
  run "$DBCLONE" gc --dry-run
  assert_success
  assert_output "would drop pg $HOLD_DB (its owner process is gone)"
  assert_equal "$(clones)" "$HOLD_DB"
  run "$DBCLONE" gc
  assert_success
  assert_output "dropped pg $HOLD_DB (its owner process is gone)"
  assert_no_clones
}

@test "gc keeps the clone of a live owner, unless it is older than --older-than" {
  src=$(new_source)
  hold "$src" env LD_PRELOAD="$LIB"
  run "$DBCLONE" gc
  assert_success
  assert_output ""
  assert_equal "$(clones)" "$HOLD_DB"
  sleep 2
  run "$DBCLONE" gc --older-than 1s
  assert_success
  assert_output "dropped pg $HOLD_DB (older than 1s)"
  assert_no_clones
  kill "$HOLD_PID"; wait "$RUNNER" || true
}

@test "gc never drops a dbclone_ database without dbclone's marker, nor another host's live-looking clone" {
  sql postgres "CREATE DATABASE dbclone_not_ours" >/dev/null
  sql postgres "CREATE DATABASE dbclone_other_host" >/dev/null
  sql postgres "COMMENT ON DATABASE dbclone_other_host IS 'dbclone v1 host=elsewhere pid=1 run=r created=$(date +%s) source=x'" >/dev/null
  run "$DBCLONE" gc
  assert_success
  assert_output ""
  # Older than 0s once a second has passed since its creation.
  sleep 1
  run "$DBCLONE" gc --older-than 0s
  assert_output "dropped pg dbclone_other_host (older than 0s)"
  assert_equal "$(clones)" "dbclone_not_ours"
  run "$DBCLONE" ls
  assert_line --regexp "^pg +dbclone_not_ours +\(no dbclone marker: not made by dbclone, never dropped\)$"
}

@test "gc and ls reject bad arguments with a one-line dbclone: error" {
  run "$DBCLONE" gc --older-than soon
  assert_failure 2
  assert_output "dbclone: --older-than \"soon\" is not a duration; use e.g. 30s, 10m, 2h or 1d"
  run "$DBCLONE" ls --bogus
  assert_failure 2
  assert_output "dbclone: ls does not take \"--bogus\"; see dbclone --help"
  run "$DBCLONE" ls --pg "host=$BATS_TEST_TMPDIR port=1"
  assert_failure 1
  assert_output --regexp "^dbclone: cannot reach the PostgreSQL server to clone \(.*\); start the server or fix the connection options$"
}

@test "dbclone run returns the command's exit status and keeps LD_PRELOAD's earlier entries" {
  run "$DBCLONE" run -- sh -c 'exit 7'
  assert_failure 7
  LD_PRELOAD=libm.so.6 run "$DBCLONE" run -- sh -c 'echo "$LD_PRELOAD"'
  assert_line --index 0 "$LIB:libm.so.6"
  run -127 "$DBCLONE" run -- /nonexistent/cmd
  assert_line --index 0 "dbclone: cannot run /nonexistent/cmd: No such file or directory; check the command"
}

@test "SIGTERM to dbclone run reaches the command, and the run still cleans up" {
  src=$(new_source)
  hold "$src" "$DBCLONE" run --
  kill -TERM "$RUNNER"
  rc=0
  wait "$RUNNER" 2>/dev/null || rc=$?
  assert_equal "$rc" 143
  ! kill -0 "$HOLD_PID" 2>/dev/null
  assert_no_clones
}
