// Erasure by crypto-shredding end to end (issue 13, docs/ERASURE.md): real
// broker and nodes over real sockets, real RocksDB in temporary directories.
// A data-protection officer erases a case; every holder destroys its keys;
// nothing of the case can be read anywhere, no file of either node holds the
// victim's pseudonym any more, and the broker's audit export still verifies.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lintas/node/erasure_worker.h"
#include "lintas/audit/checkpoint.h"
#include "lintas/audit/export_format.h"
#include "lintas/node/audit_client.h"
#include "node_fixture.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using namespace nodetest;

constexpr std::string_view kCanary = "Canary-Erase-R4V9";

json CanaryReferral(const std::string& case_id) { return nodetest::CanaryReferral(case_id, kCanary); }

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + " ";
  return out;
}

class ErasureTest : public NodeTest {
 protected:
  void StartSealingBroker() {
    auto config = testutil::TestConfig(dir_.Sub("broker-data"), BrokerEndpoint());
    config.require_sealed = true;
    broker_ = std::make_unique<testutil::InProcessBroker>(config);
  }
  // A data-protection officer of the node's agency, and a token for them.
  std::string AddDpo(node::Node& n, const std::string& id) {
    node::User u;
    u.id = "dpo-" + id;
    u.agency = n.config().default_agency;
    u.roles = {"dpo"};
    auto added = n.accounts().AddUser(u, "correct horse battery staple 42", NowMicros());
    EXPECT_TRUE(added.ok()) << added.error().message;
    auto issued = n.accounts().IssueApiToken(u.id, "erasure_test", 0, NowMicros());
    EXPECT_TRUE(issued.ok());
    return issued.ok() ? issued->token : "";
  }
  json Case(int port, const std::string& token, const std::string& case_id) {
    auto [status, body] = Http(port, token).Get("/v1/cases/" + case_id);
    return status == 200 ? body : json();
  }
  std::string Sent(int port, const std::string& token, const json& event) {
    auto [status, queued] = Http(port, token).Post("/v1/events", event.dump());
    EXPECT_EQ(status, 202) << queued.dump();
    return queued.value("id", "");
  }
};

TEST_F(ErasureTest, AnErasedCaseIsUnreadableAtEveryHolderInNoFileAndTheAuditExportStillVerifies) {
  StartSealingBroker();
  int th_port = 0, kh_port = 0;
  auto th = StartNode("th-node", &th_port);
  auto kh = StartNode("kh-node", &kh_port);
  const std::string kCase = "TH-2026-7201";
  Http th_api(th_port, TokenOf("th-node"));
  std::string referral = Sent(th_port, TokenOf("th-node"), CanaryReferral(kCase));
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(th_api, {referral}); }));
  ASSERT_TRUE(Eventually([&] { return Case(kh_port, TokenOf("kh-node"), kCase).dump().find(kCanary) != std::string::npos; }));
  // The addressee answers: its outbox holds an event of the case too.
  Http kh_api(kh_port, TokenOf("kh-node"));
  auto [ack_status, ack] = kh_api.Post("/v1/items/" + referral + "/acknowledge", json{{"note", "received"}}.dump());
  ASSERT_EQ(ack_status, 202) << ack.dump();
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(kh_api, {ack.value("id", "")}); }));
  ASSERT_TRUE(Eventually([&] { return Case(th_port, TokenOf("th-node"), kCase).dump().find("ReferralAcknowledged") != std::string::npos; }));
  // Both nodes hold the pseudonym in their files before the erasure.
  ASSERT_FALSE(FilesHolding(dir_.Sub("kh-node"), kCanary).empty());

  // An officer may not erase; the DPO must say why.
  auto [officer_status, officer_body] = th_api.Post("/v1/cases/" + kCase + "/erase", json{{"justification", "x"}}.dump());
  EXPECT_EQ(officer_status, 403) << officer_body.dump();
  Http dpo(th_port, AddDpo(*th, "th"));
  auto [no_why_status, no_why] = dpo.Post("/v1/cases/" + kCase + "/erase", json::object().dump());
  EXPECT_EQ(no_why_status, 400) << no_why.dump();
  EXPECT_EQ(no_why["error"].value("field", ""), "justification");

  auto [status, erased] = dpo.Post(
      "/v1/cases/" + kCase + "/erase",
      json{{"justification", "the presumed victim asked for erasure; no proceedings pending"}}.dump());
  ASSERT_EQ(status, 202) << erased.dump();
  EXPECT_EQ(erased["recipients"].size(), 1u) << erased.dump();
  EXPECT_EQ(erased["recipients"][0].value("agency", ""), "kh-mosvy");

  // At the sender at once, and at the holder once the erasure arrives: the
  // case shows who erased it, no victim data, and its events are gone for good.
  for (auto [port, token] : {std::pair{th_port, TokenOf("th-node")}, std::pair{kh_port, TokenOf("kh-node")}}) {
    ASSERT_TRUE(Eventually([&] { return Case(port, token, kCase).value("state", "") == "erased"; }))
        << Case(port, token, kCase).dump();
    json view = Case(port, token, kCase);
    EXPECT_EQ(view.dump().find(kCanary), std::string::npos) << view.dump();
    EXPECT_EQ(view["erased"]["by"].value("agency", ""), "th-rtp-atpd");
    EXPECT_FALSE(view["erased"].value("justification", "").empty());
    auto [event_status, event] = Http(port, token).Get("/v1/events/" + referral + "?full=1");
    EXPECT_EQ(event_status, 410) << event.dump();
    EXPECT_EQ(event["error"].value("code", ""), "erased");
    auto [inbox_status, inbox] = Http(port, token).Get("/v1/inbox");
    EXPECT_EQ(inbox.dump().find(kCanary), std::string::npos);
  }
  // Nothing new is added to an erased case.
  auto [late_status, late] = th_api.Post("/v1/events", CanaryReferral(kCase).dump());
  EXPECT_EQ(late_status, 410) << late.dump();

  // Once shredded, no file of either node holds the pseudonym.
  for (const char* node : {"th-node", "kh-node"}) {
    EXPECT_TRUE(Eventually([&] { return FilesHolding(dir_.Sub(node), kCanary).empty(); }))
        << node << ": " << Joined(FilesHolding(dir_.Sub(node), kCanary));
  }

  // The broker's log keeps the ciphertext, and its audit trail still verifies.
  zmq::context_t ctx;
  node::BrokerClient auditor(ctx, testutil::NodeOptions(BrokerEndpoint(), "audit-node"));
  ASSERT_TRUE(auditor.Connect().ok());
  node::AuditClient client(&auditor);
  std::ostringstream out;
  auto n = client.Export({}, "erasure check (pseudonymous test)", out, audit::ExportFormat::kJsonLines);
  ASSERT_TRUE(n.ok()) << n.error().message;
  auto key = audit::LoadPublicKey(dir_.Sub("broker-data") + "/audit-signing.key.pub");
  ASSERT_TRUE(key.ok());
  std::istringstream in(out.str());
  audit::VerifyReport report = audit::VerifyExport(in, *key);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_GE(report.records, 3u);  // the referral, the answer, the erasure (and receipts)
}

