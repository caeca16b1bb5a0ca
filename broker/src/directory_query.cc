// The signed directory (docs/SECURITY.md): agencies, their roles and
// designated counterparts, the node serving each, and every node's announced
// seal key, signed with the broker's audit signing key. Any node may ask.
#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/common/clock.h"
#include "lintas/seal/directory_document.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"

namespace lintas::broker {

seal::DirectoryDocument BrokerLoop::BuildDirectoryDocument() const {
  seal::DirectoryDocument d;
  d.broker_id = config_.id;
  d.issued_at_us = NowMicros();
  for (const auto& a : config_.agencies) {
    seal::DirectoryAgency agency{a.id, a.country, a.roles, a.counterpart_for, ""};
    for (const auto& n : config_.nodes) {
      if (std::find(n.agencies.begin(), n.agencies.end(), a.id) != n.agencies.end()) agency.node = n.id;
    }
    d.agencies.push_back(std::move(agency));
  }
  for (const auto& n : config_.nodes) d.nodes.push_back({n.id, n.country, CurrentSealKey(n.id)});
  return d;
}

std::optional<seal::PublicKey> BrokerLoop::CurrentSealKey(const std::string& node_id) const {
  if (auto announced = seal_keys_.Find(node_id)) return announced;
  const NodeConfig* n = directory_.FindNode(node_id);
  if (n == nullptr || n->seal_public_key.empty()) return std::nullopt;
  auto registered = seal::PublicKeyFromBase64(n->seal_public_key);
  if (!registered.ok()) return std::nullopt;
  return *registered;
}

Status BrokerLoop::AnnounceSealKey(const NodeConfig& node, const proto::Hello& hello) {
  const auto* key = hello.seal_public_key();
  if (key == nullptr || key->size() == 0) return OkStatus();  // an audit client, or an older node
  // A rare synced write on the loop: only when the node's key changed.
  bool changed = false;
  auto s = seal_keys_.Announce(store_.get(), node.id, std::span<const uint8_t>(key->data(), key->size()), &changed);
  if (!s.ok()) {
    if (s.error().code.category() == wire::WireCategory()) return s;
    Log()->error("seal key of node {} not recorded: {}", node.id, s.error().message);
    return Error{wire::errc::storage_error, "the broker could not record your seal key; retry"};
  }
  if (changed) {
    seal::PublicKey k{};
    std::copy(key->begin(), key->end(), k.begin());
    SecurityLog()->info("seal key announced node={} key_id={}", node.id, wire::ToHex(seal::KeyIdOf(k)));
  }
  return OkStatus();
}

void BrokerLoop::HandleDirectoryQuery(Session& session, const proto::AuditQuery& query) {
  std::string document = BuildDirectoryDocument().Serialize();
  audit::Signature signature = signer_->SignBytes(document);
  proto::ControlT control;
  proto::AuditReplyT reply;
  reply.query_id = query.query_id();
  reply.signature.assign(signature.begin(), signature.end());
  const auto& key = signer_->public_key();
  reply.public_key.assign(key.begin(), key.end());
  control.command.Set(std::move(reply));
  std::vector<std::string> payloads{std::move(document)};
  (void)Send(session.peer, wire::EncodeControl(control), &payloads);
}

}  // namespace lintas::broker
