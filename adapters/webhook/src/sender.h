// One HTTPS POST of a signed webhook to an endpoint. A 2xx answer is a
// delivery; anything else (another status, a timeout, a refused connection,
// a certificate that does not verify) is a failed attempt, retried by the
// caller. Redirects are not followed (a redirect would send the signed
// payload somewhere the configuration does not name).
//
// Thread safety: immutable after construction; Send is safe from any thread
// (each call opens its own connection).
#pragma once

#include <cstdint>
#include <string>

#include "signer.h"
#include "webhook_config.h"

namespace lintas::webhook {

struct Attempt {
  bool delivered = false;
  int status = 0;        // HTTP status; 0 when no answer came
  std::string outcome;   // metric label: "2xx", "4xx", "5xx", "timeout", "connection", "tls", "other"
  std::string error;     // for logs and the dead-letter queue: "HTTP 500", "timeout after 2s", ...
  double seconds = 0;    // time the call took
};

class Sender {
 public:
  Sender(const EndpointConfig& endpoint, Signer signer);

  // POSTs `body` (JSON) with the Standard Webhooks headers for message `id`.
  Attempt Send(const std::string& id, const std::string& body) const;

 private:
  const EndpointConfig& endpoint_;
  const Signer signer_;
  std::string origin_;  // scheme://host:port
  std::string path_;
};

}  // namespace lintas::webhook
