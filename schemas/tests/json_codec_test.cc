// JSON <-> binary through the schema: lossless for every body type, and bad
// JSON gets an error that names the problem.
#include "lintas/wire/json_codec.h"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lintas/wire/errc.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"
#include "testutil/sample_events.h"

namespace lintas::wire {
namespace {

constexpr int64_t kNow = 1793491200000000;

TEST(JsonCodecTest, EveryBodyTypeRoundTripsJsonBinaryJson) {
  JsonCodec codec;
  EventIdGenerator ids;
  for (fb::Body type : testutil::AllBodyTypes()) {
    SCOPED_TRACE(fb::EnumNameBody(type));
    std::string original = testutil::PackEvent(testutil::SampleEvent(type, ids.Next(), kNow));
    auto json = codec.ToJson(AsBytes(original));
    ASSERT_TRUE(json.ok()) << json.error().message;
    EXPECT_EQ(nlohmann::json::parse(*json)["body_type"], fb::EnumNameBody(type));

    auto binary = codec.FromJson(*json);
    ASSERT_TRUE(binary.ok()) << binary.error().message;
    auto event = VerifyEvent(AsBytes(*binary));
    ASSERT_TRUE(event.ok()) << event.error().message;
    EXPECT_TRUE(ValidateEvent(**event).ok());

    auto again = codec.ToJson(AsBytes(*binary));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(nlohmann::json::parse(*again), nlohmann::json::parse(*json));
    // Unpacked objects are equal too: nothing was lost or changed.
    fb::EventT a, b;
    fb::GetEvent(original.data())->UnPackTo(&a);
    (*event)->UnPackTo(&b);
    EXPECT_EQ(testutil::PackEvent(a), testutil::PackEvent(b));
  }
}

TEST(JsonCodecTest, NonAsciiTextSurvives) {
  JsonCodec codec;
  EventIdGenerator ids;
  fb::EventT e = testutil::SampleEvent(fb::Body::ReferralCreated, ids.Next(), kNow);
  e.body.AsReferralCreated()->summary = "ผู้เสียหาย ជនរងគ្រោះ nạn nhân";
  std::string buf = testutil::PackEvent(e);
  auto json = codec.ToJson(AsBytes(buf));
  ASSERT_TRUE(json.ok());
  auto back = codec.FromJson(*json);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(fb::GetEvent(back->data())->body_as_ReferralCreated()->summary()->str(),
            "ผู้เสียหาย ជនរងគ្រោះ nạn nhân");
}

// Free text with control characters (a terminal escape, a line break) is
// valid JSON once converted, and comes back byte for byte.
TEST(JsonCodecTest, ControlCharactersInTextStayValidJson) {
  JsonCodec codec;
  EventIdGenerator ids;
  fb::EventT e = testutil::SampleEvent(fb::Body::ReferralCreated, ids.Next(), kNow);
  const std::string hostile = "line one\nforged: \x1b[31mred\x01\ttab";
  e.body.AsReferralCreated()->summary = hostile;
  std::string buf = testutil::PackEvent(e);
  auto json = codec.ToJson(AsBytes(buf));
  ASSERT_TRUE(json.ok());
  auto parsed = nlohmann::json::parse(*json, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << *json;
  EXPECT_EQ(parsed["body"]["summary"], hostile);
  auto back = codec.FromJson(*json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(fb::GetEvent(back->data())->body_as_ReferralCreated()->summary()->str(), hostile);
}

TEST(JsonCodecTest, UnknownFieldIsRefusedByName) {
  JsonCodec codec;
  auto r = codec.FromJson(R"({"origin":{"country":"THA","agency":"x"},"colour":"red"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, errc::json_invalid);
  EXPECT_NE(r.error().message.find("colour"), std::string::npos) << r.error().message;
}

TEST(JsonCodecTest, MissingRequiredFieldIsRefused) {
  JsonCodec codec;
  // No origin: the schema marks it required.
  auto r = codec.FromJson(
      R"({"id":{"bytes":[1,2,3,4,5,6,112,8,128,10,11,12,13,14,15,16]},)"
      R"("body_type":"ReadReceipt","body":{"reader":"officer-1"}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, errc::json_invalid);
  EXPECT_NE(r.error().message.find("origin"), std::string::npos) << r.error().message;
}

TEST(JsonCodecTest, MalformedJsonIsRefusedWithAPosition) {
  JsonCodec codec;
  auto r = codec.FromJson(R"({"origin": {"country": "THA",)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, errc::json_invalid);
  EXPECT_NE(r.error().message.find("line"), std::string::npos) << r.error().message;
}

TEST(JsonCodecTest, WrongEnumNameIsRefused) {
  JsonCodec codec;
  auto r = codec.FromJson(R"({"priority":"Whenever"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("Whenever"), std::string::npos) << r.error().message;
}

TEST(JsonCodecTest, OversizedJsonIsRefusedBeforeParsing) {
  JsonCodec codec;
  std::string huge(kMaxJsonBytes + 1, ' ');
  auto r = codec.FromJson(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, errc::message_too_large);
}

TEST(JsonCodecTest, ToJsonRefusesGarbage) {
  JsonCodec codec;
  std::string garbage = "LNTEgarbage-garbage-garbage";
  EXPECT_FALSE(codec.ToJson(AsBytes(garbage)).ok());
}

// Regression (tests/fuzz/event_fuzz): a verifiable event whose body has no
// body_type crashed flatbuffers' JSON printer.
TEST(JsonCodecTest, ToJsonRefusesABodyWithoutItsType) {
  std::ifstream in(std::string(LINTAS_SOURCE_DIR) + "/tests/fuzz/regressions/event-body-without-type.bin",
                   std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(bytes.empty());
  ASSERT_TRUE(VerifyEvent(AsBytes(bytes)).ok());  // the verifier lets it through...
  JsonCodec codec;
  auto json = codec.ToJson(AsBytes(bytes));         // ...the printer must not see it
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().field, "body_type");
}

TEST(JsonCodecTest, ParserIsReusableAfterAnError) {
  JsonCodec codec;
  EventIdGenerator ids;
  std::string buf = testutil::PackEvent(
      testutil::SampleEvent(fb::Body::AlertPublished, ids.Next(), kNow));
  auto json = codec.ToJson(AsBytes(buf));
  ASSERT_TRUE(json.ok());
  ASSERT_FALSE(codec.FromJson("{nonsense").ok());
  auto ok = codec.FromJson(*json);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
}

TEST(JsonCodecTest, ControlFramesRoundTrip) {
  JsonCodec codec(SchemaKind::kControl);
  proto::ControlT control;
  proto::SubscribeT sub;
  sub.subscription = "alerts-forced-criminality";
  sub.filter = std::make_unique<proto::FilterT>();
  sub.filter->origin_countries = {"THA", "KHM"};
  sub.filter->alert_categories = {static_cast<uint8_t>(fb::AlertCategory::ForcedCriminality)};
  sub.start = proto::StartPosition::Beginning;
  sub.credit = 64;
  control.command.Set(std::move(sub));
  std::string bytes = EncodeControl(control);
  auto json = codec.ToJson(AsBytes(bytes));
  ASSERT_TRUE(json.ok()) << json.error().message;
  auto back = codec.FromJson(*json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, bytes);
}

}  // namespace
}  // namespace lintas::wire
