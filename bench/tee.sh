#!/usr/bin/env bash
# bench/tee.sh: throughput of `gopipe tee` against GNU tee (and pv, socat
# where they do the same job), FIFO outputs read by background readers.
#
#   bench/tee.sh [SIZE] [RUNS]     SIZE for head -c (default 4G), RUNS per
#                                  command (default 5)
#   GOPIPE=/path/to/gopipe bench/tee.sh    use a built binary (else built here)
#
# Prints a Markdown table; ratios are against GNU tee measured in the same run.
# Uses hyperfine when installed, else plain timing (best of RUNS).
set -euo pipefail

SIZE=${1:-4G}
RUNS=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ -z "${GOPIPE:-}" ]]; then
	GOPIPE=$work/gopipe
	(cd "$here" && CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$GOPIPE" ./cmd/gopipe)
fi
GNUTEE=$(command -v tee)
"$GNUTEE" --version 2>/dev/null | grep -q 'GNU coreutils' || echo "warning: $GNUTEE is not GNU tee" >&2
mkfifo "$work/f1" "$work/f2"
f1=$work/f1 f2=$work/f2

bytes=$(head -c "$SIZE" /dev/zero | wc -c)

# Correctness first: random data through gopipe tee, on the zero-copy path
# (stdin and every output pipes) and the read/write path (stdin a file).
head -c 64M /dev/urandom > "$work/in"
want=$(cksum < "$work/in")
for how in pipe file; do
	cksum < "$f1" > "$work/c1" &
	cksum < "$f2" > "$work/c2" &
	if [[ $how == pipe ]]; then
		cat "$work/in" | "$GOPIPE" tee "$f1" "$f2" | cksum > "$work/c0"
	else
		"$GOPIPE" tee "$f1" "$f2" < "$work/in" | cksum > "$work/c0"
	fi
	wait
	for c in c0 c1 c2; do
		if [[ $(cat "$work/$c") != "$want" ]]; then
			echo "gopipe tee ($how path): output $c is wrong" >&2
			exit 1
		fi
	done
done
rm "$work/in"

# name|command; each reads $SIZE bytes of zeros from a pipe. "producer
# alone" is what head -c costs on its own, writing into a 1 MiB pipe that
# gopipe cat splices to /dev/null: no tee can beat it. "no tee" is the floor
# the producer and one reader set on their own.
# The tool runs under bash's `time`, which appends its own CPU seconds (user
# and system) to $cpu: on 2 CPUs shared by producer, tool and readers, the
# wall time says how the whole pipeline fares, the tool's CPU time what the
# tool itself costs.
cpu=$work/cpu
export TIMEFORMAT='%3U %3S'
T() { echo "{ time $*; } 2>>$cpu"; }
src="head -c $SIZE /dev/zero"
scenarios=(
	"2 FIFOs, readers cat|producer alone|$src | $GOPIPE cat >/dev/null"
	"2 FIFOs, readers cat|no tee (floor)|$src | cat >/dev/null"
	"2 FIFOs, readers cat|GNU tee|cat $f1 >/dev/null & cat $f2 >/dev/null & $src | $(T $GNUTEE $f1 $f2 \>/dev/null); wait"
	"2 FIFOs, readers cat|gopipe tee|cat $f1 >/dev/null & cat $f2 >/dev/null & $src | $(T $GOPIPE tee $f1 $f2 \>/dev/null); wait"
)
if command -v pv >/dev/null; then
	scenarios+=(
		"2 FIFOs, readers pv (splice)|GNU tee|pv -q $f1 >/dev/null & pv -q $f2 >/dev/null & $src | $(T $GNUTEE $f1 $f2 \>/dev/null); wait"
		"2 FIFOs, readers pv (splice)|gopipe tee|pv -q $f1 >/dev/null & pv -q $f2 >/dev/null & $src | $(T $GOPIPE tee $f1 $f2 \>/dev/null); wait"
		"2 FIFOs and stdout a pipe, readers cat|GNU tee|cat $f1 >/dev/null & cat $f2 >/dev/null & $src | $(T $GNUTEE $f1 $f2) | cat >/dev/null; wait"
		"2 FIFOs and stdout a pipe, readers cat|gopipe tee|cat $f1 >/dev/null & cat $f2 >/dev/null & $src | $(T $GOPIPE tee $f1 $f2) | cat >/dev/null; wait"
	)
fi
# A producer that splices too (pv): what is left is mostly tee's own cost.
if command -v pv >/dev/null; then
	psrc="pv -q -S -s $SIZE /dev/zero"
	scenarios+=(
		"2 FIFOs, pv producer and readers (all splice)|GNU tee|pv -q $f1 >/dev/null & pv -q $f2 >/dev/null & $psrc | $(T $GNUTEE $f1 $f2 \>/dev/null); wait"
		"2 FIFOs, pv producer and readers (all splice)|gopipe tee|pv -q $f1 >/dev/null & pv -q $f2 >/dev/null & $psrc | $(T $GOPIPE tee $f1 $f2 \>/dev/null); wait"
	)
fi
# One FIFO: tee as a pass-through, where pv and socat do the same job.
scenarios+=(
	"1 FIFO, reader cat|GNU tee|cat $f1 >/dev/null & $src | $(T $GNUTEE $f1 \>/dev/null); wait"
	"1 FIFO, reader cat|gopipe tee|cat $f1 >/dev/null & $src | $(T $GOPIPE tee $f1 \>/dev/null); wait"
)
command -v pv >/dev/null && scenarios+=("1 FIFO, reader cat|pv|cat $f1 >/dev/null & $src | $(T pv -q \>$f1); wait")
command -v socat >/dev/null && scenarios+=("1 FIFO, reader cat|socat|cat $f1 >/dev/null & $src | $(T socat -u -b 1048576 STDIN OPEN:$f1); wait")

# seconds CMD: the mean (hyperfine) or best (plain) wall time of CMD.
seconds() {
	if command -v hyperfine >/dev/null; then
		hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-csv "$work/h.csv" "bash -c '$1'" >/dev/null 2>&1 ||
			hyperfine --style none --warmup 1 --runs "$RUNS" --export-csv "$work/h.csv" "$1" >/dev/null
		awk -F, 'NR == 2 { print $2 }' "$work/h.csv"
	else
		best=
		for _ in $(seq "$RUNS"); do
			s=$(date +%s.%N)
			bash -c "$1"
			e=$(date +%s.%N)
			t=$(echo "$e - $s" | bc)
			if [[ -z $best ]] || (($(echo "$t < $best" | bc))); then best=$t; fi
		done
		echo "$best"
	fi
}

echo "$(uname -sr), $(nproc) CPUs, $SIZE per run, $("$GNUTEE" --version | head -1), pipe-max-size $(cat /proc/sys/fs/pipe-max-size 2>/dev/null || echo ?)"
echo
echo "| scenario | tool | seconds | GiB/s | vs GNU tee | tool's CPU s | vs GNU tee |"
echo "|---|---|---:|---:|---:|---:|---:|"
declare -A gnu gnucpu alone
for s in "${scenarios[@]}"; do
	IFS='|' read -r scen tool cmd <<<"$s"
	: >"$cpu"
	t=$(seconds "$cmd")
	# The mean of the tool's user+system seconds over every run.
	c=$(awk 'NF == 2 && $1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9.]+$/ { s += $1 + $2; n++ } END { if (n) printf "%.2f", s / n }' "$cpu")
	rate=$(echo "scale=2; $bytes / $t / 1073741824" | bc)
	[[ $tool == "producer alone" ]] && alone[$scen]=$t
	if [[ $tool == "GNU tee" ]]; then
		gnu[$scen]=$t
		ratio=1.00
	elif [[ -z ${gnu[$scen]:-} ]]; then
		ratio="–"
	else
		ratio=$(echo "scale=2; ${gnu[$scen]} / $t" | bc)
	fi
	[[ $ratio == "–" ]] || ratio="$ratio×"
	cratio="–"
	if [[ -z $c ]]; then
		c="–"
	elif [[ $tool == "GNU tee" ]]; then
		gnucpu[$scen]=$c
		cratio=1.00×
	elif [[ -n ${gnucpu[$scen]:-} ]] && (($(echo "$c > 0" | bc))); then
		cratio=$(echo "scale=1; ${gnucpu[$scen]} / $c" | bc)×
	fi
	printf '| %s | %s | %.2f | %s | %s | %s | %s |\n' "$scen" "$tool" "$t" "$rate" "$ratio" "$c" "$cratio"
done
# What 3× GNU tee leaves once the producer has done its part: no tee can
# end before the producer has written everything.
for scen in "${!alone[@]}"; do
	[[ -n ${gnu[$scen]:-} ]] || continue
	echo
	printf '%s: 3× GNU tee means %.2f s or less; the producer alone takes %.2f s of it (%.0f%%).\n' \
		"$scen" "$(echo "${gnu[$scen]} / 3" | bc -l)" "${alone[$scen]}" "$(echo "100 * 3 * ${alone[$scen]} / ${gnu[$scen]}" | bc -l)"
done
