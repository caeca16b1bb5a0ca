// Per-case keys at the node (docs/ERASURE.md). Every case this node holds
// has a random 32-byte key, kept in the store's `vault` family. The content
// key of every sealed event of the case that reaches this node is kept
// under it (and the node's own copy inside the envelope is zeroed: its seal
// keys no longer open it), and so is the outbox copy of every event of the
// case this node sends. Erasing a case destroys its key and those content
// keys: from then on nothing the node holds of the case can be decrypted,
// whoever gets the files.
//
// Vault keys: k/<case> (the case key), c/<case>\x1f<event id> (a content key
// under it), x/<case> (the tombstone of an erased case: JSON).
//
// Ownership: borrows the NodeStore. Thread safety: every method from any
// thread; key creation and erasure are serialised by a mutex, so that a case
// never gets two keys.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/node/node_store.h"
#include "lintas/seal/symmetric_key.h"
#include "lintas/wire/event_id.h"

namespace lintas::node {

// Set in the vault by an erasure, cleared once the store was shredded.
inline constexpr std::string_view kShredPendingKey = "shred-pending";

class CaseVault {
 public:
  explicit CaseVault(NodeStore* store) : store_(store) {}

  // The case's key. A case with none gets a new one, added to `writes` (the
  // caller's write, which stores what the key protects) and handed out again
  // until the caller calls Settled. Callers hold the case store's lock
  // (CaseStore::Begin) from here until Settled, so that a case never gets
  // two keys. Errors: erased (naming when and by whom), storage.
  [[nodiscard]] Result<seal::SymmetricKey> KeyFor(const std::string& case_id, WriteSet* writes);
  // The caller's write holding new keys was committed, or failed: either
  // way the store now says which keys exist.
  void Settled();

  // Adds to `writes`: the content key of event `id` kept under its case's
  // key (created if needed).
  // (created if needed, as KeyFor).
  [[nodiscard]] Status KeepContentKey(const std::string& case_id, const wire::EventId& id,
                                      const seal::SymmetricKey& content_key, WriteSet* writes);
  // The content key kept for event `id`; nullopt when none was kept (an
  // event stored before keys were kept per case). Errors: erased, storage,
  // unreadable (it does not decrypt).
  [[nodiscard]] Result<std::optional<seal::SymmetricKey>> ContentKey(const std::string& case_id,
                                                                     const wire::EventId& id);

  // The outbox copy of event `id` of `case_id`: "LNTV", the 16-byte id, the
  // case id's length (one byte) and the case id, then `event` encrypted
  // under the case key (the id as associated data). A new case key goes
  // into `writes`, as KeyFor.
  [[nodiscard]] Result<std::string> SealCopy(const std::string& case_id, const wire::EventId& id,
                                             std::string_view event, WriteSet* writes);
  static bool IsSealedCopy(std::string_view bytes);
  // The event id in a sealed copy's header, or nullopt if it is not one.
  static std::optional<wire::EventId> CopyId(std::string_view bytes);
  // The event of a sealed copy; any other bytes are returned as they are.
  // Errors: erased, unreadable.
  [[nodiscard]] Result<std::string> OpenCopy(std::string_view bytes);

  // Adds to `writes` (the caller's synced write, with the case model's
  // scrub): the deletion of the case's key and of every content key kept
  // under it, and `tombstone` ({case_id, at_us, by {country, agency},
  // officer, justification, legal_basis, event_id, reason}) in their place.
  // Nothing when the case was erased already (the first tombstone stays).
  // Content keys kept after this (a delivery racing the erasure) cannot be
  // decrypted: the tombstone wins over any key. The caller shreds the store
  // afterwards (NodeStore::Shred).
  [[nodiscard]] Status Erase(const std::string& case_id, const nlohmann::json& tombstone, WriteSet* writes);
  // The tombstone of an erased case, or nullopt.
  [[nodiscard]] Result<std::optional<nlohmann::json>> Tombstone(const std::string& case_id);

 private:
  // The erased error for `case_id`'s tombstone.
  static Error Erased(const std::string& case_id, const nlohmann::json& tombstone);
  // The key if the case has one. Errors: erased, storage.
  Result<std::optional<seal::SymmetricKey>> Existing(const std::string& case_id);

  NodeStore* store_;
  std::mutex mu_;  // guards pending_, serialises erasure
  // Keys created for the caller's write, until Settled. Guarded by mu_.
  std::map<std::string, std::string> pending_;
};

// Calls CaseVault::Settled when it goes out of scope: declare it after the
// CaseTxn that holds the case lock, so that it runs first on every exit.
class VaultSettle {
 public:
  explicit VaultSettle(CaseVault& vault) : vault_(vault) {}
  ~VaultSettle() { vault_.Settled(); }
  VaultSettle(const VaultSettle&) = delete;
  VaultSettle& operator=(const VaultSettle&) = delete;

 private:
  CaseVault& vault_;
};

}  // namespace lintas::node
