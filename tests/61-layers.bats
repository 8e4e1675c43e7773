#!/usr/bin/env bats
# Layers on layers (issue 15): `dbclone snapshot` makes an epoch's setup
# the state later epochs start from, and DBCLONE_BASE=KEY starts a test
# key from another key's clone (a module layer over the session's setup).
# Real servers, real clients: psql, sqlite3, a server under test that
# keeps its connection (psycopg2, MySQLdb), a harness in one process.

load test_helper
bats_require_minimum_version 1.5.0

export PY ROOT DBCLONE
STEPS=$ROOT/tests/py/layer_steps.py

teardown() {
  drop_leftovers
  drop_mysql_leftovers
  if [ -n "${MYSRC:-}" ]; then my mysql "DROP DATABASE IF EXISTS $MYSRC"; fi
}

# engine_source ENGINE: a source for ENGINE in SRC (PostgreSQL and MariaDB:
# a database with table t of 3 rows; SQLite: a file that exists before the
# run, since a file that does not exist passes through), and a digest of
# it in SUM for source_unchanged.
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

# steps ENGINE: runs layer_steps.py on SRC, one process, steps on stdin.
steps() {
  "$PY" "$STEPS" "$1" "$SRC"
}
export -f steps

# step ENGINE SRC KEY BASE ACTION [ARGS]: one step (layer_db.py's actions
# setup, add, see, count, db) by the engine's own client, one process,
# under DBCLONE_TEST=KEY and DBCLONE_BASE=BASE ("-": unset): psql,
# sqlite3, and for MariaDB python3's MySQLdb (the mariadb client cannot be
# intercepted). Prints what layer_db.act would.
step() {
  local engine=$1 src=$2 key=$3 base=$4 action=$5 q
  shift 5
  local envs=(-u DBCLONE_TEST -u DBCLONE_BASE)
  [ "$key" = - ] || envs+=("DBCLONE_TEST=$key")
  [ "$base" = - ] || envs+=("DBCLONE_BASE=$base")
  if [ "$engine" = mysql ]; then
    echo "- - $action $*" | env "${envs[@]}" "$PY" "$ROOT/tests/py/layer_steps.py" mysql "$src"
    return
  fi
  case $action in
    setup) q="CREATE TABLE l (id int PRIMARY KEY, who text);
              WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1)
              INSERT INTO l SELECT i, 'setup' FROM s; SELECT 'ok'" ;;
    add) q="INSERT INTO l VALUES ($1, '$2'); SELECT 'ok'" ;;
    see) q="SELECT coalesce(group_concat(who), '-') FROM (SELECT who FROM l ORDER BY id) AS o" ;;
    count) q="SELECT count(*) || ' ' || max(id) FROM l" ;;
    db) q="SELECT current_database()" ;;
  esac
  case $engine in
    pg) local agg="string_agg(who, ',')"
        env "${envs[@]}" psql -X -qtA -v ON_ERROR_STOP=1 -d "$src" \
          -c "${q//group_concat(who)/$agg}" ;;
    sqlite) if [ "$action" = db ]; then
              q="SELECT replace(file, rtrim(file, replace(file, '/', '')), '') FROM pragma_database_list WHERE name = 'main'"
            fi
            env "${envs[@]}" sqlite3 -bail "$src" "$q" ;;
  esac
}
export -f step

############################################################ dbclone snapshot

@test "psql: setup in the first epoch, dbclone snapshot, three rounds of dbclone next: each round sees the setup, not the last round's writes" {
  engine_source pg
  run "$DBCLONE" run -- bash -c '
    set -e
    psql -X -qtA -v ON_ERROR_STOP=1 -d "$1" -c "CREATE TABLE l (id int PRIMARY KEY, who text);
      INSERT INTO l SELECT i, '\''setup'\'' FROM generate_series(1, 20) i"
    "$DBCLONE" snapshot
    echo snapshot taken
    for r in 1 2 3; do
      "$DBCLONE" next
      psql -X -qtA -v ON_ERROR_STOP=1 -d "$1" -c "SELECT count(*), max(id) FROM l" \
        -c "DELETE FROM l WHERE id BETWEEN $r * 5 - 4 AND $r * 5" \
        -c "INSERT INTO l VALUES (100 + $r, '\''round'\'')" -c "SELECT count(*) FROM l"
    done' _ "$SRC"
  assert_success
  assert_line --index 0 "snapshot taken"
  for r in 1 2 3; do
    assert_line --index $((2 * r - 1)) "20|20"
    assert_line --index $((2 * r)) "16"
  done
  source_unchanged_nothing_left pg
}

