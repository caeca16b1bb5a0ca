// Sealing and opening events.
#include "lintas/seal/sealer.h"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>
#include <sodium.h>

#include "lintas/seal/errc.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/pack.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"
#include "skeleton.h"

namespace lintas::seal {
namespace {

constexpr size_t kWrappedBytes = crypto_box_SEALBYTES + crypto_aead_xchacha20poly1305_ietf_KEYBYTES;

Error Err(errc code, const std::string& message, const std::string& field = {}) {
  return Error{make_error_code(code), message, field};
}

std::string_view Str(const flatbuffers::String* s) { return s != nullptr ? s->string_view() : std::string_view(); }

bool SameBytes(const fb::Uuid* a, const fb::Uuid* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return std::equal(a->bytes()->begin(), a->bytes()->end(), b->bytes()->begin());
}

// The first routing field in which the inner event differs from the
// envelope, or "" when they agree.
std::string DifferingField(const fb::Event& e, const fb::Event& in) {
  if (!SameBytes(e.id(), in.id())) return "id";
  if (in.sealed() != nullptr) return "sealed";
  if (e.created_at_us() != in.created_at_us()) return "created_at_us";
  if (Str(e.origin()->country()) != Str(in.origin()->country()) ||
      Str(e.origin()->agency()) != Str(in.origin()->agency())) {
    return "origin";
  }
  size_t n = e.destinations() ? e.destinations()->size() : 0;
  if (n != (in.destinations() ? in.destinations()->size() : 0)) return "destinations";
  for (size_t i = 0; i < n; ++i) {
    const auto* a = e.destinations()->Get(i);
    const auto* b = in.destinations()->Get(i);
    if (Str(a->country()) != Str(b->country()) || Str(a->agency()) != Str(b->agency()) || a->role() != b->role()) {
      return fmt::format("destinations[{}]", i);
    }
  }
  auto kind = [](const fb::Event& x) {
    return x.distribution() ? x.distribution()->kind() : fb::DistributionKind::Addressed;
  };
  if (kind(e) != kind(in)) return "distribution";
  if (e.priority() != in.priority()) return "priority";
  if (e.response_due_us() != in.response_due_us()) return "response_due_us";
  if (e.handling() != in.handling()) return "handling";
  if (Str(e.handling_text()) != Str(in.handling_text())) return "handling_text";
  if (Str(e.case_id()) != Str(in.case_id())) return "case_id";
  if (!SameBytes(e.parent_id(), in.parent_id())) return "parent_id";
  if (e.body_type() != in.body_type()) return "body_type";
  return "";
}

}  // namespace

bool ShouldSeal(const fb::Event& event) {
  fb::DistributionKind kind =
      event.distribution() ? event.distribution()->kind() : fb::DistributionKind::Addressed;
  if (kind != fb::DistributionKind::Addressed) return false;
  if (event.destinations() == nullptr || event.destinations()->size() == 0) return false;
  return event.body_type() != fb::Body::DeliveryReceipt && event.body_type() != fb::Body::ReadReceipt;
}

Result<std::string> SealEvent(const fb::Event& event, std::span<const uint8_t> bytes,
                              const std::vector<Recipient>& recipients) {
  if (recipients.empty()) return Err(errc::key_unusable, "a sealed event needs at least one recipient");
  if (recipients.size() > kMaxRecipients) {
    return Err(errc::inconsistent, fmt::format("destinations: more than {} recipient nodes", kMaxRecipients),
               "destinations");
  }
  SymmetricKey ck = SymmetricKey::Random();
  auto sealed = std::make_unique<fb::SealedT>();
  sealed->algorithm = 1;
  sealed->nonce.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  randombytes_buf(sealed->nonce.data(), sealed->nonce.size());
  sealed->ciphertext.resize(bytes.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long clen = 0;
  const auto* id = event.id()->bytes();
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed->ciphertext.data(), &clen, bytes.data(), bytes.size(),
                                             id->data(), id->size(), nullptr, sealed->nonce.data(),
                                             ck.bytes().data());
  sealed->ciphertext.resize(clen);
  std::set<std::string> seen;
  for (const auto& r : recipients) {
    if (!seen.insert(r.node).second) continue;
    auto k = std::make_unique<fb::SealedKeyT>();
    k->node = r.node;
    KeyId key_id = KeyIdOf(r.key);
    k->key_id.assign(key_id.begin(), key_id.end());
    k->wrapped.resize(kWrappedBytes);
    crypto_box_seal(k->wrapped.data(), ck.bytes().data(), ck.bytes().size(), r.key.data());
    sealed->keys.push_back(std::move(k));
  }
  fb::EventT envelope;
  event.UnPackTo(&envelope);
  fb::BodyUnion skeleton = SkeletonBody(envelope.body);
  envelope.body = std::move(skeleton);
  envelope.attachments.clear();
  envelope.national_refs.clear();
  envelope.officer.clear();
  envelope.schema_version = std::max<uint16_t>(envelope.schema_version, kSealedSchemaVersion);
  envelope.sealed = std::move(sealed);
  std::string out = wire::PackEvent(envelope);
  if (out.size() > wire::kMaxEventBytes) {
    return Err(errc::inconsistent,
               fmt::format("the event is {} bytes once sealed, over the {}-byte cap: shorten its free text",
                           out.size(), wire::kMaxEventBytes),
               "body");
  }
  return out;
}

Result<SymmetricKey> UnwrapContentKey(const fb::Event& envelope, std::string_view node_id,
                                   const SealKeyring& keys) {
  const fb::Sealed* sealed = envelope.sealed();
  if (sealed == nullptr) return Err(errc::inconsistent, "the event is not sealed", "sealed");
  SymmetricKey ck;
  bool addressed = false;
  for (const auto* k : *sealed->keys()) {
    if (k->node()->string_view() != node_id) continue;
    addressed = true;
    if (k->key_id()->size() != KeyId{}.size() || k->wrapped()->size() != kWrappedBytes) continue;
    KeyId id{};
    std::copy(k->key_id()->begin(), k->key_id()->end(), id.begin());
    const SealKeyPair* mine = keys.Find(id);
    if (mine == nullptr) continue;
    if (crypto_box_seal_open(ck.bytes().data(), k->wrapped()->data(), k->wrapped()->size(),
                             mine->public_key.data(), mine->secret_key.data()) == 0) {
      return ck;
    }
    return Err(errc::tampered, "sealed.keys: this node's copy of the content key does not decrypt",
               "sealed.keys");
  }
  return Err(errc::not_a_recipient,
             addressed ? "sealed.keys: sealed to a key of this node that it no longer holds"
                       : "sealed.keys: the event is not sealed to this node",
             "sealed.keys");
}

Result<std::string> OpenWithContentKey(const fb::Event& envelope, const SymmetricKey& key) {
  const fb::Sealed* sealed = envelope.sealed();
  if (sealed == nullptr) return Err(errc::inconsistent, "the event is not sealed", "sealed");
  if (sealed->algorithm() != 1) {
    return Err(errc::tampered, fmt::format("sealed.algorithm {} is unknown", sealed->algorithm()),
               "sealed.algorithm");
  }
  if (sealed->nonce()->size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      sealed->ciphertext()->size() < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return Err(errc::tampered, "sealed: nonce or ciphertext of the wrong size", "sealed");
  }
  std::string inner(sealed->ciphertext()->size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long len = 0;
  const auto* id = envelope.id()->bytes();
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<uint8_t*>(inner.data()), &len, nullptr,
                                                 sealed->ciphertext()->data(), sealed->ciphertext()->size(),
                                                 id->data(), id->size(), sealed->nonce()->data(),
                                                 key.bytes().data()) != 0) {
    return Err(errc::tampered, "sealed.ciphertext: does not decrypt (altered, or moved from another event)",
               "sealed.ciphertext");
  }
  inner.resize(len);
  auto verified = wire::VerifyEvent(wire::AsBytes(inner));
  if (!verified.ok()) {
    return Err(errc::inconsistent, "sealed content: " + verified.error().message, "sealed.ciphertext");
  }
  if (auto s = wire::ValidateEvent(**verified); !s.ok()) {
    return Err(errc::inconsistent, "sealed content: " + s.error().message, s.error().field);
  }
  if (std::string field = DifferingField(envelope, **verified); !field.empty()) {
    return Err(errc::inconsistent, fmt::format("{}: the sealed event differs from its envelope", field), field);
  }
  return inner;
}

Result<std::string> OpenEvent(const fb::Event& envelope, std::string_view node_id, const SealKeyring& keys) {
  auto key = UnwrapContentKey(envelope, node_id, keys);
  if (!key.ok()) return std::move(key).error();
  return OpenWithContentKey(envelope, *key);
}

size_t ForgetKeyCopies(std::span<uint8_t> buffer, const fb::Event& envelope, std::string_view node_id) {
  if (envelope.sealed() == nullptr) return 0;
  size_t n = 0;
  for (const auto* k : *envelope.sealed()->keys()) {
    if (k->node()->string_view() != node_id) continue;
    const uint8_t* at = k->wrapped()->data();
    if (at < buffer.data() || at + k->wrapped()->size() > buffer.data() + buffer.size()) continue;
    sodium_memzero(buffer.data() + (at - buffer.data()), k->wrapped()->size());
    ++n;
  }
  return n;
}

std::vector<std::string_view> SealedNodes(const fb::Event& envelope) {
  std::vector<std::string_view> out;
  if (envelope.sealed() == nullptr) return out;
  for (const auto* k : *envelope.sealed()->keys()) out.push_back(k->node()->string_view());
  return out;
}

}  // namespace lintas::seal
