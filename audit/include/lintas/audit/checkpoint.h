// Signed checkpoints: the broker's signed statement of the size and root of
// its event log and of its consultation log at a time. The format is text so
// that an auditor can check it with their own tools (docs/AUDIT.md):
//
//   lintas-checkpoint/1
//   log_id <broker id>
//   size <records in the event log>
//   root <hex SHA-256 tree root of the event log>
//   access_size <records in the consultation log>
//   access_root <hex tree root of the consultation log>
//   time_us <Unix microseconds, UTC>
//
// signed with Ed25519 (libsodium crypto_sign_detached) over exactly these
// bytes, each line ending in "\n". This header parses and verifies; the
// broker signs with lintas::audit::Signer (broker/audit, signer.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "lintas/audit/hash.h"
#include "lintas/common/result.h"

namespace lintas::audit {

struct Checkpoint {
  std::string log_id;
  uint64_t size = 0;
  Hash root{};
  uint64_t access_size = 0;
  Hash access_root{};
  int64_t time_us = 0;

  std::string Body() const;
  // Refuses anything but the exact format above (the error names the line).
  static Result<Checkpoint> Parse(std::string_view body);
};

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

struct SignedCheckpoint {
  std::string body;
  Signature signature{};
};

// Whether `signature` is `key`'s Ed25519 signature of `body`.
bool VerifySignature(std::string_view body, const Signature& signature, const PublicKey& key);

// Base64 of the key, as in the key files and exports.
std::string KeyToBase64(const PublicKey& key);
Result<PublicKey> KeyFromBase64(std::string_view text);
// Reads a public key file (base64, one line) or, failing that, takes
// `text_or_path` itself as the base64 key.
Result<PublicKey> LoadPublicKey(const std::string& text_or_path);

}  // namespace lintas::audit
