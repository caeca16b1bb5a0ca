#!/usr/bin/env bash
# The Lintas demo: a regional broker and three country nodes (Thailand,
# Cambodia, Viet Nam) on this machine, telling scenarios 1, 2 and 6 of
# docs/SCENARIOS.md with the lintas CLI, by officers who log in. Everything
# runs in a temporary folder that is removed at the end. All names are
# pseudonyms.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin="$root/build/${LINTAS_PRESET:-release}"
work=$(mktemp -d /tmp/lintas-demo.XXXXXX)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${LINTAS_DEMO_KEEP:-}" ] && { echo "demo: kept $work"; return; }
  rm -rf "$work"
}
trap cleanup EXIT

if [ -t 1 ]; then bold=$'\033[1m'; plain=$'\033[0m'; else bold=""; plain=""; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# run [args...]: prints the command as one could paste it (quoted, with the
# node as $TH / $KH / $VN and the officer's config directory), then runs it.
run() {
  local shown=""
  for a in "$@"; do shown+=" $(printf '%q' "$a")"; done
  shown=$(printf '%s' "$shown" | sed "s|--node http://127.0.0.1:[0-9]*|--node \$${node_name:-NODE}|")
  printf '$ %slintas%s\n' "${LINTAS_CONFIG_DIR:+LINTAS_CONFIG_DIR=\$DEMO/home/${officer_name} }" "$shown"
  "$bin/nodes/lintas" "$@"
}

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
kh_audit_pub=$(pub kh-audit)

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
# Cambodia's data-protection officer reads the broker's consultation log from
# the console through this identity (kh-node's node.audit_identity).
[[nodes]]
id = "kh-audit"
country = "KHM"
agencies = []
permissions = ["audit"]
public_key = "$kh_audit_pub"
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

write_node_config() {  # write_node_config ID COUNTRY AGENCY
  cat > "$work/$1.toml" <<TOML
[node]
id = "$1"
country = "$2"
default_agency = "$3"
directory = "$root/ops/directory/agencies.csv"
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
[audit]
checkpoint_every = "5s"  # the demo is short: checkpoints checked and co-signed every 5 s (default 60 s)
TOML
}

add_user() {  # add_user NODE ID AGENCY ROLES: an account, made while the node is stopped
  printf '%s\n' "demo-password-$2" | "$bin/nodes/lintas-node" user --config "$work/$1.toml" add "$2" \
    --agency "$3" --roles "$4" --password-stdin
}

start_node() {  # start_node ID
  rm -f "$work/$1.port"
  "$bin/nodes/lintas-node" --config "$work/$1.toml" >> "$work/$1.log" 2>&1 &
  pids+=($!)
  wait_file "$work/$1.port"
}

login() {  # login OFFICER NODE_URL: the officer's own config directory keeps the token
  mkdir -p "$work/home/$1"
  export LINTAS_CONFIG_DIR="$work/home/$1" officer_name="$1"
  printf '%s\n' "demo-password-$1" | run --node "$2" login --user "$1" --password-stdin
}
as() {  # as OFFICER: later commands run as this officer
  export LINTAS_CONFIG_DIR="$work/home/$1" officer_name="$1"
}

wait_for() {  # wait_for OFFICER NODE_URL CASE PATTERN: until the officer's case view matches (20 s at most)
  for _ in $(seq 1 200); do
    LINTAS_CONFIG_DIR="$work/home/$1" "$bin/nodes/lintas" --node "$2" --json case show "$3" 2>/dev/null \
      | grep -q "$4" && return 0
    sleep 0.1
  done
  echo "demo: case $3 never showed $4 at $2" >&2; exit 1
}

echo "Lintas demo: CurveZMQ on, with keys generated for this run (lintas keygen)."
"$bin/broker/lintas-broker" --config "$work/broker.toml" --endpoint-file "$work/broker.endpoint" > "$work/broker.log" 2>&1 &
pids+=($!)
wait_file "$work/broker.endpoint"
write_node_config th-node THA th-rtp-atpd
write_node_config kh-node KHM kh-mosvy
cat > "$work/kh-audit.toml" <<TOML
[node]
id = "kh-audit"
country = "KHM"
data_dir = "kh-audit-data"
[broker]
endpoint = "ipc://$work/broker.sock"
[security]
mode = "curve"
secret_key_file = "keys/kh-audit.key"
broker_public_key = "$broker_pub"
TOML
sed -i '/^default_agency = "kh-mosvy"/a audit_identity = "kh-audit.toml"' "$work/kh-node.toml"
write_node_config vn-node VNM vn-mps-cpd
say "Each node's administrator creates the officers' accounts (passwords hashed with Argon2id)"
add_user th-node officer-th-0001 th-rtp-atpd officer
add_user kh-node officer-kh-0007 kh-mosvy officer,supervisor
add_user kh-node dpo-kh-01 kh-mosvy auditor,dpo
add_user vn-node officer-vn-0003 vn-mps-cpd officer,supervisor
start_node th-node
start_node kh-node
start_node vn-node
vn_pid=${pids[-1]}
TH="http://127.0.0.1:$(cat "$work/th-node.port")"
KH="http://127.0.0.1:$(cat "$work/kh-node.port")"
VN="http://127.0.0.1:$(cat "$work/vn-node.port")"
echo "broker and nodes up. To try the commands below in another terminal while the demo runs:"
echo "  export DEMO=$work TH=$TH KH=$KH VN=$VN"
echo "Each node also serves the web console (plain HTTP on loopback: demo only). Log in with the password"
echo "demo-password-<user>; LINTAS_DEMO_WAIT=1 ops/demo.sh keeps everything running until you press Enter:"
echo "  Thailand  $TH/  officer-th-0001"
echo "  Cambodia  $KH/  officer-kh-0007 (officer, supervisor), dpo-kh-01 (auditor, dpo)"
echo "  Viet Nam  $VN/  officer-vn-0003"

