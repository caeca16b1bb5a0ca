// The CLI's view of a node: HTTP calls, exit codes, output helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace httplib {
class Client;
}

namespace lintas::cli {

// Exit codes (also in `lintas --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // anything else
inline constexpr int kExitBadInput = 2;     // the node refused the input (4xx), or bad flags
inline constexpr int kExitUnreachable = 3;  // no node at --node
inline constexpr int kExitNotFound = 4;     // no such event or case
inline constexpr int kExitRefused = 5;      // the broker refused the event / timed out waiting

struct Reply {
  int status = 0;  // HTTP status; 0 when the node could not be reached
  nlohmann::json body;
};

// Talks to one node's local API. Not thread-safe; one per command.
class NodeClient {
 public:
  // Sends `token` (when not empty) as "Authorization: Bearer ...".
  explicit NodeClient(const std::string& url, std::string token = {});
  Reply Get(const std::string& path);
  Reply Post(const std::string& path, const nlohmann::json& body);
  Reply Delete(const std::string& path);
  Reply Put(const std::string& path, const nlohmann::json& body);

 private:
  std::string host_;
  int port_ = 80;
  std::string token_;
  void Prepare(httplib::Client& c) const;
};

// Puts: `Put` for language and similar settings.
// Prints a failed reply to stderr and returns the exit code for it.
int Fail(const Reply& reply);

// "3d", "8h", "30m", "45s" -> microseconds; nullopt if malformed.
std::optional<int64_t> ParseDuration(const std::string& text);

// "social_welfare" -> "SocialWelfare"; "life-threatening" -> "LifeThreatening".
std::string Camel(const std::string& text);

// "2026-11-28T19:04:05Z" from Unix microseconds ("-" for 0).
std::string When(int64_t micros);

}  // namespace lintas::cli
