// Witnessing: the node co-signs the broker checkpoint it holds (verified:
// signed with the pinned key, extending the one before) with a witness key of
// its own, sends it through the broker, and checks every other node's
// co-signed checkpoint against its own (docs/AUDIT.md 3b). Two checkpoints
// signed by the broker's key that cannot be one history (one size, two roots;
// or no consistency proof from the smaller to the larger) are a fork: an
// alarm names the peer, and both co-signed checkpoints are kept as the
// evidence (meta "audit/fork/<peer>", GET /v1/audit/witnesses).
//
// Meta keys: "audit/checkpoint_signature" (base64, the broker's signature of
// "audit/checkpoint"), "witness/own" (this node's latest co-signature),
// "witness/peer/<node>" (a peer's latest, with what this node found),
// "audit/witness_key/<node>" (a peer's witness key, pinned from
// audit.witness_keys or on first use).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lintas/audit/witness.h"
#include "lintas/node/broker_client.h"
#include "lintas/node/config.h"
#include "lintas/node/node_store.h"

namespace lintas::node {

inline constexpr const char* kCheckpointSignatureMeta = "audit/checkpoint_signature";
inline constexpr const char* kOwnWitnessMeta = "witness/own";
inline constexpr const char* kPeerWitnessPrefix = "witness/peer/";
inline constexpr const char* kForkPrefix = "audit/fork/";

// Ownership: borrows the store and the config (must outlive it); owns the
// witness key. Thread safety: thread-compatible; the link thread owns it.
class Witnessing {
 public:
  // Loads the witness key (audit.witness_key_file, else
  // <data_dir>/witness.key), creating it on first start. Throws
  // std::runtime_error when it cannot (start-up only).
  Witnessing(NodeStore* store, const NodeConfig& config);

  const audit::PublicKey& public_key() const { return key_.public_key(); }
  // The Witness query co-signing the checkpoint this node holds; nullopt
  // when it holds none (or not its signature) or the signature does not
  // verify with the pinned key.
  std::optional<std::string> Query(int64_t now_us);
  // Whether an AuditReply's query id is one of Query's.
  static bool Owns(uint64_t query_id) { return (query_id >> 60) == 1; }
  // The broker's answer: every peer's co-signed checkpoint, checked against
  // the one the query co-signed. A fork adds an alarm (once per peer
  // checkpoint) and keeps the evidence.
  void OnReply(const Incoming& reply, std::vector<std::string>* alarms);

 private:
  static constexpr uint64_t kQueryBit = uint64_t{1} << 60;
  // One peer's witness checked against `own`: "" when consistent, else why not.
  std::string Check(const audit::CosignedCheckpoint& peer, const proto::CosignedCheckpoint& wire,
                    const audit::CosignedCheckpoint& own, const audit::PublicKey& broker_key,
                    std::vector<std::string>* alarms);
  // The peer's witness key as pinned (config, else first use); false with
  // an alarm when `key` is another.
  bool PeerKeyAccepted(const std::string& peer, const audit::PublicKey& key, std::vector<std::string>* alarms);
  // `what`: "FORK" (proven: one size, two roots, or a proof that fails)
  // or "ROLLBACK OR FORK" (the broker's log no longer reaches one of them).
  void KeepFork(const audit::CosignedCheckpoint& peer, const audit::CosignedCheckpoint& own,
                const std::string& why, const char* what, std::vector<std::string>* alarms);

  NodeStore* store_;
  const NodeConfig& config_;
  audit::WitnessKey key_;
  uint64_t next_query_ = 1;
  std::map<uint64_t, audit::CosignedCheckpoint> pending_;  // by query id: what it co-signed
  std::set<std::string> reported_;  // "<peer> <checkpoint sha256>" already named in an alarm
};

}  // namespace lintas::node
