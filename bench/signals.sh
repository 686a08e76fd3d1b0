#!/bin/bash
# bench/signals.sh: how fast each command waiting in a step of its own (a
# FIFO's open, a dial --wait, a server's accept) ends on SIGINT, SIGTERM
# and SIGHUP, and how: the time from the signal to its exit, the median of
# RUNS, and the status a shell sees (128+N: died of signal N).
#
#   bench/signals.sh [RUNS]      (default 20)
#
# Started with SIGINT ignored (`bench/signals.sh &` from a script), its
# commands would inherit that and rightly ignore SIGINT, as a background
# job's do: perl puts the default back before each command.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$tmp/bin/gopipe" ./cmd/gopipe
gp=$tmp/bin/gopipe
"$gp" mkfifo "$tmp/f"
mkdir -m 0700 "$tmp/run"
export XDG_RUNTIME_DIR=$tmp/run
set -m # each command in a process group of its own
wrap=
if [[ $(trap -p INT) == *"''"* ]]; then
	wrap="perl -e '\$SIG{INT} = \"DEFAULT\"; exec @ARGV or die \"\$ARGV[0]: \$!\\n\"'"
fi
# Each gopipe command beside the peer a user would otherwise run, so that
# the times are read as a ratio measured in the same run.
cmds=(
	"gopipe cat $tmp/f"
	"cat $tmp/f"
	"gopipe tee $tmp/f"
	"tee $tmp/f"
	"gopipe run 'cat < $tmp/f'"
	"sh -c 'cat < $tmp/f'"
	"gopipe redirect --stdin $tmp/f -- cat"
	"gopipe dial --wait 1h nosuch"
	"gopipe serve demo"
	"socat UNIX-LISTEN:$tmp/run/s -"
)
echo "| command | INT ms | TERM ms | HUP ms | status |"
echo "|---|---:|---:|---:|---|"
for c in "${cmds[@]}"; do
	row= statuses=()
	for sig in INT TERM HUP; do
		ms=() st=
		for _ in $(seq "$runs"); do
			eval "exec $wrap ${c/#gopipe/\"$gp\"}" </dev/null >/dev/null 2>&1 &
			p=$!
			sleep 0.2 # it waits: no event says so from outside
			t0=$(date +%s%N)
			kill -"$sig" "$p"
			st=0
			{ wait "$p"; } 2>/dev/null || st=$?
			ms+=($(( ($(date +%s%N) - t0) / 1000 )))
		done
		med=$(printf '%s\n' "${ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
		row+=$(printf ' %d.%02d |' $((med / 1000)) $((med % 1000 / 10)))
		statuses+=("$st")
	done
	st=$(IFS=/; echo "${statuses[*]}")
	[ "$st" = 0/0/0 ] && st=0
	printf '| %s |%s %s |\n' "${c//$tmp\//}" "$row" "$st"
done
