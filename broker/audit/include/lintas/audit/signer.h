// The broker's Ed25519 signing key for checkpoints. Only the broker signs;
// nodes and auditors verify with lintas/audit/checkpoint.h, which is why this
// lives in lintas::broker_audit and not in the shared lintas::audit.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "lintas/audit/checkpoint.h"

namespace lintas::audit {

// An Ed25519 signing key. Ownership: holds the secret in memory.
// Thread safety: Sign is const and safe from any thread.
class Signer {
 public:
  // Reads the secret key file (base64 of libsodium's 64-byte secret key);
  // if it does not exist, creates it (mode 0600) and `path`.pub beside it.
  // Throws std::runtime_error (start-up only).
  static Signer LoadOrCreate(const std::string& path);
  // A fresh key in memory (tests and benchmarks).
  static Signer Generate();
  // A key derived from a 32-byte seed (fuzzing, reproducible tests).
  static Signer FromSeed(const std::array<uint8_t, 32>& seed);

  const PublicKey& public_key() const { return public_key_; }
  SignedCheckpoint Sign(const Checkpoint& checkpoint) const;
  // The signature of any other document the broker vouches for (the
  // directory, docs/SECURITY.md), with the same key.
  Signature SignBytes(std::string_view bytes) const;

 private:
  std::array<uint8_t, 64> secret_{};
  PublicKey public_key_{};
};

}  // namespace lintas::audit
