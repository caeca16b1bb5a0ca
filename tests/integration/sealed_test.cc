// Sealed content end to end (issue 13, docs/SECURITY.md): a real broker and
// real nodes over real sockets, real RocksDB in temporary directories. The
// broker holds and routes what it cannot read; the addressee reads it; a
// third node, subscribed to everything, cannot; a rotated key keeps old cases
// readable.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lintas/seal/errc.h"
#include "lintas/seal/sealer.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/verify.h"
#include "node_fixture.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using namespace nodetest;

constexpr std::string_view kCanary = "Canary-Pseudonym-Q7X2";

json CanaryReferral(const std::string& case_id) { return nodetest::CanaryReferral(case_id, kCanary); }

class SealedTest : public NodeTest {
 protected:
  void StartSealingBroker() {
    auto config = testutil::TestConfig(dir_.Sub("broker-data"), BrokerEndpoint());
    config.require_sealed = true;  // as in production: content only sealed
    broker_ = std::make_unique<testutil::InProcessBroker>(config);
  }
  std::string Case(const std::string& case_id, int port, const std::string& token) {
    Http api(port, token);
    auto [status, body] = api.Get("/v1/cases/" + case_id);
    return status == 200 ? body.dump() : "";
  }
};

TEST_F(SealedTest, TheBrokerHoldsNoCanaryTheAddresseeReadsItAndAThirdNodeCannot) {
  StartSealingBroker();
  int th_port = 0, kh_port = 0, vn_port = 0;
  auto th = StartNode("th-node", &th_port);
  auto kh = StartNode("kh-node", &kh_port);
  auto vn = StartNode("vn-node", &vn_port);
  ASSERT_TRUE(vn->AddSubscription(node::SubscriptionConfig{"everything", {}, {}, {}, "Routine"}).ok());
  Http th_api(th_port, TokenOf("th-node"));
  auto [status, queued] = th_api.Post("/v1/events", CanaryReferral("TH-2026-7001").dump());
  ASSERT_EQ(status, 202) << queued.dump();
  std::string id = queued["id"];
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(th_api, {id}); }));

  // The addressee reads the pseudonym and the free text.
  ASSERT_TRUE(Eventually([&] {
    return Case("TH-2026-7001", kh_port, TokenOf("kh-node")).find(kCanary) != std::string::npos;
  })) << Case("TH-2026-7001", kh_port, TokenOf("kh-node"));
  // The sender still reads its own event.
  auto [own_status, own] = th_api.Get("/v1/events/" + id + "?full=1");
  ASSERT_EQ(own_status, 200);
  EXPECT_NE(own.dump().find(kCanary), std::string::npos);

  // Every record, read back through the store (decompressed), is sealed and
  // holds no canary; only kh-node's and th-node's keys open it.
  store::Store& log = broker_->broker().store();
  ASSERT_GE(log.size(), 1u);
  bool found = false;
  for (uint64_t o = 1; o <= log.size(); ++o) {
    auto rec = log.ReadRecord(o);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_EQ((*rec)->find(kCanary), std::string::npos) << "record " << o;
    const fb::Event* e = testutil::RecordEvent(**rec);
    if (wire::EventId::FromFb(*e->id()).ToString() != id) continue;
    found = true;
    ASSERT_NE(e->sealed(), nullptr);
    seal::SealKeyring third;
    third.Add(testutil::TestSealKey("vn-node"));
    auto by_third = seal::OpenEvent(*e, "vn-node", third);
    ASSERT_FALSE(by_third.ok());
    EXPECT_EQ(by_third.error().code, make_error_code(seal::errc::not_a_recipient));
    seal::SealKeyring addressee;
    addressee.Add(testutil::TestSealKey("kh-node"));
    auto by_addressee = seal::OpenEvent(*e, "kh-node", addressee);
    ASSERT_TRUE(by_addressee.ok()) << by_addressee.error().message;
    EXPECT_NE(by_addressee->find(kCanary), std::string::npos);
  }
  EXPECT_TRUE(found);
  // The third node got nothing of it.
  Http vn_api(vn_port, TokenOf("vn-node"));
  auto [vn_status, vn_inbox] = vn_api.Get("/v1/inbox");
  ASSERT_EQ(vn_status, 200);
  EXPECT_EQ(vn_inbox.dump().find(kCanary), std::string::npos);
  auto [vn_event_status, vn_event] = vn_api.Get("/v1/events/" + id);
  EXPECT_EQ(vn_event_status, 404) << vn_event.dump();

  // No file of the broker's data directory holds it: the WAL while it runs,
  // the SST files once it has flushed and closed.
  EXPECT_TRUE(FilesHolding(dir_.Sub("broker-data"), kCanary).empty());
  th.reset();
  kh.reset();
  vn.reset();
  broker_.reset();
  EXPECT_TRUE(FilesHolding(dir_.Sub("broker-data"), kCanary).empty());
  // ... while the addressee's own store does (it is the reader).
  EXPECT_FALSE(FilesHolding(dir_.Sub("kh-node"), kCanary).empty());
}

