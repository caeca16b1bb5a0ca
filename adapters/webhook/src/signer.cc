// Standard Webhooks signing with libsodium's HMAC-SHA256 and base64.
#include "signer.h"

#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <sodium.h>

namespace lintas::webhook {
namespace {

constexpr const char* kPrefix = "whsec_";

Error Bad(const std::string& message) {
  return Error{std::make_error_code(std::errc::invalid_argument), message, "secrets_file"};
}

std::string Base64(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<Signer> Signer::FromSecrets(const std::vector<std::string>& secrets) {
  if (sodium_init() < 0) return Bad("libsodium cannot start");
  if (secrets.empty() || secrets.size() > 2) {
    return Bad(fmt::format("{} secrets: one, or two during a rotation, are expected", secrets.size()));
  }
  Signer s;
  for (size_t i = 0; i < secrets.size(); ++i) {
    const std::string& text = secrets[i];
    if (text.rfind(kPrefix, 0) != 0) return Bad(fmt::format("secret {}: does not start with whsec_", i + 1));
    std::string encoded = text.substr(6);
    std::string key(encoded.size(), '\0');
    size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), encoded.data(), encoded.size(),
                          nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
      return Bad(fmt::format("secret {}: is not base64 after whsec_", i + 1));
    }
    key.resize(len);
    // Standard Webhooks: between 24 and 64 bytes.
    if (len < 24 || len > 64) return Bad(fmt::format("secret {}: {} bytes; 24 to 64 are expected", i + 1, len));
    s.keys_.push_back(std::move(key));
  }
  return s;
}

Result<Signer> Signer::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Bad("cannot read the secrets file " + path);
  std::vector<std::string> secrets;
  for (std::string line; std::getline(in, line);) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    secrets.push_back(line);
  }
  auto s = FromSecrets(secrets);
  if (!s.ok()) return Bad(path + ": " + s.error().message);
  return s;
}

std::string SignatureV1(const std::string& key, const std::string& id, int64_t timestamp_s, const std::string& body) {
  std::string content = id + "." + std::to_string(timestamp_s) + "." + body;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(content.data()), content.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return "v1," + Base64(mac, sizeof mac);
}

std::string Signer::Sign(const std::string& id, int64_t timestamp_s, const std::string& body) const {
  std::string header;
  for (const auto& key : keys_) {
    if (!header.empty()) header += ' ';
    header += SignatureV1(key, id, timestamp_s, body);
  }
  return header;
}

}  // namespace lintas::webhook
