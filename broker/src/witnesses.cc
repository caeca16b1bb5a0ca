// Witnessed checkpoints (docs/AUDIT.md 3b): a node sends its co-signature of
// the checkpoint it holds; the broker keeps each node's latest and answers
// with every other node's, each with the consistency proofs that relate it to
// the asking node's checkpoint on this broker's log. The nodes decide; the
// broker only relays, and says loudly when a node co-signed a checkpoint that
// is not of its log (a fork signed with its key).
#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"

namespace lintas::broker {
namespace {

constexpr size_t kMaxWitnesses = 256;  // per reply: more nodes than any directory holds

std::vector<uint8_t> Bytes(const std::vector<audit::Hash>& hashes) {
  std::vector<uint8_t> out;
  out.reserve(hashes.size() * 32);
  for (const auto& h : hashes) out.insert(out.end(), h.begin(), h.end());
  return out;
}

}  // namespace

Status BrokerLoop::ProvesOwnHistory(const audit::Checkpoint& cp) {
  if (cp.size > log_tree_->size() || cp.access_size > access_tree_->size()) {
    return Error{std::make_error_code(std::errc::result_out_of_range),
                 fmt::format("it is beyond this broker's log ({} records, consultation log {})", log_tree_->size(),
                             access_tree_->size())};
  }
  auto root = log_tree_->Root(cp.size);
  auto access_root = access_tree_->Root(cp.access_size);
  if (!root.ok()) return root.error();
  if (!access_root.ok()) return access_root.error();
  if (*root != cp.root || *access_root != cp.access_root) {
    return Error{std::make_error_code(std::errc::invalid_argument),
                 fmt::format("this broker's {} at that size has another root", *root != cp.root ? "event log"
                                                                                                : "consultation log")};
  }
  return OkStatus();
}

Result<std::string> BrokerLoop::RelatedWitness(const audit::CosignedCheckpoint& peer, const audit::Checkpoint& peer_cp,
                                               const audit::Checkpoint& own) {
  auto wire = audit::ToWire(peer);
  const audit::Checkpoint& small = peer_cp.size <= own.size ? peer_cp : own;
  const audit::Checkpoint& large = peer_cp.size <= own.size ? own : peer_cp;
  uint64_t access_small = std::min(peer_cp.access_size, own.access_size);
  uint64_t access_large = std::max(peer_cp.access_size, own.access_size);
  if (large.size > log_tree_->size() || access_large > access_tree_->size()) {
    wire->unprovable = fmt::format("a checkpoint of {} records (consultation log {}) is beyond this broker's log",
                                   large.size, access_large);
  } else {
    auto proof = log_tree_->Consistency(small.size, large.size);
    auto access = access_tree_->Consistency(access_small, access_large);
    if (!proof.ok()) return proof.error();
    if (!access.ok()) return access.error();
    wire->consistency = Bytes(*proof);
    wire->access_consistency = Bytes(*access);
  }
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(proto::CosignedCheckpoint::Pack(fbb, wire.get()), "LNTW");
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

bool BrokerLoop::AnswerWitness(Session& session, const proto::AuditQuery& query, std::vector<std::string>* payloads) {
  auto refuse = [&](wire::errc code, const std::string& message) {
    probe_.Refused(code);
    SecurityLog()->warn("witness refused node={}: {}", session.node->id, message);
    SendError(session.peer, code, message);
    return false;
  };
  if (query.witness() == nullptr) return refuse(wire::errc::malformed_message, "witness: required in a Witness query");
  auto witness = audit::FromWire(*query.witness());
  if (!witness.ok()) return refuse(wire::errc::malformed_message, witness.error().message);
  if (witness->node != session.node->id) {
    return refuse(wire::errc::permission_denied,
                  fmt::format("witness.node: a node co-signs only as itself ({})", session.node->id));
  }
  if (auto s = witness->Verify(signer_->public_key()); !s.ok()) {
    return refuse(wire::errc::malformed_message, "witness: " + s.error().message);
  }
  auto own = audit::Checkpoint::Parse(witness->checkpoint);  // parsed by Verify
  if (auto s = ProvesOwnHistory(*own); !s.ok()) {
    // Signed with this broker's key, but not of this log: another broker
    // holds the key (a copied data directory, a stolen key) and showed that
    // node another history. Kept and relayed: the other nodes must see it.
    bool beyond = s.error().code == std::errc::result_out_of_range;
    SecurityLog()->critical("{}: node {} co-signed a checkpoint signed with this broker's key, of {} records, "
                            "root {}, that is not of this broker's log: {}. {}",
                            beyond ? "ROLLBACK OR FORK" : "FORK", session.node->id, own->size,
                            audit::ToHex(own->root), s.error().message,
                            beyond ? "This log was cut back under a signed checkpoint, or another broker holds "
                                     "this signing key"
                                   : "Another broker holds this signing key");
  }
  if (auto s = witnesses_.Record(store_.get(), *witness); !s.ok()) {
    return refuse(wire::errc::storage_error, "the witness cannot be stored; retry");
  }
  for (const auto& [node, peer] : witnesses_.all()) {
    if (node == session.node->id) continue;
    if (payloads->size() == kMaxWitnesses) break;
    auto peer_cp = audit::Checkpoint::Parse(peer.checkpoint);
    if (!peer_cp.ok()) continue;  // verified when recorded
    auto frame = RelatedWitness(peer, *peer_cp, *own);
    if (!frame.ok()) return refuse(wire::errc::storage_error, "consistency proof failed: " + frame.error().message);
    payloads->push_back(std::move(*frame));
  }
  return true;
}

}  // namespace lintas::broker
