#!/usr/bin/env bash
# The steps of dbclone's CI recipes (ci/github-actions.yml,
# ci/gitlab-ci.yml), kept here so that a test runs them
# (tests/74-ci-recipes.bats) and the recipes cannot rot.
#
#   ci/steps.sh install          build and install dbclone (root), and
#                                the clients the steps use
#   ci/steps.sh prepare          make the source databases the suite
#                                expects, if missing (once per server)
#   ci/steps.sh test -- CMD ...  run the suite under dbclone run; the
#                                summary also as JSON in DBCLONE_CI_SUMMARY
#   ci/steps.sh gc               drop what cancelled jobs left (their
#                                owner gone on this host, or older than
#                                DBCLONE_CI_GC_AGE on a shared server)
#
# Servers come from the usual variables: PGHOST, PGPORT, PGUSER,
# PGPASSWORD; MYSQL_HOST (or MYSQL_UNIX_PORT), MYSQL_TCP_PORT,
# MYSQL_USER, MYSQL_PWD. DBCLONE_CI_PG_DB and DBCLONE_CI_MYSQL_DB name the
# sources (default: app); DBCLONE_CI_SCHEMA is an SQL file run into each
# new source. Parallel jobs may share one server: each run's clones have
# names of their own, and each job's gc drops only what is proven left.
set -euo pipefail

pg_db=${DBCLONE_CI_PG_DB:-app}
my_db=${DBCLONE_CI_MYSQL_DB:-app}
dbclone=${DBCLONE:-dbclone}

say() { echo "ci/steps.sh: $*" >&2; }
die() { echo "dbclone: ci/steps.sh: $*" >&2; exit 2; }

install_dbclone() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends build-essential libpq-dev \
    libsqlite3-dev libmariadb-dev postgresql-client mariadb-client sqlite3 >/dev/null
  make -s all PREFIX=/usr/local
  make -s install PREFIX=/usr/local
  dbclone doctor
}

mariadb_cli() {
  local cli
  cli=$(command -v mariadb || command -v mysql) || {
    die "no mariadb or mysql client to prepare the MariaDB source; install mariadb-client"; }
  "$cli" ${MYSQL_HOST:+--host="$MYSQL_HOST"} ${MYSQL_TCP_PORT:+--port="$MYSQL_TCP_PORT"} \
    ${MYSQL_USER:+--user="$MYSQL_USER"} "$@"
}

prepare() {
  if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
    if ! psql -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$pg_db'" | grep -q 1; then
      psql -d postgres -qc "CREATE DATABASE \"$pg_db\""
      [ -z "${DBCLONE_CI_SCHEMA:-}" ] || psql -d "$pg_db" -q -f "$DBCLONE_CI_SCHEMA"
    fi
    say "PostgreSQL source $pg_db ready"
  fi
  if [ -n "${MYSQL_HOST:-}${MYSQL_UNIX_PORT:-}${MYSQL_TCP_PORT:-}" ]; then
    if ! mariadb_cli -N -e "SHOW DATABASES LIKE '$my_db'" | grep -q .; then
      mariadb_cli -e "CREATE DATABASE \`$my_db\`"
      [ -z "${DBCLONE_CI_SCHEMA:-}" ] || mariadb_cli "$my_db" < "$DBCLONE_CI_SCHEMA"
    fi
    say "MariaDB source $my_db ready"
  fi
}

run_suite() {
  [ "${1:-}" = -- ] && shift
  [ $# -gt 0 ] || die "test needs the command that runs the suite; use ci/steps.sh test -- CMD"
  exec "$dbclone" run ${DBCLONE_CI_SUMMARY:+--summary-json "$DBCLONE_CI_SUMMARY"} -- "$@"
}

gc() {
  # Same host: clones whose run is gone, whatever their age; another
  # runner's (a shared server): by age only.
  "$dbclone" gc --older-than "${DBCLONE_CI_GC_AGE:-2h}"
}

case ${1:-} in
  install) install_dbclone ;;
  prepare) prepare ;;
  test) shift; run_suite "$@" ;;
  gc) gc ;;
  help | -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "unknown step \"${1:-}\"; use install, prepare, test -- CMD or gc" ;;
esac
