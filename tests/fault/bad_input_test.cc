// Hostile and broken peers: garbage, truncated and oversized frames, wrong
// identifiers, non-ZMTP bytes on the port. Each gets an error (or a
// disconnect), the broker keeps serving an honest node throughout, and
// nothing acknowledged is lost.
#include <cstring>
#include <random>
#include <set>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lintas/common/clock.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/verify.h"
#include "testutil/broker_harness.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;

class BadInputTest : public ::testing::Test {
 protected:
  BadInputTest() : broker_(testutil::TestConfig(dir_.Sub("data"))) {}

  // A raw DEALER that speaks whatever we make it say.
  std::unique_ptr<zmq::socket_t> Raw() {
    auto s = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
    s->set(zmq::sockopt::linger, 0);
    s->connect(broker_.endpoint());
    return s;
  }

  static void SendFrames(zmq::socket_t& s, const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i) {
      (void)s.send(zmq::buffer(frames[i]),
                   i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  // The Error code the broker answers on a raw socket, or -1.
  static int ErrorCode(zmq::socket_t& s, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, testutil::Remaining(deadline));
      if (!(item.revents & ZMQ_POLLIN)) break;
      std::vector<zmq::message_t> frames;
      for (bool more = true; more;) {
        zmq::message_t m;
        (void)s.recv(m);
        more = m.more();
        frames.push_back(std::move(m));
      }
      auto control = wire::VerifyControl({frames[0].data<uint8_t>(), frames[0].size()});
      if (control.ok() && (*control)->command_type() == proto::Command::Error) {
        return (*control)->command_as_Error()->code();
      }
      if (control.ok() && (*control)->command_type() == proto::Command::Nack) {
        return (*control)->command_as_Nack()->code();
      }
    }
    return -1;
  }

  std::string Referral() {
    return testutil::MinimalReferral(ids_.Next(), "THA", "th-rtp-atpd", "KHM", "kh-mosvy");
  }

  // An honest node publishes; every event must be acknowledged.
  void HonestNodeIsServed(size_t n = 50) {
    node::BrokerClient th(ctx_, testutil::NodeOptions(broker_.endpoint(), "th-node"));
    ASSERT_TRUE(th.Connect().ok());
    EXPECT_TRUE(th.ready().packed_publish);  // so its Publishes are packed
    std::vector<std::string> events;
    for (size_t i = 0; i < n; ++i) events.push_back(Referral());
    for (const auto& o : testutil::PublishAndWait(th, events)) ASSERT_TRUE(o.acked) << o.message;
    acked_ += n;
    EXPECT_EQ(broker_.broker().store().size(), acked_);
  }

  testutil::TempDir dir_;
  zmq::context_t ctx_;
  wire::EventIdGenerator ids_;
  testutil::InProcessBroker broker_;
  uint64_t acked_ = 0;
};

TEST_F(BadInputTest, GarbageControlFrameGetsAnErrorAndOthersAreServed) {
  auto raw = Raw();
  SendFrames(*raw, {"definitely not a flatbuffer"});
  EXPECT_EQ(ErrorCode(*raw), static_cast<int>(wire::errc::malformed_message));
  SendFrames(*raw, {std::string("\x0c\x00\x00\x00LNTP\xff\xff\xff\x7f", 12)});
  EXPECT_EQ(ErrorCode(*raw), static_cast<int>(wire::errc::malformed_message));
  HonestNodeIsServed();
}

TEST_F(BadInputTest, CommandsBeforeHelloAreRefused) {
  auto raw = Raw();
  SendFrames(*raw, {wire::EncodePublish(1), Referral()});
  EXPECT_EQ(ErrorCode(*raw), static_cast<int>(wire::errc::not_ready));
  EXPECT_EQ(broker_.broker().store().size(), 0u);
}

