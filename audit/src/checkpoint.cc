// Checkpoint format, Ed25519 signature verification and public keys.
#include "lintas/audit/checkpoint.h"

#include <sodium.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "signed_text.h"

namespace lintas::audit {
namespace {

using internal::Bad;
using internal::ParseU64;

}  // namespace

std::string Checkpoint::Body() const {
  return fmt::format("lintas-checkpoint/1\nlog_id {}\nsize {}\nroot {}\naccess_size {}\naccess_root {}\ntime_us {}\n",
                     log_id, size, ToHex(root), access_size, ToHex(access_root), time_us);
}

Result<Checkpoint> Checkpoint::Parse(std::string_view body) {
  auto fields = internal::ParseFields(body, "checkpoint", "lintas-checkpoint/1",
                                      {"log_id", "size", "root", "access_size", "access_root", "time_us"});
  if (!fields.ok()) return fields.error();
  const std::vector<std::string_view>& values = *fields;
  Checkpoint c;
  c.log_id = std::string(values[0]);
  uint64_t time = 0;
  auto root = FromHex(values[2]);
  auto access_root = FromHex(values[4]);
  if (!ParseU64(values[1], &c.size) || !root || !ParseU64(values[3], &c.access_size) ||
      !access_root || !ParseU64(values[5], &time)) {
    return Bad("checkpoint: a number or hash is malformed");
  }
  c.root = *root;
  c.access_root = *access_root;
  c.time_us = static_cast<int64_t>(time);
  return c;
}

bool VerifySignature(std::string_view body, const Signature& signature, const PublicKey& key) {
  static const bool initialised = sodium_init() >= 0;
  if (!initialised) return false;
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(body.data()),
                                     body.size(), key.data()) == 0;
}

std::string KeyToBase64(const PublicKey& key) {
  return Base64Encode({reinterpret_cast<const char*>(key.data()), key.size()});
}

Result<PublicKey> KeyFromBase64(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  auto bytes = Base64Decode(text);
  if (!bytes || bytes->size() != 32) return Bad("not a base64 Ed25519 public key (32 bytes)");
  PublicKey key;
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

Result<PublicKey> LoadPublicKey(const std::string& text_or_path) {
  std::ifstream in(text_or_path);
  if (in) {
    std::string line;
    std::getline(in, line);
    auto key = KeyFromBase64(line);
    if (!key.ok()) return Bad(fmt::format("{}: {}", text_or_path, key.error().message));
    return key;
  }
  return KeyFromBase64(text_or_path);
}

}  // namespace lintas::audit
