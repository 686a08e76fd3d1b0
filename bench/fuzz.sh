#!/bin/bash
# bench/fuzz.sh: run every fuzz target for a while (go test -fuzz), two at
# a time, and print what each found. Findings land in the package's
# testdata/fuzz/FUZZNAME/, where plain `go test` runs them ever after as
# seeds: commit them with the fix.
#
#   bench/fuzz.sh [TIME]     per target, as -fuzztime takes it (default 10m)
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10m}
targets=(
	"./cmd/gopipe/internal/mkfifo FuzzFifoMode"
	"./cmd/gopipe/internal/command FuzzParse"
	"./cmd/gopipe/internal/command FuzzDuration"
	"./cmd/gopipe/internal/command FuzzQuote"
	"./cmd/gopipe/internal/oneliner FuzzParse"
)
log=$(mktemp -d)
status=0
run() {
	local pkg=$1 name=$2 out=$log/$(echo "$1.$2" | tr -c 'A-Za-z0-9.\n' _)
	if go test -run '^$' -fuzz "^$name\$" -fuzztime "$time" "$pkg" >"$out" 2>&1; then
		echo "ok    $pkg $name: $(grep -o 'execs: [0-9]*' "$out" | tail -1)"
	else
		echo "FOUND $pkg $name:"; sed 's/^/    /' "$out" | tail -30
		return 1
	fi
}
i=0
pids=()
for t in "${targets[@]}"; do
	run $t & pids+=($!)
	if (( ++i % 2 == 0 )); then
		for p in "${pids[@]}"; do wait "$p" || status=1; done
		pids=()
	fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
rm -rf "$log"
exit $status
