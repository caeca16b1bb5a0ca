// Benchmark events: a MinimalReferral of the requested size built once, then
// copied with a fresh UUIDv7 and a send-time stamp patched in place, so that
// the generator spends its time sending, not building FlatBuffers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "lintas/wire/event_id.h"

namespace lintas::bench {

// The stamp: "LTS@" and 16 hex digits of steady_clock nanoseconds, written
// at the start of the referral's summary (the padding). CLOCK_MONOTONIC is
// shared by every process on the machine, so a subscriber in another thread
// or process reads a comparable time.
inline constexpr std::string_view kStampMagic = "LTS@";
inline constexpr size_t kStampBytes = 4 + 16;

int64_t SteadyNanos();

// Finds the stamp in a stored record (or an event); nullopt when absent.
std::optional<int64_t> FindStamp(std::span<const uint8_t> bytes);

// A MinimalReferral from `origin_country`/`origin_agency` to
// `dest_country`/`dest_agency`, padded to about `event_bytes`; or (RegionalAlert)
// an AlertPublished distributed to the whole region, as an agency issues an
// alert to every subscriber the policy allows, unsealed (docs/SECURITY.md).
// Thread safety: none; one owner (each publisher has its own).
class EventTemplate {
 public:
  EventTemplate(const std::string& origin_country, const std::string& origin_agency,
                const std::string& dest_country, const std::string& dest_agency,
                size_t event_bytes);
  static EventTemplate RegionalAlert(const std::string& origin_country, const std::string& origin_agency,
                                     size_t event_bytes);

  const std::string& bytes() const { return bytes_; }
  // Whether the event has room for the stamp (events of ~300 B and more).
  bool stamped() const { return stamp_at_ != std::string::npos; }

  // Overwrites `event` (a copy of bytes()) with a new id and stamp.
  void Patch(std::string& event, const wire::EventId& id, int64_t stamp_nanos) const;

 private:
  EventTemplate() = default;
  // Finds the id and the stamp's place in bytes_ (throws std::logic_error
  // when the id is not there: a bug in the builder).
  void Locate(const wire::EventId& id, size_t padding);

  std::string bytes_;
  size_t id_at_ = 0;
  size_t stamp_at_ = std::string::npos;
};

}  // namespace lintas::bench
