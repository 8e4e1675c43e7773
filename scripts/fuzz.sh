#!/usr/bin/env bash
# Runs every libFuzzer target (build/fuzz/*, from tests/fuzz/) for SECONDS
# each, as many at once as there are cores, from the kept corpus in
# tests/fuzz/corpus/<target>/ (new inputs go to a scratch copy). A crash
# leaves its input in build/fuzz/crash-<target>-*: fix it, then keep it in
# the corpus. Prints one line per target: runs, execs/s, new coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
jobs=$(nproc)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

one() {
  local t=$1 log=$scratch/$1.log
  mkdir -p "$scratch/$t" "tests/fuzz/corpus/$t"
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     "build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="build/fuzz/crash-$t-" \
       "$scratch/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    awk -v t="$t" '/stat::number_of_executed_units/ {n=$2}
                   /stat::average_exec_per_sec/ {r=$2}
                   /stat::new_units_added/ {u=$2}
                   END {printf "fuzz %s: ok, %d runs, %d execs/s, %d new inputs\n", t, n, r, u}' "$log"
  else
    echo "fuzz $t: FAILED"; grep -E "ERROR|runtime error|property broken|SUMMARY" "$log" | head -5
    return 1
  fi
}

status=0
pids=()
for bin in build/fuzz/*; do
  [ -x "$bin" ] && [[ $bin != *crash-* ]] || continue
  one "$(basename "$bin")" & pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit "$status"
