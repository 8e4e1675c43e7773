#!/usr/bin/env bats
# Claims (issue 18): in a shared run, a process takes the clone the run
# reserved for it at a new test key, without asking (claims.h). What must
# still hold: every test isolated; two processes that start one key at
# once on one clone; a key never starts from a state its setup has left
# (a write under the setup key, a session left open on it, dbclone next);
# kill -9 at any moment leaves nothing. Real servers, python3's drivers
# (tests/py/claims.py).

load test_helper
bats_require_minimum_version 1.5.0

export PY ROOT DBCLONE LIBPQ_HOST
CLAIMS=$ROOT/tests/py/claims.py
export PYTHONPATH=$ROOT/tests/py

teardown() {
  drop_leftovers
  drop_mysql_leftovers
  if [ -n "${MYSRC:-}" ]; then my mysql "DROP DATABASE IF EXISTS $MYSRC"; fi
}

# claims ENGINE MODE [ARGS]: claims.py in a run of its own (pool 2), its
# output in $output, the run's summary line in $summary.
claims() {
  local engine=$1 mode=$2
  shift 2
  run --separate-stderr "$DBCLONE" run --pool 2 -- "$PY" "$CLAIMS" "$mode" "$engine" "$SRC" "$@"
  summary=$(grep '^dbclone: run summary' <<< "$stderr" || true)
}

claimed() { # the new keys the summary says were claimed without asking
  sed -n 's/.* and \([0-9]*\) new keys claimed without asking.*/\1/p' <<< "$summary"
}

@test "twenty tests one after the other on each engine: the run claims most new keys without asking, and every test sees its own row alone, on a reconnect too" {
  for engine in pg sqlite mysql; do
    engine_source $engine
    claims $engine keys 20
    assert_success
    assert_output "20 isolated"
    [ "$(claimed)" -ge 10 ] || fail "$engine: only $(claimed) of 20 keys claimed: $summary"
    source_unchanged_nothing_left $engine
  done
}

@test "two processes holding reserved clones start the same key at once, eight times on each engine: each time both are on one clone and see both rows" {
  export BARRIER_DIR
  for engine in pg sqlite mysql; do
    engine_source $engine
    BARRIER_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/barrier.XXXX")
    claims $engine race 8
    assert_success
    for r in 0 1 2 3 4 5 6 7; do
      assert_line "round $r: same clone, 2 rows"
    done
    [ "$(claimed)" -ge 8 ] || fail "$engine: only $(claimed) keys claimed, the race was not between claims: $summary"
    source_unchanged_nothing_left $engine
  done
}

@test "the setup written again by a new connection after the first tests: the next test starts from it, not from a clone reserved before (three engines)" {
  for engine in pg sqlite mysql; do
    engine_source $engine
    claims $engine setup-written
    assert_success
    assert_output "t1: setup1
t2: setup1,setup2"
    source_unchanged_nothing_left $engine
  done
}

@test "SQLite: the setup written through a connection left open on it: the next test's claim sees the setup's stamp changed and asks, and starts from the write" {
  engine_source sqlite
  claims sqlite setup-open
  assert_success
  assert_output "t1: setup1
t2: setup1,setup2"
  source_unchanged_nothing_left sqlite
}

@test "dbclone next after the first tests: the next test starts from the source, not from a clone of the last epoch's setup reserved before (three engines)" {
  for engine in pg sqlite mysql; do
    engine_source $engine
    claims $engine next
    assert_success
    assert_output "t1: c,t
t2: t"
    source_unchanged_nothing_left $engine
  done
}

# churn_kill_loop ENGINE SRC KILLS (inside a run): KILLS+1 client
# processes, each making new keys until it is killed with kill -9, 0..200
# ms after its fourth key (a claim holds DBCLONE_TEST_DELAY_AFTER_CREATE_MS
# between linking and telling the run, so kills land there too). Prints
# how many kills fell between a claim and its telling.
churn_kill_loop() {
  local engine=$1 src=$2 kills=$3 i pid r between=0 mark
  for ((i = 1; i <= kills; i++)); do
    mark=$BATS_TEST_TMPDIR/mark$i
    setsid "$PY" "$CLAIMS" churn "$engine" "$src" "$mark" >/dev/null 2>&1 &
    pid=$!
    wait_until 60 test -e "$mark" || { echo "client $i never got going"; return 1; }
    r=$((RANDOM % 200))
    sleep "0.$(printf %03d "$r")"
    kill -9 -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [ "$(awk -v pid="$pid" '$1 == pid { last = $2 } END { print last }' "$DBCLONE_TEST_PHASES")" != claimed ] ||
      between=$((between + 1))
  done
  echo "$between"
}
export -f churn_kill_loop wait_until
export CLAIMS

