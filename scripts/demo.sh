#!/usr/bin/env bash
# make demo: the same legacy suite twice on the same sample SQLite file,
# first plainly, then under dbclone run, side by side. Needs no server and
# no root. DBCLONE and DBCLONE_DEMO name the command and the suite to use
# (default: this tree's build/dbclone and demo/suite.sh; the package test
# gives the installed ones).
set -euo pipefail
cd "$(dirname "$0")/.."
dbclone=${DBCLONE:-build/dbclone}
suite=${DBCLONE_DEMO:-demo/suite.sh}

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
"$suite" "$db" > "$work/plain.txt" || plain_status=$?
plain_sum=$(checksum)

sample
before=$(checksum)
dbclone_status=0
"$dbclone" run -- "$suite" "$db" > "$work/dbclone.txt" || dbclone_status=$?
dbclone_sum=$(checksum)
left=$(find "$DBCLONE_DIR" -type f 2>/dev/null | wc -l)

verdict() { [ "$1" = 0 ] && echo "suite passed" || echo "suite FAILED"; }
state() { [ "$1" = "$before" ] && echo "sample file unchanged ($1)" || echo "sample file CHANGED ($before -> $1)"; }
# The left column as wide as its longest line: no text is cut.
{ echo "plain (tests share the file)"; echo "----------------------------"
  cat "$work/plain.txt"; verdict $plain_status; state "$plain_sum"; echo; } > "$work/left.txt"
{ echo "under dbclone run (a copy per test)"; echo "-----------------------------------"
  cat "$work/dbclone.txt"; verdict $dbclone_status; state "$dbclone_sum"
  echo "clone files left behind: $left"; } > "$work/right.txt"
width=$(awk '{ if (length($0) > w) w = length($0) } END { print w + 2 }' "$work/left.txt")
echo
# paste pads the shorter file with empty lines.
paste -d'\n' "$work/left.txt" "$work/right.txt" | while IFS= read -r a && IFS= read -r b; do
  printf '%-*s%s\n' "$width" "$a" "$b"
done
[ "$dbclone_status" = 0 ] && [ "$dbclone_sum" = "$before" ] && [ "$left" = 0 ] && [ "$plain_status" != 0 ]
