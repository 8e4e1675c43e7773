#!/usr/bin/env bash
# MariaDB: dbclone's in-server copy against `mariadb-dump | mariadb` on the
# same source (40 small tables; one table of 100,000 rows). Needs a running
# server (MYSQL_UNIX_PORT). Prints a Markdown table row per method and the
# ratio, medians of RUNS runs with min-max.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-5}
. tests/bench/lib.sh

src=bench_src
recreate_mysql_db "$src"
{
  for i in $(seq 1 40); do
    echo "CREATE TABLE small_$i (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NOT NULL DEFAULT 0, KEY by_name (name)) ENGINE=InnoDB;"
    echo "INSERT INTO small_$i (name, qty) SELECT CONCAT('item', seq), seq FROM seq_1_to_20;"
  done
  echo "CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, customer INT NOT NULL, amount DECIMAL(10,2) NOT NULL, note VARCHAR(64), KEY by_customer (customer)) ENGINE=InnoDB;"
  echo "INSERT INTO big (customer, amount, note) SELECT seq % 997, seq / 100, CONCAT('note ', seq) FROM seq_1_to_100000;"
} | my "$src"

dump_times=$(for i in $(seq "$runs"); do
  recreate_mysql_db bench_dump
  a=$(now_ns)
  mariadb-dump -uroot -S "$MYSQL_UNIX_PORT" --single-transaction --routines --triggers --events "$src" | my bench_dump
  ms_since "$a"
done | median)
my -e "DROP DATABASE IF EXISTS bench_dump"
clone_times=$(build/tests/mysql_clone_timer "$src" "$runs" | median)
my -e "DROP DATABASE $src"

read -r dm dmin dmax <<< "$dump_times"
read -r cm cmin cmax <<< "$clone_times"
echo "| MariaDB: \`mariadb-dump \| mariadb\` (40 small tables + 100,000 rows) | $dm ms ($dmin-$dmax) | 1.00 |"
echo "| MariaDB: dbclone in-server copy (same source) | $cm ms ($cmin-$cmax) | $(ratio "$cm" "$dm") |"
