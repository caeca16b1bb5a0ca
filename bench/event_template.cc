// Benchmark event templates and send-time stamps.
#include "event_template.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "lintas/wire/examples.h"

namespace lintas::bench {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr int64_t kAlertLifetimeUs = 3LL * 24 * 3600 * 1000000;

std::string RegionalAlertBytes(const wire::EventId& id, const std::string& origin_country,
                               const std::string& origin_agency, size_t padding) {
  fb::EventT e;
  e.id = std::make_unique<fb::Uuid>(id.ToFb());
  e.created_at_us = id.UnixMillis() * 1000;
  e.origin = std::make_unique<fb::PartyT>();
  e.origin->country = origin_country;
  e.origin->agency = origin_agency;
  e.distribution = std::make_unique<fb::DistributionT>();
  e.distribution->kind = fb::DistributionKind::Regional;
  e.priority = fb::Priority::Urgent;
  e.case_id = "TEST-ALERT-0001";
  fb::AlertPublishedT b;
  b.category = fb::AlertCategory::ForcedCriminality;
  b.title = "Benchmark alert";
  b.description.assign(padding, 'x');
  b.expires_at_us = e.created_at_us + kAlertLifetimeUs;
  e.body.Set(std::move(b));
  return wire::PackEvent(e);
}

}  // namespace

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::optional<int64_t> FindStamp(std::span<const uint8_t> bytes) {
  // memmem, not std::search: the subscriber looks in every record it times.
  const void* found = memmem(bytes.data(), bytes.size(), kStampMagic.data(), kStampMagic.size());
  if (!found) return std::nullopt;
  auto it = bytes.begin() + (static_cast<const uint8_t*>(found) - bytes.data());
  if (bytes.end() - it < static_cast<long>(kStampBytes)) return std::nullopt;
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
  Locate(id, padding);
}

EventTemplate EventTemplate::RegionalAlert(const std::string& origin_country, const std::string& origin_agency,
                                           size_t event_bytes) {
  wire::EventIdGenerator ids;
  std::string probe = RegionalAlertBytes(ids.Next(), origin_country, origin_agency, 0);
  size_t padding = event_bytes > probe.size() ? event_bytes - probe.size() : 0;
  wire::EventId id = ids.Next();
  EventTemplate t;
  t.bytes_ = RegionalAlertBytes(id, origin_country, origin_agency, padding);
  t.Locate(id, padding);
  return t;
}

void EventTemplate::Locate(const wire::EventId& id, size_t padding) {
  auto found = std::search(bytes_.begin(), bytes_.end(), id.bytes().begin(), id.bytes().end(),
                           [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
  if (found == bytes_.end()) throw std::logic_error("event id not found in the template");
  id_at_ = static_cast<size_t>(found - bytes_.begin());
  if (padding >= kStampBytes) {
    // The padding (a referral's summary, an alert's description) is the
    // only run of 'x' this long.
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
