// Example events of every body type, built with pseudonyms only: for the
// CLI's "example" command (the node's GET /v1/examples/{type}), the docs, the
// golden vectors, the tests and the benchmarks. Library lintas::wire_examples,
// linked only by what needs example data.
#pragma once

#include <string>
#include <vector>

#include "lintas/fb/event_generated.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/pack.h"  // PackEvent, which examples are usually passed to

namespace lintas::wire {

// Every member of the Body union, in wire order.
std::vector<fb::Body> AllBodyTypes();

// A complete, valid event of `type` (scenario 1 of SCENARIOS.md: THA -> KHM):
// every envelope field the body allows is set. `id` and `created_at_us` make
// it deterministic.
fb::EventT ExampleEvent(fb::Body type, const EventId& id, int64_t created_at_us);

// A minimal valid addressed referral from `origin_country`/`origin_agency`
// to `dest_agency` in `dest_country`, with a summary of `padding` bytes.
std::string MinimalReferral(const EventId& id, const std::string& origin_country,
                            const std::string& origin_agency, const std::string& dest_country,
                            const std::string& dest_agency, size_t padding = 0);

}  // namespace lintas::wire
