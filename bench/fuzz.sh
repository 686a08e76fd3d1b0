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
# A target fails only if it wrote a failing input: Go 1.26's fuzzing
# coordinator may report "context deadline exceeded" at the end of
# -fuzztime without one (golang/go#75804, fixed in Go 1.27), and -timeout 0
# keeps go test's own 10-minute default from cutting a 10-minute run.
run() {
	local pkg=$1 name=$2 out=$log/$(echo "$1.$2" | tr -c 'A-Za-z0-9.\n' _)
	local corpus=$pkg/testdata/fuzz/$name
	local before
	before=$(ls "$corpus" 2>/dev/null | sort || true)
	if go test -run '^$' -fuzz "^$name\$" -fuzztime "$time" -timeout 0 "$pkg" >"$out" 2>&1; then
		echo "ok    $pkg $name: $(grep -o 'execs: [0-9]*' "$out" | tail -1)"
	elif [[ "$(ls "$corpus" 2>/dev/null | sort || true)" == "$before" ]] && grep -q 'context deadline exceeded' "$out"; then
		echo "ok    $pkg $name: $(grep -o 'execs: [0-9]*' "$out" | tail -1) (the coordinator's deadline flake, no input found)"
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
