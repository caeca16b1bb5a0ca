// The country node end to end: a real broker, real nodes (in-process or as
// processes killed with SIGKILL), their HTTP API and the lintas CLI, over
// real sockets with real RocksDB in temporary directories. Every call is
// authenticated: in-process nodes get an account and an API token through
// their AccountStore, lintas-node processes an account made offline with
// `lintas-node user add` and a session from POST /v1/login, and the CLI logs
// in with `lintas login --password-stdin`.
#include "lintas/node/node.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <set>
#include <thread>

#include "lintas/common/clock.h"
#include "lintas/store/rocksdb_store.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/verify.h"
#include "testutil/broker_harness.h"
#include "testutil/test_seal_keys.h"
#include "testutil/temp_dir.h"
#include "node_fixture.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using namespace nodetest;

TEST_F(NodeTest, WithTheBrokerDownANodeAccepts100ThatAreAllAcknowledgedOnceWhenItComesUp) {
  int port = 0;
  auto th = StartNode("th-node", &port);
  Http api(port, TokenOf("th-node"));
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    auto [status, body] =
        api.Post("/v1/events", Referral("TH-2026-" + std::to_string(1000 + i)).dump());
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

// Regression: the node sent its whole outbox window in one Publish; 45
// referrals of ~200 KiB made a 9 MiB message, which the broker refuses whole
// (8 MiB cap), and the node sent it again for ever.
TEST_F(NodeTest, LargeReferralsQueuedTogetherGoInPublishesUnderTheMessageCap) {
  int port = 0;
  auto th = StartNode("th-node", &port);
  Http api(port, TokenOf("th-node"));
  std::vector<std::string> ids;
  for (int i = 0; i < 45; ++i) {
    json e = Referral("TH-2026-" + std::to_string(3000 + i));
    e["body"]["summary"] = std::string(200 * 1000, 'a' + static_cast<char>(i % 26));
    auto [status, body] = api.Post("/v1/events", e.dump());
    ASSERT_EQ(status, 202) << body.dump().substr(0, 300);
    ids.push_back(body["id"]);
  }
  StartBroker();  // the outbox holds all 45 when the link comes up
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(api, ids); }));
  EXPECT_EQ(LogIds(broker_->broker().store()).size(), 45u);
}

// Regression: every retryable refusal made the node drop its link and resend
// everything in flight. An `overloaded` event is now resent alone, later, on
// the same connection.
TEST_F(NodeTest, AnOverloadedRefusalResendsThatEventWithoutReconnecting) {
  int port = 0;
  auto th = StartNode("th-node", &port);
  Http api(port, TokenOf("th-node"));
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    auto [status, body] =
        api.Post("/v1/events", Referral("TH-2026-" + std::to_string(2000 + i)).dump());
    ASSERT_EQ(status, 202) << body.dump();
    ids.push_back(body["id"]);
  }
  // The node sends up to 1,024 at once; this broker takes 8 in flight per peer.
  StartBroker(8);
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(api, ids); }, 60s));
  EXPECT_GT(broker_->broker().probe().refused(), 0u);  // the refusals happened
  EXPECT_EQ(broker_->broker().probe().sessions(), 1u);  // and the link stayed up
  auto in_log = LogIds(broker_->broker().store());
  EXPECT_EQ(in_log.size(), 300u);
  for (const auto& id : ids) EXPECT_EQ(in_log[id], 1) << id;
}

// Regression: the node's cumulative DeliveryAck covered a record it had
// refused, so the broker's cursor moved past it for ever. It now acknowledges
// only up to the last record it stored, and raises an alarm.
TEST_F(NodeTest, ARecordThatFailsVerificationIsNeverAcknowledged) {
  StartBroker();
  int th_port = 0;
  auto th = StartNode("th-node", &th_port);
  Http api(th_port, TokenOf("th-node"));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto [status, body] = api.Post("/v1/events", Referral("TH-2026-" + std::to_string(3000 + i)).dump());
    ASSERT_EQ(status, 202) << body.dump();
    ids.push_back(body["id"]);
  }
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(api, ids); }));
  th.reset();
  broker_.reset();
  {  // The broker's stored record 2 is damaged on disk.
    auto store = store::RocksDbStore::Open({dir_.Sub("broker-data")});
    ASSERT_TRUE(store.ok()) << store.error().message;
    std::string key(8, '\0');
    key[7] = 2;
    ASSERT_TRUE((*store)->db()->Put(rocksdb::WriteOptions(), (*store)->log_family(), key,
                                    "not a stored record").ok());
  }
  StartBroker();
  int kh_port = 0;
  auto kh = StartNode("kh-node", &kh_port);
  Http kh_api(kh_port, TokenOf("kh-node"));
  ASSERT_TRUE(Eventually([&] {
    auto [hs, health] = kh_api.Get("/v1/health");
    return health["status"] == "alarm" && health["audit_alarm"].is_string();
  })) << "no alarm";
  // Record 1 is stored and acknowledged; the cursor never passes record 2.
  ASSERT_TRUE(Eventually([&] {
    auto cursor = broker_->broker().store().GetCursor("kh-node/inbox");
    return cursor.ok() && cursor->has_value() && (*cursor)->acked_offset == 1;
  }));
  auto cursor = broker_->broker().store().GetCursor("kh-node/inbox");
  ASSERT_TRUE(cursor.ok() && cursor->has_value());
  EXPECT_EQ((*cursor)->acked_offset, 1u);
}

