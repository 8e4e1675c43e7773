#!/usr/bin/env bash
# The 50-test suite on PostgreSQL three ways (tests/bench/suite.py): wall
# time medians of RUNS and ratios, as Markdown table rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-5}
py=/usr/bin/python3

setup() {
  recreate_pg_db bench_suite
  psql -X -q -d bench_suite -c "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, name text);
    INSERT INTO items SELECT g, 1, 'item ' || g FROM generate_series(1, 100000) g;
    CREATE TABLE fixture_items AS SELECT * FROM items" -c "VACUUM ANALYZE"
}
. tests/bench/lib.sh

declare -A result fails
for mode in none reload dbclone; do
  : > /tmp/dbclone-suite-$$.$mode
  for _ in $(seq "$runs"); do
    setup
    if [ "$mode" = dbclone ]; then
      build/dbclone run -- "$py" tests/bench/suite.py bench_suite dbclone 2>/dev/null
    else
      "$py" tests/bench/suite.py bench_suite "$mode"
    fi >> /tmp/dbclone-suite-$$.$mode
  done
  result[$mode]=$(awk '{print $6}' /tmp/dbclone-suite-$$.$mode | median)
  fails[$mode]=$(awk '{print $4}' /tmp/dbclone-suite-$$.$mode | sort -n | tail -n1)
done
read -r rm _ _ <<< "${result[reload]}"
for mode in none reload dbclone; do
  read -r m lo hi <<< "${result[$mode]}"
  echo "| 50 tests, 100,000 rows: $mode | ${m} s ($lo-$hi) | $(ratio "$m" "$rm") | ${fails[$mode]} of 50 failed |"
done
rm -f /tmp/dbclone-suite-$$.*
psql -X -q -d postgres -c "DROP DATABASE bench_suite"
