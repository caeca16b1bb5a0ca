// Protocol conformance: what docs/PROTOCOL.md promises, checked against a
// real broker (its loop on a thread) over real ZeroMQ sockets on 127.0.0.1,
// as an independent client written from the document alone would see it.
// Each test names the section it guards.
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lintas/broker/broker.h"
#include "lintas/common/clock.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/verify.h"
#include "testutil/broker_harness.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas::broker {
namespace {

using namespace std::chrono_literals;
using testutil::PublishAndWait;
using testutil::ReceiveDeliveries;

// The next message of kind `command` (others are dropped), or nullopt.
std::optional<node::Incoming> Next(node::BrokerClient& client, proto::Command command,
                                   std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto in = client.Receive(std::min<std::chrono::milliseconds>(100ms, testutil::Remaining(deadline)));
    if (!in.ok() || !in->has_value()) continue;
    if ((*in)->command == command) return std::move(**in);
  }
  return std::nullopt;
}

// The answer to a Subscribe: Subscribed's acked offset, or the Error's code.
struct SubscribeAnswer {
  bool subscribed = false;
  uint64_t acked_offset = 0;
  uint16_t code = 0;
};

SubscribeAnswer SubscribeTo(node::BrokerClient& client, const std::string& name,
                            proto::StartPosition start = proto::StartPosition::Resume,
                            uint32_t credit = 0) {
  proto::ControlT control;
  proto::SubscribeT sub;
  sub.subscription = name;
  sub.start = start;
  sub.credit = credit;
  control.command.Set(std::move(sub));
  SubscribeAnswer answer;
  if (!client.SendControl(wire::EncodeControl(control)).ok()) return answer;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto in = client.Receive(100ms);
    if (!in.ok() || !in->has_value()) continue;
    if ((*in)->command == proto::Command::Subscribed) {
      answer.subscribed = true;
      answer.acked_offset = (*in)->control()->command_as_Subscribed()->acked_offset();
      return answer;
    }
    if ((*in)->command == proto::Command::Error) {
      answer.code = (*in)->control()->command_as_Error()->code();
      return answer;
    }
  }
  return answer;
}

class ConformanceTest : public ::testing::Test {
 protected:
  explicit ConformanceTest(uint32_t heartbeat_ms = 500)
      : broker_(std::make_unique<testutil::InProcessBroker>(
            testutil::TestConfig(dir_.Sub("data"), "tcp://127.0.0.1:*", heartbeat_ms))) {}

  std::unique_ptr<node::BrokerClient> Connect(const std::string& node_id) {
    auto client = std::make_unique<node::BrokerClient>(
        ctx_, testutil::NodeOptions(broker_->endpoint(), node_id));
    auto s = client->Connect();
    EXPECT_TRUE(s.ok()) << s.error().message;
    return client;
  }

  // A referral from THA to KHM's kh-mosvy.
  std::string Referral(int64_t created_at_us = 0) {
    return testutil::PackEvent(testutil::ReferralToKhm(ids_.Next(), created_at_us ? created_at_us : NowMicros()));
  }

  testutil::TempDir dir_;
  zmq::context_t ctx_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
};

// 4.3 and 7: the inbox is never capped; the cap on named subscriptions has
// its own code, which is not retryable.
TEST_F(ConformanceTest, InboxIsNeverCappedAndTheSubscriptionCapIsNotRetryable) {
  auto kh = Connect("kh-node");
  for (int i = 0; i < 32; ++i) {
    ASSERT_TRUE(SubscribeTo(*kh, "named-" + std::to_string(i)).subscribed) << i;
  }
  SubscribeAnswer over = SubscribeTo(*kh, "named-32");
  EXPECT_FALSE(over.subscribed);
  EXPECT_EQ(over.code, static_cast<uint16_t>(wire::errc::too_many_subscriptions));
  EXPECT_FALSE(wire::IsRetryable(static_cast<wire::errc>(over.code)));
  ASSERT_TRUE(SubscribeTo(*kh, "inbox").subscribed);

  auto th = Connect("th-node");
  auto out = PublishAndWait(*th, {Referral()});
  ASSERT_TRUE(out[0].acked) << out[0].message;
  auto got = ReceiveDeliveries(*kh, "inbox", 1, 5s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, out[0].offset);
}

// 7: a required field missing inside a table is event_invalid, naming it.
TEST_F(ConformanceTest, MissingRequiredFieldIsNackedAsInvalidNamingTheField) {
  auto th = Connect("th-node");
  auto out = PublishAndWait(*th, {testutil::WithoutVictimPseudonym(Referral()), Referral()});
  ASSERT_TRUE(out[0].answered);
  EXPECT_EQ(out[0].code, static_cast<uint16_t>(wire::errc::event_invalid)) << out[0].message;
  EXPECT_EQ(out[0].field, "body.victim.pseudonym");
  EXPECT_TRUE(out[1].acked);
}

