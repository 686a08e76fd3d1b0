#!/usr/bin/env bash
# bench/progress.sh: how steady and how right the rate `gopipe cat
# --progress` shows is, against pv's, both watching the same rate-limited
# stream in the same run; and how exact each one's rate limit is.
#
#   bench/progress.sh [SECONDS] [RATE]   each stream lasts about SECONDS
#                                        (default 30) at RATE (default 50m,
#                                        as pv -L and gopipe --rate-limit
#                                        read it)
#   GOPIPE=/path/to/gopipe bench/progress.sh    use a built binary
#
# Each source is limited by pv -L, then by gopipe cat --rate-limit; the
# stream then goes through `gopipe cat --force-progress` and `pv -f`, which
# write a line (pv: a CR-ended one) a second to a log. The rates of those
# lines, but the first 3 (gopipe's window filling up, pv's first second)
# and the summary, are compared with the stream's true rate (bytes over
# wall time). Prints a Markdown table.
set -euo pipefail

SECS=${1:-30}
RATE=${2:-50m}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ -z "${GOPIPE:-}" ]]; then
	GOPIPE=$work/gopipe
	(cd "$here" && CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$GOPIPE" ./cmd/gopipe)
fi
command -v pv >/dev/null || { echo "bench/progress.sh needs pv" >&2; exit 1; }

# bytes RATE: RATE in bytes a second (K, M, G: powers of 1024).
bytes() {
	awk -v r="$1" 'BEGIN {
		m = 1; s = toupper(substr(r, length(r)))
		if (s == "K") m = 1024; else if (s == "M") m = 1048576; else if (s == "G") m = 1073741824
		if (m > 1) r = substr(r, 1, length(r) - 1)
		printf "%d", r * m }'
}
rate=$(bytes "$RATE")
size=$((rate * SECS))

# rates LOG: the rates a log shows, in MiB/s, one a line, but the first 3
# and the summary.
rates() {
	tr '\r' '\n' <"$1" | grep -o '\[ *[0-9.]*[KMGT]\?i\?B/s\]' | tr -d '[]/s ' |
		awk '{ v = $0 + 0; u = $0; sub(/^[0-9.]+/, "", u)
			if (u == "KiB") v /= 1024; else if (u == "B") v /= 1048576
			else if (u == "GiB") v *= 1024; else if (u == "TiB") v *= 1048576
			print v }' | head -n -1 | tail -n +4
}

# stats TRUE: count, mean, min, max, spread and worst error against TRUE
# (MiB/s) of the numbers on stdin, as table cells.
stats() {
	awk -v t="$1" '{ n++; s += $1; if (n == 1 || $1 < lo) lo = $1; if (n == 1 || $1 > hi) hi = $1
			e = $1 - t; if (e < 0) e = -e; if (e > w) w = e }
		END { if (!n) { print "0 | – | – | – | – | –"; exit }
			printf "%d | %.2f | %.2f | %.2f | %.2f | %.2f%%\n", n, s / n, lo, hi, hi - lo, 100 * w / t }'
}

echo "$(uname -sr), $(nproc) CPUs, $(pv --version | head -1), $SECS s at $RATE a second per source"
echo
echo "| source | shown by | samples | mean MiB/s | min | max | spread | worst error vs true |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
# Each source twice: with gopipe cat, then pv, next to it, since the one
# next to the source sees its bursts as they come (pv -L writes a tenth of
# a second's worth at a time) and the other what the first made of them.
for src in "pv -L" "gopipe --rate-limit"; do
	case $src in
	"pv -L") limit=(pv -q -L "$RATE" /dev/zero) ;;
	*) limit=("$GOPIPE" cat --rate-limit "$RATE" /dev/zero) ;;
	esac
	for first in gopipe pv; do
		g=("$GOPIPE" cat --force-progress) p=(pv -f)
		s=$(date +%s.%N)
		# The source dies of SIGPIPE once head has its bytes.
		if [[ $first == gopipe ]]; then
			{ "${limit[@]}" || true; } | head -c "$size" | "${g[@]}" 2>"$work/g.log" | "${p[@]}" 2>"$work/p.log" | wc -c >"$work/n"
		else
			{ "${limit[@]}" || true; } | head -c "$size" | "${p[@]}" 2>"$work/p.log" | "${g[@]}" 2>"$work/g.log" | wc -c >"$work/n"
		fi
		e=$(date +%s.%N)
		[[ $(cat "$work/n") == "$size" ]] || { echo "$src: $(cat "$work/n") bytes came through, not $size" >&2; exit 1; }
		true=$(echo "$size / ($e - $s) / 1048576" | bc -l)
		where="$src, $first first (true rate $(printf %.2f "$true") MiB/s, $(printf %+.2f "$(echo "100 * ($true * 1048576 - $rate) / $rate" | bc -l)")% off $RATE)"
		printf '| %s | gopipe cat --force-progress | %s |\n' "$where" "$(rates "$work/g.log" | stats "$true")"
		printf '| %s | pv -f | %s |\n' "$where" "$(rates "$work/p.log" | stats "$true")"
	done
done
