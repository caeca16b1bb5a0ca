// lintas-broker configuration (TOML). Every field carries its default; the
// annotated example is ops/broker.example.toml.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "lintas/broker/policy.h"
#include "lintas/common/toml_reader.h"
#include "lintas/store/jetstream_options.h"

namespace lintas::broker {

// Thrown by LoadConfig / ParseConfig: a start-up failure, with a message that
// names the field.
using ConfigError = lintas::ConfigError;

struct AgencyConfig {
  std::string id;                  // "kh-mosvy"
  std::string country;             // "KHM"
  std::vector<std::string> roles;  // "social_welfare", ...
  // The roles this agency is its country's designated counterpart for: a
  // destination COUNTRY/role resolves to it alone. At most one agency per
  // country and role; each a role the agency has.
  // Default: [] (a role resolves to its only agency, else is refused)
  std::vector<std::string> counterpart_for;
};

struct NodeConfig {
  std::string id;       // "kh-node"
  std::string country;  // ISO 3166-1 alpha-3
  // Agencies this node serves. Default (the key absent): every agency of its
  // country; `agencies = []` serves none (an auditor's identity).
  std::vector<std::string> agencies;
  bool agencies_listed = false;  // the key was given
  // Default: publish, subscribe
  bool can_publish = true;
  bool can_subscribe = true;
  // Default: false. Replay of the log for auditors.
  bool can_audit = false;
  // The node's CURVE public key (Z85, 40 characters); required in curve mode.
  // The broker trusts no other identity for this node.
  std::string public_key;
  // The node's seal public key (base64 of 32 bytes, `lintas-node --config
  // FILE --print-seal-key`), registered out of band so that the signed
  // directory names it before the node first connects; the key the node
  // announces in Hello replaces it (key rotation). Default: "" (the
  // announced key only)
  std::string seal_public_key;
};

enum class SecurityMode { kCurve, kPlaintext };

// Where the log lives ([store] backend).
enum class StoreBackend {
  kRocksDb,    // "rocksdb": one RocksDB in data_dir, synced to this host's disk
  kJetStream,  // "jetstream": a replicated NATS JetStream cluster ([store.jetstream])
};

struct BrokerConfig {
  // Default: "lintas-broker"
  std::string id = "lintas-broker";
  // ZeroMQ endpoint the ROUTER binds. "tcp://127.0.0.1:*" picks a free port.
  // Default: "tcp://127.0.0.1:7400"
  std::string endpoint = "tcp://127.0.0.1:7400";
  // Required. The RocksDB directory (jetstream: the local cache's parent
  // and the audit signing key's default home).
  std::string data_dir;
  // [store] backend: "rocksdb" or "jetstream".
  // Default: kRocksDb
  StoreBackend store_backend = StoreBackend::kRocksDb;
  // [store] block_cache_mib: the RocksDB backend's block cache, which holds
  // the index and filter blocks that dedup and parent lookups need in memory
  // and the blocks those lookups read. Event ids are time-ordered (UUIDv7),
  // so a new id's lookup needs only the newest table files' blocks: at 32,
  // 20M events needed the disk for at most 10 lookups. Larger helps nodes that resend old
  // events or reply to old parents; smaller lowers RSS.
  // Default: 32
  uint32_t block_cache_mib = 32;
  // [store.jetstream]: the cluster, stream and bucket names, replicas,
  // duplicate window, timeouts and the lease (defaults in
  // lintas/store/jetstream_options.h). Used with backend "jetstream".
  store::JetStreamOptions jetstream;
  // If set, the bound endpoint is written there once the broker listens.
  // Default: "" (none)
  std::string endpoint_file;
  // host:port of the Prometheus text endpoint (/metrics).
  // Default: "" (off)
  std::string metrics_endpoint;
  // Default: 1000
  uint32_t heartbeat_ms = 1000;
  // Events per Publish and records per Deliver (at most 256).
  // Default: 256
  uint32_t max_batch = 256;
  // Credit a subscription gets when it asks for none.
  // Default: 1024
  uint32_t credit_window = 1024;
  // Group commit: at most this many events, or bytes, in one synced write.
  // Default: 4096 events, 8 MiB
  uint32_t commit_max_events = 4096;
  uint32_t commit_max_bytes = 8u << 20;
  // Events accepted from one connection and not yet committed; beyond, the
  // broker nacks with `overloaded`.
  // Default: 16384
  uint32_t max_inflight_per_peer = 16384;
  // Default: "info"
  std::string log_level = "info";
  // Default: false
  bool log_json = false;
  // "curve" (production: CurveZMQ, every node authenticated by its key
  // through ZAP) or "plaintext" (tests and demo only, loopback only, loudly
  // logged).
  // Default: "curve"
  SecurityMode security = SecurityMode::kCurve;
  // curve: the broker's secret key file (Z85, as `lintas keygen` writes it).
  // Default: "" (required in curve mode)
  std::string secret_key_file;
  // curve: how long a CURVE handshake may take before the peer is dropped.
  // Default: 5000
  uint32_t handshake_timeout_ms = 5000;
  // curve: a file of revoked node public keys (one Z85 key per line), re-read
  // within a second of any change; a revoked key is refused at the handshake
  // and its session ended at its next message.
  // Default: "" (none)
  std::string revoked_keys_file;
  // Addressed events that carry content must arrive sealed to their
  // addressees (docs/SECURITY.md): anything else is refused with
  // `event_invalid` (field `sealed`), so that no node, old or misconfigured,
  // can make the broker hold victims' data in clear. Off only for tests that
  // publish hand-built events.
  // Default: true
  bool require_sealed = true;
  // Named subscriptions one node may hold at once, and replays one
  // connection may run at once.
  // Default: 32, 4
  uint32_t max_subscriptions_per_node = 32;
  uint32_t max_replays_per_peer = 4;

