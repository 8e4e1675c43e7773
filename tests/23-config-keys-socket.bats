#!/usr/bin/env bats
# What the library reads from outside, at its edges: DBCLONE_ values and
# what their errors say, test keys of any length in a run, and a run
# socket it may not reach.

load test_helper

setup() {
  sqlite_source
}

teardown() { :; }

# The file the program's open landed on, or "refused <why>".
opened() {
  "$PY" -c "
import sqlite3, sys
try:
    c = sqlite3.connect(sys.argv[1], isolation_level=None)
    print(c.execute('PRAGMA database_list').fetchone()[2])
except sqlite3.Error as e:
    print('refused', e)
" "$SRC"
}

@test "DBCLONE_DISABLE takes exactly the values its error text names" {
  text=$(DBCLONE_DISABLE=maybe preloaded opened)
  assert_equal "$text" 'refused dbclone: DBCLONE_DISABLE="maybe" is not valid; use 1, yes, true or on; or 0, no, false or off'
  for on in 1 yes true on TRUE; do
    assert_equal "$(DBCLONE_DISABLE=$on preloaded opened)" "$SRC"
  done
  for off in 0 no false off OFF; do
    run env DBCLONE_DISABLE=$off LD_PRELOAD="$LIB" bash -c "$(declare -f opened); SRC='$SRC' PY='$PY' opened"
    assert_output --regexp "^$DBCLONE_DIR/dbclone_app_db_"
  done
}

@test "a DBCLONE_TEST of 100 KB in a run behaves like a short one: one copy per key, shared by its processes, apart from another long key with the same head" {
  head=$(printf 'k%.0s' $(seq 1 100000))
  one() { # one KEY: the copy a new process under KEY opens, after writing to it
    DBCLONE_TEST=$1 "$PY" -c "
import sqlite3
c = sqlite3.connect('$SRC', isolation_level=None)
c.execute(\"INSERT INTO t (v) VALUES ('w')\")
print(c.execute('PRAGMA database_list').fetchone()[2], c.execute('SELECT count(*) FROM t').fetchone()[0])
"
  }
  export -f one
  export SRC PY head
  run "$DBCLONE" run -- bash -c 'one "${head}A"; one "${head}A"; one "${head}B"'
  assert_success
  assert_line --index 0 --regexp "^$DBCLONE_DIR/dbclone_app_db_\S+ 4$"
  first=$(cut -d' ' -f1 <<< "${lines[0]}")
  assert_line --index 1 "$first 5"
  assert_line --index 2 --regexp "^$DBCLONE_DIR/dbclone_app_db_\S+ 4$"
  refute_line --index 2 --regexp "^$first "
  assert_no_sqlite_clones
}

@test "a run socket this user may not reach is named as a permission problem, not as a run that is over" {
  # nobody's database in a place nobody can enter; root's run directory,
  # closed to nobody, inside it.
  w=$(mktemp -d /tmp/dbclone-23.XXXXXX)
  chmod 0755 "$w"
  cp "$SRC" "$w/app.db" && chmod 0666 "$w/app.db"
  mkdir -m 0700 "$w/run"
  "$PY" -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.bind('$w/run/sock'); s.listen()
time.sleep(30)" &
  listener=$!
  wait_until 10 test -S "$w/run/sock"
  run runuser -u nobody -- env DBCLONE_SOCKET="$w/run/sock" DBCLONE_DIR="$w/clones" \
    LD_PRELOAD="$LIB" SRC="$w/app.db" PY="$PY" bash -c "$(declare -f opened); opened"
  kill "$listener"
  rm -rf "$w"
  assert_line "refused dbclone: cannot reach DBCLONE_SOCKET $w/run/sock (Permission denied): a permission problem: another user's run, or a directory you may not enter; run the program as the run's user, or unset DBCLONE_SOCKET"
}
