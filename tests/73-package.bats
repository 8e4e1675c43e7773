#!/usr/bin/env bats
# bats file_tags=normal-pass-only
# make deb: a package that installs with dpkg -i (as root), runs the demo
# suite from its installed paths, and leaves nothing once purged; lintian
# finds no error in it.

load test_helper
bats_require_minimum_version 1.5.0

setup_file() {
  [ "$(id -u)" = 0 ] || { echo "the package test installs a package: run it as root" >&2; return 1; }
  cd "$BATS_TEST_DIRNAME/.." && make -s deb > "$BATS_FILE_TMPDIR/deb" 2>"$BATS_FILE_TMPDIR/deb.err"
}

teardown() {
  dpkg -s dbclone >/dev/null 2>&1 && dpkg --purge dbclone >/dev/null 2>&1 || true
}

deb() { tail -n1 "$BATS_FILE_TMPDIR/deb"; }

# What the package puts on the system, and what must be gone after.
installed_paths=(
  /usr/bin/dbclone /usr/lib/dbclone/libdbclone.so /usr/share/man/man1/dbclone.1.gz
  /usr/share/man/man7/libdbclone.7.gz /usr/share/bash-completion/completions/dbclone
  /usr/share/dbclone/demo/suite.sh /usr/share/dbclone/ci/steps.sh
  /usr/share/doc/dbclone/copyright
)

@test "lintian finds no error in the package (its warnings are listed in the output)" {
  run lintian --tag-display-limit 0 "$ROOT/$(deb)"
  echo "$output" | grep -v '^running with root' >&3 || true
  refute_line --regexp '^E: '
}

@test "the package says that no licence has been chosen, and invents none" {
  run bash -c "dpkg-deb --fsys-tarfile '$ROOT/$(deb)' | tar -xO ./usr/share/doc/dbclone/copyright"
  assert_success
  assert_line --partial "No licence has been chosen for dbclone yet"
  assert_line "License: none"
}

@test "dpkg -i installs it; the demo suite runs from the installed paths; purge leaves nothing" {
  ! dpkg -s dbclone >/dev/null 2>&1 || dpkg --purge dbclone >/dev/null
  run dpkg -i "$ROOT/$(deb)"
  assert_success
  for p in "${installed_paths[@]}"; do
    [ -e "$p" ] || fail "not installed: $p"
  done
  # The installed command finds the installed library, not this tree's.
  run env -u DBCLONE_LIBRARY -u LD_PRELOAD /usr/bin/dbclone doctor
  assert_success
  assert_line "ok: library /usr/lib/dbclone/libdbclone.so"
  run man -w dbclone
  assert_output /usr/share/man/man1/dbclone.1.gz
  run env -u DBCLONE_LIBRARY -u DBCLONE_DIR DBCLONE=/usr/bin/dbclone \
    DBCLONE_DEMO=/usr/share/dbclone/demo/suite.sh "$ROOT/scripts/demo.sh"
  assert_success
  assert_line --regexp "^suite FAILED +suite passed$"
  assert_line --regexp "clone files left behind: 0$"
  run dpkg --purge dbclone
  assert_success
  run dpkg -s dbclone
  assert_failure
  for p in "${installed_paths[@]}" /usr/lib/dbclone /usr/share/dbclone /usr/share/doc/dbclone; do
    [ ! -e "$p" ] || fail "left after purge: $p"
  done
}
