// libFuzzer harness: the event verifier, then everything that reads a
// verified event (validation, JSON output through the schema).
#include <cstddef>
#include <cstdint>
#include <span>

#include "lintas/wire/json_codec.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lintas::wire::JsonCodec codec;
  std::span<const uint8_t> buffer(data, size);
  auto event = lintas::wire::VerifyEvent(buffer);
  if (!event.ok()) return 0;
  (void)lintas::wire::ValidateEvent(**event);
  (void)codec.ToJson(buffer);
  return 0;
}
