#!/usr/bin/env bash
# make demo: the same legacy suite twice on the same sample database, first
# plainly, then under dbclone run, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

work=$(mktemp -d "${TMPDIR:-/tmp}/dbclone-demo.XXXXXX")
chmod 755 "$work"
trap 'scripts/pg-server.sh stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
echo "starting a throwaway PostgreSQL server in $work/pg ..."
eval "$(scripts/pg-server.sh start "$work/pg")"

export PGOPTIONS="-c client_min_messages=warning"
sample() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS shop" -c "CREATE DATABASE shop"
  psql -X -q -d shop -c "CREATE TABLE items (id serial PRIMARY KEY, name text UNIQUE, stock int);
    INSERT INTO items (name, stock) VALUES ('widget', 10), ('gadget', 10), ('doohickey', 10)"
}
checksum() {
  psql -X -qtA -d shop -c "SELECT md5(string_agg(items::text, ',' ORDER BY id)) FROM items"
}

sample
before=$(checksum)
plain_status=0
demo/pg_suite.sh shop > "$work/plain.txt" || plain_status=$?
plain_sum=$(checksum)

sample
dbclone_status=0
build/dbclone run -- demo/pg_suite.sh shop > "$work/dbclone.txt" || dbclone_status=$?
dbclone_sum=$(checksum)
left=$(psql -X -qtA -d postgres -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbclone\_%'")

printf '\n%-50s %s\n' "plain (tests share the database)" "under dbclone run (a clone per test)"
printf '%-50s %s\n' "--------------------------------" "------------------------------------"
paste -d'|' "$work/plain.txt" "$work/dbclone.txt" | while IFS='|' read -r a b; do
  printf '%-50.50s %s\n' "$a" "$b"
done
verdict() { [ "$1" = 0 ] && echo "suite passed" || echo "suite FAILED"; }
changed() { [ "$1" = "$before" ] && echo "sample data unchanged" || echo "sample data CHANGED"; }
printf '%-50s %s\n' "$(verdict $plain_status)" "$(verdict $dbclone_status)"
printf '%-50s %s\n' "$(changed "$plain_sum")" "$(changed "$dbclone_sum")"
printf '%-50s %s\n' "" "clones left behind: $left"
[ "$dbclone_status" = 0 ] && [ "$dbclone_sum" = "$before" ] && [ "$left" = 0 ]
