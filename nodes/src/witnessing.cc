// Witnessed checkpoints: co-signing, and checking the peers' co-signatures.
#include "lintas/node/witnessing.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/own_events.h"
#include "lintas/wire/frame.h"

namespace lintas::node {
namespace {

constexpr size_t kMaxPending = 8;
// Check's answer for a co-signature under another key than the one pinned:
// not evidence either way.
constexpr const char* kUntrustedKey = "its witness key is not the one pinned";
constexpr size_t kMaxPayloadBytes = 8 * 1024;

std::shared_ptr<spdlog::logger> SecurityLog() { return GetLogger("security"); }

std::optional<audit::PublicKey> PinnedBrokerKey(NodeStore* store) {
  auto pinned = store->Get(kBrokerKeyMeta);
  if (!pinned.ok() || !pinned->has_value()) return std::nullopt;
  auto key = audit::KeyFromBase64(**pinned);
  if (!key.ok()) return std::nullopt;
  return *key;
}

std::vector<audit::Hash> Hashes(const flatbuffers::Vector<uint8_t>* bytes) {
  if (bytes == nullptr) return {};
  return audit::SplitHashes({bytes->data(), bytes->size()});
}

std::string Describe(const audit::Checkpoint& c) {
  return fmt::format("size {}, root {}, consultation log {}", c.size, audit::ToHex(c.root).substr(0, 16),
                     c.access_size);
}

}  // namespace

Witnessing::Witnessing(NodeStore* store, const NodeConfig& config) : store_(store), config_(config) {
  std::string path = config_.witness_key_file.empty() ? config_.data_dir + "/witness.key" : config_.witness_key_file;
  auto key = audit::WitnessKey::LoadOrCreate(path);
  if (!key.ok()) throw std::runtime_error("audit.witness_key_file: " + key.error().message);
  key_ = std::move(*key);
  for (const auto& [peer, b64] : config_.witness_keys) {
    if (auto s = store_->Put(std::string("audit/witness_key/") + peer, b64, true); !s.ok()) {
      throw std::runtime_error("audit.witness_keys: cannot be stored in the node's data directory");
    }
  }
}

std::optional<std::string> Witnessing::Query(int64_t now_us) {
  auto body = store_->Get("audit/checkpoint");
  auto sig = store_->Get(kCheckpointSignatureMeta);
  auto broker_key = PinnedBrokerKey(store_);
  if (!body.ok() || !body->has_value() || !sig.ok() || !sig->has_value() || !broker_key) return std::nullopt;
  auto bytes = audit::Base64Decode(**sig);
  if (!bytes || bytes->size() != 64) return std::nullopt;
  audit::Signature signature{};
  std::copy(bytes->begin(), bytes->end(), signature.begin());
  // The checkpoint and its signature are kept in two writes: a pair that
  // does not match (a crash between them) waits for the next checkpoint.
  if (!audit::VerifySignature(**body, signature, *broker_key)) return std::nullopt;
  audit::CosignedCheckpoint own = key_.Cosign(config_.id, **body, signature, now_us);
  (void)store_->Put(kOwnWitnessMeta, own.ToJson(), false);
  proto::ControlT control;
  proto::AuditQueryT q;
  q.query_id = kQueryBit | next_query_++;
  q.kind = proto::AuditQueryKind::Witness;
  q.witness = audit::ToWire(own);
  if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());
  pending_[q.query_id] = std::move(own);
  control.command.Set(std::move(q));
  return wire::EncodeControl(control);
}

void Witnessing::OnReply(const Incoming& m, std::vector<std::string>* alarms) {
  const proto::AuditReply& reply = *m.control()->command_as_AuditReply();
  auto it = pending_.find(reply.query_id());
  if (it == pending_.end()) return;
  audit::CosignedCheckpoint own = std::move(it->second);
  pending_.erase(it);
  auto broker_key = PinnedBrokerKey(store_);
  if (!broker_key) return;
  for (size_t i = 0; i < m.payload_count(); ++i) {
    auto frame = m.payload(i);
    flatbuffers::Verifier verifier(frame.data(), frame.size());
    if (frame.size() > kMaxPayloadBytes || !verifier.VerifyBuffer<proto::CosignedCheckpoint>("LNTW")) {
      SecurityLog()->error("witness reply: payload {} is not a co-signed checkpoint (LNTW); ignored", i);
      continue;
    }
    const auto* wire = flatbuffers::GetRoot<proto::CosignedCheckpoint>(frame.data());
    auto peer = audit::FromWire(*wire);
    if (!peer.ok()) {
      SecurityLog()->error("witness reply: payload {} refused: {}", i, peer.error().message);
      continue;
    }
    if (peer->node == config_.id) continue;
    std::string found = Check(*peer, *wire, own, *broker_key, alarms);
    nlohmann::json status{{"node", peer->node},
                          {"status", found.empty() ? "consistent" : found == kUntrustedKey ? "untrusted" : "fork"},
                          {"checked_us", NowMicros()},
                          {"witness", nlohmann::json::parse(peer->ToJson())}};
    if (!found.empty()) status["problem"] = found;
    (void)store_->Put(kPeerWitnessPrefix + peer->node, status.dump(), false);
  }
}