say "Nobody acts without logging in: an anonymous request is refused"
LINTAS_CONFIG_DIR="$work/home/nobody" "$bin/nodes/lintas" --node "$TH" case list || echo "(refused: no session)"

say "Officers log in on their own country's node"
node_name=TH login officer-th-0001 "$TH"
node_name=KH login officer-kh-0007 "$KH"
node_name=VN login officer-vn-0003 "$VN"

say "Viet Nam's police subscribe to urgent alerts on forced criminality"
as officer-vn-0003
node_name=VN run --node "$VN" subscribe scam-alerts --category forced_criminality --min-priority urgent

say "Scenario 1: a Thai officer refers a presumed victim, a Cambodian boy of 17 (pseudonym V-TH-0192),
   to Cambodia's social-welfare counterpart (a role the broker resolves to kh-mosvy)"
as officer-th-0001
sent=$(node_name=TH run --node "$TH" --json referral new --to KHM/social_welfare --case TH-2026-0192 \
  --reference TH-RTP-2026-0192 --victim V-TH-0192 --sex male --age 17 --minor --guardian G-TH-0192-1 \
  --nationality KHM --speaks km --consent identity return_logistics --exploitation forced_labour \
  --summary "Presumed victim of forced labour on a fishing vessel" --priority urgent --due 3d --handling H1)
