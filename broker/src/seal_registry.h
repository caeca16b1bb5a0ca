// The seal public keys the nodes announced in Hello (docs/SECURITY.md),
// kept in the store's metadata ("seal_key/<node id>", base64) so that the
// signed directory names every node's key while the node is offline.
// Internal to lintas::broker.
//
// Ownership: borrows the store. Thread safety: the loop thread only.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>

#include "lintas/common/result.h"
#include "lintas/seal/seal_key.h"
#include "lintas/store/store.h"

namespace lintas::broker {

class SealRegistry {
 public:
  // Reads every stored key; an unreadable entry is logged and skipped.
  [[nodiscard]] Status Load(store::Store* store);
  // Records `key` for `node` (a synced write, only when it changed: a
  // node's key changes when it rotates, so this is rare). `changed` says
  // whether it did.
  [[nodiscard]] Status Announce(store::Store* store, const std::string& node, std::span<const uint8_t> key,
                                bool* changed);
  std::optional<seal::PublicKey> Find(const std::string& node) const;

 private:
  std::map<std::string, seal::PublicKey> keys_;
};

}  // namespace lintas::broker
