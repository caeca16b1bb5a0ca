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

// Records packed into one frame, each 8-aligned, the padding zero.
std::string Pack(const std::vector<std::string>& records) {
  std::string frame;
  for (const auto& r : records) {
    frame.resize(PackedRecordStart(frame.size()), '\0');
    frame += r;
  }
  return frame;
}

TEST(FrameTest, APackedDeliverIsCarvedIntoItsRecords) {
  std::vector<uint64_t> offsets{7, 9, 12};
  std::vector<uint32_t> sizes{5, 11, 3};
  // Two frames: "rec-7" and the 11-byte record in one, the third alone.
  Frames m({EncodeDeliver("inbox", 0, offsets, sizes), Pack({"rec-7", "record-nine"}), "r12"});
  auto view = m.Decode();
  ASSERT_TRUE(view.ok()) << view.error().message;
  ASSERT_EQ(view->payloads.size(), 3u);
  auto text = [](std::span<const uint8_t> p) { return std::string(p.begin(), p.end()); };
  EXPECT_EQ(text(view->payloads[0]), "rec-7");
  EXPECT_EQ(text(view->payloads[1]), "record-nine");
  EXPECT_EQ(text(view->payloads[2]), "r12");
  EXPECT_EQ(view->payloads[1].data() - view->payloads[0].data(), 8);
}

TEST(FrameTest, APackedDeliverWhoseSizesDoNotCarveItsFramesIsRefused) {
  std::vector<uint64_t> offsets{7, 9};
  auto refused = [&](std::vector<uint32_t> sizes, std::vector<std::string> payloads) {
    std::vector<std::string> frames{EncodeDeliver("inbox", 0, offsets, sizes)};
    frames.insert(frames.end(), payloads.begin(), payloads.end());
    Frames m(frames);
    auto view = m.Decode();
    if (view.ok()) return std::string("accepted");
    EXPECT_EQ(view.error().code, errc::malformed_message);
    return view.error().message;
  };
  std::string both = Pack({"rec-7", "rec-9"});
  EXPECT_EQ(refused({5, 5}, {both}), "accepted");
  EXPECT_NE(refused({5}, {both}).find("record_sizes: 1 sizes for 2 offsets"), std::string::npos);
  EXPECT_NE(refused({5, 6}, {both}).find("record_sizes[1]"), std::string::npos);
  EXPECT_NE(refused({5, 4}, {both}).find("more than the sizes say"), std::string::npos);
  EXPECT_NE(refused({5, 5}, {both + "x"}).find("more than the sizes say"), std::string::npos);
  // Zero padding after a frame's last record is bytes the sizes do not name.
  EXPECT_NE(refused({5, 5}, {both + std::string(3, '\0')}).find("more than the sizes say"),
            std::string::npos);
  std::string padded = Pack({"rec-7"}) + std::string(3, '\0');
  EXPECT_NE(refused({5, 5}, {padded, "rec-9"}).find("record_sizes[1]"), std::string::npos);
  EXPECT_NE(refused({5, 5}, {Pack({"rec-7", "rec-9", "rec-12"})}).find("more than the sizes say"),
            std::string::npos);
  EXPECT_NE(refused({5, 0}, {both}).find("record_sizes[1]"), std::string::npos);
  std::string dirty = both;
  dirty[6] = 'x';  // in the padding after "rec-7"
  EXPECT_NE(refused({5, 5}, {dirty}).find("padding is not zero"), std::string::npos);
  EXPECT_NE(refused({5, 5}, {"rec-7", ""}).find("record_sizes[1]"), std::string::npos);
  EXPECT_NE(refused({5, 5}, {"rec-7", "rec-9", "extra"}).find("packed Deliver"), std::string::npos);
}

TEST(FrameTest, APackedPublishIsCarvedIntoItsEvents) {
  std::vector<std::string> events{"event-one", "e2", std::string(300, 'x')};
  std::vector<uint32_t> sizes{9, 2, 300};
  std::vector<PackedFrame> layout = PackFrames(sizes);
  ASSERT_EQ(layout.size(), 1u);
  EXPECT_EQ(layout[0].bytes, 16u + 8u + 300u);
  std::string frame(layout[0].bytes, '?');
  WritePackedFrame(layout[0], [&](size_t i) { return AsBytes(events[i]); },
                   reinterpret_cast<uint8_t*>(frame.data()));
  Frames m({EncodePublish(41, sizes), frame});
  auto view = m.Decode();
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view->control->command_as_Publish()->first_seq(), 41u);
  ASSERT_EQ(view->payloads.size(), 3u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(std::string(view->payloads[i].begin(), view->payloads[i].end()), events[i]);
  }
  std::vector<uint32_t> wrong{9, 2, 301};
  Frames bad({EncodePublish(41, wrong), frame});
  auto refused = bad.Decode();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, errc::malformed_message);
  EXPECT_NE(refused.error().message.find("event_sizes[2]"), std::string::npos)
      << refused.error().message;
}

TEST(FrameTest, PackedFramesStayUnderTheFrameCap) {
  // Three events of 100 KiB: two fit a frame of kMaxFrameBytes, the third
  // starts the next.
  std::vector<uint32_t> sizes(3, 100 * 1024);
  std::vector<PackedFrame> layout = PackFrames(sizes);
  ASSERT_EQ(layout.size(), 2u);
  EXPECT_EQ(layout[0].first, 0u);
  EXPECT_EQ(layout[0].end, 2u);
  EXPECT_EQ(layout[1].first, 2u);
  EXPECT_EQ(layout[1].end, 3u);
  for (const auto& f : layout) EXPECT_LE(f.bytes, kMaxFrameBytes);
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
