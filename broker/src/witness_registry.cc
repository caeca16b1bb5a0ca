// The checkpoints the nodes co-signed.
#include "witness_registry.h"

#include "lintas/broker/logger.h"

namespace lintas::broker {
namespace {
constexpr std::string_view kPrefix = "witness/";
}  // namespace

Status WitnessRegistry::Load(store::Store* store) {
  std::vector<std::pair<std::string, std::string>> entries;
  if (auto s = store->ScanMeta(kPrefix, &entries); !s.ok()) return s;
  for (const auto& [key, value] : entries) {
    auto c = audit::CosignedCheckpoint::FromJson(value);
    if (!c.ok()) {
      Log()->error("stored witness of node {} is unreadable ({}); it is sent again at the node's next checkpoint",
                   key.substr(kPrefix.size()), c.error().message);
      continue;
    }
    latest_[c->node] = std::move(*c);
  }
  return OkStatus();
}

Status WitnessRegistry::Record(store::Store* store, const audit::CosignedCheckpoint& witness) {
  auto it = latest_.find(witness.node);
  bool same = it != latest_.end() && it->second.checkpoint == witness.checkpoint &&
              it->second.witness_key == witness.witness_key;
  if (!same) {
    if (auto s = store->PutMeta(std::string(kPrefix) + witness.node, witness.ToJson()); !s.ok()) return s;
  }
  latest_[witness.node] = witness;
  return OkStatus();
}

}  // namespace lintas::broker
