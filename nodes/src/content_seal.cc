// Sealing, opening and the signed directory at the node.
#include "lintas/node/content_seal.h"

#include <fmt/format.h>

#include "lintas/common/logging.h"
#include "lintas/node/errc.h"
#include "lintas/seal/errc.h"
#include "lintas/seal/sealer.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

constexpr const char* kDirectoryKey = "directory/document";
constexpr const char* kBrokerKey = "audit/broker_key";

seal::SealKeyring LoadKeys(const std::string& path) {
  auto keys = seal::SealKeyring::LoadOrCreate(path);
  if (!keys.ok()) throw std::runtime_error("node.seal_key_file: " + keys.error().message);
  return std::move(keys).value();
}

}  // namespace

ContentSeal::ContentSeal(NodeStore* store, std::string node_id, const std::string& key_file)
    : store_(store), node_id_(std::move(node_id)), keys_(LoadKeys(key_file)), vault_(store) {
  auto kept = store_->Get(kDirectoryKey);
  if (kept.ok() && kept->has_value()) {
    auto doc = seal::DirectoryDocument::Parse(**kept);
    if (doc.ok()) directory_ = std::make_shared<const seal::DirectoryDocument>(std::move(*doc));
  }
}

std::vector<uint8_t> ContentSeal::announced_key() const {
  const auto& k = keys_.current().public_key;
  return {k.begin(), k.end()};
}

std::shared_ptr<const seal::DirectoryDocument> ContentSeal::directory() const {
  std::lock_guard lock(mu_);
  return directory_;
}

uint64_t ContentSeal::directory_version() const {
  std::lock_guard lock(mu_);
  return version_;
}

bool ContentSeal::WaitForNewer(uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return accepted_.wait_for(lock, timeout, [&] { return version_ > seen; });
}

Result<std::vector<ResolvedRecipient>> ContentSeal::Resolve(const fb::Event& event) const {
  auto dir = directory();
  if (!dir) {
    return Error{errc::unavailable,
                 "this node has no directory from the broker yet, so it cannot seal to the addressees: "
                 "retry once the broker is reachable",
                 "destinations"};
  }
  std::vector<ResolvedRecipient> out;
  if (event.destinations() == nullptr) return out;
  for (size_t i = 0; i < event.destinations()->size(); ++i) {
    auto a = dir->Resolve(*event.destinations()->Get(i), fmt::format("destinations[{}]", i));
    if (!a.ok()) return Error{wire::errc::unknown_destination, a.error().message, a.error().field};
    out.push_back({(*a)->id, (*a)->country, (*a)->node});
  }
  return out;
}

Result<std::optional<std::string>> ContentSeal::SealIfNeeded(const fb::Event& event,
                                                             std::span<const uint8_t> bytes) const {
  if (!seal::ShouldSeal(event)) return std::optional<std::string>();
  auto resolved = Resolve(event);
  if (!resolved.ok()) return resolved.error();
  auto dir = directory();
  std::vector<seal::Recipient> recipients{{node_id_, keys_.current().public_key}};
  for (size_t i = 0; i < resolved->size(); ++i) {
    const auto& r = (*resolved)[i];
    if (r.node.empty()) {
      return Error{wire::errc::unknown_destination,
                   fmt::format("destinations: no node serves agency {} yet", r.agency), "destinations"};
    }
    if (r.node == node_id_) continue;
    const seal::DirectoryNode* n = dir->FindNode(r.node);
    if (n == nullptr || !n->seal_key) {
      return Error{errc::unavailable,
                   fmt::format("destinations: the node of agency {} has announced no seal key yet, so the "
                               "content cannot be sealed to it; retry once it has connected to the broker",
                               r.agency),
                   "destinations"};
    }
    recipients.push_back({r.node, *n->seal_key});
  }
  auto sealed = seal::SealEvent(event, bytes, recipients);
  if (!sealed.ok()) return Error{wire::errc::event_invalid, sealed.error().message, sealed.error().field};
  return std::optional<std::string>(std::move(*sealed));
}

