#!/usr/bin/env bash
# Overheads on PostgreSQL: a reconnect inside one test against a plain
# connect; the memory the library adds to a host process (python3 with
# psycopg2, one connection); the supervisor's memory. Markdown table rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-9}
py=/usr/bin/python3
lib=$PWD/build/libdbclone.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. tests/bench/lib.sh

recreate_pg_db bench_over
# Alternating rounds, so that a slow spell of the machine falls on both.
for _ in 1 2 3 4 5; do
  "$py" tests/bench/handout.py pg bench_over "$runs" 0 >> "$work/plain"
  SAME_KEY=1 LD_PRELOAD=$lib "$py" tests/bench/handout.py pg bench_over "$runs" 0 >> "$work/again"
done
plain=$(median < "$work/plain")
again=$(median < "$work/again")
read -r pm pmin pmax <<< "$plain"
read -r am amin amax <<< "$again"
echo "| pg: plain connect (5 rounds of $runs, alternating) | $pm ms ($pmin-$pmax) | 1.00 |"
echo "| pg: reconnect inside one test (clone already made; 5 rounds of $runs) | $am ms ($amin-$amax) | $(ratio "$am" "$pm") |"

base=$(for _ in $(seq 5); do "$py" tests/bench/memory.py bench_over | cut -d' ' -f1; done | median)
with=$(for _ in $(seq 5); do LD_PRELOAD=$lib "$py" tests/bench/memory.py bench_over | cut -d' ' -f1; done | median)
sup=$(for _ in $(seq 5); do build/dbclone run -- "$py" tests/bench/memory.py bench_over parent 2>/dev/null | cut -d' ' -f2; done | median)
read -r bm _ _ <<< "$base"
read -r wm _ _ <<< "$with"
read -r sm smin smax <<< "$sup"
echo "| memory: python3 + psycopg2, one connection | ${bm%.*} KiB | |"
echo "| memory: the same under the library (added) | ${wm%.*} KiB (+$(awk -v a="$wm" -v b="$bm" 'BEGIN {printf "%d", a - b}') KiB) | |"
echo "| memory: the run supervisor (RSS) | ${sm%.*} KiB (${smin%.*}-${smax%.*}) | |"
psql -X -q -d postgres -c "DROP DATABASE bench_over"
