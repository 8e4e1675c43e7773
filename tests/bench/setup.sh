#!/usr/bin/env bash
# Set up once, test many (tests/bench/setup.py), per engine: the 50-test
# suite with its session setup three ways, and what taking the setup costs
# against one clone. Medians of SETUP_RUNS (default 3) suites and RUNS
# (default 5) takes, min-max; every ratio within the same run. Prints its
# whole section of bench/RESULTS.md (called by scripts/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
suite_runs=${SETUP_RUNS:-3}
runs=${RUNS:-5}
rows=${SETUP_ROWS:-10000}
py=/usr/bin/python3
lib=$PWD/build/libdbclone.so
work=$(mktemp -d)
export DBCLONE_DIR=$work/clones
trap 'rm -rf "$work"' EXIT
. tests/bench/lib.sh

empty_source() { # empty_source ENGINE: prints an empty source of ENGINE, made anew
  case $1 in
    pg) recreate_pg_db bench_setup; echo bench_setup ;;
    mysql) recreate_mysql_db bench_setup; echo bench_setup ;;
    # A file that exists (one that does not passes through dbclone).
    sqlite) rm -f "$work/setup.db"*; sqlite3 "$work/setup.db" "CREATE TABLE m (x); DROP TABLE m"
            echo "$work/setup.db" ;;
  esac
}

drop_source() {
  case $1 in
    pg) psql -X -q -d postgres -c "DROP DATABASE bench_setup" ;;
    mysql) my -e "DROP DATABASE bench_setup" ;;
    sqlite) rm -f "$work/setup.db"* ;;
  esac
}

suite_rows() { # suite_rows ENGINE: the three ways, alternating run by run
  local engine=$1 mode src i
  for ((i = 0; i < suite_runs; i++)); do
    for mode in per-test reload dbclone; do
      src=$(empty_source "$engine")
      if [ $mode = dbclone ]; then
        build/dbclone run -- "$py" tests/bench/setup.py "$engine" "$src" dbclone "$rows" 2>/dev/null
      else
        "$py" tests/bench/setup.py "$engine" "$src" "$mode" "$rows"
      fi >> "$work/$engine.$mode"
    done
  done
  read -r base _ _ <<< "$(awk '{print $6}' "$work/$engine.per-test" | median)"
  for mode in per-test reload dbclone; do
    read -r m lo hi <<< "$(awk '{print $6}' "$work/$engine.$mode" | median)"
    echo "| $engine: $(label $mode) | $m s ($lo-$hi) | $(ratio "$m" "$base") | $(awk '{print $4}' "$work/$engine.$mode" | sort -n | tail -n1) of 50 failed |"
  done
}

label() {
  case $1 in
    per-test) echo "the setup again before each test (new database, migrations, load)" ;;
    reload) echo "the setup once; truncate and reload before each test" ;;
    dbclone) echo "dbclone run: the setup once, each test from it" ;;
  esac
}

take_rows() { # take_rows ENGINE: per process, alternating
  local engine=$1 src i
  for ((i = 0; i < runs; i++)); do
    src=$(empty_source "$engine")
    "$py" tests/bench/setup.py "$engine" "$src" fill "$rows"
    LD_PRELOAD=$lib "$py" tests/bench/setup.py "$engine" "$src" clone "$rows" 2>/dev/null |
      awk '{print $2}' >> "$work/$engine.clone"
    src=$(empty_source "$engine")
    LD_PRELOAD=$lib "$py" tests/bench/setup.py "$engine" "$src" take "$rows" 2>/dev/null > "$work/take"
    awk '{print $2}' "$work/take" >> "$work/$engine.take"
    awk '{print $4}' "$work/take" >> "$work/$engine.after"
  done
  read -r c clo chi <<< "$(median < "$work/$engine.clone")"
  read -r t tlo thi <<< "$(median < "$work/$engine.take")"
  read -r a alo ahi <<< "$(median < "$work/$engine.after")"
  echo "| $engine | $c ms ($clo-$chi) | $t ms ($tlo-$thi) | $(ratio "$t" "$c") | $a ms ($alo-$ahi) | $(ratio "$a" "$c") |"
}

cat <<EOF
## Set up once, test many

A 50-test suite whose session setup is migrations (6 tables with their
keys, foreign keys and indexes, in 10 steps) and a fixture load (200
accounts, $rows ledger rows, 10 tags), each test checking the data as
loaded, then changing it and committing. Three ways: the setup again
before each test (a new empty database, the migrations, the load), the
setup once and truncate-and-reload before each test (PostgreSQL COPY,
MariaDB INSERTs of 1,000 rows, SQLite executemany in one transaction,
the fixture data already in the client), and \`dbclone run\` with the setup
once under no \`DBCLONE_TEST\` and each test under its own key. Ratios
against the setup-per-test of the same engine; medians of $suite_runs suites,
the three ways alternating.

| what | wall time | ratio | outcome |
| --- | --- | --- | --- |
EOF
for e in pg mysql sqlite; do suite_rows $e; drop_source $e; done
cat <<EOF

Taking the setup, per process (plain \`LD_PRELOAD\`): from the first key's
connect to one query's answer, after the process wrote the setup (the
taking), against the same first-key connect on a source that already
holds the same data (one clone, no setup); and a connect with no key
after the taking (PostgreSQL: a fresh copy of the frozen setup, which
continues it). Target: taking at most 1.5x one clone. Medians of $runs,
alternating.

| engine | one clone | taking the setup | ratio | no key again, after | ratio |
| --- | --- | --- | --- | --- | --- |
EOF
for e in pg mysql sqlite; do take_rows $e; drop_source $e; done
echo
