// The frame codec of the Lintas protocol (docs/PROTOCOL.md): a message is a
// control frame (lintas.proto.Control, identifier "LNTP") followed by zero or
// more payload frames (events or stored records). Decoding checks the frame
// count and sizes, verifies the control frame and the payload count that its
// command implies; payloads themselves are verified by their consumer
// (VerifyEvent / VerifyRecord), one by one, so one bad event in a batch is
// refused alone.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/fb/protocol_generated.h"
#include "lintas/wire/errc.h"

namespace lintas::wire {

// A received message: views into the frames it was decoded from, which must
// outlive it. `payloads` are the events or records: a packed Publish's or
// Deliver's are carved from its frames (several to a frame).
struct MessageView {
  const proto::Control* control = nullptr;
  proto::Command command = proto::Command::NONE;
  std::vector<std::span<const uint8_t>> payloads;
  std::vector<size_t> payload_frames;  // the frame (1..) each payload lies in
};

// Errors: malformed_message (no frames, a control frame without "LNTP" or
// that fails the verifier, unknown command, payload count that does not
// match the command, a packed Deliver or Publish whose record_sizes or
// event_sizes do not carve its frames exactly), message_too_large,
// batch_too_large.
// Thread-safe.
[[nodiscard]] Result<MessageView> DecodeMessage(std::span<const std::span<const uint8_t>> frames);

// The highest version both sides speak, or unsupported_version.
[[nodiscard]] Result<uint16_t> NegotiateVersion(const flatbuffers::Vector<uint16_t>& offered);

// Encoders return the control frame's bytes. Any command, via the object API:
std::string EncodeControl(const proto::ControlT& control);
// The frequent ones, without the object API's allocations:
std::string EncodeHello(std::string_view node_id, std::string_view country,
                        std::string_view software, std::span<const uint8_t> seal_public_key = {});
// With `event_sizes` (one per event) the Publish is packed, as a packed
// Deliver's records are (PackFrames); only to a broker whose Ready says
// packed_publish.
std::string EncodePublish(uint64_t first_seq,
                          std::optional<std::span<const uint32_t>> event_sizes = std::nullopt);
std::string EncodeAck(std::span<const proto::AckEntry> entries);
// A signed Ack (docs/AUDIT.md 2a): `receipt_hashes` holds 64 bytes per entry
// (the event's SHA-256, then its record's leaf), `signature` 64 bytes.
std::string EncodeAck(std::span<const proto::AckEntry> entries, std::span<const uint8_t> receipt_hashes,
                      int64_t receipt_time_us, std::span<const uint8_t> signature);
// The most entries a signed Ack carries: 128 x (24 + 64) bytes keep its
// control frame under kMaxControlBytes.
inline constexpr size_t kMaxSignedAckEntries = 128;
std::string EncodeNack(uint64_t seq, const Error& error);
// With `record_sizes` (one per offset) the Deliver is packed: its records
// go several to a frame, each at PackedRecordStart of the bytes before it
// in the frame (zero bytes between), a frame at most kMaxFrameBytes.
std::string EncodeDeliver(std::string_view subscription, uint64_t replay_id,
                          std::span<const uint64_t> offsets,
                          std::optional<std::span<const uint32_t>> record_sizes = std::nullopt);
// Where the next record of a packed frame starts, given the bytes it holds.
size_t PackedRecordStart(size_t frame_bytes);

// Packed payloads (docs/PROTOCOL.md 4.2, 4.3): payloads [first, end) go in
// one frame of `bytes`; a new frame starts where the next payload would
// pass kMaxFrameBytes.
struct PackedFrame {
  size_t first = 0;
  size_t end = 0;
  size_t bytes = 0;
};
std::vector<PackedFrame> PackFrames(std::span<const uint32_t> sizes);
// Writes `frame`'s payloads (`payload(i)`, of the sizes PackFrames was
// given) into `out`, frame.bytes long, with zero padding.
void WritePackedFrame(const PackedFrame& frame,
                      const std::function<std::span<const uint8_t>(size_t)>& payload, uint8_t* out);
std::string EncodeDeliveryAck(std::string_view subscription, uint64_t offset);
std::string EncodeCredit(std::string_view subscription, uint64_t replay_id, uint32_t credit);
std::string EncodeHeartbeat(int64_t sent_at_us);
std::string EncodeError(errc code, std::string_view message);

// The name of a command ("Publish"), for logs.
std::string_view CommandName(proto::Command command);

}  // namespace lintas::wire
