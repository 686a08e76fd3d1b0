#!/bin/bash
# bench/ssh.sh: throughput to a Unix-socket server through ssh, gopipe dial
# ssh://HOST/NAME against ssh HOST socat - UNIX-CONNECT:PATH, in the same
# run: SIZE bytes each way through an sshd on a loopback port (started here,
# with throwaway keys; needs root), to a gopipe serve whose clients each get
# wc -c. Prints each one's mean, MiB/s and the ratio to socat's.
#
#   bench/ssh.sh [SIZE] [RUNS]      (default 256M 10)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-256M}
runs=${2:-10}
for c in hyperfine socat ssh ssh-keygen sshd; do
	command -v "$c" >/dev/null || { echo "needs $c (apt-get install hyperfine socat openssh-client openssh-server)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root (sshd)" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() {
	((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$tmp/gopipe" ./cmd/gopipe
ssh-keygen -q -t ed25519 -N "" -f "$tmp/host"
ssh-keygen -q -t ed25519 -N "" -f "$tmp/id"
cp "$tmp/id.pub" "$tmp/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p /run/sshd
cat > "$tmp/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $tmp/host
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
LogLevel ERROR
CONF
"$(command -v sshd)" -D -e -f "$tmp/sshd_config" &
pids+=($!)
echo "[127.0.0.1]:$port $(cat "$tmp/host.pub")" > "$tmp/known_hosts"
cat > "$tmp/ssh_config" <<CONF
Host bench
  HostName 127.0.0.1
  Port $port
  User root
  IdentityFile $tmp/id
  IdentitiesOnly yes
  UserKnownHostsFile $tmp/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
CONF
until ssh -F "$tmp/ssh_config" bench true 2>/dev/null; do sleep 0.05; done
"$tmp/gopipe" serve --exec 'wc -c' "$tmp/s" 2>/dev/null &
pids+=($!)
until [ -S "$tmp/s" ]; do sleep 0.01; done
head -c "$size" /dev/zero > "$tmp/data"
bytes=$(stat -c %s "$tmp/data")
export GOPIPE_SSH="ssh -F $tmp/ssh_config"
hyperfine --warmup 1 --runs "$runs" --output=null --export-csv "$tmp/t.csv" \
	-n "gopipe dial ssh://" "$tmp/gopipe dial --remote-gopipe $tmp/gopipe ssh://bench/$tmp/s < $tmp/data" \
	-n "ssh + socat" "ssh -F $tmp/ssh_config bench socat - UNIX-CONNECT:$tmp/s < $tmp/data" >/dev/null
awk -F, -v b="$bytes" 'NR == 1 { next } { name[NR] = $1; mean[NR] = $2; if ($1 == "ssh + socat") base = $2 }
	END {
		print "| command | s | MiB/s | vs ssh + socat |"
		print "|---|---:|---:|---:|"
		for (i = 2; i in name; i++)
			printf "| %s | %.3f | %.0f | %.2f× |\n", name[i], mean[i], b / mean[i] / 1048576, mean[i] / base
	}' "$tmp/t.csv"
