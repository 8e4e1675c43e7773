#!/usr/bin/env bats
# bats file_tags=normal-pass-only
# --help and the man pages come from one source and cover everything: each
# DBCLONE_ variable the code reads, each command; the pages render cleanly;
# bash completion completes commands and options.

load test_helper
bats_require_minimum_version 1.5.0

# Every DBCLONE_ variable named in the C code of the library, the
# backends and the command.
code_variables() {
  grep -rhoE '"DBCLONE_[A-Z_]+' "$ROOT/interpose" "$ROOT/backends" "$ROOT/cli" | tr -d '"' | sort -u
}

@test "every DBCLONE_ variable the code reads is in --help, dbclone(1) and libdbclone(7)" {
  run code_variables
  assert_success
  [ "${#lines[@]}" -ge 20 ]
  help=$("$DBCLONE" --help)
  man1=$(MANWIDTH=200 man -l "$ROOT/build/man/dbclone.1" 2>/dev/null)
  man7=$(MANWIDTH=200 man -l "$ROOT/build/man/libdbclone.7" 2>/dev/null)
  missing=
  for v in "${lines[@]}"; do
    grep -qw -- "$v" <<<"$help" || missing+=" help:$v"
    grep -qw -- "$v" <<<"$man1" || missing+=" man1:$v"
    grep -qw -- "$v" <<<"$man7" || missing+=" man7:$v"
  done
  assert_equal "$missing" ""
}

@test "every command of the dbclone command is in --help and dbclone(1), from the same source" {
  man1=$(MANWIDTH=200 man -l "$ROOT/build/man/dbclone.1" 2>/dev/null)
  for cmd in run next ls gc doctor version; do
    grep -q "^\s*\"  $cmd\b" "$ROOT/build/gen/usage.h" || fail "--help lacks $cmd"
    grep -qE "^\s+$cmd( |$)" <<<"$man1" || fail "dbclone(1) lacks $cmd"
  done
  for opt in --per-process --pool --keep= --summary-json --json --dry-run --older-than --pg --mysql --pid --run; do
    "$DBCLONE" --help | grep -q -- "$opt" || fail "--help lacks $opt"
    grep -q -- "${opt//-/\\\\-}" "$ROOT/build/man/dbclone.1" || fail "dbclone(1) lacks $opt"
  done
  # The help the command prints is the generated one.
  diff <("$DBCLONE" --help) <(scripts_out=$(cd "$ROOT" && scripts/gen-docs.sh help < man/dbclone.txt) &&
    sed -n 's/^"\(.*\)\\n"$/\1/p' <<<"$scripts_out" | sed 's/\\"/"/g; s/\\\\/\\/g')
}

@test "the man pages render without a warning from man" {
  for page in dbclone.1 libdbclone.7; do
    run --separate-stderr env MANWIDTH=80 man --warnings -l "$ROOT/build/man/$page"
    assert_success
    assert_equal "$stderr" ""
  done
}

@test "bash completion completes commands, options and the command after --" {
  run bash -c "
    . /usr/share/bash-completion/bash_completion
    . '$ROOT/completion/dbclone.bash'
    for line in 'dbclone d' 'dbclone run --p' 'dbclone ls --j' 'dbclone run -- sqlite' ; do
      COMP_LINE=\$line; read -ra COMP_WORDS <<<\"\$line\"
      [[ \$line == *' ' ]] && COMP_WORDS+=('')
      COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMP_POINT=\${#line}
      COMPREPLY=(); _dbclone dbclone \"\${COMP_WORDS[-1]}\" \"\${COMP_WORDS[-2]}\"
      echo \"\$line => \${COMPREPLY[*]}\"
    done"
  assert_success
  assert_line "dbclone d => doctor"
  assert_line "dbclone run --p => --per-process --pool"
  assert_line "dbclone ls --j => --json"
  assert_line --regexp "^dbclone run -- sqlite => .*sqlite3"
}
