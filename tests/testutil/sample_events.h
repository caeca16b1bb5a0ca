// Sample events for tests: the library's examples under their test names.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "lintas/wire/examples.h"

namespace lintas::testutil {

using wire::AllBodyTypes;
using wire::MinimalReferral;
using wire::PackEvent;

inline fb::EventT SampleEvent(fb::Body type, const wire::EventId& id, int64_t created_at_us) {
  return wire::ExampleEvent(type, id, created_at_us);
}

// A ReferralCreated from THA (th-rtp-atpd) addressed to KHM's kh-mosvy alone:
// the referral most broker tests publish.
inline fb::EventT ReferralToKhm(const wire::EventId& id, int64_t created_at_us) {
  fb::EventT e = SampleEvent(fb::Body::ReferralCreated, id, created_at_us);
  e.destinations.clear();
  auto d = std::make_unique<fb::DestinationT>();
  d->country = "KHM";
  d->agency = "kh-mosvy";
  e.destinations.push_back(std::move(d));
  return e;
}

// `event` (a packed ReferralCreated) with its body's victim.pseudonym, a
// required field, taken out of the victim table's vtable: a buffer that is
// sound but incomplete, as a hand-written encoder could produce (the
// builders refuse to). The vtable may be shared with a table of the same
// layout, which then loses the field too.
inline std::string WithoutVictimPseudonym(std::string event) {
  const auto* e = fb::GetEvent(event.data());
  const auto* victim = reinterpret_cast<const uint8_t*>(e->body_as_ReferralCreated()->victim());
  flatbuffers::soffset_t to_vtable = 0;
  std::memcpy(&to_vtable, victim, sizeof(to_vtable));
  size_t entry = static_cast<size_t>(victim - reinterpret_cast<const uint8_t*>(event.data()) -
                                     to_vtable) +
                 fb::VictimBlock::VT_PSEUDONYM;
  std::memset(event.data() + entry, 0, sizeof(flatbuffers::voffset_t));
  return event;
}

}  // namespace lintas::testutil
