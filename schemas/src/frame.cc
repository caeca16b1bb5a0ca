// Frame codec.
#include "lintas/wire/frame.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "lintas/wire/limits.h"
#include "lintas/wire/verify.h"

namespace lintas::wire {
namespace {

std::string Finish(flatbuffers::FlatBufferBuilder& fbb, proto::Command type,
                   flatbuffers::Offset<void> command) {
  fbb.Finish(proto::CreateControl(fbb, type, command), proto::ControlIdentifier());
  return {reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()};
}

// How many payload frames a command carries, given its control table.
Status CheckPayloadCount(const proto::Control& control, size_t payloads) {
  switch (control.command_type()) {
    case proto::Command::Publish:
      if (const auto* sizes = control.command_as_Publish()->event_sizes()) {
        // Packed: whole events to a frame, at least one in each.
        if (payloads == 0 || sizes->size() > kMaxBatch || payloads > sizes->size()) {
          return Error{errc::malformed_message,
                       fmt::format("packed Publish lists {} events (1..{}) in {} frames",
                                   sizes->size(), kMaxBatch, payloads)};
        }
        return OkStatus();
      }
      if (payloads == 0) {
        return Error{errc::malformed_message, "Publish carries no event frame"};
      }
      if (payloads > kMaxBatch) {
        return Error{errc::batch_too_large,
                     fmt::format("Publish carries {} events; the limit is {}", payloads,
                                 kMaxBatch)};
      }
      return OkStatus();
    case proto::Command::Deliver: {
      size_t offsets = control.command_as_Deliver()->offsets()->size();
      if (control.command_as_Deliver()->record_sizes() != nullptr) {
        // Packed: whole records to a frame, at least one in each.
        if (payloads == 0 || offsets > kMaxBatch || payloads > offsets) {
          return Error{errc::malformed_message,
                       fmt::format("packed Deliver lists {} offsets (1..{}) in {} frames", offsets,
                                   kMaxBatch, payloads)};
        }
        return OkStatus();
      }
      if (payloads == 0 || payloads > kMaxBatch || payloads != offsets) {
        return Error{errc::malformed_message,
                     fmt::format("Deliver lists {} offsets but carries {} records (1..{})",
                                 offsets, payloads, kMaxBatch)};
      }
      return OkStatus();
    }
    case proto::Command::AuditReply:
      if (payloads > kMaxBatch) {
        return Error{errc::batch_too_large,
                     fmt::format("AuditReply carries {} records; the limit is {}", payloads,
                                 kMaxBatch)};
      }
      return OkStatus();
    default:
      if (payloads != 0) {
        return Error{errc::malformed_message,
                     fmt::format("{} carries no payload, but {} frames followed",
                                 CommandName(control.command_type()), payloads)};
      }
      return OkStatus();
  }
}

// A packed message's payloads (docs/PROTOCOL.md 4.2, 4.3): `sizes` (the
// field `field`) carves the frames into payloads exactly, each starting
// 8-aligned within its frame, the padding between them zero, no frame empty
// or with bytes after its last payload.
Status Unpack(const flatbuffers::Vector<uint32_t>& sizes, std::string_view field,
              std::span<const std::span<const uint8_t>> frames, MessageView* view) {
  size_t frame = 0;
  size_t end = 0;  // the bytes of frames[frame] used so far
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (frame < frames.size() && end > 0 && end == frames[frame].size()) {
      ++frame;  // this frame is used up: the next payload starts the next one
      end = 0;
    }
    size_t size = sizes.Get(i);
    size_t start = PackedRecordStart(end);
    if (frame >= frames.size() || size == 0 || start > frames[frame].size() ||
        size > frames[frame].size() - start) {
      return Error{errc::malformed_message,
                   fmt::format("{}[{}]: {} bytes do not fit the frames", field, i, size)};
    }
    const std::span<const uint8_t>& f = frames[frame];
    auto padding = f.subspan(end, start - end);
    if (std::any_of(padding.begin(), padding.end(), [](uint8_t b) { return b != 0; })) {
      return Error{errc::malformed_message, fmt::format("{}[{}]: padding is not zero", field, i)};
    }
    view->payloads.push_back(f.subspan(start, size));
    view->payload_frames.push_back(frame + 1);
    end = start + size;
  }
  if (frame + 1 != frames.size() || end != frames[frame].size()) {
    return Error{errc::malformed_message,
                 fmt::format("{}: the frames hold more than the sizes say", field)};
  }
  return OkStatus();
}

}  // namespace

