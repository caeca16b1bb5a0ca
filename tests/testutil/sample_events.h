// Sample events for tests: the library's examples under their test names.
#pragma once

#include "lintas/wire/examples.h"

namespace lintas::testutil {

using wire::AllBodyTypes;
using wire::MinimalReferral;
using wire::PackEvent;

inline fb::EventT SampleEvent(fb::Body type, const wire::EventId& id, int64_t created_at_us) {
  return wire::ExampleEvent(type, id, created_at_us);
}

}  // namespace lintas::testutil
