#!/usr/bin/env bats
# Layers on layers (issue 15): `dbclone snapshot` makes an epoch's setup
# the state later epochs start from, and DBCLONE_BASE=KEY starts a test
# key from another key's clone (a module layer over the session's setup).
# Real servers, real clients: psql, sqlite3, a server under test that
# keeps its connection (psycopg2, MySQLdb), a harness in one process.

load test_helper
bats_require_minimum_version 1.5.0

# LIBPQ_HOST: dbclone links libpq, so its ls in a run (whose LD_PRELOAD
# it inherits) needs the sanitizer pass's UBSan-only library.
export PY ROOT DBCLONE LIBPQ_HOST
STEPS=$ROOT/tests/py/layer_steps.py

teardown() {
  drop_leftovers
  drop_mysql_leftovers
  if [ -n "${MYSRC:-}" ]; then my mysql "DROP DATABASE IF EXISTS $MYSRC"; fi
}

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
    echo "$key $base $action $*" | "$PY" "$ROOT/tests/py/layer_steps.py" mysql "$src"
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

############################################################ DBCLONE_BASE

# The harness of a suite with two modules, as steps "KEY BASE ACTION
# [ARGS]": the session's setup, module A's layer and two tests on it,
# module B (which must not see A), a test, B written again after it (so
# B is taken again), a class layer on B with two tests, and a test whose
# base never connected.
base_steps() {
  cat <<'STEPS'
- - setup 1
modA - add 10 modA
a1 modA see
a1 modA add 11 a1
a2 modA see
a2 modA add 12 a2
modB - see
modB - add 20 modB
b1 modB see
b1 modB add 21 b1
modB - add 22 modB2
b2 modB see
clsB modB see
clsB modB add 30 clsB
t1 clsB see
t1 clsB add 31 t1
t2 clsB see
n1 never see
STEPS
}

# What each step must print: each test sees its setup and its layers,
# never a sibling's writes.
base_expected() {
  cat <<'SEEN'
ok
ok
setup,modA
ok
setup,modA
ok
setup
ok
setup,modB
ok
ok
setup,modB,modB2
setup,modB,modB2
ok
setup,modB,modB2,clsB
ok
setup,modB,modB2,clsB
setup
SEEN
}

# base_layers ENGINE MODE: base_steps on a fresh source of ENGINE, in a
# shared run with one client process per step (MODE run), or in one
# process that sets os.environ between connects (MODE one: under plain
# LD_PRELOAD, whose exit must drop every clone and layer it made; MODE
# one-in-run: the same process under dbclone run).
base_layers() {
  engine_source "$1"
  case $2 in
    run) run --separate-stderr "$DBCLONE" run -- bash -c '
           set -e
           while read -r key base action args; do
             step "$1" "$2" "$key" "$base" "$action" $args
           done' _ "$1" "$SRC" < <(base_steps) ;;
    one) run --separate-stderr preloaded "$PY" "$STEPS" "$1" "$SRC" < <(base_steps) ;;
    one-in-run) run --separate-stderr "$DBCLONE" run -- "$PY" "$STEPS" "$1" "$SRC" < <(base_steps) ;;
  esac
  assert_success
  assert_equal "$output" "$(base_expected)"
  source_unchanged_nothing_left "$1"
}

@test "psql in a shared run, DBCLONE_BASE: module layers over the setup, tests on them isolated, a base taken again after a write, nested, a base that never connected" {
  base_layers pg run
}

@test "PostgreSQL, one process under plain LD_PRELOAD setting DBCLONE_TEST/DBCLONE_BASE between connects: module layers, nested, taken again" {
  base_layers pg one
}

@test "sqlite3 in a shared run, DBCLONE_BASE: module layers over the setup, tests on them isolated, a base taken again after a write, nested, a base that never connected" {
  base_layers sqlite run
}

@test "SQLite, one process under plain LD_PRELOAD setting DBCLONE_TEST/DBCLONE_BASE between connects: module layers, nested, taken again" {
  base_layers sqlite one
}

@test "MariaDB (MySQLdb) in a shared run, one process per step, DBCLONE_BASE: module layers, nested, taken again, a base that never connected" {
  base_layers mysql run
}

@test "MariaDB (MySQLdb), one process under plain LD_PRELOAD setting DBCLONE_TEST/DBCLONE_BASE between connects: module layers, nested, taken again" {
  base_layers mysql one
}

@test "MariaDB (MySQLdb), one harness process under dbclone run setting DBCLONE_TEST/DBCLONE_BASE between connects: module layers, nested, taken again" {
  base_layers mysql one-in-run
}

# ls_from ENGINE: in a run, the setup, module A's layer, a test on it;
# then dbclone ls. Sets SETUP, MODA, A1 (their clones' names, as the
# clients saw them) and LS (ls's lines).
ls_from() {
  engine_source "$1"
  run --separate-stderr "$DBCLONE" run -- bash -c '
    set -e
    step "$1" "$2" - - setup 1 >/dev/null
    step "$1" "$2" - - db
    step "$1" "$2" modA - add 10 modA >/dev/null
    step "$1" "$2" modA - db
    step "$1" "$2" a1 modA db
    $LIBPQ_HOST "$DBCLONE" ls' _ "$1" "$SRC"
  assert_success
  SETUP=${lines[0]} MODA=${lines[1]} A1=${lines[2]}
  LS=("${lines[@]:3}")
  assert_equal "$(echo "${LS[0]}" | awk '{ print $NF }')" FROM
}

