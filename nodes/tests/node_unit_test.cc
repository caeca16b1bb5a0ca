// Node configuration and referral tracking.
#include <gtest/gtest.h>

#include "lintas/common/clock.h"
#include "lintas/node/config.h"
#include "lintas/node/node_store.h"
#include "lintas/node/referrals.h"
#include "lintas/wire/examples.h"
#include "testutil/temp_dir.h"

namespace lintas::node {
namespace {

std::string ErrorOf(const std::string& text) {
  try {
    ParseNodeConfig(text, "/");
  } catch (const NodeConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(NodeConfigTest, ExampleParses) {
  NodeConfig c = LoadNodeConfig(std::string(LINTAS_SOURCE_DIR) + "/ops/node.example.toml");
  EXPECT_EQ(c.id, "th-node");
  EXPECT_EQ(c.api_address, "127.0.0.1");
  EXPECT_EQ(c.api_port, 7480);
  ASSERT_EQ(c.subscriptions.size(), 1u);
  EXPECT_EQ(c.subscriptions[0].min_priority, "Urgent");
  EXPECT_EQ(c.agencies.size(), 3u);
}

TEST(NodeConfigTest, MistakesAreNamed) {
  const std::string base = "[security]\nmode = \"plaintext\"\n[node]\nid = \"th-node\"\ncountry = \"THA\"\ndata_dir = \"/x\"\n";
  EXPECT_EQ(ErrorOf(base), "");
  EXPECT_NE(ErrorOf("[node]\ncountry = \"THA\"\ndata_dir = \"/x\"\n").find("node.id"), std::string::npos);
  // curve is the default and needs keys
  EXPECT_NE(ErrorOf("[node]\nid = \"th-node\"\ncountry = \"THA\"\ndata_dir = \"/x\"\n").find("secret_key_file"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "[broker]\nendpoint = \"tcp://10.1.2.3:7400\"\n").find("non-loopback"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "colour = 1\n").find("colour"), std::string::npos);
  EXPECT_NE(ErrorOf("[node]\nid = \"th-node\"\ncountry = \"XX\"\ndata_dir = \"/x\"\n").find("node.country"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "agencies = [\"th-dsi\"]\ndefault_agency = \"th-msdhs\"\n").find("default_agency"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "[broker]\nendpoint = \"tcp://a:1\"\nendpoints = [\"tcp://b:1\"]\n").find("not both"),
            std::string::npos);
}

TEST(NodeConfigTest, EndpointsGiveFallbacks) {
  NodeConfig c = ParseNodeConfig(
      "[security]\nmode = \"plaintext\"\n[node]\nid = \"th-node\"\ncountry = \"THA\"\n"
      "data_dir = \"/x\"\n[broker]\nendpoints = [\"tcp://127.0.0.1:1\", \"tcp://127.0.0.1:2\"]\n", "/");
  EXPECT_EQ(c.broker_endpoint, "tcp://127.0.0.1:1");
  EXPECT_EQ(c.broker_fallbacks, std::vector<std::string>{"tcp://127.0.0.1:2"});
}

class ReferralTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = NodeStore::Open(dir_.Sub("node"));
    ASSERT_TRUE(s.ok());
    store_ = std::move(s).value();
    tracker_ = std::make_unique<ReferralTracker>(store_.get());
  }
  std::string Event(fb::Body type, const std::string& case_id, fb::Priority priority,
                    int64_t due) {
    fb::EventT e = wire::ExampleEvent(type, ids_.Next(), NowMicros());
    e.case_id = case_id;
    e.priority = priority;
    e.response_due_us = due;
    return wire::PackEvent(e);
  }
  void Observe(const std::string& bytes, Direction d) {
    ASSERT_TRUE(tracker_->Observe(*fb::GetEvent(bytes.data()), d, 0).ok());
  }
  testutil::TempDir dir_;
  std::unique_ptr<NodeStore> store_;
  std::unique_ptr<ReferralTracker> tracker_;
  wire::EventIdGenerator ids_;
};

TEST_F(ReferralTrackerTest, LifecycleMovesTheState) {
  int64_t now = NowMicros();
  std::string created = Event(fb::Body::ReferralCreated, "TH-1", fb::Priority::Urgent, now + 1000000);
  Observe(created, Direction::kOutgoing);
  auto state = [&] { return tracker_->Thread("TH-1", now).value()["state"].get<std::string>(); };
  EXPECT_EQ(state(), "sent");
  Observe(Event(fb::Body::DeliveryReceipt, "TH-1", fb::Priority::Urgent, 0), Direction::kIncoming);
  EXPECT_EQ(state(), "delivered");
  Observe(Event(fb::Body::ReferralAcknowledged, "TH-1", fb::Priority::Urgent, 0), Direction::kIncoming);
  EXPECT_EQ(state(), "acknowledged");
  // A late delivery receipt never moves it back.
  Observe(Event(fb::Body::DeliveryReceipt, "TH-1", fb::Priority::Urgent, 0), Direction::kIncoming);
  EXPECT_EQ(state(), "acknowledged");
  Observe(Event(fb::Body::ReferralClosed, "TH-1", fb::Priority::Urgent, 0), Direction::kIncoming);
  EXPECT_EQ(state(), "closed");
  // Observing the same event twice records it once.
  Observe(created, Direction::kOutgoing);
  EXPECT_EQ(tracker_->Thread("TH-1", now).value()["events"].size(), 5u);
}

TEST_F(ReferralTrackerTest, OverdueListPutsTheMostUrgentFirst) {
  int64_t now = NowMicros();
  Observe(Event(fb::Body::ReferralCreated, "R-ROUTINE", fb::Priority::Routine, now + 10), Direction::kOutgoing);
  Observe(Event(fb::Body::ReferralCreated, "R-LIFE", fb::Priority::LifeThreatening, now + 20), Direction::kOutgoing);
  Observe(Event(fb::Body::ReferralCreated, "R-URGENT", fb::Priority::Urgent, now + 5), Direction::kOutgoing);
  Observe(Event(fb::Body::ReferralCreated, "R-LATER", fb::Priority::LifeThreatening, now + 3600000000LL), Direction::kOutgoing);
  Observe(Event(fb::Body::ReferralCreated, "R-ACKED", fb::Priority::LifeThreatening, now + 1), Direction::kOutgoing);
  Observe(Event(fb::Body::ReferralAcknowledged, "R-ACKED", fb::Priority::LifeThreatening, 0), Direction::kIncoming);
  auto list = tracker_->List("", true, now + 1000).value();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["case_id"], "R-LIFE");
  EXPECT_EQ(list[1]["case_id"], "R-URGENT");
  EXPECT_EQ(list[2]["case_id"], "R-ROUTINE");
  auto all = tracker_->List("", false, now + 1000).value();
  EXPECT_EQ(all.size(), 5u);
  EXPECT_TRUE(all[0]["overdue"].get<bool>());
  EXPECT_FALSE(all[4]["overdue"].get<bool>());
}

}  // namespace
}  // namespace lintas::node
