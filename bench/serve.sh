#!/bin/bash
# Echo servers side by side, measured in the same run: gopipe serve (echo),
# gopipe serve --exec cat, and socat UNIX-LISTEN:…,fork EXEC:cat, with 1, 10
# and 100 clients: 64-byte round trips (p50/p99) and 64 KiB echo
# throughput. Prints a Markdown table with gopipe's ratios to socat.
# Usage: bench/serve.sh [ROUNDS]   (default 3000 operations per case)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3000}
command -v socat >/dev/null || { echo "needs socat (apt-get install socat)" >&2; exit 1; }
out=$(go test -run '^$' -bench 'ServeEcho' -benchtime "${rounds}x" ./tests/)
echo "$out" | awk '
/^BenchmarkServeEcho\// {
	split($1, p, "/"); srv = p[2]; cl = p[3]; sub("clients=", "", cl); kind = p[4]; sub("-[0-9]+$", "", kind)
	if (kind == "rtt64") { for (i = 1; i <= NF; i++) { if ($i == "p50-µs") p50[srv, cl] = $(i-1); if ($i == "p99-µs") p99[srv, cl] = $(i-1) } }
	else { for (i = 1; i <= NF; i++) if ($i == "MB/s") tp[srv, cl] = $(i-1) }
	seen[srv] = 1
}
END {
	printf "| server | clients | 64 B RTT p50 (µs) | p99 (µs) | echo MB/s | throughput vs socat | p50 vs socat |\n"
	printf "|---|---|---|---|---|---|---|\n"
	n = split("gopipe gopipe-exec-cat socat-exec-cat", order, " ")
	for (k = 1; k <= n; k++) { s = order[k]; if (!(s in seen)) continue
		for (c = 1; c <= 100; c *= 10) {
			r1 = (tp["socat-exec-cat", c] > 0) ? sprintf("%.1f×", tp[s, c] / tp["socat-exec-cat", c]) : "-"
			r2 = (p50[s, c] > 0) ? sprintf("%.1f×", p50["socat-exec-cat", c] / p50[s, c]) : "-"
			printf "| %s | %d | %s | %s | %s | %s | %s |\n", s, c, p50[s, c], p99[s, c], tp[s, c], r1, r2
		}
	}
}'