Result<MessageView> DecodeMessage(std::span<const std::span<const uint8_t>> frames) {
  if (frames.empty()) return Error{errc::malformed_message, "empty message"};
  if (frames.size() > kMaxBatch + 1) {
    return Error{errc::batch_too_large,
                 fmt::format("message of {} frames exceeds the limit of {}", frames.size(),
                             kMaxBatch + 1)};
  }
  size_t total = 0;
  for (const auto& frame : frames) {
    if (frame.size() > kMaxFrameBytes) {
      return Error{errc::message_too_large,
                   fmt::format("frame of {} bytes exceeds the limit of {} bytes", frame.size(),
                               kMaxFrameBytes)};
    }
    total += frame.size();
  }
  if (total > kMaxMessageBytes) {
    return Error{errc::message_too_large,
                 fmt::format("message of {} bytes exceeds the limit of {} bytes", total,
                             kMaxMessageBytes)};
  }
  auto control = VerifyControl(frames[0]);
  if (!control.ok()) return std::move(control).error();
  proto::Command command = (*control)->command_type();
  if (command == proto::Command::NONE || command > proto::Command::MAX) {
    return Error{errc::malformed_message,
                 fmt::format("unknown command {}", static_cast<int>(command))};
  }
  if (auto s = CheckPayloadCount(**control, frames.size() - 1); !s.ok()) {
    return std::move(s).error();
  }
  MessageView view;
  view.control = *control;
  view.command = command;
  const proto::Deliver* deliver = (*control)->command_as_Deliver();
  if (deliver != nullptr && deliver->record_sizes() != nullptr) {
    const auto& sizes = *deliver->record_sizes();
    if (sizes.size() != deliver->offsets()->size()) {
      return Error{errc::malformed_message,
                   fmt::format("record_sizes: {} sizes for {} offsets", sizes.size(),
                               deliver->offsets()->size())};
    }
    auto s = Unpack(sizes, "record_sizes", frames.subspan(1), &view);
    if (!s.ok()) return std::move(s).error();
    return view;
  }
  const proto::Publish* publish = (*control)->command_as_Publish();
  if (publish != nullptr && publish->event_sizes() != nullptr) {
    auto s = Unpack(*publish->event_sizes(), "event_sizes", frames.subspan(1), &view);
    if (!s.ok()) return std::move(s).error();
    return view;
  }
  view.payloads.assign(frames.begin() + 1, frames.end());
  for (size_t i = 1; i < frames.size(); ++i) view.payload_frames.push_back(i);
  return view;
}

Result<uint16_t> NegotiateVersion(const flatbuffers::Vector<uint16_t>& offered) {
  uint16_t best = 0;
  for (uint16_t v : offered) {
    if (v >= 1 && v <= kProtocolVersion) best = std::max(best, v);
  }
  if (best == 0) {
    return Error{errc::unsupported_version,
                 fmt::format("no protocol version in common; this broker speaks 1..{}",
                             kProtocolVersion)};
  }
  return best;
}

std::string EncodeControl(const proto::ControlT& control) {
  flatbuffers::FlatBufferBuilder fbb(256);
  fbb.Finish(proto::Control::Pack(fbb, &control), proto::ControlIdentifier());
  return {reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()};
}

std::string EncodeHello(std::string_view node_id, std::string_view country,
                        std::string_view software, std::span<const uint8_t> seal_public_key) {
  flatbuffers::FlatBufferBuilder fbb(192);
  std::vector<uint16_t> versions{kProtocolVersion};
  std::vector<uint8_t> seal_key(seal_public_key.begin(), seal_public_key.end());
  auto hello = proto::CreateHelloDirect(fbb, &versions, std::string(node_id).c_str(),
                                        std::string(country).c_str(),
                                        std::string(software).c_str(),
                                        seal_key.empty() ? nullptr : &seal_key);
  return Finish(fbb, proto::Command::Hello, hello.Union());
}

std::string EncodePublish(uint64_t first_seq,
                          std::optional<std::span<const uint32_t>> event_sizes) {
  flatbuffers::FlatBufferBuilder fbb(event_sizes ? 64 + event_sizes->size() * 4 : 64);
  flatbuffers::Offset<flatbuffers::Vector<uint32_t>> sizes;
  if (event_sizes) sizes = fbb.CreateVector(event_sizes->data(), event_sizes->size());
  return Finish(fbb, proto::Command::Publish, proto::CreatePublish(fbb, first_seq, sizes).Union());
}

std::string EncodeAck(std::span<const proto::AckEntry> entries) {
  flatbuffers::FlatBufferBuilder fbb(64 + entries.size() * sizeof(proto::AckEntry));
  auto vec = fbb.CreateVectorOfStructs(entries.data(), entries.size());
  return Finish(fbb, proto::Command::Ack, proto::CreateAck(fbb, vec).Union());
}

