# Helpers every suite uses. The suites run against the throwaway servers
# that scripts/check.sh starts (PGHOST/PGPORT/PGUSER in the environment).

bats_load_library bats-support
bats_load_library bats-assert

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
DBCLONE=$ROOT/build/dbclone
# The library under test; check.sh points these at the sanitizer build
# (with its runtime first) for the second pass.
LIB=${DBCLONE_LIBRARY:-$ROOT/build/libdbclone.so}
export DBCLONE_LIBRARY=$LIB
# Runs the C clients that link libpq: empty, except in the sanitizer pass
# (see tests/sanitizer/ubsan-only).
LIBPQ_HOST=${DBCLONE_LIBPQ_HOST:-}
# SQLite copies (and what ls and gc see of them) stay within each test.
export DBCLONE_DIR=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${BATS_RUN_TMPDIR:-/tmp}}}/clones
# Debian's python3, which has psycopg2 and MySQLdb.
PY=/usr/bin/python3

# A skipped test is a test that did not run: in CI it fails the run.
eval "bats_original_skip() $(declare -f skip | tail -n +2)"
skip() {
  if [ -n "${CI:-}" ] || [ -n "${DBCLONE_STRICT:-}" ]; then
    fail "skipped in strict mode: $*"
  fi
  bats_original_skip "$@"
}

# Runs a command with the library preloaded, as a user would.
preloaded() {
  LD_PRELOAD="$LIB${LD_PRELOAD:+:$LD_PRELOAD}" "$@"
}

sql() { # sql DB QUERY: one value per line, no headers
  psql -X -qtA -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# A fresh source database with table t(id, v) holding 3 rows.
new_source() {
  local name=${1:-src_${BATS_TEST_NUMBER}_$RANDOM}
  sql postgres "CREATE DATABASE \"$name\"" >/dev/null
  sql "$name" "CREATE TABLE t (id int PRIMARY KEY, v text);
               INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')" >/dev/null
  echo "$name"
}

checksum() { # checksum DB: a digest of every row of t
  sql "$1" "SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) FROM t"
}

clones() { # every clone on the server
  sql postgres "SELECT datname FROM pg_database WHERE datname LIKE 'dbclone\_%' ORDER BY 1"
}

assert_no_clones() {
  run clones
  assert_success
  assert_output ""
}

# MariaDB, through Debian's mariadb client (never intercepted): my DB SQL
# runs SQL in DB and prints one row per line, no headers.
my() {
  mariadb -uroot -S "$MYSQL_UNIX_PORT" -N -B -D "$1" -e "$2"
}

mysql_clones() { # every clone on the MariaDB server
  my mysql "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'dbclone\\_%'"
}

assert_no_mysql_clones() {
  run mysql_clones
  assert_output ""
}

# The SQLite suites' source: $SRC with table t (3 rows), copies in a
# DBCLONE_DIR of the test's own.
sqlite_source() {
  export DBCLONE_DIR=$BATS_TEST_TMPDIR/clones
  SRC=$BATS_TEST_TMPDIR/app.db
  sqlite3 "$SRC" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
                  INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');"
}

file_checksum() { # file_checksum FILE: a digest of the file's bytes
  sha256sum "$1" | cut -d' ' -f1
}

assert_no_copies_in() { # assert_no_copies_in DIR: no file below DIR (a directory never made holds none either)
  run bash -c "find '$1' -type f 2>/dev/null"
  assert_output ""
}

assert_no_sqlite_clones() {
  assert_no_copies_in "$DBCLONE_DIR"
}

# engine_source ENGINE: a source for ENGINE in SRC (PostgreSQL and MariaDB:
# a database with table t of 3 rows; SQLite: a file that exists before the
# run, since a file that does not exist passes through), and a digest of
# it in SUM for source_unchanged_nothing_left.
engine_source() {
  case $1 in
    pg) SRC=$(new_source) ;;
    sqlite) sqlite_source ;;
    mysql)
      SRC=lsrc_${BATS_TEST_NUMBER}_$RANDOM MYSRC=$SRC
      my mysql "CREATE DATABASE $SRC; CREATE TABLE $SRC.t (id int PRIMARY KEY, v text);
                INSERT INTO $SRC.t VALUES (1, 'one'), (2, 'two'), (3, 'three')" ;;
  esac
  SUM=$(source_digest "$1")
}

