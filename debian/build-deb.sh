#!/usr/bin/env bash
# make deb: the .deb of dbclone, from an already built tree (make all
# PREFIX=/usr), with dpkg-deb: no debhelper, and no test suite run inside
# the build. Writes build/dbclone_VERSION_ARCH.deb.
#   DEB_MAINTAINER  the Maintainer field (default: git's user.name/email)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
arch=$(dpkg --print-architecture)
stage=$PWD/build/deb/dbclone
maintainer=${DEB_MAINTAINER:-"$(git config user.name 2>/dev/null || echo dbclone) <$(git config user.email 2>/dev/null || echo dbclone@localhost.invalid)>"}
# Reproducible: the date of the last commit, else now.
when=$(git log -1 --format=%ct 2>/dev/null || date +%s)

rm -rf build/deb
mkdir -p "$stage/DEBIAN"
make -s install DESTDIR="$stage" PREFIX=/usr
# The man pages name the library's installed place.
scripts/gen-docs.sh man1 "$version" /usr/lib/dbclone < man/dbclone.txt > "$stage/usr/share/man/man1/dbclone.1"
scripts/gen-docs.sh man7 "$version" /usr/lib/dbclone < man/dbclone.txt > "$stage/usr/share/man/man7/libdbclone.7"
gzip -9n "$stage/usr/share/man/man1/dbclone.1" "$stage/usr/share/man/man7/libdbclone.7"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
  "$stage/usr/bin/dbclone" "$stage/usr/lib/dbclone/libdbclone.so"

# The harness helpers: the demo suite and the CI steps script.
share=$stage/usr/share/dbclone
install -d "$share/demo" "$share/ci"
install -m 0755 demo/suite.sh "$share/demo/suite.sh"
install -m 0644 demo/*.py "$share/demo/"
install -m 0755 ci/steps.sh "$share/ci/steps.sh"
install -m 0644 ci/github-actions.yml ci/gitlab-ci.yml "$share/ci/"

doc=$stage/usr/share/doc/dbclone
install -d "$doc" build/deb/debian
install -m 0644 debian/copyright "$doc/copyright"
{
  printf 'dbclone (%s) unstable; urgency=medium\n\n' "$version"
  printf '  * Built from the dbclone repository by make deb.\n\n'
  printf ' -- %s  %s\n' "$maintainer" "$(date -R -u -d "@$when")"
} > build/deb/debian/changelog
gzip -9n < build/deb/debian/changelog > "$doc/changelog.gz"

# Depends from the libraries the binaries link (dpkg-shlibdeps reads
# debian/control for the package's name).
sed "s|@MAINTAINER@|$maintainer|" debian/control > build/deb/debian/control
(cd build/deb && dpkg-shlibdeps -O -T/dev/null "-e$stage/usr/bin/dbclone" \
   "-e$stage/usr/lib/dbclone/libdbclone.so" 2>/dev/null) > build/deb/substvars
(cd build/deb && dpkg-gencontrol -pdbclone -v"$version" -Tsubstvars \
   -P"$stage" -f/dev/null -Vmisc:Depends= -DArchitecture="$arch" -O) > "$stage/DEBIAN/control"
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -exec touch -h -d "@$when" {} +
out=build/dbclone_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
