#!/bin/bash
# gopipe cat relaying through FIFOs, against GNU cat, pv and socat as the
# relay, measured in the same run:
#
#   source ──FIFO in──▶ RELAY ──FIFO out──▶ sink
#
# Two settings, each with the same source and sink for every relay:
#
#   plain FIFOs     source `pv -q FILE > in`, sink `pv -q < out > /dev/null`:
#                   both splice and leave the pipes as mkfifo made them
#                   (64 KiB), so a relay gets the pipe size it sets itself
#                   (gopipe cat grows both to 1 MiB; the others do not).
#   1 MiB pipes     source `gopipe cat FILE > in`, sink `gopipe cat out >
#                   /dev/null`: they grow both pipes to 1 MiB, so every
#                   relay has large pipes, GNU cat included.
#
# Each relay's output is first checked byte for byte against the file, then
# timed with hyperfine (or plain timing without it). Prints Markdown tables
# with each relay's throughput and its ratio to GNU cat.
#
# Usage: bench/cat.sh [SIZE_MIB] [RUNS]   (default 2048 MiB, 5 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-2048}
runs=${2:-5}
for tool in pv socat; do
	command -v $tool >/dev/null || { echo "needs $tool (apt-get install $tool)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$tmp/gopipe" ./cmd/gopipe
gp=$tmp/gopipe
head -c "${size}M" /dev/zero | tr '\0' 'x' > "$tmp/src"
mkfifo "$tmp/in" "$tmp/out"

names=("gopipe cat" "GNU cat" "pv" "socat")
relays=(
	"$gp cat $tmp/in > $tmp/out"
	"cat $tmp/in > $tmp/out"
	"pv -q $tmp/in > $tmp/out"
	"socat -u STDIN STDOUT < $tmp/in > $tmp/out"
)

# bench TITLE SOURCE SINK: one table.
bench() {
	local title=$1 source=$2 sink=$3 i
	pipeline() { echo "$source > $tmp/in & $1 & $2; wait"; }
	for i in "${!relays[@]}"; do
		if ! bash -c "$(pipeline "${relays[$i]}" "cmp -s $tmp/out $tmp/src")"; then
			echo "${names[$i]}: output differs from the input" >&2
			exit 1
		fi
	done
	local -a secs
	if command -v hyperfine >/dev/null; then
		local -a args=()
		for i in "${!relays[@]}"; do
			args+=(-n "${names[$i]}" "$(pipeline "${relays[$i]}" "$sink")")
		done
		hyperfine --style none --warmup 1 --runs "$runs" --export-csv "$tmp/times.csv" "${args[@]}" >&2
		# command,mean,… in the order given
		mapfile -t secs < <(tail -n +2 "$tmp/times.csv" | awk -F, '{print $2}')
	else
		for i in "${!relays[@]}"; do
			local cmd start end r
			cmd=$(pipeline "${relays[$i]}" "$sink")
			bash -c "$cmd" # warm-up
			start=$(date +%s.%N)
			for ((r = 0; r < runs; r++)); do bash -c "$cmd"; done
			end=$(date +%s.%N)
			secs[i]=$(echo "($end - $start) / $runs" | bc -l)
		done
	fi
	echo
	echo "$title: ${size} MiB through two FIFOs, mean of $runs runs"
	echo
	echo "| relay | mean time (s) | GiB/s | vs GNU cat |"
	echo "|---|---|---|---|"
	for i in "${!relays[@]}"; do
		awk -v n="${names[$i]}" -v t="${secs[$i]}" -v g="${secs[1]}" -v mib="$size" \
			'BEGIN { printf "| %s | %.3f | %.2f | %.1f× |\n", n, t, mib / 1024 / t, g / t }'
	done
}

bench "Plain FIFOs" "pv -q $tmp/src" "pv -q < $tmp/out > /dev/null"
bench "1 MiB pipes" "$gp cat $tmp/src" "$gp cat $tmp/out > /dev/null"
