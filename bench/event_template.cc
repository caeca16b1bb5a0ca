// Benchmark event templates and send-time stamps.
#include "event_template.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "lintas/wire/examples.h"

namespace lintas::bench {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::optional<int64_t> FindStamp(std::span<const uint8_t> bytes) {
  auto it = std::search(bytes.begin(), bytes.end(), kStampMagic.begin(), kStampMagic.end());
  if (it == bytes.end() || bytes.end() - it < static_cast<long>(kStampBytes)) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = kStampMagic.size(); i < kStampBytes; ++i) {
    char c = static_cast<char>(it[static_cast<long>(i)]);
    uint64_t digit = c >= 'a' ? static_cast<uint64_t>(c - 'a' + 10) : static_cast<uint64_t>(c - '0');
    value = (value << 4) | (digit & 0xf);
  }
  return static_cast<int64_t>(value);
}

EventTemplate::EventTemplate(const std::string& origin_country, const std::string& origin_agency,
                             const std::string& dest_country, const std::string& dest_agency,
                             size_t event_bytes) {
  wire::EventIdGenerator ids;
  std::string probe =
      wire::MinimalReferral(ids.Next(), origin_country, origin_agency, dest_country, dest_agency, 0);
  size_t padding = event_bytes > probe.size() ? event_bytes - probe.size() : 0;
  wire::EventId id = ids.Next();
  bytes_ = wire::MinimalReferral(id, origin_country, origin_agency, dest_country, dest_agency,
                                 padding);
  auto found = std::search(bytes_.begin(), bytes_.end(), id.bytes().begin(), id.bytes().end(),
                           [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
  if (found == bytes_.end()) throw std::logic_error("event id not found in the template");
  id_at_ = static_cast<size_t>(found - bytes_.begin());
  if (padding >= kStampBytes) {
    // The summary is the only run of 'x' this long.
    stamp_at_ = bytes_.find(std::string(kStampBytes, 'x'));
  }
}

void EventTemplate::Patch(std::string& event, const wire::EventId& id, int64_t stamp_nanos) const {
  std::memcpy(event.data() + id_at_, id.bytes().data(), wire::EventId::kSize);
  if (stamp_at_ == std::string::npos) return;
  char* out = event.data() + stamp_at_;
  std::memcpy(out, kStampMagic.data(), kStampMagic.size());
  auto v = static_cast<uint64_t>(stamp_nanos);
  for (size_t i = 0; i < 16; ++i) out[kStampBytes - 1 - i] = kHex[(v >> (4 * i)) & 0xf];
}

}  // namespace lintas::bench
