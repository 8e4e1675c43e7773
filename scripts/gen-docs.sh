#!/usr/bin/env bash
# Makes `dbclone --help` (a C string), dbclone(1) and libdbclone(7) from
# the one source man/dbclone.txt, so that they cannot drift:
#   scripts/gen-docs.sh help|man1|man7 VERSION LIBDIR < man/dbclone.txt
set -euo pipefail
what=$1 version=${2:-0} libdir=${3:-/usr/lib/dbclone}

awk -v what="$what" -v version="$version" -v libdir="$libdir" '
function cstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\\n\"" }
function roff(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); sub(/^[.'"'"']/, "\\\\&&", s); return s }
function out(s) { if (what == "help") print cstr(s); else print s }
function flush_help() {
  if (kind == "intro") { out(""); for (i = 1; i <= n; i++) out(text[i]); out("") }
  else if (kind == "command") {
    if (!said_commands) { out("Commands:"); said_commands = 1 }
    out("  " head); for (i = 1; i <= n; i++) out("        " text[i]) }
  else if (kind == "para") { out(""); for (i = 1; i <= n; i++) out(text[i]) }
  else if (kind == "group") { out(""); out(head) }
  else if (kind == "variable") {
    if (length(head) > 19) { out("  " head); pad = sprintf("%22s", "") ; first = 1 }
    else { first = 0 }
    for (i = 1; i <= n; i++) {
      if (i == 1 && !first) out(sprintf("  %-19s %s", head, text[i]))
      else out(sprintf("%22s%s", "", text[i])) } }
}
function joined(   s, i) { s = ""; for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") text[i]; return roff(s) }
function flush_man() {
  if (kind == "intro" && what == "man1") { print ".SH DESCRIPTION"; print joined(); print ".PP"
    print "Run a suite under \\fBdbclone run\\fR, or preload the library yourself: see \\fBlibdbclone\\fR(7)."
    print ".SH COMMANDS" }
  else if (kind == "command" && what == "man1") { print ".TP"; print "\\fB" roff(head) "\\fR"; print joined() }
  else if (kind == "para" && what == "man1") { print ".PP"; print joined() }
  else if (kind == "group") {
    if (!said_env) { print ".SH ENVIRONMENT"; said_env = 1 }
    h = head; sub(/:$/, "", h); print ".SS " roff(h) }
  else if (kind == "variable") { print ".TP"; print "\\fB" head "\\fR"; print joined() }
}
function flush() { if (kind != "") { if (what == "help") flush_help(); else flush_man() } kind = ""; n = 0 }
BEGIN {
  if (what == "help") { print "/* Made by scripts/gen-docs.sh from man/dbclone.txt: do not edit. */"
    print "static const char usage[] =" ; print cstr("usage: dbclone COMMAND [ARGS]") }
  else if (what == "man1") {
    print ".\\\" Made by scripts/gen-docs.sh from man/dbclone.txt: do not edit."
    print ".TH DBCLONE 1 \"\" \"dbclone " version "\" \"User Commands\""
    print ".SH NAME"; print "dbclone \\- give every test a private clone of the database it connects to"
    print ".SH SYNOPSIS"; print ".B dbclone"; print ".I COMMAND"; print "[\\fIARGS\\fR]" }
  else if (what == "man7") {
    print ".\\\" Made by scripts/gen-docs.sh from man/dbclone.txt: do not edit."
    print ".TH LIBDBCLONE 7 \"\" \"dbclone " version "\" \"Miscellaneous\""
    print ".SH NAME"; print "libdbclone \\- the preloaded library that gives each test a private database clone"
    print ".SH SYNOPSIS"; print "LD_PRELOAD=" roff(libdir) "/libdbclone.so \\fIprogram\\fR ..."
    print ".SH DESCRIPTION"
    print "The library intercepts the connect calls of libpq, libsqlite3 and libmariadb/libmysqlclient in the program it is preloaded into, and sends each to a clone of the database asked for, made for the current test key; the clone is dropped at the next boundary or at exit. The source database is never written. Under \\fBdbclone run\\fR(1) the clones come from the run supervisor instead, shared by every process of the test."
    print ".PP"
    print "Programs that carry their own client library (statically linked) or speak the protocol themselves (JDBC, node\\-postgres, asyncpg, Go) are not intercepted; \\fBdbclone doctor\\fR tells." }
}
/^#/ { next }
/^@/ { flush(); kind = substr($1, 2); head = $0; sub(/^@[a-z]+ ?/, "", head); next }
{ text[++n] = $0 }
END {
  flush()
  if (what == "help") print ";"
  else {
    print ".SH FILES"; print ".TP"; print roff(libdir) "/libdbclone.so"; print "the library, found by the command next to itself or in ../lib/dbclone"
    print ".TP"; print "${TMPDIR:\\-/tmp}/dbclone\\-<uid>"; print "SQLite copies and intents (DBCLONE_DIR)"
    print ".SH EXIT STATUS"; print "\\fBdbclone run\\fR exits with the command'"'"'s status; the other commands 0 on success, 1 when a check or a server failed, 2 on a usage error."
    print ".SH SEE ALSO"; print (what == "man1" ? "\\fBlibdbclone\\fR(7)" : "\\fBdbclone\\fR(1)") ", \\fBeatmydata\\fR(1), \\fBfaketime\\fR(1)"
  }
}'
