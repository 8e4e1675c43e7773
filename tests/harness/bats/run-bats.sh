#!/usr/bin/env bash
# Runs bats as a suite of its own, inside a test that bats runs: what the
# outer bats exported (variables, functions) is left out.
for v in $(compgen -e); do
  case $v in
    PATH|HOME|TMPDIR|LD_PRELOAD|PG*|DBCLONE_*|ASAN_OPTIONS|UBSAN_OPTIONS|LANG|LC_*) ;;
    *) unset "$v" ;;
  esac
done
for f in $(compgen -A function); do unset -f "$f"; done
# The outer bats puts its libexec first on PATH, whose bats needs the
# functions the front script defines.
PATH=$(tr : '\n' <<< "$PATH" | grep -v /bats-core | paste -sd:)
exec bats "$@"
