#!/usr/bin/env bats
# Loud no-ops: a run that intercepted nothing, that opened an in-memory
# SQLite database, whose connections outlived their test key, or that
# reached a database port without a client library, ends with a dbclone:
# warning saying so and what to do; --summary-json and ls --json.

load test_helper
bats_require_minimum_version 1.5.0

teardown() {
  drop_leftovers
  drop_mysql_leftovers
}

@test "a run in which nothing was intercepted says so, with the pass-throughs and what to do" {
  run --separate-stderr "$DBCLONE" run -- sh -c "psql -X -qtA -d postgres -c 'SELECT 1'; true"
  assert_success
  [[ "$stderr" == *"dbclone: nothing was intercepted in this run: every connect passed through (pg maintenance 1); run dbclone doctor -- CMD to see which programs ran"* ]]
  run --separate-stderr "$DBCLONE" run -- true
  assert_success
  [[ "$stderr" == *"dbclone: nothing was intercepted in this run: no program connected through libpq, libsqlite3 or libmariadb/libmysqlclient"* ]]
}

@test "a run whose connects were intercepted gives no no-op warning" {
  src=$(new_source)
  sqlite_source
  run --separate-stderr "$DBCLONE" run -- sh -c "psql -X -qtA -d $src -c 'SELECT 1' && sqlite3 '$SRC' 'SELECT 1'"
  assert_success
  [[ "$stderr" == *"dbclone: run summary: "* ]]
  [[ "$stderr" != *"nothing was intercepted"* ]]
  [[ "$stderr" != *"in-memory"* ]]
  [[ "$stderr" != *"kept using clones"* ]]
}

@test "a program that opens an in-memory SQLite database is named in a warning" {
  run --separate-stderr "$DBCLONE" run -- "$PY" -c 'import sqlite3; sqlite3.connect(":memory:").execute("SELECT 1")'
  assert_success
  [[ "$stderr" =~ dbclone:\ python3[^\ ]*\ \(pid\ [0-9]+\)\ opened\ an\ in-memory\ SQLite\ database,\ which\ dbclone\ leaves\ alone.*point\ the\ tests\ at\ a\ database\ file ]]
}

@test "connections kept open across a test boundary (a pool carried across tests) are warned about, with the fix" {
  src=$(new_source)
  run --separate-stderr "$DBCLONE" run -- "$PY" -c "
import os, psycopg2
os.environ['DBCLONE_TEST'] = 'first'
pool = [psycopg2.connect(dbname='$src')]
os.environ['DBCLONE_TEST'] = 'second'
psycopg2.connect(dbname='$src').close()"
  assert_success
  [[ "$stderr" =~ dbclone:\ connections\ kept\ using\ clones\ whose\ test\ keys\ had\ ended,\ in\ python3[^\ ]*\ \(pid\ [0-9]+\).*DBCLONE_STALE=terminate ]]
  # Closed at the end of each test: no warning.
  run --separate-stderr "$DBCLONE" run -- "$PY" -c "
import os, psycopg2
os.environ['DBCLONE_TEST'] = 'first'
psycopg2.connect(dbname='$src').close()
os.environ['DBCLONE_TEST'] = 'second'
psycopg2.connect(dbname='$src').close()"
  assert_success
  [[ "$stderr" != *"kept using clones"* ]]
}

@test "--summary-json writes the summary, the warnings and each program's report as JSON, with no password of a command line" {
  src=$(new_source)
  run "$DBCLONE" run --summary-json "$BATS_TEST_TMPDIR/s.json" -- sh -c "
    psql -X -qtA -d 'dbname=$src password=hunter2' -c 'SELECT 1' >/dev/null
    $PY -c 'import sqlite3; sqlite3.connect(\":memory:\")'"
  assert_success
  run "$PY" -c "
import json, sys
s = json.load(open('$BATS_TEST_TMPDIR/s.json'))
assert s['intercepted'] is True and s['exit_status'] == 0, s
assert s['handouts'] == 1 and s['clones_made']['mysql'] == 0, s
assert any('in-memory SQLite' in w for w in s['warnings']), s['warnings']
progs = {p['exe'].rsplit('/', 1)[-1][:6]: p for p in s['programs']}
assert {'engine': 'pg', 'what': 'clone', 'count': 1} in progs['psql']['connects'], progs
assert {'engine': 'sqlite', 'what': 'memory', 'count': 1} in progs['python']['connects'], progs
assert any('libsqlite3' in l['path'] for l in progs['python']['libraries']), progs
assert 'password=*******' in progs['psql']['args'], progs
print('json ok')"
  assert_success
  assert_output "json ok"
  run ! grep -q hunter2 "$BATS_TEST_TMPDIR/s.json"
  DBCLONE_SUMMARY_JSON=- run --separate-stderr "$DBCLONE" run -- true
  assert_success
  [[ "$output" == '{"clones_made":{"pg":0,"sqlite":0,"mysql":0},'*'"intercepted":false,'* ]]
}

@test "ls --json lists a kept clone with its marker's fields" {
  src=$(new_source)
  run "$DBCLONE" run --keep=always -- psql -X -qtA -d "$src" -c 'SELECT 1'
  assert_success
  run "$DBCLONE" ls --json
  assert_success
  run "$PY" -c "
import json, sys
rows = [r for r in json.loads(sys.argv[1]) if r.get('source') == '$src']
assert len(rows) == 1, rows
r = rows[0]
assert r['engine'] == 'pg' and r['marker'] and r['kept'] and r['name'].startswith('dbclone_$src'), r
print('ls ok')" "$output"
  assert_output "ls ok"
  sql postgres "DROP DATABASE \"$(clones | grep "^dbclone_${src}_")\"" >/dev/null
}
