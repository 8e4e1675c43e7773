#!/usr/bin/env bats
# psql and friends under dbclone: writes land in a clone, never the source.

load test_helper

@test "psql writes under dbclone run land in a clone: the source is unchanged and no clone is left" {
  src=$(new_source)
  before=$(checksum "$src")
  run "$DBCLONE" run -- psql -X -qtA -v ON_ERROR_STOP=1 -d "$src" \
    -c "INSERT INTO t VALUES (4, 'four')" -c "DELETE FROM t WHERE id = 1" \
    -c "UPDATE t SET v = 'changed'" -c "SELECT current_database(), count(*) FROM t"
  assert_success
  assert_line --index 0 --regexp "^dbclone_${src}_[0-9a-f]+_[0-9]+_[0-9]+\|3$"
  assert_equal "$(checksum "$src")" "$before"
  assert_no_clones
}

@test "the clone starts as a copy of the source's rows" {
  src=$(new_source)
  run preloaded psql -X -qtA -d "$src" -c "SELECT string_agg(v, ',' ORDER BY id) FROM t"
  assert_success
  assert_output "one,two,three"
  assert_no_clones
}

@test "plain LD_PRELOAD drops the process's clone when it exits" {
  src=$(new_source)
  run preloaded psql -X -qtA -d "$src" -c "SELECT current_database()"
  assert_success
  assert_output --regexp "^dbclone_"
  assert_no_clones
}

@test "DBCLONE_DISABLE=1 passes every connect through to the source" {
  src=$(new_source)
  DBCLONE_DISABLE=1 run preloaded psql -X -qtA -d "$src" -c "INSERT INTO t VALUES (9, 'x')" -c "SELECT current_database()"
  assert_success
  assert_output "$src"
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 4
}

@test "connections to postgres, template1 and an existing clone pass through untouched" {
  for db in postgres template1; do
    run preloaded psql -X -qtA -d "$db" -c "SELECT current_database()"
    assert_success
    assert_output "$db"
  done
  sql postgres "CREATE DATABASE dbclone_kept_by_hand" >/dev/null
  run preloaded psql -X -qtA -d dbclone_kept_by_hand -c "SELECT current_database()"
  assert_output "dbclone_kept_by_hand"
  assert_no_clones_but_kept=$(clones)
  assert_equal "$assert_no_clones_but_kept" "dbclone_kept_by_hand"
}

@test "DBCLONE_EXCLUDE and DBCLONE_INCLUDE globs pick the sources that are cloned" {
  src=$(new_source "keep_me_$RANDOM")
  DBCLONE_EXCLUDE='keep_*' run preloaded psql -X -qtA -d "$src" -c "SELECT current_database()"
  assert_output "$src"
  DBCLONE_INCLUDE='other_*,more_*' run preloaded psql -X -qtA -d "$src" -c "SELECT current_database()"
  assert_output "$src"
  DBCLONE_INCLUDE='nothing,keep_*' run preloaded psql -X -qtA -d "$src" -c "SELECT current_database()"
  assert_output --regexp "^dbclone_keep_me_"
}

@test "the source is found from a postgresql:// URI, PGDATABASE, a service file and the user name" {
  src=$(new_source)
  run preloaded psql -X -qtA "postgresql:///$src?host=$PGHOST&port=$PGPORT" -c "SELECT current_database()"
  assert_output --regexp "^dbclone_${src}_"
  PGDATABASE=$src run preloaded psql -X -qtA -c "SELECT current_database()"
  assert_output --regexp "^dbclone_${src}_"
  printf '[mysvc]\ndbname=%s\nhost=%s\nport=%s\n' "$src" "$PGHOST" "$PGPORT" > "$BATS_TEST_TMPDIR/svc.conf"
  PGSERVICEFILE=$BATS_TEST_TMPDIR/svc.conf run preloaded psql -X -qtA "service=mysvc" -c "SELECT current_database()"
  assert_output --regexp "^dbclone_${src}_"
  # With no database named anywhere, libpq uses the user name.
  sql postgres "CREATE ROLE \"$src\" LOGIN CREATEDB; ALTER DATABASE \"$src\" OWNER TO \"$src\"" >/dev/null
  PGUSER=$src PGDATABASE= run preloaded env -u PGDATABASE psql -X -qtA -c "SELECT current_database()"
  assert_output --regexp "^dbclone_${src}_"
  assert_no_clones
  sql postgres "DROP DATABASE \"$src\""
  sql postgres "DROP ROLE \"$src\""
}

@test "a 63-byte source name gets a clone name that fits in 63 bytes" {
  long=$(printf 'l%.0s' {1..63})
  src=$(new_source "$long")
  run preloaded psql -X -qtA -d "$src" -c "SELECT current_database(), length(current_database())"
  assert_success
  assert_output --regexp "^dbclone_l{20}_[0-9a-f]+_[0-9]+_0\|[0-9]+$"
  len=${output##*|}
  [ "$len" -le 63 ]
  assert_no_clones
}

@test "psql's several connections in one process (\\connect) share the test's clone" {
  src=$(new_source)
  run preloaded psql -X -qtA -v ON_ERROR_STOP=1 -d "$src" -c "INSERT INTO t VALUES (7, 'seven')" \
    -c "\\connect $src" -c "SELECT count(*) FROM t"
  assert_success
  assert_line "4"
  assert_equal "$(sql "$src" "SELECT count(*) FROM t")" 3
}

@test "DBCLONE_DEBUGLEVEL=2 logs one line per redirect to DBCLONE_LOG" {
  src=$(new_source)
  DBCLONE_DEBUGLEVEL=2 DBCLONE_LOG=$BATS_TEST_TMPDIR/log run preloaded psql -X -qtA -d "$src" -c "SELECT 1"
  assert_success
  run cat "$BATS_TEST_TMPDIR/log"
  assert_output --regexp "^dbclone\[psql:[0-9]+\] info: pg .*dbname=$src -> dbclone_${src}_"
}
