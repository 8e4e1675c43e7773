#!/usr/bin/env bats
# The shape of what `make` builds.

load test_helper

teardown() { :; }

@test "the library has no NEEDED entry for any client library" {
  run readelf -d "$ROOT/build/libdbclone.so"
  assert_success
  assert_output --partial "NEEDED"
  refute_output --regexp "libpq|libsqlite3|libmysqlclient|libmariadb"
}

@test "the library exports only hooked functions" {
  run bash -c "nm -D --defined-only '$ROOT/build/libdbclone.so' | awk '{print \$3}'"
  assert_success
  assert_output --partial "PQconnectdbParams"
  for sym in $output; do
    [[ $sym =~ ^(PQ|sqlite3_|mysql_|dlopen$|dlsym$) ]] || fail "exports $sym"
  done
}

@test "the pass-through dlsym and dlopen are tail calls, so glibc sees the caller" {
  run bash -c "objdump -d --no-show-raw-insn '$ROOT/build/libdbclone.so' | awk '/<dlopen>:/,/^\$/'"
  assert_success
  assert_output --regexp "jmp +\*"
}

@test "dbclone --help documents every command and every variable the code reads" {
  run "$DBCLONE" --help
  assert_success
  for cmd in run next ls gc doctor version; do
    assert_output --partial "  $cmd"
  done
  for var in $(grep -rhoE '"DBCLONE_[A-Z_]+"' "$ROOT/interpose" "$ROOT/backends" "$ROOT/cli" | tr -d '"' | sort -u); do
    assert_output --partial "$var"
  done
}

@test "every variable the code reads is in the README" {
  for var in $(grep -rhoE '"DBCLONE_[A-Z_]+"' "$ROOT/interpose" "$ROOT/backends" "$ROOT/cli" | tr -d '"' | sort -u); do
    grep -q "$var" "$ROOT/README.md" || fail "README does not document $var"
  done
}

@test "dbclone version prints the version" {
  run "$DBCLONE" version
  assert_success
  assert_output --regexp "^dbclone [0-9]+\.[0-9]+\.[0-9]+$"
}

@test "an unknown command is a one-line dbclone: error" {
  run "$DBCLONE" frobnicate
  assert_failure 2
  assert_output "dbclone: unknown command \"frobnicate\"; see dbclone --help"
}

@test "make install puts the command, the library, the man pages and the completion under DESTDIR/PREFIX, and run finds it" {
  dest=$BATS_TEST_TMPDIR/dest
  run make -C "$ROOT" install DESTDIR="$dest" PREFIX=/opt/dbc
  assert_success
  [ -x "$dest/opt/dbc/bin/dbclone" ]
  [ -f "$dest/opt/dbc/lib/dbclone/libdbclone.so" ]
  [ -f "$dest/opt/dbc/share/man/man1/dbclone.1" ]
  [ -f "$dest/opt/dbc/share/man/man7/libdbclone.7" ]
  [ -f "$dest/opt/dbc/share/bash-completion/completions/dbclone" ]
  DBCLONE_LIBRARY= run env -u DBCLONE_LIBRARY "$dest/opt/dbc/bin/dbclone" doctor
  assert_success
  assert_output --partial "ok: library $dest/opt/dbc/lib/dbclone/libdbclone.so"
  # The harness helpers too, where the installed run finds them.
  [ -f "$dest/opt/dbc/lib/dbclone/harness/bats/dbclone.bash" ]
  run env -u DBCLONE_LIBRARY -u PYTEST_PLUGINS "$dest/opt/dbc/bin/dbclone" run -- \
    sh -c 'echo "$DBCLONE_HARNESS $PYTEST_PLUGINS"; ls "$DBCLONE_HARNESS/pytest"'
  assert_success
  assert_line "$dest/opt/dbc/lib/dbclone/harness pytest_dbclone"
  assert_line "pytest_dbclone.py"
}