// 1: the golden Nack (tests/vectors/frames/nack.json) is what the broker says.
TEST_F(ConformanceTest, OriginMismatchNamesTheFieldAsTheGoldenVectorDoes) {
  std::ifstream in(std::filesystem::path(LINTAS_SOURCE_DIR) / "tests/vectors/frames/nack.json");
  std::stringstream text;
  text << in.rdbuf();
  auto golden = nlohmann::json::parse(text.str());
  std::string golden_field = golden["command"]["field"].get<std::string>();

  auto th = Connect("th-node");
  fb::EventT khm = testutil::SampleEvent(fb::Body::ReferralCreated, ids_.Next(), NowMicros());
  khm.origin->country = "KHM";
  khm.origin->agency = "kh-mosvy";
  fb::EventT agency = testutil::SampleEvent(fb::Body::ReferralCreated, ids_.Next(), NowMicros());
  agency.origin->agency = "vn-molisa";
  auto out = PublishAndWait(*th, {testutil::PackEvent(khm), testutil::PackEvent(agency)});
  ASSERT_TRUE(out[0].answered && out[1].answered);
  EXPECT_EQ(out[0].code, static_cast<uint16_t>(wire::errc::origin_mismatch));
  EXPECT_EQ(out[0].field, golden_field);
  EXPECT_EQ(out[1].code, static_cast<uint16_t>(wire::errc::origin_mismatch));
  EXPECT_EQ(out[1].field, "origin.agency");
}

// 4.1 and 4.5: a second Hello as the same node ends the first session with
// Goodbye{Replaced}; the new one is served.
TEST_F(ConformanceTest, SecondHelloTellsTheOldSessionItWasReplaced) {
  auto first = Connect("kh-node");
  auto second = Connect("kh-node");
  auto bye = Next(*first, proto::Command::Goodbye);
  ASSERT_TRUE(bye.has_value());
  EXPECT_EQ(bye->control()->command_as_Goodbye()->code(), proto::GoodbyeCode::Replaced);
  EXPECT_TRUE(SubscribeTo(*second, "inbox").subscribed);
}

// 4.4a: a Checkpoint query from a size beyond the log says so explicitly.
TEST_F(ConformanceTest, CheckpointFromBeyondTheLogIsAnsweredWithRollback) {
  auto th = Connect("th-node");
  auto out = PublishAndWait(*th, {Referral(), Referral()});
  ASSERT_TRUE(out[0].acked && out[1].acked);
  auto ask = [&](uint64_t known, uint64_t id) {
    proto::ControlT control;
    proto::AuditQueryT q;
    q.query_id = id;
    q.kind = proto::AuditQueryKind::Checkpoint;
    q.known_size = known;
    control.command.Set(std::move(q));
    EXPECT_TRUE(th->SendControl(wire::EncodeControl(control)).ok());
    return Next(*th, proto::Command::AuditReply);
  };
  auto beyond = ask(1000, 1);
  ASSERT_TRUE(beyond.has_value());
  const proto::AuditReply* r = beyond->control()->command_as_AuditReply();
  EXPECT_EQ(r->query_id(), 1u);
  EXPECT_TRUE(r->rollback());
  EXPECT_TRUE(r->consistency() == nullptr || r->consistency()->size() == 0);
  auto within = ask(1, 2);
  ASSERT_TRUE(within.has_value());
  EXPECT_FALSE(within->control()->command_as_AuditReply()->rollback());
}

// 4.3: `start` applies only to a new subscription; Unsubscribe without
// `remove` keeps the cursor, with `remove` it is gone; Unsubscribe has no
// answer, and the subscription is no longer attached.
TEST_F(ConformanceTest, StartAppliesOnlyToANewSubscription) {
  auto th = Connect("th-node");
  auto out = PublishAndWait(*th, {Referral(), Referral(), Referral()});
  ASSERT_TRUE(out[2].acked);
  auto kh = Connect("kh-node");
  EXPECT_EQ(SubscribeTo(*kh, "watch", proto::StartPosition::Latest).acked_offset, 3u);
  auto unsubscribe = [&](bool remove) {
    proto::ControlT control;
    proto::UnsubscribeT u;
    u.subscription = "watch";
    u.remove = remove;
    control.command.Set(std::move(u));
    ASSERT_TRUE(kh->SendControl(wire::EncodeControl(control)).ok());
  };
  unsubscribe(false);
  ASSERT_TRUE(kh->SendControl(wire::EncodeDeliveryAck("watch", 3)).ok());
  auto error = Next(*kh, proto::Command::Error);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->control()->command_as_Error()->code(),
            static_cast<uint16_t>(wire::errc::unknown_subscription));
  EXPECT_EQ(SubscribeTo(*kh, "watch", proto::StartPosition::Beginning).acked_offset, 3u);
  unsubscribe(true);
  EXPECT_EQ(SubscribeTo(*kh, "watch", proto::StartPosition::Beginning).acked_offset, 0u);
}

