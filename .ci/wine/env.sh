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
# Which wine and wineserver to run, wherever the distribution puts them:
# Debian's wine package gives /usr/bin/wine and wineserver (alternatives
# over wine-stable), its wine64 package only /usr/lib/wine/wine64 and
# wineserver64; other distributions have wine64 and wineserver on PATH.
# The first that exists wins; "wine winepath" replaces the winepath script,
# which only the wine package has.
first() {
	for c in "$@"; do
		if command -v "$c" >/dev/null 2>&1; then echo "$c"; return; fi
	done
	echo "$1"
}
WINE=${WINE:-$(first wine wine-stable wine64 /usr/lib/wine/wine64)}
WINESERVER=${WINESERVER:-$(first wineserver wineserver-stable /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver)}
