#!/usr/bin/env bats
# bats file_tags=normal-pass-only
# Leak-proof at every kill point: kill -9 at random moments, per engine and
# per mode (plain LD_PRELOAD, --per-process, a shared run, the supervisor
# itself), then the cleanup path (gc, the end of the run, the next run):
# nothing left, the source unchanged. Each kill records the phase it hit,
# from the test-only phase log (DBCLONE_TEST_PHASES); the test-only delay
# DBCLONE_TEST_DELAY_AFTER_CREATE_MS widens the window between a clone's
# creation and its marker, and every loop must hit it several times.
# Normal pass only (check.sh filters this file's tag out of the sanitizer
# pass): these loops prove an order, not memory safety.

load test_helper
bats_require_minimum_version 1.5.0

export KILLS=${DBCLONE_TEST_KILLS:-30}

setup() {
  export DBCLONE_TEST_PHASES=$BATS_TEST_TMPDIR/phases
  export DBCLONE_TEST_DELAY_AFTER_CREATE_MS=150
  # Run directories of this test's runs only.
  export TMPDIR=$BATS_TEST_TMPDIR/tmp
  export KILLED=$BATS_TEST_TMPDIR/killed
  mkdir -p "$TMPDIR"
}

teardown() {
  drop_leftovers
  drop_mysql_leftovers
}

# phase_of PID: the phase PID was last in, by its phase log.
phase_of() {
  local p
  p=$(awk -v pid="$1" '$1 == pid { last = $2 } END { print last }' \
        "$DBCLONE_TEST_PHASES" 2>/dev/null || true)
  case $p in
    ''|intent) echo before-create ;;
    create) echo during-create ;;
    created) echo create-to-marker ;;
    made) echo made ;;
    warm) echo during-warm-up ;;
    warmed) echo warmed ;;
    drop) echo during-drop ;;
    dropped) echo after-drop ;;
  esac
}

# kill_loop MAX_MS WATCH CMD...: KILLS times, starts CMD in a session of
# its own (DBCLONE_TEST a new key each time) and kills it, and all it
# started, with kill -9 after a random 0..MAX_MS ms; appends to $KILLED the
# phase WATCH was in at that moment (self: CMD itself; parent: the
# caller's parent, the run's supervisor when called inside a run).
kill_loop() {
  local max=$1 watch=$2 i pid r
  shift 2
  for ((i = 0; i < KILLS; i++)); do
    DBCLONE_TEST=k$i setsid "$@" >/dev/null 2>&1 &
    pid=$!
    r=$((RANDOM % max))
    sleep "$((r / 1000)).$(printf %03d $((r % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
    kill -9 -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    case $watch in
      self) phase_of "$pid" ;;
      parent) phase_of "$PPID" ;;
    esac >> "$KILLED"
  done
}
export -f kill_loop phase_of

kills_summary() {
  sort "$KILLED" | uniq -c | awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1 }'
}

# The kills fell at random, and several between create and marker.
assert_kills_spread() {
  local window
  window=$(grep -cx create-to-marker "$KILLED" || true)
  echo "# $BATS_TEST_DESCRIPTION: $(kills_summary)" >&3
  assert_equal "$(wc -l < "$KILLED")" "$KILLS"
  [ "$window" -ge 3 ] || fail "only $window of $KILLS kills fell between create and marker: $(kills_summary)"
}

# No clone, intent or run directory is left.
assert_nothing_left() {
  run bash -c "find '$DBCLONE_DIR' -name 'dbclone_*.sqlite' 2>/dev/null; find '$DBCLONE_DIR/intents' -type f 2>/dev/null; ls -d '$TMPDIR'/dbclone-run-* 2>/dev/null"
  assert_output ""
  assert_no_clones
  assert_no_mysql_clones
}

# new_engine_source ENGINE: a source for ENGINE (SRC) and its digest (SUM);
# CLIENT, a program that makes one clone of it: the source's rows, counted.
new_engine_source() {
  case $1 in
    pg)
      SRC=$(new_source); SUM=$(checksum "$SRC")
      CLIENT=(psql -X -qtA -d "$SRC" -c "SELECT count(*) FROM t") ;;
    sqlite)
      sqlite_source; SUM=$(file_checksum "$SRC")
      CLIENT=(sqlite3 "$SRC" "SELECT count(*) FROM t") ;;
    mysql)
      SRC=ksrc_$RANDOM
      my mysql "CREATE DATABASE $SRC; CREATE TABLE $SRC.t (id int PRIMARY KEY, v text);
                INSERT INTO $SRC.t VALUES (1, 'one'), (2, 'two'), (3, 'three')"
      SUM=$(my "$SRC" "CHECKSUM TABLE t" | cut -f2)
      CLIENT=("$PY" -c "import MySQLdb, os, sys; MySQLdb.connect(db=sys.argv[1], user='root', unix_socket=os.environ['MYSQL_UNIX_PORT']).cursor().execute('SELECT count(*) FROM t')" "$SRC") ;;
  esac
}

