#!/usr/bin/env bash
# Installs the Debian packages that building and testing dbclone need, when
# they are missing. Safe to run again: it installs nothing that is there.
set -euo pipefail

# --demo: only what `make demo` needs (build, sqlite3, python3).
if [ "${1:-}" = --demo ]; then
  packages=(build-essential libpq-dev libsqlite3-dev sqlite3 python3)
else
  packages=(
    build-essential libpq-dev libsqlite3-dev libmariadb-dev
    postgresql postgresql-client postgresql-contrib mariadb-server sqlite3
    bats bats-assert bats-support python3 python3-psycopg2 python3-mysqldb
    python3-django python3-pytest python3-pytest-django
    valgrind clang clang-14 libclang-rt-14-dev gnuplot-nox hyperfine procps
    man-db bash-completion lintian dpkg-dev
    # the harnesses of tests/62-pytest.bats and tests/63-harnesses.bats
    python3-pytest python3-pytest-django python3-django python3-pytest-xdist
    python3-sqlalchemy ruby ruby-pg ruby-minitest php-cli php-pgsql phpunit
    libdbd-pg-perl
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "dbclone: missing packages: ${missing[*]}; install them with" \
       "sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
