// Export filters by party, at the broker.
#include "party_filter.h"

namespace lintas::broker {

bool PartyFilter::Matches(const fb::Event& event, const Directory& directory) const {
  auto party = [&](std::string_view c, std::string_view a) {
    return (country.empty() || c == country) && (agency.empty() || a == agency);
  };
  const fb::Party* origin = event.origin();
  if (origin != nullptr && party(origin->country()->string_view(), origin->agency()->string_view())) return true;
  if (event.destinations() != nullptr) {
    for (size_t i = 0; i < event.destinations()->size(); ++i) {
      const fb::Destination* d = event.destinations()->Get(i);
      std::string_view resolved;
      if (auto a = directory.ResolveAgency(*d, i); a.ok()) resolved = *a;
      if (party(d->country()->string_view(), resolved)) return true;
    }
  }
  const fb::Distribution* dist = event.distribution();
  if (dist == nullptr || dist->kind() == fb::DistributionKind::Addressed) return false;
  // A distribution reaches countries; an agency through its country.
  std::string_view target = country;
  if (!agency.empty()) {
    std::string_view of = directory.AgencyCountry(agency);
    if (of.empty() || (!country.empty() && of != country)) return false;
    target = of;
  }
  if (dist->kind() == fb::DistributionKind::Regional) return true;
  if (dist->countries() != nullptr) {
    for (const auto* c : *dist->countries()) {
      if (c->string_view() == target) return true;
    }
  }
  return false;
}

}  // namespace lintas::broker