source_unchanged() {
  case $1 in
    pg) assert_equal "$(checksum "$SRC")" "$SUM" ;;
    sqlite) assert_equal "$(file_checksum "$SRC")" "$SUM" ;;
    mysql) assert_equal "$(my "$SRC" "CHECKSUM TABLE t" | cut -f2)" "$SUM"
           my mysql "DROP DATABASE $SRC" ;;
  esac
}

# Plain LD_PRELOAD: each process clones for itself; gc cleans up.
loop_plain() {
  new_engine_source "$1"
  kill_loop 300 self env LD_PRELOAD="$LIB" "${CLIENT[@]}"
  assert_kills_spread
  run "$DBCLONE" gc
  assert_success
  assert_nothing_left
  source_unchanged "$1"
}

# --per-process: the processes clone for themselves, the run watches; its
# end cleans up.
loop_per_process() {
  new_engine_source "$1"
  run "$DBCLONE" run --per-process -- bash -c 'kill_loop "$@"' _ 300 self "${CLIENT[@]}"
  assert_success
  assert_kills_spread
  assert_nothing_left
  source_unchanged "$1"
}

# A shared run: the supervisor clones (a pool of one, so that a key often
# waits for its copy); its processes are killed, the phase is the
# supervisor's; the end of the run cleans up.
loop_shared() {
  new_engine_source "$1"
  run "$DBCLONE" run --pool 1 -- bash -c 'kill_loop "$@"' _ 300 parent "${CLIENT[@]}"
  assert_success
  assert_kills_spread
  assert_nothing_left
  source_unchanged "$1"
}

# The supervisor itself killed (its goldens and pool clones mid-create),
# with all its processes; the next run on the source cleans up.
loop_supervisor() {
  new_engine_source "$1"
  kill_loop 700 self "$DBCLONE" run --pool 1 -- bash -c \
    'i=0; while :; do DBCLONE_TEST=t$((i++)) "$@"; done' _ "${CLIENT[@]}"
  assert_kills_spread
  run "$DBCLONE" run -- "${CLIENT[@]}"
  assert_success
  assert_nothing_left
  source_unchanged "$1"
}

@test "PostgreSQL, plain LD_PRELOAD: 30 kill -9 at random moments, then gc: nothing left" {
  loop_plain pg
}

@test "PostgreSQL, --per-process: 30 kill -9 of its processes, then the end of the run: nothing left" {
  loop_per_process pg
}

@test "PostgreSQL, shared run: 30 kill -9 of its processes, then the end of the run: nothing left" {
  loop_shared pg
}

@test "PostgreSQL: 30 kill -9 of the supervisor, then the next run: nothing left, no run directory" {
  loop_supervisor pg
}

@test "SQLite, plain LD_PRELOAD: 30 kill -9 at random moments, then gc: nothing left" {
  loop_plain sqlite
}

@test "SQLite, --per-process: 30 kill -9 of its processes, then the end of the run: nothing left" {
  loop_per_process sqlite
}

@test "SQLite, shared run: 30 kill -9 of its processes, then the end of the run: nothing left" {
  loop_shared sqlite
}

@test "SQLite: 30 kill -9 of the supervisor, then the next run: nothing left, no run directory" {
  loop_supervisor sqlite
}

@test "MariaDB, plain LD_PRELOAD: 30 kill -9 at random moments, then gc: nothing left" {
  loop_plain mysql
}

@test "MariaDB, --per-process: 30 kill -9 of its processes, then the end of the run: nothing left" {
  loop_per_process mysql
}

@test "MariaDB, shared run: 30 kill -9 of its processes, then the end of the run: nothing left" {
  loop_shared mysql
}

@test "MariaDB: 30 kill -9 of the supervisor, then the next run: nothing left, no run directory" {
  loop_supervisor mysql
}
