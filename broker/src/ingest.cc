// See ingest.h.
#include "ingest.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lintas/broker/filter.h"
#include "lintas/seal/sealer.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::broker {
namespace {

// The routing policy for one event's addressees and selected countries, and
// H2's ban on distribution.
Status CheckPolicy(const IngestState& state, const fb::Event& event, uint8_t category) {
  const fb::Distribution* distribution = event.distribution();
  fb::DistributionKind kind =
      distribution != nullptr ? distribution->kind() : fb::DistributionKind::Addressed;
  if (event.handling() == fb::HandlingCode::H2 && kind != fb::DistributionKind::Addressed) {
    return Error{wire::errc::policy_denied,
                 "handling code H2 (no onward transfer) allows only addressed distribution",
                 "distribution"};
  }
  const RoutingPolicy& policy = *state.policy;
  if (!policy.enforced()) return OkStatus();
  Exchange x;
  x.from_country = event.origin()->country()->string_view();
  x.body = event.body_type();
  x.category = category;
  if (event.destinations() != nullptr) {
    for (size_t i = 0; i < event.destinations()->size(); ++i) {
      const fb::Destination& d = *event.destinations()->Get(i);
      x.to_country = d.country()->string_view();
      x.roles = state.directory->DestinationRoles(d);
      x.any_role = false;
      if (policy.Allows(x).empty()) {
        return Error{wire::errc::policy_denied,
                     fmt::format("destinations[{}]: the routing policy does not allow {} from {} "
                                 "to {} ({})",
                                 i, wire::BodyName(x.body), x.from_country, x.to_country,
                                 x.roles.empty() ? "no role" : fmt::format("{}", fmt::join(x.roles, ", "))),
                     fmt::format("destinations[{}]", i)};
      }
    }
  }
  // A distribution to selected countries needs a rule for each country;
  // which subscribers there receive it (by role) is decided at delivery.
  if (kind == fb::DistributionKind::SelectedCountries && distribution->countries() != nullptr) {
    for (size_t i = 0; i < distribution->countries()->size(); ++i) {
      x.to_country = distribution->countries()->Get(i)->string_view();
      x.roles.clear();
      x.any_role = true;
      if (policy.Allows(x).empty()) {
        return Error{wire::errc::policy_denied,
                     fmt::format("distribution.countries[{}]: the routing policy does not allow {} "
                                 "from {} to {}",
                                 i, wire::BodyName(x.body), x.from_country, x.to_country),
                     fmt::format("distribution.countries[{}]", i)};
      }
    }
  }
  return OkStatus();
}

// A sealed event must hold a key copy, under the node's current key, for
// every node it is routed to.
Status CheckSealedTo(const IngestState& state, const fb::Event& event,
                     const store::NodeList& inbox_nodes) {
  if (event.sealed() == nullptr) {
    if (state.config->require_sealed && seal::ShouldSeal(event)) {
      return Error{wire::errc::event_invalid,
                   fmt::format("sealed: this broker accepts {} only sealed to its addressees (docs/SECURITY.md)",
                               wire::BodyName(event.body_type())),
                   "sealed"};
    }
    return OkStatus();
  }
  if (event.distribution() != nullptr && event.distribution()->kind() != fb::DistributionKind::Addressed) {
    return Error{wire::errc::event_invalid, "sealed: a sealed event must be addressed, not distributed",
                 "distribution"};
  }
  // Every node the event is routed to must be able to open it: a sender
  // whose directory is out of date is told so now, not the addressee later.
  for (const auto& n : inbox_nodes) {
    const fb::SealedKey* copy = nullptr;
    for (const auto* k : *event.sealed()->keys()) {
      if (k->node()->string_view() == n) copy = k;
    }
    if (copy == nullptr) {
      return Error{wire::errc::event_invalid,
                   fmt::format("sealed.keys: node {} receives this event but holds no copy of its key; "
                               "refresh the directory and seal again",
                               n),
                   "sealed.keys"};
    }
    // Sealed to a key the node no longer announces (the sender's directory
    // predates a rotation or a first announcement): it could not open it.
    std::optional<seal::PublicKey> current = state.seal_key ? state.seal_key(n) : std::nullopt;
    seal::KeyId id{};
    if (current && copy->key_id()->size() == id.size()) {
      std::copy(copy->key_id()->begin(), copy->key_id()->end(), id.begin());
      if (id != seal::KeyIdOf(*current)) {
        return Error{wire::errc::event_invalid,
                     fmt::format("sealed.keys: sealed to a key of node {} that is not its current one; "
                                 "refresh the directory and seal again",
                                 n),
                     "sealed.keys"};
      }
    }
  }
  return OkStatus();
}

}  // namespace

Result<const fb::Event*> AdmitEvent(const NodeConfig& node, const Directory& directory,
                                    std::span<const uint8_t> bytes) {
  auto verified = wire::VerifyEvent(bytes);
  if (!verified.ok()) return verified.error();
  const fb::Event& event = **verified;
  if (auto s = wire::ValidateEvent(event); !s.ok()) return s.error();
  std::string_view origin_country = event.origin()->country()->string_view();
  std::string_view origin_agency = event.origin()->agency()->string_view();
  // `field` names the part at fault, as tests/vectors/frames/nack.json shows.
  if (origin_country != node.country) {
    return Error{wire::errc::origin_mismatch,
                 fmt::format("origin.country: {} is not the authenticated node's country", origin_country),
                 "origin.country"};
  }
  if (!directory.Serves(node, origin_agency)) {
    return Error{wire::errc::origin_mismatch,
                 fmt::format("origin.agency: {} is not served by the authenticated node", origin_agency),
                 "origin.agency"};
  }
  return &event;
}

uint8_t FilterCategory(const fb::Event& event, const std::optional<ParentFacts>& parent) {
  if (event.body_type() == fb::Body::AlertPublished) {
    return static_cast<uint8_t>(event.body_as_AlertPublished()->category());
  }
  // The cancellation carries no category: use the cancelled alert's, so that
  // a category filter lets both through.
  if (event.body_type() == fb::Body::AlertCancelled && parent && parent->alert_category) {
    return *parent->alert_category;
  }
  return 0;
}

IngestDecision Ingest(const IngestState& state, const NodeConfig& node, const fb::Event& event,
                      const IngestLookups& lookups) {
  if (lookups.stored_at) return Duplicate{*lookups.stored_at};
  Accepted out;
  store::IndexKeys& index = out.index;
  if (event.destinations() != nullptr && event.destinations()->size() > 0) {
    if (auto s = state.directory->ResolveInbox(*event.destinations(), &index.inbox_nodes); !s.ok()) {
      return s.error();
    }
  }
  if (auto s = CheckSealedTo(state, event, index.inbox_nodes); !s.ok()) return s.error();
  uint8_t category = FilterCategory(event, lookups.parent);
  if (auto s = CheckPolicy(state, event, category); !s.ok()) return s.error();
  // The thread's handling codes: no answer weaker than its parent, and below
  // an H2 event only its parties. No parent in the log: nothing to protect.
  if (lookups.parent) {
    if (auto s = CheckAnswer(node.id, event, *lookups.parent, index.inbox_nodes); !s.ok()) {
      return s.error();
    }
  }
  if (auto summary = Summarize(event, category)) index.distribution = summary->Encode();
  index.origin_country = event.origin()->country()->str();
  if (event.case_id()) index.case_id = event.case_id()->str();
  out.facts = FactsAsParent(event, node.id, index.inbox_nodes, lookups.parent);
  return out;
}

}  // namespace lintas::broker
