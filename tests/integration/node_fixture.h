// The fixture of the node's end-to-end tests (node_test.cc, sealed_test.cc):
// a real broker in process, real nodes in process or as lintas-node
// processes, and their HTTP API, over real sockets with real RocksDB in
// temporary directories.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "lintas/common/clock.h"
#include "lintas/node/node.h"
#include "lintas/wire/event_id.h"
#include "testutil/broker_harness.h"
#include "testutil/test_seal_keys.h"
#include "testutil/temp_dir.h"

namespace lintas::nodetest {

using namespace std::chrono_literals;
using nlohmann::json;

inline const std::map<std::string, std::pair<std::string, std::string>> kNodes = {
    {"th-node", {"THA", "th-rtp-atpd"}},
    {"kh-node", {"KHM", "kh-mosvy"}},
    {"vn-node", {"VNM", "vn-mps-cpd"}}};

// The officer account each test node gets (agency: the node's default).
inline std::string OfficerOf(const std::string& node_id) {
  return "officer-" + node_id.substr(0, 2) + "-0001";
}
inline std::string PasswordOf(const std::string& user) { return "pw-" + user + "-long-enough"; }

inline node::NodeConfig NodeConfigFor(const std::string& id, const std::string& dir,
                               const std::string& broker_endpoint) {
  node::NodeConfig c;
  c.id = id;
  c.country = kNodes.at(id).first;
  c.default_agency = kNodes.at(id).second;
  c.agencies = {c.default_agency};
  c.data_dir = dir + "/" + id;
  // The seal key the test broker config registers for this node.
  std::filesystem::create_directories(dir);
  c.seal_key_file = testutil::WriteTestSealKeyFile(dir + "/" + id + ".seal.key", id);
  c.api_port = 0;
  c.broker_endpoint = broker_endpoint;
  c.retry_initial_ms = 20;
  c.retry_max_ms = 200;
  c.log_level = "warn";
  c.security = "plaintext";
  return c;
}

// The node's audit checks every second, with a bound of 3 s (issue 15's
// tests do not wait minutes).
inline void QuickChecks(node::NodeConfig& c) {
  c.verify_within_us = 3'000'000;
  c.checkpoint_every_us = 1'000'000;
}

// A referral from THA to kh-mosvy as the API takes it.
inline json Referral(const std::string& case_id) {
  json e{
      {"destinations", {{{"country", "KHM"}, {"agency", "kh-mosvy"}}}},
      {"case_id", case_id},
      {"priority", "Urgent"},
      {"body_type", "ReferralCreated"},
      {"body",
       {{"victim", {{"pseudonym", "V-TEST-" + case_id}}}, {"consent", {{"items", {"Identity"}}}}}}};
  return e;
}

// The same referral addressed to `agency` in `country`.
inline json ReferralTo(const std::string& country, const std::string& agency, const std::string& case_id = "X") {
  json e = Referral(case_id);
  e["destinations"] = {{{"country", country}, {"agency", agency}}};
  return e;
}

// A referral whose victim pseudonym and free text carry `canary`, to look
// for it in files and views (sealed_test, erasure_test).
inline json CanaryReferral(const std::string& case_id, std::string_view canary) {
  json e = Referral(case_id);
  e["body"]["victim"]["pseudonym"] = std::string(canary) + "-" + case_id;
  e["body"]["summary"] = "Summary naming " + std::string(canary) + " in free text";
  return e;
}

// Every file under `dir` that holds `needle` (read raw: WAL, SST, MANIFEST).
inline std::vector<std::string> FilesHolding(const std::string& dir, std::string_view needle) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!f.is_regular_file(ec)) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) out.push_back(f.path().string());
  }
  return out;
}

// The node's API with a bearer token (none: an anonymous caller).
struct Http {
  Http(int port, const std::string& token) : client("127.0.0.1", port) {
    if (!token.empty()) client.set_bearer_token_auth(token);
  }
  std::pair<int, json> Post(const std::string& path, const std::string& body) {
    auto r = client.Post(path, body, "application/json");
    if (!r) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }
  std::pair<int, json> Get(const std::string& path) {
    auto r = client.Get(path);
    if (!r) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }
  httplib::Client client;
};

// Polls `done` until it holds or `timeout` passes.
inline bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);  // polling with a deadline
  }
  return done();
}

inline bool AllAcknowledged(Http& api, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    auto [status, body] = api.Get("/v1/events/" + id);
    if (status != 200 || body.value("status", "") != "acknowledged") return false;
  }
  return true;
}

