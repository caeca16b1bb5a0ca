#!/usr/bin/env bash
# A 3-server NATS JetStream cluster and two lintas-brokers on one machine
# (loopback, separate ports and data directories): broker A takes the lease
# and serves on :7400, broker B stands by and serves on :7401 once A's lease
# lapses. For the demo and for trying a failover by hand:
#
#   ops/cluster/run.sh [WORKDIR]      # default WORKDIR: /tmp/lintas-cluster
#   kill -9 "$(cat /tmp/lintas-cluster/broker-a.pid)"   # B takes over within lease_ttl_ms
#
# Ctrl-C stops everything. Nodes list both brokers: broker.endpoints =
# ["tcp://127.0.0.1:7400", "tcp://127.0.0.1:7401"]. The same configuration
# on three hosts: docs/OPERATIONS.md "JetStream backend".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=${1:-/tmp/lintas-cluster}
broker_bin=${LINTAS_BROKER:-$root/build/release/broker/lintas-broker}
nats_bin=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$nats_bin" ] || { echo "cluster: nats-server not found (ops/setup.sh installs it)" >&2; exit 2; }
[ -x "$broker_bin" ] || { echo "cluster: $broker_bin not built (cmake --build --preset release)" >&2; exit 2; }

mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# Ports: clients 4222-4224, routes 6222-6224, monitoring 8222-8224.
routes='"nats-route://127.0.0.1:6222", "nats-route://127.0.0.1:6223", "nats-route://127.0.0.1:6224"'
for i in 1 2 3; do
  mkdir -p "$work/n$i"
  cat > "$work/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:$((4221 + i))
http: 127.0.0.1:$((8221 + i))
jetstream {
  store_dir: "$work/n$i"
}
cluster {
  name: lintas
  listen: 127.0.0.1:$((6221 + i))
  routes: [$routes]
}
CONF
  "$nats_bin" -c "$work/n$i.conf" -l "$work/n$i.log" &
  pids+=($!)
done

# Wait (polling, with a deadline) until the JetStream meta group has a leader
# (the monitoring endpoint, read through bash's /dev/tcp: no curl needed).
jsz_has_leader() {
  local reply
  reply=$(exec 3<>/dev/tcp/127.0.0.1/8222 && printf 'GET /jsz HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null || return 1
  grep -q '"leader": *"n' <<<"$reply"
}
for _ in $(seq 1 300); do jsz_has_leader && break; sleep 0.1; done
jsz_has_leader || { echo "cluster: no JetStream leader" >&2; exit 1; }
echo "cluster: 3 nats-servers up (nats://127.0.0.1:4222-4224)"

# Two brokers: the example configuration, on the JetStream backend, sharing
# the signing key (checkpoints verify whichever broker is active).
for b in a b; do
  port=$([ "$b" = a ] && echo 7400 || echo 7401)
  mkdir -p "$work/broker-$b"
  sed -e "s|^endpoint = \"tcp://127.0.0.1:7400\"|endpoint = \"tcp://127.0.0.1:$port\"|" \
      -e "s|^data_dir = \"/var/lib/lintas/broker\"|data_dir = \"$work/broker-$b/data\"|" \
      -e "s|^backend = \"rocksdb\"|backend = \"jetstream\"|" \
      -e "s|^signing_key_file = \"\"|signing_key_file = \"$work/audit-signing.key\"|" \
      -e "s|^agencies_csv = \"directory/agencies.csv\"|agencies_csv = \"$root/ops/directory/agencies.csv\"|" \
      "$root/ops/broker.example.toml" > "$work/broker-$b.toml"
  cat >> "$work/broker-$b.toml" <<CONF

[store.jetstream]
servers = ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"]
replicas = 3
lease_ttl_ms = 6000
request_timeout_ms = 2000
CONF
  "$broker_bin" --config "$work/broker-$b.toml" --endpoint-file "$work/broker-$b.endpoint" \
    2> "$work/broker-$b.log" &
  pids+=($!)
  echo $! > "$work/broker-$b.pid"
  if [ "$b" = a ]; then
    for _ in $(seq 1 300); do [ -s "$work/broker-a.endpoint" ] && break; sleep 0.1; done
    [ -s "$work/broker-a.endpoint" ] || { echo "cluster: broker A did not start (see $work/broker-a.log)" >&2; exit 1; }
  fi
done
echo "cluster: broker A active on $(cat "$work/broker-a.endpoint"), broker B standing by (logs: $work/broker-*.log)"
echo "cluster: kill -9 \$(cat $work/broker-a.pid) to watch B take over; Ctrl-C stops all"
wait
