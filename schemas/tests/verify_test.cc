// The verifier refuses everything that is not a well-formed buffer of the
// expected kind, within the limits, and says which check failed.
#include "lintas/wire/verify.h"

#include <random>

#include <gtest/gtest.h>

#include "lintas/wire/errc.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/json_codec.h"
#include "lintas/wire/record.h"
#include "testutil/sample_events.h"

namespace lintas::wire {
namespace {

class VerifyTest : public ::testing::Test {
 protected:
  std::string Sample(fb::Body type = fb::Body::ReferralCreated) {
    return testutil::PackEvent(testutil::SampleEvent(type, ids_.Next(), 1793491200000000));
  }
  EventIdGenerator ids_;
};

TEST_F(VerifyTest, AcceptsEverySampleBodyType) {
  for (fb::Body type : testutil::AllBodyTypes()) {
    std::string buf = Sample(type);
    auto event = VerifyEvent(AsBytes(buf));
    ASSERT_TRUE(event.ok()) << fb::EnumNameBody(type) << ": " << event.error().message;
    EXPECT_EQ((*event)->body_type(), type);
  }
}

TEST_F(VerifyTest, RefusesEveryTruncation) {
  std::string buf = Sample();
  for (size_t len = 0; len < buf.size(); ++len) {
    auto event = VerifyEvent(AsBytes(std::string_view(buf).substr(0, len)));
    ASSERT_FALSE(event.ok()) << "prefix of " << len << " bytes accepted";
    EXPECT_FALSE(event.error().message.empty());
  }
}

TEST_F(VerifyTest, RefusesOversizedEventNamingTheLimit) {
  EventIdGenerator ids;
  std::string big = testutil::MinimalReferral(ids.Next(), "THA", "th-rtp-atpd", "KHM", "kh-mosvy",
                                              kMaxEventBytes + 1);
  auto event = VerifyEvent(AsBytes(big));
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().code, errc::message_too_large);
  EXPECT_NE(event.error().message.find("262144"), std::string::npos) << event.error().message;
}

TEST_F(VerifyTest, RefusesNestingDeeperThanTheLimit) {
  std::string buf = Sample();
  VerifyLimits shallow;
  shallow.max_depth = 2;
  auto event = VerifyEvent(AsBytes(buf), shallow);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().code, errc::event_unverifiable);
  EXPECT_NE(event.error().message.find("deeper"), std::string::npos) << event.error().message;
}

TEST_F(VerifyTest, RefusesMoreTablesThanTheLimit) {
  fb::EventT e = testutil::SampleEvent(fb::Body::ReferralCreated, ids_.Next(), 1793491200000000);
  for (uint32_t i = 0; i < kVerifyMaxTables; ++i) {
    auto d = std::make_unique<fb::DestinationT>();
    d->country = "KHM";
    d->role = fb::Role::Police;
    e.destinations.push_back(std::move(d));
  }
  std::string buf = testutil::PackEvent(e);
  ASSERT_LT(buf.size(), kMaxEventBytes);
  auto event = VerifyEvent(AsBytes(buf));
  ASSERT_FALSE(event.ok());
  EXPECT_NE(event.error().message.find("tables"), std::string::npos) << event.error().message;
}

TEST_F(VerifyTest, RefusesRandomBuffersWithAndWithoutTheIdentifier) {
  std::mt19937 rng(20261128);
  int refused = 0;
  constexpr int kRounds = 20000;
  for (int i = 0; i < kRounds; ++i) {
    std::string buf(rng() % 512, '\0');
    for (char& c : buf) c = static_cast<char>(rng());
    if (i % 2 == 0 && buf.size() >= 8) buf.replace(4, 4, fb::EventIdentifier());
    if (!VerifyEvent(AsBytes(buf)).ok()) ++refused;
  }
  EXPECT_EQ(refused, kRounds);
}

TEST_F(VerifyTest, RandomCorruptionOfAValidEventIsRefusedOrStillSafeToRead) {
  std::string good = Sample();
  std::mt19937 rng(7);
  JsonCodec codec;
  int refused = 0;
  int readable = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string buf = good;
    buf[rng() % buf.size()] = static_cast<char>(rng());
    auto event = VerifyEvent(AsBytes(buf));
    if (!event.ok()) {
      ++refused;
      continue;
    }
    // A changed byte inside a string or scalar still makes a valid buffer: it
    // must then be readable end to end (under ASan: without leaving it).
    (void)codec.ToJson(AsBytes(buf));
    EXPECT_LE((*event)->origin()->country()->size(), buf.size());
    ++readable;
  }
  EXPECT_GT(refused, 0);   // offsets and lengths were hit and caught
  EXPECT_GT(readable, 0);  // and payload bytes were hit and tolerated
}

TEST_F(VerifyTest, RefusesAControlFrameAsAnEvent) {
  std::string hb = EncodeHeartbeat(1);
  auto event = VerifyEvent(AsBytes(hb));
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().code, errc::wrong_identifier);
}

// PROTOCOL.md section 7: a required field missing is event_invalid, and
// `field` names it; event_unverifiable is for buffers that are not sound.
TEST_F(VerifyTest, MissingRequiredFieldInsideATableIsInvalidAndNamed) {
  std::string incomplete = testutil::WithoutVictimPseudonym(Sample());
  auto event = VerifyEvent(AsBytes(incomplete));
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().code, errc::event_invalid) << event.error().message;
  EXPECT_EQ(event.error().field, "body.victim.pseudonym");
  // Truncated, the same buffer is not sound: unverifiable, no field.
  auto truncated = VerifyEvent(AsBytes(std::string_view(incomplete).substr(0, 40)));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, errc::event_unverifiable);
  EXPECT_TRUE(truncated.error().field.empty());
}

// PROTOCOL.md section 3: frame 0 without "LNTP" is refused as
// malformed_message; wrong_identifier is for payloads.
TEST_F(VerifyTest, ControlFrameWithoutItsIdentifierIsMalformed) {
  std::string event = Sample();
  auto control = VerifyControl(AsBytes(event));
  ASSERT_FALSE(control.ok());
  EXPECT_EQ(control.error().code, errc::malformed_message);
}

TEST_F(VerifyTest, RecordVerificationCoversTheEmbeddedEvent) {
  std::string event = Sample();
  auto build = [](std::string_view ev) {
    return EncodeRecord(42, 1793491200000000, PublisherInfo{"th-node", "THA", ""}, AsBytes(ev));
  };
  std::string good = build(event);
  auto record = VerifyRecord(AsBytes(good));
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ((*record)->offset(), 42u);
  EXPECT_TRUE(VerifyEvent(RecordEventBytes(**record)).ok());

  std::string bad = build(event.substr(0, event.size() / 2));
  auto refused = VerifyRecord(AsBytes(bad));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("stored record"), std::string::npos);
}

}  // namespace
}  // namespace lintas::wire
