// The country node end to end: a real broker, real nodes (in-process or as
// processes killed with SIGKILL), their HTTP API and the lintas CLI, over
// real sockets with real RocksDB in temporary directories.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lintas/node/node.h"
#include "lintas/store/rocksdb_store.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/verify.h"
#include "testutil/broker_harness.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::map<std::string, std::pair<std::string, std::string>> kNodes = {
    {"th-node", {"THA", "th-rtp-atpd"}}, {"kh-node", {"KHM", "kh-mosvy"}},
    {"vn-node", {"VNM", "vn-mps-cpd"}}};

node::NodeConfig NodeConfigFor(const std::string& id, const std::string& dir,
                               const std::string& broker_endpoint) {
  node::NodeConfig c;
  c.id = id;
  c.country = kNodes.at(id).first;
  c.default_agency = kNodes.at(id).second;
  c.agencies = {c.default_agency};
  c.data_dir = dir + "/" + id;
  c.api_port = 0;
  c.broker_endpoint = broker_endpoint;
  c.retry_initial_ms = 20;
  c.retry_max_ms = 200;
  c.log_level = "warn";
  c.security = "plaintext";
  return c;
}

// A referral from THA to kh-mosvy as the API takes it.
json Referral(const std::string& case_id) {
  json e{{"destinations", {{{"country", "KHM"}, {"agency", "kh-mosvy"}}}},
         {"case_id", case_id},
         {"priority", "Urgent"},
         {"body_type", "ReferralCreated"},
         {"body", {{"victim", {{"pseudonym", "V-TEST-" + case_id}}}, {"consent", {{"items", {"Identity"}}}}}}};
  return e;
}

struct Http {
  explicit Http(int port) : client("127.0.0.1", port) {}
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
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);  // polling with a deadline
  }
  return done();
}

bool AllAcknowledged(Http& api, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    auto [status, body] = api.Get("/v1/events/" + id);
    if (status != 200 || body.value("status", "") != "acknowledged") return false;
  }
  return true;
}

// Every event id in the broker's log, with how often it appears.
std::map<std::string, int> LogIds(store::Store& log) {
  std::map<std::string, int> out;
  for (uint64_t o = 1; o <= log.size(); ++o) {
    auto rec = log.ReadRecord(o);
    if (!rec.ok() || !rec->has_value()) continue;
    const fb::Event* e = testutil::RecordEvent(**rec);
    if (e) ++out[wire::EventId::FromFb(*e->id()).ToString()];
  }
  return out;
}

// lintas-node as a child process.
class NodeProcess {
 public:
  NodeProcess(const std::string& id, const std::string& dir, const std::string& broker) {
    node::NodeConfig c = NodeConfigFor(id, dir, broker);
    std::string config = dir + "/" + id + ".toml";
    std::string port_file = dir + "/" + id + ".port";
    std::filesystem::remove(port_file);
    std::ofstream(config) << "[node]\nid = \"" << id << "\"\ncountry = \"" << c.country
                          << "\"\ndefault_agency = \"" << c.default_agency << "\"\ndata_dir = \""
                          << c.data_dir << "\"\napi_port = 0\napi_port_file = \"" << port_file
                          << "\"\nlog_level = \"warn\"\n[broker]\nendpoint = \"" << broker
                          << "\"\nretry_initial_ms = 20\nretry_max_ms = 200\n"
                          << "[security]\nmode = \"plaintext\"\n";
    std::string binary = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas-node";
    pid_ = fork();
    if (pid_ == 0) {
      execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    Eventually([&] {
      std::ifstream in(port_file);
      return static_cast<bool>(in >> port_);
    });
  }
  ~NodeProcess() { Kill(); }
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
};

class NodeTest : public ::testing::Test {
 protected:
  std::string BrokerEndpoint() { return "ipc://" + dir_.Sub("broker.sock"); }
  void StartBroker() {
    broker_ = std::make_unique<testutil::InProcessBroker>(
        testutil::TestConfig(dir_.Sub("broker-data"), BrokerEndpoint()));
  }
  std::unique_ptr<node::Node> StartNode(const std::string& id, int* port) {
    auto n = std::make_unique<node::Node>(NodeConfigFor(id, dir_.path().string(), BrokerEndpoint()));
    *port = n->Start();
    return n;
  }

  testutil::TempDir dir_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
};

TEST_F(NodeTest, WithTheBrokerDownANodeAccepts100ThatAreAllAcknowledgedOnceWhenItComesUp) {
  int port = 0;
  auto th = StartNode("th-node", &port);
  Http api(port);
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    auto [status, body] = api.Post("/v1/events", Referral("TH-2026-" + std::to_string(1000 + i)).dump());
    ASSERT_EQ(status, 202) << body.dump();
    EXPECT_EQ(body["status"], "queued");
    ids.push_back(body["id"]);
  }
  EXPECT_FALSE(AllAcknowledged(api, ids));
  StartBroker();
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(api, ids); }));
  auto in_log = LogIds(broker_->broker().store());
  EXPECT_EQ(in_log.size(), 100u);
  for (const auto& id : ids) EXPECT_EQ(in_log[id], 1) << id;
}

