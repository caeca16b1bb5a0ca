// Per-case keys: creation, content keys kept under them, outbox copies, and
// erasure by destroying them.
#include "lintas/node/case_vault.h"

#include <fmt/format.h>
#include <sodium.h>

#include "consent_scope.h"
#include "lintas/node/errc.h"

namespace lintas::node {
namespace {

using nlohmann::json;

constexpr std::string_view kCopyMagic = "LNTV";
constexpr char kSep = '\x1f';

std::string KeyKey(const std::string& c) { return "k/" + c; }
std::string ContentPrefix(const std::string& c) { return "c/" + c + kSep; }
std::string ContentKeyKey(const std::string& c, const wire::EventId& id) { return ContentPrefix(c) + id.ToString(); }
std::string TombstoneKey(const std::string& c) { return "x/" + c; }

std::span<const uint8_t> Ad(const wire::EventId& id) { return {id.bytes().data(), id.bytes().size()}; }

}  // namespace

Error CaseVault::Erased(const std::string& case_id, const json& tombstone) {
  return Error{errc::erased,
               fmt::format("case {} was erased on {}: its content can no longer be decrypted", case_id,
                           consent::WhenBy(tombstone)),
               "case_id"};
}

Result<std::optional<json>> CaseVault::Tombstone(const std::string& case_id) {
  auto raw = store_->Get(Cf::kVault, TombstoneKey(case_id));
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return std::optional<json>();
  json t = json::parse(**raw, nullptr, false);
  if (t.is_discarded()) t = json::object();
  return std::optional<json>(std::move(t));
}

Result<std::optional<seal::SymmetricKey>> CaseVault::Existing(const std::string& case_id) {
  // The tombstone first: a key written after it (a race with the erasure)
  // is never used.
  auto tomb = Tombstone(case_id);
  if (!tomb.ok()) return std::move(tomb).error();
  if (tomb->has_value()) return Erased(case_id, **tomb);
  auto raw = store_->Get(Cf::kVault, KeyKey(case_id));
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return std::optional<seal::SymmetricKey>();
  auto key = seal::SymmetricKey::FromBytes(**raw);
  if (!key.ok()) return Error{errc::storage, "vault: the key of case " + case_id + " is damaged", "case_id"};
  return std::optional<seal::SymmetricKey>(std::move(*key));
}

Result<seal::SymmetricKey> CaseVault::KeyFor(const std::string& case_id, WriteSet* writes) {
  auto existing = Existing(case_id);
  if (!existing.ok()) return std::move(existing).error();
  if (existing->has_value()) return std::move(**existing);
  std::lock_guard lock(mu_);
  if (auto it = pending_.find(case_id); it != pending_.end()) return seal::SymmetricKey::FromBytes(it->second);
  seal::SymmetricKey key = seal::SymmetricKey::Random();
  pending_[case_id] = std::string(key.view());
  writes->Put(Cf::kVault, KeyKey(case_id), std::string(key.view()));
  return key;
}

void CaseVault::Settled() {
  std::lock_guard lock(mu_);
  for (auto& [c, k] : pending_) sodium_memzero(k.data(), k.size());
  pending_.clear();
}

Status CaseVault::KeepContentKey(const std::string& case_id, const wire::EventId& id,
                                 const seal::SymmetricKey& content_key, WriteSet* writes) {
  auto key = KeyFor(case_id, writes);
  if (!key.ok()) return std::move(key).error();
  writes->Put(Cf::kVault, ContentKeyKey(case_id, id), seal::Encrypt(*key, content_key.view(), Ad(id)));
  return OkStatus();
}

Result<std::optional<seal::SymmetricKey>> CaseVault::ContentKey(const std::string& case_id,
                                                                const wire::EventId& id) {
  auto key = Existing(case_id);
  if (!key.ok()) return std::move(key).error();
  if (!key->has_value()) return std::optional<seal::SymmetricKey>();
  auto kept = store_->Get(Cf::kVault, ContentKeyKey(case_id, id));
  if (!kept.ok()) return std::move(kept).error();
  if (!kept->has_value()) return std::optional<seal::SymmetricKey>();
  auto plain = seal::Decrypt(**key, **kept, Ad(id));
  if (!plain.ok()) return Error{errc::unreadable, "vault: the content key of " + id.ToString() + " does not decrypt"};
  auto content = seal::SymmetricKey::FromBytes(*plain);
  if (!content.ok()) return Error{errc::unreadable, "vault: the content key of " + id.ToString() + " is damaged"};
  return std::optional<seal::SymmetricKey>(std::move(*content));
}

Result<std::string> CaseVault::SealCopy(const std::string& case_id, const wire::EventId& id,
                                        std::string_view event, WriteSet* writes) {
  if (case_id.empty() || case_id.size() > 255) return std::string(event);
  auto key = KeyFor(case_id, writes);
  if (!key.ok()) return std::move(key).error();
  std::string out(kCopyMagic);
  out.append(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size());
  out.push_back(static_cast<char>(case_id.size()));
  out += case_id;
  out += seal::Encrypt(*key, event, Ad(id));
  return out;
}

bool CaseVault::IsSealedCopy(std::string_view bytes) {
  return bytes.size() > kCopyMagic.size() + wire::EventId::kSize + 1 && bytes.substr(0, 4) == kCopyMagic;
}

std::optional<wire::EventId> CaseVault::CopyId(std::string_view bytes) {
  if (!IsSealedCopy(bytes)) return std::nullopt;
  return wire::EventId::FromSpan({reinterpret_cast<const uint8_t*>(bytes.data()) + 4, wire::EventId::kSize});
}

Result<std::string> CaseVault::OpenCopy(std::string_view bytes) {
  if (!IsSealedCopy(bytes)) return std::string(bytes);
  wire::EventId id = *CopyId(bytes);
  size_t at = 4 + wire::EventId::kSize;
  size_t len = static_cast<uint8_t>(bytes[at]);
  if (bytes.size() < at + 1 + len) return Error{errc::unreadable, "outbox copy: truncated header"};
  std::string case_id(bytes.substr(at + 1, len));
  auto key = Existing(case_id);
  if (!key.ok()) return std::move(key).error();
  if (!key->has_value()) return Error{errc::unreadable, "outbox copy: case " + case_id + " has no key here"};
  auto plain = seal::Decrypt(**key, bytes.substr(at + 1 + len), Ad(id));
  if (!plain.ok()) return Error{errc::unreadable, "outbox copy of " + id.ToString() + ": " + plain.error().message};
  return std::move(*plain);
}

Status CaseVault::Erase(const std::string& case_id, const json& tombstone, WriteSet* writes) {
  std::lock_guard lock(mu_);
  auto tomb = Tombstone(case_id);
  if (!tomb.ok()) return std::move(tomb).error();
  if (tomb->has_value()) return OkStatus();  // the first erasure's record stays
  writes->Delete(Cf::kVault, KeyKey(case_id));
  std::string after;
  for (;;) {
    auto page = store_->Scan(Cf::kVault, ContentPrefix(case_id), 1024, after);
    if (!page.ok()) return std::move(page).error();
    for (const auto& [k, v] : *page) writes->Delete(Cf::kVault, k);
    if (page->size() < 1024) break;
    after = page->back().first;
  }
  writes->Put(Cf::kVault, TombstoneKey(case_id), tombstone.dump());
  // Until the store is shredded (a crash may come first): ErasureWorker
  // shreds at start while this is set.
  writes->Put(Cf::kVault, std::string(kShredPendingKey), "1");
  return OkStatus();
}

}  // namespace lintas::node