# from_of NAME: the FROM column of the clone NAME (a path's last part) in LS.
from_of() {
  printf '%s\n' "${LS[@]:1}" | awk -v n="$1" '{ c = $2; sub(".*/", "", c) } c == n { print $NF }'
}

listed() { # listed NAME: NAME is a clone in LS
  printf '%s\n' "${LS[@]:1}" | awk '{ c = $2; sub(".*/", "", c); print c }' | grep -qxF -- "$1"
}

@test "dbclone ls's FROM names the layer each clone was copied from: a test's clone from its base's, the base's from the setup's, the setup '-' (PostgreSQL frozen in place, SQLite and MariaDB copied live)" {
  for engine in pg sqlite mysql; do
    ls_from $engine
    assert_equal "$(from_of "$A1")" "$MODA"
    assert_equal "$(from_of "$MODA")" "$SETUP"
    assert_equal "$(from_of "$SETUP")" -
    source_unchanged_nothing_left $engine
  done
}

############################################################ errors

@test "dbclone snapshot outside a run: one dbclone: line, exit 2; inside a --per-process run: a dbclone: line naming --per-process, exit 1" {
  run env -u DBCLONE_SOCKET "$DBCLONE" snapshot
  assert_failure 2
  assert_equal "${#lines[@]}" 1
  assert_output --regexp '^dbclone: snapshot .*dbclone run'
  run env -u DBCLONE_SOCKET "$DBCLONE" next --snapshot
  assert_failure 2
  assert_output --regexp '^dbclone: next .*dbclone run'
  for cmd in snapshot "next --snapshot"; do
    run --separate-stderr "$DBCLONE" run --per-process -- "$DBCLONE" $cmd
    assert_failure 1
    assert_equal "${stderr_lines[0]:0:9}" "dbclone: "
    [[ ${stderr_lines[0]} = *--per-process* ]] || fail "$cmd: ${stderr_lines[0]}"
  done
}

############################################################ kill -9

# kill_during_take KIND ENGINE: LAYER_KILLS times (6), a program on a fresh
# setup that touches $MARKS/taking, takes a layer and makes the first
# clone from it (KIND snapshot: dbclone snapshot, dbclone next and a
# connect in a run, the supervisor killed with it; base-run: a test key
# on a base in a run, the same; base-plain: the same under plain
# LD_PRELOAD, where the process takes it itself), then touches
# $MARKS/taken; killed with kill -9 (all it started, the run's supervisor
# too) 0..160 ms after "taking" (the first clone is in the window since
# PostgreSQL takes a snapshot in place, an ALTER DATABASE of a few ms).
# DBCLONE_TEST_DELAY_AFTER_CREATE_MS widens the window between a copy's
# creation and its marker. Then dbclone gc: nothing left, the source
# untouched, and several kills fell before "taken".
kill_during_take() {
  local kind=$1 engine=$2 i pid r during=0 phases=() cmd
  local kills=${LAYER_KILLS:-6}
  export DBCLONE_TEST_PHASES=$BATS_TEST_TMPDIR/phases
  export DBCLONE_TEST_DELAY_AFTER_CREATE_MS=150
  export TMPDIR=$BATS_TEST_TMPDIR/tmp MARKS=$BATS_TEST_TMPDIR/marks
  mkdir -p "$TMPDIR"
  engine_source "$engine"
  # Round 0 is not killed: the program must take the layer and use it.
  for ((i = 0; i <= kills; i++)); do
    rm -rf "$MARKS"
    mkdir "$MARKS"
    take_base_steps > "$MARKS/steps"
    case $kind in
      snapshot) cmd=("$DBCLONE" run --pool 1 -- bash -c '
                  step "$1" "$2" - - setup 3 &&
                  touch "$MARKS/taking" && "$DBCLONE" snapshot && "$DBCLONE" next &&
                  step "$1" "$2" - - count && touch "$MARKS/taken"' _ "$engine" "$SRC") ;;
      base-run) cmd=("$DBCLONE" run --pool 1 -- "$PY" "$STEPS" "$engine" "$SRC") ;;
      base-plain) cmd=(env LD_PRELOAD="$LIB" "$PY" "$STEPS" "$engine" "$SRC") ;;
    esac
    # setsid execs the command: $! is its pid, and the group it leads.
    setsid "${cmd[@]}" < "$MARKS/steps" >/dev/null 2>&1 &
    pid=$!
    disown "$pid" # no "Killed" notice from bash
    if [ "$i" = 0 ]; then
      wait_until 60 ! kill -0 "$pid" 2>/dev/null
      [ -e "$MARKS/taken" ] || fail "$kind $engine: the program did not take its layer and use it, unkilled"
      continue
    fi
    wait_until 30 test -e "$MARKS/taking"
    r=$((RANDOM % 160))
    sleep "0.$(printf %03d "$r")"
    kill -9 -- "-$pid" 2>/dev/null || true
    wait_until 10 ! kill -0 "$pid" 2>/dev/null
    [ -e "$MARKS/taken" ] || during=$((during + 1))
    phases+=("$(awk -v pid="$pid" '$1 == pid { last = $2 } END { print last }' "$DBCLONE_TEST_PHASES")")
  done
  echo "# $kind $engine: $during of $kills kills before the take was done; the killed process's last phases: ${phases[*]}" >&3
  [ "$during" -ge 2 ] || fail "only $during of $kills kills fell while the layer was being taken"
  run "$DBCLONE" gc
  assert_success
  run bash -c "find '$DBCLONE_DIR' -type f 2>/dev/null; ls -d '$TMPDIR'/dbclone-run-* 2>/dev/null"
  assert_output ""
  source_unchanged_nothing_left "$engine"
}

