// API JSON conversion of events.
#include "lintas/node/event_json.h"

#include "lintas/common/clock.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/json_codec.h"

namespace lintas::node {
namespace {

wire::JsonCodec& Codec() {
  thread_local wire::JsonCodec codec(wire::SchemaKind::kEvent);
  return codec;
}

// {"bytes":[16 numbers]} -> "0190...". Leaves anything else alone.
void IdToText(nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_object() || !j[key].contains("bytes")) return;
  const auto& bytes = j[key]["bytes"];
  if (!bytes.is_array() || bytes.size() != 16) return;
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < 16; ++i) b[i] = bytes[i].get<uint8_t>();
  j[key] = wire::EventId(b).ToString();
}

// "0190..." -> {"bytes":[...]}.
Status IdFromText(nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return OkStatus();
  auto id = wire::EventId::Parse(j[key].get<std::string>());
  if (!id.ok()) {
    return Error{wire::errc::json_invalid, std::string(key) + ": " + id.error().message, key};
  }
  nlohmann::json bytes = nlohmann::json::array();
  for (uint8_t b : id->bytes()) bytes.push_back(b);
  j[key] = {{"bytes", bytes}};
  return OkStatus();
}

}  // namespace

Result<nlohmann::json> EventToApiJson(std::span<const uint8_t> event) {
  auto text = Codec().ToJson(event);
  if (!text.ok()) return std::move(text).error();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error{wire::errc::internal, "schema JSON did not parse"};
  IdToText(j, "id");
  IdToText(j, "parent_id");
  return j;
}

Result<std::string> EventFromApiJson(nlohmann::json j, wire::EventIdGenerator& ids,
                                     const std::string& country,
                                     const std::string& default_agency) {
  if (!j.is_object()) return Error{wire::errc::json_invalid, "an event is a JSON object"};
  if (!j.contains("id")) j["id"] = ids.Next().ToString();
  if (auto s = IdFromText(j, "id"); !s.ok()) return std::move(s).error();
  if (auto s = IdFromText(j, "parent_id"); !s.ok()) return std::move(s).error();
  if (!j.contains("created_at_us")) j["created_at_us"] = NowMicros();
  if (!j.contains("origin")) {
    j["origin"] = {{"country", country}, {"agency", default_agency}};
  } else if (j["origin"].is_object() && !j["origin"].contains("country")) {
    j["origin"]["country"] = country;
  }
  auto binary = Codec().FromJson(j.dump());
  if (!binary.ok()) return std::move(binary).error();
  return binary;
}

}  // namespace lintas::node
