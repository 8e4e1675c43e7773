#!/usr/bin/env bash
# make demo: the same legacy suite twice on the same sample SQLite file,
# first plainly, then under dbclone run, side by side. Needs no server and
# no root.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/dbclone-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
db=$work/shop.db
# The demo's own clone directory, so "no clone left" means exactly that.
export DBCLONE_DIR=$work/clones

for tool in sqlite3 /usr/bin/python3; do
  command -v "$tool" >/dev/null || {
    echo "dbclone: the demo needs $tool; run scripts/install-deps.sh (or make check)" >&2
    exit 1; }
done

sample() {
  rm -f "$db"
  sqlite3 "$db" "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, stock INT);
    INSERT INTO items (name, stock) VALUES ('widget', 10), ('gadget', 10), ('doohickey', 10);"
}
checksum() { sha256sum "$db" | cut -c1-8; }

sample
before=$(checksum)
plain_status=0
demo/suite.sh "$db" > "$work/plain.txt" || plain_status=$?
plain_sum=$(checksum)

sample
before=$(checksum)
dbclone_status=0
build/dbclone run -- demo/suite.sh "$db" > "$work/dbclone.txt" || dbclone_status=$?
dbclone_sum=$(checksum)
left=$(find "$DBCLONE_DIR" -type f 2>/dev/null | wc -l)

printf '\n%-50s %s\n' "plain (tests share the file)" "under dbclone run (a copy per test)"
printf '%-50s %s\n' "----------------------------" "-----------------------------------"
paste -d'|' "$work/plain.txt" "$work/dbclone.txt" | while IFS='|' read -r a b; do
  printf '%-50.50s %s\n' "$a" "$b"
done
verdict() { [ "$1" = 0 ] && echo "suite passed" || echo "suite FAILED"; }
printf '%-50s %s\n' "$(verdict $plain_status)" "$(verdict $dbclone_status)"
state() { [ "$1" = "$before" ] && echo "sample file unchanged ($1)" || echo "sample file CHANGED ($before -> $1)"; }
printf '%-50s %s\n' "$(state "$plain_sum")" "$(state "$dbclone_sum")"
printf '%-50s %s\n' "" "clone files left behind: $left"
[ "$dbclone_status" = 0 ] && [ "$dbclone_sum" = "$before" ] && [ "$left" = 0 ] && [ "$plain_status" != 0 ]
