// Handling codes through a thread of answers (docs/PROTOCOL.md, "Routing
// policy"): a reply keeps its parent's handling code or a stricter one, and
// everything below an H2 event, at any depth, stays among that H2 event's
// parties. Internal to lintas::broker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/store/node_list.h"

namespace lintas::broker {

// An H2 event of a thread: the node that published it and the nodes its
// destinations resolve to. Only these may be addressed below it, except by
// its originator (whose permission onward transfer needs).
struct H2Thread {
  std::string originator;
  store::NodeList parties;
};

// What the publish path needs to know of an event that an answer names as
// its parent: its handling code, its parties, the H2 events above it, and a
// cancelled alert's category. Read from the in-flight map while the parent
// is not committed yet, from the log after. A value; no synchronisation.
struct ParentFacts {
  fb::HandlingCode handling = fb::HandlingCode::H0;
  std::optional<uint8_t> alert_category;  // set when the parent is AlertPublished
  std::string originator;                 // the node that published it
  store::NodeList parties;                // the nodes its destinations resolve to
  // Every H2 event from the parent itself up to the root of its thread,
  // nearest first (empty: no H2 above the answer).
  std::vector<H2Thread> h2_threads;
};

// The facts an event will give its own answers: `event`, published by node
// `originator` and routed to `parties`, answering `parent` (if any).
ParentFacts FactsAsParent(const fb::Event& event, std::string originator, store::NodeList parties,
                          const std::optional<ParentFacts>& parent);

// Judges an answer to `parent`: node `sender` publishes `event`, routed to
// `inbox_nodes`. In an H2 thread only a party of the parent may answer, and
// nobody but an H2 event's originator may address anyone outside its parties
// or distribute; everywhere, the answer's handling code is at least its
// parent's. Errors are policy_denied naming the field (parent_id, handling,
// distribution, destinations).
[[nodiscard]] Status CheckAnswer(std::string_view sender, const fb::Event& event, const ParentFacts& parent,
                                 const store::NodeList& inbox_nodes);

}  // namespace lintas::broker
