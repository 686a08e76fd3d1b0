#!/bin/bash
# bench/info.sh: what gopipe info costs against fuser, with many processes
# to scan: PROCS sleeping processes besides the machine's own, one FIFO held
# open by one of them; both commands find its holder by scanning every
# process's descriptors, info also reads where each one sleeps (to find
# blocked openers). Prints each one's mean, the time per process scanned and
# the ratio to fuser, measured in the same run.
#
#   bench/info.sh [PROCS] [RUNS]      (default 2000 20)
set -euo pipefail
cd "$(dirname "$0")/.."
procs=${1:-2000}
runs=${2:-20}
for c in hyperfine fuser; do
	command -v "$c" >/dev/null || { echo "needs $c (apt-get install hyperfine psmisc)" >&2; exit 1; }
done
tmp=$(mktemp -d)
pids=()
cleanup() {
	((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$tmp/gopipe" ./cmd/gopipe
"$tmp/gopipe" mkfifo "$tmp/f"
sh -c 'exec 3<>"$1"; exec sleep 3600' sh "$tmp/f" &
pids+=($!)
until fuser -s "$tmp/f"; do sleep 0.01; done # held: fuser finds it
for _ in $(seq "$procs"); do
	sleep 3600 &
	pids+=($!)
done
scanned=$(ls -d /proc/[0-9]* | wc -l)
hyperfine -N --warmup 3 --runs "$runs" --output=null --export-csv "$tmp/t.csv" \
	-n "gopipe info" "$tmp/gopipe info $tmp/f" \
	-n "fuser" "fuser $tmp/f" >/dev/null
echo "$scanned processes scanned"
awk -F, -v n="$scanned" 'NR == 1 { next } { name[NR] = $1; mean[NR] = $2; if ($1 == "fuser") base = $2 }
	END {
		print "| command | ms | µs per process | vs fuser |"
		print "|---|---:|---:|---:|"
		for (i = 2; i in name; i++)
			printf "| %s | %.2f | %.2f | %.2f× |\n", name[i], mean[i] * 1000, mean[i] * 1e6 / n, mean[i] / base
	}' "$tmp/t.csv"
