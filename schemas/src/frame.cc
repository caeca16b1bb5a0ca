// Frame codec.
#include "lintas/wire/frame.h"

#include <algorithm>

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
  view.payloads.assign(frames.begin() + 1, frames.end());
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

std::string EncodePublish(uint64_t first_seq) {
  flatbuffers::FlatBufferBuilder fbb(64);
  return Finish(fbb, proto::Command::Publish, proto::CreatePublish(fbb, first_seq).Union());
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
                          std::span<const uint64_t> offsets) {
  flatbuffers::FlatBufferBuilder fbb(64 + subscription.size() + offsets.size() * 8);
  auto sub = fbb.CreateString(subscription);
  auto offs = fbb.CreateVector(offsets.data(), offsets.size());
  return Finish(fbb, proto::Command::Deliver,
                proto::CreateDeliver(fbb, sub, replay_id, offs).Union());
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