TEST_F(NodeTest, ANodeKeepsTheBrokersLatestSignedCheckpointAndChecksItExtends) {
  StartBroker();
  int port = 0;
  auto th = StartNode("th-node", &port);
  Http api(port, TokenOf("th-node"));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto [status, body] =
        api.Post("/v1/events", Referral("TH-2026-" + std::to_string(2000 + i)).dump());
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
  Http again(port, TokenOf("th-node"));
  ASSERT_TRUE(Eventually([&] {
    auto [hs, health] = again.Get("/v1/health");
    return health["broker_checkpoint"].is_object() && health["broker_checkpoint"]["size"] == 5;
  }));
  auto [hs, health] = again.Get("/v1/health");
  EXPECT_EQ(health["status"], "ok") << health.dump();
  EXPECT_TRUE(health["audit_alarm"].is_null()) << health.dump();
}

// A broker restored from an older copy answers the node's checkpoint query
// with `rollback`: the node raises an alarm that says so.
TEST_F(NodeTest, ABrokerRolledBackBehindTheNodesCheckpointRaisesAnAlarm) {
  auto publish = [&](int port, int first, int n) {
    Http api(port, TokenOf("th-node"));
    std::vector<std::string> ids;
    for (int i = first; i < first + n; ++i) {
      auto [status, body] = api.Post("/v1/events", Referral("TH-2026-" + std::to_string(4000 + i)).dump());
      EXPECT_EQ(status, 202) << body.dump();
      ids.push_back(body["id"]);
    }
    EXPECT_TRUE(Eventually([&] { return AllAcknowledged(api, ids); }));
  };
  auto kept_size = [&](int port) {
    auto [hs, health] = Http(port, TokenOf("th-node")).Get("/v1/health");
    return health["broker_checkpoint"].is_object() ? health["broker_checkpoint"].value("size", 0) : -1;
  };
  StartBroker();
  int port = 0;
  auto th = StartNode("th-node", &port);
  publish(port, 0, 3);
  th.reset();
  broker_.reset();
  std::filesystem::copy(dir_.Sub("broker-data"), dir_.Sub("broker-backup"),
                        std::filesystem::copy_options::recursive);
  StartBroker();
  th = StartNode("th-node", &port);
  publish(port, 3, 2);
  th.reset();  // a node asks for a checkpoint when it connects
  th = StartNode("th-node", &port);
  ASSERT_TRUE(Eventually([&] { return kept_size(port) == 5; })) << kept_size(port);
  th.reset();
  broker_.reset();
  std::filesystem::remove_all(dir_.Sub("broker-data"));
  std::filesystem::rename(dir_.Sub("broker-backup"), dir_.Sub("broker-data"));
  StartBroker();
  th = StartNode("th-node", &port);
  Http api(port, TokenOf("th-node"));
  ASSERT_TRUE(Eventually([&] {
    auto [hs, health] = api.Get("/v1/health");
    return health["status"] == "alarm" && health["audit_alarm"].is_string() &&
           health["audit_alarm"].get<std::string>().find("rolled back") != std::string::npos;
  })) << api.Get("/v1/health").second.dump();
}

TEST_F(NodeTest, ANodeKilledWithQueuedEventsDeliversEachExactlyOnceAfterRestart) {
  std::vector<std::string> ids;
  {
    NodeProcess th("th-node", dir_.path().string(), BrokerEndpoint());
    ASSERT_GT(th.port(), 0);
    ASSERT_FALSE(th.token().empty());
    Http api(th.port(), th.token());
    for (int i = 0; i < 50; ++i) {
      auto [status, body] =
          api.Post("/v1/events", Referral("TH-2026-" + std::to_string(2000 + i)).dump());
      ASSERT_EQ(status, 202);
      ids.push_back(body["id"]);
    }
    th.Kill();  // SIGKILL with all 50 queued: "queued" was only said after the sync
  }
  StartBroker();
  NodeProcess th("th-node", dir_.path().string(), BrokerEndpoint());
  ASSERT_FALSE(th.token().empty()) << "the account made offline survives the kill";
  Http api(th.port(), th.token());
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(api, ids); }));
  auto in_log = LogIds(broker_->broker().store());
  EXPECT_EQ(in_log.size(), 50u);
  for (const auto& id : ids) EXPECT_EQ(in_log[id], 1) << id;
}

