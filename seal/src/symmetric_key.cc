// Symmetric keys and authenticated encryption with them.
#include "lintas/seal/symmetric_key.h"

#include <sodium.h>

#include "lintas/seal/errc.h"

namespace lintas::seal {

static_assert(SymmetricKey::kBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

SymmetricKey::~SymmetricKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

SymmetricKey::SymmetricKey(SymmetricKey&& other) noexcept : bytes_(other.bytes_) {
  sodium_memzero(other.bytes_.data(), other.bytes_.size());
}

SymmetricKey& SymmetricKey::operator=(SymmetricKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    sodium_memzero(other.bytes_.data(), other.bytes_.size());
  }
  return *this;
}

SymmetricKey SymmetricKey::Random() {
  SymmetricKey key;
  crypto_aead_xchacha20poly1305_ietf_keygen(key.bytes_.data());
  return key;
}

Result<SymmetricKey> SymmetricKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kBytes) {
    return Error{make_error_code(errc::key_unusable), "a secret key must be 32 bytes", "key"};
  }
  SymmetricKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

std::string Encrypt(const SymmetricKey& key, std::string_view plaintext, std::span<const uint8_t> associated) {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string out(kNonce + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  auto* nonce = reinterpret_cast<uint8_t*>(out.data());
  randombytes_buf(nonce, kNonce);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonce, &len,
                                             reinterpret_cast<const uint8_t*>(plaintext.data()), plaintext.size(),
                                             associated.data(), associated.size(), nullptr, nonce,
                                             key.bytes().data());
  out.resize(kNonce + len);
  return out;
}

Result<std::string> Decrypt(const SymmetricKey& key, std::string_view box, std::span<const uint8_t> associated) {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (box.size() < kNonce + kTag) {
    return Error{make_error_code(errc::tampered), "encrypted value shorter than its nonce and tag"};
  }
  const auto* nonce = reinterpret_cast<const uint8_t*>(box.data());
  std::string out(box.size() - kNonce - kTag, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<uint8_t*>(out.data()), &len, nullptr,
                                                 nonce + kNonce, box.size() - kNonce, associated.data(),
                                                 associated.size(), nonce, key.bytes().data()) != 0) {
    return Error{make_error_code(errc::tampered), "does not decrypt with this key (altered, or another key)"};
  }
  out.resize(len);
  return out;
}

}  // namespace lintas::seal