// 4.3: DeliveryAck moves the cursor but returns no credit; Credit does.
TEST_F(ConformanceTest, DeliveryAckReturnsNoCredit) {
  auto th = Connect("th-node");
  auto out = PublishAndWait(*th, {Referral(), Referral(), Referral()});
  ASSERT_TRUE(out[2].acked);
  auto kh = Connect("kh-node");
  ASSERT_TRUE(SubscribeTo(*kh, "inbox", proto::StartPosition::Resume, 2).subscribed);
  auto first = ReceiveDeliveries(*kh, "inbox", 2, 5s);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_TRUE(kh->SendControl(wire::EncodeDeliveryAck("inbox", first[1].offset)).ok());
  // A bounded wait for something that must not come.
  EXPECT_TRUE(ReceiveDeliveries(*kh, "inbox", 1, 300ms).empty());
  ASSERT_TRUE(kh->SendControl(wire::EncodeCredit("inbox", 0, 1)).ok());
  auto rest = ReceiveDeliveries(*kh, "inbox", 1, 5s);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].offset, out[2].offset);
}

// 4.4: time ranges filter on the broker's received_at_us, not on the
// events' created_at_us; an empty replay ends with last_offset as documented.
TEST_F(ConformanceTest, ReplayTimeRangeFiltersOnReceivedAt) {
  auto th = Connect("th-node");
  int64_t long_ago = NowMicros() - 3600LL * 1000 * 1000;
  auto before = PublishAndWait(*th, {Referral(long_ago)});
  ASSERT_TRUE(before[0].acked);
  // The broker stamps received_at_us from the same clock when it reads the
  // event: this bound lies between the two.
  int64_t between = NowMicros();
  auto after = PublishAndWait(*th, {Referral(long_ago)});
  ASSERT_TRUE(after[0].acked);

  auto audit = Connect("audit-node");
  auto replay = [&](uint64_t id, int64_t from_time_us) {
    EXPECT_TRUE(testutil::StartReplay(*audit, id, "conformance test",
                                      [&](proto::ReplayT& r) { r.from_time_us = from_time_us; }));
    return ReceiveDeliveries(*audit, "", 10, 5s, id);
  };
  auto got = replay(1, between);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, after[0].offset);

  // An empty replay: ReplayEnd{count 0, last_offset from_offset - 1, or 0}.
  ASSERT_TRUE(testutil::StartReplay(*audit, 2, "conformance test",
                                    [](proto::ReplayT& r) { r.case_id = "NO-SUCH-CASE"; }));
  auto empty = testutil::ReceiveReplay(*audit, 2, 5s);
  ASSERT_TRUE(empty.ended);
  EXPECT_EQ(empty.count, 0u);
  EXPECT_EQ(empty.last_offset, 0u);
  EXPECT_TRUE(empty.delivered.empty());
}

class SilenceTest : public ConformanceTest {
 protected:
  SilenceTest() : ConformanceTest(100) {}
};

// 4.5: a session that dies of silence is told so before it is dropped.
TEST_F(SilenceTest, SilentSessionGetsGoodbyeTimeout) {
  zmq::socket_t raw(ctx_, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(broker_->endpoint());
  std::string hello = wire::EncodeHello("kh-node", "KHM", "conformance-test");
  ASSERT_TRUE(raw.send(zmq::buffer(hello), zmq::send_flags::none));
  // Read (never write) until the broker's Goodbye, or the deadline.
  std::optional<proto::GoodbyeCode> code;
  bool ready = false;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!code && std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{raw.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, testutil::Remaining(deadline));
    if (!(item.revents & ZMQ_POLLIN)) break;
    zmq::message_t m;
    ASSERT_TRUE(raw.recv(m));
    auto control = wire::VerifyControl({m.data<uint8_t>(), m.size()});
    ASSERT_TRUE(control.ok()) << control.error().message;
    if ((*control)->command_type() == proto::Command::Ready) ready = true;
    if ((*control)->command_type() == proto::Command::Goodbye) {
      code = (*control)->command_as_Goodbye()->code();
    }
  }
  EXPECT_TRUE(ready);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, proto::GoodbyeCode::Timeout);
}

}  // namespace
}  // namespace lintas::broker
