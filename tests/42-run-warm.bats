#!/usr/bin/env bats
# The run's pool warms a new PostgreSQL clone (one session as the test's
# user, closed) before it counts as ready: the clone a test is handed has
# been warmed and has no session left on it, it is dropped like any other,
# and a run killed mid warm-up leaves nothing that gc does not drop.
# DBCLONE_TEST_PHASES logs each warm-up ("warm" while its session is on
# the clone, "warmed" once that session's server process is gone).

load test_helper
bats_require_minimum_version 1.5.0

teardown() {
  drop_leftovers
}

setup() {
  export DBCLONE_TEST_PHASES=$BATS_TEST_TMPDIR/phases
}

@test "PostgreSQL: a clone warmed by the pool is handed out with no session on it, serves its test, and is dropped at the end" {
  src=$(new_source)
  # A pool of one: a is cloned while it waits (not warmed), the pool's
  # next clone is warmed before b is handed it.
  run "$DBCLONE" run --pool 1 -- sh -c "
    DBCLONE_TEST=a psql -X -qtA -d $src -c 'SELECT 1' >/dev/null || exit 1
    i=0; until grep -q ' warmed ' $DBCLONE_TEST_PHASES 2>/dev/null; do
      i=\$((i + 1)); [ \$i -lt 200 ] || exit 3; sleep 0.05; done
    DBCLONE_TEST=b psql -X -qtA -d $src -c \"INSERT INTO t VALUES (9, 'b')\" \
      -c \"SELECT current_database(), count(*) FROM t\" \
      -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()\""
  assert_success
  assert_line --index 0 --regexp "^dbclone_${src}_\S+\|4$"
  assert_line --index 1 "0"
  b=${lines[0]%|*}
  grep -qx "[0-9]* warm $b" "$DBCLONE_TEST_PHASES" || fail "$b was never warmed: $(cat "$DBCLONE_TEST_PHASES")"
  grep -qx "[0-9]* warmed $b" "$DBCLONE_TEST_PHASES" || fail "the warm-up of $b never ended"
  # Never the source: only the clones the pool made.
  run awk -v src="$src" '$2 == "warm" && $3 == src { print }' "$DBCLONE_TEST_PHASES"
  assert_output ""
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
  assert_no_clones
}

@test "PostgreSQL: kill -9 of the run while its pool warms a clone, then dbclone gc: nothing left, the source unchanged" {
  src=$(new_source)
  sum=$(checksum "$src")
  export DBCLONE_TEST_DELAY_WARM_MS=30000
  DBCLONE_TEST=a setsid "$DBCLONE" run --pool 1 -- sh -c "
    psql -X -qtA -d $src -c 'SELECT 1' >/dev/null; exec sleep 59.3" >/dev/null 2>&1 &
  runner=$!
  wait_until 30 grep -q ' warm ' "$DBCLONE_TEST_PHASES" || fail "no warm-up began: $(cat "$DBCLONE_TEST_PHASES" 2>/dev/null)"
  warming=$(awk '$2 == "warm" { print $3; exit }' "$DBCLONE_TEST_PHASES")
  # Its session is on the clone now, as the kill hits.
  assert_equal "$(sql postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '$warming'")" 1
  kill -9 -- "-$runner"
  wait "$runner" 2>/dev/null || true
  run grep -c " warmed " "$DBCLONE_TEST_PHASES"
  assert_output "0"
  run "$DBCLONE" gc
  assert_success
  assert_line --regexp "^dropped pg $warming \(its owner process is gone\)$"
  assert_no_clones
  assert_equal "$(checksum "$src")" "$sum"
}
