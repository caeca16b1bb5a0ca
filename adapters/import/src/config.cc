// Loading lintas-import's configuration.
#include "config.h"

#include <cstdlib>
#include <filesystem>

#include "lintas/common/toml_reader.h"

namespace lintas::importer {

ImportConfig ParseConfig(const std::string& text, const std::string& base_dir,
                         const std::string& where) {
  toml::table t = config::Parse(text);
  config::CheckKeys(t, where, {"node", "import"});
  ImportConfig c;
  if (const toml::table* node = t["node"].as_table()) {
    config::CheckKeys(*node, "node", {"url", "token_file", "ca_file", "timeout_s"});
    c.node_url = config::Get<std::string>(*node, "node", "url", c.node_url);
    if (c.node_url.rfind("http://", 0) != 0 && c.node_url.rfind("https://", 0) != 0) {
      config::Fail("node.url: must start with http:// or https://");
    }
    while (!c.node_url.empty() && c.node_url.back() == '/') c.node_url.pop_back();
    c.token_file =
        config::ResolvePath(base_dir, config::Get<std::string>(*node, "node", "token_file", ""));
    c.ca_file =
        config::ResolvePath(base_dir, config::Get<std::string>(*node, "node", "ca_file", ""));
    c.timeout_s = config::GetU32(*node, "node", "timeout_s", c.timeout_s, 1, 600);
  }
  if (const toml::table* import = t["import"].as_table()) {
    config::CheckKeys(*import, "import", {"mapping", "parallel", "wait_s"});
    c.mapping =
        config::ResolvePath(base_dir, config::Get<std::string>(*import, "import", "mapping", ""));
    c.parallel = config::GetU32(*import, "import", "parallel", c.parallel, 1, 32);
    c.wait_s = config::GetU32(*import, "import", "wait_s", c.wait_s, 0, 3600);
  }
  return c;
}

ImportConfig LoadConfig(const std::string& path) {
  std::string base = std::filesystem::path(path).parent_path().string();
  return ParseConfig(config::ReadFile(path), base.empty() ? "." : base, path);
}

std::string ReadToken(const ImportConfig& c) {
  if (!c.token_file.empty()) {
    std::string text = config::ReadFile(c.token_file);
    std::string token = text.substr(0, text.find_first_of("\r\n"));
    if (token.empty()) config::Fail("node.token_file: " + c.token_file + " is empty");
    return token;
  }
  const char* env = std::getenv("LINTAS_TOKEN");
  if (env == nullptr || *env == '\0')
    config::Fail("node.token_file: not set, and $LINTAS_TOKEN is empty");
  return env;
}

}  // namespace lintas::importer