  // The audit trail ([audit], docs/AUDIT.md): a Merkle tree over the log and
  // one over the consultation log, and signed checkpoints of both.
  // Default: true
  bool audit_enabled = true;
  // The Ed25519 key that signs checkpoints; created (0600, with a .pub
  // beside it) if missing.
  // Default: "" (<data_dir>/audit-signing.key)
  std::string audit_signing_key_file;
  // A checkpoint after this many new records, or this long after the last
  // one if the logs grew, and at shutdown.
  // Default: 10000 events, 60000 ms
  uint32_t checkpoint_every_events = 10000;
  uint32_t checkpoint_interval_ms = 60000;
  // Not in the file: `lintas-broker --accept-damaged-log`, the operator's
  // decision to sign a new history over a log that no longer matches its last
  // signed checkpoint (docs/AUDIT.md section 2). Without it such a broker
  // serves that checkpoint and refuses publishes (log_damaged).
  // Default: false
  bool audit_accept_damage = false;

  // The routing policy ([policy] and [[policy.rules]]).
  // Default: not enforced (everything the directory resolves is allowed).
  PolicyConfig policy;

  std::vector<AgencyConfig> agencies;
  std::vector<NodeConfig> nodes;
};

// Reads and validates a TOML file. Relative paths in it (data_dir,
// directory.agencies_csv) are taken relative to the file's folder.
// Throws ConfigError.
BrokerConfig LoadConfig(const std::string& path);

// Same, from text; `base_dir` resolves relative paths. Throws ConfigError.
BrokerConfig ParseConfig(const std::string& text, const std::string& base_dir);

// Parses an agencies CSV (ops/directory/agencies.csv format:
// country_iso3,country,agency_id,agency,roles,languages[,counterpart]; roles
// and counterpart are ';'-separated lists). Throws ConfigError.
std::vector<AgencyConfig> LoadAgenciesCsv(const std::string& path);

}  // namespace lintas::broker