TEST_F(ErasureTest, RetentionErasesAnInactiveCaseHereOnlyAndLeavesTheOtherHoldersCopy) {
  StartSealingBroker();
  int th_port = 0, kh_port = 0;
  constexpr int64_t kYear = 365LL * 86400 * 1000000;
  auto th = StartNode("th-node", &th_port, [](node::NodeConfig& c) {
    c.retention_closed_us = kYear;          // "1y", for closed cases only
    c.retention_inactive_us = 3 * kYear;    // "3y", for any case
  });
  auto kh = StartNode("kh-node", &kh_port);
  const std::string kCase = "TH-2026-7301";
  Http th_api(th_port, TokenOf("th-node"));
  std::string referral = Sent(th_port, TokenOf("th-node"), CanaryReferral(kCase));
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(th_api, {referral}); }));
  ASSERT_TRUE(Eventually([&] { return Case(kh_port, TokenOf("kh-node"), kCase).dump().find(kCanary) != std::string::npos; }));

  // Not yet past the period: nothing is erased.
  auto none = th->erasure().SweepRetention(NowMicros());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  // Two years later the case is still open: the closed cases' period does
  // not apply to it.
  auto open = th->erasure().SweepRetention(NowMicros() + 2 * kYear);
  ASSERT_TRUE(open.ok()) << open.error().message;
  EXPECT_EQ(*open, 0u);
  EXPECT_EQ(Case(th_port, TokenOf("th-node"), kCase).value("state", ""), "open");
  // Three years and a day later, any case goes.
  auto swept = th->erasure().SweepRetention(NowMicros() + 3 * kYear + 86400LL * 1000000);
  ASSERT_TRUE(swept.ok()) << swept.error().message;
  EXPECT_EQ(*swept, 1u);
  json view = Case(th_port, TokenOf("th-node"), kCase);
  EXPECT_EQ(view.value("state", ""), "erased");
  EXPECT_EQ(view["erased"].value("reason", ""), "retention");
  EXPECT_NE(view["erased"].value("justification", "").find("retention.inactive_cases = 3y"), std::string::npos);
  auto [event_status, event] = th_api.Get("/v1/events/" + referral + "?full=1");
  EXPECT_EQ(event_status, 410) << event.dump();
  EXPECT_TRUE(Eventually([&] { return FilesHolding(dir_.Sub("th-node"), kCanary).empty(); }))
      << Joined(FilesHolding(dir_.Sub("th-node"), kCanary));
  // Retention is this node's rule: Cambodia keeps its copy.
  EXPECT_NE(Case(kh_port, TokenOf("kh-node"), kCase).dump().find(kCanary), std::string::npos);
}

TEST_F(ErasureTest, AShredThatAStopInterruptedRunsAtTheNextStart) {
  int port = 0;
  auto th = StartNode("th-node", &port);
  // What an erasure leaves until its shred has finished (a crash or a stop
  // may come first).
  node::WriteSet pending;
  pending.Put(node::Cf::kVault, std::string(node::kShredPendingKey), "1");
  ASSERT_TRUE(th->store().Write(pending, true).ok());
  th.reset();
  th = StartNode("th-node", &port);
  EXPECT_TRUE(Eventually([&] { return th->erasure().shreds_done() >= 1; }))
      << "shreds done: " << th->erasure().shreds_done();
  auto flag = th->store().Get(node::Cf::kVault, std::string(node::kShredPendingKey));
  ASSERT_TRUE(flag.ok()) << flag.error().message;
  EXPECT_FALSE(flag->has_value()) << "the flag outlived the shred (did the shred fail? see the node's log above)";
}

}  // namespace
}  // namespace lintas
