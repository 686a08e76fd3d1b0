#!/usr/bin/env bash
# Build gopipe's release files into DIST (default: dist at the top of the
# repository), reproducibly: the same source and Go toolchain give the same
# bytes, whatever the directory, user or build cache.
#
#   release/build.sh [DIST]
#
# DIST gets gopipe-OS-ARCH[.exe] for linux, darwin and windows on amd64 and
# arm64; the man page gopipe.1; completion scripts in completions/; and
# SHA256SUMS of all of them.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dist=${1:-$top/dist}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
cd "$top"

# Nothing from the environment that changes the output.
export CGO_ENABLED=0 GOFLAGS= GOEXPERIMENT= GOAMD64=v1 GOARM64=v8.0 LC_ALL=C
unset GOOS GOARCH

for os in linux darwin windows; do
	for arch in amd64 arm64; do
		exe=
		[[ $os == windows ]] && exe=.exe
		out=$dist/gopipe-$os-$arch$exe
		echo "build $out" >&2
		GOOS=$os GOARCH=$arch go build -trimpath -tags urfave_cli_no_docs -ldflags "-s -w -buildid=" -o "$out" ./cmd/gopipe
	done
done

# The man page and completions, from a binary for this host.
hostexe=
[[ $(go env GOHOSTOS) == windows ]] && hostexe=.exe
host=$dist/gopipe-$(go env GOHOSTOS)-$(go env GOHOSTARCH)$hostexe
if [[ ! -x $host ]]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	host=$tmp/gopipe$hostexe
	go build -trimpath -o "$host" ./cmd/gopipe
fi
"$host" --man >"$dist/gopipe.1"
mkdir -p "$dist/completions"
"$host" --completion bash >"$dist/completions/gopipe.bash"
"$host" --completion zsh >"$dist/completions/_gopipe"
"$host" --completion fish >"$dist/completions/gopipe.fish"
"$host" --completion powershell >"$dist/completions/gopipe.ps1"

(
	cd "$dist"
	find . -type f ! -name 'SHA256SUMS*' | sed 's|^\./||' | sort | xargs sha256sum >SHA256SUMS.tmp
	mv SHA256SUMS.tmp SHA256SUMS
)
echo "wrote $dist/SHA256SUMS" >&2
