// CurveZMQ with ZAP: only configured keys get in, and a key speaks only for
// its own node. Real broker, real sockets, real RocksDB.
#include <fstream>

#include <gtest/gtest.h>
#include <zmq.h>

#include "lintas/common/clock.h"
#include "lintas/wire/frame.h"
#include "testutil/broker_harness.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;

struct KeyPair {
  std::string pub;
  std::string secret;
};

KeyPair NewKeys() {
  char pub[41] = {};
  char secret[41] = {};
  EXPECT_EQ(zmq_curve_keypair(pub, secret), 0);
  return {pub, secret};
}

class CurveTest : public ::testing::Test {
 protected:
  CurveTest() {
    broker_keys_ = NewKeys();
    std::ofstream(dir_.Sub("broker.key")) << broker_keys_.secret << "\n";
    auto config = testutil::TestConfig(dir_.Sub("data"));
    config.security = broker::SecurityMode::kCurve;
    config.secret_key_file = dir_.Sub("broker.key");
    config.handshake_timeout_ms = 1000;
    config.revoked_keys_file = dir_.Sub("revoked.keys");
    for (auto& n : config.nodes) {
      node_keys_[n.id] = NewKeys();
      n.public_key = node_keys_[n.id].pub;
    }
    broker_ = std::make_unique<testutil::InProcessBroker>(config);
  }

  node::ClientOptions Options(const std::string& node_id, const KeyPair& keys) {
    node::ClientOptions o = testutil::NodeOptions(broker_->endpoint(), node_id);
    o.broker_public_key = broker_keys_.pub;
    o.public_key = keys.pub;
    o.secret_key = keys.secret;
    o.connect_timeout = 2s;
    return o;
  }

  testutil::TempDir dir_;
  zmq::context_t ctx_;
  KeyPair broker_keys_;
  std::map<std::string, KeyPair> node_keys_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
  wire::EventIdGenerator ids_;
};

TEST_F(CurveTest, ANodeWithItsOwnKeyPublishes) {
  node::BrokerClient th(ctx_, Options("th-node", node_keys_["th-node"]));
  ASSERT_TRUE(th.Connect().ok());
  auto out = testutil::PublishAndWait(
      th, {testutil::MinimalReferral(ids_.Next(), "THA", "th-rtp-atpd", "KHM", "kh-mosvy")});
  ASSERT_TRUE(out[0].acked) << out[0].message;
}

TEST_F(CurveTest, AnUnknownKeyIsRefusedAtTheHandshake) {
  node::BrokerClient stranger(ctx_, Options("th-node", NewKeys()));
  EXPECT_FALSE(stranger.Connect().ok());
  EXPECT_EQ(broker_->broker().store().size(), 0u);
  EXPECT_NE(broker_->broker().probe().Scrape().find("lintas_broker_refusals_total{code=\"permission_denied\"}"),
            std::string::npos);
}

TEST_F(CurveTest, APlaintextPeerIsRefused) {
  node::ClientOptions options = testutil::NodeOptions(broker_->endpoint(), "th-node");
  options.connect_timeout = 2s;
  node::BrokerClient plain(ctx_, options);
  EXPECT_FALSE(plain.Connect().ok());
}

TEST_F(CurveTest, AKeyCannotSayHelloAsAnotherNode) {
  // Thailand's key, claiming to be Cambodia's node.
  node::BrokerClient forger(ctx_, Options("kh-node", node_keys_["th-node"]));
  auto s = forger.Connect();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, wire::errc::permission_denied);
}

TEST_F(CurveTest, AValidKeyPublishingAsAnotherCountryIsRefused) {
  node::BrokerClient th(ctx_, Options("th-node", node_keys_["th-node"]));
  ASSERT_TRUE(th.Connect().ok());
  auto out = testutil::PublishAndWait(
      th, {testutil::MinimalReferral(ids_.Next(), "KHM", "kh-mosvy", "THA", "th-msdhs")});
  ASSERT_TRUE(out[0].answered);
  EXPECT_FALSE(out[0].acked);
  EXPECT_EQ(out[0].code, static_cast<uint16_t>(wire::errc::origin_mismatch));
  EXPECT_EQ(broker_->broker().store().size(), 0u);
}

TEST_F(CurveTest, ARevokedKeyIsRefusedFromItsNextMessageOn) {
  node::BrokerClient th(ctx_, Options("th-node", node_keys_["th-node"]));
  ASSERT_TRUE(th.Connect().ok());
  auto before = testutil::PublishAndWait(
      th, {testutil::MinimalReferral(ids_.Next(), "THA", "th-rtp-atpd", "KHM", "kh-mosvy")});
  ASSERT_TRUE(before[0].acked) << before[0].message;

  // The operator revokes Thailand's key while its node is connected.
  std::ofstream(dir_.Sub("revoked.keys")) << "# compromised 2026-11-28\n"
                                          << node_keys_["th-node"].pub << "\n";
  // The broker tells the session it is over, at the latest at its next message.
  int code = -1;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (code < 0 && std::chrono::steady_clock::now() < deadline) {
    (void)th.SendControl(wire::EncodeHeartbeat(NowMicros()));
    auto in = th.Receive(200ms);
    if (in.ok() && in->has_value() &&
        (*in)->control()->command_type() == proto::Command::Error) {
      code = (*in)->control()->command_as_Error()->code();
    }
  }
  EXPECT_EQ(code, static_cast<int>(wire::errc::permission_denied));
  // Nothing it sends is stored any more, and it cannot come back.
  (void)th.Publish(std::vector<std::string>{
      testutil::MinimalReferral(ids_.Next(), "THA", "th-rtp-atpd", "KHM", "kh-mosvy")});
  node::BrokerClient again(ctx_, Options("th-node", node_keys_["th-node"]));
  EXPECT_FALSE(again.Connect().ok());
  // Other nodes are not affected.
  node::BrokerClient kh(ctx_, Options("kh-node", node_keys_["kh-node"]));
  ASSERT_TRUE(kh.Connect().ok());
  auto other = testutil::PublishAndWait(
      kh, {testutil::MinimalReferral(ids_.Next(), "KHM", "kh-mosvy", "THA", "th-msdhs")});
  ASSERT_TRUE(other[0].acked) << other[0].message;
  EXPECT_EQ(broker_->broker().store().size(), 2u);
}

}  // namespace
}  // namespace lintas
