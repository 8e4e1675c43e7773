#!/usr/bin/env bats
# dbclone doctor: a program followed to the binary that runs (PATH,
# symlinks, wrappers), a command run and reported program by program, and
# the server side of cloning checked as the program connects.

load test_helper
bats_require_minimum_version 1.5.0

teardown() {
  drop_leftovers
  drop_mysql_leftovers
}

@test "doctor psql follows PATH and Debian's pg_wrapper to the real psql, which links libpq: intercepted" {
  # Debian's PATH (the sanitizer pass puts a wrapper of its own first).
  PATH=/usr/local/bin:/usr/bin:/bin run "$DBCLONE" doctor psql
  assert_success
  assert_line --partial "is Debian's pg_wrapper, which runs /usr/lib/postgresql/"
  assert_line --regexp "^ok: psql \(/usr/lib/postgresql/[0-9]+/bin/psql\) links libpq\.so.*: its connects are intercepted$"
  run "$DBCLONE" doctor /usr/bin/psql
  assert_success
  assert_line --regexp "^ok: /usr/bin/psql \(/usr/lib/postgresql/[0-9]+/bin/psql\) links libpq"
}

@test "doctor: a symlink and a shell wrapper that execs sqlite3 are followed; an interpreter is 'loaded at run time'" {
  mkdir -p "$BATS_TEST_TMPDIR/bin"
  ln -s /usr/bin/sqlite3 "$BATS_TEST_TMPDIR/bin/lite"
  printf '#!/bin/sh\nexport X=1\nexec /usr/bin/sqlite3 "$@"\n' > "$BATS_TEST_TMPDIR/bin/wrapped"
  printf '#!/usr/bin/env python3\nimport sqlite3\n' > "$BATS_TEST_TMPDIR/bin/tool.py"
  chmod +x "$BATS_TEST_TMPDIR/bin/wrapped" "$BATS_TEST_TMPDIR/bin/tool.py"
  PATH=$BATS_TEST_TMPDIR/bin:$PATH run "$DBCLONE" doctor lite wrapped tool.py
  assert_success
  assert_line --regexp "^ok: lite \(/usr/bin/sqlite3\) links libsqlite3"
  assert_line --partial "is a wrapper script that runs /usr/bin/sqlite3"
  assert_line --regexp "^ok: wrapped \(/usr/bin/sqlite3\) links libsqlite3"
  assert_line --partial "tool.py is a script run by python3"
  assert_line --regexp "^loaded at run time: tool.py runs python3 \(.*\), an interpreter: its database drivers load client libraries"
}

@test "doctor: a statically linked program cannot be intercepted, and says what to do; a missing one is not found" {
  printf 'int main(void) { return 0; }\n' > "$BATS_TEST_TMPDIR/s.c"
  cc -static -o "$BATS_TEST_TMPDIR/static-client" "$BATS_TEST_TMPDIR/s.c"
  run "$DBCLONE" doctor "$BATS_TEST_TMPDIR/static-client"
  assert_failure 1
  assert_line --regexp "^no: .*static-client .* is statically linked: .*cannot intercept it; build it against libpq"
  run "$DBCLONE" doctor no-such-program-here
  assert_failure 1
  assert_line --partial "no: no-such-program-here is not found"
}

@test "doctor -- CMD: per program, the client libraries loaded, connects intercepted, pass-throughs with their reason" {
  src=$(new_source)
  sqlite_source
  run "$DBCLONE" doctor -- sh -c "
    psql -X -qtA -d $src -c 'SELECT 1' >/dev/null
    psql -X -qtA -d postgres -c 'SELECT 1' >/dev/null
    $PY -c 'import sqlite3; sqlite3.connect(\":memory:\"); sqlite3.connect(\"$BATS_TEST_TMPDIR/new.db\"); sqlite3.connect(\"$SRC\")'
    true"
  assert_success
  assert_line --partial "dbclone doctor: what ran under dbclone run (exit status 0):"
  assert_line --regexp "^  loaded client library [0-9.]+ .*/libpq\.so"
  assert_line --regexp "^  loaded client library 3\.[0-9.]+ .*/libsqlite3\.so"
  assert_line "  pg 1 connect(s): intercepted: sent to a clone"
  assert_line --partial "  pg 1 connect(s): a maintenance database"
  assert_line "  sqlite 1 connect(s): an in-memory SQLite database: nothing to copy"
  assert_line "  sqlite 1 connect(s): an SQLite file that did not exist yet: nothing to copy"
  assert_line "  sqlite 1 connect(s): intercepted: sent to a clone"
  assert_no_clones
}

