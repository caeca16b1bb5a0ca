// The nodes' announced seal keys.
#include "seal_registry.h"

#include <algorithm>

#include "lintas/broker/logger.h"
#include "lintas/wire/errc.h"

namespace lintas::broker {
namespace {
constexpr std::string_view kPrefix = "seal_key/";
}  // namespace

Status SealRegistry::Load(store::Store* store) {
  std::vector<std::pair<std::string, std::string>> entries;
  if (auto s = store->ScanMeta(kPrefix, &entries); !s.ok()) return s;
  for (const auto& [key, value] : entries) {
    auto k = seal::PublicKeyFromBase64(value);
    std::string node = key.substr(kPrefix.size());
    if (!k.ok()) {
      Log()->error("stored seal key of node {} is unreadable; it announces it again at its next Hello", node);
      continue;
    }
    keys_[node] = *k;
  }
  return OkStatus();
}

Status SealRegistry::Announce(store::Store* store, const std::string& node, std::span<const uint8_t> key,
                              bool* changed) {
  *changed = false;
  if (key.size() != seal::PublicKey{}.size()) {
    return Error{wire::errc::malformed_message, "seal_public_key: must be 32 bytes", "seal_public_key"};
  }
  seal::PublicKey k{};
  std::copy(key.begin(), key.end(), k.begin());
  auto it = keys_.find(node);
  if (it != keys_.end() && it->second == k) return OkStatus();
  if (auto s = store->PutMeta(std::string(kPrefix) + node, seal::ToBase64(k)); !s.ok()) return s;
  keys_[node] = k;
  *changed = true;
  return OkStatus();
}

std::optional<seal::PublicKey> SealRegistry::Find(const std::string& node) const {
  auto it = keys_.find(node);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

}  // namespace lintas::broker