TEST_F(NodeTest, RedeliveredEventsAppearOnceInTheInbox) {
  StartBroker();
  int kh_port = 0;
  auto kh = StartNode("kh-node", &kh_port);
  Http kh_api(kh_port, TokenOf("kh-node"));
  int th_port = 0;
  auto th = StartNode("th-node", &th_port);
  Http th_api(th_port, TokenOf("th-node"));
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(
        th_api.Post("/v1/events", Referral("TH-2026-" + std::to_string(3000 + i)).dump()).first,
        202);
  }
  auto inbox_size = [&] { return kh_api.Get("/v1/inbox?limit=1000").second["events"].size(); };
  ASSERT_TRUE(Eventually([&] { return inbox_size() == 10; }))
      << "inbox: " << inbox_size() << " events; broker log: " << broker_->broker().store().size()
      << " records; th-node: " << th_api.Get("/v1/health").second.dump()
      << "; kh-node: " << kh_api.Get("/v1/health").second.dump();
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
  Http api(port, TokenOf("th-node"));
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
  // Another country, for the officer's own agency: the node publishes for
  // THA only.
  json foreign = Referral("TH-1");
  foreign["origin"] = {{"country", "VNM"}, {"agency", "th-rtp-atpd"}};
  expect_400(foreign.dump(), "origin.country");
  json bad_id = Referral("TH-1");
  bad_id["id"] = "not-a-uuid";
  expect_400(bad_id.dump(), "id");
  json minor = Referral("TH-1");
  minor["body"]["victim"]["minor"] = true;
  expect_400(minor.dump(), "body.victim.guardian");
  auto [big_status, big] = api.Post("/v1/events", std::string(2 * 1024 * 1024, ' '));
  EXPECT_EQ(big_status, 413);
  // Another agency than the officer's: refused before anything else.
  json other_agency = Referral("TH-1");
  other_agency["origin"] = {{"country", "THA"}, {"agency", "th-dsi"}};
  auto [forbidden, why] = api.Post("/v1/events", other_agency.dump());
  EXPECT_EQ(forbidden, 403) << why.dump();
  EXPECT_EQ(why["error"]["field"], "origin.agency");
  // No token: refused too.
  EXPECT_EQ(Http(port, "").Post("/v1/events", Referral("TH-1").dump()).first, 401);
  auto [hs, health] = api.Get("/v1/health");
  EXPECT_EQ(health["outbox_pending"], 0);
  auto [cs, cases] = api.Get("/v1/cases");
  EXPECT_EQ(cs, 200);
  EXPECT_TRUE(cases["cases"].empty()) << cases.dump();
}