# bats test_tags=normal-pass-only
@test "kill -9 of clients at random moments, some between a claim and telling the run (the run goes on), three engines: after the run nothing left, the source untouched" {
  export DBCLONE_TEST_DELAY_AFTER_CREATE_MS=100 DBCLONE_TEST_PHASES=$BATS_TEST_TMPDIR/phases
  export TMPDIR=$BATS_TEST_TMPDIR/tmp
  mkdir -p "$TMPDIR"
  local total=0
  for engine in pg sqlite mysql; do
    engine_source $engine
    run --separate-stderr "$DBCLONE" run --pool 2 -- bash -c 'churn_kill_loop "$@"' _ $engine "$SRC" 6
    assert_success
    total=$((total + output))
    source_unchanged_nothing_left $engine
  done
  echo "# $total of 18 kills fell between a claim and its telling" >&3
  [ "$total" -ge 2 ] || fail "only $total of 18 kills fell between a claim and its telling"
  run bash -c "ls -d '$TMPDIR'/dbclone-run-* 2>/dev/null"
  assert_output ""
}

# bats test_tags=normal-pass-only
@test "kill -9 of a whole run (its supervisor too) while its client claims keys, three engines: after dbclone gc nothing left, no run directory, the source untouched" {
  export DBCLONE_TEST_DELAY_AFTER_CREATE_MS=50 TMPDIR=$BATS_TEST_TMPDIR/tmp
  mkdir -p "$TMPDIR"
  local pid r mark
  for engine in pg sqlite mysql; do
    engine_source $engine
    for i in 1 2 3; do
      mark=$BATS_TEST_TMPDIR/runmark-$engine-$i
      setsid "$DBCLONE" run --pool 2 -- "$PY" "$CLAIMS" churn "$engine" "$SRC" "$mark" >/dev/null 2>&1 &
      pid=$!
      disown "$pid"
      wait_until 60 test -e "$mark"
      r=$((RANDOM % 300))
      sleep "0.$(printf %03d "$r")"
      kill -9 -- "-$pid" 2>/dev/null || true
      wait_until 10 ! kill -0 "$pid" 2>/dev/null
    done
    run "$DBCLONE" gc
    assert_success
    run bash -c "ls -d '$TMPDIR'/dbclone-run-* 2>/dev/null"
    assert_output ""
    source_unchanged_nothing_left $engine
  done
}

# forge_claim ENGINE SOURCE KEY NAME: writes NAME into the claim file of
# KEY (DBCLONE_TEST KEY, no boundary signal) in the run's directory, as a
# hostile process of the run could (claims.h: FNV-1a of engine, source,
# key, each followed by a tab).
forge_claim() {
  "$PY" - "$@" <<'PY'
import os, sys
engine, source, key, name = sys.argv[1:5]
h = 0xcbf29ce484222325
for part in (engine, source, "t:%s#0" % key):
    for b in part.encode() + b"\t":
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
with open(os.path.join(os.environ["DBCLONE_RUN_DIR"], "claims", "%016x" % h), "w") as f:
    f.write(name)
PY
}
export -f forge_claim

@test "a claim file forged by a process of the run, naming a file that is not a clone: the key gets a clone of its own, and the named file is never handed out nor dropped" {
  engine_source sqlite
  victim=$BATS_TEST_TMPDIR/victim.db
  sqlite3 "$victim" "CREATE TABLE v (id int); INSERT INTO v VALUES (7)"
  sum=$(file_checksum "$victim")
  run --separate-stderr "$DBCLONE" run -- bash -c '
    forge_claim sqlite "$1" forged "$2" &&
    ls "$DBCLONE_RUN_DIR"/claims | wc -l &&
    DBCLONE_TEST=forged sqlite3 "$1" "SELECT count(*) FROM t" &&
    ls "$DBCLONE_RUN_DIR"/claims | wc -l' _ "$SRC" "$victim"
  assert_success
  # the forged file sits where the run binds the key: it replaced it
  assert_output "1
3
1"
  assert_equal "$(file_checksum "$victim")" "$sum"
  source_unchanged_nothing_left sqlite
}
