// Standard Webhooks signatures (https://www.standardwebhooks.com): the
// headers webhook-id, webhook-timestamp and webhook-signature, where the
// signature is "v1," + base64(HMAC-SHA256(secret, id "." timestamp "." body)).
// During a rotation two secrets are active and both signatures are sent,
// space-separated; a receiver accepts either.
//
// Thread safety: immutable after construction; Sign is safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lintas/common/result.h"

namespace lintas::webhook {

class Signer {
 public:
  // From "whsec_<base64>" secrets (one or two). Errors name what is wrong,
  // never the secret.
  [[nodiscard]] static Result<Signer> FromSecrets(const std::vector<std::string>& secrets);
  // The secrets file: one or two whsec_ secrets, one per line; blank lines
  // and lines starting with '#' are skipped.
  [[nodiscard]] static Result<Signer> FromFile(const std::string& path);

  // The webhook-signature header value for this message.
  std::string Sign(const std::string& id, int64_t timestamp_s, const std::string& body) const;

  size_t secret_count() const { return keys_.size(); }

 private:
  std::vector<std::string> keys_;  // raw key bytes
};

// "v1," + base64 HMAC-SHA256 of `id.timestamp.body` under one raw key.
std::string SignatureV1(const std::string& key, const std::string& id, int64_t timestamp_s, const std::string& body);

}  // namespace lintas::webhook