std::string EncodeAck(std::span<const proto::AckEntry> entries, std::span<const uint8_t> receipt_hashes,
                      int64_t receipt_time_us, std::span<const uint8_t> signature) {
  flatbuffers::FlatBufferBuilder fbb(128 + entries.size() * sizeof(proto::AckEntry) + receipt_hashes.size() +
                                     signature.size());
  auto vec = fbb.CreateVectorOfStructs(entries.data(), entries.size());
  auto hashes = fbb.CreateVector(receipt_hashes.data(), receipt_hashes.size());
  auto sig = fbb.CreateVector(signature.data(), signature.size());
  return Finish(fbb, proto::Command::Ack, proto::CreateAck(fbb, vec, hashes, receipt_time_us, sig).Union());
}

std::string EncodeNack(uint64_t seq, const Error& error) {
  flatbuffers::FlatBufferBuilder fbb(256);
  auto message = fbb.CreateString(error.message);
  auto field = error.field.empty() ? 0 : fbb.CreateString(error.field);
  uint16_t code = error.code.category() == WireCategory() ? static_cast<uint16_t>(error.code.value())
                                                          : static_cast<uint16_t>(errc::internal);
  return Finish(fbb, proto::Command::Nack,
                proto::CreateNack(fbb, seq, code, message,
                                  flatbuffers::Offset<flatbuffers::String>(field))
                    .Union());
}

std::string EncodeDeliver(std::string_view subscription, uint64_t replay_id,
                          std::span<const uint64_t> offsets,
                          std::optional<std::span<const uint32_t>> record_sizes) {
  flatbuffers::FlatBufferBuilder fbb(64 + subscription.size() + offsets.size() * 12);
  auto sub = fbb.CreateString(subscription);
  auto offs = fbb.CreateVector(offsets.data(), offsets.size());
  flatbuffers::Offset<flatbuffers::Vector<uint32_t>> sizes;
  if (record_sizes) sizes = fbb.CreateVector(record_sizes->data(), record_sizes->size());
  return Finish(fbb, proto::Command::Deliver,
                proto::CreateDeliver(fbb, sub, replay_id, offs, sizes).Union());
}

size_t PackedRecordStart(size_t frame_bytes) { return (frame_bytes + 7) & ~size_t{7}; }

std::vector<PackedFrame> PackFrames(std::span<const uint32_t> sizes) {
  std::vector<PackedFrame> frames;
  for (size_t i = 0; i < sizes.size(); ++i) {
    size_t at = frames.empty() ? 0 : PackedRecordStart(frames.back().bytes);
    if (frames.empty() || at + sizes[i] > kMaxFrameBytes) {
      frames.push_back({i, i, 0});
      at = 0;
    }
    frames.back().end = i + 1;
    frames.back().bytes = at + sizes[i];
  }
  return frames;
}

void WritePackedFrame(const PackedFrame& frame,
                      const std::function<std::span<const uint8_t>(size_t)>& payload,
                      uint8_t* out) {
  size_t at = 0;
  for (size_t i = frame.first; i < frame.end; ++i) {
    size_t start = PackedRecordStart(at);
    std::fill(out + at, out + start, uint8_t{0});
    std::span<const uint8_t> p = payload(i);
    assert(start + p.size() <= frame.bytes);  // the sizes PackFrames was given
    std::copy(p.begin(), p.end(), out + start);
    at = start + p.size();
  }
}

std::string EncodeDeliveryAck(std::string_view subscription, uint64_t offset) {
  flatbuffers::FlatBufferBuilder fbb(64 + subscription.size());
  auto sub = fbb.CreateString(subscription);
  return Finish(fbb, proto::Command::DeliveryAck,
                proto::CreateDeliveryAck(fbb, sub, offset).Union());
}

std::string EncodeCredit(std::string_view subscription, uint64_t replay_id, uint32_t credit) {
  flatbuffers::FlatBufferBuilder fbb(64 + subscription.size());
  auto sub = fbb.CreateString(subscription);
  return Finish(fbb, proto::Command::Credit,
                proto::CreateCredit(fbb, sub, replay_id, credit).Union());
}

std::string EncodeHeartbeat(int64_t sent_at_us) {
  flatbuffers::FlatBufferBuilder fbb(64);
  return Finish(fbb, proto::Command::Heartbeat, proto::CreateHeartbeat(fbb, sent_at_us).Union());
}

std::string EncodeError(errc code, std::string_view message) {
  flatbuffers::FlatBufferBuilder fbb(64 + message.size());
  auto msg = fbb.CreateString(message);
  return Finish(fbb, proto::Command::Error,
                proto::CreateError(fbb, static_cast<uint16_t>(code), msg).Union());
}

std::string_view CommandName(proto::Command command) {
  if (command > proto::Command::MAX) return "unknown";
  return proto::EnumNameCommand(command);
}

}  // namespace lintas::wire