TEST_F(BadInputTest, TruncatedWrongIdentifierAndRandomEventsAreNackedInsideAValidBatch) {
  node::BrokerClient th(ctx_, testutil::NodeOptions(broker_.endpoint(), "th-node"));
  ASSERT_TRUE(th.Connect().ok());
  std::string good = Referral();
  std::string truncated = Referral();
  truncated.resize(truncated.size() / 2);
  std::string wrong_id = wire::EncodeHeartbeat(1);
  std::mt19937 rng(42);
  std::string random(300, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  random.replace(4, 4, "LNTE");
  auto out = testutil::PublishAndWait(th, {good, truncated, wrong_id, random, Referral()});
  EXPECT_TRUE(out[0].acked);
  EXPECT_EQ(out[1].code, static_cast<uint16_t>(wire::errc::event_unverifiable));
  EXPECT_EQ(out[2].code, static_cast<uint16_t>(wire::errc::wrong_identifier));
  EXPECT_EQ(out[3].code, static_cast<uint16_t>(wire::errc::event_unverifiable));
  EXPECT_TRUE(out[4].acked);
  EXPECT_EQ(broker_.broker().store().size(), 2u);
  acked_ = 2;
  HonestNodeIsServed();
}

// FlatBuffers offsets only point forward, so a hostile buffer cannot make a
// true cycle of tables; what it can do is alias (one table referenced from
// thousands of places, the verifier's work growing without the size) or
// point a table at itself through its signed vtable offset. Both are refused
// (the first by the verifier's limits, the second as an event without
// fields); the schema has no recursive table, so depth beyond the limit is
// tested on the verifier itself (verify_test).
TEST_F(BadInputTest, AliasedAndSelfReferencingTablesAreNackedInsideAValidBatch) {
  node::BrokerClient th(ctx_, testutil::NodeOptions(broker_.endpoint(), "th-node"));
  ASSERT_TRUE(th.Connect().ok());
  // 4000 attachments that are all the same table: 4000 tables to verify in
  // about 16 KB.
  std::string aliased;
  {
    flatbuffers::FlatBufferBuilder fbb;
    auto one = fb::CreateAttachment(fbb, fbb.CreateVector(std::vector<uint8_t>(32, 0xab)), 1,
                                    fbb.CreateString("application/pdf"),
                                    fbb.CreateString("lintas://th-node/a"));
    auto same = fbb.CreateVector(std::vector<flatbuffers::Offset<fb::Attachment>>(4000, one));
    auto origin = fb::CreateParty(fbb, fbb.CreateString("THA"), fbb.CreateString("th-rtp-atpd"));
    // A complete body, so that only the aliasing is wrong.
    fb::EventT example = wire::ExampleEvent(fb::Body::ReferralCreated, ids_.Next(), NowMicros());
    auto body = fb::ReferralCreated::Pack(fbb, example.body.AsReferralCreated());
    fb::Uuid id = ids_.Next().ToFb();
    fb::EventBuilder b(fbb);
    b.add_body_type(fb::Body::ReferralCreated);
    b.add_body(body.Union());
    b.add_id(&id);
    b.add_schema_version(1);
    b.add_created_at_us(NowMicros());
    b.add_origin(origin);
    b.add_attachments(same);
    fbb.Finish(b.Finish(), fb::EventIdentifier());
    aliased.assign(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  }
  // The root table's vtable offset set to 0: its vtable is itself.
  std::string self = Referral();
  uint32_t root = 0;
  std::memcpy(&root, self.data(), 4);
  std::memset(self.data() + root, 0, 4);
  auto out = testutil::PublishAndWait(th, {aliased, self, Referral()});
  EXPECT_EQ(out[0].code, static_cast<uint16_t>(wire::errc::event_unverifiable)) << out[0].message;
  // A vtable that is the table itself has size 0: a sound table with no
  // fields, so it lacks every required one (PROTOCOL.md 3: event_invalid,
  // naming the first).
  EXPECT_EQ(out[1].code, static_cast<uint16_t>(wire::errc::event_invalid)) << out[1].message;
  EXPECT_EQ(out[1].field, "id");
  EXPECT_TRUE(out[2].acked);
  EXPECT_EQ(broker_.broker().store().size(), 1u);
  acked_ = 1;
  HonestNodeIsServed();
}

TEST_F(BadInputTest, TooManyFramesIsRefusedWhole) {
  node::BrokerClient th(ctx_, testutil::NodeOptions(broker_.endpoint(), "th-node"));
  ASSERT_TRUE(th.Connect().ok());
  auto raw = Raw();
  SendFrames(*raw, {wire::EncodeHello("th-node", "THA", "raw")});
  std::vector<std::string> frames{wire::EncodePublish(1)};
  for (size_t i = 0; i < wire::kMaxBatch + 10; ++i) frames.push_back(Referral());
  SendFrames(*raw, frames);
  EXPECT_EQ(ErrorCode(*raw), static_cast<int>(wire::errc::batch_too_large));
  EXPECT_EQ(broker_.broker().store().size(), 0u);
}

TEST_F(BadInputTest, APackedPublishWhoseSizesDoNotCarveItsFrameIsRefusedWhole) {
  auto raw = Raw();
  SendFrames(*raw, {wire::EncodeHello("th-node", "THA", "raw")});
  std::string first = Referral();
  std::string second = Referral();
  std::string frame = first;
  frame.resize(wire::PackedRecordStart(frame.size()), '\0');
  frame += second;
  // The second event's size claims 64 bytes more than the frame holds.
  std::vector<uint32_t> sizes{static_cast<uint32_t>(first.size()),
                              static_cast<uint32_t>(second.size() + 64)};
  SendFrames(*raw, {wire::EncodePublish(1, sizes), frame});
  EXPECT_EQ(ErrorCode(*raw), static_cast<int>(wire::errc::malformed_message));
  EXPECT_EQ(broker_.broker().store().size(), 0u);  // neither event: the message is refused whole
  HonestNodeIsServed();  // its own, packed right, are taken
}

// A client that predates packing sends one frame per event: still taken
// (every test through BrokerClient publishes packed).
TEST_F(BadInputTest, AnUnpackedPublishFromAnOlderClientIsStillTaken) {
  auto raw = Raw();
  SendFrames(*raw, {wire::EncodeHello("th-node", "THA", "raw")});
  SendFrames(*raw, {wire::EncodePublish(1), Referral(), Referral()});
  std::set<uint64_t> acked;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (acked.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{raw->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, testutil::Remaining(deadline));
    if (!(item.revents & ZMQ_POLLIN)) break;
    std::vector<zmq::message_t> frames;
    for (bool more = true; more;) {
      zmq::message_t m;
      (void)raw->recv(m);
      more = m.more();
      frames.push_back(std::move(m));
    }
    auto control = wire::VerifyControl({frames[0].data<uint8_t>(), frames[0].size()});
    ASSERT_TRUE(control.ok());
    ASSERT_NE((*control)->command_type(), proto::Command::Error);
    if ((*control)->command_type() != proto::Command::Ack) continue;
    for (const auto* e : *(*control)->command_as_Ack()->entries()) acked.insert(e->seq());
  }
  EXPECT_EQ(acked, (std::set<uint64_t>{1, 2}));
  EXPECT_EQ(broker_.broker().store().size(), 2u);
}

TEST_F(BadInputTest, OversizedFrameDisconnectsThatPeerOnly) {
  auto raw = Raw();
  // Over ZMQ_MAXMSGSIZE: ZeroMQ drops the connection before the broker sees it.
  SendFrames(*raw, {std::string(wire::kMaxFrameBytes + 1, 'x')});
  HonestNodeIsServed();
  EXPECT_EQ(ErrorCode(*raw, 200ms), -1);
}

TEST_F(BadInputTest, OversizedEventUnderTheFrameCapIsNacked) {
  node::BrokerClient th(ctx_, testutil::NodeOptions(broker_.endpoint(), "th-node"));
  ASSERT_TRUE(th.Connect().ok());
  std::string big = testutil::MinimalReferral(ids_.Next(), "THA", "th-rtp-atpd", "KHM",
                                              "kh-mosvy", wire::kMaxEventBytes + 100);
  ASSERT_LE(big.size(), wire::kMaxFrameBytes);
  auto out = testutil::PublishAndWait(th, {big});
  ASSERT_TRUE(out[0].answered);
  EXPECT_EQ(out[0].code, static_cast<uint16_t>(wire::errc::message_too_large));
}

TEST_F(BadInputTest, RandomBytesAndTruncatedHandshakesOnTheTcpPortWhileANodePublishes) {
  // Parse the port out of tcp://127.0.0.1:PORT.
  std::string ep = broker_.endpoint();
  int port = std::stoi(ep.substr(ep.rfind(':') + 1));
  std::mt19937 rng(7);
  for (int i = 0; i < 50; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      std::string junk(1 + rng() % 2000, '\0');
      for (char& c : junk) c = static_cast<char>(rng());
      if (i % 5 == 0) junk = std::string("\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f", 10);  // a ZMTP greeting cut short
      (void)!write(fd, junk.data(), junk.size());
    }
    close(fd);
    if (i % 10 == 0) HonestNodeIsServed(20);
  }
  HonestNodeIsServed();
}

TEST_F(BadInputTest, ExcessCreditAndAcksForUnknownSubscriptionsAreRefused) {
  node::BrokerClient kh(ctx_, testutil::NodeOptions(broker_.endpoint(), "kh-node"));
  ASSERT_TRUE(kh.Connect().ok());
  ASSERT_TRUE(kh.SendControl(wire::EncodeDeliveryAck("nope", 99)).ok());
  auto deadline = std::chrono::steady_clock::now() + 5s;
  int code = -1;
  while (code < 0 && std::chrono::steady_clock::now() < deadline) {
    auto in = kh.Receive(100ms);
    if (in.ok() && in->has_value() && (*in)->command == proto::Command::Error) {
      code = (*in)->control()->command_as_Error()->code();
    }
  }
  EXPECT_EQ(code, static_cast<int>(wire::errc::unknown_subscription));
  HonestNodeIsServed();
}

TEST_F(BadInputTest, OneNodeCannotOpenUnboundedSubscriptionsOrReplays) {
  node::BrokerClient kh(ctx_, testutil::NodeOptions(broker_.endpoint(), "kh-node"));
  ASSERT_TRUE(kh.Connect().ok());
  for (int i = 0; i < 32; ++i) ASSERT_TRUE(testutil::Subscribe(kh, "s" + std::to_string(i)));
  EXPECT_FALSE(testutil::Subscribe(kh, "one-too-many"));
  EXPECT_TRUE(testutil::Subscribe(kh, "s0"));  // taking one over is not a new one
  HonestNodeIsServed();
}

}  // namespace
}  // namespace lintas
