#!/usr/bin/env bats
# Bad input: one line that starts with "dbclone:" and names cause and fix, a
# failed connection, no write to the source, nothing left behind.

load test_helper

setup() {
  sql postgres "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nocreate') THEN CREATE ROLE nocreate LOGIN; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN CREATEDB; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reader') THEN CREATE ROLE reader; END IF;
  END \$\$" >/dev/null
}

# Runs psql under the library with an INSERT that must never reach the source.
write_attempt() {
  run preloaded psql -X -qtA -v ON_ERROR_STOP=1 -d "$1" -c "INSERT INTO t VALUES (99, 'leak')"
}

assert_refused() { # assert_refused REGEXP: psql failed with exactly our one line
  assert_failure 2
  assert_line --regexp "^psql: error: dbclone: $1$"
  run grep -c "dbclone:" <<< "$output"
  [ "$output" -ge 1 ]
}

@test "a role without CREATEDB: refused with the GRANT to run, source untouched, no clone" {
  src=$(new_source)
  sql postgres "ALTER DATABASE \"$src\" OWNER TO nocreate" >/dev/null
  before=$(checksum "$src")
  PGUSER=nocreate write_attempt "$src"
  assert_refused "role \"nocreate\" may not create databases, so \"$src\" cannot be cloned \(permission denied to create database\); run ALTER ROLE \"nocreate\" CREATEDB, or set DBCLONE_PG_ADMIN to a role that may"
  assert_equal "$(checksum "$src")" "$before"
  assert_no_clones
}

@test "DBCLONE_PG_ADMIN clones for a role without CREATEDB; the clone is that role's" {
  src=$(new_source)
  sql postgres "ALTER DATABASE \"$src\" OWNER TO nocreate" >/dev/null
  PGUSER=nocreate DBCLONE_PG_ADMIN="user=postgres" run preloaded psql -X -qtA -d "$src" \
    -c "CREATE TABLE mine (x int)" -c "SELECT current_database(), pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
  assert_success
  assert_output --regexp "^dbclone_${src}_[0-9a-f_]+\|nocreate$"
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
  assert_no_clones
}

@test "a role that may create databases but not copy this one is told how to fix it" {
  src=$(new_source)
  PGUSER=app write_attempt "$src"
  assert_refused "role \"app\" may not copy \"$src\" \(permission denied to copy database \"$src\"\); make it the owner \(ALTER DATABASE \"$src\" OWNER TO \"app\"\), mark the source a template \(ALTER DATABASE \"$src\" IS_TEMPLATE true\), or set DBCLONE_PG_ADMIN to a superuser"
  assert_no_clones
}

@test "a source that does not exist is refused, and nothing is created" {
  write_attempt no_such_source
  assert_refused "source database \"no_such_source\" does not exist on the server; create it, or point the program at an existing database"
  assert_equal "$(sql postgres "SELECT count(*) FROM pg_database WHERE datname = 'no_such_source'")" 0
  assert_no_clones
}

@test "a server that is down is refused with the reason and the fix" {
  PGPORT=1 write_attempt anything
  assert_refused "cannot reach the PostgreSQL server to clone \(connection to server on socket \"$PGHOST/.s.PGSQL.1\" failed: No such file or directory .*\); start the server or fix the connection options"
}

@test "a source busy with another session is refused, naming that session's pid and application_name" {
  src=$(new_source)
  app=holder_$RANDOM
  PGAPPNAME=$app psql -X -qtA -d "$src" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
  holder=$!
  wait_until 20 prints 1 sql postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$app'"
  pid=$(sql postgres "SELECT pid FROM pg_stat_activity WHERE application_name = '$app'")
  write_attempt "$src"
  kill "$holder"; wait "$holder" || true
  assert_refused "source \"$src\" is busy: pid $pid \(application_name \"$app\", user \"postgres\"\) is connected to it, and a template must have no other session; close that session or exclude its program from dbclone"
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
  assert_no_clones
}

@test "an invalid value in any DBCLONE_ variable is refused, naming the variable and the valid values" {
  src=$(new_source)
  while IFS='|' read -r var value fix; do
    env "$var=$value" LD_PRELOAD="$LIB" psql -X -qtA -d "$src" -c "INSERT INTO t VALUES (99, 'leak')" > "$BATS_TEST_TMPDIR/out" 2>&1 && fail "$var=$value was accepted"
    run cat "$BATS_TEST_TMPDIR/out"
    assert_line "psql: error: dbclone: $var=\"$value\" is not valid; $fix"
  done <<'EOF_VARS'
DBCLONE_STALE|later|use wait or terminate
DBCLONE_ON_ERROR|ignore|use fail or passthrough
DBCLONE_DEBUGLEVEL|9|use 0, 1, 2 or 3
DBCLONE_SIGNAL|FOO|use USR1, USR2, HUP, WINCH, URG, a real-time signal number, or none
DBCLONE_ENGINES|oracle|use a comma-separated list of pg, sqlite, mysql
DBCLONE_ENGINES|,|use a comma-separated list of pg, sqlite, mysql
DBCLONE_DISABLE|maybe|use 1, yes, true or on; or 0, no, false or off
EOF_VARS
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
  assert_no_clones
}

@test "DBCLONE_ENGINES takes a list with stray commas, and leaves out the engines it does not name" {
  src=$(new_source)
  DBCLONE_ENGINES=",pg," run preloaded psql -X -qtA -d "$src" -c "SELECT current_database()"
  assert_success
  assert_output --regexp "^dbclone_${src}_"
  DBCLONE_ENGINES="sqlite,mysql" run preloaded psql -X -qtA -d "$src" -c "SELECT current_database()"
  assert_output "$src"
}

@test "a malformed conninfo gets libpq's own error, exactly as without dbclone" {
  without=$(psql -X "host=localhost port" -c "SELECT 1" 2>&1 || true)
  with=$(LD_PRELOAD="$LIB" psql -X "host=localhost port" -c "SELECT 1" 2>&1 || true)
  [[ $without == *"missing \"=\" after \"port\""* ]] || fail "unexpected libpq error: $without"
  assert_equal "$with" "$without"
  without=$(psql -X "postgresql://x:y:z/db" -c "SELECT 1" 2>&1 || true)
  with=$(LD_PRELOAD="$LIB" psql -X "postgresql://x:y:z/db" -c "SELECT 1" 2>&1 || true)
  assert_equal "$with" "$without"
}

@test "a clone that fails half-way (settings the cloning role may not copy) is dropped, not left" {
  src=$(new_source)
  sql postgres "ALTER DATABASE \"$src\" OWNER TO app" >/dev/null
  sql postgres "ALTER ROLE reader IN DATABASE \"$src\" SET work_mem = '8MB'" >/dev/null
  PGUSER=app write_attempt "$src"
  assert_refused "cannot copy the settings and grants of \"$src\" to its clone \(.*\); clone as a role that may \(DBCLONE_PG_ADMIN\)"
  assert_no_clones
}

@test "DBCLONE_ON_ERROR=passthrough connects to the source after a failed clone, and says so loudly" {
  src=$(new_source)
  sql postgres "ALTER DATABASE \"$src\" OWNER TO nocreate" >/dev/null
  PGUSER=nocreate DBCLONE_ON_ERROR=passthrough run preloaded psql -X -qtA -d "$src" -c "SELECT current_database()"
  assert_success
  assert_line "$src"
  assert_line --regexp "^dbclone\[psql:[0-9]+\] error: role \"nocreate\" may not create databases.* -- DBCLONE_ON_ERROR=passthrough: connecting to the SOURCE $src itself, unisolated$"
}
