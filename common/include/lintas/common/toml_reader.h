// Reading TOML configuration: every mistake is a ConfigError that names the
// key ("broker.max_batch: 1000 is outside 1..256"). Start-up code only.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace lintas {

// A configuration error: thrown at start-up, never across threads.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace config {

[[noreturn]] inline void Fail(const std::string& message) { throw ConfigError(message); }

// Parses TOML text; a syntax error says where.
toml::table Parse(const std::string& text);

// The whole file; ConfigError if it cannot be read.
std::string ReadFile(const std::string& path);

// Refuses keys the program does not know: a typo must not become a default.
void CheckKeys(const toml::table& table, const std::string& where,
               const std::set<std::string>& known);

template <typename T>
T Get(const toml::table& table, const std::string& where, const char* key, T fallback) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return fallback;
  std::optional<T> value = node->value<T>();
  if (!value) Fail(fmt::format("{}.{}: wrong type", where, key));
  return *value;
}

uint32_t GetU32(const toml::table& table, const std::string& where, const char* key,
                uint32_t fallback, uint32_t min, uint32_t max);

std::vector<std::string> GetStrings(const toml::table& table, const std::string& where,
                                    const char* key);

// Whether a ZeroMQ endpoint stays on this host (ipc, inproc, 127.x, ::1,
// localhost): the only place plaintext mode is allowed.
bool IsLoopbackEndpoint(const std::string& endpoint);

// `path` relative to `base_dir` (the config file's folder), unless absolute.
std::string ResolvePath(const std::string& base_dir, const std::string& path);

}  // namespace config
}  // namespace lintas
