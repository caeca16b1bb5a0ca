// Verification of every buffer that comes from outside the process, before
// any field of it is read: size caps, file identifier, then the FlatBuffers
// verifier with tight depth and table limits.
#pragma once

#include <cstdint>
#include <span>

#include "lintas/common/result.h"
#include "lintas/fb/audit_generated.h"
#include "lintas/fb/event_generated.h"
#include "lintas/fb/protocol_generated.h"
#include "lintas/fb/record_generated.h"
#include "lintas/wire/limits.h"

namespace lintas::wire {

struct VerifyLimits {
  size_t max_bytes = kMaxEventBytes;           // Default: 256 KiB
  uint32_t max_depth = kVerifyMaxDepth;        // Default: 16
  uint32_t max_tables = kVerifyMaxTables;      // Default: 1024
};

// Returns the verified root, a view into `buffer` (which must outlive it).
// Errors: message_too_large, wrong_identifier, event_unverifiable, each with a
// message that says which check failed (truncated, too deep, too many tables);
// event_invalid, with `field` set to its path, for an otherwise sound buffer
// that lacks a required field ("body.victim.pseudonym").
// Thread-safe.
[[nodiscard]] Result<const fb::Event*> VerifyEvent(std::span<const uint8_t> buffer,
                                                   const VerifyLimits& limits = {});

// A stored record and the event inside it. Thread-safe.
[[nodiscard]] Result<const fb::StoredRecord*> VerifyRecord(std::span<const uint8_t> buffer);

// A protocol control frame. Errors: message_too_large, malformed_message
// (also for a frame without the identifier "LNTP"). Thread-safe.
[[nodiscard]] Result<const proto::Control*> VerifyControl(std::span<const uint8_t> buffer);

// A consultation record (AuditReply payload, identifier "LNTA"). Errors:
// message_too_large, wrong_identifier, malformed_message. Thread-safe.
[[nodiscard]] Result<const fb::AccessRecord*> VerifyAccessRecord(std::span<const uint8_t> buffer);

// The event bytes inside a verified record.
inline std::span<const uint8_t> RecordEventBytes(const fb::StoredRecord& record) {
  return {record.event()->data(), record.event()->size()};
}

}  // namespace lintas::wire
