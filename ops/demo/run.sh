#!/usr/bin/env bash
# The Lintas demo: a regional broker and three country nodes (Thailand,
# Cambodia, Viet Nam) on this machine, telling scenarios 1, 2 and 6 of
# SCENARIOS.md with the lintas CLI. Everything runs in a temporary folder
# that is removed at the end. All names are pseudonyms.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin="$root/build/${LINTAS_PRESET:-release}"
work=$(mktemp -d /tmp/lintas-demo.XXXXXX)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ lintas %s\n' "$*" | sed "s|--node http://127.0.0.1:[0-9]*|--node \$${node_name:-NODE}|"; "$bin/nodes/lintas" "$@"; }

wait_file() {  # wait_file PATH: until a process has written it (20 s at most)
  for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "demo: $1 never appeared; logs are in $work" >&2; exit 1
}

# CurveZMQ keys for the broker and each node, made for this run only.
mkdir -p "$work/keys"
pub() { "$bin/nodes/lintas" --json keygen "$work/keys/$1" | grep -o '"public_key":"[^"]*"' | cut -d'"' -f4; }
broker_pub=$(pub broker)
th_pub=$(pub th-node)
kh_pub=$(pub kh-node)
vn_pub=$(pub vn-node)
audit_pub=$(pub asean-audit)

cat > "$work/broker.toml" <<TOML
[broker]
endpoint = "ipc://$work/broker.sock"
data_dir = "broker-data"
log_level = "warn"
[security]
mode = "curve"
secret_key_file = "keys/broker.key"
[directory]
agencies_csv = "$root/ops/directory/agencies.csv"
[[nodes]]
id = "th-node"
country = "THA"
public_key = "$th_pub"
[[nodes]]
id = "kh-node"
country = "KHM"
public_key = "$kh_pub"
[[nodes]]
id = "vn-node"
country = "VNM"
public_key = "$vn_pub"
[[nodes]]
id = "asean-audit"
country = "ASE"
permissions = ["audit"]
public_key = "$audit_pub"
# The routing policy: anything no rule allows is refused (policy_denied).
[policy]
default = "deny"
[[policy.rules]]
name = "referrals-tha-to-khm-vnm"
from = ["THA"]
to = ["KHM", "VNM"]
roles = ["police", "social_welfare", "focal_point"]
[[policy.rules]]
name = "answers-to-tha"
from = ["KHM", "VNM"]
to = ["THA"]
[[policy.rules]]
name = "trafficking-alerts"
from = ["THA", "KHM", "VNM"]
to = ["*"]
events = ["AlertPublished", "AlertCancelled"]
TOML

start_node() {  # start_node ID COUNTRY AGENCY
  cat > "$work/$1.toml" <<TOML
[node]
id = "$1"
country = "$2"
default_agency = "$3"
data_dir = "$1-data"
api_port = 0
api_port_file = "$1.port"
log_level = "warn"
[broker]
endpoint = "ipc://$work/broker.sock"
retry_initial_ms = 50
retry_max_ms = 500
[security]
mode = "curve"
secret_key_file = "keys/$1.key"
broker_public_key = "$broker_pub"
TOML
  rm -f "$work/$1.port"
  "$bin/nodes/lintas-node" --config "$work/$1.toml" >> "$work/$1.log" 2>&1 &
  pids+=($!)
  wait_file "$work/$1.port"
}

echo "Lintas demo: CurveZMQ on, with keys generated for this run (lintas keygen)."
"$bin/broker/lintas-broker" --config "$work/broker.toml" --endpoint-file "$work/broker.endpoint" > "$work/broker.log" 2>&1 &
pids+=($!)
wait_file "$work/broker.endpoint"
start_node th-node THA th-rtp-atpd
start_node kh-node KHM kh-mosvy
start_node vn-node VNM vn-mps-cpd
vn_pid=${pids[-1]}
TH="http://127.0.0.1:$(cat "$work/th-node.port")"
KH="http://127.0.0.1:$(cat "$work/kh-node.port")"
VN="http://127.0.0.1:$(cat "$work/vn-node.port")"
echo "broker and nodes up: th-node $TH, kh-node $KH, vn-node $VN"

say "Viet Nam's police subscribe to urgent alerts on forced criminality"
node_name=VN run --node "$VN" subscribe scam-alerts --category forced_criminality --min-priority urgent

