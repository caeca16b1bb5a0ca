// A keep-alive HTTP(S) connection to the node's API for one thread
// (cpp-httplib's client; TLS verification on). Not thread-safe: one per
// worker.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "config.h"

namespace httplib {
class Client;
}

namespace lintas::importer {

struct Reply {
  int status = 0;  // 0: no answer (unreachable, timed out)
  nlohmann::json body;
  std::string transport_error;  // when status is 0
};

class NodeClient {
 public:
  NodeClient(const ImportConfig& config, const std::string& token);
  ~NodeClient();
  NodeClient(const NodeClient&) = delete;
  NodeClient& operator=(const NodeClient&) = delete;

  Reply Get(const std::string& path);
  Reply Post(const std::string& path, const nlohmann::json& body);

 private:
  std::unique_ptr<httplib::Client> client_;
};

// The node's error as "field: message" (message alone when it already
// starts with its field), from {"error": {code, field, message}}.
std::string ErrorText(const Reply& reply);

}  // namespace lintas::importer
