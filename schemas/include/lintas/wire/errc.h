// Error codes of the wire contract. The numbers travel in Nack and Error
// frames and are stable: never renumber or reuse one (docs/PROTOCOL.md).
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace lintas::wire {

enum class errc : uint16_t {
  success = 0,
  malformed_message = 1,      // bad multipart layout, unknown command, control frame unverifiable
  unsupported_version = 2,    // no protocol version in common
  message_too_large = 3,      // a frame or message exceeds the size caps
  not_ready = 4,              // a command other than Hello before Ready
  wrong_identifier = 5,       // a payload without the expected file_identifier
  event_unverifiable = 6,     // the FlatBuffers verifier refused the event
  event_invalid = 7,          // a required field is missing or a value is out of range
  origin_mismatch = 8,        // the event's origin is not the authenticated node
  policy_denied = 9,          // the routing policy forbids this exchange
  permission_denied = 10,     // the node lacks the permission (publish, subscribe, audit)
  unknown_destination = 11,   // no agency or role in the directory matches
  unknown_subscription = 12,  // delivery ack or credit for a subscription not attached
  batch_too_large = 13,       // more events in one message than the broker allows
  overloaded = 14,            // too much in flight; retry later
  storage_error = 15,         // the broker could not write; retry later
  shutting_down = 16,         // the broker is stopping; retry against it later
  justification_required = 17,  // replay or export without a justification
  json_invalid = 18,          // local API: JSON does not match the schema
  internal = 19,              // a bug; reported, never silent
  not_found = 20,             // an audit query names an event the log does not hold
  too_many_subscriptions = 21,  // a new named subscription beyond the broker's cap (not the inbox)
  log_damaged = 22,           // the broker's log no longer matches its last signed checkpoint:
                              // publishes are refused until an operator acts (retry later)
};

// Short stable name ("origin_mismatch"), for logs and metric labels.
std::string_view ErrcName(errc code);

// Whether a publisher may resend the same event (or a node the same
// command) later and expect success without changing anything first.
bool IsRetryable(errc code);

const std::error_category& WireCategory();

inline std::error_code make_error_code(errc e) {  // NOLINT(readability-identifier-naming)
  return {static_cast<int>(e), WireCategory()};
}

}  // namespace lintas::wire

template <>
struct std::is_error_code_enum<lintas::wire::errc> : std::true_type {};
