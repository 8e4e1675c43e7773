#!/usr/bin/env bats
# SQLite: a copy is of a committed state of the source, whatever a writer in
# another process is doing to it, and the source is never written.

load test_helper

setup() {
  export DBCLONE_DIR=$BATS_TEST_TMPDIR/clones
  SRC=$BATS_TEST_TMPDIR/app.db
}

teardown() {
  [ -z "${WRITER:-}" ] || kill "$WRITER" 2>/dev/null || true
  return 0
}

# Accounts whose balances always sum to 100000, spread over many pages,
# and a log with one row per commit next to the count of commits: a copy
# torn by a commit shows another sum, another count, or a broken file.
accounts_source() {
  "$PY" -c "
import sqlite3
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INT, pad TEXT)')
c.execute('CREATE TABLE meta (commits INT)')
c.execute('CREATE TABLE log (n INTEGER PRIMARY KEY, pad TEXT)')
c.execute('BEGIN')
c.executemany('INSERT INTO acct VALUES (?, 100, ?)', [(i, 'p' * 300) for i in range(1000)])
c.execute('INSERT INTO meta VALUES (0)')
c.execute('COMMIT')
"
}

# What a copy shows: integrity, the sum, commits, log rows.
COPY_STATE="
import sqlite3
c = sqlite3.connect('$BATS_TEST_TMPDIR/app.db')
print(c.execute('PRAGMA integrity_check').fetchone()[0],
      c.execute('SELECT sum(bal) FROM acct').fetchone()[0],
      c.execute('SELECT commits FROM meta').fetchone()[0],
      c.execute('SELECT count(*) FROM log').fetchone()[0],
      c.execute('PRAGMA database_list').fetchone()[2].startswith('$BATS_TEST_TMPDIR/clones/dbclone_'))
"

@test "copies taken per process while another process commits in a loop are each a whole committed state (rollback journal)" {
  accounts_source
  # Each commit moves money between accounts far apart in the file and
  # logs itself, in several pages at once.
  "$PY" -c "
import os, random, sqlite3, time
c = sqlite3.connect('$SRC', isolation_level=None, timeout=30)
open('$BATS_TEST_TMPDIR/writing', 'w').close()
deadline = time.monotonic() + 60
while not os.path.exists('$BATS_TEST_TMPDIR/stop') and time.monotonic() < deadline:
    a, b = random.sample(range(1000), 2)
    c.execute('BEGIN IMMEDIATE')
    c.execute('UPDATE acct SET bal = bal - 7, pad = ? WHERE id = ?', ('a' * 300, a))
    c.execute('UPDATE acct SET bal = bal + 7, pad = ? WHERE id = ?', ('b' * 300, b))
    c.execute('INSERT INTO log (pad) VALUES (?)', ('l' * 500,))
    c.execute('UPDATE meta SET commits = commits + 1')
    c.execute('COMMIT')
" &
  WRITER=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/writing"
  for i in $(seq 30); do
    run preloaded "$PY" -c "$COPY_STATE"
    assert_success
    read -r ok total commits logged ours <<< "$output"
    [ "$ok $total $ours" = "ok 100000 True" ] || fail "copy $i: $output"
    [ "$commits" = "$logged" ] || fail "copy $i: $commits commits but $logged log rows"
  done
  [ "$commits" -gt 0 ] || fail "the writer committed nothing: the test would not test anything"
  touch "$BATS_TEST_TMPDIR/stop"
  wait "$WRITER"
  WRITER=
  assert_no_sqlite_clones
  [ ! -e "$SRC-journal" ] || fail "a journal was left beside the source"
}

@test "a writer's transaction in progress is not in the copy, and the copy waits for a writer that holds the file" {
  accounts_source
  # A transaction in progress (its -journal has content): the copy shows
  # the state before it.
  "$PY" -c "
import os, sqlite3, time
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute('BEGIN IMMEDIATE')
c.execute('INSERT INTO log (pad) VALUES (\"uncommitted\")')
c.execute('UPDATE meta SET commits = 1')
open('$BATS_TEST_TMPDIR/open', 'w').close()
while not os.path.exists('$BATS_TEST_TMPDIR/copied'):
    time.sleep(0.01)
c.execute('ROLLBACK')
" &
  WRITER=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/open"
  [ -s "$SRC-journal" ] || fail "no journal in use: the test would not test anything"
  run preloaded "$PY" -c "$COPY_STATE"
  touch "$BATS_TEST_TMPDIR/copied"
  wait "$WRITER"
  assert_success
  assert_output "ok 100000 0 0 True"

  # A writer holding the file (EXCLUSIVE, mid-commit) for a while: the copy
  # waits for the commit, then has it.
  "$PY" -c "
import sqlite3, time
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute('BEGIN EXCLUSIVE')
c.execute('INSERT INTO log (pad) VALUES (\"committed\")')
c.execute('UPDATE meta SET commits = 1')
open('$BATS_TEST_TMPDIR/held', 'w').close()
time.sleep(0.3)
c.execute('COMMIT')
" &
  WRITER=$!
  wait_until 10 test -e "$BATS_TEST_TMPDIR/held"
  run preloaded "$PY" -c "$COPY_STATE"
  wait "$WRITER"
  WRITER=
  assert_success
  assert_output "ok 100000 1 1 True"
  assert_no_sqlite_clones
}

