#!/usr/bin/env bats
# dbclone's pytest plugin (harness/pytest): `dbclone run -- pytest` keys
# every fixture scope and test with nothing added to the suite. The suites
# under tests/harness/ know nothing of dbclone; each is shown to fail
# without it.

load test_helper

HARNESS=$ROOT/tests/harness
PYTEST=("$PY" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning)

setup() {
  unset DBCLONE_TEST DBCLONE_BASE
  # Nothing written into the source tree.
  export PYTHONDONTWRITEBYTECODE=1
}

teardown() {
  drop_leftovers
  drop_mysql_leftovers
  local db
  for db in $(sql postgres "SELECT datname FROM pg_database WHERE datname LIKE 'test\_shop\_%' OR datname LIKE 'shop\_%'"); do
    sql postgres "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
  done
  for db in $(my mysql "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'test\\_shop\\_%'"); do
    my mysql "DROP DATABASE \`$db\`"
  done
}

# in_run DIR ARGS...: pytest ARGS in DIR under dbclone run.
in_run() {
  local dir=$1
  shift
  (cd "$dir" && "$DBCLONE" run -- "${PYTEST[@]}" "$@")
}

plain() { # plain DIR ARGS...: the same, without dbclone
  local dir=$1
  shift
  (cd "$dir" && "${PYTEST[@]}" "$@")
}

# django_on ENGINE: the shop project's settings for ENGINE (SHOP_DB: the
# project's database, whose test_ database pytest-django makes; for
# SQLite a test database file that exists before the run).
django_on() {
  export SHOP_ENGINE=$1 SHOP_DB=shop_${BATS_TEST_NUMBER}_$RANDOM
  if [ "$1" = sqlite ]; then
    SHOP_DB=$BATS_TEST_TMPDIR/shop.db
    sqlite3 "$SHOP_DB" "CREATE TABLE marker (x)"
  fi
}

# pg_table_t: a fresh PostgreSQL source with an empty table t(name), as
# PGDATABASE.
pg_table_t() {
  export PGDATABASE=plug_${BATS_TEST_NUMBER}_$RANDOM
  sql postgres "CREATE DATABASE $PGDATABASE" >/dev/null
  sql "$PGDATABASE" "CREATE TABLE t (name text)" >/dev/null
}

django_passes() { # django_passes ENGINE ARGS...: fails plainly, passes under the run
  django_on "$1"
  shift
  run plain "$HARNESS/django" test_shop.py "$@"
  assert_failure
  assert_line --regexp "^9 failed, 1 passed"
  [ "$SHOP_ENGINE" != sqlite ] || sqlite3 "$SHOP_DB" "CREATE TABLE IF NOT EXISTS marker (x)"
  run in_run "$HARNESS/django" test_shop.py "$@"
  assert_success
  assert_line --regexp "^10 passed in "
}

@test "an unmodified pytest-django project (test database, migrations, a session fixture, tests that commit) passes under dbclone run on PostgreSQL, and fails without it" {
  django_passes pg
  assert_no_clones
  # pytest-django dropped its test database; nothing else was left.
  [ -z "$(sql postgres "SELECT 1 FROM pg_database WHERE datname = 'test_$SHOP_DB'")" ]
}

@test "the pytest-django project passes on MariaDB, and fails without dbclone" {
  django_passes mysql
  assert_no_mysql_clones
}

@test "the pytest-django project passes on SQLite with a test database file, and fails without dbclone" {
  django_passes sqlite
  assert_no_sqlite_clones
}

@test "the pytest-django project passes with -p xdist -n 2 on PostgreSQL, MariaDB and SQLite" {
  for engine in pg mysql sqlite; do
    django_on $engine
    run in_run "$HARNESS/django" test_shop.py -p xdist -n 2
    assert_success
    assert_line --regexp "^10 passed in "
  done
  assert_no_clones
  assert_no_mysql_clones
}

@test "the pytest-django project passes with --reuse-db, twice (the kept test database is never written)" {
  django_on pg
  run in_run "$HARNESS/django" test_shop.py --reuse-db
  assert_success
  assert_line --regexp "^10 passed in "
  run in_run "$HARNESS/django" test_shop.py --reuse-db
  assert_success
  assert_line --regexp "^10 passed in "
  # Kept by --reuse-db, and as pytest-django made it: the migrations and
  # the catalogue went to clones.
  run sql "test_$SHOP_DB" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
  assert_output 0
}