TEST_F(NodeTest, ANodeKeepsTheBrokersLatestSignedCheckpointAndChecksItExtends) {
  StartBroker();
  int port = 0;
  auto th = StartNode("th-node", &port);
  Http api(port);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto [status, body] = api.Post("/v1/events", Referral("TH-2026-" + std::to_string(2000 + i)).dump());
    ASSERT_EQ(status, 202) << body.dump();
    ids.push_back(body["id"]);
  }
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(api, ids); }));
  // A restart of the node asks again, with the size it holds: the broker's
  // new checkpoint must extend it.
  ASSERT_TRUE(Eventually([&] {
    auto [hs, health] = api.Get("/v1/health");
    return health["broker_checkpoint"].is_object();
  }));
  th.reset();
  th = StartNode("th-node", &port);
  Http again(port);
  ASSERT_TRUE(Eventually([&] {
    auto [hs, health] = again.Get("/v1/health");
    return health["broker_checkpoint"].is_object() && health["broker_checkpoint"]["size"] == 5;
  }));
  auto [hs, health] = again.Get("/v1/health");
  EXPECT_EQ(health["status"], "ok") << health.dump();
  EXPECT_TRUE(health["audit_alarm"].is_null()) << health.dump();
}

TEST_F(NodeTest, ANodeKilledWithQueuedEventsDeliversEachExactlyOnceAfterRestart) {
  std::vector<std::string> ids;
  {
    NodeProcess th("th-node", dir_.path().string(), BrokerEndpoint());
    ASSERT_GT(th.port(), 0);
    Http api(th.port());
    for (int i = 0; i < 50; ++i) {
      auto [status, body] = api.Post("/v1/events", Referral("TH-2026-" + std::to_string(2000 + i)).dump());
      ASSERT_EQ(status, 202);
      ids.push_back(body["id"]);
    }
    th.Kill();  // SIGKILL with all 50 queued: "queued" was only said after the sync
  }
  StartBroker();
  NodeProcess th("th-node", dir_.path().string(), BrokerEndpoint());
  Http api(th.port());
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(api, ids); }));
  auto in_log = LogIds(broker_->broker().store());
  EXPECT_EQ(in_log.size(), 50u);
  for (const auto& id : ids) EXPECT_EQ(in_log[id], 1) << id;
}

TEST_F(NodeTest, RedeliveredEventsAppearOnceInTheInbox) {
  StartBroker();
  int kh_port = 0;
  auto kh = StartNode("kh-node", &kh_port);
  Http kh_api(kh_port);
  int th_port = 0;
  auto th = StartNode("th-node", &th_port);
  Http th_api(th_port);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(th_api.Post("/v1/events", Referral("TH-2026-" + std::to_string(3000 + i)).dump()).first, 202);
  }
  auto inbox_size = [&] { return kh_api.Get("/v1/inbox?limit=1000").second["events"].size(); };
  ASSERT_TRUE(Eventually([&] { return inbox_size() == 10; }));
  // kh-node has also answered each referral with a delivery receipt: 20 records.
  ASSERT_TRUE(Eventually([&] { return broker_->broker().store().size() == 20; }));
  ASSERT_TRUE(Eventually([&] {
    auto c = broker_->broker().store().GetCursor("kh-node/inbox");
    return c.ok() && c->has_value() && (*c)->acked_offset >= 10;
  }));
  // Rewind the broker's cursor for kh-node, as a lost cursor update would.
  broker_.reset();
  {
    auto log = store::RocksDbStore::Open({dir_.Sub("broker-data")});
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->PutCursor("kh-node/inbox", {0, ""}).ok());
  }
  StartBroker();
  // The node gets all ten again, keeps them once, and acknowledges them again.
  ASSERT_TRUE(Eventually([&] {
    auto c = broker_->broker().store().GetCursor("kh-node/inbox");
    return c.ok() && c->has_value() && (*c)->acked_offset >= 10;
  }));
  EXPECT_EQ(inbox_size(), 10u);
  EXPECT_EQ(broker_->broker().store().size(), 20u);  // no second round of receipts
}

TEST_F(NodeTest, BadApiInputGetsAClearErrorAndChangesNothing) {
  int port = 0;
  auto th = StartNode("th-node", &port);
  Http api(port);
  auto expect_400 = [&](const std::string& body, const std::string& field) {
    auto [status, reply] = api.Post("/v1/events", body);
    EXPECT_EQ(status, 400) << body;
    ASSERT_TRUE(reply.is_object() && reply.contains("error")) << reply.dump();
    if (!field.empty()) {
      EXPECT_EQ(reply["error"]["field"], field) << reply.dump();
    }
    EXPECT_FALSE(reply["error"]["message"].get<std::string>().empty());
  };
  expect_400("{not json", "body");
  expect_400(R"({"colour": "red"})", "");
  json no_destination = Referral("TH-1");
  no_destination.erase("destinations");
  expect_400(no_destination.dump(), "destinations");
  json foreign = Referral("TH-1");
  foreign["origin"] = {{"country", "VNM"}, {"agency", "vn-mps-cpd"}};
  expect_400(foreign.dump(), "origin.country");
  json bad_id = Referral("TH-1");
  bad_id["id"] = "not-a-uuid";
  expect_400(bad_id.dump(), "id");
  json minor = Referral("TH-1");
  minor["body"]["victim"]["minor"] = true;
  expect_400(minor.dump(), "body.victim.guardian");
  auto [big_status, big] = api.Post("/v1/events", std::string(2 * 1024 * 1024, ' '));
  EXPECT_EQ(big_status, 413);
  auto [hs, health] = api.Get("/v1/health");
  EXPECT_EQ(health["outbox_pending"], 0);
  EXPECT_TRUE(api.Get("/v1/referrals").second["referrals"].empty());
}