@test "a source with a hot journal (its writer killed mid-transaction) is never copied half-applied, and stays as it was" {
  # A transaction too big for the cache writes the file before it
  # commits; the writer dies there.
  run "$PY" -c "
import os, sqlite3
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
c.execute('BEGIN')
c.executemany('INSERT INTO t VALUES (?, ?)', [(i, 'x' * 200) for i in range(2000)])
c.execute('COMMIT')
c.execute('PRAGMA cache_size = 1')
c.execute('BEGIN')
c.execute(\"UPDATE t SET v = 'y' || v\")
os.kill(os.getpid(), 9)
"
  [ -s "$SRC-journal" ] || fail "no hot journal: the test would not test anything"
  db=$(file_checksum "$SRC")
  journal=$(file_checksum "$SRC-journal")
  run preloaded "$PY" -c "
import sqlite3
c = sqlite3.connect('$SRC')
print(c.execute(\"SELECT count(*), sum(v LIKE 'y%') FROM t\").fetchone())
"
  # Read-only, dbclone cannot roll the journal back: a copy of the file
  # as it is would show half the update.
  assert_failure
  assert_output --partial "dbclone: cannot read source $SRC"
  refute_output --partial "(2000,"
  assert_equal "$(file_checksum "$SRC")" "$db"
  assert_equal "$(file_checksum "$SRC-journal")" "$journal"
  assert_no_sqlite_clones
}

@test "a name re-pointed between tests (a symlink to another file) is copied from the file it reaches now" {
  for f in a b; do
    sqlite3 "$BATS_TEST_TMPDIR/$f.db" "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('$f');"
  done
  ln -s a.db "$BATS_TEST_TMPDIR/app.db"
  run preloaded "$PY" -c "
import os, sqlite3
for key, target in (('one', 'a.db'), ('two', 'b.db'), ('three', 'a.db')):
    os.environ['DBCLONE_TEST'] = key
    os.remove('$SRC'); os.symlink(target, '$SRC')
    c = sqlite3.connect('$SRC')
    print(key, c.execute('SELECT v FROM t').fetchone()[0], os.path.basename(c.execute('PRAGMA database_list').fetchone()[2]).startswith('dbclone_' + target.replace('.', '_')))
    c.close()
"
  assert_success
  assert_output "one a True
two b True
three a True"
  assert_no_sqlite_clones
}

@test "a big old copy (over 512 KiB, unlinked off the boundary's path) is gone once its key is over, by a thread that is gone once it is done" {
  "$PY" -c "
import sqlite3
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute('CREATE TABLE t (v TEXT)')
c.executemany('INSERT INTO t VALUES (?)', [('x' * 1000,) for _ in range(2000)])
"
  [ "$(stat -c %s "$SRC")" -gt $((512 * 1024)) ] || fail "the source is too small: the test would not test anything"
  run preloaded "$PY" -c "
import glob, os, sqlite3, time
def copies():
    return len(glob.glob('$DBCLONE_DIR/dbclone_*.sqlite'))
sqlite3.connect('$SRC').close()  # the setup: what every key starts from
for key in ('a', 'b', 'c'):
    os.environ['DBCLONE_TEST'] = key
    c = sqlite3.connect('$SRC')
    c.execute('SELECT count(*) FROM t').fetchone()
    c.close()
deadline = time.monotonic() + 10
while (len(os.listdir('/proc/self/task')) > 1 or copies() > 2) and time.monotonic() < deadline:
    time.sleep(0.02)
print('threads', len(os.listdir('/proc/self/task')), 'copies', copies())
"
  assert_success
  assert_output "threads 1 copies 2"
  assert_no_sqlite_clones
}
