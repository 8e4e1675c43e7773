#!/usr/bin/env bats
# Set up once, test many (issue 14): what is written with no DBCLONE_TEST
# is the setup (the clone of the current epoch), and every test key starts
# from the setup as it is when the key first connects; the setup lives on
# until its epoch ends. Real suites: pytest-django creating and migrating
# its test database, a session fixture loading data, ten tests that commit.

load test_helper
bats_require_minimum_version 1.5.0

LAYERS=$ROOT/tests/py/setup_layers.py
DJANGO=$ROOT/tests/py/setup_django
export KILLS=${DBCLONE_TEST_KILLS:-12}
# dbclone links libpq: in the sanitizer pass, inside a run, it goes
# through LIBPQ_HOST like psql (tests/sanitizer/ubsan-only).
export DBCLONE LIBPQ_HOST

setup() {
  unset DBCLONE_TEST
  SOURCES=()
  # Nothing written into the source tree.
  export PYTHONDONTWRITEBYTECODE=1
}

teardown() {
  drop_leftovers
  drop_mysql_leftovers
  local s
  for s in "${SOURCES[@]}"; do
    case $s in
      pg:*) sql postgres "DROP DATABASE IF EXISTS ${s#pg:} WITH (FORCE)" >/dev/null ;;
      mysql:*) my mysql "DROP DATABASE IF EXISTS ${s#mysql:}" ;;
    esac
  done
}

# new_empty_source ENGINE: SRC, an empty source of ENGINE that exists (an
# SQLite file that does not exist yet passes through: it proves nothing);
# NAME, how its clones' names start.
new_empty_source() {
  case $1 in
    pg) SRC=setup_${BATS_TEST_NUMBER}_$RANDOM
        sql postgres "CREATE DATABASE $SRC" >/dev/null ;;
    mysql) SRC=setup_${BATS_TEST_NUMBER}_$RANDOM
           my mysql "CREATE DATABASE $SRC" ;;
    sqlite) export DBCLONE_DIR=$BATS_TEST_TMPDIR/clones
            SRC=$BATS_TEST_TMPDIR/app_$RANDOM.db
            sqlite3 "$SRC" "CREATE TABLE marker (x)" ;;
  esac
  NAME=dbclone_$(basename "${SRC%.db}")_
  SOURCES+=("$1:$SRC")
}

# The setup's table never reached the source, and no clone is left.
assert_source_untouched_nothing_left() {
  case $1 in
    pg) assert_equal "$(sql "$SRC" "SELECT count(*) FROM pg_class WHERE relname = 'setup_t'")" 0
        assert_no_clones ;;
    mysql) assert_equal "$(my "$SRC" "SHOW TABLES")" ""
           assert_no_mysql_clones ;;
    sqlite) assert_equal "$(sqlite3 "$SRC" .tables)" marker
            assert_no_sqlite_clones ;;
  esac
}

# Every line of $output names a different database.
assert_distinct_databases() {
  local n
  n=$(awk '{print $2}' <<< "$output" | sort -u | wc -l)
  assert_equal "$n" "${#lines[@]}"
}

# django_suite ENGINE [PYTEST ARGS]: the ledger project's ten tests under
# dbclone run; one line per test in $BATS_TEST_TMPDIR/trace (its key and
# its database).
django_suite() {
  local engine=$1
  shift
  cd "$DJANGO"
  LEDGER_ENGINE=$engine LEDGER_TRACE=$BATS_TEST_TMPDIR/trace \
    run timeout 120 "$DBCLONE" run -- "$PY" -m pytest -q --tb=line "$@"
  cd - >/dev/null
}

