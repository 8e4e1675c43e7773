# A bats file that loads dbclone's helper: each test asserts exactly the
# run's setup and its file's setup_file, and commits a row of its own.
load "$DBCLONE_HARNESS/bats/dbclone"

q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
rows() { q "SELECT string_agg(name, ',' ORDER BY name) FROM t"; }

setup_file() {
  q "INSERT INTO t VALUES ('file')"
}

@test "one" {
  [ "$(rows)" = "file,setup" ]
  q "INSERT INTO t VALUES ('one')"
  [[ $DBCLONE_TEST == */keyed.bats::test_one ]]
}

@test "two" {
  [ "$(rows)" = "file,setup" ]
  q "INSERT INTO t VALUES ('two')"
}
