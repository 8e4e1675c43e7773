#!/usr/bin/env bats
# Harnesses other than pytest, each as its README recipe runs it: bats
# with dbclone's helper, Minitest (ruby-pg), PHPUnit (pdo_pgsql), prove
# (DBD::Pg), and a shell loop with DBCLONE_TEST_FROM. Every test of each
# asserts exactly the run's setup row and commits a row of its own; each
# is shown to fail without the recipe.

load test_helper

HARNESS=$ROOT/tests/harness
SETUP="psql -X -qc \"INSERT INTO t VALUES ('setup')\""

setup() {
  unset DBCLONE_TEST DBCLONE_BASE DBCLONE_TEST_FROM
  export PGDATABASE=harness_${BATS_TEST_NUMBER}_$RANDOM
  sql postgres "CREATE DATABASE $PGDATABASE" >/dev/null
  sql "$PGDATABASE" "CREATE TABLE t (name text)" >/dev/null
}

teardown() {
  drop_leftovers
  sql postgres "DROP DATABASE IF EXISTS $PGDATABASE WITH (FORCE)" >/dev/null
}

# in_run DIR SCRIPT: the run's setup, then SCRIPT (sh) in DIR, under
# dbclone run. Client libraries that load libpq get the sanitizer pass's
# UBSan-only library (tests/sanitizer/ubsan-only), psql included.
in_run() {
  (cd "$1" && "$DBCLONE" run -- $LIBPQ_HOST sh -c "$SETUP && $2")
}

# The source holds no row: the tests wrote clones only.
source_untouched() {
  [ "$(sql "$PGDATABASE" "SELECT count(*) FROM t")" = 0 ]
  assert_no_clones
}

@test "bats with dbclone's helper: each test isolated, keyed by file and test name, on top of its file's setup_file" {
  run in_run "$HARNESS/bats" "./run-bats.sh keyed.bats other.bats"
  assert_success
  assert_line "ok 1 one"
  assert_line "ok 2 two"
  assert_line "ok 3 one"
  source_untouched
  # Without the helper, the tests share the run's clone.
  mkdir -p "$BATS_TEST_TMPDIR/none/bats"
  touch "$BATS_TEST_TMPDIR/none/bats/dbclone.bash"
  run in_run "$HARNESS/bats" "DBCLONE_HARNESS=$BATS_TEST_TMPDIR/none ./run-bats.sh keyed.bats"
  assert_failure
}

@test "Minitest with ruby-pg, with the helper loaded by RUBYOPT: each test isolated" {
  run in_run "$HARNESS/minitest" 'RUBYOPT="-r$DBCLONE_HARNESS/minitest/dbclone_minitest" ruby test_rows.rb'
  assert_success
  assert_line --regexp "^3 runs, 3 assertions, 0 failures, 0 errors"
  source_untouched
  run in_run "$HARNESS/minitest" 'ruby test_rows.rb'
  assert_failure
}

@test "PHPUnit with pdo_pgsql, with dbclone's extension in phpunit.xml: each test isolated" {
  run in_run "$HARNESS/phpunit" 'phpunit'
  assert_success
  assert_line --regexp "^OK \(3 tests, 3 assertions\)"
  source_untouched
  run in_run "$HARNESS/phpunit" 'phpunit --no-configuration --do-not-cache-result RowsTest.php'
  assert_failure
}

@test "prove with DBD::Pg, with the helper loaded by PERL5OPT: each test file isolated" {
  run in_run "$HARNESS/prove" 'PERL5LIB=$DBCLONE_HARNESS/perl PERL5OPT=-MDbclone::PerFile prove t/'
  assert_success
  assert_line "Result: PASS"
  source_untouched
  run in_run "$HARNESS/prove" 'prove t/'
  assert_failure
}

@test "a shell loop with DBCLONE_TEST_FROM naming its own per-test variable: each test isolated" {
  DBCLONE_TEST_FROM=TEST_NAME run in_run "$HARNESS/shell" './run-tests.sh'
  assert_success
  assert_output --partial "ok one
ok two
ok three"
  source_untouched
  run in_run "$HARNESS/shell" './run-tests.sh'
  assert_failure
  assert_line "not ok two: saw one,setup"
  # DBCLONE_TEST, when set, wins.
  DBCLONE_TEST_FROM=TEST_NAME DBCLONE_TEST=same run in_run "$HARNESS/shell" './run-tests.sh'
  assert_failure
  assert_line "not ok two: saw one,setup"
}

@test "DBCLONE_TEST_FROM that is not a variable name fails every connect, saying so" {
  DBCLONE_TEST_FROM='TEST NAME' run preloaded psql -X -qtA -c "SELECT 1"
  assert_failure
  assert_output --partial 'dbclone: DBCLONE_TEST_FROM="TEST NAME" is not valid; name the environment variable your harness sets per test, e.g. DBCLONE_TEST_FROM=TEST_NAME'
}
