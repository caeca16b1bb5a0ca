// The clear body of a sealed envelope: the body's type with every field
// emptied (required fields present and empty, so that the envelope verifies).
#pragma once

#include "lintas/fb/event_generated.h"

namespace lintas::seal {

// The skeleton of `body`. An alert keeps its category (the broker filters
// and applies policy on it).
fb::BodyUnion SkeletonBody(const fb::BodyUnion& body);

}  // namespace lintas::seal