# The ten tests passed, each in a clone of its own, named like any clone.
assert_ten_passed_each_in_its_clone() {
  assert_success
  assert_line --regexp "^10 passed in "
  run cat "$BATS_TEST_TMPDIR/trace"
  assert_equal "${#lines[@]}" 10
  for line in "${lines[@]}"; do
    [[ ${line#* } == $1* ]] || fail "a test ran in ${line#* }, not in a clone of its own ($1...)"
  done
  assert_distinct_databases
}

@test "pytest-django on PostgreSQL: test database created and migrated by pytest-django, data loaded once, ten committing tests all pass" {
  db=ledger_$RANDOM
  LEDGER_DB=$db django_suite pg
  assert_ten_passed_each_in_its_clone "dbclone_test_${db}_"
  refute_output --partial "does not exist"
  # pytest-django dropped its test database; nothing of dbclone's is left.
  assert_equal "$(sql postgres "SELECT count(*) FROM pg_database WHERE datname = 'test_$db'")" 0
  assert_no_clones
}

@test "pytest-django on MariaDB: test database created and migrated by pytest-django, data loaded once, ten committing tests all pass" {
  db=ledger_$RANDOM
  LEDGER_DB=$db django_suite mysql
  assert_ten_passed_each_in_its_clone "dbclone_test_${db}_"
  refute_output --partial "doesn't exist"
  assert_equal "$(my mysql "SHOW DATABASES LIKE 'test\\_$db'")" ""
  assert_no_mysql_clones
}

@test "pytest-django on SQLite, a test database file that exists before the run: ten committing tests all pass, the file untouched" {
  export DBCLONE_DIR=$BATS_TEST_TMPDIR/clones
  file=$BATS_TEST_TMPDIR/ledger_test.db
  sqlite3 "$file" "CREATE TABLE marker (x)"
  sum=$(file_checksum "$file")
  # --reuse-db: Django would delete an existing file before migrating.
  LEDGER_TEST_DB=$file django_suite sqlite --reuse-db
  assert_ten_passed_each_in_its_clone "dbclone_ledger_test_"
  assert_equal "$(file_checksum "$file")" "$sum"
  assert_equal "$(sqlite3 "$file" .tables)" marker
  assert_no_sqlite_clones
}

# one_process_three_keys ENGINE: one process migrates with no key, then
# three keys in turn; plain LD_PRELOAD, then under dbclone run
# --per-process.
one_process_three_keys() {
  local mode
  for mode in plain per-process; do
    new_empty_source "$1"
    if [ $mode = plain ]; then
      run preloaded "$PY" "$LAYERS" "$1" "$SRC" one-process k1 k2 k3
    else
      run "$DBCLONE" run --per-process -- "$PY" "$LAYERS" "$1" "$SRC" one-process k1 k2 k3
    fi
    assert_success
    assert_line --index 0 --regexp "^k1 ${NAME}\S+ 2 0 0$"
    assert_line --index 1 --regexp "^k2 ${NAME}\S+ 2 0 0$"
    assert_line --index 2 --regexp "^k3 ${NAME}\S+ 2 0 0$"
    run sed -n 1,3p <<< "$output"
    assert_distinct_databases
    assert_source_untouched_nothing_left "$1"
  done
}

@test "PostgreSQL, one process (plain LD_PRELOAD, and --per-process): tables made before the first key; three keys each see them, not each other's writes" {
  one_process_three_keys pg
}

@test "MariaDB, one process (plain LD_PRELOAD, and --per-process): tables made before the first key; three keys each see them, not each other's writes" {
  one_process_three_keys mysql
}

@test "SQLite, one process (plain LD_PRELOAD, and --per-process): tables made before the first key; three keys each see them, not each other's writes" {
  one_process_three_keys sqlite
}

@test "plain LD_PRELOAD, fork: a child's key starts from its parent's setup, and the parent goes on with its setup (PostgreSQL, MariaDB, SQLite)" {
  for engine in pg mysql sqlite; do
    new_empty_source $engine
    run preloaded "$PY" "$LAYERS" $engine "$SRC" fork kid
    assert_success
    assert_line --index 0 --regexp "^kid ${NAME}\S+ 2 0 0$"
    # The parent's setup is where it was, without the child's write; the
    # parent adds to it, and its next key starts from that.
    assert_line --index 1 --regexp "^parent ${NAME}\S+ 2 0$"
    assert_line --index 2 --regexp "^after ${NAME}\S+ 3 0 0$"
    assert_source_untouched_nothing_left $engine
  done
}

# shared_run_migrate_then_parallel_keys ENGINE: a migration process with
# no key, then four test processes with keys at once, each writing and
# then looking again for the others' writes.
shared_run_migrate_then_parallel_keys() {
  new_empty_source "$1"
  run "$DBCLONE" run -- sh -c '
    "$@" migrate || exit 1
    for k in w1 w2 w3 w4; do DBCLONE_TEST=$k "$@" test 0.5 & done
    wait' sh "$PY" "$LAYERS" "$1" "$SRC"
  assert_success
  for k in w1 w2 w3 w4; do
    assert_line --regexp "^$k ${NAME}\S+ 2 0 0$"
    assert_line --regexp "^$k ${NAME}\S+ foreign-after 0$"
  done
  run grep ' 2 0 0$' <<< "$output"
  assert_distinct_databases
  assert_source_untouched_nothing_left "$1"
}

@test "PostgreSQL, shared run: a migration process with no key, then four test processes with keys in parallel: each sees the migration, none another's writes" {
  shared_run_migrate_then_parallel_keys pg
}

@test "MariaDB, shared run: a migration process with no key, then four test processes with keys in parallel: each sees the migration, none another's writes" {
  shared_run_migrate_then_parallel_keys mysql
}

@test "SQLite, shared run: a migration process with no key, then four test processes with keys in parallel: each sees the migration, none another's writes" {
  shared_run_migrate_then_parallel_keys sqlite
}

# hold_setup_across_first_key ENGINE: a process migrates with no key and
# keeps its session on the setup while key t1 starts; then it connects
# again with no key and adds to the setup, and t2 starts after that. The
# run's standard error goes to $BATS_TEST_TMPDIR/run.err.
hold_setup_across_first_key() {
  local t=$BATS_TEST_TMPDIR
  new_empty_source "$1"
  run --separate-stderr "$DBCLONE" run -- sh -c '
    t=$1; shift
    "$@" hold "$t/ready" "$t/go" > "$t/hold.out" &
    i=0; while [ ! -e "$t/ready" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
    DBCLONE_TEST=t1 "$@" test
    $LIBPQ_HOST "$DBCLONE" ls > "$t/ls.out"
    psql -X -qtA -d postgres -c "SELECT datname FROM pg_database WHERE datistemplate" > "$t/templates"
    touch "$t/go"
    wait
    DBCLONE_TEST=t2 "$@" test' sh "$t" "$PY" "$LAYERS" "$1" "$SRC"
  echo "$stderr" > "$t/run.err"
  assert_success
  # t1 started from the setup as it was; t2 from the setup as it is now.
  assert_line --index 0 --regexp "^t1 ${NAME}\S+ 2 0 0$"
  assert_line --index 1 --regexp "^t2 ${NAME}\S+ 3 0 0$"
  t1_db=$(awk 'NR == 1 {print $2}' <<< "$output")
  # A test key's clone is named like any clone, and dbclone ls lists it.
  run grep -E "[ /]$t1_db " "$t/ls.out"
  assert_success
}

@test "PostgreSQL: a session left open on the setup when the first key starts is cut, with one warning; the key starts from the setup, and a later connect with no key continues it" {
  hold_setup_across_first_key pg
  run cat "$BATS_TEST_TMPDIR/hold.out"
  assert_line --index 0 "kept session: cut"
  assert_line --index 1 "setup again: 2"
  # The setup clone itself was frozen as the template t1 was made from (no
  # extra copy).
  run cat "$BATS_TEST_TMPDIR/templates"
  assert_line "$(cat "$BATS_TEST_TMPDIR/ready")"
  run grep -c '^dbclone: .*cut' "$BATS_TEST_TMPDIR/run.err"
  assert_output 1
  run grep '^dbclone: .*cut' "$BATS_TEST_TMPDIR/run.err"
  assert_output --partial setup
  assert_output --partial "$SRC"
  assert_source_untouched_nothing_left pg
}

@test "MariaDB and SQLite: a session open on the setup when the first key starts is left alone; the key starts from the setup" {
  export DBCLONE
  for engine in mysql sqlite; do
    hold_setup_across_first_key $engine
    run cat "$BATS_TEST_TMPDIR/hold.out"
    assert_line --index 0 "kept session: alive"
    assert_line --index 1 "setup again: 2"
    run grep '^dbclone: .*cut' "$BATS_TEST_TMPDIR/run.err"
    assert_output ""
    assert_source_untouched_nothing_left $engine
    rm -f "$BATS_TEST_TMPDIR"/{ready,go,hold.out,ls.out}
  done
}

@test "PostgreSQL, shared run: the setup lives until its epoch ends: keys after dbclone next start from the source, and so does the new epoch" {
  new_empty_source pg
  export Q="SELECT coalesce(to_regclass('setup_t')::text, 'none')"
  run "$DBCLONE" run -- sh -c '
    "$@" migrate
    DBCLONE_TEST=a "$@" test
    DBCLONE_TEST=b "$@" test
    "$DBCLONE" next
    DBCLONE_TEST=c psql -X -qtA -d "$4" -c "$Q"
    psql -X -qtA -d "$4" -c "$Q"' sh "$PY" "$LAYERS" pg "$SRC"
  assert_success
  assert_line --index 0 --regexp "^a ${NAME}\S+ 2 0 0$"
  assert_line --index 1 --regexp "^b ${NAME}\S+ 2 0 0$"
  assert_line --index 2 none
  assert_line --index 3 none
  assert_source_untouched_nothing_left pg
}

# take_kills ENGINE SRC DIR KILLS WRAPPER...: KILLS times, a process
# (under WRAPPER, in a session of its own) migrates with no key, writes
# DIR/ready.N, then takes the setup for a key and writes DIR/ready.N.taken;
# it is killed with kill -9, with all it started, 0..150 ms after READY
# (even N) or 0..600 ms (odd N).
# Appends to DIR/killed where each kill fell: "taking" (the key's clone
# not yet connected to), or "taken". Plain bash: it also runs inside a run.
take_kills() {
  local engine=$1 src=$2 dir=$3 kills=$4 i n pid r
  shift 4
  for ((i = 0; i < kills; i++)); do
    setsid "$@" /usr/bin/python3 "$LAYERS" "$engine" "$src" take "$dir/ready.$i" >/dev/null 2>&1 &
    pid=$!
    n=0
    while [ ! -e "$dir/ready.$i" ] && [ $n -lt 1000 ]; do sleep 0.01; n=$((n + 1)); done
    # Every other kill early (inside the taking, which lasts at least the
    # 150 ms pause), the others anywhere up to well after it.
    r=$((RANDOM % (i % 2 ? 600 : 150)))
    sleep "0.$(printf %03d $r)"
    kill -9 -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ -e "$dir/ready.$i.taken" ]; then echo taken
    elif [ -e "$dir/ready.$i" ]; then echo taking
    else echo never-ready; fi >> "$dir/killed"
  done
}
export -f take_kills
export LAYERS

# A 150 ms pause between each clone's creation and its marker, so that
# kills land inside the taking.
slow_creates() {
  export DBCLONE_TEST_DELAY_AFTER_CREATE_MS=150
}

# Every process got ready, and at least 3 of the kills fell while the
# setup was being taken.
assert_kills_while_taking() {
  local summary
  summary=$(sort "$BATS_TEST_TMPDIR/killed" | uniq -c | xargs)
  echo "# $BATS_TEST_DESCRIPTION: $summary" >&3
  assert_equal "$(wc -l < "$BATS_TEST_TMPDIR/killed")" "$KILLS"
  run grep -c never-ready "$BATS_TEST_TMPDIR/killed"
  assert_output 0
  run grep -c '^taking$' "$BATS_TEST_TMPDIR/killed"
  [ "$output" -ge 3 ] || fail "only $output of $KILLS kills fell while the setup was taken: $summary"
}

# kill_plain ENGINE: plain LD_PRELOAD, then gc.
kill_plain() {
  new_empty_source "$1"
  slow_creates
  take_kills "$1" "$SRC" "$BATS_TEST_TMPDIR" "$KILLS" env LD_PRELOAD="$LIB"
  assert_kills_while_taking
  run "$DBCLONE" gc
  assert_success
  assert_source_untouched_nothing_left "$1"
}

# bats test_tags=normal-pass-only
@test "PostgreSQL, plain LD_PRELOAD: kill -9 while the setup is taken, then gc: nothing left, the source untouched" {
  kill_plain pg
}

# bats test_tags=normal-pass-only
@test "MariaDB, plain LD_PRELOAD: kill -9 while the setup is taken, then gc: nothing left, the source untouched" {
  kill_plain mysql
}

# bats test_tags=normal-pass-only
@test "SQLite, plain LD_PRELOAD: kill -9 while the setup is taken, then gc: nothing left, the source untouched" {
  kill_plain sqlite
}

# bats test_tags=normal-pass-only
@test "PostgreSQL, --per-process: kill -9 of its processes while the setup is taken, then the end of the run: nothing left, the source untouched" {
  new_empty_source pg
  slow_creates
  run "$DBCLONE" run --per-process -- bash -c 'take_kills "$@"' _ pg "$SRC" "$BATS_TEST_TMPDIR" "$KILLS" env
  assert_success
  assert_kills_while_taking
  assert_source_untouched_nothing_left pg
}

# bats test_tags=normal-pass-only
@test "PostgreSQL, shared run: kill -9 of the supervisor while it takes the setup, then the next run: nothing left, the source untouched" {
  # Run directories of this test's runs only.
  export TMPDIR=$BATS_TEST_TMPDIR/tmp
  mkdir -p "$TMPDIR"
  new_empty_source pg
  slow_creates
  take_kills pg "$SRC" "$BATS_TEST_TMPDIR" "$KILLS" "$DBCLONE" run --pool 1 --
  assert_kills_while_taking
  # The next run by the same program (a run sweeps the intents of dead
  # owners that its programs describe the same way: README, Limits).
  run "$DBCLONE" run -- "$PY" "$LAYERS" pg "$SRC" migrate
  assert_success
  assert_output --partial "dropped"
  assert_source_untouched_nothing_left pg
  run bash -c "ls -d '$TMPDIR'/dbclone-run-* 2>/dev/null"
  assert_output ""
}
