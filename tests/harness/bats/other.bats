# A second file with the same test names: keys are per file.
load "$DBCLONE_HARNESS/bats/dbclone"

q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }

@test "one" {
  [ "$(q "SELECT string_agg(name, ',' ORDER BY name) FROM t")" = "setup" ]
  q "INSERT INTO t VALUES ('other-one')"
  [[ $DBCLONE_TEST == */other.bats::test_one ]]
}