@test "sqlite3: setup in the first epoch, dbclone snapshot, three rounds of dbclone next: each round sees the setup, not the last round's writes" {
  engine_source sqlite
  run "$DBCLONE" run -- bash -c '
    set -e
    sqlite3 "$1" "CREATE TABLE l (id int PRIMARY KEY, who text);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20)
      INSERT INTO l SELECT i, '\''setup'\'' FROM s"
    "$DBCLONE" snapshot
    echo snapshot taken
    for r in 1 2 3; do
      "$DBCLONE" next
      sqlite3 "$1" "SELECT count(*), max(id) FROM l;
        DELETE FROM l WHERE id BETWEEN $r * 5 - 4 AND $r * 5;
        INSERT INTO l VALUES (100 + $r, '\''round'\''); SELECT count(*) FROM l"
    done' _ "$SRC"
  assert_success
  assert_line --index 0 "snapshot taken"
  for r in 1 2 3; do
    assert_line --index $((2 * r - 1)) "20|20"
    assert_line --index $((2 * r)) "16"
  done
  source_unchanged_nothing_left sqlite
}

# server_rounds ENGINE: under DBCLONE_STALE=terminate, layer_server.py on
# SRC (started with no DBCLONE_TEST, as a server under test is) does the
# setup in the first epoch; dbclone snapshot; then three rounds of
# dbclone next and one request each: each round on a clone of its own,
# seeing the setup and not the last round's writes. The run's stderr is
# in $RUNERR.
server_rounds() {
  RUNERR=$BATS_TEST_TMPDIR/run.err
  mkfifo "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/ans"
  DBCLONE_STALE=terminate run --separate-stderr timeout 120 "$DBCLONE" run -- bash -c '
    set -e
    "$PY" "$ROOT/tests/py/layer_server.py" "$1" "$2" "$3/req" "$3/ans" &
    exec 3>"$3/req" 4<"$3/ans"
    ask() { echo "$*" >&3; read -r -t 60 answer <&4; echo "$answer"; }
    ask setup 20
    "$DBCLONE" snapshot
    for r in 1 2 3; do
      "$DBCLONE" next
      ask round $r
    done
    exec 3>&-
    wait' _ "$1" "$SRC" "$BATS_TEST_TMPDIR"
  echo "$stderr" > "$RUNERR"
  assert_success
  assert_equal "${#lines[@]}" 4
  setup_clone=${lines[0]% ok}
  [ "${lines[0]}" = "$setup_clone ok" ] || fail "the setup went wrong: ${lines[0]}"
  local seen=" $setup_clone "
  for r in 1 2 3; do
    assert_line --index "$r" --regexp "^\S+ 20 20 16$"
    case $seen in
      *" ${lines[r]%% *} "*) fail "round $r is on a clone seen before: ${lines[r]}" ;;
    esac
    seen+="${lines[r]%% *} "
  done
  [[ $setup_clone = dbclone_* ]] || fail "the setup went to $setup_clone, not a clone"
}

@test "a server under test keeps its connection (PostgreSQL, DBCLONE_STALE=terminate): snapshot cuts it, each round reconnects into a clone of the snapshot" {
  engine_source pg
  server_rounds pg
  run cat "$RUNERR"
  assert_line --partial "cut the session"
  source_unchanged_nothing_left pg
}

@test "a server under test keeps its connection (MariaDB through MySQLdb, DBCLONE_STALE=terminate): each round of dbclone next sees the snapshot" {
  engine_source mysql
  server_rounds mysql
  source_unchanged_nothing_left mysql
}

# stacked ENGINE: two snapshots stacked (the second with next --snapshot,
# from an epoch that started from the first); test keys still start from
# the current epoch.
stacked() {
  engine_source "$1"
  run --separate-stderr "$DBCLONE" run -- bash -c '
    set -e
    step "$1" "$2" - - setup 20
    "$DBCLONE" snapshot
    "$DBCLONE" next
    step "$1" "$2" - - count
    step "$1" "$2" - - add 21 snap2
    "$DBCLONE" next --snapshot
    step "$1" "$2" - - count
    step "$1" "$2" - - add 22 epoch3
    step "$1" "$2" k1 - see
    step "$1" "$2" k1 - add 23 k1
    "$DBCLONE" next
    step "$1" "$2" - - count
    step "$1" "$2" k2 - count' _ "$1" "$SRC"
  assert_success
  assert_equal "$output" "ok
20 20
ok
21 21
ok
$(printf 'setup,%.0s' {1..20})snap2,epoch3
ok
21 21
21 21"
  source_unchanged_nothing_left "$1"
}

@test "PostgreSQL: two snapshots stacked (snapshot, then next --snapshot): later epochs and their keys start from the second" {
  stacked pg
}

@test "SQLite: two snapshots stacked (snapshot, then next --snapshot): later epochs and their keys start from the second" {
  stacked sqlite
}

@test "MariaDB: two snapshots stacked (snapshot, then next --snapshot): later epochs and their keys start from the second" {
  stacked mysql
}
