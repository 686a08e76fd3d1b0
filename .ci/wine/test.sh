#!/bin/sh
# test.sh: build each package's Windows test binary and run it under Wine.
#
#	.ci/wine/test.sh [-race] [-t SECONDS] PKG... [-- TESTFLAGS...]
#
# PKG are package directories relative to the repository root (./fifo), one
# test binary each; TESTFLAGS are passed to
# the test binary after -test.v, e.g. -- -test.run 'TestDial' -test.count 1.
# -race builds with the race detector (cgo, with the mingw compiler).
# Runs setup.sh first. Fails if any test binary fails or runs past the
# timeout (default 600s per package).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

timeout=600
race=
while :; do
	case ${1:-} in
	-t) timeout=$2; shift 2 ;;
	-race) race=-race; shift ;;
	*) break ;;
	esac
done

pkgs=
while [ $# -gt 0 ]; do
	case $1 in
	--) shift; break ;;
	*) pkgs="$pkgs $1"; shift ;;
	esac
done
if [ -z "$pkgs" ]; then
	echo "usage: test.sh [-race] [-t SECONDS] PKG... [-- TESTFLAGS...]" >&2
	exit 2
fi

. "$here/env.sh"
"$here/setup.sh"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

status=0
cd "$root"
for pkg in $pkgs; do
	exe=$out/$(echo "$pkg" | tr -c 'A-Za-z0-9_\n' _).test.exe
	echo "=== wine: building $pkg" >&2
	if ! env ${race:+CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc} \
		GOOS=windows GOARCH=amd64 go test $race -c -o "$exe" "$pkg"; then
		status=1
		continue
	fi
	if [ ! -f "$exe" ]; then
		echo "=== wine: $pkg has no tests" >&2
		continue
	fi
	echo "=== wine: running $pkg" >&2
	# Run in the package directory, as go test does (testdata paths).
	# -k: a hung Wine process ignoring SIGTERM gets SIGKILL 10s later.
	rc=0
	(cd "$pkg" && timeout -k 10 "$timeout" "$WINE" "$exe" -test.v "$@") || rc=$?
	# Kill whatever the tests left running in the prefix (a FIFO holder a
	# failed test did not remove, say): it would keep the wineserver, and
	# with it our stdout, alive.
	"$WINESERVER" -k 2>/dev/null || true
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "=== wine: $pkg timed out after ${timeout}s" >&2
	fi
	if [ $rc -ne 0 ]; then
		echo "=== wine: FAIL $pkg (exit $rc)" >&2
		status=1
	else
		echo "=== wine: ok $pkg" >&2
	fi
done
exit $status