say "Scenario 1: a Thai officer refers a presumed victim, a Cambodian boy of 17 (pseudonym V-TH-0192),
   to Cambodia's social-welfare counterpart (a role the broker resolves to kh-mosvy)"
sent=$(node_name=TH run --node "$TH" --json send --to KHM/social_welfare --case TH-2026-0192 \
  --victim V-TH-0192 --minor --guardian G-TH-0192-1 --nationality KHM --language km \
  --priority urgent --due 3d --handling H1 --consent Identity ReturnLogistics \
  --summary "Presumed victim of forced labour on a fishing vessel")
echo "$sent"
id=$(echo "$sent" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
node_name=TH run --node "$TH" status "$id" --wait 10

say "The Cambodian node has it in its inbox (and sent an automatic delivery receipt)"
for _ in $(seq 1 100); do "$bin/nodes/lintas" --node "$KH" --json inbox | grep -q "$id" && break; sleep 0.1; done
node_name=KH run --node "$KH" inbox

say "A Cambodian officer - a person, not a machine - acknowledges the referral"
node_name=KH run --node "$KH" ack "$id" --officer officer-kh-0007 --note "Case officer assigned; family tracing started"
for _ in $(seq 1 100); do "$bin/nodes/lintas" --node "$TH" --json thread TH-2026-0192 | grep -q '"state":"acknowledged"' && break; sleep 0.1; done
node_name=TH run --node "$TH" thread TH-2026-0192

say "The routing policy at work: the broker refuses a referral to a Cambodian NGO (no rule allows it)"
sent=$(node_name=TH run --node "$TH" --json send --to KHM/ngo --case TH-2026-0193 --victim V-TH-0193 \
  --priority routine --summary "Presumed victim of forced labour")
id=$(echo "$sent" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
node_name=TH run --node "$TH" status "$id" --wait 10 || echo "(refused, as the policy says; nothing was stored or sent)"

say "Scenario 2: a regional alert - about forty people held in a scam compound - life-threatening"
node_name=TH run --node "$TH" alert --category forced_criminality --countries VNM IDN PHL \
  --title "Scam compound: about forty people of several nationalities held" \
  --priority life-threatening --expires 72h
say "It reaches the subscribed Vietnamese agency"
node_name=VN run --node "$VN" watch --reader demo --count 1 --timeout 15

say "Scenario 6: Viet Nam's node goes offline"
kill "$vn_pid"; wait "$vn_pid" 2>/dev/null || true
node_name=TH run --node "$TH" send --to VNM/police --case TH-2026-0201 --victim V-TH-0201 \
  --nationality VNM --language vi --priority urgent --due 1d --summary "Presumed victim of forced labour"
echo "(the broker holds it for Viet Nam; nothing is lost while the node is away)"

say "Viet Nam's node comes back and catches up"
start_node vn-node VNM vn-mps-cpd
VN="http://127.0.0.1:$(cat "$work/vn-node.port")"
node_name=VN run --node "$VN" watch --reader demo --count 1 --timeout 15

say "The Thai officer's view of all referral threads (overdue first)"
node_name=TH run --node "$TH" referrals

say "An ASEAN auditor exports the Thai-Cambodian case with its proofs and verifies it offline"
cat > "$work/asean-audit.toml" <<TOML
[node]
id = "asean-audit"
country = "ASE"
data_dir = "asean-audit-data"
[broker]
endpoint = "ipc://$work/broker.sock"
[security]
mode = "curve"
secret_key_file = "keys/asean-audit.key"
broker_public_key = "$broker_pub"
TOML
broker_key="$work/broker-data/audit-signing.key.pub"
run audit export --config "$work/asean-audit.toml" --justification "Demo: oversight of case TH-2026-0192" \
  --case TH-2026-0192 --out "$work/export.jsonl"
run audit verify "$work/export.jsonl" --broker-key "$broker_key"
say "Who received or consulted that case (the consultation log)"
run audit access --config "$work/asean-audit.toml" --justification "Demo: who saw case TH-2026-0192" \
  --case TH-2026-0192
say "A tampered copy of the export is caught"
sed '2s/"offset":\([0-9]*\)/"offset":9\1/' "$work/export.jsonl" > "$work/tampered.jsonl"
run audit verify "$work/tampered.jsonl" --broker-key "$broker_key" || echo "(verification failed, as it must)"

say "Done. Broker and nodes are stopped and their data removed."
