#!/bin/sh
# e2e.sh: the end-to-end tests (tests/) of the Windows gopipe.exe, under
# Wine: builds gopipe.exe and the tests' Windows test binary, and runs it
# with GOPIPE_BIN_DIR pointing at gopipe.exe, so it builds nothing itself.
#	.ci/wine/e2e.sh [-- TESTFLAGS...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ "${1:-}" = -- ] && shift

. "$here/env.sh"
"$here/setup.sh"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
GOOS=windows GOARCH=amd64 go build -tags urfave_cli_no_docs -o "$out/gopipe.exe" ./cmd/gopipe
GOOS=windows GOARCH=amd64 go test -c -o "$out/tests.test.exe" ./tests
bindir=$("$WINE" winepath -w "$out" 2>/dev/null)
rc=0
(cd tests && GOPIPE_BIN_DIR=$bindir timeout -k 10 600 "$WINE" "$out/tests.test.exe" -test.v "$@") || rc=$?
# Whatever the tests left running in the prefix (a FIFO holder) would keep
# the wineserver, and our output, alive.
"$WINESERVER" -k 2>/dev/null || true
if [ $rc -ne 0 ]; then
	echo "=== wine: e2e FAILED (status $rc)" >&2
	exit 1
fi
echo "=== wine: e2e ok" >&2
