// The frame codec: every command round-trips, and every malformed message is
// refused with the right code before any of it is used.
#include "lintas/wire/frame.h"

#include <gtest/gtest.h>

#include "lintas/wire/json_codec.h"
#include "lintas/wire/limits.h"

namespace lintas::wire {
namespace {

// Owns the frames of a message and hands out the views DecodeMessage takes.
struct Frames {
  std::vector<std::string> data;
  std::vector<std::span<const uint8_t>> views;
  explicit Frames(std::vector<std::string> frames) : data(std::move(frames)) {
    for (const auto& f : data) views.push_back(AsBytes(f));
  }
  Result<MessageView> Decode() const { return DecodeMessage(views); }
};

TEST(FrameTest, HelloRoundTrips) {
  Frames m({EncodeHello("th-node-1", "THA", "lintas-node/0.1.0")});
  auto view = m.Decode();
  ASSERT_TRUE(view.ok()) << view.error().message;
  ASSERT_EQ(view->command, proto::Command::Hello);
  const auto* hello = view->control->command_as_Hello();
  EXPECT_EQ(hello->node_id()->str(), "th-node-1");
  EXPECT_EQ(hello->country()->str(), "THA");
  auto version = NegotiateVersion(*hello->versions());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, kProtocolVersion);
}

TEST(FrameTest, PublishCarriesItsEvents) {
  Frames m({EncodePublish(41), "event-a", "event-b", "event-c"});
  auto view = m.Decode();
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view->control->command_as_Publish()->first_seq(), 41u);
  ASSERT_EQ(view->payloads.size(), 3u);
  EXPECT_EQ(std::string(view->payloads[2].begin(), view->payloads[2].end()), "event-c");
}

TEST(FrameTest, AckEntriesRoundTrip) {
  std::vector<proto::AckEntry> entries{{1, 100, false}, {2, 57, true}};
  Frames m({EncodeAck(entries)});
  auto view = m.Decode();
  ASSERT_TRUE(view.ok());
  const auto* acks = view->control->command_as_Ack()->entries();
  ASSERT_EQ(acks->size(), 2u);
  EXPECT_EQ(acks->Get(1)->seq(), 2u);
  EXPECT_EQ(acks->Get(1)->offset(), 57u);
  EXPECT_TRUE(acks->Get(1)->duplicate());
}

TEST(FrameTest, NackCarriesCodeMessageAndField) {
  Frames m({EncodeNack(9, Error{errc::origin_mismatch, "origin.country: KHM is not THA",
                                "origin.country"})});
  auto view = m.Decode();
  ASSERT_TRUE(view.ok());
  const auto* nack = view->control->command_as_Nack();
  EXPECT_EQ(nack->seq(), 9u);
  EXPECT_EQ(nack->code(), static_cast<uint16_t>(errc::origin_mismatch));
  EXPECT_EQ(nack->field()->str(), "origin.country");
  EXPECT_EQ(nack->message()->str(), "origin.country: KHM is not THA");
}

TEST(FrameTest, ForeignErrorCodesBecomeInternal) {
  Frames m({EncodeNack(1, Error{std::make_error_code(std::errc::io_error), "disk"})});
  auto view = m.Decode();
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->control->command_as_Nack()->code(), static_cast<uint16_t>(errc::internal));
}

TEST(FrameTest, DeliverOffsetsMatchRecords) {
  std::vector<uint64_t> offsets{7, 9};
  Frames ok({EncodeDeliver("inbox", 0, offsets), "rec-7", "rec-9"});
  auto view = ok.Decode();
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view->control->command_as_Deliver()->offsets()->Get(1), 9u);

  Frames short_by_one({EncodeDeliver("inbox", 0, offsets), "rec-7"});
  auto refused = short_by_one.Decode();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, errc::malformed_message);
}

