// The frame codec of the Lintas protocol (docs/PROTOCOL.md): a message is a
// control frame (lintas.proto.Control, identifier "LNTP") followed by zero or
// more payload frames (events or stored records). Decoding checks the frame
// count and sizes, verifies the control frame and the payload count that its
// command implies; payloads themselves are verified by their consumer
// (VerifyEvent / VerifyRecord), one by one, so one bad event in a batch is
// refused alone.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/fb/protocol_generated.h"
#include "lintas/wire/errc.h"

namespace lintas::wire {

// A received message: views into the frames it was decoded from, which must
// outlive it.
struct MessageView {
  const proto::Control* control = nullptr;
  proto::Command command = proto::Command::NONE;
  std::vector<std::span<const uint8_t>> payloads;
};

// Errors: malformed_message (no frames, a control frame without "LNTP" or
// that fails the verifier, unknown command, payload count that does not
// match the command), message_too_large, batch_too_large.
// Thread-safe.
[[nodiscard]] Result<MessageView> DecodeMessage(std::span<const std::span<const uint8_t>> frames);

// The highest version both sides speak, or unsupported_version.
[[nodiscard]] Result<uint16_t> NegotiateVersion(const flatbuffers::Vector<uint16_t>& offered);

// Encoders return the control frame's bytes. Any command, via the object API:
std::string EncodeControl(const proto::ControlT& control);
// The frequent ones, without the object API's allocations:
std::string EncodeHello(std::string_view node_id, std::string_view country,
                        std::string_view software, std::span<const uint8_t> seal_public_key = {});
std::string EncodePublish(uint64_t first_seq);
std::string EncodeAck(std::span<const proto::AckEntry> entries);
// A signed Ack (docs/AUDIT.md 2a): `receipt_hashes` holds 64 bytes per entry
// (the event's SHA-256, then its record's leaf), `signature` 64 bytes.
std::string EncodeAck(std::span<const proto::AckEntry> entries, std::span<const uint8_t> receipt_hashes,
                      int64_t receipt_time_us, std::span<const uint8_t> signature);
// The most entries a signed Ack carries: 128 x (24 + 64) bytes keep its
// control frame under kMaxControlBytes.
inline constexpr size_t kMaxSignedAckEntries = 128;
std::string EncodeNack(uint64_t seq, const Error& error);
std::string EncodeDeliver(std::string_view subscription, uint64_t replay_id,
                          std::span<const uint64_t> offsets);
std::string EncodeDeliveryAck(std::string_view subscription, uint64_t offset);
std::string EncodeCredit(std::string_view subscription, uint64_t replay_id, uint32_t credit);
std::string EncodeHeartbeat(int64_t sent_at_us);
std::string EncodeError(errc code, std::string_view message);

// The name of a command ("Publish"), for logs.
std::string_view CommandName(proto::Command command);

}  // namespace lintas::wire
