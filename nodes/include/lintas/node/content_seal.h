// Sealed content at the node (docs/SECURITY.md): the node's seal keys, the
// signed directory it got from the broker, sealing what it sends and opening
// what it reads.
//
// Ownership: borrows the NodeStore (the directory is kept in its metadata).
// Thread safety: every method from any thread; the directory is replaced
// under a mutex and handed out as an immutable shared snapshot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lintas/audit/checkpoint.h"
#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/node/case_vault.h"
#include "lintas/node/node_store.h"
#include "lintas/seal/directory_document.h"
#include "lintas/seal/seal_key.h"

namespace lintas::node {

// One agency an event will reach, as the signed directory resolves it.
struct ResolvedRecipient {
  std::string agency;
  std::string country;
  std::string node;
};

class ContentSeal {
 public:
  // Loads the key file (creating it with one key when absent) and the
  // directory kept from the last run. Throws std::runtime_error (start-up).
  ContentSeal(NodeStore* store, std::string node_id, const std::string& key_file);

  // The current public key, announced in Hello.
  std::vector<uint8_t> announced_key() const;
  const seal::SealKeyring& keys() const { return keys_; }

  // The agencies `event`'s destinations resolve to (a role: its designated
  // counterpart). Errors: unavailable (no directory yet), unknown_destination
  // naming the field.
  [[nodiscard]] Result<std::vector<ResolvedRecipient>> Resolve(const fb::Event& event) const;
  // The envelope to send for `event` (verified and validated; `bytes` its
  // buffer): sealed to its addressees' nodes and this node when
  // seal::ShouldSeal, else nullopt (sent as it is). Errors name the field.
  [[nodiscard]] Result<std::optional<std::string>> SealIfNeeded(const fb::Event& event,
                                                                std::span<const uint8_t> bytes) const;
  // The event as people read it: opened when sealed (verified, validated,
  // consistent with its envelope), with the content key kept for it under
  // its case's key when there is one, else with this node's seal keys; an
  // unsealed event is copied. Errors: unreadable (410), with the reason;
  // erased (410) when its case was erased.
  [[nodiscard]] Result<std::string> Readable(std::span<const uint8_t> event) const;
  // A record delivered to this node (`record`: a copy of bytes the caller
  // verified with wire::VerifyRecord; not verified again), before it is
  // stored: for a sealed event of a case, its content key is kept under the
  // case's key (added to `writes`, for the inbox write) and this node's
  // copies in `record` are zeroed, so that only the case key opens the
  // stored record (docs/ERASURE.md). Returns the opened event, as Readable.
  // A CaseErased event keeps its copies: it stays readable after the
  // erasure it carries.
  [[nodiscard]] Result<std::string> Receive(std::string& record, WriteSet* writes);

  // The node's per-case keys. Thread-safe.
  CaseVault& vault() const { return vault_; }

  // A directory reply from the broker: the signature must verify with `key`,
  // which must be the broker key this node pinned (pinned now if none is).
  // Kept in the store and used from then on.
  [[nodiscard]] Status AcceptDirectory(std::string_view document, const audit::Signature& signature,
                                       const audit::PublicKey& key);
  // The last verified directory, or null.
  std::shared_ptr<const seal::DirectoryDocument> directory() const;
  // How many directories were accepted since start; WaitForNewer returns once
  // one more than `seen` was, or after `timeout` (false then).
  uint64_t directory_version() const;
  bool WaitForNewer(uint64_t seen, std::chrono::milliseconds timeout) const;

 private:
  NodeStore* store_;
  std::string node_id_;
  seal::SealKeyring keys_;
  mutable CaseVault vault_;  // internally synchronised
  mutable std::mutex mu_;
  std::shared_ptr<const seal::DirectoryDocument> directory_;  // Guarded by mu_.
  uint64_t version_ = 0;                                       // Guarded by mu_.
  mutable std::condition_variable accepted_;
};

}  // namespace lintas::node