@test "a django.test.TestCase class and a TransactionTestCase class in one suite both pass" {
  django_on pg
  run plain "$HARNESS/django" test_classes.py
  assert_failure
  assert_line --regexp "^FAILED test_classes.py::CatalogueTransactionTestCase::test_commits_again"
  run in_run "$HARNESS/django" test_classes.py
  assert_success
  assert_line --regexp "^4 passed in "
  django_on mysql
  run in_run "$HARNESS/django" test_classes.py
  assert_success
  assert_line --regexp "^4 passed in "
}

@test "session, module and class fixtures that write: each test sees exactly its scopes' rows, a session fixture first requested by the second test included" {
  pg_table_t
  run in_run "$HARNESS/layers"
  assert_success
  assert_line --regexp "^9 passed in "
  # Nothing reached the source.
  [ "$(sql "$PGDATABASE" "SELECT count(*) FROM t")" = 0 ]
  assert_no_clones
  run plain "$HARNESS/layers"
  assert_failure
}

@test "under pytest-xdist each worker has its own setup and layers (two workers' session fixtures never write one clone)" {
  pg_table_t
  run in_run "$HARNESS/layers" -p xdist -n 2
  assert_success
  assert_line --regexp "^9 passed in "
  assert_no_clones
}

@test "SQLAlchemy engines the suite keeps are disposed of at each boundary" {
  pg_table_t
  run in_run "$HARNESS/sqlalchemy" -p no:dbclone
  assert_failure
  run in_run "$HARNESS/sqlalchemy"
  assert_success
  assert_line --regexp "^2 passed in "
}

@test "--keep=failed with two failing tests: their two clones are kept, with a command each that reaches the test's own rows" {
  pg_table_t
  run bash -c "cd '$HARNESS/keep' && '$DBCLONE' run --keep=failed -- ${PYTEST[*]}"
  assert_failure 1
  assert_line --regexp "^2 failed, 2 passed"
  [ "$(grep -c '^dbclone: kept' <<< "$output")" = 2 ]
  kept=$output
  for t in one two; do
    line=$(grep "^dbclone: kept pg clone dbclone_${PGDATABASE}_\S* of $PGDATABASE for failed test test_keep.py::test_fails_$t: psql " <<< "$kept")
    cmd=$(sed 's/.* for failed test [^ ]*: //' <<< "$line")
    run bash -c "$cmd -X -qtA -c 'SELECT string_agg(name, chr(44)) FROM t'"
    assert_output "$t"
  done
  assert_equal "$(clones | wc -l)" 2
  # A passing run keeps nothing.
  run bash -c "cd '$HARNESS/keep' && '$DBCLONE' run --keep=failed -- ${PYTEST[*]} -k passes"
  assert_success
  refute_line --partial "dbclone: kept"
  assert_equal "$(clones | wc -l)" 2
}

@test "--dbclone-server: a server under test started once per session follows the tests, each from the session's snapshot" {
  pg_table_t
  run in_run "$HARNESS/server"
  assert_failure
  run in_run "$HARNESS/server" --dbclone-server
  assert_success
  assert_line --regexp "^3 passed in "
  run bash -c "cd '$HARNESS/server' && '$DBCLONE' run --per-process -- ${PYTEST[*]} --dbclone-server"
  assert_failure
  assert_line --partial "dbclone: --dbclone-server moves a shared run's epoch; a --per-process run has none: leave out --per-process"
}

@test "the plugin is off with -p no:dbclone, with dbclone run --no-harness, and without dbclone run" {
  django_on pg
  run in_run "$HARNESS/django" test_shop.py -p no:dbclone
  assert_line --regexp "^9 failed, 1 passed"
  run bash -c "cd '$HARNESS/django' && '$DBCLONE' run --no-harness -- ${PYTEST[*]} test_shop.py"
  assert_line --regexp "^9 failed, 1 passed"
  # Loaded by hand outside a run, it sets nothing.
  printf 'import os\ndef test_env():\n    assert "DBCLONE_TEST" not in os.environ\n' > "$BATS_TEST_TMPDIR/test_env.py"
  run env PYTHONPATH="$ROOT/harness/pytest" PYTEST_PLUGINS=pytest_dbclone "${PYTEST[@]}" "$BATS_TEST_TMPDIR/test_env.py"
  assert_success
  # Under the run it does.
  printf 'import os\ndef test_env():\n    assert os.environ["DBCLONE_TEST"] == "test_env.py::test_env"\n' > "$BATS_TEST_TMPDIR/test_env.py"
  run in_run "$BATS_TEST_TMPDIR" test_env.py
  assert_success
}

@test "the plugin speaks the run's protocol version" {
  version=$(sed -n 's/^#define WIRE_VERSION \([0-9]*\)$/\1/p' "$ROOT/backends/wire.h")
  [ -n "$version" ]
  grep -qx "WIRE_VERSION = $version" "$ROOT/harness/pytest/pytest_dbclone.py"
}
