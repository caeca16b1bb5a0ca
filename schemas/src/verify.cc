// Verification of untrusted FlatBuffers.
#include "lintas/wire/verify.h"

#include <fmt/format.h>

#include "lintas/wire/errc.h"
#include "required_fields.h"

namespace lintas::wire {
namespace {

// The smallest buffer that can hold a root offset and a file identifier.
constexpr size_t kMinBufferBytes = sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength;

template <typename Root>
bool RunVerifier(std::span<const uint8_t> buffer, const char* identifier, uint32_t depth,
                 uint32_t tables) {
  flatbuffers::Verifier::Options options;
  options.max_depth = depth;
  options.max_tables = tables;
  options.check_alignment = true;
  flatbuffers::Verifier verifier(buffer.data(), buffer.size(), options);
  return verifier.VerifyBuffer<Root>(identifier);
}

// Verifies, and on failure tells which limit or structural check refused it by
// trying again with the limits relaxed (only ever on the failure path, and
// bounded by the size cap already checked).
// `no_identifier`: the code for a buffer without `identifier` (a payload's
// wrong_identifier; for the control frame, malformed_message as
// docs/PROTOCOL.md section 3 says: without LNTP it is not a message at all).
template <typename Root>
Result<const Root*> VerifyRoot(std::span<const uint8_t> buffer, const char* identifier,
                               const VerifyLimits& limits, const char* what, errc bad,
                               errc no_identifier) {
  if (buffer.size() > limits.max_bytes) {
    return Error{errc::message_too_large,
                 fmt::format("{} of {} bytes exceeds the limit of {} bytes", what, buffer.size(),
                             limits.max_bytes)};
  }
  if (buffer.size() < kMinBufferBytes) {
    return Error{bad, fmt::format("{} of {} bytes is truncated", what, buffer.size())};
  }
  if (!flatbuffers::BufferHasIdentifier(buffer.data(), identifier)) {
    return Error{no_identifier,
                 fmt::format("{} does not carry the file identifier \"{}\"", what, identifier)};
  }
  if (RunVerifier<Root>(buffer, identifier, limits.max_depth, limits.max_tables)) {
    return flatbuffers::GetRoot<Root>(buffer.data());
  }
  constexpr uint32_t kRelaxed = 1u << 20;
  if (RunVerifier<Root>(buffer, identifier, kRelaxed, limits.max_tables)) {
    return Error{bad, fmt::format("{} nests deeper than the limit of {}", what, limits.max_depth)};
  }
  if (RunVerifier<Root>(buffer, identifier, limits.max_depth, kRelaxed)) {
    return Error{bad,
                 fmt::format("{} holds more than the limit of {} tables", what, limits.max_tables)};
  }
  return Error{bad, fmt::format("{} is malformed: an offset, length or alignment is out of "
                                "bounds (truncated or corrupt)",
                                what)};
}

}  // namespace

Result<const fb::Event*> VerifyEvent(std::span<const uint8_t> buffer, const VerifyLimits& limits) {
  auto event = VerifyRoot<fb::Event>(buffer, fb::EventIdentifier(), limits, "event",
                                     errc::event_unverifiable, errc::wrong_identifier);
  if (event.ok() || event.error().code != errc::event_unverifiable) return event;
  // A sound buffer that lacks a required field is invalid, not unverifiable,
  // and the sender is told which field (docs/PROTOCOL.md section 7).
  if (auto field = internal::MissingRequiredEventField(buffer, limits)) {
    return Error{errc::event_invalid, fmt::format("{}: is required", *field), *field};
  }
  return event;
}

Result<const fb::StoredRecord*> VerifyRecord(std::span<const uint8_t> buffer) {
  VerifyLimits limits;
  limits.max_bytes = kMaxRecordBytes;
  limits.max_depth = 4;
  limits.max_tables = 8;
  auto record = VerifyRoot<fb::StoredRecord>(buffer, fb::StoredRecordIdentifier(), limits,
                                             "stored record", errc::malformed_message,
                                             errc::wrong_identifier);
  if (!record.ok()) return std::move(record).error();
  auto event = VerifyEvent(RecordEventBytes(**record));
  if (!event.ok()) {
    Error error = std::move(event).error();
    error.message = "stored record: " + error.message;
    return error;
  }
  return record;
}

Result<const fb::AccessRecord*> VerifyAccessRecord(std::span<const uint8_t> buffer) {
  VerifyLimits limits;
  limits.max_bytes = kMaxFrameBytes;
  limits.max_depth = 4;
  limits.max_tables = 4;
  return VerifyRoot<fb::AccessRecord>(buffer, fb::AccessRecordIdentifier(), limits,
                                      "access record", errc::malformed_message,
                                      errc::wrong_identifier);
}

Result<const proto::Control*> VerifyControl(std::span<const uint8_t> buffer) {
  VerifyLimits limits;
  limits.max_bytes = kMaxControlBytes;
  limits.max_depth = kControlMaxDepth;
  limits.max_tables = kControlMaxTables;
  return VerifyRoot<proto::Control>(buffer, proto::ControlIdentifier(), limits, "control frame",
                                    errc::malformed_message, errc::malformed_message);
}

}  // namespace lintas::wire