namespace {

std::string CaseOf(const fb::Event& e) { return e.case_id() != nullptr ? e.case_id()->str() : std::string(); }

// Events whose content is kept under their case's key.
bool KeptPerCase(const fb::Event& e) {
  return e.sealed() != nullptr && e.case_id() != nullptr && e.case_id()->size() > 0 &&
         e.body_type() != fb::Body::CaseErased;
}

Error Unreadable(const Error& why) {
  return Error{errc::unreadable, "the content of this event cannot be read here: " + why.message, why.field};
}

}  // namespace

Result<std::string> ContentSeal::Readable(std::span<const uint8_t> event) const {
  const fb::Event* e = fb::GetEvent(event.data());
  if (e->sealed() == nullptr) return std::string(event.begin(), event.end());
  if (KeptPerCase(*e)) {
    auto kept = vault_.ContentKey(CaseOf(*e), wire::EventId::FromFb(*e->id()));
    if (!kept.ok()) return std::move(kept).error();
    if (kept->has_value()) {
      auto opened = seal::OpenWithContentKey(*e, **kept);
      if (!opened.ok()) return Unreadable(opened.error());
      return std::move(*opened);
    }
  }
  // Kept before per-case keys, or not of a case: this node's seal keys.
  auto opened = seal::OpenEvent(*e, node_id_, keys_);
  if (!opened.ok()) return Unreadable(opened.error());
  return std::move(*opened);
}

Result<std::string> ContentSeal::Receive(std::string& record, WriteSet* writes) {
  // A copy of bytes the caller verified: read without verifying again.
  auto bytes = wire::RecordEventBytes(*flatbuffers::GetRoot<fb::StoredRecord>(record.data()));
  const fb::Event* e = fb::GetEvent(bytes.data());
  if (!KeptPerCase(*e)) return Readable(bytes);
  auto key = seal::UnwrapContentKey(*e, node_id_, keys_);
  if (!key.ok()) return Unreadable(key.error());
  auto opened = seal::OpenWithContentKey(*e, *key);
  if (!opened.ok()) return Unreadable(opened.error());
  auto kept = vault_.KeepContentKey(CaseOf(*e), wire::EventId::FromFb(*e->id()), *key, writes);
  if (!kept.ok() && kept.error().code != make_error_code(errc::erased)) return std::move(kept).error();
  // Kept under the case key, or the case was erased: either way this copy
  // no longer opens with the node's seal keys.
  seal::ForgetKeyCopies({reinterpret_cast<uint8_t*>(record.data()), record.size()}, *e, node_id_);
  if (!kept.ok()) return std::move(kept).error();
  return std::move(*opened);
}

Status ContentSeal::AcceptDirectory(std::string_view document, const audit::Signature& signature,
                                    const audit::PublicKey& key) {
  std::string key_b64 = audit::KeyToBase64(key);
  auto pinned = store_->Get(kBrokerKey);
  if (!pinned.ok()) return pinned.error();
  if (pinned->has_value() && **pinned != key_b64) {
    return Error{seal::errc::directory_invalid,
                 "the directory is signed with another key than the broker key pinned (" + **pinned + ")"};
  }
  if (!audit::VerifySignature(document, signature, key)) {
    return Error{seal::errc::directory_invalid, "the directory's signature does not verify"};
  }
  auto doc = seal::DirectoryDocument::Parse(document);
  if (!doc.ok()) return doc.error();
  if (!pinned->has_value()) {
    if (auto s = store_->Put(kBrokerKey, key_b64, true); !s.ok()) return s;
    (void)store_->Put("audit/broker_key_source", "first use", true);  // as OwnEvents reads it
  }
  if (auto s = store_->Put(kDirectoryKey, std::string(document), true); !s.ok()) return s;
  {
    std::lock_guard lock(mu_);
    directory_ = std::make_shared<const seal::DirectoryDocument>(std::move(*doc));
    ++version_;
  }
  accepted_.notify_all();
  return OkStatus();
}

}  // namespace lintas::node
