// Which required field an event lacks: the diagnosis behind event_invalid
// for a buffer the FlatBuffers verifier refused. Internal to lintas::wire.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "lintas/wire/verify.h"

namespace lintas::wire::internal {

// For an event buffer that the generated verifier refused: if the buffer is
// sound once `(required)` is ignored (verified again, through reflection,
// with the same limits), the path of the first required field it lacks, in
// the form ValidateEvent uses ("body.victim.pseudonym",
// "destinations[1].country"); otherwise nullopt (the buffer is truly
// malformed). Only ever called on the failure path.
// Thread-safe: the reflection schemas are built once, on first use.
std::optional<std::string> MissingRequiredEventField(std::span<const uint8_t> buffer,
                                                     const VerifyLimits& limits);

}  // namespace lintas::wire::internal
