// Subscription filters, and the compact summary of a distributed event the
// broker stores beside it so that filters run without reading the record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/fb/event_generated.h"
#include "lintas/fb/protocol_generated.h"

namespace lintas::broker {

struct DistributionSummary {
  fb::DistributionKind kind = fb::DistributionKind::Regional;
  fb::Body body = fb::Body::NONE;
  uint8_t category = 0;  // fb::AlertCategory; for AlertCancelled, the cancelled alert's
  fb::Priority priority = fb::Priority::Routine;
  std::string origin;                  // country
  std::vector<std::string> countries;  // for SelectedCountries

  std::string Encode() const;
  static std::optional<DistributionSummary> Decode(std::string_view bytes);
};

// The summary of an event with a regional or selected-countries distribution;
// nullopt for an addressed event. `category` as in DistributionSummary.
std::optional<DistributionSummary> Summarize(const fb::Event& event, uint8_t category);

// What a named subscription receives. Empty lists match everything.
// A value type; thread-compatible.
struct SubscriptionFilter {
  std::vector<std::string> origin_countries;
  std::vector<uint8_t> body_types;
  std::vector<uint8_t> alert_categories;  // applies to alert bodies only
  int8_t min_priority = 0;

  static SubscriptionFilter FromProto(const proto::Filter* filter);
  std::string Encode() const;
  static SubscriptionFilter Decode(std::string_view bytes);

  // Whether a node in `node_country` with this filter receives the event.
  bool Matches(const DistributionSummary& summary, std::string_view node_country) const;
};

}  // namespace lintas::broker
