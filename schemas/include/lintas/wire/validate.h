// Semantic validation of a verified event: required fields, codes, ranges.
// The verifier proves a buffer is safe to read; this proves it makes sense.
#pragma once

#include <string_view>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"

namespace lintas::wire {

// Returns an event_invalid error whose `field` names the offending field
// ("destinations[1].country") and whose message says what is wrong, without
// quoting free-text values (they may hold victim data). Thread-safe.
[[nodiscard]] Status ValidateEvent(const fb::Event& event);

// Agency ids: 1-64 of [a-z0-9-], starting with a letter ("th-rtp-atpd").
bool IsAgencyId(std::string_view id);

// Case ids (and officer account ids): 1-64 of [A-Za-z0-9._:/-].
bool IsCaseId(std::string_view id, bool allow_empty = false);

// The Body union member's name ("ReferralCreated"), or "NONE".
std::string_view BodyName(fb::Body type);

// Whether the body type belongs to a referral thread (needs a case id).
bool IsReferralBody(fb::Body type);

}  // namespace lintas::wire