TEST_F(SealedTest, ARotatedKeyKeepsOldCasesReadableAndNewOnesAreSealedToTheNewKey) {
  StartSealingBroker();
  int th_port = 0, kh_port = 0;
  auto th = StartNode("th-node", &th_port);
  auto kh = StartNode("kh-node", &kh_port);
  Http th_api(th_port, TokenOf("th-node"));
  auto [s1, q1] = th_api.Post("/v1/events", CanaryReferral("TH-2026-7101").dump());
  ASSERT_EQ(s1, 202) << q1.dump();
  ASSERT_TRUE(Eventually([&] {
    return Case("TH-2026-7101", kh_port, TokenOf("kh-node")).find(kCanary) != std::string::npos;
  }));

  // kh-node rotates its seal key: the old one stays in the file, behind it.
  std::string key_file = kh->config().seal_key_file;
  kh.reset();
  auto rotated = seal::SealKeyring::Rotate(key_file);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  ASSERT_EQ(rotated->size(), 2u);
  kh = StartNode("kh-node", &kh_port);
  Http kh_api(kh_port, TokenOf("kh-node"));
  // Connected: the broker has the new key (announced in Hello). th-node's
  // directory still names the old one: its first seal is refused as stale,
  // and it seals again with a fresh directory.
  ASSERT_TRUE(Eventually([&] { return kh->broker_connected(); }));

  auto [s2, q2] = th_api.Post("/v1/events", CanaryReferral("TH-2026-7102").dump());
  ASSERT_EQ(s2, 202) << q2.dump();
  std::string second = q2["id"];
  ASSERT_TRUE(Eventually([&] {
    return Case("TH-2026-7102", kh_port, TokenOf("kh-node")).find(kCanary) != std::string::npos;
  })) << "the referral sent after the rotation was not read";
  // The new one is sealed to the new key, which the broker now lists.
  auto offset = broker_->broker().store().FindEvent(*wire::EventId::Parse(second));
  ASSERT_TRUE(offset.ok() && offset->has_value());
  auto rec = broker_->broker().store().ReadRecord(**offset);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  const fb::Event* e = testutil::RecordEvent(**rec);
  bool to_new_key = false;
  for (const auto* k : *e->sealed()->keys()) {
    seal::KeyId want = seal::KeyIdOf(rotated->current().public_key);
    to_new_key |= k->node()->string_view() == "kh-node" &&
                  std::equal(k->key_id()->begin(), k->key_id()->end(), want.begin());
  }
  EXPECT_TRUE(to_new_key);
  // The old case is still readable, from the inbox's sealed record.
  auto [old_status, old_event] = kh_api.Get("/v1/events/" + std::string(q1["id"]) + "?full=1");
  ASSERT_EQ(old_status, 200) << old_event.dump();
  EXPECT_NE(old_event.dump().find(kCanary), std::string::npos);
}

TEST_F(SealedTest, AReferralToANodeWithNoKeyYetWaitsSaysWhyAndGoesOnceTheNodeConnects) {
  auto config = testutil::TestConfig(dir_.Sub("broker-data"), BrokerEndpoint());
  config.require_sealed = true;
  for (auto& n : config.nodes) {
    if (n.id == "kh-node") n.seal_public_key.clear();  // not registered: kh-node has never connected
  }
  broker_ = std::make_unique<testutil::InProcessBroker>(config);
  int th_port = 0, kh_port = 0;
  auto th = StartNode("th-node", &th_port);
  Http th_api(th_port, TokenOf("th-node"));
  auto [status, queued] = th_api.Post("/v1/events", CanaryReferral("TH-2026-7201").dump());
  ASSERT_EQ(status, 202) << queued.dump();
  std::string id = queued["id"];
  json seen;
  ASSERT_TRUE(Eventually([&] {
    seen = th_api.Get("/v1/events/" + id).second;
    return seen.value("waiting", "").find("kh-mosvy") != std::string::npos;
  })) << seen.dump();
  EXPECT_EQ(seen["status"], "queued");
  EXPECT_EQ(broker_->broker().store().size(), 0u);  // nothing went out unsealed

  auto kh = StartNode("kh-node", &kh_port);
  ASSERT_TRUE(Eventually([&] { return AllAcknowledged(th_api, {id}); }));
  EXPECT_FALSE(th_api.Get("/v1/events/" + id).second.contains("waiting"));
  ASSERT_TRUE(Eventually([&] {
    return Case("TH-2026-7201", kh_port, TokenOf("kh-node")).find(kCanary) != std::string::npos;
  }));
}

}  // namespace
}  // namespace lintas
