# dbclone's bats helper: every test of a file gets a clone of its own, keyed
# by the file and the test (BATS_TEST_NAME alone repeats across files), on
# top of what the file's setup_file wrote. Load it at the top of each .bats
# file:
#
#   load "${DBCLONE_HARNESS:-/usr/local/lib/dbclone/harness}/bats/dbclone"
#
# and run bats under `dbclone run -- bats tests/` (DBCLONE_HARNESS is set
# there). bats sources the file once for setup_file and once per test, so
# this runs in each: setup_file writes the file's layer (DBCLONE_TEST=the
# file), each test its own key on top of it (DBCLONE_BASE=the file). What
# runs before bats, or in setup_suite, writes the run's setup, below both.
# A connection kept open across tests (in setup_file) stays in its clone.

if [ -n "${BATS_TEST_FILENAME:-}" ]; then
  if [ -n "${BATS_TEST_NAME:-}" ]; then
    export DBCLONE_TEST="$BATS_TEST_FILENAME::$BATS_TEST_NAME"
    export DBCLONE_BASE="$BATS_TEST_FILENAME"
  else
    export DBCLONE_TEST="$BATS_TEST_FILENAME"
    unset DBCLONE_BASE
  fi
fi
