#!/bin/bash
# bench/run.sh: `gopipe run 'ONE-LINER'` against `bash -c 'ONE-LINER'`,
# measured in the same run, on `true` and three one-liners over a generated
# web server log (SIZE MiB):
#
#   true                      start-up alone
#   grep | wc                 grep -c-like count through a pipe
#   awk | sort | uniq -c | sort -rn | head    the top ten clients
#   grep > f && wc            a redirection, then a second command
#
# Both get the same environment (LC_ALL=C, so that sort and grep do the same
# work) and run in the log's directory. Builds gopipe the start-up-sensitive
# way (README's build). Prints a Markdown table: each one-liner's mean under
# bash and gopipe (medians) and their ratio (the target is 1.3x or less).
#
#   bench/run.sh [SIZE_MIB] [RUNS]     (default 10 MiB, 100 runs)
#   GOPIPE=/path/to/gopipe bench/run.sh    use a built binary
#   GOPIPE_BEFORE=/path/to/old/gopipe bench/run.sh    and time that one too,
#                                  in the same rounds, for a before/after
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-10}
runs=${2:-100}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -z "${GOPIPE:-}" ]]; then
	GOPIPE=$tmp/gopipe
	CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$GOPIPE" ./cmd/gopipe
fi

# A log of about SIZE MiB: client, time, request, status, bytes, level.
awk -v bytes=$((size * 1024 * 1024)) 'BEGIN {
	srand(1)
	split("GET POST PUT DELETE", m, " ")
	split("INFO INFO INFO WARN ERROR", lv, " ")
	while (n < bytes) {
		line = sprintf("10.%d.%d.%d - - [01/Dec/2026:10:%02d:%02d +0000] \"%s /api/v1/item/%d HTTP/1.1\" %d %d %s",
			int(rand() * 4), int(rand() * 16), int(rand() * 250), int(rand() * 60), int(rand() * 60),
			m[1 + int(rand() * 4)], int(rand() * 100000), (rand() < 0.9 ? 200 : 500),
			int(rand() * 50000), lv[1 + int(rand() * 5)])
		print line
		n += length(line) + 1
	}
}' > "$tmp/access.log"

names=("true" "grep \| wc" "awk \| sort \| uniq -c \| sort -rn \| head" "grep > f && wc")
lines=(
	"true"
	"grep ERROR access.log | wc -l"
	"awk '{print \$1}' access.log | sort | uniq -c | sort -rn | head"
	"grep ' 500 ' access.log > errors.txt && wc -l errors.txt"
)
# Same output from both first.
for l in "${lines[@]}"; do
	want=$(cd "$tmp" && LC_ALL=C bash -c "$l")
	for gp in "$GOPIPE" ${GOPIPE_BEFORE:+"$GOPIPE_BEFORE"}; do
		got=$(cd "$tmp" && LC_ALL=C "$gp" run "$l")
		[[ "$got" == "$want" ]] || { printf 'differs: %s\nbash:\n%s\n%s:\n%s\n' "$l" "$want" "$gp" "$got" >&2; exit 1; }
	done
done

# The machine is shared and noisy: bash and gopipe alternate, in rounds
# of up to 10 runs each (one hyperfine per round and one-liner), and each
# one's figure is the median of its rounds' medians, so that a
# burst of load weighs on both alike.
rounds=$(( (runs + 9) / 10 ))
per=$(( runs < 10 ? runs : 10 ))
for ((round = 0; round < rounds; round++)); do
	i=0
	for l in "${lines[@]}"; do
		q=${l//\'/\'\\\'\'}
		if ! (cd "$tmp" && LC_ALL=C hyperfine -N --warmup 2 --runs "$per" --output=null --style none --export-csv "$tmp/r.csv" \
			-n bash "bash -c '$q'" -n gopipe "$GOPIPE run '$q'" \
			${GOPIPE_BEFORE:+-n before "$GOPIPE_BEFORE run '$q'"}) >/dev/null 2>"$tmp/hyperfine.err"; then
			cat "$tmp/hyperfine.err" >&2
			exit 1
		fi
		# command,mean,stddev,median,...: keep the median
		awk -F, 'NR > 1 { print $1, $4 }' "$tmp/r.csv" >> "$tmp/t$i"
		i=$((i + 1))
	done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo "$(bash --version | head -1), ${size} MiB log, $((rounds * per)) runs each in $rounds rounds, $(nproc) CPUs"
echo
if [[ -n "${GOPIPE_BEFORE:-}" ]]; then
	echo "| one-liner | bash -c (ms) | gopipe run before (ms) | ratio | gopipe run (ms) | ratio |"
	echo "|---|---:|---:|---:|---:|---:|"
else
	echo "| one-liner | bash -c (ms) | gopipe run (ms) | ratio |"
	echo "|---|---:|---:|---:|"
fi
for i in "${!names[@]}"; do
	b=$(awk '$1 == "bash" { print $2 }' "$tmp/t$i" | median)
	g=$(awk '$1 == "gopipe" { print $2 }' "$tmp/t$i" | median)
	o=
	[[ -z "${GOPIPE_BEFORE:-}" ]] || o=$(awk '$1 == "before" { print $2 }' "$tmp/t$i" | median)
	awk -v name="${names[$i]}" -v b="$b" -v g="$g" -v o="$o" 'BEGIN {
		printf "| %s | %.2f |", name, b * 1000
		if (o != "") printf " %.2f | %.2fx |", o * 1000, o / b
		printf " %.2f | %.2fx |\n", g * 1000, g / b
	}'
done
