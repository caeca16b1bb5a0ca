// Reading the API's plain JSON into event fields, for the case actions
// (case_actions.cc, action_fields.cc): every error is bad_input naming the
// field. Private to lintas::node. Pure functions; thread-safe.
#pragma once

#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "case_actions.h"
#include "lintas/fb/event_generated.h"
#include "lintas/node/errc.h"
#include "names.h"

namespace lintas::node::actions::fields {

using nlohmann::json;

inline Error Bad(const std::string& field, const std::string& message) {
  return Error{errc::bad_input, field + ": " + message, field};
}

inline std::string Squash(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '-' || c == ' ') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

inline std::string Snake(std::string_view camel) { return SnakeCase(camel); }

// An enum value by name, written any of LifeThreatening, life_threatening,
// life-threatening; the error lists the allowed names.
template <typename E, size_t N>
Result<E> EnumField(const json& req, const char* field, const E (&values)[N], const char* (*name)(E),
                    std::optional<E> fallback) {
  if (!req.contains(field) || req[field].is_null()) {
    if (fallback) return *fallback;
    std::string allowed;
    for (E v : values) allowed += (allowed.empty() ? "" : ", ") + Snake(name(v));
    return Bad(field, "is required (one of " + allowed + ")");
  }
  if (!req[field].is_string()) return Bad(field, "must be a string");
  std::string want = Squash(req[field].get<std::string>());
  for (E v : values) {
    if (Squash(name(v)) == want) return v;
  }
  std::string allowed;
  for (E v : values) allowed += (allowed.empty() ? "" : ", ") + Snake(name(v));
  return Bad(field, "must be one of " + allowed);
}

// A string field (empty when absent and not required), at most `max` bytes.
Result<std::string> Text(const json& req, const char* field, bool required, size_t max = 4000);
// A boolean field; `name` is the field's name in errors.
Result<bool> Flag(const json& req, const char* field, const std::string& name, bool fallback);
// A string or a list of strings (at most 256).
Result<std::vector<std::string>> Texts(const json& req, const char* field, bool required);
// A time as people write it (human_time.h), relative to `now`.
Result<int64_t> When(const json& req, const char* field, bool required, int64_t now, int64_t fallback = 0);
// COUNTRY/agency-id or COUNTRY/role.
Result<std::unique_ptr<fb::DestinationT>> Destination(const std::string& to, const std::string& field);
// A new event of the caller: id, time, origin, officer.
fb::EventT Envelope(const Context& ctx);
// attachments, reference, language, and (own_priority) priority and handling.
Status Attachments(const json& req, fb::EventT& e);
Status Common(const json& req, fb::EventT& e, const Context& ctx, bool own_priority);
// Consent items by name.
Result<std::vector<fb::ConsentItem>> ConsentItems(const json& req, const char* field, bool required);
// Every party of the case but the sender's agency (a consent change or an
// erasure goes to every holder). conflict when there is none.
Result<std::vector<std::unique_ptr<fb::DestinationT>>> Holders(const Context& ctx);

}  // namespace lintas::node::actions::fields
