#!/bin/sh
# A shell harness that knows nothing of dbclone: it names each test in
# TEST_NAME (DBCLONE_TEST_FROM=TEST_NAME keys the clones by it); each test
# assumes only the run's setup row, and commits a row of its own.
failed=0
for TEST_NAME in one two three; do
  export TEST_NAME
  rows=$(psql -X -qtA -c "SELECT string_agg(name, ',' ORDER BY name) FROM t")
  if [ "$rows" = setup ]; then echo "ok $TEST_NAME"; else echo "not ok $TEST_NAME: saw $rows"; failed=1; fi
  psql -X -qtA -c "INSERT INTO t VALUES ('$TEST_NAME')" >/dev/null
done
exit $failed