echo "$sent"
id=$(echo "$sent" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
say "The broker holds it: synced to its log and acknowledged (the offset is its place in the log)"
node_name=TH run --node "$TH" status "$id" --wait 10

say "The Cambodian node has it (and sent the delivery receipt in the same synced write)"
wait_for officer-kh-0007 "$KH" TH-2026-0192 '"state":"received"'
as officer-kh-0007
node_name=KH run --node "$KH" case show TH-2026-0192

say "A Cambodian officer - a person, logged in - acknowledges it with Cambodia's own reference, and accepts"
node_name=KH run --node "$KH" referral ack TH-2026-0192 --reference KH-MOSVY-2026-0077 \
  --note "Case officer assigned; family tracing started"
node_name=KH run --node "$KH" referral accept TH-2026-0192 --note "Reception and return arranged"
say "Acknowledging twice is refused"
node_name=KH run --node "$KH" referral ack TH-2026-0192 || echo "(refused: one acknowledgement per agency)"
node_name=KH run --node "$KH" referral plan-return TH-2026-0192 --checkpoint "Aranyaprathet-Poipet border checkpoint" \
  --on 2026-12-09T10:00+07:00

say "The Thai officer sees each step, by whom, and both national references"
wait_for officer-th-0001 "$TH" TH-2026-0192 '"state":"return_planned"'
as officer-th-0001
node_name=TH run --node "$TH" case show TH-2026-0192

say "The hand-over happens; Cambodia confirms reception and records the reintegration follow-up; both sides close"
as officer-kh-0007
node_name=KH run --node "$KH" referral returned TH-2026-0192 --checkpoint "Aranyaprathet-Poipet border checkpoint"
node_name=KH run --node "$KH" referral close TH-2026-0192 --outcome reintegrated \
  --note "Reunified with family in Battambang; monthly follow-up visits by the provincial office"
wait_for officer-th-0001 "$TH" TH-2026-0192 '"state":"returned"'
as officer-th-0001
node_name=TH run --node "$TH" referral close TH-2026-0192 --outcome returned --note "Returned and received"
wait_for officer-kh-0007 "$KH" TH-2026-0192 '"state":"closed"'
as officer-kh-0007
node_name=KH run --node "$KH" case show TH-2026-0192

say "Cambodia's data-protection officer: who viewed this case at the node (hash-chained consultation log)"
node_name=KH login dpo-kh-01 "$KH"
node_name=KH run --node "$KH" audit local --case TH-2026-0192 --justification "Demo: routine check of case TH-2026-0192"

say "The routing policy at work: the broker refuses a referral to a Cambodian NGO (no rule allows it)"
as officer-th-0001
sent=$(node_name=TH run --node "$TH" --json referral new --to KHM/ngo --case TH-2026-0193 --victim V-TH-0193 \
  --consent identity --priority routine --summary "Presumed victim of forced labour")
id=$(echo "$sent" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
node_name=TH run --node "$TH" status "$id" --wait 10 || echo "(refused, as the policy says; nothing was stored or sent)"
wait_for officer-th-0001 "$TH" TH-2026-0193 '"state":"refused"'
node_name=TH run --node "$TH" case show TH-2026-0193

say "Scenario 2: a regional alert - about forty people held in a scam compound - life-threatening"
node_name=TH run --node "$TH" alert publish --category forced_criminality --countries VNM IDN PHL \
  --title "Scam compound: about forty people of several nationalities held" \
  --priority life-threatening --expires 72h
say "It reaches the subscribed Vietnamese agency"
as officer-vn-0003
node_name=VN run --node "$VN" watch --reader demo --count 1 --timeout 15

say "Scenario 6: Viet Nam's node goes offline"
kill "$vn_pid"; wait "$vn_pid" 2>/dev/null || true
as officer-th-0001
sent=$(node_name=TH run --node "$TH" --json referral new --to VNM/police --case TH-2026-0201 --victim V-TH-0201 \
  --nationality VNM --speaks vi --consent identity --priority urgent --due 1d --summary "Presumed victim of forced labour")
echo "$sent"
id=$(echo "$sent" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
node_name=TH run --node "$TH" status "$id" --wait 10
echo "(the broker has acknowledged it and holds it for Viet Nam; nothing is lost while the node is away)"

say "Viet Nam's node comes back and catches up"
start_node vn-node
VN="http://127.0.0.1:$(cat "$work/vn-node.port")"
echo "(Viet Nam's node listens on a new port now: VN=$VN; its officer logs in there)"
node_name=VN login officer-vn-0003 "$VN"
node_name=VN run --node "$VN" watch --reader demo --count 1 --timeout 15

say "The Thai officer's cases (most recent first)"
as officer-th-0001
node_name=TH run --node "$TH" case list

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
unset LINTAS_CONFIG_DIR officer_name
run audit export --config "$work/asean-audit.toml" --justification "Demo: oversight of case TH-2026-0192" \
  --case TH-2026-0192 --out "$work/export.jsonl"
run audit verify "$work/export.jsonl" --broker-key "$broker_key"
say "The broker holds the referral sealed: the auditor's export and the broker's files never name the person"
sealed_hits=$(cat "$work/export.jsonl" | grep -c 'V-TH-0192' || true)
file_hits=$(grep -rlas 'V-TH-0192' "$work/broker-data" | wc -l || true)
echo "'V-TH-0192' in the export: ${sealed_hits} lines; in the broker's data files: ${file_hits} files"
echo "(only the Cambodian and Thai nodes, which hold its keys, read it: docs/SECURITY.md)"
if [ "${sealed_hits}" != "0" ] || [ "${file_hits}" != "0" ]; then
  echo "lintas demo: the victim's pseudonym reached the broker in clear" >&2
  exit 1
fi
say "Who received or consulted that case (the consultation log)"
run audit access --config "$work/asean-audit.toml" --justification "Demo: who saw case TH-2026-0192" \
  --case TH-2026-0192 --broker-key "$broker_key"
say "A tampered copy of the export is caught"
sed '0,/"type":"record","offset":/s/"type":"record","offset":\([0-9]*\)/"type":"record","offset":9\1/' \
  "$work/export.jsonl" > "$work/tampered.jsonl"
run audit verify "$work/tampered.jsonl" --broker-key "$broker_key" || echo "(verification failed, as it must)"

say "Every node co-signs the broker's checkpoints and checks the other nodes' (a broker showing two histories is caught)"
as officer-kh-0007
node_name=KH run --node "$KH" audit witnesses || echo "(a fork was found: see above)"

say "The person asks for erasure: Cambodia's data-protection officer erases the case at every holder"
as dpo-kh-01
node_name=KH run --node "$KH" case erase TH-2026-0192 \
  --justification "Demo: the person asked for erasure after the return; no proceedings pending"
as officer-th-0001
wait_for officer-th-0001 "$TH" TH-2026-0192 '"state":"erased"'
say "At both holders the case now says who erased it, and its events can no longer be decrypted"
node_name=TH run --node "$TH" case show TH-2026-0192
as officer-kh-0007
node_name=KH run --node "$KH" inbox --limit 3 || true
say "The broker's log still verifies: the audit trail outlives the erasure"
run audit export --config "$work/asean-audit.toml" --justification "Demo: oversight after erasure" \
  --case TH-2026-0192 --out "$work/export-after.jsonl"
run audit verify "$work/export-after.jsonl" --broker-key "$broker_key"

if [ -n "${LINTAS_DEMO_WAIT:-}" ]; then
  say "The broker and nodes keep running until you press Enter (LINTAS_DEMO_WAIT is set)"
  read -r _ || true
fi
say "Done. Broker and nodes are stopped and their data removed."
