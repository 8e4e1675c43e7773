#!/usr/bin/env bash
# How the cost of one isolated test grows with the source's size, per
# engine and method, from about 1 MB to 1 GB; then MariaDB's ways of
# cloning a frozen copy (a golden) at 1,000,000 rows, against its targets.
# Needs the throwaway servers (PGHOST..., MYSQL_UNIX_PORT) and a work
# directory:
#
#   sizes.sh WORKDIR
#
# Prints the Markdown section for bench/RESULTS.md and draws
# bench/sizes.png (log-log). Bounded for make bench (about 10 minutes on 2
# cores): RUNS (default 3) runs up to 100 MB, one above; truncate and
# reload only up to 100 MB (above, the fixture data alone is a gigabyte in
# the client, and one reload takes minutes). SIZE_ROWS overrides the row
# counts (default 7,000 to 7,000,000 rows of about 150 bytes: about 1, 3,
# 10, 100 and 1,000 MB; 300 MB is left out for time).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$1
runs=${RUNS:-3}
py=/usr/bin/python3
lib=$PWD/build/libdbclone.so
export DBCLONE_DIR=$work/clones
. tests/bench/lib.sh

size_rows=${SIZE_ROWS:-7000 20000 70000 700000 7000000}
big_rows=700000 # above: one run, no reload
engines="sqlite pg mysql"

# ---- sources: items(id, qty, name), about 150 bytes a row ------------------
make_source() { # engine rows
  local engine=$1 n=$2
  case $engine in
  pg)
    recreate_pg_db bench_size
    psql -X -q -d bench_size -c "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, name text);
      INSERT INTO items SELECT g, 1, 'item ' || g || repeat('x', 120) FROM generate_series(1, $n) g" \
      -c "VACUUM ANALYZE" -c "CHECKPOINT" ;;
  mysql)
    recreate_mysql_db bench_size
    my bench_size -e "CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL, name VARCHAR(140));
      INSERT INTO items SELECT seq, 1, CONCAT('item ', seq, REPEAT('x', 120)) FROM seq_1_to_$n; ANALYZE TABLE items" >/dev/null ;;
  sqlite)
    rm -f "$work/bench_size.db"
    sqlite3 "$work/bench_size.db" "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INT NOT NULL, name TEXT);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n)
      INSERT INTO items SELECT i, 1, 'item ' || i || printf('%.120c', 'x') FROM n" ;;
  esac
}

source_mb() { # engine: the table's size with its index, MB
  local bytes
  case $1 in
  pg) bytes=$(psql -X -qtA -d bench_size -c "SELECT pg_total_relation_size('items')") ;;
  mysql) bytes=$(my -N -B -e "SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES
                              WHERE TABLE_SCHEMA = 'bench_size' AND TABLE_NAME = 'items'") ;;
  sqlite) bytes=$(stat -c %s "$work/bench_size.db") ;;
  esac
  awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1048576}'
}

drop_source() {
  case $1 in
  pg) psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_size" ;;
  mysql) my -e "DROP DATABASE IF EXISTS bench_size" ;;
  sqlite) rm -f "$work/bench_size.db" ;;
  esac
}

# Lets the servers write out and purge what came before.
settle() {
  psql -X -q -d postgres -c "CHECKPOINT"
  sleep 2
}

# ---- one method: "median min max" ms ----------------------------------------
measure() { # engine method rows
  local engine=$1 method=$2 n=$3 src=bench_size r=$runs
  [ "$engine" = sqlite ] && src=$work/bench_size.db
  [ "$n" -gt "$big_rows" ] && r=1
  case $method in
  # The same pause before each as before dbclone's boundaries: a floor
  # timed back to back would run on warm caches (isolation.sh).
  raw|reload) "$py" tests/bench/isolation.py "$engine" "$method" "$src" "$r" 0.2 | median ;;
  sync) LD_PRELOAD=$lib "$py" tests/bench/handout.py "$engine" "$src" "$r" 0.2 | median ;;
  # Tests that last a second each: the pool keeps up, or the wait shows.
  warm) build/dbclone run --pool 2 -- "$py" tests/bench/handout.py "$engine" "$src" \
          "$r" 1 2>"$work/sizes-warm-$engine-$n.err" | median ;;
  # MariaDB only: a clone of a frozen copy, the operation itself.
  files) build/tests/mysql_clone_timer "$src" "$r" files | median ;;
  esac
}

declare -A methods=([pg]="raw sync warm reload" [sqlite]="raw sync warm reload"
                    [mysql]="raw sync warm reload files")
declare -A method_name=(
  [raw]="raw clone, then connect (the floor)"
  [sync]="**dbclone, per process**"
  [warm]="**dbclone run, warm pool** (tests of 1 s)"
  [reload]="truncate and reload"
  [files]="clone of the golden by files (the pool's way; the operation alone)")
declare -A engine_name=([pg]=PostgreSQL [mysql]=MariaDB [sqlite]=SQLite)
declare -A result mb

for engine in $engines; do
  : > "$work/sizes-$engine.dat"
  for n in $size_rows; do
    make_source "$engine" "$n"
    mb[$engine$n]=$(source_mb "$engine")
    line=${mb[$engine$n]}
    for method in raw sync warm reload files; do
      v=-
      if [[ " ${methods[$engine]} " == *" $method "* ]] &&
         { [ "$method" != reload ] || [ "$n" -le "$big_rows" ]; }; then
        result[$engine$n$method]=$(measure "$engine" "$method" "$n")
        v=${result[$engine$n$method]%% *}
      fi
      line="$line $v"
    done
    echo "$line" >> "$work/sizes-$engine.dat"
    drop_source "$engine"
    settle
  done
