// Ingest: what the broker decides about one published event, as a function
// of the frame and of the state it needs (directory, policy, seal keys, and
// the answers of the dedup and parent lookups), with no socket and no store.
// Internal to lintas::broker.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "lintas/broker/config.h"
#include "lintas/broker/directory.h"
#include "lintas/broker/policy.h"
#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/seal/seal_key.h"
#include "lintas/store/store.h"
#include "thread_rules.h"

namespace lintas::broker {

// What ingest reads besides the event. Non-owning: everything it points to
// must outlive the call. Thread-compatible (the loop thread).
struct IngestState {
  const BrokerConfig* config = nullptr;
  const Directory* directory = nullptr;
  const RoutingPolicy* policy = nullptr;
  // The seal key a node announces now (or is registered with); none if
  // neither.
  std::function<std::optional<seal::PublicKey>(const std::string& node_id)> seal_key;
};

// The answers of the lookups ingest needs, made by the caller first (the
// dedup index for a whole Publish in one MultiGet; the parent from the
// in-flight map or the log).
struct IngestLookups {
  std::optional<uint64_t> stored_at;    // the event id's offset, in flight or in the log
  std::optional<ParentFacts> parent;    // the parent's facts, if it is known
};

// Accepted: its index keys (all but received_at_us, which the log assigns
// with the offset) and the facts it gives its own answers.
struct Accepted {
  store::IndexKeys index;
  ParentFacts facts;
};
struct Duplicate {
  uint64_t offset = 0;  // where the first copy is
};
using IngestDecision = std::variant<Accepted, Duplicate, Error>;

// Size, verification, validation and origin: the event inside `bytes` (a
// view into them), or the refusal. `node` is the authenticated publisher.
[[nodiscard]] Result<const fb::Event*> AdmitEvent(const NodeConfig& node, const Directory& directory,
                                                  std::span<const uint8_t> bytes);

// Dedup, routing (directory resolution, sealed copies), the routing policy
// and the thread's handling codes, for an event AdmitEvent let in.
IngestDecision Ingest(const IngestState& state, const NodeConfig& node, const fb::Event& event,
                      const IngestLookups& lookups);

// The category a distributed event is filtered by: an alert's own, or for a
// cancellation the cancelled alert's (from its parent); 0 otherwise.
uint8_t FilterCategory(const fb::Event& event, const std::optional<ParentFacts>& parent);

}  // namespace lintas::broker
