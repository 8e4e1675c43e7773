#!/usr/bin/env bash
# The 50-test suite (tests/bench/suite.py) on each engine, four ways: wall
# time medians of RUNS and ratios, as Markdown table rows. The floor: the
# suite's tests with no isolation, or the 50 clones it needs made one
# after the other on the core the tests leave (2 cores: one for the tests,
# one for the pool), whichever is longer. On PostgreSQL also the floor on
# fresh data: the tests each on a copy made beforehand (cold buffer cache)
# instead of no isolation. The run summary of each dbclone run goes to
# standard error.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-5}
py=/usr/bin/python3
. tests/bench/lib.sh
work=$(mktemp -d)
sqlite_db=$work/bench_suite.db

setup() { # setup ENGINE: the source, fresh
  case $1 in
  pg)
    recreate_pg_db bench_suite
    psql -X -q -d bench_suite -c "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, name text);
      INSERT INTO items SELECT g, 1, 'item ' || g FROM generate_series(1, 100000) g;
      CREATE TABLE fixture_items AS SELECT * FROM items" -c "VACUUM ANALYZE" ;;
  sqlite)
    rm -f "$sqlite_db"
    sqlite3 "$sqlite_db" "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, name text);
      WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000)
      INSERT INTO items SELECT n, 1, 'item ' || n FROM g;
      CREATE TABLE fixture_items AS SELECT * FROM items" ;;
  mysql)
    recreate_mysql_db bench_suite
    my bench_suite -e "SET SESSION max_recursive_iterations = 200000;
      CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, name text);
      INSERT INTO items WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000)
        SELECT n, 1, CONCAT('item ', n) FROM g;
      CREATE TABLE fixture_items AS SELECT * FROM items" ;;
  esac
}

for engine in ${SUITE_ENGINES:-pg sqlite mysql}; do
  db=bench_suite
  [ "$engine" = sqlite ] && db=$sqlite_db
  declare -A result fails
  n=$runs
  # MariaDB's copies take seconds a suite: two runs bound make bench.
  [ "$engine" = mysql ] && [ "$n" -gt 2 ] && n=2
  : > "$work/whole"
  modes="none reload dbclone clones"
  # PostgreSQL's copies start with a cold buffer cache: the same tests
  # on fresh copies made beforehand, with nothing cloned beside them.
  [ "$engine" = pg ] && modes="$modes fresh"
  for mode in $modes; do
    : > /tmp/dbclone-suite-$$.$mode
    for _ in $(seq "$n"); do
      setup "$engine"
      if [ "$mode" = dbclone ]; then
        # The whole run too: its golden before the first test and its
        # drops after the last, which the suite's own time leaves out.
        start=$(now_ns)
        build/dbclone run -- "$py" tests/bench/suite.py "$engine" "$db" dbclone \
          2>"$work/dbclone.err"
        ms_since "$start" >> "$work/whole"
        grep '^dbclone: run summary' "$work/dbclone.err" >&2 || cat "$work/dbclone.err" >&2
      else
        "$py" tests/bench/suite.py "$engine" "$db" "$mode"
      fi >> /tmp/dbclone-suite-$$.$mode
    done
    result[$mode]=$(awk '{print $6}' /tmp/dbclone-suite-$$.$mode | median)
    fails[$mode]=$(awk '{print $4}' /tmp/dbclone-suite-$$.$mode | sort -n | tail -n1)
  done
  read -r nm _ _ <<< "${result[none]}"
  read -r rm _ _ <<< "${result[reload]}"
  read -r cm clo chi <<< "${result[clones]}"
  floor=$(awk -v a="$nm" -v b="$cm" 'BEGIN {printf "%.2f", (a > b) ? a : b}')
  for mode in none reload dbclone; do
    read -r m lo hi <<< "${result[$mode]}"
    echo "| $engine: $mode | ${m} s ($lo-$hi) | $(ratio "$m" "$nm") | $(ratio "$m" "$floor") | $(ratio "$m" "$rm") | ${fails[$mode]} of 50 failed |"
  done
  read -r wm wlo whi <<< "$(awk '{print $1 / 1000}' "$work/whole" | median)"
  echo "| $engine: dbclone, the whole run (its golden, its last drops) | ${wm} s ($wlo-$whi) | $(ratio "$wm" "$nm") | $(ratio "$wm" "$floor") | $(ratio "$wm" "$rm") | |"
  echo "| $engine: the 50 clones alone, one after the other | ${cm} s ($clo-$chi) | $(ratio "$cm" "$nm") | | | |"
  echo "| $engine: floor (the longer of no isolation and the clones alone) | ${floor} s | $(ratio "$floor" "$nm") | 1.00 | | |"
  if [ -n "${result[fresh]:-}" ]; then
    read -r fm flo fhi <<< "${result[fresh]}"
    ffloor=$(awk -v a="$fm" -v b="$cm" 'BEGIN {printf "%.2f", (a > b) ? a : b}')
    read -r dm _ _ <<< "${result[dbclone]}"
    echo "| $engine: the tests alone, each on a fresh copy made beforehand | ${fm} s ($flo-$fhi) | $(ratio "$fm" "$nm") | $(ratio "$fm" "$floor") | | ${fails[fresh]} of 50 failed |"
    echo "| $engine: floor on fresh data (the longer of those tests and the clones alone) | ${ffloor} s | $(ratio "$ffloor" "$nm") | $(ratio "$ffloor" "$floor") | | |"
    echo "| $engine: dbclone against the floor on fresh data: suite $(ratio "$dm" "$ffloor"), whole run $(ratio "$wm" "$ffloor") | | | | | |"
  fi
  unset result fails
done
rm -f /tmp/dbclone-suite-$$.*
engines=" ${SUITE_ENGINES:-pg sqlite mysql} "
[[ $engines != *" pg "* ]] || psql -X -q -d postgres -c "DROP DATABASE bench_suite"
[[ $engines != *" mysql "* ]] || my -e "DROP DATABASE bench_suite"
rm -rf "$work"
