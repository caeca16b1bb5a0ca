// Event ids: time-ordered UUIDv7 (RFC 9562), 16 bytes in network order.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"

namespace lintas::wire {

// A 128-bit id. A value type; thread-compatible.
class EventId {
 public:
  static constexpr size_t kSize = 16;

  EventId() = default;  // all zero: "no id"
  explicit EventId(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {}

  // Copies the first 16 bytes of `bytes`; requires bytes.size() >= 16.
  static EventId FromSpan(std::span<const uint8_t> bytes);
  static EventId FromFb(const fb::Uuid& uuid);
  // Parses the canonical 8-4-4-4-12 hex form.
  [[nodiscard]] static Result<EventId> Parse(std::string_view text);

  fb::Uuid ToFb() const;
  std::string ToString() const;  // canonical lower-case 8-4-4-4-12 form
  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }

  bool IsNil() const;
  // Version 7 with the RFC 9562 variant bits.
  bool IsV7() const;
  // The Unix milliseconds of a UUIDv7.
  int64_t UnixMillis() const;

  auto operator<=>(const EventId&) const = default;

 private:
  std::array<uint8_t, kSize> bytes_{};
};

// Generates UUIDv7 ids that are strictly increasing within one generator
// (RFC 9562 method 1: a 12-bit counter in rand_a, seeded randomly each
// millisecond; on overflow the timestamp borrows the next millisecond), with
// 62 random bits from libsodium.
//
// Thread safety: Next() is safe to call concurrently.
class EventIdGenerator {
 public:
  EventIdGenerator();
  EventId Next();
  // For tests: the id for a given millisecond, still monotonic.
  EventId NextAt(int64_t unix_millis);

 private:
  std::mutex mu_;
  int64_t last_ms_ = 0;    // Guarded by mu_.
  uint16_t counter_ = 0;   // Guarded by mu_.
};

}  // namespace lintas::wire
