#!/usr/bin/env bats
# The library's discipline: fork() while another thread is in the middle of
# a clone or a drop, and hooks called before the library's constructor.

load test_helper
bats_require_minimum_version 1.5.0

my() { # my DB SQL: through Debian's mariadb client (not intercepted)
  mariadb -uroot -S "$MYSQL_UNIX_PORT" -N -B -D "$1" -e "$2"
}

mysql_clones() {
  my mysql "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'dbclone\\_%'"
}

setup() {
  SRC=fork_${BATS_TEST_NUMBER}_$RANDOM
  my mysql "CREATE DATABASE $SRC"
  my "$SRC" "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)"
}

teardown() {
  for db in $(mysql_clones); do my mysql "DROP DATABASE \`$db\`"; done
  my mysql "DROP DATABASE IF EXISTS $SRC"
  drop_leftovers
}

# The child's lines and the parent's: a clone of the source for each, the
# child's own key dropped by the child, nothing left once both are done.
assert_fork_went_well() {
  assert_success
  child=$(echo "$output" | awk '$1 == "child" {print $2}')
  own=$(echo "$output" | awk '$1 == "child-own" {print $2}')
  parent=$(echo "$output" | awk '$1 == "parent" {print $2}')
  [[ $child == dbclone_${SRC}_* ]] || fail "the child landed in '$child'"
  [[ $own == dbclone_${SRC}_* && $own != "$child" ]] || fail "the child's own key got '$own'"
  [[ $parent == dbclone_${SRC}_* ]] || fail "the parent landed in '$parent'"
  assert_line "child $child 3"
  assert_equal "$(mysql_clones)" ""
}

@test "a fork while another thread is mid-clone (held by LOCK TABLES): the child connects, queries and exits, the parent finishes, no clone is left" {
  DBCLONE_TEST=mid-clone run timeout 60 env LD_PRELOAD="$LIB" "$ROOT/build/tests/mysql_fork_mid" clone "$SRC"
  assert_fork_went_well
  # The parent's clone outlived the child's exit: only its maker drops it.
  assert_line "after $parent 1 - 0"
}

@test "a fork while the dropper is mid-drop (held by LOCK TABLES on the old clone): the child connects, queries and exits, the old clone is gone, no clone is left" {
  DBCLONE_TEST=mid-drop run timeout 60 env LD_PRELOAD="$LIB" "$ROOT/build/tests/mysql_fork_mid" drop "$SRC"
  assert_fork_went_well
  # The child shares the key it inherited; the held drop finished.
  assert_line "child $parent 3"
  assert_line --regexp "^after $parent 1 dbclone_${SRC}_[^ ]+ 0\$"
}

@test "hooks called from another library's constructor, before dbclone's own: PQconnectdb and sqlite3_open get clones, nothing is left, no warning" {
  src=$(new_source)
  sqlite_source
  CTOR_PG="dbname=$src" CTOR_SQLITE=$SRC run --separate-stderr timeout 60 \
    env LD_PRELOAD="$LIB" $LIBPQ_HOST "$ROOT/build/tests/ctor_host"
  assert_success
  assert_line --regexp "^pg dbclone_${src}_"
  assert_line --regexp "^sqlite $DBCLONE_DIR/dbclone_app_db_.*\.sqlite\$"
  # The boundary signal was ours all along: no "replaced the handler".
  assert_equal "$stderr" ""
  assert_no_clones
  # Nothing but the (empty) intents directory.
  run find "$DBCLONE_DIR" -mindepth 1 ! -path "$DBCLONE_DIR/intents"
  assert_output ""
}
