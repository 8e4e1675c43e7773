#!/usr/bin/env bats
# Test boundaries: DBCLONE_TEST, the boundary signal, stale connections.

load test_helper

@test "psycopg2: each test in one process sees the source's rows and never another test's autocommit writes" {
  src=$(new_source)
  run preloaded "$PY" "$ROOT/tests/py/pg_tests_in_one_process.py" "$src"
  assert_success
  assert_line --index 0 --regexp "^test_a dbclone_${src}_[0-9a-f]+_[0-9]+_0 3 0 0$"
  assert_line --index 1 --regexp "^test_b dbclone_${src}_[0-9a-f]+_[0-9]+_1 3 0 0$"
  assert_line --index 2 --regexp "^test_c dbclone_${src}_[0-9a-f]+_[0-9]+_2 3 0 0$"
  assert_equal "$(checksum "$src")" "$(sql "$src" "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM t")"
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
  assert_no_clones
}

@test "the boundary signal sent with dbclone next --pid starts a fresh clone at the next connect" {
  src=$(new_source)
  across_signal_boundary "$PY" "$ROOT/tests/py/pg_signal_boundary.py" "$src" \
    "$BATS_TEST_TMPDIR/ready" "$BATS_TEST_TMPDIR/go"
  run cat "$BATS_TEST_TMPDIR/out"
  assert_line --index 0 --regexp "^1 dbclone_${src}_[0-9a-f]+_[0-9]+_0 3$"
  assert_line --index 1 --regexp "^2 dbclone_${src}_[0-9a-f]+_[0-9]+_1 3$"
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
  assert_no_clones
}

@test "without a signal, reconnecting in the same process stays on the same clone" {
  src=$(new_source)
  ready=$BATS_TEST_TMPDIR/ready go=$BATS_TEST_TMPDIR/go
  touch "$go"
  run preloaded "$PY" "$ROOT/tests/py/pg_signal_boundary.py" "$src" "$ready" "$go"
  assert_success
  assert_line --index 0 --regexp "^1 (dbclone_\S+) 3$"
  db=$(echo "${lines[0]}" | cut -d' ' -f2)
  assert_line --index 1 "2 $db 4"
}

@test "DBCLONE_SIGNAL=none leaves the signal alone (USR2 then ends the program as it would)" {
  src=$(new_source)
  ready=$BATS_TEST_TMPDIR/ready go=$BATS_TEST_TMPDIR/go
  env DBCLONE_SIGNAL=none LD_PRELOAD="$LIB" "$PY" "$ROOT/tests/py/pg_signal_boundary.py" "$src" "$ready" "$go" &
  pid=$!
  wait_until 10 test -e "$ready"
  kill -USR2 "$pid"
  rc=0
  wait "$pid" || rc=$?
  assert_equal "$rc" $((128 + $(kill -l USR2)))
}

@test "a program that installs its own handler for the boundary signal is warned about once" {
  src=$(new_source)
  run preloaded "$PY" -c "
import signal, psycopg2
signal.signal(signal.SIGUSR2, lambda *a: None)
for _ in range(3):
    psycopg2.connect(dbname='$src').close()
"
  assert_success
  assert_output --regexp "^dbclone\[python3:[0-9]+\] warning: the program replaced the handler of boundary signal"
  assert_equal "${#lines[@]}" 1
}

@test "DBCLONE_STALE=wait: a connection open at a boundary keeps working; its clone goes when it closes" {
  src=$(new_source)
  run preloaded "$PY" "$ROOT/tests/py/pg_stale.py" "$src"
  assert_success
  assert_output "different True
old connection works 3
old clone while open 1
old clone after close 0"
  assert_no_clones
}

@test "DBCLONE_STALE=terminate: a connection open at a boundary is cut and its clone dropped at once" {
  src=$(new_source)
  DBCLONE_STALE=terminate run preloaded "$PY" "$ROOT/tests/py/pg_stale.py" "$src"
  assert_success
  assert_output "different True
old connection cut OperationalError
old clone while open 0
old clone after close 0"
  assert_no_clones
}

@test "pgbench runs several times in a row under dbclone run, each on its own clone" {
  src=$(new_source)
  pgbench -i -s 1 -q "$src" >/dev/null 2>&1
  before=$(sql "$src" "SELECT sum(abalance), (SELECT count(*) FROM pgbench_history) FROM pgbench_accounts")
  assert_equal "$before" "0|0"
  for i in 1 2 3; do
    DBCLONE_DEBUGLEVEL=2 DBCLONE_LOG=$BATS_TEST_TMPDIR/log run "$DBCLONE" run -- pgbench -n -c 4 -t 25 "$src"
    assert_success
    assert_output --partial "number of transactions actually processed: 100/100"
  done
  assert_equal "$(sql "$src" "SELECT sum(abalance), (SELECT count(*) FROM pgbench_history) FROM pgbench_accounts")" "0|0"
  # One clone per run, three runs, three distinct clones.
  run bash -c "grep -o 'dbclone_[a-z0-9_]*' '$BATS_TEST_TMPDIR/log' | sort -u | wc -l"
  assert_output 3
  assert_no_clones
}

@test "pgbench -i under dbclone run builds its tables in the clone, not in the source" {
  src=$(new_source)
  run "$DBCLONE" run -- pgbench -i -s 1 -q "$src"
  assert_success
  assert_equal "$(sql "$src" "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'pgbench_%'")" 0
  assert_no_clones
}

@test "the old clone is dropped off the boundary's path, by a thread that is gone once it is done" {
  src=$(new_source)
  run preloaded "$PY" -c "
import os, time, psycopg2
for key in ('a', 'b'):
    os.environ['DBCLONE_TEST'] = key
    conn = psycopg2.connect(dbname='$src')
conn.autocommit = True
deadline = time.monotonic() + 10
while len(os.listdir('/proc/self/task')) > 1 and time.monotonic() < deadline:
    time.sleep(0.02)
cur = conn.cursor()
cur.execute(\"SELECT count(*) FROM pg_database WHERE datname LIKE 'dbclone\\\\_%'\")
print('threads', len(os.listdir('/proc/self/task')), 'clones', cur.fetchone()[0])
"
  assert_success
  assert_output "threads 1 clones 1"
  assert_no_clones
}
