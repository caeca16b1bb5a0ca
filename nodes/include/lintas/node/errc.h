// Errors of the node's local API beyond the wire's (lintas::wire::errc):
// authentication, authorisation, the case model. Stable names travel in the
// API's error bodies ({"error": {"code": "<name>", ...}}); numbers are never
// reused.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace lintas::node {

enum class errc : uint16_t {
  success = 0,
  unauthenticated = 1,         // no valid session or token (HTTP 401)
  forbidden = 2,               // the role or agency may not do this (403)
  not_found = 3,               // no such case, item, event, user or token (404)
  conflict = 4,                // already done, or not in a state that allows it (409)
  locked_out = 5,              // too many failed logins for this account (423 -> 429)
  rate_limited = 6,            // too many failed logins from this address (429)
  bad_input = 7,               // a field or flag is missing or malformed (400)
  limit_exceeded = 8,          // a bound on what one case or sender may store (409)
  justification_required = 9,  // this role must say why it reads (400)
  storage = 10,                // the node could not write (500)
  unavailable = 11,            // the broker cannot be reached or did not answer (503)
  unreadable = 12,             // sealed content this node cannot open (erased, or not sealed to it) (410)
  outside_consent = 13,        // data the victim has not consented to share, or withdrew (403)
  erased = 14,                 // the case was erased: its content is gone for good (410)
};

std::string_view ErrcName(errc code);
// The HTTP status the API answers this error with.
int HttpStatus(errc code);

const std::error_category& NodeCategory();

inline std::error_code make_error_code(errc e) {  // NOLINT(readability-identifier-naming)
  return {static_cast<int>(e), NodeCategory()};
}

}  // namespace lintas::node

template <>
struct std::is_error_code_enum<lintas::node::errc> : std::true_type {};
