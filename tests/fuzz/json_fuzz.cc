// libFuzzer harness: the JSON intake of the node's API and the CLI (the API
// JSON with UUID strings, defaults filled, then the schema's parser, the
// verifier and validation).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "lintas/node/event_json.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lintas::wire::EventIdGenerator ids;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return 0;
  auto binary = lintas::node::EventFromApiJson(std::move(json), ids, "THA", "th-rtp-atpd");
  if (!binary.ok()) return 0;
  auto event = lintas::wire::VerifyEvent(lintas::wire::AsBytes(*binary));
  if (event.ok()) (void)lintas::wire::ValidateEvent(**event);
  return 0;
}