// Runs the CLI as the officer whose config directory is `home` (their stored
// login; none when empty), `input` on stdin; returns (exit code, stdout).
std::pair<int, std::string> Cli(int port, const std::string& args, const std::string& home = "",
                                const std::string& input = "") {
  std::string cmd = "env -u LINTAS_TOKEN -u LINTAS_NODE LINTAS_CONFIG_DIR='" +
                    (home.empty() ? std::string("/nonexistent/lintas") : home) + "' " +
                    std::string(LINTAS_BINARY_DIR) +
                    "/nodes/lintas --node http://127.0.0.1:" + std::to_string(port) + " " + args +
                    " 2>/dev/null";
  if (!input.empty()) cmd = "printf '%s\\n' '" + input + "' | " + cmd;
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
  // Each officer logs in with their own config directory.
  const std::string th_home = dir_.Sub("home/th");
  const std::string kh_home = dir_.Sub("home/kh");
  EXPECT_EQ(
      Cli(th_port, "send --to KHM/kh-mosvy --case TH-2026-0191 --victim V-TH-0191", th_home).first,
      2)
      << "not logged in: refused (401)";
  auto [login_rc, login] = Cli(th_port, "--json login --user officer-th-0001 --password-stdin",
                               th_home, PasswordOf("officer-th-0001"));
  ASSERT_EQ(login_rc, 0) << login;
  EXPECT_EQ(json::parse(login)["user"]["agency"], "th-rtp-atpd");
  ASSERT_EQ(Cli(kh_port, "login --user officer-kh-0001 --password-stdin", kh_home,
                PasswordOf("officer-kh-0001"))
                .first,
            0);
  EXPECT_EQ(Cli(kh_port, "login --user officer-kh-0001 --password-stdin", dir_.Sub("home/x"),
                "wrong-password")
                .first,
            2);

  auto [send_rc, sent] =
      Cli(th_port,
          "--json send --to KHM/social_welfare --case TH-2026-0192 "
          "--victim V-TH-0192 --minor --guardian G-TH-0192-1 "
          "--nationality KHM --language km --priority urgent --due 3d --handling H1",
          th_home);
  ASSERT_EQ(send_rc, 0);
  std::string id = json::parse(sent)["id"];
  auto [status_rc, status] = Cli(th_port, "--json status " + id + " --wait 20", th_home);
  ASSERT_EQ(status_rc, 0);
  EXPECT_EQ(json::parse(status)["status"], "acknowledged");

  ASSERT_TRUE(Eventually([&] {
    auto [rc, out] = Cli(kh_port, "--json inbox", kh_home);
    return rc == 0 && out.find(id) != std::string::npos;
  }));
  auto [table_rc, table] = Cli(kh_port, "inbox", kh_home);
  EXPECT_EQ(table_rc, 0);
  EXPECT_NE(table.find("TH-2026-0192"), std::string::npos);
  // The acknowledgement is by the logged-in officer, by case id.
  EXPECT_EQ(Cli(kh_port, "referral ack TH-2026-0192 --note Received", kh_home).first, 0);
  ASSERT_TRUE(Eventually([&] {
    auto [rc, out] = Cli(th_port, "--json case show TH-2026-0192", th_home);
    auto view = json::parse(out, nullptr, false);
    return rc == 0 && view.is_object() && view["items"][0]["state"] == "acknowledged";
  }));
  auto [show_rc, show] = Cli(th_port, "--json case show TH-2026-0192", th_home);
  ASSERT_EQ(show_rc, 0);
  json view = json::parse(show);
  ASSERT_EQ(view["items"][0]["acks"].size(), 1u);
  EXPECT_EQ(view["items"][0]["acks"][0]["officer"], "officer-kh-0001");
  EXPECT_EQ(view["items"][0]["acks"][0]["agency"], "kh-mosvy");
  EXPECT_EQ(view["events"][0]["officer"], "officer-th-0001");
  EXPECT_EQ(view["events"].back()["type"], "ReferralAcknowledged");
  EXPECT_EQ(view["events"].back()["officer"], "officer-kh-0001");

  // A referral due in one second, never acknowledged, becomes overdue.
  ASSERT_EQ(Cli(th_port, "send --to KHM/kh-mosvy --case TH-2026-0193 --victim V-TH-0193 --due 1s",
                th_home)
                .first,
            0);
  ASSERT_TRUE(Eventually([&] {
    auto [rc, out] = Cli(th_port, "--json overdue", th_home);
    auto list = json::parse(out, nullptr, false);
    return rc == 0 && list.is_object() && list["items"].size() == 1 &&
           list["items"][0]["case_id"] == "TH-2026-0193";
  }));

  // Exit codes: bad input (and nothing queued), not found, unreachable.
  Http api(th_port, TokenOf("th-node"));
  auto cases_before = api.Get("/v1/cases").second["cases"].size();
  auto pending_before = api.Get("/v1/health").second["outbox_pending"];
  EXPECT_EQ(Cli(th_port, "send --to KH --case X --victim V", th_home).first, 2);
  EXPECT_EQ(Cli(th_port, "send --to KHM/kh-mosvy --case X --victim V --minor", th_home).first, 2);
  EXPECT_EQ(Cli(th_port, "send --to KHM/kh-mosvy --case X --victim V --due soon", th_home).first,
            2);
  EXPECT_EQ(
      Cli(th_port, "send --to KHM/kh-mosvy --case X --victim V --agency kh-mosvy", th_home).first,
      2);
  EXPECT_EQ(Cli(th_port, "referral new --to KHM/kh-mosvy --case X", th_home).first, 2)
      << "no victim";
  EXPECT_EQ(api.Get("/v1/cases").second["cases"].size(), cases_before);
  EXPECT_EQ(api.Get("/v1/health").second["outbox_pending"], pending_before);
  EXPECT_EQ(Cli(th_port, "case show NO-SUCH-CASE", th_home).first, 4);
  EXPECT_EQ(Cli(1, "inbox", th_home).first, 3);
  auto [list_rc, list] = Cli(th_port, "--json case list", th_home);
  EXPECT_EQ(list_rc, 0);
  EXPECT_EQ(json::parse(list)["cases"].size(), 2u);
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
