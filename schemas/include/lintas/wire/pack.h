// Serialising an event built with the object API (fb::EventT) into the bytes
// that travel: what the node uses to build the events it publishes.
#pragma once

#include <string>

#include "lintas/fb/event_generated.h"

namespace lintas::wire {

// Serialises with the "LNTE" identifier.
std::string PackEvent(const fb::EventT& event);

}  // namespace lintas::wire
