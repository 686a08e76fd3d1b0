#!/bin/sh
# setup.sh: prepare a Wine prefix in which Go (1.24+) Windows binaries run.
#
# Idempotent: creates $WINEPREFIX (default $HOME/.wine-gopipe) if needed,
# without a display, and installs a bcryptprimitives.dll shim (Wine 8 lacks
# the DLL; the Go runtime needs its ProcessPrng at start-up).
#
# Needs: Debian's wine (or wine64 alone) and gcc-mingw-w64-x86-64.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

. "$here/env.sh"
if ! command -v "$WINE" >/dev/null 2>&1; then
	echo "setup.sh: $WINE not found (apt-get install wine)" >&2
	exit 1
fi
command -v "$WINESERVER" >/dev/null 2>&1 || WINESERVER=
CC=${CC:-x86_64-w64-mingw32-gcc}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "setup.sh: $CC not found (apt-get install gcc-mingw-w64-x86-64)" >&2
	exit 1
fi

# Wine refuses a prefix not owned by the current user, and CI may run as root
# with a HOME it did not create; make sure the parent exists.
mkdir -p "$(dirname "$WINEPREFIX")"

if [ ! -f "$WINEPREFIX/system.reg" ] || [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
	echo "setup.sh: creating Wine prefix $WINEPREFIX" >&2
	# -i initialises the prefix; stdin from /dev/null so nothing waits for
	# input; timeout in case something still waits for a display.
	timeout 300 "$WINE" wineboot -i </dev/null >/dev/null 2>&1 || {
		echo "setup.sh: wineboot -i failed" >&2
		exit 1
	}
	# wineboot returns before the wineserver has flushed the registry to
	# disk; wait for it so the prefix is complete.
	if [ -n "$WINESERVER" ]; then
		timeout 120 "$WINESERVER" -w || "$WINESERVER" -k || true
	fi
fi

sys32=$WINEPREFIX/drive_c/windows/system32
dll=$sys32/bcryptprimitives.dll
src=$here/bcryptprimitives.c
def=$here/bcryptprimitives.def
# Install when missing; rebuild our own shim (it carries a marker string) when
# older than its source. A real DLL from a newer Wine is left alone.
if [ ! -f "$dll" ] ||
	{ grep -qa gopipe-bcryptprimitives-shim "$dll" &&
		{ [ "$src" -nt "$dll" ] || [ "$def" -nt "$dll" ]; }; }; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	"$CC" -shared -O2 -Wall -o "$tmp/bcryptprimitives.dll" "$src" "$def"
	cp "$tmp/bcryptprimitives.dll" "$dll"
	echo "setup.sh: installed $dll" >&2
fi
