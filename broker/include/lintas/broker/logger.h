// The broker's named loggers.
#pragma once

#include "lintas/common/logging.h"

namespace lintas::broker {

// Lifecycle, refusals, peers. Never payloads or victim data.
inline std::shared_ptr<spdlog::logger> Log() { return GetLogger("broker"); }
// Security events: origin mismatches, unknown nodes, plaintext mode.
inline std::shared_ptr<spdlog::logger> SecurityLog() { return GetLogger("security"); }

}  // namespace lintas::broker
