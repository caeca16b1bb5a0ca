// A 32-byte symmetric key (an event's content key, or a node's per-case key)
// and authenticated encryption with it (XChaCha20-Poly1305-IETF, a random
// 24-byte nonce in front of the ciphertext).
//
// Ownership: a SymmetricKey owns its bytes and wipes them when destroyed; it
// moves but does not copy. Thread safety: free functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lintas/common/result.h"

namespace lintas::seal {

class SymmetricKey {
 public:
  static constexpr size_t kBytes = 32;
  SymmetricKey() = default;
  ~SymmetricKey();
  SymmetricKey(SymmetricKey&& other) noexcept;
  SymmetricKey& operator=(SymmetricKey&& other) noexcept;
  SymmetricKey(const SymmetricKey&) = delete;
  SymmetricKey& operator=(const SymmetricKey&) = delete;

  // A fresh key from libsodium's generator.
  static SymmetricKey Random();
  // The key whose bytes are `bytes` (kBytes of them). Errors: key_unusable.
  [[nodiscard]] static Result<SymmetricKey> FromBytes(std::string_view bytes);

  std::array<uint8_t, kBytes>& bytes() { return bytes_; }
  const std::array<uint8_t, kBytes>& bytes() const { return bytes_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()}; }

 private:
  std::array<uint8_t, kBytes> bytes_{};
};

// nonce || ciphertext of `plaintext`, `associated` bound to it.
std::string Encrypt(const SymmetricKey& key, std::string_view plaintext, std::span<const uint8_t> associated);
// The plaintext of Encrypt's output. Errors: tampered (altered, another key,
// or other associated data).
[[nodiscard]] Result<std::string> Decrypt(const SymmetricKey& key, std::string_view box,
                                          std::span<const uint8_t> associated);

}  // namespace lintas::seal
