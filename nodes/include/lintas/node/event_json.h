// The local API's JSON form of events: the schema's JSON, with event ids as
// canonical UUID strings instead of 16-number arrays (both accepted on input).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/wire/event_id.h"

namespace lintas::node {

// Binary event -> API JSON. Verifies first. Thread-safe (one codec per thread).
[[nodiscard]] Result<nlohmann::json> EventToApiJson(std::span<const uint8_t> event);

// API JSON -> binary event. Fills what a local user may leave out: id (a new
// UUIDv7), created_at_us (now), schema_version, origin (this node's country
// and default agency). Errors: json_invalid naming the problem.
[[nodiscard]] Result<std::string> EventFromApiJson(nlohmann::json event, wire::EventIdGenerator& ids,
                                                   const std::string& country,
                                                   const std::string& default_agency);

}  // namespace lintas::node
