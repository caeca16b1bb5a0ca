// Loading and checking the webhook adapter's TOML file.
#include "webhook_config.h"

#include <filesystem>
#include <regex>
#include <set>

#include "lintas/common/toml_reader.h"
#include "lintas/node/human_time.h"

namespace lintas::webhook {
namespace {

using config::Fail;

int64_t GetDuration(const toml::table& t, const std::string& where, const char* key, int64_t fallback) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return fallback;
  auto text = n->value<std::string>();
  if (!text) Fail(fmt::format("{}.{}: must be a duration as text (\"500ms\", \"10s\", \"5m\")", where, key));
  auto us = node::ParseDuration(*text);
  if (!us) Fail(fmt::format("{}.{}: '{}' is not a duration (\"500ms\", \"10s\", \"5m\", \"1h\")", where, key, *text));
  return *us;
}

std::string GetString(const toml::table& t, const std::string& where, const char* key, const std::string& fallback) {
  return config::Get<std::string>(t, where, key, fallback);
}

void CheckUrl(const std::string& where, const std::string& url, bool allow_http) {
  static const std::regex kUrl(R"(^(https?)://[A-Za-z0-9.\-\[\]:]+(/[\x21-\x7e]*)?$)");
  if (!std::regex_match(url, kUrl)) Fail(fmt::format("{}: '{}' is not an http(s) URL", where, url));
  if (url.rfind("http://", 0) == 0 && !allow_http) {
    Fail(fmt::format("{}: plaintext http:// is refused (events carry victims' data); use https://, or set "
                     "allow_http = true for a test or a demo",
                     where));
  }
}

EndpointConfig LoadEndpoint(const toml::table& t, const std::string& where, const std::string& base) {
  config::CheckKeys(t, where,
                    {"name", "url", "secrets_file", "reader", "inbox", "subscriptions", "timeout", "max_attempts",
                     "backoff_initial", "backoff_max", "lanes", "verify_tls", "ca_file", "allow_http"});
  EndpointConfig e;
  e.name = GetString(t, where, "name", "");
  static const std::regex kName("^[a-z0-9_.-]{1,64}$");
  if (!std::regex_match(e.name, kName)) Fail(where + ".name: is required, [a-z0-9_.-]{1,64}");
  std::string at = where + " (" + e.name + ")";
  e.allow_http = config::Get<bool>(t, at, "allow_http", false);
  e.url = GetString(t, at, "url", "");
  if (e.url.empty()) Fail(at + ".url: is required");
  CheckUrl(at + ".url", e.url, e.allow_http);
  e.secrets_file = GetString(t, at, "secrets_file", "");
  if (e.secrets_file.empty()) Fail(at + ".secrets_file: is required (one or two whsec_ secrets, one per line)");
  e.secrets_file = config::ResolvePath(base, e.secrets_file);
  e.reader = GetString(t, at, "reader", "webhook-" + e.name);
  if (!std::regex_match(e.reader, kName)) Fail(at + ".reader: must match [a-z0-9_.-]{1,64}");
  e.inbox = config::Get<bool>(t, at, "inbox", true);
  e.subscriptions = config::GetStrings(t, at, "subscriptions");
  if (!e.inbox && e.subscriptions.empty()) Fail(at + ": delivers nothing (inbox = false and no subscriptions)");
  e.timeout_us = GetDuration(t, at, "timeout", e.timeout_us);
  e.max_attempts = config::GetU32(t, at, "max_attempts", e.max_attempts, 1, 100);
  e.backoff_initial_us = GetDuration(t, at, "backoff_initial", e.backoff_initial_us);
  e.backoff_max_us = GetDuration(t, at, "backoff_max", e.backoff_max_us);
  if (e.backoff_max_us < e.backoff_initial_us) Fail(at + ".backoff_max: is shorter than backoff_initial");
  e.lanes = config::GetU32(t, at, "lanes", e.lanes, 1, 64);
  e.verify_tls = config::Get<bool>(t, at, "verify_tls", true);
  e.ca_file = GetString(t, at, "ca_file", "");
  if (!e.ca_file.empty()) e.ca_file = config::ResolvePath(base, e.ca_file);
  return e;
}

}  // namespace

WebhookConfig LoadWebhookConfig(const std::string& path) {
  toml::table root = config::Parse(config::ReadFile(path));
  std::string base = std::filesystem::path(path).parent_path().string();
  config::CheckKeys(root, "config", {"node", "adapter", "endpoints"});
  WebhookConfig c;
  const toml::table empty;
  const toml::table* node = root["node"].as_table();
  if (node == nullptr) Fail("node: the [node] table is required (url, token_file)");
  config::CheckKeys(*node, "node", {"url", "token_file", "ca_file"});
  c.node_url = GetString(*node, "node", "url", c.node_url);
  CheckUrl("node.url", c.node_url, true);
  c.token_file = GetString(*node, "node", "token_file", "");
  if (c.token_file.empty()) Fail("node.token_file: is required (an API token of the agency system's account)");
  c.token_file = config::ResolvePath(base, c.token_file);
  c.node_ca_file = GetString(*node, "node", "ca_file", "");
  if (!c.node_ca_file.empty()) c.node_ca_file = config::ResolvePath(base, c.node_ca_file);

  const toml::table* adapter = root["adapter"].as_table();
  if (adapter == nullptr) Fail("adapter: the [adapter] table is required (data_dir)");
  config::CheckKeys(*adapter, "adapter",
                    {"data_dir", "admin_listen", "admin_endpoint_file", "poll_interval", "page_size", "log_format"});
  c.data_dir = GetString(*adapter, "adapter", "data_dir", "");
  if (c.data_dir.empty()) Fail("adapter.data_dir: is required (the dead-letter queue is kept there)");
  c.data_dir = config::ResolvePath(base, c.data_dir);
  c.admin_listen = GetString(*adapter, "adapter", "admin_listen", c.admin_listen);
  if (c.admin_listen.rfind(':') == std::string::npos) Fail("adapter.admin_listen: must be host:port");
  c.admin_endpoint_file = GetString(*adapter, "adapter", "admin_endpoint_file", "");
  if (!c.admin_endpoint_file.empty()) c.admin_endpoint_file = config::ResolvePath(base, c.admin_endpoint_file);
  c.poll_interval_us = GetDuration(*adapter, "adapter", "poll_interval", c.poll_interval_us);
  c.page_size = config::GetU32(*adapter, "adapter", "page_size", c.page_size, 1, 1000);
  c.log_format = GetString(*adapter, "adapter", "log_format", c.log_format);
  if (c.log_format != "text" && c.log_format != "json") Fail("adapter.log_format: must be \"text\" or \"json\"");

  const toml::array* endpoints = root["endpoints"].as_array();
  if (endpoints == nullptr || endpoints->empty()) Fail("endpoints: at least one [[endpoints]] table is required");
  std::set<std::string> names, readers;
  for (size_t i = 0; i < endpoints->size(); ++i) {
    const toml::table* t = (*endpoints)[i].as_table();
    std::string where = fmt::format("endpoints[{}]", i);
    if (t == nullptr) Fail(where + ": must be a table ([[endpoints]])");
    EndpointConfig e = LoadEndpoint(*t, where, base);
    if (!names.insert(e.name).second) Fail(where + ".name: '" + e.name + "' is used twice");
    if (!readers.insert(e.reader).second) Fail(where + ".reader: '" + e.reader + "' is used twice");
    c.endpoints.push_back(std::move(e));
  }
  return c;
}

}  // namespace lintas::webhook