// Runs the CLI; returns (exit code, stdout).
std::pair<int, std::string> Cli(int port, const std::string& args) {
  std::string cmd = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas --node http://127.0.0.1:" +
                    std::to_string(port) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(NodeTest, CliMainCommandsWorkEndToEnd) {
  StartBroker();
  int th_port = 0;
  int kh_port = 0;
  auto th = StartNode("th-node", &th_port);
  auto kh = StartNode("kh-node", &kh_port);

  auto [send_rc, sent] = Cli(th_port, "--json send --to KHM/social_welfare --case TH-2026-0192 "
                                      "--victim V-TH-0192 --minor --guardian G-TH-0192-1 "
                                      "--nationality KHM --language km --priority urgent --due 3d --handling H1");
  ASSERT_EQ(send_rc, 0);
  std::string id = json::parse(sent)["id"];
  auto [status_rc, status] = Cli(th_port, "--json status " + id + " --wait 20");
  ASSERT_EQ(status_rc, 0);
  EXPECT_EQ(json::parse(status)["status"], "acknowledged");

  ASSERT_TRUE(Eventually([&] {
    auto [rc, out] = Cli(kh_port, "--json inbox");
    return rc == 0 && out.find(id) != std::string::npos;
  }));
  auto [table_rc, table] = Cli(kh_port, "inbox");
  EXPECT_EQ(table_rc, 0);
  EXPECT_NE(table.find("TH-2026-0192"), std::string::npos);
  EXPECT_EQ(Cli(kh_port, "ack " + id + " --officer officer-kh-0007").first, 0);
  ASSERT_TRUE(Eventually([&] {
    auto [rc, out] = Cli(th_port, "--json thread TH-2026-0192");
    return rc == 0 && json::parse(out)["state"] == "acknowledged";
  }));

  // A referral due in one second, never acknowledged, becomes overdue.
  ASSERT_EQ(Cli(th_port, "send --to KHM/kh-mosvy --case TH-2026-0193 --victim V-TH-0193 --due 1s").first, 0);
  ASSERT_TRUE(Eventually([&] {
    auto [rc, out] = Cli(th_port, "--json overdue");
    auto list = json::parse(out, nullptr, false);
    return rc == 0 && list.is_object() && list["referrals"].size() == 1 &&
           list["referrals"][0]["case_id"] == "TH-2026-0193";
  }));

  // Exit codes: bad input (and nothing queued), not found, unreachable.
  auto pending_before = Http(th_port).Get("/v1/referrals").second["referrals"].size();
  EXPECT_EQ(Cli(th_port, "send --to KH --case X --victim V").first, 2);
  EXPECT_EQ(Cli(th_port, "send --to KHM/kh-mosvy --case X --victim V --minor").first, 2);
  EXPECT_EQ(Cli(th_port, "send --to KHM/kh-mosvy --case X --victim V --due soon").first, 2);
  EXPECT_EQ(Cli(th_port, "send --to KHM/kh-mosvy --case X --victim V --agency kh-mosvy").first, 2);
  EXPECT_EQ(Http(th_port).Get("/v1/referrals").second["referrals"].size(), pending_before);
  EXPECT_EQ(Cli(th_port, "thread NO-SUCH-CASE").first, 4);
  EXPECT_EQ(Cli(1, "inbox").first, 3);
  EXPECT_EQ(Cli(th_port, "--json referrals").first, 0);
}

TEST(KeygenTest, WritesAKeyPairWithAPrivateSecretAndNeverOverwrites) {
  testutil::TempDir dir;
  std::string prefix = dir.Sub("th-node");
  auto [rc, out] = Cli(1, "--json keygen " + prefix);
  ASSERT_EQ(rc, 0);
  json j = json::parse(out);
  std::string pub = j["public_key"];
  EXPECT_EQ(pub.size(), 40u);  // Z85 of 32 bytes
  namespace fs = std::filesystem;
  auto perms = fs::status(prefix + ".key").permissions();
  EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
  std::ifstream in(prefix + ".pub");
  std::string stored;
  in >> stored;
  EXPECT_EQ(stored, pub);
  std::string secret_before;
  std::ifstream(prefix + ".key") >> secret_before;
  EXPECT_EQ(Cli(1, "keygen " + prefix).first, 2);
  std::string secret_after;
  std::ifstream(prefix + ".key") >> secret_after;
  EXPECT_EQ(secret_after, secret_before);
}

}  // namespace
}  // namespace lintas