@test "doctor -- CMD: a program that reaches the PostgreSQL port without libpq is named, with what to do" {
  run "$DBCLONE" doctor -- "$PY" -c "
import os, socket
s = socket.create_connection(('127.0.0.1', int(os.environ['PGPORT'])))
held = os.dup(s.fileno())  # open at exit, as a pool's connection would be"
  assert_success
  assert_line --partial "connected to a database port without the engine's client library"
  assert_line "    pg tcp $PGPORT"
  assert_line --regexp "^dbclone: python3.* \(pid [0-9]+\) connected to a database port without a client library dbclone intercepts"
}

@test "doctor --pg: a superuser may clone; a role without CREATEDB, a source it does not own, a busy source are each a 'no' naming the fix" {
  src=$(new_source)
  run "$DBCLONE" doctor --pg "dbname=$src"
  assert_success
  assert_line "ok: role \"postgres\" may create databases"
  assert_line "ok: the source \"$src\" has no other session"
  assert_line --regexp "^note: copy path: CREATE DATABASE \.\.\. TEMPLATE"
  role=nocreate_$RANDOM
  sql postgres "CREATE ROLE $role LOGIN; GRANT CONNECT ON DATABASE $src TO $role" >/dev/null
  run "$DBCLONE" doctor --pg "dbname=$src user=$role"
  assert_failure 1
  assert_line "no: role \"$role\" may not create databases; run ALTER ROLE \"$role\" CREATEDB, or set DBCLONE_PG_ADMIN to a role that may"
  assert_line --partial "no: role \"$role\" may not use \"$src\" as a template: it is owned by \"postgres\""
  $PY -c "import psycopg2, time; c = psycopg2.connect(dbname='$src'); time.sleep(120)" 3>&- &
  holder=$!
  wait_until 10 bash -c "[ \"\$(psql -X -qtA -d postgres -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = '$src'\")\" = 1 ]"
  run "$DBCLONE" doctor --pg "dbname=$src"
  kill "$holder"; wait "$holder" || true
  assert_failure 1
  assert_line --regexp "^no: the source \"$src\" is busy: 1 other session\(s\) connected"
  sql postgres "REVOKE CONNECT ON DATABASE $src FROM $role; DROP ROLE $role" >/dev/null
}

@test "doctor --mysql: root may clone; an account without CREATE on dbclone_% is told the GRANT" {
  db=src_$RANDOM
  user=u$RANDOM
  my mysql "CREATE DATABASE $db; CREATE TABLE $db.t (id INT PRIMARY KEY); CREATE USER '$user'@'localhost'; GRANT ALL ON $db.* TO '$user'@'localhost'"
  run "$DBCLONE" doctor --mysql "user=root socket=$MYSQL_UNIX_PORT db=$db"
  assert_success
  assert_line --regexp "^ok: account root@.* may create and drop dbclone_\* schemas$"
  assert_line --regexp "^note: copy path: an in-server copy of \"$db\" \(1 table"
  run "$DBCLONE" doctor --mysql "user=$user socket=$MYSQL_UNIX_PORT db=$db"
  assert_failure 1
  assert_line --partial "no: account $user@localhost may not create dbclone_* schemas; run GRANT ALL ON \`dbclone\\_%\`.* TO it"
  my mysql "DROP USER '$user'@'localhost'; DROP DATABASE $db"
}
