#!/usr/bin/env bash
# The TSan pass of make check: the thread, fork and boundary tests, with
# the library built with ThreadSanitizer (gcc's runtime first in
# LD_PRELOAD), in Python and sqlite3 hosts. Programs that load libpq at
# start (psql, the C clients linked with it) cannot run under a sanitizer
# runtime on Debian 12 (tests/sanitizer/ubsan-only): here they get the
# plain library. A race report fails its program (exit 66), so its test.
# Left out: the test that counts the process's threads (the TSan runtime
# runs one of its own).
# Needs the servers check.sh starts; TAP on standard output.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s tsan
tsan_preload="$(${CC:-cc} -print-file-name=libtsan.so):$PWD/build/tsan/libdbclone.so"
# die_after_fork=0: the fork tests fork with threads running, which TSan
# otherwise refuses. report_thread_leaks=0: a forked child exits without
# joining the threads it inherited the records of (they are its parent's).
export TSAN_OPTIONS="die_after_fork=0 report_thread_leaks=0 halt_on_error=1 exitcode=66 suppressions=$PWD/tests/sanitizer/tsan.supp"
DBCLONE_LIBRARY=$tsan_preload DBCLONE_SAN_PRELOAD=$tsan_preload \
DBCLONE_UBSAN_LIBRARY=$PWD/build/libdbclone.so \
DBCLONE_LIBPQ_HOST=$PWD/tests/sanitizer/ubsan-only \
PATH=$PWD/tests/sanitizer/bin:$PATH \
  bats --formatter tap \
    --filter 'threads|fork|boundary signal|at a boundary|in one process|two processes|ATTACH|psycopg2' \
    tests/11-pg-boundaries.bats tests/20-sqlite.bats tests/22-sqlite-attach.bats \
    tests/30-mariadb.bats tests/50-library-discipline.bats
