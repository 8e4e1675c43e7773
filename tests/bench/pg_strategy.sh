#!/usr/bin/env bash
# PostgreSQL's two copy strategies (CREATE DATABASE ... STRATEGY) on the
# bench server (data in memory) and on a second throwaway server whose
# data is on disk: the choice dbclone makes per template (backends/engine/
# pg.c times its first copy with each and keeps the faster) is measured
# here on both. Rows of a markdown table; RUNS copies each.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
runs=${RUNS:-5}
/usr/bin/python3 tests/bench/pg_strategy.py "memory ($(stat -f -c %T "$PGHOST"))" "$runs"
disk=$(mktemp -d /var/tmp/dbclone-strategy.XXXXXX)
chmod 755 "$disk"
trap 'scripts/pg-server.sh stop "$disk/pg" >/dev/null 2>&1 || true; rm -rf "$disk"' EXIT
(
  eval "$(scripts/pg-server.sh start "$disk/pg")"
  /usr/bin/python3 tests/bench/pg_strategy.py "disk ($(stat -f -c %T "$disk"))" "$runs"
)
