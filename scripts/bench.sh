#!/usr/bin/env bash
# make bench: the benchmarks, on throwaway servers, written to
# bench/RESULTS.md (linked from the README) with the plot bench/isolation.png.
# Medians of RUNS (default 5) runs with min-max, HANDOUT_RUNS (40) with p95
# for plain connects and warm boundaries; every ratio is taken within the
# same run.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
work=$(mktemp -d "$(server_base)/dbclone-bench.XXXXXX")
chmod 755 "$work"
trap 'scripts/mariadb-server.sh stop "$work/mariadb" >/dev/null 2>&1 || true
      scripts/pg-server.sh stop "$work/pg" >/dev/null 2>&1 || true
      rm -rf "$work"' EXIT
eval "$(scripts/mariadb-server.sh start "$work/mariadb")"
eval "$(scripts/pg-server.sh start "$work/pg")"
start=$(date +%s)

mkdir -p bench
out=bench/RESULTS.md
{
  echo "# dbclone benchmarks"
  echo
  echo "Written by \`make bench\` on $(date -u +%Y-%m-%d), $(nproc) cores, Linux $(uname -r);"
  echo "the throwaway servers' data on $(stat -f -c %T "$work") ($work is under $(server_base))."
  echo "Medians of ${RUNS:-5} runs (${HANDOUT_RUNS:-40} for plain connects and warm-pool"
  echo "boundaries, with their p95), min-max in brackets; every ratio is taken within the same run."
  echo
  echo "## The cost of one isolated test"
  echo
  echo "From the test's boundary to a connected handle on fresh data that has run"
  echo "one query (\`SELECT 1\`), per engine and source size. Ratios (x) are against"
  echo "the first floor of the same engine and size: the raw clone done in the"
  echo "process, on an open session, then a connect. The floor by the command-line"
  echo "tool includes starting the tool. The fixture data of *reload* and *scratch*"
  echo "is in the client before the timing starts, loaded with each engine's"
  echo "fastest loader (PostgreSQL COPY, MariaDB INSERTs of 1,000 rows, SQLite"
  echo "executemany in one transaction). dbclone's boundaries leave 0.2 s (per"
  echo "process) or 3 times a clone (warm pool, 2 ready clones) between tests, as"
  echo "a test would: the last clone is dropped, and the pool refilled, meanwhile."
  echo "Every baseline is timed after the same pause as what it is compared with"
  echo "(a plain SQLite open costs 0.05 ms back to back, 0.2 ms after a pause)."
  echo "A warm boundary in a run claims the clone its process was offered without"
  echo "asking the run (after the run's first answer to it)."
  echo
  echo "Targets: dbclone per process at most 1.2x the raw clone; a warm-pool"
  echo "boundary at most 1.2x a plain connect at p50 and 2x at p95."
  tests/bench/isolation.sh "$work"
  echo
  echo "![one isolated test, per engine and size](isolation.png)"
  echo
  echo "## MariaDB: the in-server copy against a dump and reload"
  echo
  echo "Target: at most 0.6 of \`mariadb-dump | mariadb\`."
  echo
  echo "| what | time | ratio |"
  echo "| --- | --- | --- |"
  tests/bench/mariadb_clone.sh
  echo
  echo "## A suite like CloneDbTestCase's"
  echo
  echo "50 tests on a 100,000-row table, each updating or deleting rows in"
  echo "autocommit mode and then checking counts, on each engine, medians of"
  echo "${RUNS:-5} runs (2 for MariaDB). Ratios: against no isolation at all (whose"
  echo "tests see each other's writes and fail), against the floor (the longer of"
  echo "no isolation and the 50 clones the suite needs made one after the other,"
  echo "which is what the pool can do on the core the tests leave on 2 cores),"
  echo "and against reload-per-test (empty the table, then INSERT from a fixture"
  echo "copy in the same database). Targets: the whole \`dbclone run\` at most 1.6x"
  echo "no isolation, or within 1.2x of the floor where the floor is higher."
  echo "The floor's clones use the faster STRATEGY on PostgreSQL 15+. On"
  echo "PostgreSQL also the same tests each on a fresh copy made beforehand (a"
  echo "copy starts with a cold buffer cache), and the floor on fresh data."
  echo
  echo "| what | wall time | x no isolation | x floor | x reload | outcome |"
  echo "| --- | --- | --- | --- | --- | --- |"
  tests/bench/suite.sh | tee "$work/suite.md"
  echo
  echo "## PostgreSQL: WAL_LOG or FILE_COPY"
  echo
  echo "CREATE DATABASE ... TEMPLATE on one open session, medians of ${RUNS:-5} copies"
  echo "each; the data in memory (the bench server) and on disk (a second"
  echo "throwaway server under /var/tmp; both with the throwaway servers'"
  echo "non-durable settings). dbclone tries FILE_COPY, then WAL_LOG, on copies of"
  echo "each template that run alone, and keeps the faster (PostgreSQL 15+)."
  echo
  echo "| data | source | WAL_LOG | FILE_COPY | faster |"
  echo "| --- | --- | --- | --- | --- |"
  tests/bench/pg_strategy.sh
  echo
  tests/bench/setup.sh
  echo "## Overheads"
  echo
  echo "Targets: a reconnect at most 1.1x a plain connect; at most 1 MiB added to a"
  echo "host process."
  echo
  echo "| what | value | ratio |"
  echo "| --- | --- | --- |"
  tests/bench/overheads.sh
  tests/bench/sizes.sh "$work"
  echo
  echo "The whole of \`make bench\` took $(( $(date +%s) - start )) s."
} > "$out.tmp"
mv "$out.tmp" "$out"

# The plot: per engine and size, every method's median (log scale).
gnuplot <<GNUPLOT
set terminal png size 1400,600
set output "bench/isolation.png"
set title "One isolated test: boundary to a connected handle on fresh data (median ms, log scale)"
set style data histograms
set style histogram clustered gap 2
set style fill solid 0.85 border -1
set logscale y
set ylabel "ms"
set xtics rotate by -20
set key outside right top vertical
plot "$work/isolation.dat" using 2:xtic(1) title "plain connect (no isolation)", \
     "" using 3 title "raw clone + connect (floor)", \
     "" using 4 title "raw clone by the tool", \
     "" using 5 title "dbclone, per process", \
     "" using 6 title "dbclone run, warm pool", \
     "" using 7 title "truncate + reload", \
     "" using 8 title "schema from scratch + load"
GNUPLOT
cat "$out"