done

# ---- the tables ---------------------------------------------------------------
echo
echo "## The cost against the source's size"
echo
echo "One table, items(id, qty, name) of about 150 bytes a row, from about 1 MB to 1 GB (its"
echo "data and index as each engine stores them), timed as above from the boundary to a"
echo "connected handle that has run one query. The warm pool serves tests of 1 s each: where"
echo "a clone takes longer, the wait shows. Medians of $runs runs up to 100 MB (min-max), one"
echo "run above; truncate-and-reload up to 100 MB only (above, the fixture data alone is a"
echo "gigabyte in the client). MariaDB's buffer pool is 256 MB: above it, its copies write out"
echo "pages as they go. Drawn in [sizes.png](sizes.png)."
for engine in $engines; do
  echo
  echo "### ${engine_name[$engine]}: time against size"
  echo
  line="| method |"; sep="| --- |"
  for n in $size_rows; do line="$line ${mb[$engine$n]} MB ($n rows) |"; sep="$sep --- |"; done
  echo "$line"; echo "$sep"
  for method in ${methods[$engine]}; do
    line="| ${method_name[$method]} |"
    for n in $size_rows; do
      if [ -n "${result[$engine$n$method]:-}" ]; then
        read -r m lo hi <<< "${result[$engine$n$method]}"
        line="$line $m ms ($lo-$hi) |"
      else
        line="$line not measured |"
      fi
    done
    echo "$line"
  done
done

# ---- MariaDB's ways at 1,000,000 rows -----------------------------------------
# The source of the isolation benchmark (one table), and the same rows in
# four tables (where several connections have tables to share).
recreate_mysql_db bench_paths1
my bench_paths1 -e "CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL, name VARCHAR(40));
  INSERT INTO items SELECT seq, 1, CONCAT('item ', seq) FROM seq_1_to_1000000"
recreate_mysql_db bench_paths4
for i in 1 2 3 4; do
  my bench_paths4 -e "CREATE TABLE items$i (id INT PRIMARY KEY, qty INT NOT NULL, name VARCHAR(40));
    INSERT INTO items$i SELECT seq, 1, CONCAT('item ', seq) FROM seq_1_to_250000"
done
settle
paths_runs=${RUNS:-5}
declare -A path
for src in bench_paths1 bench_paths4; do
  for how in copy files connections; do
    path[$src$how]=$(build/tests/mysql_clone_timer "$src" "$paths_runs" "$how" | median)
  done
done
my -e "DROP DATABASE bench_paths1; DROP DATABASE bench_paths4"

echo
echo "### MariaDB: a clone of a frozen copy (a run's golden), 1,000,000 rows"
echo
echo "The operation itself (mysql_clone_timer, each run after InnoDB has written out the last"
echo "one's pages), medians of $paths_runs. Targets: by files at most 0.25x the one-connection"
echo "in-server copy; over several connections at most 0.6x. Several connections share"
echo "tables, never one table (InnoDB loads an empty table in bulk, and holds it meanwhile):"
echo "a source of one table gains nothing from them."
echo
echo "| way | one table of 1,000,000 rows | ratio | four tables of 250,000 rows | ratio |"
echo "| --- | --- | --- | --- | --- |"
declare -A how_name=([copy]="one connection, INSERT ... SELECT (before)"
                     [files]="by files: export once, IMPORT TABLESPACE"
                     [connections]="over several connections, no file access")
for how in copy files connections; do
  line="| ${how_name[$how]} |"
  for src in bench_paths1 bench_paths4; do
    read -r m lo hi <<< "${path[$src$how]}"
    read -r base _ _ <<< "${path[${src}copy]}"
    line="$line $m ms ($lo-$hi) | $(ratio "$m" "$base")x |"
  done
  echo "$line"
done

# ---- the plot: one panel per engine, log-log ------------------------------------
gnuplot <<GNUPLOT
set terminal png size 1500,520
set output "bench/sizes.png"
set multiplot layout 1,3 title "One isolated test against the source's size (median ms; log-log)"
set logscale xy
set xlabel "source table and index (MB)"
set ylabel "ms"
set key inside left top vertical Left reverse
set datafile missing "-"
set style data linespoints
set title "SQLite"
plot "$work/sizes-sqlite.dat" using 1:2 title "raw clone", "" using 1:3 title "dbclone, per process", \
     "" using 1:4 title "dbclone run, warm pool", "" using 1:5 title "truncate + reload"
set title "PostgreSQL"
plot "$work/sizes-pg.dat" using 1:2 title "raw clone", "" using 1:3 title "dbclone, per process", \
     "" using 1:4 title "dbclone run, warm pool", "" using 1:5 title "truncate + reload"
set title "MariaDB"
plot "$work/sizes-mysql.dat" using 1:2 title "raw clone (one connection)", "" using 1:3 title "dbclone, per process", \
     "" using 1:4 title "dbclone run, warm pool", "" using 1:5 title "truncate + reload", \
     "" using 1:6 title "clone of the golden by files"
unset multiplot
GNUPLOT
echo
echo "![one isolated test against the source's size, per engine](sizes.png)"
