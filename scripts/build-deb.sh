#!/bin/sh
# make deb: builds the Debian packages from debian/ with dpkg-buildpackage
# (binary only, unsigned, without the test suite) in a copy of the tree,
# and leaves the .deb files, the .changes and lintian's verdict in OUTDIR.
# A build is reused while its inputs (what goes into the packages: the
# sources, man pages, debian/, systemd/, the Makefile; committed or not)
# are unchanged: OUTDIR/inputs.sha256 records them.
# usage: build-deb.sh OUTDIR
set -eu
out=${1:?usage: build-deb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$(pwd)
inputs="Makefile src lib include man web debian systemd scripts/tlsrpt-conf-example.sh scripts/embed-web.sh scripts/pkgs.txt"
# shellcheck disable=SC2086
sum=$( { git ls-files -z --cached --others --exclude-standard -- $inputs | xargs -0 sha256sum 2>/dev/null; } |
	sha256sum | cut -d' ' -f1)
if [ -f "$out/inputs.sha256" ] && [ "$(cat "$out/inputs.sha256")" = "$sum" ] &&
   ls "$out"/tlsrpt_*.deb > /dev/null 2>&1; then
	echo "make deb: $out is up to date"
	exit 0
fi
rm -rf "$out/src" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out/inputs.sha256"
mkdir -p "$out/src/tlsrpt"
git ls-files -z --cached --others --exclude-standard |
	tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$out/src/tlsrpt"
# not the variables of a calling make (make check passes SANITIZE=, O=, OPT=)
( cd "$out/src/tlsrpt" && unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES SANITIZE O OPT &&
  DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b -j2 ) \
	> "$out/build.log" 2>&1 || { tail -n 30 "$out/build.log"; exit 1; }
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
rm -rf "$out/src"
ls "$out"/*.deb
lintian --fail-on error "$out"/*.changes > "$out/lintian.txt" 2>&1 && lint=0 || lint=$?
grep -v 'running with root privileges' "$out/lintian.txt" || true
[ "$lint" = 0 ] || { echo "make deb: lintian found errors"; exit 1; }
echo "$sum" > "$out/inputs.sha256"
