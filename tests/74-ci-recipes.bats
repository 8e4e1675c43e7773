#!/usr/bin/env bats
# bats file_tags=normal-pass-only
# The CI recipes (ci/github-actions.yml, ci/gitlab-ci.yml) run the steps of
# ci/steps.sh; here those steps run against the throwaway servers: two
# parallel jobs sharing one server, and the gc step after a cancelled job.

load test_helper
bats_require_minimum_version 1.5.0

setup() {
  export DBCLONE_CI_PG_DB=ci_pg_$RANDOM DBCLONE_CI_MYSQL_DB=ci_my_$RANDOM
  export DBCLONE_CI_SCHEMA=$BATS_TEST_TMPDIR/schema.sql DBCLONE=$ROOT/build/dbclone
  printf "CREATE TABLE t (id int PRIMARY KEY, v varchar(20));\nINSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');\n" > "$DBCLONE_CI_SCHEMA"
  sqlite_source
}

teardown() {
  drop_leftovers
  drop_mysql_leftovers
  sql postgres "DROP DATABASE IF EXISTS $DBCLONE_CI_PG_DB" >/dev/null || true
  my mysql "DROP DATABASE IF EXISTS $DBCLONE_CI_MYSQL_DB" || true
}

@test "every step the GitHub and GitLab recipes run is a step of ci/steps.sh, with both services and a gc after cancelled jobs" {
  for recipe in "$ROOT"/ci/github-actions.yml "$ROOT"/ci/gitlab-ci.yml; do
    steps=$(grep -oE 'ci/steps\.sh [a-z]+' "$recipe" | awk '{print $2}' | sort -u | tr '\n' ' ')
    assert_equal "$steps" "gc install prepare test "
    for step in $steps; do
      grep -qE "^  $step\)" "$ROOT/ci/steps.sh" || fail "$recipe runs an unknown step $step"
    done
    grep -qE '(image|name): postgres:' "$recipe" || fail "$recipe has no PostgreSQL service"
    grep -qE '(image|name): mariadb:' "$recipe" || fail "$recipe has no MariaDB service"
    grep -qE 'parallel: 2|shard: \[1, 2\]' "$recipe" || fail "$recipe runs no parallel jobs"
  done
  grep -A1 'if: always()' "$ROOT/ci/github-actions.yml" | grep -q 'steps.sh gc'
  grep -A1 'after_script:' "$ROOT/ci/gitlab-ci.yml" | grep -q 'steps.sh gc'
}

@test "prepare, then two jobs at once on one server: each test of each starts from the source, which stays as it was" {
  run "$ROOT/ci/steps.sh" prepare
  assert_success
  assert_line "ci/steps.sh: PostgreSQL source $DBCLONE_CI_PG_DB ready"
  assert_line "ci/steps.sh: MariaDB source $DBCLONE_CI_MYSQL_DB ready"
  # Again: a second job's prepare finds them there.
  run "$ROOT/ci/steps.sh" prepare
  assert_success
  for job in 1 2; do
    DBCLONE_CI_SUMMARY=$BATS_TEST_TMPDIR/summary-$job.json "$ROOT/ci/steps.sh" test -- \
      "$PY" "$ROOT/tests/ci/job.py" "$DBCLONE_CI_PG_DB" "$DBCLONE_CI_MYSQL_DB" "$SRC" \
      > "$BATS_TEST_TMPDIR/job-$job.out" 2>&1 &
    eval "job$job=\$!"
  done
  wait "$job1" || fail "job 1: $(cat "$BATS_TEST_TMPDIR/job-1.out")"
  wait "$job2" || fail "job 2: $(cat "$BATS_TEST_TMPDIR/job-2.out")"
  run cat "$BATS_TEST_TMPDIR/job-1.out" "$BATS_TEST_TMPDIR/job-2.out"
  assert_line "third [4, 4, 4]"
  for job in 1 2; do
    grep -q '"intercepted":true' "$BATS_TEST_TMPDIR/summary-$job.json"
  done
  assert_equal "$(sql "$DBCLONE_CI_PG_DB" "SELECT count(*) FROM t")" 3
  assert_equal "$(my "$DBCLONE_CI_MYSQL_DB" "SELECT count(*) FROM t")" 3
  assert_equal "$(sqlite3 "$SRC" "SELECT count(*) FROM t")" 3
  assert_no_clones
  assert_no_mysql_clones
  run "$ROOT/ci/steps.sh" gc
  assert_success
}

@test "the gc step drops what a cancelled job (its run killed with kill -9) left on the shared server" {
  "$ROOT/ci/steps.sh" prepare 2>/dev/null
  "$ROOT/ci/steps.sh" test -- "$PY" "$ROOT/tests/ci/hold.py" "$DBCLONE_CI_PG_DB" \
    "$BATS_TEST_TMPDIR/ready" 3>&- &
  job=$!
  wait_until 30 test -e "$BATS_TEST_TMPDIR/ready"
  # The runner cancels the job: its processes die at once.
  pkill -KILL -P "$job" || true
  kill -KILL "$job"
  wait "$job" || true
  run clones
  assert_output --regexp "^dbclone_${DBCLONE_CI_PG_DB}_"
  run "$ROOT/ci/steps.sh" gc
  assert_success
  assert_no_clones
}
