#!/usr/bin/env bash
# make check: install what the tests need, build, start throwaway servers,
# run every test: unit tests, the fuzz targets (10 s each), the bats
# suites, then the suites again with the library built with
# AddressSanitizer and UBSan, and the thread, fork and boundary tests with
# the library built with ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
make -s all test-clients asan
make -s unit
# dbclone's parsers of outside input, under libFuzzer (tests/fuzz/).
make -s fuzz-build
scripts/fuzz.sh 10

. scripts/lib.sh
work=$(mktemp -d "$(server_base)/dbclone-check.XXXXXX")
chmod 755 "$work"
cleanup() {
  scripts/pg-server.sh stop "$work/pg" || true
  scripts/mariadb-server.sh stop "$work/mariadb" || true
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/pg-server.sh start "$work/pg")"
eval "$(scripts/mariadb-server.sh start "$work/mariadb")"

export BATS_LIB_PATH=/usr/lib/bats
# A hung test fails instead of hanging the run.
export BATS_TEST_TIMEOUT=180
# A skipped test fails the run.
export DBCLONE_STRICT=1

results=$work/results.tap
status=0
bats --formatter tap tests/*.bats | tee "$results" || status=1

# The sanitizer runtime must come first in LD_PRELOAD; dbclone run keeps
# the order DBCLONE_LIBRARY gives. Programs that load libpq at start cannot
# run under ASan here (see tests/sanitizer/ubsan-only): they get the
# UBSan-only build. Files tagged normal-pass-only (the kill loops, which
# prove an order, not memory safety) run in the first pass only.
echo "# again under AddressSanitizer and UBSan"
san_preload="$(${CC:-cc} -print-file-name=libasan.so):$PWD/build/asan/libdbclone.so"
DBCLONE_LIBRARY=$san_preload DBCLONE_SAN_PRELOAD=$san_preload \
DBCLONE_UBSAN_LIBRARY=$PWD/build/ubsan/libdbclone.so \
DBCLONE_LIBPQ_HOST=$PWD/tests/sanitizer/ubsan-only \
PATH=$PWD/tests/sanitizer/bin:$PATH \
ASAN_OPTIONS=detect_leaks=0:exitcode=99 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  bats --formatter tap --filter-tags '!normal-pass-only' tests/[1-9]*.bats | tee -a "$results" || status=1

echo "# the thread, fork and boundary tests under ThreadSanitizer"
scripts/tsan.sh | tee -a "$results" || status=1

passed=$(grep -c '^ok ' "$results" || true)
failed=$(grep -c '^not ok ' "$results" || true)
echo "bats: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit "$status"
