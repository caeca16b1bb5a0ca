// What `lintas audit export --country` / `--agency` select, decided at the
// broker (Replay party_country / party_agency, docs/AUDIT.md 4): an event
// from the party, addressed to it (a role resolved through the directory as
// configured now, as routing does), or distributed to its country.
#pragma once

#include <string>
#include <string_view>

#include "lintas/broker/directory.h"
#include "lintas/fb/event_generated.h"

namespace lintas::broker {

// A value type; thread-compatible.
struct PartyFilter {
  std::string country;  // ISO 3166-1 alpha-3; empty: any
  std::string agency;   // directory id; empty: any

  bool any() const { return !country.empty() || !agency.empty(); }
  // Whether `event` is from or routed to the party (both criteria when both
  // are set): its origin; an addressed destination (its agency, or the
  // agency its role resolves to); a Regional distribution (every country),
  // or a SelectedCountries one naming the party's country (an agency's
  // country from the directory).
  bool Matches(const fb::Event& event, const Directory& directory) const;
};

}  // namespace lintas::broker
