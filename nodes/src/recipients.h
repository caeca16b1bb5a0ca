// The agencies an event will reach, resolved in the node's directory
// (node.directory) as the broker resolves them (broker/src/directory.cc): a
// named agency is itself; COUNTRY/role is the country's designated
// counterpart for the role, else its only agency with it. So that the sender
// sees, before sending, who will receive it. Private to lintas::node; pure
// functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/node/config.h"

namespace lintas::node {

// How errors name a destination: "to" / "to[1]" for the case routes' plain
// JSON, "destinations[1].role" for a raw event.
enum class DestinationField { kTo, kDestinations };

struct Recipients {
  // Per destination: {"to": "VNM/police", "agencies": ["vn-mps-cpd"]}.
  nlohmann::json addressees = nlohmann::json::array();
  // Every agency reached, once, in destination order:
  // {"agency": "vn-mps-cpd", "country": "VNM", "name": "..."}.
  nlohmann::json recipients = nlohmann::json::array();
};

// Without a directory, destinations are taken as written (a role resolves
// to no listed agency). With one, an unknown agency, a role no agency of the
// country has, or a role several have with none designated is refused:
// unknown_destination, naming the field.
[[nodiscard]] Result<Recipients> ResolveRecipients(const NodeConfig& config, const fb::Event& event,
                                                   DestinationField style);

}  // namespace lintas::node