TEST(FrameTest, SmallCommandsRoundTrip) {
  {
    Frames m({EncodeDeliveryAck("inbox", 77)});
    auto v = m.Decode();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->control->command_as_DeliveryAck()->offset(), 77u);
  }
  {
    Frames m({EncodeCredit("alerts", 0, 512)});
    auto v = m.Decode();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->control->command_as_Credit()->credit(), 512u);
  }
  {
    Frames m({EncodeHeartbeat(123456)});
    auto v = m.Decode();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->control->command_as_Heartbeat()->sent_at_us(), 123456);
  }
  {
    Frames m({EncodeError(errc::not_ready, "say Hello first")});
    auto v = m.Decode();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->control->command_as_Error()->code(), static_cast<uint16_t>(errc::not_ready));
  }
}

TEST(FrameTest, ObjectApiCommandsRoundTrip) {
  proto::ControlT control;
  proto::ReplayT replay;
  replay.replay_id = 3;
  replay.case_id = "TH-2026-0192";
  replay.justification = "DPO request 2026-17";
  control.command.Set(std::move(replay));
  Frames m({EncodeControl(control)});
  auto v = m.Decode();
  ASSERT_TRUE(v.ok());
  const auto* r = v->control->command_as_Replay();
  EXPECT_EQ(r->case_id()->str(), "TH-2026-0192");
  EXPECT_EQ(r->to_offset(), UINT64_MAX);
}

TEST(FrameTest, RefusesEmptyMessage) {
  Frames m({});
  auto v = m.Decode();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, errc::malformed_message);
}

TEST(FrameTest, RefusesPublishWithoutEvents) {
  Frames m({EncodePublish(1)});
  auto v = m.Decode();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, errc::malformed_message);
}

TEST(FrameTest, RefusesPayloadOnACommandThatHasNone) {
  Frames m({EncodeHeartbeat(1), "smuggled"});
  auto v = m.Decode();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, errc::malformed_message);
}

TEST(FrameTest, RefusesTooManyEventsInOnePublish) {
  std::vector<std::string> frames{EncodePublish(1)};
  frames.resize(kMaxBatch + 2, "e");
  Frames m(frames);
  auto v = m.Decode();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, errc::batch_too_large);
}

TEST(FrameTest, RefusesOversizedFrame) {
  Frames m({EncodePublish(1), std::string(kMaxFrameBytes + 1, 'x')});
  auto v = m.Decode();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, errc::message_too_large);
}

TEST(FrameTest, RefusesOversizedMessage) {
  std::vector<std::string> frames{EncodePublish(1)};
  for (size_t total = 0; total <= kMaxMessageBytes; total += kMaxFrameBytes) {
    frames.emplace_back(kMaxFrameBytes, 'x');
  }
  Frames m(frames);
  auto v = m.Decode();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, errc::message_too_large);
}

TEST(FrameTest, RefusesGarbageControlFrames) {
  for (std::string garbage : {std::string(""), std::string("x"), std::string("LNTPLNTP"),
                              std::string(64, '\xff')}) {
    Frames m({garbage});
    auto v = m.Decode();
    ASSERT_FALSE(v.ok()) << garbage;
  }
  Frames wrong_id({std::string("\x08\x00\x00\x00LNTE\x00\x00\x00\x00", 12)});
  auto v = wrong_id.Decode();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, errc::malformed_message);  // PROTOCOL.md sections 3 and 7
}

TEST(FrameTest, RefusesNoCommonVersion) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<uint16_t> versions{7, 8};
  auto hello = proto::CreateHelloDirect(fbb, &versions, "n", "THA");
  fbb.Finish(proto::CreateControl(fbb, proto::Command::Hello, hello.Union()),
             proto::ControlIdentifier());
  auto control = proto::GetControl(fbb.GetBufferPointer());
  auto version = NegotiateVersion(*control->command_as_Hello()->versions());
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().code, errc::unsupported_version);
}

}  // namespace
}  // namespace lintas::wire
