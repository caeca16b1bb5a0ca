// The node's keys for sealed content: X25519 key pairs (libsodium
// crypto_box), distinct from the CURVE transport keys. A node keeps every key
// it ever had, newest first: the newest seals and is announced to the broker;
// the older ones still open what was sealed to them (key rotation without
// losing old cases).
//
// Key file format (0600): one key per line, newest first, each the base64 of
// the 32-byte secret key; lines starting with '#' are comments.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/common/result.h"

namespace lintas::seal {

using PublicKey = std::array<uint8_t, 32>;
using SecretKey = std::array<uint8_t, 32>;
using KeyId = std::array<uint8_t, 8>;

struct SealKeyPair {
  PublicKey public_key{};
  SecretKey secret_key{};
};

// BLAKE2b-64 of the public key: names a recipient's key inside an event.
KeyId KeyIdOf(const PublicKey& key);

std::string ToBase64(const uint8_t* data, size_t size);
Result<std::vector<uint8_t>> FromBase64(std::string_view text);
Result<PublicKey> PublicKeyFromBase64(std::string_view text);
template <size_t N>
std::string ToBase64(const std::array<uint8_t, N>& a) {
  return ToBase64(a.data(), N);
}

// Every seal key of one node. Thread safety: immutable after construction;
// any thread may read it. Secret keys are wiped on destruction.
class SealKeyring {
 public:
  SealKeyring() = default;
  ~SealKeyring();
  SealKeyring(const SealKeyring&) = delete;
  SealKeyring& operator=(const SealKeyring&) = delete;
  SealKeyring(SealKeyring&&) = default;
  SealKeyring& operator=(SealKeyring&&) = default;

  // A fresh key pair (libsodium randomness).
  static SealKeyPair Generate();
  // Reads the key file; refuses a file readable by others than its owner.
  static Result<SealKeyring> Load(const std::string& path);
  // Loads the file, or creates it (0600) with one fresh key when absent.
  static Result<SealKeyring> LoadOrCreate(const std::string& path);
  // Adds a fresh key in front of the file's keys and rewrites it
  // atomically; the old keys stay (they open old cases).
  static Result<SealKeyring> Rotate(const std::string& path);

  bool empty() const { return keys_.empty(); }
  // The newest key: what this node announces and seals its own copy to.
  const SealKeyPair& current() const { return keys_.front(); }
  // The key whose id is `id`, or nullptr.
  const SealKeyPair* Find(const KeyId& id) const;
  size_t size() const { return keys_.size(); }

  // The file text (newest first).
  std::string Serialize() const;
  void Add(SealKeyPair key) { keys_.push_back(key); }

 private:
  std::vector<SealKeyPair> keys_;
};

}  // namespace lintas::seal
