# env.sh, sourced by the Wine scripts: the prefix, no display and no
# pop-ups, and which wine and wineserver to run.
: "${WINEPREFIX:=$HOME/.wine-gopipe}"
: "${WINEDEBUG:=-all}"
# No GUI: an empty DISPLAY keeps wineboot from trying (and hanging) to reach
# an X server; WINEDLLOVERRIDES stops it from offering to install Mono and
# Gecko in a dialog nobody can answer, and from running winemenubuilder.
DISPLAY=
WINEARCH=win64
WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=;winemenubuilder.exe=d}"
export WINEPREFIX WINEDEBUG DISPLAY WINEARCH WINEDLLOVERRIDES
# Debian's wine64 package installs /usr/lib/wine/wine64 and a /usr/bin/wine
# wrapper, and its wineserver as /usr/lib/wine/wineserver64; other
# distributions have wine64 and wineserver on PATH.
if command -v wine >/dev/null 2>&1; then WINE=wine; else WINE=wine64; fi
if command -v wineserver >/dev/null 2>&1; then
	WINESERVER=wineserver
else
	WINESERVER=/usr/lib/wine/wineserver64
fi
