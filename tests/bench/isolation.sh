#!/usr/bin/env bash
# The cost of one isolated test, per engine and source size: dbclone (per
# process and with a warm pool), the raw clone it builds on, and what
# people do today (truncate and reload, schema from scratch). Needs the
# throwaway servers (PGHOST..., MYSQL_UNIX_PORT) and a work directory:
#
#   isolation.sh WORKDIR
#
# ENGINES (default: sqlite pg mysql) picks engines. Prints, per engine, a
# Markdown table (medians with min-max, and the 95th percentile for the
# plain connect and the warm pool, ratios against the raw clone of the
# same engine and size in the same run), and writes WORKDIR/isolation.dat
# for the plot: one line per engine and size, the medians of every method.
#
# Every timed boundary follows a pause, as between tests, and so does
# every baseline it is compared with: after a pause the caches are cold
# (a plain SQLite open: 0.05 ms back to back, 0.22 ms after 20 ms idle), so
# a baseline timed back to back would not be the same boundary. The raw
# clone, reload and scratch leave the per-process pause (0.2 s); the plain
# connect leaves the warm pool's shortest pause (0.3 s), never more than
# the warm pool's own.
#
# RUNS (default 5) runs per method; HANDOUT_RUNS (default 40) for the plain
# connect and the warm pool, whose 95th percentiles the targets name;
# SYNC_RUNS (default 9) for dbclone per process.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$1
runs=${RUNS:-5}
handout_runs=${HANDOUT_RUNS:-40}
sync_runs=${SYNC_RUNS:-9}
sync_pause=0.2
plain_pause=0.3
py=/usr/bin/python3
lib=$PWD/build/libdbclone.so
export DBCLONE_DIR=$work/clones
. tests/bench/lib.sh

sizes=${SIZES:-s40 100k 1m}
declare -A rows_of=([100k]=100000 [1m]=1000000)
declare -A label=([s40]="40 tables, 20 rows each" [100k]="100,000 rows" [1m]="1,000,000 rows")

# ---- sources ---------------------------------------------------------------
make_sources() { # size
  local size=$1 n
  recreate_pg_db "bench_$size"
  recreate_mysql_db "bench_$size"
  rm -f "$work/bench_$size.db"
  if [ "$size" = s40 ]; then
    for i in $(seq 40); do echo "CREATE TABLE t$i (id int PRIMARY KEY, v text); INSERT INTO t$i SELECT g, 'value ' || g FROM generate_series(1, 20) g;"; done |
      psql -X -q -d bench_s40
    for i in $(seq 40); do echo "CREATE TABLE t$i (id INT PRIMARY KEY, v TEXT); INSERT INTO t$i SELECT seq, CONCAT('value ', seq) FROM seq_1_to_20;"; done |
      my bench_s40
    for i in $(seq 40); do echo "CREATE TABLE t$i (id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) INSERT INTO t$i SELECT i, 'value ' || i FROM n;"; done |
      sqlite3 "$work/bench_s40.db"
  else
    n=${rows_of[$size]}
    psql -X -q -d "bench_$size" -c "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, name text);
      INSERT INTO items SELECT g, 1, 'item ' || g FROM generate_series(1, $n) g"
    my "bench_$size" -e "CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL, name VARCHAR(40));
      INSERT INTO items SELECT seq, 1, CONCAT('item ', seq) FROM seq_1_to_$n"
    sqlite3 "$work/bench_$size.db" "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INT NOT NULL, name TEXT);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n) INSERT INTO items SELECT i, 1, 'item ' || i FROM n"
  fi
  psql -X -q -d "bench_$size" -c "VACUUM ANALYZE"
  settle
}

# Lets the servers write out and purge what came before (PostgreSQL's
# checkpoint, InnoDB's purge of dropped copies), so that it does not slow
# what is timed next.
settle() {
  psql -X -q -d postgres -c "CHECKPOINT"
  sleep 2
}

drop_sources() { # size
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_$1"
  my -e "DROP DATABASE IF EXISTS bench_$1"
  rm -f "$work/bench_$1.db"
}

# ---- the tools' floors, timed from the shell (process start included) --------
tool_floor() { # engine size: one line per run, ms
  local engine=$1 size=$2 a
  for _ in $(seq "$runs"); do
    case $engine in
    pg)
      a=$(now_ns)
      psql -X -q -d postgres -c "CREATE DATABASE bench_tool TEMPLATE bench_$size"
      ms_since "$a"
      psql -X -q -d postgres -c "DROP DATABASE bench_tool" ;;
    sqlite)
      a=$(now_ns)
      cp "$work/bench_$size.db" "$work/bench_tool.db"
      ms_since "$a"
      rm -f "$work/bench_tool.db" ;;
    mysql)
      my -e "CREATE DATABASE bench_tool"
      a=$(now_ns)
      mariadb-dump -uroot -S "$MYSQL_UNIX_PORT" --single-transaction --routines \
        --triggers --events "bench_$size" | my bench_tool
      ms_since "$a"
      my -e "DROP DATABASE bench_tool" ;;
    esac
  done
}

