// TOML configuration helpers.
#include "lintas/common/toml_reader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lintas::config {

toml::table Parse(const std::string& text) {
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& e) {
    Fail(fmt::format("TOML error at line {}, column {}: {}", e.source().begin.line,
                     e.source().begin.column, e.description()));
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail(fmt::format("cannot read config file '{}'", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void CheckKeys(const toml::table& table, const std::string& where,
               const std::set<std::string>& known) {
  for (const auto& [key, value] : table) {
    if (!known.count(std::string(key.str()))) {
      Fail(fmt::format("{}: unknown key '{}'", where, key.str()));
    }
  }
}

uint32_t GetU32(const toml::table& table, const std::string& where, const char* key,
                uint32_t fallback, uint32_t min, uint32_t max) {
  int64_t v = Get<int64_t>(table, where, key, fallback);
  if (v < min || v > max) Fail(fmt::format("{}.{}: {} is outside {}..{}", where, key, v, min, max));
  return static_cast<uint32_t>(v);
}

std::vector<std::string> GetStrings(const toml::table& table, const std::string& where,
                                    const char* key) {
  std::vector<std::string> out;
  const toml::node* node = table.get(key);
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) Fail(fmt::format("{}.{}: must be an array of strings", where, key));
  for (const auto& item : *array) {
    auto s = item.value<std::string>();
    if (!s) Fail(fmt::format("{}.{}: must be an array of strings", where, key));
    out.push_back(*s);
  }
  return out;
}

bool IsLoopbackEndpoint(const std::string& endpoint) {
  return endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0 ||
         endpoint.rfind("tcp://127.", 0) == 0 || endpoint.rfind("tcp://localhost:", 0) == 0 ||
         endpoint.rfind("tcp://[::1]:", 0) == 0;
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

}  // namespace lintas::config