source_digest() { # source_digest ENGINE: SRC's tables and rows, digested
  case $1 in
    pg) sql "$SRC" "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"
        checksum "$SRC" ;;
    sqlite) file_checksum "$SRC" ;;
    mysql) my "$SRC" "SHOW TABLES; CHECKSUM TABLE t" ;;
  esac
}

# The source is as it was, and no clone, layer or copy is left.
source_unchanged_nothing_left() {
  assert_equal "$(source_digest "$1")" "$SUM"
  assert_no_clones
  assert_no_mysql_clones
  run bash -c "find '$DBCLONE_DIR' -name 'dbclone_*' 2>/dev/null"
  assert_output ""
}

# wait_until SECONDS [!] COMMAND...: runs COMMAND every 0.02 s (POLL_EVERY
# to change that) until it succeeds, or with ! until it fails; after
# SECONDS the test fails, naming what it waited for. The bound is a
# deadline, not a count of rounds, so a slow COMMAND cannot stretch it.
wait_until() {
  local seconds=$1 negate='' deadline
  shift
  if [ "$1" = '!' ]; then negate='! '; shift; fi
  deadline=$(( ${EPOCHREALTIME/./} + seconds * 1000000 ))
  while :; do
    if [ -n "$negate" ]; then
      ! "$@" && return 0
    else
      "$@" && return 0
    fi
    (( ${EPOCHREALTIME/./} < deadline )) || break
    sleep "${POLL_EVERY:-0.02}"
  done
  fail "waited ${seconds}s in vain for: $negate$*"
}

# Conditions for wait_until on what a command prints.
prints() { # prints TEXT COMMAND...: COMMAND prints exactly TEXT
  local want=$1
  shift
  [ "$("$@")" = "$want" ]
}

prints_line() { # prints_line LINE COMMAND...: one of COMMAND's lines is LINE
  local want=$1
  shift
  "$@" | grep -qxF -- "$want"
}

# Runs a program under the library that creates $BATS_TEST_TMPDIR/ready
# after its first round, then waits for $BATS_TEST_TMPDIR/go; in between,
# the boundary signal comes from outside (dbclone next --pid). The
# program's output ends up in $BATS_TEST_TMPDIR/out.
across_signal_boundary() {
  local pid
  # env execs the program: $! is its own pid.
  env LD_PRELOAD="$LIB" "$@" > "$BATS_TEST_TMPDIR/out" &
  pid=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/ready" || fail "the program never got ready"
  "$DBCLONE" next --pid "$pid" || fail "dbclone next --pid $pid failed"
  touch "$BATS_TEST_TMPDIR/go"
  wait "$pid"
}

# Under dbclone run --per-process, starts "$@" in the background of a
# shell that then waits for $BATS_TEST_TMPDIR/end. The program writes
# "pid clone" to $BATS_TEST_TMPDIR/ready once it holds its clone. Sets
# RUNNER (the run), HOLD_PID and HOLD_CLONE; the run's stderr goes to
# $BATS_TEST_TMPDIR/run.err.
per_process_hold() {
  END=$BATS_TEST_TMPDIR/end "$DBCLONE" run --per-process -- sh -c \
    '"$@" & while [ ! -e "$END" ]; do sleep 0.05; done' sh "$@" \
    2>"$BATS_TEST_TMPDIR/run.err" 3>&- &
  RUNNER=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/ready" || fail "the program never held its clone"
  read -r HOLD_PID HOLD_CLONE < "$BATS_TEST_TMPDIR/ready"
}

# Ends the run per_process_hold started; its status must be 0.
end_per_process_run() {
  touch "$BATS_TEST_TMPDIR/end"
  wait "$RUNNER" || fail "the run failed: $(cat "$BATS_TEST_TMPDIR/run.err")"
}

# Leaves the server as each test found it, whatever the test did.
drop_leftovers() {
  local db
  for db in $(clones); do
    sql postgres "ALTER DATABASE \"$db\" IS_TEMPLATE false" >/dev/null 2>&1 || true
    sql postgres "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null || true
  done
}

# The same for MariaDB, for the suites that use it.
drop_mysql_leftovers() {
  local db
  for db in $(mysql_clones); do
    my mysql "DROP DATABASE \`$db\`"
  done
}

teardown() {
  drop_leftovers
}