// Every event id in the broker's log, with how often it appears.
inline std::map<std::string, int> LogIds(store::Store& log) {
  std::map<std::string, int> out;
  for (uint64_t o = 1; o <= log.size(); ++o) {
    auto rec = log.ReadRecord(o);
    if (!rec.ok() || !rec->has_value()) continue;
    const fb::Event* e = testutil::RecordEvent(**rec);
    if (e) ++out[wire::EventId::FromFb(*e->id()).ToString()];
  }
  return out;
}

// A session token from POST /v1/login.
inline std::string Login(int port, const std::string& user) {
  auto [status, body] =
      Http(port, "").Post("/v1/login", json{{"user", user}, {"password", PasswordOf(user)}}.dump());
  EXPECT_EQ(status, 200) << body.dump();
  return body.is_object() ? body.value("token", "") : "";
}

// lintas-node as a child process. Its officer account is made offline
// (`lintas-node user add`, the node stopped) before the first start; the
// test logs in once it listens.
class NodeProcess {
 public:
  NodeProcess(const std::string& id, const std::string& dir, const std::string& broker) {
    node::NodeConfig c = NodeConfigFor(id, dir, broker);
    std::string config = dir + "/" + id + ".toml";
    std::string port_file = dir + "/" + id + ".port";
    std::filesystem::remove(port_file);
    bool first_start = !std::filesystem::exists(c.data_dir);
    std::ofstream(config) << "[node]\nid = \"" << id << "\"\ncountry = \"" << c.country
                          << "\"\ndefault_agency = \"" << c.default_agency << "\"\ndata_dir = \""
                          << c.data_dir << "\"\nseal_key_file = \"" << c.seal_key_file
                          << "\"\napi_port = 0\napi_port_file = \"" << port_file
                          << "\"\nlog_level = \"warn\"\n[broker]\nendpoint = \"" << broker
                          << "\"\nretry_initial_ms = 20\nretry_max_ms = 200\n"
                          << "[security]\nmode = \"plaintext\"\n";
    std::string binary = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas-node";
    std::string user = OfficerOf(id);
    if (first_start) {
      std::string add = "printf '%s\\n' '" + PasswordOf(user) + "' | " + binary +
                        " user --config " + config + " add " + user + " --agency " +
                        c.default_agency + " --roles officer --password-stdin > /dev/null";
      int rc = std::system(add.c_str());
      EXPECT_EQ(rc, 0) << add;
    }
    pid_ = fork();
    if (pid_ == 0) {
      execl(binary.c_str(), binary.c_str(), "--config", config.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    Eventually([&] {
      std::ifstream in(port_file);
      return static_cast<bool>(in >> port_);
    });
    if (port_ > 0) token_ = Login(port_, user);
  }
  ~NodeProcess() { Kill(); }
  const std::string& token() const { return token_; }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string token_;
};

class NodeTest : public ::testing::Test {
 protected:
  std::string BrokerEndpoint() { return "ipc://" + dir_.Sub("broker.sock"); }
  void StartBroker(uint32_t max_inflight_per_peer = 0) {
    auto config = testutil::TestConfig(dir_.Sub("broker-data"), BrokerEndpoint());
    if (max_inflight_per_peer > 0) config.max_inflight_per_peer = max_inflight_per_peer;
    broker_ = std::make_unique<testutil::InProcessBroker>(config);
  }
  // An in-process node with its officer account (made on first start) and
  // an API token for it (kept: the node keeps its tokens across restarts).
  // `tweak` changes the node's configuration before it starts.
  std::unique_ptr<node::Node> StartNode(const std::string& id, int* port,
                                        const std::function<void(node::NodeConfig&)>& tweak = {}) {
    node::NodeConfig config = NodeConfigFor(id, dir_.path().string(), BrokerEndpoint());
    if (tweak) tweak(config);
    auto n = std::make_unique<node::Node>(config);
    std::string user = OfficerOf(id);
    auto existing = n->accounts().GetUser(user);
    EXPECT_TRUE(existing.ok());
    if (existing.ok() && !existing->has_value()) {
      node::User u;
      u.id = user;
      u.agency = kNodes.at(id).second;
      u.roles = {"officer", "supervisor"};
      auto added = n->accounts().AddUser(u, PasswordOf(user), NowMicros());
      EXPECT_TRUE(added.ok()) << added.error().message;
      auto issued = n->accounts().IssueApiToken(user, "node_test", 0, NowMicros());
      EXPECT_TRUE(issued.ok());
      if (issued.ok()) tokens_[id] = issued->token;
    }
    *port = n->Start();
    return n;
  }
  const std::string& TokenOf(const std::string& id) { return tokens_[id]; }

  testutil::TempDir dir_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace lintas::nodetest