std::string Witnessing::Check(const audit::CosignedCheckpoint& peer, const proto::CosignedCheckpoint& wire,
                              const audit::CosignedCheckpoint& own, const audit::PublicKey& broker_key,
                              std::vector<std::string>* alarms) {
  if (!PeerKeyAccepted(peer.node, peer.witness_key, alarms)) return kUntrustedKey;
  if (auto s = peer.Verify(broker_key); !s.ok()) {
    // Not evidence against the broker: what the broker relays unsigned or
    // signed by another key proves nothing either way.
    SecurityLog()->error("witness of node {} refused: {}", peer.node, s.error().message);
    return "";
  }
  auto a = audit::Checkpoint::Parse(own.checkpoint);
  auto b = audit::Checkpoint::Parse(peer.checkpoint);
  if (!a.ok() || !b.ok()) return "";
  std::string why;
  const char* what = "FORK";  // proven; "ROLLBACK OR FORK" when the broker's log no longer reaches one
  switch (audit::Compare(*a, *b)) {
    case audit::Agreement::kSame:
      return "";
    case audit::Agreement::kFork:
      why = "one size, two roots";
      break;
    case audit::Agreement::kNeedsProof: {
      const audit::Checkpoint& older = a->size <= b->size ? *a : *b;
      const audit::Checkpoint& newer = a->size <= b->size ? *b : *a;
      // The consultation logs may be ordered the other way round.
      audit::Checkpoint older_mixed = older;
      audit::Checkpoint newer_mixed = newer;
      if (older.access_size > newer.access_size) {
        std::swap(older_mixed.access_size, newer_mixed.access_size);
        std::swap(older_mixed.access_root, newer_mixed.access_root);
      }
      if (older_mixed.size == 0 && older_mixed.access_size == 0) return "";  // the empty logs begin every history
      if (wire.unprovable() != nullptr && wire.unprovable()->size() > 0) {
        // One of them is beyond the broker's log: it was cut back (restored
        // from a copy) or this is another broker's history.
        why = "the broker cannot relate them: " + wire.unprovable()->str();
        what = "ROLLBACK OR FORK";
        break;
      }
      auto s = audit::VerifyConsistent(older_mixed, newer_mixed, Hashes(wire.consistency()),
                                       Hashes(wire.access_consistency()));
      if (s.ok()) return "";
      why = s.error().message;
      break;
    }
  }
  KeepFork(peer, own, why, what, alarms);
  return why;
}

bool Witnessing::PeerKeyAccepted(const std::string& peer, const audit::PublicKey& key,
                                 std::vector<std::string>* alarms) {
  std::string meta = "audit/witness_key/" + peer;
  std::string b64 = audit::KeyToBase64(key);
  auto pinned = store_->Get(meta);
  if (pinned.ok() && pinned->has_value()) {
    if (**pinned == b64) return true;
    std::string tag = peer + " key " + b64;
    if (reported_.insert(tag).second) {
      alarms->push_back(fmt::format("node {} co-signs with witness key {}, not the one pinned ({}): its "
                                    "co-signatures are not trusted until the key is confirmed out of band and "
                                    "set in audit.witness_keys",
                                    peer, b64, **pinned));
    }
    return false;
  }
  SecurityLog()->warn("TRUST ON FIRST USE: node {}'s witness key {} is pinned as first seen; confirm it with that "
                      "node's operator and set it in [audit.witness_keys]",
                      peer, b64);
  (void)store_->Put(meta, b64, true);
  return true;
}

void Witnessing::KeepFork(const audit::CosignedCheckpoint& peer, const audit::CosignedCheckpoint& own,
                          const std::string& why, const char* what, std::vector<std::string>* alarms) {
  std::string tag = peer.node + " " + audit::ToHex(audit::Sha256(peer.checkpoint));
  if (!reported_.insert(tag).second) return;
  auto a = audit::Checkpoint::Parse(own.checkpoint);
  auto b = audit::Checkpoint::Parse(peer.checkpoint);
  nlohmann::json evidence{{"detected_us", NowMicros()},
                          {"peer", peer.node},
                          {"reason", why},
                          {"own", nlohmann::json::parse(own.ToJson())},
                          {"peer_checkpoint", nlohmann::json::parse(peer.ToJson())}};
  if (auto s = store_->Put(kForkPrefix + peer.node, evidence.dump(), true); !s.ok()) {
    GetLogger("node")->error("fork evidence not kept: {}", s.error().message);
  }
  SecurityLog()->critical("{}: node {} co-signed a broker checkpoint ({}) that is not shown to be one history with "
                          "this node's ({}): {}",
                          what, peer.node, Describe(*b), Describe(*a), why);
  alarms->push_back(fmt::format("{}: the broker showed node {} a signed checkpoint ({}) that cannot be shown to be "
                                "one history with the one it showed this node ({}): {}. Both co-signed checkpoints "
                                "are the evidence: GET /v1/audit/witnesses, lintas audit witnesses --save DIR",
                                what, peer.node, Describe(*b), Describe(*a), why));
}

}  // namespace lintas::node
