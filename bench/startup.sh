#!/bin/bash
# bench/startup.sh: how long gopipe takes to start, against a minimal static
# Go program that copies a file to stdout and GNU cat, measured in the same
# run (scripts call these commands in loops):
#
#   minimal Go    package main; os.Open + io.Copy, CGO_ENABLED=0
#   README build  CGO_ENABLED=0 go build -tags urfave_cli_no_docs (README's)
#   plain build   go build (cgo on when gcc is there: linked dynamically)
#
# Each runs `cat FILE` of a 100-line file; prints a Markdown table with each
# one's mean and its ratio to the minimal Go program (the target for the
# README build is 1.25x or less).
#
#   bench/startup.sh [RUNS]     (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/readme" "$tmp/plain" "$tmp/min"
CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$tmp/readme/gopipe" ./cmd/gopipe
go build -o "$tmp/plain/gopipe" ./cmd/gopipe
cat > "$tmp/min/main.go" <<'GO'
package main

import (
	"io"
	"os"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	io.Copy(os.Stdout, f)
}
GO
printf 'module min\ngo 1.26\n' > "$tmp/min/go.mod"
(cd "$tmp/min" && CGO_ENABLED=0 go build -o min .)
seq 100 > "$tmp/small"
hyperfine -N --warmup 50 --runs "$runs" --output=null --export-csv "$tmp/t.csv" \
	-n "minimal Go" "$tmp/min/min $tmp/small" \
	-n "README build" "$tmp/readme/gopipe cat $tmp/small" \
	-n "plain build" "$tmp/plain/gopipe cat $tmp/small" \
	-n "GNU cat" "/usr/bin/cat $tmp/small" >/dev/null
awk -F, 'NR == 1 { next } { name[NR] = $1; mean[NR] = $2; if ($1 == "minimal Go") base = $2 }
	END {
		print "| program | ms | vs minimal Go |"
		print "|---|---:|---:|"
		for (i = 2; i <= NR; i++) printf "| %s | %.2f | %.2fx |\n", name[i], mean[i] * 1000, mean[i] / base
	}' "$tmp/t.csv"
