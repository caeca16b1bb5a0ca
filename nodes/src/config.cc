// Node configuration loading and validation.
#include "lintas/node/config.h"
#include "lintas/node/human_time.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "lintas/audit/checkpoint.h"
#include "lintas/wire/country.h"
#include "lintas/wire/validate.h"

namespace lintas::node {
namespace {

namespace fs = std::filesystem;

using config::CheckKeys;
using config::Fail;
using config::Get;
using config::ResolvePath;
const auto& Strings = config::GetStrings;

// Every agency of the directory CSV (the broker's format: country_iso3,
// country, agency_id, agency, roles, languages[, counterpart]; roles and
// counterpart separated by ';').
std::vector<DirectoryAgency> ReadDirectory(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail("node.directory: cannot read " + path);
  std::vector<DirectoryAgency> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, ',')) cols.push_back(col);
    if (cols.size() < 5) continue;
    DirectoryAgency a{cols[0], cols[1], cols[2], cols[3], {}, {}};
    std::stringstream rs(cols[4]);
    while (std::getline(rs, col, ';')) a.roles.push_back(col);
    if (cols.size() > 6) {
      std::stringstream cs(cols[6]);
      while (std::getline(cs, col, ';')) {
        if (!col.empty()) a.counterpart_for.push_back(col);
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

NodeConfig ParseNodeConfig(const std::string& text, const std::string& base_dir) {
  toml::table root = config::Parse(text);
  CheckKeys(root, "config", {"node", "broker", "security", "subscriptions", "cases", "retention", "audit"});
  NodeConfig c;
  if (const toml::table* a = root["audit"].as_table()) {
    CheckKeys(*a, "audit",
              {"broker_signing_key", "verify_within", "checkpoint_every", "witness_key_file", "witness_keys"});
    c.witness_key_file = Get<std::string>(*a, "audit", "witness_key_file", "");
    if (!c.witness_key_file.empty()) c.witness_key_file = ResolvePath(base_dir, c.witness_key_file);
    if (const toml::table* w = (*a)["witness_keys"].as_table()) {
      for (const auto& [peer, value] : *w) {
        std::string field = "audit.witness_keys." + std::string(peer.str());
        const auto* key_text = value.as_string();
        if (key_text == nullptr || !audit::KeyFromBase64(key_text->get()).ok()) {
          Fail(field + ": not a base64 Ed25519 public key (32 bytes)");
        }
        c.witness_keys[std::string(peer.str())] = key_text->get();
      }
    }
    c.broker_signing_key = Get<std::string>(*a, "audit", "broker_signing_key", "");
    if (!c.broker_signing_key.empty()) {
      auto key = audit::KeyFromBase64(c.broker_signing_key);
      if (!key.ok()) Fail("audit.broker_signing_key: not a base64 Ed25519 public key (32 bytes)");
    }
    auto period = [&](const char* key, int64_t* out) {
      std::string value = Get<std::string>(*a, "audit", key, "");
      if (value.empty()) return;
      auto d = ParseDuration(value);
      if (!d || *d <= 0) Fail(std::string("audit.") + key + ": '" + value + "' is not a duration (30s, 10m, 1h)");
      *out = *d;
    };
    period("verify_within", &c.verify_within_us);
    period("checkpoint_every", &c.checkpoint_every_us);
  }
  if (const toml::table* r = root["retention"].as_table()) {
    CheckKeys(*r, "retention", {"closed_cases", "inactive_cases", "check_every"});
    auto period = [&](const char* key, int64_t* out) {
      std::string value = Get<std::string>(*r, "retention", key, "");
      if (value.empty()) return;
      auto d = ParseDuration(value);
      if (!d) Fail(std::string("retention.") + key + ": '" + value + "' is not a duration (5y, 18w, 90d, 12h)");
      *out = *d;
    };
    period("closed_cases", &c.retention_closed_us);
    period("inactive_cases", &c.retention_inactive_us);
    period("check_every", &c.retention_check_every_us);
  }
  if (const toml::table* k = root["cases"].as_table()) {
    CheckKeys(*k, "cases", {"max_items_per_case", "max_events_per_case", "max_parties_per_case",
                            "max_cases_per_partner"});
    auto bound = [&](const char* key, uint64_t* out) {
      int64_t v = Get<int64_t>(*k, "cases", key, static_cast<int64_t>(*out));
      if (v < 1) Fail(std::string("cases.") + key + ": must be at least 1");
      *out = static_cast<uint64_t>(v);
    };
    bound("max_items_per_case", &c.max_items_per_case);
    bound("max_events_per_case", &c.max_events_per_case);
    bound("max_parties_per_case", &c.max_parties_per_case);
    bound("max_cases_per_partner", &c.max_cases_per_partner);
  }
  const toml::table* n = root["node"].as_table();
  if (n == nullptr) Fail("node: the [node] table is required");
  CheckKeys(*n, "node", {"id", "country", "agencies", "default_agency", "data_dir", "seal_key_file", "api_address", "api_port",
                         "api_port_file", "api_tls_cert", "api_tls_key", "audit_identity", "max_in_flight", "credit", "auto_delivery_receipt", "directory",
                         "log_level", "log_json"});
  c.id = Get<std::string>(*n, "node", "id", "");
  c.country = Get<std::string>(*n, "node", "country", "");
  c.default_agency = Get<std::string>(*n, "node", "default_agency", "");
  c.agencies = Strings(*n, "node", "agencies");
  for (const auto& a : c.agencies) {
    if (!wire::IsAgencyId(a)) Fail("node.agencies: '" + a + "' is not an agency id");
  }
  if (!c.agencies.empty() && !c.default_agency.empty() &&
      std::find(c.agencies.begin(), c.agencies.end(), c.default_agency) == c.agencies.end()) {
    Fail("node.default_agency: must be one of node.agencies");
  }
  c.data_dir = ResolvePath(base_dir, Get<std::string>(*n, "node", "data_dir", ""));
  c.seal_key_file = ResolvePath(base_dir, Get<std::string>(*n, "node", "seal_key_file", ""));
  c.directory_csv = ResolvePath(base_dir, Get<std::string>(*n, "node", "directory", ""));
  if (!c.directory_csv.empty()) {
    c.directory = ReadDirectory(c.directory_csv);
    for (const auto& a : c.directory) {
      if (a.country != c.country) continue;
      c.agency_roles[a.agency] = a.roles;
      for (const auto& role : a.counterpart_for) c.local_counterparts[role] = a.agency;
    }
  }
  c.api_address = Get<std::string>(*n, "node", "api_address", c.api_address);
  int64_t port = Get<int64_t>(*n, "node", "api_port", c.api_port);
  if (port < 0 || port > 65535) Fail("node.api_port: outside 0..65535");
  c.api_port = static_cast<uint16_t>(port);
  c.api_port_file = ResolvePath(base_dir, Get<std::string>(*n, "node", "api_port_file", ""));
  c.api_tls_cert = ResolvePath(base_dir, Get<std::string>(*n, "node", "api_tls_cert", ""));
  c.api_tls_key = ResolvePath(base_dir, Get<std::string>(*n, "node", "api_tls_key", ""));
  if (c.api_tls_cert.empty() != c.api_tls_key.empty()) {
    Fail(c.api_tls_cert.empty() ? "node.api_tls_cert: needed with node.api_tls_key"
                                : "node.api_tls_key: needed with node.api_tls_cert");
  }
  for (const auto* f : {&c.api_tls_cert, &c.api_tls_key}) {
    if (!f->empty() && !std::ifstream(*f)) {
      Fail(std::string(f == &c.api_tls_cert ? "node.api_tls_cert" : "node.api_tls_key") + ": cannot read " + *f);
    }
  }
  c.audit_identity = ResolvePath(base_dir, Get<std::string>(*n, "node", "audit_identity", ""));
  if (!c.audit_identity.empty() && !std::ifstream(c.audit_identity)) {
    Fail("node.audit_identity: cannot read " + c.audit_identity);
  }
  c.max_in_flight = static_cast<uint32_t>(Get<int64_t>(*n, "node", "max_in_flight", c.max_in_flight));
  c.credit = static_cast<uint32_t>(Get<int64_t>(*n, "node", "credit", c.credit));
  c.auto_delivery_receipt = Get<bool>(*n, "node", "auto_delivery_receipt", c.auto_delivery_receipt);
  c.log_level = Get<std::string>(*n, "node", "log_level", c.log_level);
  c.log_json = Get<bool>(*n, "node", "log_json", c.log_json);
  if (const toml::table* b = root["broker"].as_table()) {
    CheckKeys(*b, "broker", {"endpoint", "endpoints", "retry_initial_ms", "retry_max_ms"});
    c.broker_endpoint = Get<std::string>(*b, "broker", "endpoint", c.broker_endpoint);
    auto endpoints = Strings(*b, "broker", "endpoints");
    if (!endpoints.empty()) {
      if (b->contains("endpoint")) Fail("broker: give endpoint or endpoints, not both");
      c.broker_endpoint = endpoints[0];
      c.broker_fallbacks.assign(endpoints.begin() + 1, endpoints.end());
    }
    c.retry_initial_ms = static_cast<uint32_t>(Get<int64_t>(*b, "broker", "retry_initial_ms", c.retry_initial_ms));
    c.retry_max_ms = static_cast<uint32_t>(Get<int64_t>(*b, "broker", "retry_max_ms", c.retry_max_ms));
  }
  if (const toml::table* s = root["security"].as_table()) {
    CheckKeys(*s, "security", {"mode", "secret_key_file", "broker_public_key"});
    c.security = Get<std::string>(*s, "security", "mode", c.security);
    c.secret_key_file = ResolvePath(base_dir, Get<std::string>(*s, "security", "secret_key_file", ""));
    c.broker_public_key = Get<std::string>(*s, "security", "broker_public_key", "");
  }
  if (const toml::array* subs = root["subscriptions"].as_array()) {
    for (size_t i = 0; i < subs->size(); ++i) {
      std::string where = fmt::format("subscriptions[{}]", i);
      const toml::table* t = (*subs)[i].as_table();
      if (t == nullptr) Fail(where + ": must be a table");
      CheckKeys(*t, where, {"name", "origin_countries", "alert_categories", "body_types", "min_priority"});
      SubscriptionConfig sc;
      sc.name = Get<std::string>(*t, where, "name", "");
      sc.origin_countries = Strings(*t, where, "origin_countries");
      sc.alert_categories = Strings(*t, where, "alert_categories");
      sc.body_types = Strings(*t, where, "body_types");
      sc.min_priority = Get<std::string>(*t, where, "min_priority", sc.min_priority);
      if (sc.name.empty() || sc.name == "inbox") Fail(where + ".name: required, and not \"inbox\"");
      c.subscriptions.push_back(std::move(sc));
    }
  }
  if (!wire::IsAgencyId(c.id)) Fail("node.id: required (1-64 of a-z, 0-9, '-')");
  if (!wire::IsPartyCode(c.country)) Fail("node.country: required ISO 3166-1 alpha-3 code");
  if (!c.default_agency.empty() && !wire::IsAgencyId(c.default_agency)) Fail("node.default_agency: not an agency id");
  if (c.data_dir.empty()) Fail("node.data_dir: is required");
  if (c.security == "curve") {
    if (c.secret_key_file.empty()) Fail("security.secret_key_file: required in curve mode");
    if (c.broker_public_key.size() != 40) {
      Fail("security.broker_public_key: the broker's Z85 public key (40 characters) is required in curve mode");
    }
  } else if (c.security != "plaintext") {
    Fail("security.mode: must be \"curve\" or \"plaintext\"");
  } else {
    for (const auto& e : c.broker_fallbacks) {
      if (!config::IsLoopbackEndpoint(e)) Fail("broker.endpoints: plaintext mode refuses the non-loopback '" + e + "'");
    }
    if (!config::IsLoopbackEndpoint(c.broker_endpoint)) {
      Fail("broker.endpoint: plaintext mode refuses the non-loopback '" + c.broker_endpoint + "'");
    }
  }
  if (c.retry_initial_ms == 0 || c.retry_max_ms < c.retry_initial_ms) {
    Fail("broker.retry_max_ms: must be >= retry_initial_ms > 0");
  }
  if (c.max_in_flight == 0 || c.credit == 0) Fail("node.max_in_flight and node.credit: must be > 0");
  return c;
}

NodeConfig LoadNodeConfig(const std::string& path) {
  return ParseNodeConfig(config::ReadFile(path), fs::absolute(path).parent_path().string());
}

}  // namespace lintas::node
