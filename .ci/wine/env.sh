# env.sh, sourced by the Wine scripts: the prefix, no display and no
# pop-ups (Mono, Gecko, menu builder), and which wine and wineserver to run.
: "${WINEPREFIX:=$HOME/.wine-gopipe}"
: "${WINEDEBUG:=-all}"
DISPLAY=
WINEARCH=win64
WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=;winemenubuilder.exe=d}"
export WINEPREFIX WINEDEBUG DISPLAY WINEARCH WINEDLLOVERRIDES
if command -v wine >/dev/null 2>&1; then WINE=wine; else WINE=wine64; fi
if command -v wineserver >/dev/null 2>&1; then
	WINESERVER=wineserver
else
	WINESERVER=/usr/lib/wine/wineserver64
fi
