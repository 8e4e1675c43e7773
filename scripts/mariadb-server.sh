#!/usr/bin/env bash
# A throwaway MariaDB server for tests and benchmarks.
#
#   scripts/mariadb-server.sh start DIR   install a data directory in DIR,
#                                         start, print the environment to
#                                         reach it (eval it)
#   scripts/mariadb-server.sh stop DIR    stop it and remove DIR
#
# It listens on a Unix socket in DIR and on a loopback port; root@localhost
# has no password. Durability is traded for speed (no binlog, no flush at
# commit).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || {
  echo "dbclone: no mariadbd; run scripts/install-deps.sh" >&2; exit 1; }
export PATH=$PATH:/usr/sbin

. "$(dirname "$0")/lib.sh"

case "$cmd" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  user=$(id -un)
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
    --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 || {
    cat "$dir/install.log" >&2; exit 1; }
  port=$(free_port)
  mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" \
    --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
    --user="$user" --log-error="$dir/error.log" --skip-log-bin \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --innodb-buffer-pool-size=256M --skip-name-resolve --event-scheduler=OFF \
    --max-connections=300 >/dev/null 2>&1 &
  for _ in $(seq 300); do
    [ -S "$dir/mysqld.sock" ] && break
    sleep 0.1
  done
  [ -S "$dir/mysqld.sock" ] || { cat "$dir/error.log" >&2; exit 1; }
  echo "export MYSQL_UNIX_PORT=$dir/mysqld.sock MYSQL_TCP_PORT=$port DBCLONE_TEST_MYSQL_DIR=$dir"
  ;;
stop)
  if [ -f "$dir/mysqld.pid" ]; then
    pid=$(cat "$dir/mysqld.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
