// Valid sample events of every body type, built with pseudonyms only, for
// tests and golden vectors. Scenario 1 of SCENARIOS.md (THA -> KHM).
#pragma once

#include <string>
#include <vector>

#include "lintas/fb/event_generated.h"
#include "lintas/wire/event_id.h"

namespace lintas::testutil {

// Every member of the Body union, in wire order.
std::vector<fb::Body> AllBodyTypes();

// A complete, valid event of `type`: every envelope field the body allows is
// set, so that round trips exercise the whole schema. `id` and `created_at_us`
// make it deterministic.
fb::EventT SampleEvent(fb::Body type, const wire::EventId& id, int64_t created_at_us);

// Serialises with the "LNTE" identifier.
std::string PackEvent(const fb::EventT& event);

// A minimal valid addressed referral from `origin_country`/`origin_agency`
// to `dest_agency` in `dest_country`, of about `padding` extra bytes.
std::string MinimalReferral(const wire::EventId& id, const std::string& origin_country,
                            const std::string& origin_agency, const std::string& dest_country,
                            const std::string& dest_agency, size_t padding = 0);

}  // namespace lintas::testutil
