#!/usr/bin/env bash
# Hand-out latency per engine: a plain connect, a boundary with synchronous
# cloning (per process), and a boundary in a shared run with a warm pool.
# Needs the throwaway servers (PGHOST..., MYSQL_UNIX_PORT). Prints Markdown
# table rows: medians of RUNS with min-max, ratios against the plain connect
# of the same engine in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-9}
py=/usr/bin/python3
lib=$PWD/build/libdbclone.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. tests/bench/lib.sh

# Sources: 40 small tables each.
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_handout" -c "CREATE DATABASE bench_handout"
for i in $(seq 40); do echo "CREATE TABLE t$i (id int PRIMARY KEY, v text); INSERT INTO t$i SELECT g, 'x' FROM generate_series(1, 20) g;"; done |
  psql -X -q -d bench_handout
mariadb -uroot -S "$MYSQL_UNIX_PORT" -e "DROP DATABASE IF EXISTS bench_handout; CREATE DATABASE bench_handout"
for i in $(seq 40); do echo "CREATE TABLE t$i (id INT PRIMARY KEY, v TEXT); INSERT INTO t$i SELECT seq, 'x' FROM seq_1_to_20;"; done |
  mariadb -uroot -S "$MYSQL_UNIX_PORT" bench_handout
for i in $(seq 40); do echo "CREATE TABLE t$i (id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 20) INSERT INTO t$i SELECT i, 'x' FROM n;"; done |
  sqlite3 "$work/bench.db"

for engine in pg sqlite mysql; do
  src=bench_handout
  [ "$engine" = sqlite ] && src=$work/bench.db
  plain=$("$py" tests/bench/handout.py "$engine" "$src" "$runs" 0 | median)
  sync=$(LD_PRELOAD=$lib DBCLONE_DIR=$work/clones "$py" tests/bench/handout.py "$engine" "$src" "$runs" 0 | median)
  warm=$(DBCLONE_DIR=$work/clones build/dbclone run --pool 4 -- "$py" tests/bench/handout.py "$engine" "$src" "$runs" 0.5 2>/dev/null | median)
  read -r pm pmin pmax <<< "$plain"
  read -r sm smin smax <<< "$sync"
  read -r wm wmin wmax <<< "$warm"
  ratio() { awk -v a="$1" -v b="$pm" 'BEGIN {printf "%.2f", a / b}'; }
  echo "| $engine: plain connect (boundary floor) | $pm ms ($pmin-$pmax) | 1.00 |"
  echo "| $engine: boundary, synchronous clone (per process) | $sm ms ($smin-$smax) | $(ratio "$sm") |"
  echo "| $engine: boundary, warm pool (dbclone run) | $wm ms ($wmin-$wmax) | $(ratio "$wm") |"
done
psql -X -q -d postgres -c "DROP DATABASE bench_handout"
mariadb -uroot -S "$MYSQL_UNIX_PORT" -e "DROP DATABASE bench_handout"