declare -A tool_name=(
  [pg]='`psql -c "CREATE DATABASE ... TEMPLATE"`'
  [sqlite]='`cp` (copy_file_range)'
  [mysql]='`mariadb-dump | mariadb`')
declare -A raw_name=(
  [pg]='CREATE DATABASE ... TEMPLATE on an open session, then connect'
  [sqlite]='copy_file_range in the process, then open'
  [mysql]='CREATE TABLE ... LIKE + INSERT ... SELECT per table, then connect')

methods="plain raw tool sync warm reload scratch"
# Measured in this order: the warm pool's pause follows the clone's time.
measure_order="raw tool sync warm plain reload scratch"
declare -A method_name=(
  [plain]="plain connect to the source (no isolation)"
  [tool]="floor: the tool"
  [sync]="**dbclone, per process** (synchronous clone)"
  [warm]="**dbclone run, warm pool**"
  [reload]="truncate every table, reload the fixture data"
  [scratch]="new database, schema from scratch, load the fixture data")

# Reads one number per line; prints "median min max p95" (p95: the
# nearest rank, ceil(0.95 n), of the sorted values).
median_p95() {
  sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2
    r = int(0.95 * NR); if (r < 0.95 * NR) r++
    printf "%.2f %.2f %.2f %.2f", m, a[1], a[NR], a[r]}'
}

measure() { # engine size method: "median min max [p95]"
  local engine=$1 size=$2 method=$3 src=bench_$2 pause
  [ "$engine" = sqlite ] && src=$work/bench_$size.db
  case $method in
  plain) "$py" tests/bench/handout.py "$engine" "$src" "$handout_runs" "$plain_pause" | median_p95 ;;
  sync)
    # A pause, as between tests: the last clone is dropped in the
    # background meanwhile (the raw floor drops its copy untimed too).
    LD_PRELOAD=$lib "$py" tests/bench/handout.py "$engine" "$src" "$sync_runs" "$sync_pause" | median ;;
  warm)
    # Room between boundaries for the pool to refill, as between tests.
    pause=$(awk -v s="${sync_ms[$engine$size]}" -v min="$plain_pause" 'BEGIN {p = 3 * s / 1000; printf "%.2f", p < min ? min : p}')
    build/dbclone run --pool 2 -- "$py" tests/bench/handout.py "$engine" "$src" \
      "$handout_runs" "$pause" 2>"$work/warm-$engine-$size.err" | median_p95 ;;
  tool) tool_floor "$engine" "$size" | median ;;
  *) "$py" tests/bench/isolation.py "$engine" "$method" "$src" "$runs" "$sync_pause" | median ;;
  esac
}

# Sources are made a size at a time, and the servers settle between
# engines: SQLite first, MariaDB last (dropping its big copies keeps
# InnoDB busy for a while).
engines=${ENGINES:-sqlite pg mysql}
declare -A result sync_ms
for size in $sizes; do
  make_sources "$size"
  for engine in $engines; do
    for method in $measure_order; do
      result[$engine$size$method]=$(measure "$engine" "$size" "$method")
      [ "$method" = sync ] && sync_ms[$engine$size]=${result[$engine$size$method]%% *}
    done
    settle
  done
  drop_sources "$size"
done

declare -A engine_name=([pg]=PostgreSQL [mysql]=MariaDB [sqlite]=SQLite)
: > "$work/isolation.dat"
for engine in $engines; do
  echo
  echo "### ${engine_name[$engine]}"
  echo
  echo "| method | ${label[s40]} | ${label[100k]} | ${label[1m]} |"
  echo "| --- | --- | --- | --- |"
  for method in $methods; do
    name=${method_name[$method]:-}
    [ "$method" = raw ] && name="floor: ${raw_name[$engine]}"
    [ "$method" = tool ] && name="floor: ${tool_name[$engine]}"
    line="| $name |"
    for size in $sizes; do
      read -r m lo hi p95 <<< "${result[$engine$size$method]}"
      read -r floor _ _ <<< "${result[${engine}${size}raw]}"
      line="$line $m ms ($lo-$hi)${p95:+, p95 $p95 ms}, $(ratio "$m" "$floor")x |"
    done
    echo "$line"
  done
  echo
  for size in $sizes; do
    read -r p _ _ p95 <<< "${result[${engine}${size}plain]}"
    read -r r _ _ <<< "${result[${engine}${size}raw]}"
    read -r s _ _ <<< "${result[${engine}${size}sync]}"
    read -r w _ _ w95 <<< "${result[${engine}${size}warm]}"
    read -r l _ _ <<< "${result[${engine}${size}reload]}"
    echo "- ${label[$size]}: per process $(ratio "$s" "$r")x the raw clone (target <= 1.2);" \
      "warm pool $(ratio "$w" "$p")x a plain connect at p50 (target <= 1.2)," \
      "$(ratio "$w95" "$p95")x at p95 (target <= 2);" \
      "truncate and reload $(ratio "$l" "$w")x the warm pool"
    line="${engine_name[$engine]}-${size}"
    for method in $methods; do line="$line ${result[$engine$size$method]%% *}"; done
    echo "$line" >> "$work/isolation.dat"
  done
done
