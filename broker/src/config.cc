// Broker configuration loading and validation.
#include "lintas/broker/config.h"

#include "lintas/seal/seal_key.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "lintas/wire/country.h"
#include "lintas/wire/validate.h"

namespace lintas::broker {
namespace {

namespace fs = std::filesystem;

const std::set<std::string> kKnownRoles = {"police",     "prosecutor",  "social_welfare", "labour",
                                           "ngo",        "focal_point", "auditor"};

using config::CheckKeys;
using config::Fail;
using config::Get;
using config::GetStrings;
using config::GetU32;
using config::ResolvePath;

void CheckAgency(const AgencyConfig& a, const std::string& where) {
  if (!wire::IsAgencyId(a.id)) Fail(fmt::format("{}: '{}' is not an agency id", where, a.id));
  if (!wire::IsPartyCode(a.country)) {
    Fail(fmt::format("{}: '{}' is not an ISO 3166-1 alpha-3 code", where, a.country));
  }
  for (const auto& role : a.roles) {
    if (!kKnownRoles.count(role)) Fail(fmt::format("{}: unknown role '{}'", where, role));
  }
  for (const auto& role : a.counterpart_for) {
    if (std::find(a.roles.begin(), a.roles.end(), role) == a.roles.end()) {
      Fail(fmt::format("{}.counterpart: '{}' is the designated counterpart for '{}', a role it does not have",
                       where, a.id, role));
    }
  }
}

// At most one designated counterpart per country and role: two would make
// COUNTRY/role ambiguous again.
void CheckCounterparts(const std::vector<AgencyConfig>& agencies) {
  std::map<std::pair<std::string, std::string>, std::string> designated;
  for (const auto& a : agencies) {
    for (const auto& role : a.counterpart_for) {
      auto [it, fresh] = designated.emplace(std::make_pair(a.country, role), a.id);
      if (!fresh && it->second != a.id) {
        Fail(fmt::format("directory: '{}' and '{}' are both the designated counterpart for {}/{}; designate one",
                         it->second, a.id, a.country, role));
      }
    }
  }
}

void Validate(BrokerConfig& c) {
  if (c.data_dir.empty()) Fail("broker.data_dir: is required");
  if (c.security == SecurityMode::kCurve) {
    if (c.secret_key_file.empty()) Fail("security.secret_key_file: required in curve mode");
    std::set<std::string> keys;
    for (size_t i = 0; i < c.nodes.size(); ++i) {
      const std::string& key = c.nodes[i].public_key;
      if (key.size() != 40) {
        Fail(fmt::format("nodes[{}].public_key: a Z85 CURVE public key (40 characters) is required "
                         "in curve mode", i));
      }
      if (!keys.insert(key).second) Fail(fmt::format("nodes[{}].public_key: used by another node", i));
    }
  }
  if (c.security == SecurityMode::kPlaintext && !config::IsLoopbackEndpoint(c.endpoint)) {
    Fail(fmt::format("broker.endpoint: plaintext mode refuses the non-loopback endpoint '{}'",
                     c.endpoint));
  }
  std::set<std::string> agency_ids;
  for (size_t i = 0; i < c.agencies.size(); ++i) {
    CheckAgency(c.agencies[i], fmt::format("directory.agencies[{}]", i));
    if (!agency_ids.insert(c.agencies[i].id).second) {
      Fail(fmt::format("directory: agency '{}' is listed twice", c.agencies[i].id));
    }
  }
  CheckCounterparts(c.agencies);
  std::set<std::string> node_ids;
  std::map<std::string, std::string> served_by;
  for (size_t i = 0; i < c.nodes.size(); ++i) {
    NodeConfig& n = c.nodes[i];
    std::string where = fmt::format("nodes[{}]", i);
    if (!wire::IsAgencyId(n.id)) Fail(fmt::format("{}.id: '{}' is not a valid node id", where, n.id));
    if (!node_ids.insert(n.id).second) Fail(fmt::format("{}.id: '{}' is listed twice", where, n.id));
    if (!wire::IsPartyCode(n.country)) {
      Fail(fmt::format("{}.country: '{}' is not an ISO 3166-1 alpha-3 code", where, n.country));
    }
    if (n.agencies.empty() && !n.agencies_listed) {
      for (const auto& a : c.agencies) {
        if (a.country == n.country) n.agencies.push_back(a.id);
      }
    }
    for (const auto& id : n.agencies) {
      auto it = std::find_if(c.agencies.begin(), c.agencies.end(),
                             [&](const AgencyConfig& a) { return a.id == id; });
      if (it == c.agencies.end()) {
        Fail(fmt::format("{}.agencies: '{}' is not in the directory", where, id));
      }
      if (it->country != n.country) {
        Fail(fmt::format("{}.agencies: '{}' belongs to {}, not {}", where, id, it->country,
                         n.country));
      }
      auto [pos, fresh] = served_by.emplace(id, n.id);
      if (!fresh) {
        Fail(fmt::format("{}.agencies: '{}' is already served by node '{}'", where, id,
                         pos->second));
      }
    }
  }
}

// A JetStream stream or bucket name: letters, digits, '-' and '_'.
bool IsStreamName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

void ParseJetStream(const toml::table& t, const std::string& base_dir, store::JetStreamOptions& o) {
  const std::string where = "store.jetstream";
  CheckKeys(t, where,
            {"servers", "stream", "access_stream", "bucket", "lease_bucket", "replicas",
             "duplicate_window_ms", "connect_timeout_ms", "request_timeout_ms", "append_retry_ms", "max_pending",
             "cache_dir", "lease_ttl_ms"});
  o.servers = GetStrings(t, where, "servers");
  o.stream = Get<std::string>(t, where, "stream", o.stream);
  o.access_stream = Get<std::string>(t, where, "access_stream", o.access_stream);
  o.bucket = Get<std::string>(t, where, "bucket", o.bucket);
  o.lease_bucket = Get<std::string>(t, where, "lease_bucket", o.lease_bucket);
  o.replicas = static_cast<int>(GetU32(t, where, "replicas", static_cast<uint32_t>(o.replicas), 1, 5));
  o.duplicate_window_ms = GetU32(t, where, "duplicate_window_ms",
                                 static_cast<uint32_t>(o.duplicate_window_ms), 1000, 7u * 86400000u);
  o.connect_timeout_ms = GetU32(t, where, "connect_timeout_ms",
                                static_cast<uint32_t>(o.connect_timeout_ms), 100, 600000);
  o.request_timeout_ms = GetU32(t, where, "request_timeout_ms",
                                static_cast<uint32_t>(o.request_timeout_ms), 100, 600000);
  o.append_retry_ms = GetU32(t, where, "append_retry_ms", static_cast<uint32_t>(o.append_retry_ms),
                             0, 600000);
  o.max_pending = GetU32(t, where, "max_pending", static_cast<uint32_t>(o.max_pending), 1, 1u << 20);
  o.lease_ttl_ms = GetU32(t, where, "lease_ttl_ms", static_cast<uint32_t>(o.lease_ttl_ms), 1000, 600000);
  o.cache_dir = ResolvePath(base_dir, Get<std::string>(t, where, "cache_dir", ""));
  if (o.servers.empty()) Fail(where + ".servers: at least one nats:// URL is required");
  for (const auto& url : o.servers) {
    if (!url.starts_with("nats://") && !url.starts_with("tls://")) {
      Fail(fmt::format("{}.servers: '{}' is not a nats:// or tls:// URL", where, url));
    }
  }
  if (o.replicas != 1 && o.replicas != 3 && o.replicas != 5) {
    Fail(fmt::format("{}.replicas: {} (1, 3 or 5: a Raft group wants an odd size)", where, o.replicas));
  }
  for (const auto& [key, name] : {std::pair<const char*, const std::string*>{"stream", &o.stream},
                                  {"access_stream", &o.access_stream},
                                  {"bucket", &o.bucket},
                                  {"lease_bucket", &o.lease_bucket}}) {
    if (!IsStreamName(*name)) {
      Fail(fmt::format("{}.{}: '{}' is not a stream name (letters, digits, '-', '_')", where, key, *name));
    }
  }
  if (o.stream == o.access_stream) Fail(where + ".access_stream: must differ from stream");
  if (o.bucket == o.lease_bucket) Fail(where + ".lease_bucket: must differ from bucket");
  if (o.request_timeout_ms >= o.lease_ttl_ms) {
    Fail(fmt::format("{}.request_timeout_ms: {} must be shorter than lease_ttl_ms ({})", where,
                     o.request_timeout_ms, o.lease_ttl_ms));
  }
}

void ParseStore(const toml::table& t, const std::string& base_dir, BrokerConfig& c) {
  CheckKeys(t, "store", {"backend", "jetstream", "block_cache_mib"});
  std::string backend = Get<std::string>(t, "store", "backend", "rocksdb");
  if (backend == "jetstream") {
    c.store_backend = StoreBackend::kJetStream;
  } else if (backend != "rocksdb") {
    Fail(fmt::format("store.backend: '{}' is neither \"rocksdb\" nor \"jetstream\"", backend));
  }
  const toml::table* js = t["jetstream"].as_table();
  if (c.store_backend == StoreBackend::kJetStream) {
    if (js == nullptr) Fail("store.jetstream: required with backend \"jetstream\" (servers = [...])");
    if (t.contains("block_cache_mib")) Fail("store.block_cache_mib: for backend \"rocksdb\" only");
    ParseJetStream(*js, base_dir, c.jetstream);
    return;
  }
  if (js != nullptr) Fail("store.jetstream: given, but store.backend is \"rocksdb\"");
  c.block_cache_mib = GetU32(t, "store", "block_cache_mib", c.block_cache_mib, 8, 1u << 20);
}

}  // namespace

std::vector<AgencyConfig> LoadAgenciesCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail(fmt::format("directory.agencies_csv: cannot read '{}'", path));
  std::vector<AgencyConfig> out;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 || line.empty()) continue;  // header
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string col; std::getline(ss, col, ',');) cols.push_back(col);
    if (cols.size() < 5) Fail(fmt::format("{}:{}: expected at least 5 columns", path, line_no));
    AgencyConfig a;
    a.country = cols[0];
    a.id = cols[2];
    std::stringstream roles(cols[4]);
    for (std::string role; std::getline(roles, role, ';');) a.roles.push_back(role);
    // The optional seventh column: the roles it is the designated
    // counterpart for.
    if (cols.size() > 6) {
      std::stringstream counterpart(cols[6]);
      for (std::string role; std::getline(counterpart, role, ';');) {
        if (!role.empty()) a.counterpart_for.push_back(role);
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

BrokerConfig ParseConfig(const std::string& text, const std::string& base_dir) {
  toml::table root = config::Parse(text);
  CheckKeys(root, "config", {"broker", "security", "directory", "nodes", "policy", "audit", "store"});
  BrokerConfig c;
  if (const toml::table* b = root["broker"].as_table()) {
    CheckKeys(*b, "broker",
              {"id", "endpoint", "data_dir", "endpoint_file", "metrics_endpoint", "heartbeat_ms",
               "max_batch", "credit_window", "commit_max_events", "commit_max_bytes",
               "max_inflight_per_peer", "max_subscriptions_per_node", "max_replays_per_peer",
               "log_level", "log_json"});
    c.id = Get<std::string>(*b, "broker", "id", c.id);
    c.endpoint = Get<std::string>(*b, "broker", "endpoint", c.endpoint);
    c.data_dir = ResolvePath(base_dir, Get<std::string>(*b, "broker", "data_dir", ""));
    c.endpoint_file = ResolvePath(base_dir, Get<std::string>(*b, "broker", "endpoint_file", ""));
    c.metrics_endpoint = Get<std::string>(*b, "broker", "metrics_endpoint", "");
    c.heartbeat_ms = GetU32(*b, "broker", "heartbeat_ms", c.heartbeat_ms, 50, 60000);
    c.max_batch = GetU32(*b, "broker", "max_batch", c.max_batch, 1, 256);
    c.credit_window = GetU32(*b, "broker", "credit_window", c.credit_window, 1, 1u << 20);
    c.commit_max_events =
        GetU32(*b, "broker", "commit_max_events", c.commit_max_events, 1, 1u << 20);
    c.commit_max_bytes =
        GetU32(*b, "broker", "commit_max_bytes", c.commit_max_bytes, 4096, 1u << 30);
    c.max_inflight_per_peer =
        GetU32(*b, "broker", "max_inflight_per_peer", c.max_inflight_per_peer, 1, 1u << 24);
    c.max_subscriptions_per_node = GetU32(*b, "broker", "max_subscriptions_per_node",
                                          c.max_subscriptions_per_node, 1, 1024);
    c.max_replays_per_peer =
        GetU32(*b, "broker", "max_replays_per_peer", c.max_replays_per_peer, 1, 64);
    c.log_level = Get<std::string>(*b, "broker", "log_level", c.log_level);
    c.log_json = Get<bool>(*b, "broker", "log_json", c.log_json);
  }
  if (const toml::table* st = root["store"].as_table()) ParseStore(*st, base_dir, c);
  if (const toml::table* s = root["security"].as_table()) {
    CheckKeys(*s, "security",
              {"mode", "secret_key_file", "handshake_timeout_ms", "revoked_keys_file", "require_sealed"});
    c.require_sealed = Get<bool>(*s, "security", "require_sealed", c.require_sealed);
    c.secret_key_file = ResolvePath(base_dir, Get<std::string>(*s, "security", "secret_key_file", ""));
    c.revoked_keys_file =
        ResolvePath(base_dir, Get<std::string>(*s, "security", "revoked_keys_file", ""));
    c.handshake_timeout_ms =
        GetU32(*s, "security", "handshake_timeout_ms", c.handshake_timeout_ms, 100, 60000);
    std::string mode = Get<std::string>(*s, "security", "mode", "curve");
    if (mode == "plaintext") {
      c.security = SecurityMode::kPlaintext;
    } else if (mode != "curve") {
      Fail(fmt::format("security.mode: '{}' is neither \"curve\" nor \"plaintext\"", mode));
    }
  }
  if (const toml::table* d = root["directory"].as_table()) {
    CheckKeys(*d, "directory", {"agencies_csv", "agencies"});
    std::string csv = Get<std::string>(*d, "directory", "agencies_csv", "");
    if (!csv.empty()) c.agencies = LoadAgenciesCsv(ResolvePath(base_dir, csv));
    if (const toml::array* list = (*d)["agencies"].as_array()) {
      for (size_t i = 0; i < list->size(); ++i) {
        const toml::table* t = (*list)[i].as_table();
        std::string where = fmt::format("directory.agencies[{}]", i);
        if (t == nullptr) Fail(where + ": must be a table");
        CheckKeys(*t, where, {"id", "country", "roles", "counterpart"});
        c.agencies.push_back({Get<std::string>(*t, where, "id", ""),
                              Get<std::string>(*t, where, "country", ""),
                              GetStrings(*t, where, "roles"), GetStrings(*t, where, "counterpart")});
      }
    }
  }
  if (const toml::array* nodes = root["nodes"].as_array()) {
    for (size_t i = 0; i < nodes->size(); ++i) {
      const toml::table* t = (*nodes)[i].as_table();
      std::string where = fmt::format("nodes[{}]", i);
      if (t == nullptr) Fail(where + ": must be a table");
      CheckKeys(*t, where, {"id", "country", "agencies", "permissions", "public_key", "seal_public_key"});
      NodeConfig n;
      n.id = Get<std::string>(*t, where, "id", "");
      n.country = Get<std::string>(*t, where, "country", "");
      n.agencies = GetStrings(*t, where, "agencies");
      n.agencies_listed = t->contains("agencies");
      n.public_key = Get<std::string>(*t, where, "public_key", "");
      n.seal_public_key = Get<std::string>(*t, where, "seal_public_key", "");
      if (!n.seal_public_key.empty() && !seal::PublicKeyFromBase64(n.seal_public_key).ok()) {
        Fail(where + ".seal_public_key: the base64 of a 32-byte X25519 key (lintas-node --print-seal-key)");
      }
      if (t->contains("permissions")) {
        n.can_publish = n.can_subscribe = n.can_audit = false;
        for (const auto& p : GetStrings(*t, where, "permissions")) {
          if (p == "publish") n.can_publish = true;
          else if (p == "subscribe") n.can_subscribe = true;
          else if (p == "audit") n.can_audit = true;
          else Fail(fmt::format("{}.permissions: unknown permission '{}'", where, p));
        }
      }
      c.nodes.push_back(std::move(n));
    }
  }
  if (const toml::table* a = root["audit"].as_table()) {
    CheckKeys(*a, "audit",
              {"enabled", "signing_key_file", "checkpoint_every_events", "checkpoint_interval_ms"});
    c.audit_enabled = Get<bool>(*a, "audit", "enabled", c.audit_enabled);
    c.audit_signing_key_file =
        ResolvePath(base_dir, Get<std::string>(*a, "audit", "signing_key_file", ""));
    c.checkpoint_every_events = GetU32(*a, "audit", "checkpoint_every_events",
                                       c.checkpoint_every_events, 1, 1u << 30);
    c.checkpoint_interval_ms = GetU32(*a, "audit", "checkpoint_interval_ms",
                                      c.checkpoint_interval_ms, 100, 86400000);
  }
  if (const toml::table* p = root["policy"].as_table()) {
    CheckKeys(*p, "policy", {"default", "rules"});
    c.policy.enforced = true;
    std::string fallback = Get<std::string>(*p, "policy", "default", "deny");
    if (fallback == "allow") {
      c.policy.enforced = false;
    } else if (fallback != "deny") {
      Fail(fmt::format("policy.default: '{}' is neither \"deny\" nor \"allow\"", fallback));
    }
    if (const toml::array* rules = (*p)["rules"].as_array()) {
      for (size_t i = 0; i < rules->size(); ++i) {
        const toml::table* t = (*rules)[i].as_table();
        std::string where = fmt::format("policy.rules[{}]", i);
        if (t == nullptr) Fail(where + ": must be a table");
        CheckKeys(*t, where, {"name", "from", "to", "roles", "events", "categories"});
        PolicyRule rule;
        rule.name = Get<std::string>(*t, where, "name", fmt::format("rules[{}]", i));
        rule.from = GetStrings(*t, where, "from");
        rule.to = GetStrings(*t, where, "to");
        rule.roles = GetStrings(*t, where, "roles");
        rule.events = GetStrings(*t, where, "events");
        rule.categories = GetStrings(*t, where, "categories");
        for (const auto& role : rule.roles) {
          if (role != "*" && !kKnownRoles.count(role)) {
            Fail(fmt::format("{}.roles: unknown role '{}'", where, role));
          }
        }
        if (std::string error = RoutingPolicy::CheckRule(rule); !error.empty()) {
          Fail(fmt::format("{}.{}", where, error));
        }
        c.policy.rules.push_back(std::move(rule));
      }
    }
  }
  Validate(c);
  if (c.store_backend == StoreBackend::kJetStream && c.jetstream.cache_dir.empty()) {
    c.jetstream.cache_dir = c.data_dir + "/jetstream-cache";
  }
  if (c.audit_signing_key_file.empty()) c.audit_signing_key_file = c.data_dir + "/audit-signing.key";
  return c;
}

BrokerConfig LoadConfig(const std::string& path) {
  return ParseConfig(config::ReadFile(path), fs::absolute(path).parent_path().string());
}

}  // namespace lintas::broker