take_base_steps() { # the setup, a module's layer, then a test on it
  printf '%s\n' "- - setup 3" "modA - add 10 modA" "- - touch $MARKS/taking" \
    "a1 modA see" "- - touch $MARKS/taken"
}

# bats test_tags=normal-pass-only
@test "kill -9 of a run (its supervisor too) while dbclone snapshot is taken, PostgreSQL and SQLite: after gc nothing left, the source untouched" {
  kill_during_take snapshot pg
  kill_during_take snapshot sqlite
}

# bats test_tags=normal-pass-only
@test "kill -9 of a run (its supervisor too) while dbclone snapshot is taken, MariaDB: after gc nothing left, the source untouched" {
  kill_during_take snapshot mysql
}

# bats test_tags=normal-pass-only
@test "kill -9 of a run (its supervisor too) while a DBCLONE_BASE is taken, PostgreSQL and MariaDB: after gc nothing left, the source untouched" {
  kill_during_take base-run pg
  kill_during_take base-run mysql
}

# bats test_tags=normal-pass-only
@test "kill -9 of a process under plain LD_PRELOAD while it takes a DBCLONE_BASE, on the three engines: after gc nothing left, the source untouched" {
  kill_during_take base-plain pg
  kill_during_take base-plain sqlite
  kill_during_take base-plain mysql
}

# client_kill_loop ENGINE SRC KILLS (inside a run): the setup, then per
# round a module key of its own and a test key on it, in one client
# process that is killed with kill -9 0..160 ms after it touched "taking"
# (round 0 is not killed, and must finish). Prints how many kills fell
# before the client touched "taken".
client_kill_loop() {
  local engine=$1 src=$2 kills=$3 i pid r n during=0 marks
  step "$engine" "$src" - - setup 3 >/dev/null || return 1
  for ((i = 0; i <= kills; i++)); do
    marks=$BATS_TEST_TMPDIR/marks$i
    mkdir "$marks"
    printf '%s\n' "mod$i - add $((10 + i)) mod$i" "- - touch $marks/taking" \
      "t$i mod$i see" "- - touch $marks/taken" > "$marks/steps"
    setsid "$PY" "$STEPS" "$engine" "$src" < "$marks/steps" >/dev/null 2>&1 &
    pid=$!
    for ((n = 0; n < 1500; n++)); do
      [ -e "$marks/taking" ] && break
      sleep 0.02
    done
    [ -e "$marks/taking" ] || { echo "round $i never got to its base"; return 1; }
    if [ "$i" = 0 ]; then
      wait "$pid" && [ -e "$marks/taken" ] || { echo "round 0 did not take its base"; return 1; }
      continue
    fi
    r=$((RANDOM % 160))
    sleep "0.$(printf %03d "$r")"
    kill -9 -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [ -e "$marks/taken" ] || during=$((during + 1))
  done
  echo "$during"
}
export -f client_kill_loop
export STEPS

# bats test_tags=normal-pass-only
@test "kill -9 of a client while the run takes its DBCLONE_BASE (the supervisor goes on), PostgreSQL and MariaDB: after the run nothing left, the source untouched" {
  export DBCLONE_TEST_DELAY_AFTER_CREATE_MS=150 TMPDIR=$BATS_TEST_TMPDIR/tmp
  mkdir -p "$TMPDIR"
  for engine in pg mysql; do
    engine_source $engine
    rm -rf "$BATS_TEST_TMPDIR"/marks*
    run --separate-stderr "$DBCLONE" run --pool 1 -- bash -c 'client_kill_loop "$@"' _ $engine "$SRC" 6
    assert_success
    echo "# $engine: $output of 6 kills before the client's base was taken and used" >&3
    [ "$output" -ge 2 ] || fail "$engine: only $output of 6 kills fell while the base was being taken"
    run bash -c "ls -d '$TMPDIR'/dbclone-run-* 2>/dev/null"
    assert_output ""
    source_unchanged_nothing_left $engine
  done
}
